"""Which files of a repository's tree are worth downloading for the classifier.

Rules (issue 3): every dependency manifest anywhere, then notebooks and Python files by
relevance up to the caps in :class:`~survey.core.settings.Settings` (40 Python files, 10 notebooks,
300 KB a file, 5 MB a repository). Relevance = shallow paths and names such as train/main/model/
run first; vendored trees (``third_party/``, ``vendor/``, ...) last. When the Python budget is not
used up, a few source files of other languages (Lua, Julia, MATLAB, prototxt, C++) fill it, so a
Torch7 or Caffe repository still shows the classifier some content. The whole tree is stored
anyway; this only decides which bytes are fetched.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from survey.core.settings import Settings

VENDORED_DIRS = frozenset(
    {"third_party", "third-party", "thirdparty", "external", "externals", "vendor", "vendors",
     "site-packages", "node_modules", "dist-packages", "_vendor", "extern", "deps"}
)
# Names (stem, lower case) that usually hold the heart of a research code base.
_RELEVANT = re.compile(
    r"(^|[_\-.])(train|training|main|model|models|run|network|net|nets|solver|trainer|"
    r"inference|infer|eval|evaluate|test_model|demo|finetune|pretrain|engine|layers?|"
    r"modules?|loss|losses|optim|experiment)([_\-.0-9]|$)"
)
_OTHER_CODE_EXT = frozenset({".lua", ".jl", ".m", ".prototxt", ".cpp", ".cc", ".cu", ".scala"})
_MANIFEST_NAMES = frozenset({"setup.py", "setup.cfg", "pyproject.toml", "pipfile", "meta.yaml"})


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a repository tree as the hosts list it (size is None when unknown)."""

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


def is_vendored(path: str) -> bool:
    """True for paths inside a vendored or bundled third-party tree."""
    return any(part.lower() in VENDORED_DIRS for part in path.split("/")[:-1])


def is_manifest(path: str) -> bool:
    """Dependency manifests: requirements, conda environments, setup files, Dockerfiles."""
    parts = path.split("/")
    name = parts[-1].lower()
    if name in _MANIFEST_NAMES:
        return True
    if name.startswith("requirements") and name.endswith(".txt"):
        return True
    if len(parts) >= 2 and parts[-2].lower() == "requirements" and name.endswith(".txt"):
        return True
    if name.startswith("environment") and name.endswith((".yml", ".yaml")):
        return True
    return name.startswith("dockerfile") or name.endswith(".dockerfile")


def role_of(path: str) -> str | None:
    """The role a downloadable file would have, or None when it is not a candidate."""
    if is_manifest(path):
        return "manifest"
    lower = path.lower()
    if lower.endswith(".py"):
        return "python"
    if lower.endswith(".ipynb"):
        return "notebook"
    if posixpath.splitext(lower)[1] in _OTHER_CODE_EXT:
        return "other"
    return None


def relevance_key(path: str) -> tuple[int, int, int, str]:
    """Sort key: vendored last, then shallow and relevant names first, then path for stability."""
    parts = path.split("/")
    stem = posixpath.splitext(parts[-1].lower())[0]
    bonus = 2 if _RELEVANT.search(stem) else 0
    # Tests, docs and examples rarely show more than the main code does.
    penalty = 2 if any(p.lower() in {"test", "tests", "docs", "doc"} for p in parts[:-1]) else 0
    return (int(is_vendored(path)), len(parts) - bonus + penalty, len(path), path)


def select_files(entries: Iterable[TreeEntry], settings: Settings) -> list[Selected]:
    """Choose the files to download, in download priority order, within the caps."""
    by_role: dict[str, list[TreeEntry]] = {"manifest": [], "python": [], "notebook": [],
                                           "other": []}
    for entry in entries:
        if entry.type != "blob" or not entry.sha or entry.size == 0:
            continue
        if entry.size is not None and entry.size > settings.max_file_bytes:
            continue
        if _unsafe(entry.path):
            continue
        role = role_of(entry.path)
        if role is not None:
            by_role[role].append(entry)
    for items in by_role.values():
        items.sort(key=lambda e: relevance_key(e.path))

    chosen: list[Selected] = []
    budget = settings.max_repo_bytes

    def take(entry: TreeEntry, role: str) -> bool:
        nonlocal budget
        size = entry.size or 0
        if size > budget:
            return False
        budget -= size
        chosen.append(Selected(entry.path, entry.sha or "", entry.size, role))
        return True

    for entry in by_role["manifest"]:
        take(entry, "manifest")
    python_left = settings.max_python_files
    notebooks_left = settings.max_notebooks
    # Interleave Python and notebooks by relevance so neither starves the byte budget.
    merged = sorted(by_role["python"] + by_role["notebook"], key=lambda e: relevance_key(e.path))
    for entry in merged:
        is_nb = entry.path.lower().endswith(".ipynb")
        if is_nb and notebooks_left > 0:
            notebooks_left -= take(entry, "notebook")
        elif not is_nb and python_left > 0:
            python_left -= take(entry, "python")
    for entry in by_role["other"]:
        if python_left <= 0:
            break
        python_left -= take(entry, "other")
    return chosen


def _unsafe(path: str) -> bool:
    """Paths we never turn into a URL: absolute, parent references, control characters."""
    if not path or path.startswith("/") or "\\" in path:
        return True
    if any(part in ("", ".", "..") for part in path.split("/")):
        return True
    return any(ord(c) < 32 for c in path)
