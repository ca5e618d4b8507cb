"""GitHub GraphQL queries for the fetch stage: built from templates, parsed into REST's types.

Every repository of a batch is one aliased field (``r0``, ``r1``...), its owner and name passed
as variables (never spliced into the text: they come from papers), and every query asks
``rateLimit { cost remaining resetAt limit }`` so a run records what it really cost. Nothing
here costs more than 1 point: there are no connections, only ``repository``, ``object`` and
``Tree.entries`` (a plain list).

Depth: GitHub refuses queries deeper than 25 fields. The first query nests ``TREE_LEVELS``
levels of ``entries { object { ... on Tree { entries ... } } }`` (2 each) under
``repository > defaultBranchRef > target > tree`` and a follow-up asks deeper folders the same
way from ``object(expression: "<commit>:<path>")``; :func:`depth_of` checks both stay under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.repo_host import RepoMeta, _bool, _int, _str, iso
from crawler.selection import TreeEntry

TREE_LEVELS = 8
MAX_DEPTH = 25
# Root manifests asked by name in the first query (their texts come with the tree).
ROOT_MANIFESTS = ("requirements.txt", "setup.py", "pyproject.toml", "setup.cfg",
                  "environment.yml", "environment.yaml", "Pipfile")
RATE = "rateLimit { cost remaining resetAt limit }"
# Fragments keep a batch's text small (GitHub parses and validates it before anything runs).
META = ("fragment Meta on Repository { databaseId nameWithOwner createdAt pushedAt isFork"
        " isArchived isEmpty stargazerCount diskUsage primaryLanguage { name } }")
BLOB = "fragment Blob on Blob { oid byteSize isBinary isTruncated text }"


@dataclass(frozen=True)
class Ask:
    """One repository to ask about: ``key`` is the caller's, ``owner/name`` GitHub's."""

    key: str
    owner: str
    name: str


@dataclass
class Listing:
    """Tree entries parsed from nested ``entries``, and the folders left to ask for."""

    entries: list[TreeEntry] = field(default_factory=list)
    frontier: list[str] = field(default_factory=list)


def tree_fragments(levels: int) -> str:
    """``Tree1`` .. ``Tree{levels}``: each lists its entries and the next level's trees."""
    parts = ["fragment Entry on TreeEntry { path type mode size oid }"]
    for level in range(1, levels + 1):
        deeper = (f" object {{ ... on Tree {{ ...Tree{level + 1} }} }}" if level < levels
                  else "")
        parts.append(f"fragment Tree{level} on Tree {{ entries {{ ...Entry{deeper} }} }}")
    return " ".join(parts)


def _variables(asks: list[Ask]) -> tuple[str, dict[str, Any]]:
    decl = ", ".join(f"$o{i}: String!, $n{i}: String!" for i in range(len(asks)))
    values: dict[str, Any] = {}
    for i, ask in enumerate(asks):
        values[f"o{i}"] = ask.owner
        values[f"n{i}"] = ask.name
    return decl, values


def _repo(i: int, body: str) -> str:
    return f"r{i}: repository(owner: $o{i}, name: $n{i}, followRenames: true) {{ {body} }}"


def first_query(asks: list[Ask], levels: int = TREE_LEVELS) -> tuple[str, dict[str, Any]]:
    """Metadata, head, ``levels`` levels of the tree and the root manifests' texts."""
    decl, values = _variables(asks)
    manifests = " ".join(f'm{j}: object(expression: "HEAD:{name}") {{ ...Blob }}'
                         for j, name in enumerate(ROOT_MANIFESTS))
    first = ("fragment First on Repository { ...Meta defaultBranchRef { name target { oid"
             f" ... on Commit {{ tree {{ ...Tree1 }} }} }} }} {manifests} }}")
    fields = " ".join(_repo(i, "...First") for i in range(len(asks)))
    return (f"query Fetch({decl}) {{ {fields} {RATE} }} {first} {META} {BLOB}"
            f" {tree_fragments(levels)}", values)


def check_query(asks: list[Ask]) -> tuple[str, dict[str, Any]]:
    """The refresh check: metadata and the head oid only (100 repositories for 1 point)."""
    decl, values = _variables(asks)
    fields = " ".join(_repo(i, "...Meta defaultBranchRef { name target { oid } }")
                      for i in range(len(asks)))
    return f"query Check({decl}) {{ {fields} {RATE} }} {META}", values


def objects_query(asks: list[Ask], expressions: list[list[str]], selection: str,
                  fragments: str) -> tuple[str, dict[str, Any]]:
    """``object(expression:)`` fields under each repository: ``r{i} { x{j}: object ... }``."""
    decl, values = _variables(asks)
    extra = []
    fields = []
    for i, exprs in enumerate(expressions):
        objs = []
        for j, expr in enumerate(exprs):
            extra.append(f"$e{i}_{j}: String!")
            values[f"e{i}_{j}"] = expr
            objs.append(f"x{j}: object(expression: $e{i}_{j}) {{ {selection} }}")
        fields.append(_repo(i, " ".join(objs)))
    decl = ", ".join(p for p in (decl, ", ".join(extra)) if p)
    name = "Folders" if "Tree1" in selection else "Texts"
    return f"query {name}({decl}) {{ {' '.join(fields)} {RATE} }} {fragments}", values


def folders_query(asks: list[Ask], expressions: list[list[str]], levels: int = TREE_LEVELS
                  ) -> tuple[str, dict[str, Any]]:
    """Deeper folders, ``levels`` levels each, from ``<commit>:<path>`` expressions."""
    return objects_query(asks, expressions, "... on Tree { ...Tree1 }", tree_fragments(levels))


def texts_query(asks: list[Ask], expressions: list[list[str]]) -> tuple[str, dict[str, Any]]:
    """File texts from ``<commit>:<path>`` expressions."""
    return objects_query(asks, expressions, "...Blob", BLOB)


def first_depth(levels: int = TREE_LEVELS) -> int:
    """The first query's depth as GitHub counts fields: repository, defaultBranchRef, target,
    tree, then ``entries`` and ``object`` per level, the entry's fields last."""
    return 4 + 2 * levels


# -- answers -----------------------------------------------------------------------------------

def parse_meta(node: dict[str, Any]) -> RepoMeta | None:
    """REST's :class:`RepoMeta` from a repository node (None without id or name)."""
    rid = _int(node.get("databaseId"))
    full = _str(node.get("nameWithOwner"))
    if rid is None or full is None or full.count("/") != 1:
        return None
    ref = node.get("defaultBranchRef")
    lang = node.get("primaryLanguage")
    size = _int(node.get("diskUsage"))
    return RepoMeta(
        remote_id=str(rid), full_name=full,
        default_branch=_str(ref.get("name")) if isinstance(ref, dict) else None,
        created_at=iso(node.get("createdAt")), pushed_at=iso(node.get("pushedAt")),
        stars=_int(node.get("stargazerCount")), fork=_bool(node.get("isFork")),
        archived=_bool(node.get("isArchived")),
        language=_str(lang.get("name")) if isinstance(lang, dict) else None,
        size_kb=size, etag=None, empty=bool(node.get("isEmpty")),
    )


def head_of(node: dict[str, Any]) -> str | None:
    ref = node.get("defaultBranchRef")
    target = ref.get("target") if isinstance(ref, dict) else None
    oid = target.get("oid") if isinstance(target, dict) else None
    return oid if isinstance(oid, str) and len(oid) == 40 else None


def root_tree(node: dict[str, Any]) -> list[Any] | None:
    ref = node.get("defaultBranchRef")
    target = ref.get("target") if isinstance(ref, dict) else None
    tree = target.get("tree") if isinstance(target, dict) else None
    entries = tree.get("entries") if isinstance(tree, dict) else None
    return entries if isinstance(entries, list) else None


def parse_entries(items: list[Any] | None, levels: int, into: Listing, level: int = 1) -> None:
    """Nested ``entries`` into flat :class:`TreeEntry` rows (REST's shape: sizes for blobs)."""
    for item in items or ():
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        kind = item.get("type")
        if kind not in ("blob", "tree", "commit"):
            continue
        path = item["path"]
        size = _int(item.get("size")) if kind == "blob" else None
        into.entries.append(TreeEntry(path, kind, _str(item.get("oid")), size))
        if kind != "tree":
            continue
        obj = item.get("object")
        children = obj.get("entries") if isinstance(obj, dict) else None
        if level >= levels or not isinstance(children, list):
            into.frontier.append(path)
        else:
            parse_entries(children, levels, into, level + 1)


def blob_bytes(node: Any) -> bytes | None:
    """A blob's bytes when GitHub gave all of them as text, else None (take the raw host)."""
    if not isinstance(node, dict) or node.get("isBinary") or node.get("isTruncated"):
        return None
    text = node.get("text")
    return text.encode("utf-8") if isinstance(text, str) else None
