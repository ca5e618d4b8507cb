"""The one path policy: kinds, places, what is never code, and the most-telling-first order."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

import analysis.classifier  # noqa: F401 - registers the extractors
from analysis.classify.extractors import registered
from crawler import selection
from survey.core import file_policy
from survey.core.file_policy import (
    is_lfs_pointer,
    is_skipped,
    is_symlink_mode,
    is_vendored,
    kind_of,
    looks_like_link_target,
    manifest_kind,
    place,
    telling_key,
    virtualenv_dirs,
)
from survey.core.vocab import FileKind, FileRole, ManifestKind, Place

LFS = (b"version https://git-lfs.github.com/spec/v1\n"
       b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
       b"size 12345\n")


def test_manifests_by_kind() -> None:
    expected = {
        "requirements.txt": ManifestKind.REQUIREMENTS,
        "a/requirements-dev.txt": ManifestKind.REQUIREMENTS,
        "requirements/base.txt": ManifestKind.REQUIREMENTS,
        "requirements.in": ManifestKind.REQUIREMENTS,
        "pkg.egg-info/requires.txt": ManifestKind.REQUIREMENTS,
        "setup.py": ManifestKind.SETUP_PY,
        "setup.cfg": ManifestKind.SETUP_CFG,
        "pyproject.toml": ManifestKind.PYPROJECT,
        "Pipfile": ManifestKind.PIPFILE,
        "recipe/meta.yaml": ManifestKind.CONDA_RECIPE,
        "recipe/meta.yml": ManifestKind.CONDA_RECIPE,
        "environment-cpu.yaml": ManifestKind.CONDA_ENV,
        "conda.yml": ManifestKind.CONDA_ENV,
        "env.yaml": ManifestKind.CONDA_ENV,
        "Dockerfile": ManifestKind.DOCKERFILE,
        "docker/Dockerfile.gpu": ManifestKind.DOCKERFILE,
        "docker/Dockerfile-cuda11": ManifestKind.DOCKERFILE,
        "x/train.dockerfile": ManifestKind.DOCKERFILE,
        "pom.xml": ManifestKind.JVM_BUILD,
        "app/build.gradle": ManifestKind.JVM_BUILD,
        "build.sbt": ManifestKind.JVM_BUILD,
        "keras.json": ManifestKind.KERAS_CONFIG,
    }
    for path, kind in expected.items():
        assert manifest_kind(path) == kind, path
        assert kind_of(path) is FileKind.MANIFEST, path
    for path in ["config.yaml", "README.md", "dockerfile_utils.py", "Pipfile.lock",
                 "environment.py", "docs/req.md"]:
        assert manifest_kind(path) is None, path


def test_code_kinds() -> None:
    assert kind_of("train.py") is FileKind.PYTHON
    assert kind_of("gui.pyw") is FileKind.PYTHON
    assert kind_of("nb/a.ipynb") is FileKind.NOTEBOOK
    assert kind_of("model.lua") is FileKind.LUA
    assert kind_of("src/flux.jl") is FileKind.JULIA
    assert kind_of("train.m") is FileKind.MATLAB
    assert kind_of("ops/kernel.cu") is FileKind.CPP
    assert kind_of("include/x.hpp") is FileKind.CPP
    assert kind_of("App.java") is FileKind.JAVA
    assert kind_of("net.prototxt") is FileKind.PROTOTXT
    assert kind_of("R/fit.R") is FileKind.OTHER_CODE
    assert kind_of("docs/conf.py") is None          # Sphinx's configuration
    assert kind_of("conf.py") is FileKind.PYTHON
    assert kind_of("logo.png") is None and kind_of("configs/a.yaml") is None


def test_places() -> None:
    assert place("train.py") is Place.MAIN
    assert place("examples_v2/run.py") is Place.EXAMPLES
    assert place("notebooks/a.ipynb") is Place.EXAMPLES
    assert place("tests/test_x.py") is Place.TESTS and place("pkg/x_test.py") is Place.TESTS
    assert place("docs/api/x.py") is Place.DOCS
    assert place("build/lib/pkg/model.py") is Place.GENERATED
    assert place("docs/_build/html/x.py") is Place.GENERATED
    assert place("src/build_model.py") is Place.MAIN


def test_vendored_is_defined_once() -> None:
    # Both former definitions, now one: the classifier's (3rdparty/, submodules/) and the
    # fetch's (vendors/, node_modules/).
    for path in ["3rdparty/lib/train.py", "submodules/x/model.py", "vendors/a.py",
                 "src/node_modules/x.py", "third_party/tf/nn.py", "lib/site-packages/t.py"]:
        assert is_vendored(path), path
        assert place(path) is Place.VENDORED, path
        assert selection.is_vendored(path), path
        assert file_policy.telling_rank(path) == 6, path
    assert not is_vendored("src/vendor.py") and place("src/vendor.py") is Place.MAIN


def test_never_code() -> None:
    assert is_symlink_mode("120000") and is_symlink_mode("0120000")
    assert not is_symlink_mode("100644") and not is_symlink_mode(None)
    assert is_lfs_pointer(LFS)
    assert not is_lfs_pointer(b"import torch\n") and not is_lfs_pointer(LFS + b"x" * 2000)
    assert looks_like_link_target(b"../common/train.py")
    assert looks_like_link_target(b"model.py")
    for code in (b"import torch\n", b"x = 1", b"", b"torch", b"torch==1.0"):
        assert not looks_like_link_target(code), code
    venvs = virtualenv_dirs(["env/pyvenv.cfg", "env/lib/python3.11/site-packages/torch/nn.py",
                             "pyvenv.cfg", "src/a.py"])
    assert venvs == {"env"}
    assert is_skipped("env/lib/x.py", venvs) and not is_skipped("src/a.py", venvs)
    assert is_skipped(".git/hooks/pre-commit.py") and is_skipped("a/.ipynb_checkpoints/b.ipynb")
    assert is_skipped("web/node_modules/x/y.js")


def test_most_telling_first() -> None:
    paths = ["configs/_base_/models/faster_rcnn.py", "third_party/train.py", "a/b/c/utils.py",
             "utils.py", "tools/train.py", "train.py", "mmdet/models/detector.py",
             "tests/test_model.py", "docs/x.py", "examples/demo.py", "mypkg/core.py"]
    ranked = sorted(paths, key=telling_key)
    assert ranked[:2] == ["train.py", "tools/train.py"]
    assert ranked.index("mmdet/models/detector.py") < ranked.index("utils.py")
    assert ranked.index("utils.py") < ranked.index("configs/_base_/models/faster_rcnn.py")
    assert ranked[-1] == "third_party/train.py"
    # Packages the manifests name come before other main code.
    with_pkg = sorted(paths, key=lambda p: telling_key(p, frozenset({"mypkg"})))
    assert with_pkg.index("mypkg/core.py") < with_pkg.index("utils.py")
    assert sorted(paths, key=telling_key).index("mypkg/core.py") > ranked.index("utils.py")


def test_every_kind_has_an_extractor_and_a_download_decision() -> None:
    assert registered() == frozenset(FileKind)
    read = {FileKind.MANIFEST, FileKind.PYTHON, FileKind.NOTEBOOK, FileKind.LUA, FileKind.JULIA,
            FileKind.MATLAB, FileKind.CPP, FileKind.JAVA, FileKind.PROTOTXT}
    for kind in FileKind:
        role = file_policy.role_of(kind)
        assert (role is not None) == (kind in read), kind
    assert file_policy.role_of(FileKind.NOTEBOOK) is FileRole.NOTEBOOK


_part = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=12)
_name = st.one_of(_part, st.sampled_from([
    "requirements.txt", "requirements.in", "setup.py", "conda.yml", "env.yaml", "meta.yml",
    "requires.txt", "pom.xml", "build.gradle", "keras.json", "Dockerfile.gpu", "train.py",
    "a.ipynb", "x.lua", "y.cu", "conf.py", "z.R", "net.prototxt", "README.md", "pyvenv.cfg"]))
_dir = st.one_of(_part, st.sampled_from(["third_party", "3rdparty", "vendors", "docs", "tests",
                                         "examples", "build", ".git", "node_modules",
                                         "configs", "x.egg-info"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_dir, max_size=4), _name)
def test_fetch_downloads_exactly_what_the_classifier_reads(dirs: list[str], name: str) -> None:
    """The fetch's role for a path exists iff the policy gives it a kind the classifier reads
    the content of; kinds, places and vendoring come from the same functions for both."""
    path = "/".join([*dirs, name])
    kind = kind_of(path)
    role = selection.role_of(path)
    assert (role is None) == (kind in (None, FileKind.OTHER_CODE))
    assert selection.is_manifest(path) == (kind is FileKind.MANIFEST)
    assert selection.relevance_key(path) == telling_key(path)
    assert selection.is_vendored(path) == (place(path) is Place.VENDORED)
