"""The vocabulary every layer spells the same way: statuses, outcomes, roles, labels.

Each is a ``StrEnum``, so a member compares equal to the string stored in the database
(``RepoStatus.OK == "ok"``) and the CHECK constraints of the migrations name the same values.
"""

from __future__ import annotations

from enum import StrEnum


class RepoStatus(StrEnum):
    """What the fetch stage knows of a repository (``repos.status``)."""

    PENDING = "pending"          # linked, never fetched
    OK = "ok"                    # tree and selected files stored
    TRUNCATED = "truncated"      # stored, but the host's tree was cut (walked within caps)
    MISSING = "missing"          # 404: deleted, private or a wrong name
    BLOCKED = "blocked"          # 451 DMCA, or disabled for terms of service
    EMPTY = "empty"              # no commits
    ERROR = "error"              # failed after retries; asked again by the next run
    NOT_FETCHED = "not_fetched"  # a host or kind survey does not fetch


# Statuses whose stored data is complete: a refresh may stop at a 304 or an unchanged head.
COMPLETE_STATUSES = frozenset({RepoStatus.OK, RepoStatus.TRUNCATED, RepoStatus.EMPTY})
# Statuses a refresh re-checks when they are due.
KNOWN_STATUSES = frozenset({*COMPLETE_STATUSES, RepoStatus.MISSING, RepoStatus.BLOCKED})
# Statuses whose stored files the classifier can read.
READABLE_STATUSES = frozenset({RepoStatus.OK, RepoStatus.TRUNCATED})
# Statuses meaning "the fetch stage got its files" (coverage figures).
FETCHED_STATUSES = frozenset({RepoStatus.OK, RepoStatus.TRUNCATED, RepoStatus.EMPTY})


class RunOutcome(StrEnum):
    """How a recorded run ended (``runs.outcome``)."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class WindowStatus(StrEnum):
    """A harvest window's state (``harvest_windows.status``)."""

    COMPLETE = "complete"
    SHORT = "short"
    SPLIT = "split"


class FileRole(StrEnum):
    """Why a file was downloaded (``repo_files.role``); ``file_policy.role_of`` maps kinds."""

    MANIFEST = "manifest"
    PYTHON = "python"
    NOTEBOOK = "notebook"
    OTHER = "other"


class FileKind(StrEnum):
    """What a file of a repository is to the classifier (``survey.core.file_policy``)."""

    MANIFEST = "manifest"      # declares dependencies (see ManifestKind)
    PYTHON = "python"
    NOTEBOOK = "notebook"
    LUA = "lua"                # Torch7
    JULIA = "julia"            # Flux, Knet
    MATLAB = "matlab"          # Deep Learning Toolbox, MatConvNet
    CPP = "cpp"                # C, C++, CUDA: framework headers (extensions, libtorch)
    JAVA = "java"              # DL4J, TensorFlow Java, PyTorch Android
    PROTOTXT = "prototxt"      # a Caffe network definition: telling by its name alone
    OTHER_CODE = "other-code"  # code in another language: counted, never read


class ManifestKind(StrEnum):
    """Which reader a manifest needs."""

    REQUIREMENTS = "requirements"   # pip: requirements*.txt, requirements/*.txt, *.in, requires.txt
    SETUP_PY = "setup.py"
    SETUP_CFG = "setup.cfg"
    PYPROJECT = "pyproject"
    PIPFILE = "pipfile"
    CONDA_RECIPE = "meta.yaml"      # conda-build meta.yaml / meta.yml
    CONDA_ENV = "environment"       # environment*.yml, env*.yaml, conda*.yml
    DOCKERFILE = "dockerfile"
    JVM_BUILD = "jvm-build"         # pom.xml, build.gradle(.kts), build.sbt
    KERAS_CONFIG = "keras-config"   # keras.json: Keras's backend


class Place(StrEnum):
    """Where a file sits in a repository, which sets how much it says about the repository."""

    MAIN = "main"
    EXAMPLES = "examples"     # examples, demos, tutorials, notebooks, benchmarks, legacy...
    TESTS = "tests"
    DOCS = "docs"
    VENDORED = "vendored"     # third-party code copied in (third_party/, vendor/, ...)
    GENERATED = "generated"   # build output (build/, dist/, _build/)


class Label(StrEnum):
    """A repository's framework label (DESIGN.md)."""

    PYTORCH = "pytorch"
    TENSORFLOW = "tensorflow"
    JAX = "jax"
    OTHER = "other"
    NONE = "none"
    UNKNOWN = "unknown"


# The labels in their fixed order (ties, tables, colours).
LABELS: tuple[Label, ...] = tuple(Label)
# The labels of a classified repository (unknown excluded).
KNOWN_LABELS: tuple[Label, ...] = (Label.PYTORCH, Label.TENSORFLOW, Label.JAX, Label.OTHER,
                                   Label.NONE)
# The labels of deep-learning code.
DL_LABELS: tuple[Label, ...] = (Label.PYTORCH, Label.TENSORFLOW, Label.JAX, Label.OTHER)


class LinkKind(StrEnum):
    """What a link points at. The first eight are repositories; the rest are pages."""

    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"
    CODEBERG = "codeberg"
    HF_MODEL = "hf-model"
    HF_DATASET = "hf-dataset"
    HF_SPACE = "hf-space"
    OTHER_FORGE = "other-forge"    # gitee, sourceforge, gists, GitHub Enterprise, git.* hosts
    PROJECT_PAGE = "project-page"  # owner.github.io[/project], owner.gitlab.io[/project]
    ORG_PAGE = "org-page"          # github.com/org, huggingface.co/org, gitlab.com/group
    OTHER_PAGE = "other-page"      # shorteners (git.io, bit.ly, aka.ms), docs (readthedocs)


# Repositories: registered, fetched when their host is supported, exported in ``repo``.
REPOSITORY_KINDS = frozenset({LinkKind.GITHUB, LinkKind.GITLAB, LinkKind.BITBUCKET,
                              LinkKind.CODEBERG, LinkKind.HF_MODEL, LinkKind.HF_DATASET,
                              LinkKind.HF_SPACE, LinkKind.OTHER_FORGE})
KINDS = frozenset(LinkKind)
# Repositories that hold weights or data, not code: never counted in the framework shares.
NOT_CODE_KINDS = frozenset({LinkKind.HF_MODEL, LinkKind.HF_DATASET})
# Pages (project, organisation, shortener, docs): kept with their kind, never a repository.
PAGE_KINDS = KINDS - REPOSITORY_KINDS


class LinkSource(StrEnum):
    """Where a paper's link was found."""

    ABSTRACT = "abstract"
    COMMENT = "comment"
    PWC = "pwc"
    HF = "hf"
