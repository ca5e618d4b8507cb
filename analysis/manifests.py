"""Dependencies declared in a repository's manifests, read without executing anything.

Covers ``requirements*.txt`` (``-r`` includes, markers, extras, direct URLs and wheel files,
``--extra-index-url``/``-f`` indexes such as PyTorch's), ``setup.py`` (``install_requires`` and
``extras_require`` read with ``ast``, never run), ``setup.cfg``, ``pyproject.toml`` (PEP 621,
PEP 735 dependency groups, Poetry), conda ``environment*.yml`` (with its ``pip:`` section and
channels) and ``meta.yaml`` recipes, ``Pipfile``, and Dockerfiles (``FROM`` base images and
``pip``/``conda install`` lines). Requirement strings are parsed with ``packaging``; what it
rejects is still read for a package name when one is plain to see.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from analysis.frameworks import conda_channel_framework, docker_image_framework, index_url_framework
from analysis.imports import parse_quietly

# What counts as a declared dependency of the code itself versus tooling around it.
MAIN = "main"
OPTIONAL = "optional"      # extras, optional-dependencies
DEV = "dev"                # dev/test/docs groups


@dataclass(frozen=True, slots=True)
class Item:
    """One declared dependency or framework pointer. ``name`` is a distribution name (to look up
    in the table); ``framework`` is set instead when the pointer names a framework directly
    (a Docker base image, a wheel index URL, a conda channel)."""

    line: int | None
    seen: str
    section: str = MAIN
    name: str | None = None
    framework: str | None = None
    specifier: str = ""
    file: str | None = None    # set for items read from a `-r` include


Reader = Callable[[str], str | None]

_NAME_START = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_DEV_WORDS = re.compile(r"(^|[^a-z])(dev|develop|development|test|tests|testing|doc|docs|lint|"
                        r"style|typing|ci|build|benchmark|bench)([^a-z]|$)", re.I)


def manifest_kind(path: str) -> str | None:
    """Which reader a file needs, from its name (None: not a manifest)."""
    name = PurePosixPath(path).name
    low = name.lower()
    if low.endswith(".txt") and ("requirement" in low or low in ("requires.txt", "reqs.txt")):
        return "requirements"
    if "/requirements/" in f"/{path.lower()}" and low.endswith(".txt"):
        return "requirements"
    if low in ("requirements.in",) or (low.startswith("requirements") and low.endswith(".in")):
        return "requirements"
    if low == "setup.py":
        return "setup.py"
    if low == "setup.cfg":
        return "setup.cfg"
    if low == "pyproject.toml":
        return "pyproject"
    if low == "pipfile":
        return "pipfile"
    if low in ("meta.yaml", "meta.yml"):
        return "meta.yaml"
    if low.endswith((".yml", ".yaml")) and (low.startswith(("environment", "env", "conda"))):
        return "environment"
    if low == "dockerfile" or low.startswith("dockerfile.") or low.endswith(".dockerfile"):
        return "dockerfile"
    return None


def parse_manifest(path: str, text: str, read: Reader | None = None) -> list[Item]:
    """All items of one manifest; ``read`` resolves ``-r`` includes (same repository only)."""
    kind = manifest_kind(path)
    if kind == "requirements":
        return parse_requirements(text, path, read)
    if kind == "setup.py":
        return parse_setup_py(text)
    if kind == "setup.cfg":
        return parse_setup_cfg(text)
    if kind == "pyproject":
        return parse_pyproject(text)
    if kind == "pipfile":
        return parse_pipfile(text)
    if kind == "environment":
        return parse_environment(text, path, read)
    if kind == "meta.yaml":
        return parse_meta_yaml(text)
    if kind == "dockerfile":
        return parse_dockerfile(text)
    return []


# --- requirement strings ---------------------------------------------------------------------

def requirement_item(spec: str, line: int | None, section: str = MAIN,
                     seen: str | None = None) -> Item | None:
    """One requirement string: PEP 508 (``jax[cuda12]>=0.4; python_version>'3.8'``), a URL
    (wheel file, VCS with ``#egg=``), or a conda spec (``pytorch=1.7.0``, ``pytorch::pytorch``)."""
    spec = spec.strip()
    if not spec or spec.startswith("#"):
        return None
    shown = (seen or spec)[:200]
    egg = _EGG.search(spec)
    if egg:
        return Item(line, shown, section, name=egg.group(1))
    if "://" in spec and "@" not in spec.split("://", 1)[0]:
        url = spec.split(";", 1)[0].strip()
        filename = url.rsplit("/", 1)[-1].split("#", 1)[0].split("?", 1)[0]
        if filename.endswith(".whl"):
            try:
                return Item(line, shown, section, name=str(parse_wheel_filename(filename)[0]))
            except InvalidWheelFilename:
                pass
        framework = index_url_framework(url)
        if framework:
            return Item(line, shown, section, framework=framework)
        # git+https://github.com/owner/name(.git)(@ref): the repository name is a fair guess.
        match = re.search(r"github\.com/[^/]+/([A-Za-z0-9._-]+?)(?:\.git)?(?:@|$|#)", url)
        return Item(line, shown, section, name=match.group(1)) if match else None
    try:
        req = Requirement(spec)
        return Item(line, shown, section, name=req.name, specifier=str(req.specifier))
    except InvalidRequirement:
        pass
    # conda: channel::name=version, name=version=build, name 1.2
    conda = spec.split("::", 1)[-1]
    match = _NAME_START.match(conda)
    if match:
        rest = conda[match.end():].strip()
        specifier = rest if rest[:1] in ("=", "<", ">", "!", "~") else ""
        return Item(line, shown, section, name=match.group(1), specifier=specifier)
    return None


# --- requirements.txt ------------------------------------------------------------------------

MAX_INCLUDES = 50   # `-r` includes followed per manifest, however they nest


def parse_requirements(
    text: str, path: str = "requirements.txt", read: Reader | None = None,
    section: str | None = None, _seen: frozenset[str] = frozenset(),
    _budget: list[int] | None = None,
) -> list[Item]:
    """pip's requirements format, following ``-r`` includes inside the repository (at most
    ``MAX_INCLUDES`` of them: files that include each other twice over grow exponentially)."""
    if section is None:
        section = DEV if _DEV_WORDS.search(PurePosixPath(path).stem) else MAIN
    if _budget is None:
        _budget = [MAX_INCLUDES]
    items: list[Item] = []
    seen_paths = _seen | {path}
    for number, line in _logical_lines(text):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        if line.startswith("-"):
            items.extend(_requirements_option(line, number, path, read, section, seen_paths,
                                              _budget))
            continue
        # Per-requirement options (--hash=..., --config-settings=...) are not the requirement.
        item = requirement_item(re.sub(r"\s+--[\w-]+(=\S+)?", "", line), number, section, line)
        if item:
            items.append(item)
    return items


def _logical_lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buf:
            start = number
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        out.append((start, buf + raw))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def _requirements_option(line: str, number: int, path: str, read: Reader | None, section: str,
                         seen: frozenset[str], budget: list[int]) -> list[Item]:
    opt, _, value = line.replace("=", " ", 1).partition(" ") if line.startswith("--") else (
        line[:2], "", line[2:])
    value = value.strip()
    if opt in ("-r", "--requirement"):
        if read is None or not value or "://" in value:
            return []
        target = _join(path, value)
        if target is None or target in seen or len(seen) > 20 or budget[0] <= 0:
            return []
        budget[0] -= 1
        text = read(target)
        if text is None:
            return []
        sub = DEV if _DEV_WORDS.search(PurePosixPath(target).stem) else section
        return [replace(i, file=i.file or target)
                for i in parse_requirements(text, target, read, sub, seen, budget)]
    if opt in ("-e", "--editable"):
        item = requirement_item(value, number, section, line)
        return [item] if item else []
    if opt in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links"):
        framework = index_url_framework(value)
        return [Item(number, line[:200], section, framework=framework)] if framework else []
    return []  # -c constraints, --hash, --pre ...: not requirements


def _join(base: str, relative: str) -> str | None:
    """``relative`` resolved against ``base``'s folder, or None if it leaves the repository."""
    parts: list[str] = list(PurePosixPath(base).parent.parts)
    for part in PurePosixPath(relative.replace("\\", "/")).parts:
        if part in ("", "."):
            continue
        if part == "/":
            return None
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) if parts else None


# --- setup.py --------------------------------------------------------------------------------

def parse_setup_py(text: str) -> list[Item]:
    """``install_requires``/``extras_require``/``requires`` of any call, read with ``ast``:
    literals, and names assigned a literal at module level. Never executed."""
    try:
        tree = parse_quietly(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _scan_strings(text)
    assigned: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = stmt.value
    items: list[Item] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg in ("install_requires", "requires", "setup_requires"):
                section = MAIN if kw.arg != "setup_requires" else DEV
                for value, line in _strings(kw.value, assigned):
                    item = requirement_item(value, line, section)
                    if item:
                        items.append(item)
            elif kw.arg == "extras_require":
                extras = assigned.get(kw.value.id, kw.value) if isinstance(kw.value, ast.Name) \
                    else kw.value
                if isinstance(extras, ast.Dict):
                    for key, val in zip(extras.keys, extras.values, strict=False):
                        name = key.value if isinstance(key, ast.Constant) else ""
                        sec = DEV if _DEV_WORDS.search(str(name)) else OPTIONAL
                        for spec, line in _strings(val, assigned):
                            item = requirement_item(spec, line, sec)
                            if item:
                                items.append(item)
    return items


def _strings(
    node: ast.expr, assigned: dict[str, ast.expr], depth: int = 0
) -> list[tuple[str, int]]:
    if depth > 5:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.value, node.lineno)]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [s for elt in node.elts for s in _strings(elt, assigned, depth + 1)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _strings(node.left, assigned, depth + 1) + _strings(node.right, assigned, depth + 1)
    if isinstance(node, ast.Name) and node.id in assigned:
        return _strings(assigned[node.id], assigned, depth + 1)
    return []


def _scan_strings(text: str) -> list[Item]:
    """A setup.py that does not parse: quoted strings inside install_requires=[...]."""
    match = re.search(r"install_requires\s*=\s*\[([^\]]*)\]", text, re.S)
    if not match:
        return []
    items = []
    for found in re.finditer(r"""['"]([^'"]+)['"]""", match.group(1)):
        line = text.count("\n", 0, match.start(1) + found.start()) + 1
        item = requirement_item(found.group(1), line)
        if item:
            items.append(item)
    return items


# --- setup.cfg / pyproject / Pipfile --------------------------------------------------------

def parse_setup_cfg(text: str) -> list[Item]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    items: list[Item] = []
    if parser.has_option("options", "install_requires"):
        items += _spec_lines(parser.get("options", "install_requires"), text, MAIN)
    if parser.has_section("options.extras_require"):
        for key, value in parser.items("options.extras_require"):
            sec = DEV if _DEV_WORDS.search(key) else OPTIONAL
            items += _spec_lines(value, text, sec)
    return items


def _spec_lines(value: str, text: str, section: str) -> list[Item]:
    items = []
    for spec in value.replace(";\n", "\n").splitlines():
        spec = spec.strip()
        item = requirement_item(spec, _line_of(text, spec), section) if spec else None
        if item:
            items.append(item)
    return items


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def parse_pyproject(text: str) -> list[Item]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return []
    items: list[Item] = []
    project = _dict(data.get("project"))
    items += _spec_list(project.get("dependencies"), text, MAIN)
    for key, specs in _dict(project.get("optional-dependencies")).items():
        items += _spec_list(specs, text, DEV if _DEV_WORDS.search(key) else OPTIONAL)
    for specs in _dict(data.get("dependency-groups")).values():
        items += _spec_list(specs, text, DEV)
    poetry = _dict(_dict(data.get("tool")).get("poetry"))
    items += _poetry(poetry.get("dependencies"), text, MAIN)
    items += _poetry(poetry.get("dev-dependencies"), text, DEV)
    for name, group in _dict(poetry.get("group")).items():
        sec = DEV if _DEV_WORDS.search(name) or _dict(group).get("optional") else OPTIONAL
        items += _poetry(_dict(group).get("dependencies"), text, sec)
    return items


def parse_pipfile(text: str) -> list[Item]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return []
    return _poetry(data.get("packages"), text, MAIN) + _poetry(data.get("dev-packages"), text, DEV)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _spec_list(specs: Any, text: str, section: str) -> list[Item]:
    items = []
    for spec in specs if isinstance(specs, list) else []:
        if isinstance(spec, str):
            item = requirement_item(spec, _line_of(text, spec), section)
            if item:
                items.append(item)
    return items


def _poetry(deps: Any, text: str, section: str) -> list[Item]:
    """Poetry/Pipfile tables: name = "^1.2" or {version = "...", optional = true, ...}."""
    items = []
    for name, spec in _dict(deps).items():
        if name.lower() == "python":
            continue
        version = spec if isinstance(spec, str) else str(_dict(spec).get("version", ""))
        sec = OPTIONAL if isinstance(spec, dict) and spec.get("optional") and section == MAIN \
            else section
        line = _line_of(text, f"{name} ") or _line_of(text, f"{name}=") or _line_of(text, name)
        items.append(Item(line, f"{name} = {version}"[:200] if version and version != "*" else name,
                          sec, name=name, specifier=version if version != "*" else ""))
    return items


# --- conda -----------------------------------------------------------------------------------

def parse_environment(text: str, path: str = "environment.yml",
                      read: Reader | None = None) -> list[Item]:
    """A conda environment: channels, conda packages and the ``pip:`` list."""
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    items: list[Item] = []
    budget = [MAX_INCLUDES]  # shared by every `-r` line of the pip section
    for channel in data.get("channels") or []:
        framework = conda_channel_framework(str(channel))
        if framework:
            items.append(Item(_line_of(text, str(channel)), f"channel {channel}", MAIN,
                              framework=framework))
    for dep in data.get("dependencies") or []:
        if isinstance(dep, str):
            item = requirement_item(dep, _line_of(text, dep), MAIN)
            if item:
                items.append(item)
            if "::" in dep:
                framework = conda_channel_framework(dep.split("::", 1)[0])
                if framework:
                    items.append(Item(_line_of(text, dep), dep, MAIN, framework=framework))
        elif isinstance(dep, dict):
            for spec in dep.get("pip") or []:
                if not isinstance(spec, str):
                    continue
                if spec.startswith("-"):
                    items += parse_requirements(spec, path, read, MAIN, _budget=budget)
                else:
                    item = requirement_item(spec, _line_of(text, spec), MAIN)
                    if item:
                        items.append(item)
    return items


_JINJA_BLOCK = re.compile(r"{%.*?%}", re.S)
_JINJA_EXPR = re.compile(r"{{.*?}}", re.S)


def parse_meta_yaml(text: str) -> list[Item]:
    """A conda recipe: ``requirements.run`` (and ``host``), Jinja removed first."""
    clean = _JINJA_EXPR.sub("x", _JINJA_BLOCK.sub("", text))
    try:
        data = yaml.safe_load(clean)
    except (yaml.YAMLError, RecursionError):
        return []
    reqs = _dict(_dict(data).get("requirements"))
    items: list[Item] = []
    for key, section in (("run", MAIN), ("host", MAIN), ("build", DEV)):
        for dep in reqs.get(key) or []:
            if isinstance(dep, str):
                item = requirement_item(dep.split("#", 1)[0], _line_of(text, dep), section)
                if item:
                    items.append(item)
    return items


# --- Dockerfile ------------------------------------------------------------------------------

def parse_dockerfile(text: str) -> list[Item]:
    """``FROM`` base images, and packages of ``pip install``/``conda install`` in ``RUN``."""
    items: list[Item] = []
    args: dict[str, str] = {}
    for number, line in _logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word = stripped.split(None, 1)[0].upper()
        if word == "ARG":
            name, eq, default = stripped[3:].strip().partition("=")
            if eq:
                args[name.strip()] = default.strip().strip("\"'")
        elif word == "FROM":
            parts = [p for p in stripped.split()[1:] if not p.startswith("--")]
            if parts:
                # `ARG BASE=pytorch/pytorch:2.1` ... `FROM ${BASE}`: the default is the image.
                image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), parts[0])
                framework = docker_image_framework(image)
                if framework:
                    items.append(Item(number, stripped[:200], MAIN, framework=framework))
        elif word == "RUN":
            for command in re.split(r"&&|\|\||;", stripped[3:]):
                items += _install_command(command, number)
    return items


def _install_command(command: str, number: int) -> list[Item]:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    try:
        at = words.index("install")
    except ValueError:
        return []
    tool = " ".join(words[:at])
    if not re.search(r"(^|[\s/])(pip\d*(\.\d+)?|conda|mamba|micromamba)$", tool) and \
            "-m pip" not in tool:
        return []
    items: list[Item] = []
    skip_next = False
    for word in words[at + 1:]:
        if skip_next:
            skip_next = False
            if "://" in word:
                framework = index_url_framework(word)
                if framework:
                    items.append(Item(number, command.strip()[:200], MAIN, framework=framework))
            elif (framework := conda_channel_framework(word)) is not None:
                items.append(Item(number, command.strip()[:200], MAIN, framework=framework))
            continue
        if word in ("-c", "--channel", "-f", "--find-links", "-i", "--index-url",
                    "--extra-index-url", "-r", "--requirement", "-t", "--target", "-e"):
            skip_next = True
        elif word.startswith("-") or word.startswith("$"):
            continue
        else:
            item = requirement_item(word, number, MAIN, command.strip())
            if item:
                items.append(item)
    return items
