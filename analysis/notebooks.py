"""Code cells of Jupyter notebooks (nbformat 3 and 4), and their ``!pip install`` lines.

A notebook is JSON; its code is in the cells' ``source`` (nbformat 4) or ``input`` (nbformat 3),
as a string or a list of lines. IPython syntax (``%magic``, ``!shell``) is blanked out so ``ast``
can read the rest, but install lines (``!pip install torch``, ``%pip install``, ``!conda
install``) and ``%tensorflow_version`` are kept as evidence of their own, and ``KERAS_BACKEND``
settings (``%env KERAS_BACKEND=jax``) are kept as comments. Outputs are ignored.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

# Cell magics whose body is still Python.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "writefile"}
_INSTALL = re.compile(
    r"^\s*[!%]\s*(?:python\d*(?:\.\d+)?\s+-m\s+)?(pip\d*|conda|mamba)\s+install\b(.*)$")
_TF_VERSION = re.compile(r"^\s*%tensorflow_version\s+(\S+)")
# Options of pip/conda install that take a value.
_VALUE_OPTIONS = {"-c", "--channel", "-f", "--find-links", "-i", "--index-url", "--extra-index-url",
                  "-r", "--requirement", "-t", "--target", "--prefix", "-e", "--editable",
                  "--upgrade-strategy", "--root", "-n", "--name"}


@dataclass(slots=True)
class Cell:
    index: int          # 1-based among all cells
    code: str           # Python with magics blanked (same line count)


@dataclass(slots=True)
class Install:
    cell: int
    seen: str
    tool: str                            # pip, conda
    packages: list[str]                  # requirement strings as written
    channels: list[str] = field(default_factory=list)
    index_urls: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Notebook:
    cells: list[Cell] = field(default_factory=list)
    installs: list[Install] = field(default_factory=list)
    tf_versions: list[tuple[int, str]] = field(default_factory=list)
    error: str | None = None


class NotebookError(ValueError):
    """Not a notebook: invalid JSON or no cells."""


def parse_notebook(text: str) -> Notebook:
    """The code cells of a notebook; raises :class:`NotebookError` for anything else."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: also a number over 4300 digits
        raise NotebookError(f"invalid notebook JSON: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise NotebookError("invalid notebook: not a JSON object")
    raw_cells = data.get("cells")
    if raw_cells is None:  # nbformat 3
        sheets = data.get("worksheets")
        raw_cells = [c for ws in (sheets if isinstance(sheets, list) else [])
                     if isinstance(ws, dict) and isinstance(ws.get("cells"), list)
                     for c in ws["cells"]]
    if not isinstance(raw_cells, list):
        raise NotebookError("invalid notebook: cells is not a list")
    nb = Notebook()
    for index, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str) or not source.strip():
            continue
        nb.cells.append(Cell(index, _blank_magics(source, index, nb)))
    return nb


def _blank_magics(source: str, index: int, nb: Notebook) -> str:
    lines = source.splitlines()
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        if magic not in _PYTHON_CELL_MAGICS:
            if magic in ("bash", "sh", "script"):
                for line in lines[1:]:
                    _install_line("!" + line, index, nb)
            return ""
        lines[0] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            _install_line(stripped, index, nb)
            match = _TF_VERSION.match(stripped)
            if match:
                nb.tf_versions.append((index, match.group(1)))
            # `%env KERAS_BACKEND=jax` stays visible (as a comment) to the backend search.
            out.append("# " + stripped if "KERAS_BACKEND" in stripped else "")
        elif stripped.endswith("?") and not stripped.startswith("#"):
            out.append("")  # IPython help: `torch.nn?`
        else:
            out.append(line)
    return "\n".join(out)


def _install_line(line: str, index: int, nb: Notebook) -> None:
    match = _INSTALL.match(line)
    if not match:
        return
    tool = "conda" if match.group(1) in ("conda", "mamba") else "pip"
    install = Install(index, line.strip()[:200], tool, [])
    try:
        words = shlex.split(match.group(2), comments=True)
    except ValueError:
        words = match.group(2).split()
    take: str | None = None
    for word in words:
        if take is not None:
            if take in ("-c", "--channel"):
                install.channels.append(word)
            elif take in ("-f", "--find-links", "-i", "--index-url", "--extra-index-url"):
                install.index_urls.append(word)
            take = None
            continue
        if word in _VALUE_OPTIONS:
            take = word
        elif "=" in word and word.split("=", 1)[0] in _VALUE_OPTIONS:
            opt, value = word.split("=", 1)
            if opt in ("-c", "--channel"):
                install.channels.append(value)
            elif opt != "--upgrade-strategy":
                install.index_urls.append(value)
        elif word.startswith("-") or word in ("&&", "||", ";", "|"):
            if word in ("&&", "||", ";", "|"):
                break
        else:
            install.packages.append(word)
    if install.packages or install.index_urls or install.channels:
        nb.installs.append(install)
