"""Reading a repository for the classifier: which files, in which order, within which budget.

The files come from the one path policy (:mod:`survey.core.file_policy`), the same that chose
what the fetch stage downloaded: skipped folders, symbolic links and kinds that say nothing are
left out here, for a checkout and a stored repository alike. Code is read most telling first
(entry points, model and training files, the packages the manifests name) until the budget of
files and bytes is spent, so thousands of config files that sort first never hide
``tools/train.py``. Only files the source has count: a file a stored tree lists but the fetcher
never downloaded is noted, not counted as unread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from analysis.classify.tally import Tally
from analysis.evidence import note
from analysis.sources import Entry, NotCode, RepoSource, Unreadable
from survey.core import file_policy
from survey.core.vocab import FileKind, ManifestKind, Place

MAX_CODE_BYTES = 1_000_000         # a .py, .lua, .jl, .m file or a manifest
MAX_NOTEBOOK_BYTES = 10_000_000    # notebooks carry their outputs (images)


@dataclass(frozen=True)
class Budget:
    """How much code one classification reads: Python files and notebooks together, most
    telling first, at most ``code_files`` of them and ``code_bytes`` bytes (sizes from the tree
    or the folder), at most ``notebooks`` notebooks; and ``other_files`` C/C++/Java files."""

    code_files: int = 3000
    code_bytes: int = 64_000_000
    notebooks: int = 300
    other_files: int = 200


DEFAULT_BUDGET = Budget()


@dataclass(frozen=True, slots=True)
class File:
    """A file the classifier may read: its kind (and manifest kind), place and size."""

    path: str
    kind: FileKind
    where: Place
    size: int | None
    available: bool
    manifest: ManifestKind | None = None


@dataclass
class Plan:
    """The repository's files by kind, in tree order (the reading loop orders them)."""

    by_kind: dict[FileKind, list[File]] = field(default_factory=dict)
    symlinks: list[str] = field(default_factory=list)

    def files(self, *kinds: FileKind) -> list[File]:
        return [f for kind in kinds for f in self.by_kind.get(kind, [])]


def plan(entries: Iterable[Entry]) -> Plan:
    """What the policy makes of each entry: skipped folders, virtual environments, submodules
    and symlinks out; every other file by kind."""
    entries = [e for e in entries if e.kind == "file"]
    venvs = file_policy.virtualenv_dirs(e.path for e in entries)
    out = Plan()
    for entry in entries:
        if file_policy.is_skipped(entry.path, venvs):
            continue
        if file_policy.is_symlink_mode(entry.mode):
            out.symlinks.append(entry.path)
            continue
        kind = file_policy.kind_of(entry.path)
        if kind is None:
            continue
        manifest = file_policy.manifest_kind(entry.path) if kind is FileKind.MANIFEST else None
        out.by_kind.setdefault(kind, []).append(File(
            entry.path, kind, file_policy.place(entry.path), entry.size, entry.available,
            manifest))
    return out


class Reader:
    """Decoded text of a file, or None with the reason noted. ``not_code`` collects the files
    that turned out not to be code (Git LFS pointers, symlink blobs): never counted as unread."""

    def __init__(self, source: RepoSource, tally: Tally) -> None:
        self.source = source
        self.tally = tally
        self.cache: dict[str, str | None] = {}
        self.not_code: set[str] = set()
        self.bytes_read = 0

    def text(self, path: str, limit: int, *, quiet: bool = False,
             keep: bool = False) -> str | None:
        """``keep`` caches the text (manifests, which ``-r`` includes may read again); code
        files are read once and not kept, so memory stays flat on large repositories."""
        if path in self.cache:
            return self.cache[path]
        try:
            data = self.source.read(path, limit)
        except NotCode as exc:
            self.not_code.add(path)
            self.tally.notes.append(note(path, str(exc)))
            self.cache[path] = None
            return None
        except Unreadable as exc:
            if not quiet and str(exc) != "not downloaded":
                self.tally.notes.append(note(path, str(exc)))
            self.cache[path] = None
            return None
        self.bytes_read += len(data)
        text = decode(data)
        if text is None:
            self.tally.notes.append(note(path, "binary content skipped"))
        elif "\ufffd" in text and b"\xef\xbf\xbd" not in data:
            self.tally.notes.append(note(path, "undecodable bytes replaced"))
        if keep:
            self.cache[path] = text
        return text

    def include(self, path: str) -> str | None:
        """A file a manifest includes (``-r other.txt``): read quietly, kept."""
        return self.text(path, MAX_CODE_BYTES, quiet=True, keep=True)


_COOKIE = re.compile(rb"coding[:=]\s*([-\w.]+)")


def decode(data: bytes) -> str | None:
    """Text of a source file: UTF-8 (BOM allowed), else a PEP 263 coding cookie, else UTF-8
    with replacement. None for binary data (NUL bytes)."""
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for line in data[:400].split(b"\n", 2)[:2]:
        match = _COOKIE.search(line)
        if match:
            try:
                return data.decode(match.group(1).decode("ascii"), errors="replace")
            except (LookupError, UnicodeDecodeError):
                break
    return data.decode("utf-8", errors="replace")
