"""Which files of a repository's tree the fetch stage downloads for the classifier.

What matters, where, and in which order comes from the one path policy
(:mod:`survey.core.file_policy`), which the classifier follows too: every manifest the
classifier reads, Python files and notebooks, and the code of other languages it reads. Only
the fetch's own choices live here: the caps of :class:`~survey.core.settings.Settings` (40 Python
files, 10 notebooks, 300 KB a file, 5 MB a repository), filled in the policy's most-telling-first
order, manifests first; other-language files fill what the Python cap leaves. Symbolic links
(mode ``120000``), submodules, empty files and paths unsafe in a URL are never downloaded. The
whole tree is stored anyway; this only decides which bytes are fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from survey.core import file_policy
from survey.core.file_policy import is_vendored, telling_key
from survey.core.settings import Settings
from survey.core.vocab import FileKind, FileRole

# `is_vendored` is the policy's; re-exported here for crawler/github.py's tree walk, which
# imports it from this module.
__all__ = ["Selected", "TreeEntry", "is_manifest", "is_vendored", "relevance_key", "role_of",
           "select_files"]


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a repository tree as the hosts list it (size is None when unknown).

    ``mode`` is git's file mode as the host gives it (``100644``, ``100755``, ``120000`` for a
    symbolic link, ``160000`` for a submodule), None when the client did not pass it.
    """

    path: str
    type: str  # blob, tree, commit
    sha: str | None
    size: int | None
    mode: str | None = None


@dataclass(frozen=True)
class Selected:
    path: str
    sha: str
    size: int | None
    role: str  # manifest, python, notebook, other


def is_manifest(path: str) -> bool:
    """Dependency manifests (every kind the classifier reads), by the policy."""
    return file_policy.manifest_kind(path) is not None


def role_of(path: str) -> str | None:
    """The role a downloadable file would have, or None when it is not downloaded."""
    role = file_policy.role_of(file_policy.kind_of(path))
    return str(role) if role is not None else None


def relevance_key(path: str) -> tuple[int, int, int, str]:
    """Download order: the policy's most telling first (vendored and generated trees last)."""
    return telling_key(path)


def _candidate(entry: TreeEntry, settings: Settings, venvs: frozenset[str]) -> FileRole | None:
    if entry.type != "blob" or not entry.sha or entry.size == 0:
        return None
    if file_policy.is_symlink_mode(entry.mode):
        return None  # a link's blob is a path, not code
    if entry.size is not None and entry.size > settings.max_file_bytes:
        return None
    if _unsafe(entry.path) or file_policy.is_skipped(entry.path, venvs):
        return None
    return file_policy.role_of(file_policy.kind_of(entry.path))


def select_files(entries: Iterable[TreeEntry], settings: Settings) -> list[Selected]:
    """Choose the files to download, in download priority order, within the caps."""
    entries = list(entries)
    venvs = file_policy.virtualenv_dirs(e.path for e in entries if e.type == "blob")
    by_role: dict[FileRole, list[TreeEntry]] = {role: [] for role in FileRole}
    for entry in entries:
        role = _candidate(entry, settings, venvs)
        if role is not None:
            by_role[role].append(entry)
    chosen: list[Selected] = []
    budget = [settings.max_repo_bytes]

    def take(entry: TreeEntry, role: FileRole) -> bool:
        size = entry.size or 0
        if size > budget[0]:
            return False
        budget[0] -= size
        chosen.append(Selected(entry.path, entry.sha or "", entry.size, str(role)))
        return True

    for entry in sorted(by_role[FileRole.MANIFEST], key=lambda e: telling_key(e.path)):
        take(entry, FileRole.MANIFEST)
    left = {FileRole.PYTHON: settings.max_python_files, FileRole.NOTEBOOK: settings.max_notebooks}
    # Python and notebooks interleaved by relevance so neither starves the byte budget.
    code = sorted(by_role[FileRole.PYTHON] + by_role[FileRole.NOTEBOOK],
                  key=lambda e: telling_key(e.path))
    for entry in code:
        role = FileRole.NOTEBOOK if file_policy.kind_of(entry.path) is FileKind.NOTEBOOK \
            else FileRole.PYTHON
        if left[role] > 0:
            left[role] -= take(entry, role)
    for entry in sorted(by_role[FileRole.OTHER], key=lambda e: telling_key(e.path)):
        if left[FileRole.PYTHON] <= 0:
            break
        left[FileRole.PYTHON] -= take(entry, FileRole.OTHER)
    return chosen


def _unsafe(path: str) -> bool:
    """Paths we never turn into a URL: absolute, parent references, control characters."""
    if not path or path.startswith("/") or "\\" in path:
        return True
    if any(part in ("", ".", "..") for part in path.split("/")):
        return True
    return any(ord(c) < 32 for c in path)
