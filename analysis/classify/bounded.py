"""Loading YAML and TOML from repositories with bounds, and finding lines in linear time.

Manifests come from strangers. A 357-byte ``environment.yml`` of nested aliases describes
hundreds of millions of nodes; PyYAML shares the aliased objects, but anything that walks or
prints them pays for every one. So a YAML document is refused when it is larger than
``MAX_YAML_BYTES`` or when its aliases would expand to more than ``MAX_YAML_NODES`` nodes
(counted on the composed node graph, each distinct node once, before anything is constructed),
and a TOML document larger than ``MAX_TOML_BYTES`` is not parsed. :class:`LineIndex` gives the
line of each string of a manifest from one pass over its text, where a search per dependency
would be quadratic.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml

MAX_YAML_BYTES = 256_000
MAX_TOML_BYTES = 256_000
MAX_YAML_NODES = 100_000
# libyaml's parser when PyYAML was built with it (ten times faster), else the pure-Python one;
# both compose the same nodes, with the same marks, and construct safely.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestRefused(ValueError):
    """A manifest not parsed because it is hostile or too large (the message says which)."""


def _expanded_size(root: yaml.Node) -> int:
    """The number of nodes ``root`` stands for once every alias is expanded, without expanding:
    each distinct node is sized once from its children's sizes (iteratively, in post-order)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_YAML_NODES:
                return sizes[key]
            continue
        if key in sizes:
            continue
        if key in on_path:
            return MAX_YAML_NODES + 1  # a recursive alias: infinite once expanded
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _scalar_lines(root: yaml.Node) -> dict[str, int]:
    """The first line of each scalar's value (each distinct node visited once)."""
    lines: dict[str, int] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            line = node.start_mark.line + 1
            if lines.get(node.value, line + 1) > line:
                lines[node.value] = line
        else:
            stack.extend(_children(node))
    return lines


def load_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """(data, line of each scalar) of one YAML document, with PyYAML's safe loader.

    Raises :class:`ManifestRefused` for a document over the size cap or whose aliases expand
    too far, and ``yaml.YAMLError`` for invalid YAML.
    """
    if len(text) > MAX_YAML_BYTES:
        raise ManifestRefused(f"YAML over the {MAX_YAML_BYTES:,}-byte cap, not parsed")
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if _expanded_size(node) > MAX_YAML_NODES:
            raise ManifestRefused(f"YAML aliases expand to over {MAX_YAML_NODES:,} nodes,"
                                  " not parsed")
        return loader.construct_document(node), _scalar_lines(node)
    finally:
        loader.dispose()


def load_toml(text: str) -> dict[str, Any]:
    """A TOML document with ``tomllib``; :class:`ManifestRefused` over the size cap."""
    if len(text) > MAX_TOML_BYTES:
        raise ManifestRefused(f"TOML over the {MAX_TOML_BYTES:,}-byte cap, not parsed")
    return tomllib.loads(text)


_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'([^\'\n]*)\'')
_HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")


class LineIndex:
    """The first line on which each string occurs as a quoted string, a whole (stripped) line,
    a ``key =`` or the last part of a ``[table.header]``: built in one pass."""

    def __init__(self, text: str) -> None:
        self.quoted: dict[str, int] = {}
        self.lines: dict[str, int] = {}
        self.keys: dict[str, int] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            self.lines.setdefault(line, number)
            key, eq, value = line.partition("=")
            if eq:
                self.keys.setdefault(key.strip().strip("\"'"), number)
                self.lines.setdefault(value.strip(), number)
            header = _HEADER.match(line)
            if header:
                self.keys.setdefault(header.group(1).rsplit(".", 1)[-1].strip("\"'"), number)
            if '"' in line or "'" in line:
                for match in _QUOTED.finditer(line):
                    found = match.group(1) if match.group(1) is not None else match.group(2)
                    self.quoted.setdefault(found, number)

    def string(self, value: str) -> int | None:
        """The line of a quoted string or a whole line."""
        return self.quoted.get(value) or self.lines.get(value)

    def key(self, name: str) -> int | None:
        """The line of ``name = ...`` or ``[...name]``."""
        return self.keys.get(name)
