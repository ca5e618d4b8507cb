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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import PurePosixPath
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from analysis.classify.bounded import LineIndex, ManifestRefused, load_toml, load_yaml
from analysis.frameworks import conda_channel_framework, docker_image_framework, index_url_framework
from analysis.imports import parse_quietly
from survey.core import file_policy
from survey.core.vocab import ManifestKind

__all__ = ["DEV", "MAIN", "MAX_INCLUDES", "MAX_ITEMS", "OPTIONAL", "Item", "ManifestRefused",
           "declared_packages", "manifest_kind", "parse_dockerfile", "parse_environment",
           "parse_manifest", "parse_meta_yaml", "parse_pipfile", "parse_pyproject",
           "parse_requirements", "parse_setup_cfg", "parse_setup_py", "requirement_item"]

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


def manifest_kind(path: str) -> ManifestKind | None:
    """Which reader a file needs, from its name (None: not a manifest): the policy's."""
    return file_policy.manifest_kind(path)


MAX_ITEMS = 5000    # declarations read from one manifest (real ones have tens)


def parse_manifest(path: str, text: str, read: Reader | None = None) -> list[Item]:
    """All items of one manifest; ``read`` resolves ``-r`` includes (same repository only).

    Raises :class:`ManifestRefused` for a hostile or oversized YAML/TOML document; never
    anything else for any text.
    """
    parser = _PARSERS.get(manifest_kind(path))
    if parser is None:
        return []
    return parser(path, text, read)[:MAX_ITEMS]


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
        if len(items) >= MAX_ITEMS:
            break
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


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line, backslash continuations joined: the
    parts are collected and joined once (adding to a string each time is quadratic)."""
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


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

_REQUIRES = {"install_requires": MAIN, "requires": MAIN, "setup_requires": DEV}


def parse_setup_py(text: str) -> list[Item]:
    """``install_requires``/``extras_require``/``requires`` of any call, read with ``ast``:
    literals, and names assigned a literal at module level. Never executed."""
    try:
        tree = parse_quietly(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _scan_strings(text)
    assigned = _assignments(tree)
    items: list[Item] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                items.extend(_keyword_items(kw, assigned))
            if len(items) >= MAX_ITEMS:
                break
    return items


def _assignments(tree: ast.Module) -> dict[str, ast.expr]:
    assigned: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = stmt.value
    return assigned


def _keyword_items(kw: ast.keyword, assigned: dict[str, ast.expr]) -> Iterator[Item]:
    if kw.arg in _REQUIRES:
        for value, line in _strings(kw.value, assigned):
            item = requirement_item(value, line, _REQUIRES[kw.arg])
            if item:
                yield item
    elif kw.arg == "extras_require":
        extras = assigned.get(kw.value.id, kw.value) if isinstance(kw.value, ast.Name) \
            else kw.value
        if isinstance(extras, ast.Dict):
            for key, val in zip(extras.keys, extras.values, strict=False):
                name = key.value if isinstance(key, ast.Constant) else ""
                section = DEV if _DEV_WORDS.search(str(name)) else OPTIONAL
                for spec, line in _strings(val, assigned):
                    item = requirement_item(spec, line, section)
                    if item:
                        yield item


def _strings(
    node: ast.expr, assigned: dict[str, ast.expr], depth: int = 0
) -> Iterator[tuple[str, int]]:
    """String literals of a list/tuple/set, a ``+`` of those, or a name assigned one. Lazy,
    so a caller that has enough stops the walk."""
    if depth > 5:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, node.lineno
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for elt in node.elts:
            yield from _strings(elt, assigned, depth + 1)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _strings(node.left, assigned, depth + 1)
        yield from _strings(node.right, assigned, depth + 1)
    elif isinstance(node, ast.Name) and node.id in assigned:
        yield from _strings(assigned[node.id], assigned, depth + 1)


def _scan_strings(text: str) -> list[Item]:
    """A setup.py that does not parse: quoted strings inside install_requires=[...]."""
    match = re.search(r"install_requires\s*=\s*\[([^\]]*)\]", text, re.S)
    if not match:
        return []
    items = []
    line, at = text.count("\n", 0, match.start(1)) + 1, match.start(1)
    for found in islice(re.finditer(r"""['"]([^'"]+)['"]""", match.group(1)), MAX_ITEMS):
        start = match.start(1) + found.start()
        line += text.count("\n", at, start)  # counted from the previous string: linear
        at = start
        item = requirement_item(found.group(1), line)
        if item:
            items.append(item)
    return items


def declared_packages(path: str, text: str) -> set[str]:
    """Import names of the packages a ``setup.py``, ``setup.cfg`` or ``pyproject.toml``
    declares (``name``, literal ``packages``/``py_modules``), lower case with ``_``: their files
    are read early. Empty for other manifests and for anything unreadable."""
    kind = manifest_kind(path)
    try:
        if kind is ManifestKind.SETUP_PY:
            names = _setup_py_names(text)
        elif kind is ManifestKind.SETUP_CFG:
            names = _setup_cfg_names(text)
        elif kind is ManifestKind.PYPROJECT:
            names = _pyproject_names(load_toml(text))
        else:
            return set()
    except (SyntaxError, ValueError, RecursionError, MemoryError, configparser.Error):
        return set()
    return {re.sub(r"[-.]", "_", n.strip().lower()) for n in names if n and n.strip()}


def _setup_py_names(text: str) -> list[str]:
    tree = parse_quietly(text)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    names.append(str(kw.value.value))
                elif kw.arg in ("packages", "py_modules"):
                    names.extend(s.split(".", 1)[0] for s, _ in _strings(kw.value, {}))
    return names[:100]


def _setup_cfg_names(text: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    names = [parser.get("metadata", "name", fallback="")]
    packages = parser.get("options", "packages", fallback="")
    if not packages.strip().startswith("find"):
        names += [p.split(".", 1)[0] for p in packages.split()]
    return names[:100]


def _pyproject_names(data: dict[str, Any]) -> list[str]:
    tool = _dict(data.get("tool"))
    poetry = _dict(tool.get("poetry"))
    names = [str(_dict(data.get("project")).get("name") or ""), str(poetry.get("name") or "")]
    for package in poetry.get("packages") or []:
        if isinstance(package, dict) and isinstance(package.get("include"), str):
            names.append(package["include"])
    packages = _dict(tool.get("setuptools")).get("packages")
    if isinstance(packages, list):
        names += [p.split(".", 1)[0] for p in packages if isinstance(p, str)]
    return names[:100]


# --- setup.cfg / pyproject / Pipfile --------------------------------------------------------

def parse_setup_cfg(text: str) -> list[Item]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    lines = LineIndex(text)
    items: list[Item] = []
    if parser.has_option("options", "install_requires"):
        items += _spec_lines(parser.get("options", "install_requires"), lines, MAIN)
    if parser.has_section("options.extras_require"):
        for key, value in parser.items("options.extras_require"):
            sec = DEV if _DEV_WORDS.search(key) else OPTIONAL
            items += _spec_lines(value, lines, sec)
    return items


def _spec_lines(value: str, lines: LineIndex, section: str) -> list[Item]:
    items = []
    for spec in value.replace(";\n", "\n").splitlines():
        spec = spec.strip()
        item = requirement_item(spec, lines.string(spec), section) if spec else None
        if item:
            items.append(item)
    return items


def parse_pyproject(text: str) -> list[Item]:
    """PEP 621 dependencies and optional dependencies, PEP 735 groups, Poetry groups."""
    data = _toml(text)
    lines = LineIndex(text)
    items: list[Item] = []
    project = _dict(data.get("project"))
    items += _spec_list(project.get("dependencies"), lines, MAIN)
    for key, specs in _dict(project.get("optional-dependencies")).items():
        items += _spec_list(specs, lines, DEV if _DEV_WORDS.search(key) else OPTIONAL)
    for specs in _dict(data.get("dependency-groups")).values():
        items += _spec_list(specs, lines, DEV)
    poetry = _dict(_dict(data.get("tool")).get("poetry"))
    items += _poetry(poetry.get("dependencies"), lines, MAIN)
    items += _poetry(poetry.get("dev-dependencies"), lines, DEV)
    for name, group in _dict(poetry.get("group")).items():
        sec = DEV if _DEV_WORDS.search(name) or _dict(group).get("optional") else OPTIONAL
        items += _poetry(_dict(group).get("dependencies"), lines, sec)
    return items


def parse_pipfile(text: str) -> list[Item]:
    data = _toml(text)
    lines = LineIndex(text)
    return _poetry(data.get("packages"), lines, MAIN) + _poetry(data.get("dev-packages"), lines,
                                                                 DEV)


def _toml(text: str) -> dict[str, Any]:
    """The document, {} when it is not TOML; :class:`ManifestRefused` over the size cap."""
    try:
        return load_toml(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _spec_list(specs: Any, lines: LineIndex, section: str) -> list[Item]:
    items = []
    for spec in islice(specs if isinstance(specs, list) else [], MAX_ITEMS):
        if isinstance(spec, str):
            item = requirement_item(spec, lines.string(spec), section)
            if item:
                items.append(item)
    return items


def _poetry(deps: Any, lines: LineIndex, section: str) -> list[Item]:
    """Poetry/Pipfile tables: name = "^1.2" or {version = "...", optional = true, ...}."""
    items = []
    for name, spec in islice(_dict(deps).items(), MAX_ITEMS):
        if name.lower() == "python":
            continue
        version = spec if isinstance(spec, str) else str(_dict(spec).get("version", ""))
        sec = OPTIONAL if isinstance(spec, dict) and spec.get("optional") and section == MAIN \
            else section
        items.append(Item(lines.key(name), f"{name} = {version}"[:200]
                          if version and version != "*" else name,
                          sec, name=name, specifier=version if version != "*" else ""))
    return items


# --- conda -----------------------------------------------------------------------------------

def _yaml(text: str) -> tuple[Any, dict[str, int]]:
    """(data, scalar lines), (None, {}) when it is not YAML; refused when hostile or too big."""
    try:
        return load_yaml(text)
    except (yaml.YAMLError, RecursionError):
        return None, {}


def parse_environment(text: str, path: str = "environment.yml",
                      read: Reader | None = None) -> list[Item]:
    """A conda environment: channels, conda packages and the ``pip:`` list."""
    data, lines = _yaml(text)
    if not isinstance(data, dict):
        return []
    items: list[Item] = []
    for channel in islice(_list(data.get("channels")), MAX_ITEMS):
        framework = conda_channel_framework(channel) if isinstance(channel, str) else None
        if framework:
            items.append(Item(lines.get(channel), f"channel {channel}", MAIN,
                              framework=framework))
    budget = [MAX_INCLUDES]  # shared by every `-r` line of the pip section
    for dep in islice(_list(data.get("dependencies")), MAX_ITEMS):
        if isinstance(dep, str):
            items += _conda_dependency(dep, lines.get(dep))
        elif isinstance(dep, dict):
            items += _pip_section(dep.get("pip"), lines, path, read, budget)
    return items


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _conda_dependency(dep: str, line: int | None) -> list[Item]:
    items = []
    item = requirement_item(dep, line, MAIN)
    if item:
        items.append(item)
    if "::" in dep:
        framework = conda_channel_framework(dep.split("::", 1)[0])
        if framework:
            items.append(Item(line, dep, MAIN, framework=framework))
    return items


def _pip_section(specs: Any, lines: dict[str, int], path: str, read: Reader | None,
                 budget: list[int]) -> list[Item]:
    items: list[Item] = []
    for spec in islice(_list(specs), MAX_ITEMS):
        if not isinstance(spec, str):
            continue
        if spec.startswith("-"):
            items += parse_requirements(spec, path, read, MAIN, _budget=budget)
        else:
            item = requirement_item(spec, lines.get(spec), MAIN)
            if item:
                items.append(item)
    return items


_JINJA_BLOCK = re.compile(r"{%.*?%}", re.S)
_JINJA_EXPR = re.compile(r"{{.*?}}", re.S)


def _keep_lines(match: re.Match[str], replacement: str = "") -> str:
    """Jinja removed, its newlines kept: YAML's line numbers stay the file's."""
    return replacement + "\n" * match.group(0).count("\n")


def parse_meta_yaml(text: str) -> list[Item]:
    """A conda recipe: ``requirements.run`` (and ``host``), Jinja removed first."""
    clean = _JINJA_EXPR.sub(lambda m: _keep_lines(m, "x"), _JINJA_BLOCK.sub(_keep_lines, text))
    data, lines = _yaml(clean)
    reqs = _dict(_dict(data).get("requirements"))
    items: list[Item] = []
    for key, section in (("run", MAIN), ("host", MAIN), ("build", DEV)):
        for dep in islice(_list(reqs.get(key)), MAX_ITEMS):
            if isinstance(dep, str):
                item = requirement_item(dep.split("#", 1)[0], lines.get(dep), section)
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
            items += _from_line(stripped, number, args)
        elif word == "RUN":
            for command in re.split(r"&&|\|\||;", stripped[3:]):
                items += _install_command(command, number)
        if len(items) >= MAX_ITEMS:
            break
    return items


def _from_line(stripped: str, number: int, args: dict[str, str]) -> list[Item]:
    parts = [p for p in stripped.split()[1:] if not p.startswith("--")]
    if not parts:
        return []
    # `ARG BASE=pytorch/pytorch:2.1` ... `FROM ${BASE}`: the default is the image.
    image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), parts[0])
    framework = docker_image_framework(image)
    return [Item(number, stripped[:200], MAIN, framework=framework)] if framework else []


_INSTALL_TOOL = re.compile(r"(^|[\s/])(pip\d*(\.\d+)?|conda|mamba|micromamba)$")
_VALUE_OPTIONS = frozenset({"-c", "--channel", "-f", "--find-links", "-i", "--index-url",
                            "--extra-index-url", "-r", "--requirement", "-t", "--target", "-e"})


def _is_install(command: str) -> bool:
    """``pip install``/``conda install`` (also ``python -m pip``): decided on the words before
    ``install``, before any costly splitting of the rest."""
    head, found, _ = command.partition(" install")
    tool = " ".join(head.split())
    return bool(found) and (_INSTALL_TOOL.search(tool) is not None or "-m pip" in tool)


def _words(command: str) -> list[str]:
    """Shell words: ``shlex`` only when there are quotes or escapes (it reads one character at
    a time, far slower than ``str.split`` on a long line)."""
    if not any(c in command for c in "'\"\\"):
        return command.split()
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _install_command(command: str, number: int) -> list[Item]:
    if not _is_install(command):
        return []
    words = _words(command)
    try:
        at = words.index("install")
    except ValueError:
        return []
    shown = command.strip()[:200]  # once per command: per package it would be quadratic
    items: list[Item] = []
    skip_next = False
    for word in islice(words, at + 1, None):
        if skip_next:
            skip_next = False
            items += _option_value(word, number, shown)
        elif word in _VALUE_OPTIONS:
            skip_next = True
        elif not word.startswith(("-", "$")):
            item = requirement_item(word, number, MAIN, shown)
            if item:
                items.append(item)
        if len(items) >= MAX_ITEMS:
            break
    return items


def _option_value(word: str, number: int, shown: str) -> list[Item]:
    """An index URL or a conda channel after ``-i``/``-f``/``-c``."""
    if "://" in word:
        framework = index_url_framework(word)
    else:
        framework = conda_channel_framework(word)
    return [Item(number, shown, MAIN, framework=framework)] if framework else []


_PARSERS: dict[ManifestKind | None, Callable[[str, str, Reader | None], list[Item]]] = {
    ManifestKind.REQUIREMENTS: lambda path, text, read: parse_requirements(text, path, read),
    ManifestKind.SETUP_PY: lambda path, text, read: parse_setup_py(text),
    ManifestKind.SETUP_CFG: lambda path, text, read: parse_setup_cfg(text),
    ManifestKind.PYPROJECT: lambda path, text, read: parse_pyproject(text),
    ManifestKind.PIPFILE: lambda path, text, read: parse_pipfile(text),
    ManifestKind.CONDA_ENV: lambda path, text, read: parse_environment(text, path, read),
    ManifestKind.CONDA_RECIPE: lambda path, text, read: parse_meta_yaml(text),
    ManifestKind.DOCKERFILE: lambda path, text, read: parse_dockerfile(text),
}
