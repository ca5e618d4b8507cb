"""Which files of a repository matter to the survey, and why: the one path policy.

The fetch stage (``crawler/selection.py``: which bytes to download) and the classifier
(``analysis/classify``: which files to read, and how much each says) both ask this module, so a
crawled repository and ``survey classify`` on the same checkout see the same files:

- **kinds** (:func:`kind_of`): dependency manifests by kind (:func:`manifest_kind`), Python,
  notebooks, code in other languages the classifier reads (Lua, Julia, MATLAB, C/C++/CUDA,
  Java), files telling by their name alone (Caffe ``.prototxt``), and other code that is only
  counted. Anything else (data, images, configs, docs) says nothing about a framework.
- **places** (:func:`place`): main code, examples, tests, docs, vendored third-party trees and
  generated build output, by folder and file names.
- **never code**: folders of tools' state (``.git``, caches, ``node_modules``, virtual
  environments), symbolic links (git mode ``120000``: a link's blob is a path, not source) and
  Git LFS pointers (a three-line stand-in for a large file).
- **the order in which files are most telling** (:func:`telling_key`): entry points, then model
  and training files and packages the manifests name, then other main code, then configs and
  examples, tests, docs, and vendored or generated trees last.

It imports nothing of the project but ``survey.core``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from survey.core.vocab import FileKind, FileRole, ManifestKind, Place

# git tree entry modes (GitHub and GitLab trees give them as these strings).
SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"

# Tools' state and package installs: never the repository's own content, and often huge.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".ipynb_checkpoints", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".eggs", ".idea", ".vscode", "node_modules",
    "bower_components",
})
# A folder holding this file is a virtual environment (site-packages and all): skipped too.
VIRTUALENV_MARKER = "pyvenv.cfg"
# Third-party code copied into the repository.
VENDORED_DIRS = frozenset({
    "third_party", "thirdparty", "third-party", "3rdparty", "3rd_party", "3rd-party", "external",
    "externals", "extern", "vendor", "vendors", "vendored", "_vendor", "site-packages",
    "dist-packages", "deps", "submodules", "node_modules", "bower_components",
})
# Build output: copies of the code (``build/lib/pkg``) or rendered docs (``_build``).
GENERATED_TOP_DIRS = frozenset({"build", "dist"})
GENERATED_DIRS = frozenset({"_build"})
DOCS_DIRS = frozenset({"doc", "docs", "documentation", "sphinx", "website", "binder", "site"})
TESTS_DIRS = frozenset({"test", "tests", "testing", "unittest", "unittests", "unit_tests"})
_EXAMPLES_DIR = re.compile(r"^(examples?|demos?|tutorials?|notebooks?|samples?|benchmarks?|bench|"
                           r"playground|sandbox|colabs?|misc|deprecated|legacy|archived?|old)"
                           r"([_\-].*)?$")
# Folders of configuration files (mmdetection-style ``configs/**.py``): main code, least telling.
CONFIG_DIRS = frozenset({"config", "configs", "cfg", "cfgs", "conf", "settings", "options"})
# Model and training files (by any part of the path): they count more, and are read first.
_MODEL_FILE = re.compile(r"(^|[_\-./])(models?|modeling|net|nets|networks?|layers?|modules?|"
                         r"train|trainer|training|losses?|arch|backbones?|agents?|nn)($|[_\-./])")
# Other names that usually hold the heart of a research code base.
_TELLING_STEM = re.compile(
    r"(^|[_\-.])(train|training|main|model|models|run|network|net|nets|solver|trainer|"
    r"inference|infer|eval|evaluate|test_model|demo|finetune|pretrain|engine|layers?|"
    r"modules?|loss|losses|optim|experiment)([_\-.0-9]|$)")
# Entry points: scripts a reader would run first.
_ENTRY_STEM = re.compile(r"^(train|main|run|demo|eval|evaluate|inference|infer|test|finetune|"
                         r"pretrain|predict|app|__main__)([_\-.0-9].*)?$")

_PYTHON = frozenset({".py", ".pyw"})
_CPP = frozenset({".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".hh", ".cu", ".cuh"})
_READ_BY_SUFFIX = {".ipynb": FileKind.NOTEBOOK, ".lua": FileKind.LUA, ".jl": FileKind.JULIA,
                   ".m": FileKind.MATLAB, ".java": FileKind.JAVA,
                   ".prototxt": FileKind.PROTOTXT, **{s: FileKind.PYTHON for s in _PYTHON},
                   **{s: FileKind.CPP for s in _CPP}}
_OTHER_CODE = frozenset({".r", ".scala", ".go", ".rs", ".f90", ".f", ".cs", ".kt", ".swift", ".js",
                         ".ts", ".pyx", ".sh", ".rb", ".pl"})
_NOT_DOCKERFILE = (".py", ".ipynb", ".md", ".rst", ".txt", ".sh", ".json", ".yml", ".yaml",
                   ".toml", ".cfg", ".lock", ".html", ".png", ".jpg")
_JVM_BUILD = frozenset({"pom.xml", "build.gradle", "build.gradle.kts", "build.sbt"})
_FIXED_MANIFESTS = {"setup.py": ManifestKind.SETUP_PY, "setup.cfg": ManifestKind.SETUP_CFG,
                    "pyproject.toml": ManifestKind.PYPROJECT, "pipfile": ManifestKind.PIPFILE,
                    "meta.yaml": ManifestKind.CONDA_RECIPE, "meta.yml": ManifestKind.CONDA_RECIPE,
                    "keras.json": ManifestKind.KERAS_CONFIG,
                    **{name: ManifestKind.JVM_BUILD for name in _JVM_BUILD}}
# Roles of downloaded files (``repo_files.role``). Other code is only counted, never fetched;
# a ``.prototxt`` counts by its name but is small and kept, so a stored copy shows the network.
_ROLES = {FileKind.MANIFEST: FileRole.MANIFEST, FileKind.PYTHON: FileRole.PYTHON,
          FileKind.NOTEBOOK: FileRole.NOTEBOOK, FileKind.LUA: FileRole.OTHER,
          FileKind.JULIA: FileRole.OTHER, FileKind.MATLAB: FileRole.OTHER,
          FileKind.CPP: FileRole.OTHER, FileKind.JAVA: FileRole.OTHER,
          FileKind.PROTOTXT: FileRole.OTHER}

# Git LFS pointer files (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md): under 1024
# bytes, starting with the spec's version line (``hawser`` is its pre-release name).
LFS_MAX_POINTER_BYTES = 1024
_LFS_VERSION = (b"version https://git-lfs.github.com/spec/",
                b"version https://hawser.github.com/spec/")
# What a symlink's blob holds: one path, no newline (for stored rows that carry no mode).
_LINK_TARGET = re.compile(rb"[\w.\-/@+~]+")


# --- never code ------------------------------------------------------------------------------

def is_symlink_mode(mode: str | None) -> bool:
    """True for a tree entry whose git mode says symbolic link (``120000``)."""
    return mode is not None and mode.strip().lstrip("0") == SYMLINK_MODE.lstrip("0")


def is_lfs_pointer(data: bytes) -> bool:
    """True for a Git LFS pointer: the stand-in git stores instead of a large file."""
    return len(data) < LFS_MAX_POINTER_BYTES and data.startswith(_LFS_VERSION)


def looks_like_link_target(data: bytes) -> bool:
    """True for bytes that can only be a symlink's blob: one relative path, no newline. For
    stored files whose tree entry carried no mode (fetched before modes were recorded)."""
    if not data or len(data) > 4096 or not _LINK_TARGET.fullmatch(data):
        return False
    return b"/" in data or re.search(rb"\.[A-Za-z]\w*$", data) is not None


def _dirs(path: str) -> list[str]:
    return path.lower().split("/")[:-1]


def is_skipped(path: str, virtualenvs: frozenset[str] = frozenset()) -> bool:
    """True for a path inside tools' state (``.git``, caches, ``node_modules``) or inside one of
    ``virtualenvs`` (folders holding ``pyvenv.cfg``, see :func:`virtualenv_dirs`)."""
    parts = path.split("/")[:-1]
    if any(part.lower() in SKIPPED_DIRS for part in parts):
        return True
    if virtualenvs:
        return any("/".join(parts[:i]) in virtualenvs for i in range(1, len(parts) + 1))
    return False


def virtualenv_dirs(paths: Iterable[str]) -> frozenset[str]:
    """Folders of a tree that are virtual environments (they hold ``pyvenv.cfg``)."""
    return frozenset(posixpath.dirname(p) for p in paths
                     if p.rsplit("/", 1)[-1] == VIRTUALENV_MARKER and "/" in p)


def is_vendored(path: str) -> bool:
    """True for paths inside a vendored (bundled third-party) tree."""
    return any(part in VENDORED_DIRS for part in _dirs(path))


# --- places and kinds ------------------------------------------------------------------------

def _is_generated(dirs: list[str]) -> bool:
    return bool(dirs) and (dirs[0] in GENERATED_TOP_DIRS or any(d in GENERATED_DIRS for d in dirs))


def _is_test(dirs: list[str], name: str) -> bool:
    return (any(d in TESTS_DIRS or d.startswith("test_") for d in dirs)
            or name.startswith("test_") or name.endswith(("_test.py", "_tests.py"))
            or name in ("conftest.py", "tests.py"))


def place(path: str) -> Place:
    """Where a file is: main, examples, tests, docs, vendored or generated."""
    parts = path.lower().split("/")
    dirs, name = parts[:-1], parts[-1]
    if any(d in VENDORED_DIRS for d in dirs):
        return Place.VENDORED
    if _is_generated(dirs):
        return Place.GENERATED
    if any(d in DOCS_DIRS for d in dirs):
        return Place.DOCS
    if _is_test(dirs, name):
        return Place.TESTS
    if any(_EXAMPLES_DIR.match(d) for d in dirs):
        return Place.EXAMPLES
    return Place.MAIN


def _is_requirements(path: str, low: str) -> bool:
    if low.endswith(".txt") and ("requirement" in low or low in ("requires.txt", "reqs.txt")):
        return True
    if low.endswith(".txt") and "/requirements/" in f"/{path.lower()}":
        return True
    return low.startswith("requirements") and low.endswith(".in")


def _is_dockerfile(low: str) -> bool:
    if low == "dockerfile" or low.endswith(".dockerfile"):
        return True
    return re.fullmatch(r"dockerfile[._\-][\w.\-]*", low) is not None and \
        not low.endswith(_NOT_DOCKERFILE)


def manifest_kind(path: str) -> ManifestKind | None:
    """Which reader a manifest needs, from its name (None: not a manifest)."""
    low = path.rsplit("/", 1)[-1].lower()
    fixed = _FIXED_MANIFESTS.get(low)
    if fixed is not None:
        return fixed
    if _is_requirements(path, low):
        return ManifestKind.REQUIREMENTS
    if low.endswith((".yml", ".yaml")) and low.startswith(("environment", "env", "conda")):
        return ManifestKind.CONDA_ENV
    if _is_dockerfile(low):
        return ManifestKind.DOCKERFILE
    return None


def kind_of(path: str) -> FileKind | None:
    """What ``path`` is to the classifier, or None when its kind says nothing (data, docs...)."""
    if manifest_kind(path) is not None:
        return FileKind.MANIFEST
    name = path.rsplit("/", 1)[-1].lower()
    suffix = posixpath.splitext(name)[1]
    kind = _READ_BY_SUFFIX.get(suffix)
    if kind is FileKind.PYTHON and name == "conf.py" and place(path) is Place.DOCS:
        return None  # Sphinx's configuration, not the repository's code
    if kind is not None:
        return kind
    return FileKind.OTHER_CODE if suffix in _OTHER_CODE else None


def role_of(kind: FileKind | None) -> FileRole | None:
    """The role of a file of ``kind`` when downloaded; None for kinds never downloaded (other
    code is only counted, from its name)."""
    return _ROLES.get(kind) if kind is not None else None


def is_model_file(path: str) -> bool:
    """A model or training file by its path (``models/``, ``net.py``, ``train_*.py``...)."""
    return _MODEL_FILE.search(path.lower()) is not None


# --- the order in which files are most telling -----------------------------------------------

_PLACE_RANK = {Place.EXAMPLES: 3, Place.TESTS: 4, Place.DOCS: 5, Place.VENDORED: 6,
               Place.GENERATED: 6}


def _in_package(dirs: list[str], packages: frozenset[str]) -> bool:
    if not dirs or not packages:
        return False
    top = dirs[1] if dirs[0] in ("src", "lib") and len(dirs) > 1 else dirs[0]
    return top.replace("-", "_") in packages


def telling_rank(path: str, packages: frozenset[str] = frozenset()) -> int:
    """0 entry points (``train.py``, ``tools/train.py``), 1 model and training files and files
    of the packages the manifests name, 2 other main code, 3 configs and examples, 4 tests,
    5 docs, 6 vendored and generated trees."""
    where = place(path)
    if where is not Place.MAIN:
        return _PLACE_RANK[where]
    parts = path.lower().split("/")
    dirs, stem = parts[:-1], posixpath.splitext(parts[-1])[0]
    if any(d in CONFIG_DIRS for d in dirs):
        return 3
    if _ENTRY_STEM.match(stem) and len(dirs) <= 1:
        return 0
    if is_model_file(path) or _TELLING_STEM.search(stem) or _in_package(dirs, packages):
        return 1
    return 2


def telling_key(path: str, packages: frozenset[str] = frozenset()) -> tuple[int, int, int, str]:
    """Sort key, most telling first: rank, then shallow paths, then short ones, then the path
    itself so the order never depends on the order the host listed the tree in."""
    return (telling_rank(path, packages), path.count("/"), len(path), path)
