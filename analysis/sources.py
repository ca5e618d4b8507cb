"""A repository as a list of files, wherever it lives: a local folder or the database.

The classifier only sees this interface, so ``survey classify PATH`` and the reclassification of
stored repositories run the very same code, and the one path policy
(:mod:`survey.core.file_policy`) decides for both which files matter. Neither source executes
anything, and neither gives a symbolic link or a Git LFS pointer as code: a local folder is
walked without following symlinks (a link inside the folder is listed with git's symlink mode
and never read; one pointing outside, or to a folder, is only noted), and a stored file whose
bytes are an LFS pointer or a link's target path is refused as :class:`NotCode`. Files over the
size cap are not read, and all of these facts become notes in the evidence. A stored repository
lists its whole tree (``tree_entries``) but has only the files the fetcher downloaded
(``repo_files`` + ``blobs``): the others are listed with ``available=False``.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from analysis.evidence import Evidence, note
from survey.core import file_policy
from survey.core.errors import InputError
from survey.store import classifications as stored

# Directories that are never the repository's code and can be huge (the policy's).
SKIP_DIRS = file_policy.SKIPPED_DIRS
MAX_ENTRIES = 200_000


@dataclass(frozen=True, slots=True)
class Entry:
    """One path of a repository. ``mode`` is git's (``120000``: a symlink), None when unknown;
    ``available`` is False for a file the source lists but cannot give (not downloaded)."""

    path: str                 # relative, '/' separated
    size: int | None
    kind: str = "file"        # file, submodule
    mode: str | None = None
    available: bool = True


class Unreadable(Exception):
    """A file the source cannot give (too large, not downloaded, permission...)."""


class NotCode(Unreadable):
    """A file that is there but is no source code: a Git LFS pointer, a symlink's blob."""


def refuse_not_code(data: bytes) -> bytes:
    """``data``, unless it is a Git LFS pointer (:class:`NotCode`)."""
    if file_policy.is_lfs_pointer(data):
        raise NotCode("Git LFS pointer: not code, not read")
    return data


class RepoSource(Protocol):
    """What the classifier needs from a repository."""

    label: str

    def entries(self) -> list[Entry]:
        """Every file path of the repository (not only the readable ones)."""
        ...

    def read(self, path: str, limit: int) -> bytes:
        """The bytes of ``path``; raises :class:`Unreadable` (with the reason) otherwise."""
        ...

    def notes(self) -> list[Evidence]:
        """Remarks about the walk itself (symlinks not followed, unreadable folders...)."""
        ...


@dataclass
class LocalSource:
    """A folder on disk (a checkout, an unpacked archive, anything)."""

    root: Path
    max_entries: int = MAX_ENTRIES
    label: str = ""
    _entries: list[Entry] | None = field(default=None, repr=False)
    _notes: list[Evidence] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.label = self.label or str(self.root)
        try:
            st = os.stat(self.root)
        except FileNotFoundError:
            raise InputError(f"{self.label}: no such file or directory") from None
        except OSError as exc:
            raise InputError(f"{self.label}: cannot access: {exc.strerror}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(f"{self.label}: not a directory")
        try:
            with os.scandir(self.root):
                pass
        except OSError as exc:
            raise InputError(f"{self.label}: cannot read directory: {exc.strerror}") from None
        self._real_root = os.path.realpath(self.root)
        self._known: set[str] = set()

    def entries(self) -> list[Entry]:
        if self._entries is None:
            self._entries = self._walk()
            self._known = {e.path for e in self._entries}
        return self._entries

    def _walk(self) -> list[Entry]:
        found: list[Entry] = []
        stack = [""]
        while stack:
            rel = stack.pop()
            folder = os.path.join(self.root, rel) if rel else str(self.root)
            try:
                with os.scandir(folder) as it:
                    children = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self._notes.append(note(rel or ".", f"folder not readable: {exc.strerror}"))
                continue
            for child in children:
                path = f"{rel}/{child.name}" if rel else child.name
                try:
                    if child.is_symlink():
                        self._symlink(child, path, found)
                    elif child.is_dir(follow_symlinks=False):
                        if child.name.lower() in SKIP_DIRS:
                            continue
                        if os.path.exists(os.path.join(child.path, "pyvenv.cfg")):
                            self._notes.append(note(path, "virtual environment folder skipped"))
                            continue
                        stack.append(path)
                    elif child.is_file(follow_symlinks=False):
                        found.append(Entry(path, child.stat(follow_symlinks=False).st_size))
                except OSError as exc:
                    self._notes.append(note(path, f"not readable: {exc.strerror}"))
                if len(found) >= self.max_entries:
                    self._notes.append(note(None, f"walk stopped at {self.max_entries} files"))
                    return found
        return found

    def _symlink(self, child: os.DirEntry[str], path: str, found: list[Entry]) -> None:
        """A link is never read (its target is read where it lies): listed with git's symlink
        mode, so the classifier says so; one leaving PATH or naming a folder is only noted."""
        target = os.path.realpath(child.path)
        inside = target == self._real_root or target.startswith(self._real_root + os.sep)
        if not inside:
            self._notes.append(note(path, "symlink pointing outside PATH not followed"))
        elif os.path.isdir(target):
            self._notes.append(note(path, "symlinked folder not followed"))
        else:
            found.append(Entry(path, None, mode=file_policy.SYMLINK_MODE))

    def read(self, path: str, limit: int) -> bytes:
        full = os.path.join(self.root, path)
        if path not in self._known:
            # Not found by the walk (a `-r` include, say): it may cross a symlinked folder.
            real = os.path.realpath(full)
            if not real.startswith(self._real_root + os.sep):
                raise Unreadable("outside PATH: not read")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(full, flags)
        except OSError as exc:
            raise Unreadable(f"not readable: {exc.strerror}") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Unreadable("not a regular file")
            if st.st_size > limit:
                raise Unreadable(f"skipped: {st.st_size:,} bytes, over the {limit:,}-byte cap")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise Unreadable(f"not readable: {exc.strerror}") from None
        finally:
            os.close(fd)
        if len(data) > limit:
            raise Unreadable(f"skipped: over the {limit:,}-byte cap")
        return refuse_not_code(data)

    def notes(self) -> list[Evidence]:
        return list(self._notes)


@dataclass
class StoredSource:
    """A fetched repository: its tree from ``tree_entries``, its bytes from ``blobs``."""

    conn: sqlite3.Connection
    repo: str
    label: str = ""
    _files: dict[str, str] | None = field(default=None, repr=False)
    _notes: list[Evidence] = field(default_factory=list, repr=False)
    _empty: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.label = self.label or self.repo

    def entries(self) -> list[Entry]:
        """The whole stored tree; a file is available when it was downloaded, or is empty (an
        empty file is known from the tree, and was never worth a download)."""
        selected = self._selected()
        entries = [Entry(path, size, "submodule" if kind == "commit" else "file", mode,
                         available=path in selected or size == 0)
                   for path, kind, size, mode in stored.tree(self.conn, self.repo)]
        self._empty = {e.path for e in entries if e.size == 0 and e.path not in selected}
        known = {e.path for e in entries}
        for path in selected:
            if path not in known:  # selected files are files even if the tree was not stored
                entries.append(Entry(path, None))
        return entries

    def _selected(self) -> dict[str, str]:
        if self._files is None:
            self._files = stored.selected_files(self.conn, self.repo)
        return self._files

    def read(self, path: str, limit: int) -> bytes:
        sha = self._selected().get(path)
        if sha is None:
            if path in self._empty:
                return b""
            raise Unreadable("not downloaded")
        try:
            data = stored.blob(self.conn, sha, limit)
        except stored.StoredContentError as exc:
            raise Unreadable(str(exc)) from None
        # Rows stored without the tree's mode may hold a symlink's blob: its target path.
        if file_policy.looks_like_link_target(data):
            raise NotCode("symbolic link (its blob is a path): not code, not read")
        return refuse_not_code(data)

    def notes(self) -> list[Evidence]:
        return list(self._notes)
