"""Which files the fetch stage downloads: the path policy's files, most telling first, caps."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.selection import (
    TreeEntry,
    is_manifest,
    is_vendored,
    relevance_key,
    select_files,
)
from survey.core.settings import Settings


def blob(path: str, size: int = 100) -> TreeEntry:
    return TreeEntry(path, "blob", f"{abs(hash(path)):040x}"[:40], size)


def test_manifests_anywhere() -> None:
    for path in ["requirements.txt", "requirements-dev.txt", "a/b/requirements_gpu.txt",
                 "requirements/base.txt", "environment.yml", "env/environment-cuda.yaml",
                 "setup.py", "pkg/setup.cfg", "pyproject.toml", "Pipfile", "conda/meta.yaml",
                 "Dockerfile", "docker/Dockerfile.gpu", "x/train.dockerfile"]:
        assert is_manifest(path), path
    for path in ["requirements.md", "src/setup_utils.py", "environment.py", "docs/req.txt",
                 "Pipfile.lock", "README.md"]:
        assert not is_manifest(path), path


def test_vendored_trees() -> None:
    assert is_vendored("third_party/lib/train.py")
    assert is_vendored("src/node_modules/x.py")
    assert is_vendored("3rdparty/x/model.py") and is_vendored("submodules/y/train.py")
    assert not is_vendored("src/vendor.py")


def test_every_manifest_the_classifier_reads_is_downloaded() -> None:
    # Issue 10: none of these was fetched, although the classifier reads all of them.
    paths = ["requirements.in", "conda.yml", "env.yaml", "recipe/meta.yml",
             "pkg.egg-info/requires.txt", "pom.xml", "build.gradle", "keras.json",
             "docker/Dockerfile-cuda"]
    chosen = select_files([blob(p) for p in paths], Settings())
    assert {c.path: c.role for c in chosen} == dict.fromkeys(paths, "manifest")


def test_other_languages_the_classifier_reads_are_downloaded() -> None:
    paths = ["csrc/ops.cpp", "csrc/ops.h", "kernels/k.cuh", "App.java", "x.lua", "f.jl"]
    chosen = select_files([blob(p) for p in paths + ["R/fit.R", "web/app.js"]], Settings())
    assert {c.path for c in chosen} == set(paths)


def test_symlinks_and_tool_state_are_never_downloaded() -> None:
    entries = [TreeEntry("train.py", "blob", "a" * 40, 100, "100644"),
               TreeEntry("link.py", "blob", "b" * 40, 12, "120000"),
               TreeEntry("requirements.txt", "blob", "c" * 40, 9, "120000"),
               blob(".ipynb_checkpoints/a-checkpoint.ipynb"), blob("venv/pyvenv.cfg"),
               blob("venv/lib/python3.10/site-packages/torch/nn.py"), blob("docs/conf.py")]
    assert [c.path for c in select_files(entries, Settings())] == ["train.py"]


def test_relevance_shallow_and_named_first_vendored_last() -> None:
    paths = ["third_party/train.py", "a/b/c/utils.py", "utils.py", "train.py", "src/model.py",
             "tests/test_model.py"]
    ranked = sorted(paths, key=relevance_key)
    assert ranked[0] == "train.py"
    assert ranked.index("src/model.py") < ranked.index("a/b/c/utils.py")
    assert ranked[-1] == "third_party/train.py"


def test_thousands_of_config_files_never_hide_the_code() -> None:
    entries = [blob(f"configs/m{i:04d}/cfg_{i}.py") for i in range(3200)]
    entries += [blob("tools/train.py"), blob("mmdet/models/detector.py")]
    chosen = [c.path for c in select_files(entries, Settings())]
    assert chosen[:2] == ["tools/train.py", "mmdet/models/detector.py"]


def test_caps_on_counts_and_sizes() -> None:
    s = Settings()
    entries = [blob(f"pkg/m{i}.py") for i in range(100)]
    entries += [blob(f"nb/n{i}.ipynb") for i in range(30)]
    entries += [blob("requirements.txt"), blob("third_party/x/setup.py")]
    entries += [blob("huge.py", s.max_file_bytes + 1), blob("empty.py", 0)]
    entries += [TreeEntry("sub", "commit", "f" * 40, None), TreeEntry("pkg", "tree", "e" * 40,
                                                                       None)]
    chosen = select_files(entries, s)
    roles = [c.role for c in chosen]
    assert roles.count("python") == s.max_python_files
    assert roles.count("notebook") == s.max_notebooks
    assert roles.count("manifest") == 2
    assert chosen[0].path == "requirements.txt"  # manifests first, vendored ones last
    assert "huge.py" not in {c.path for c in chosen}
    assert "empty.py" not in {c.path for c in chosen}


def test_repository_byte_budget() -> None:
    s = Settings(max_repo_bytes=1000, max_file_bytes=600)
    entries = [blob("train.py", 600), blob("helpers.py", 500), blob("utils.py", 300)]
    chosen = select_files(entries, s)
    assert sum(c.size or 0 for c in chosen) <= 1000
    assert [c.path for c in chosen] == ["train.py", "utils.py"]


def test_no_python_repository_gets_other_code() -> None:
    entries = [blob("main.lua"), blob("models/net.prototxt"), blob("train.m"), blob("a.png")]
    chosen = select_files(entries, Settings())
    assert {c.path for c in chosen} == {"main.lua", "models/net.prototxt", "train.m"}
    assert {c.role for c in chosen} == {"other"}


def test_unsafe_paths_are_never_selected() -> None:
    entries = [blob("../etc/passwd.py"), blob("/abs.py"), blob("a//b.py"), blob("a\\b.py"),
               blob("ok.py")]
    assert [c.path for c in select_files(entries, Settings())] == ["ok.py"]


_names = st.sampled_from(["train", "main", "utils", "model", "x", "setup", "requirements",
                          "Dockerfile", "nb", "run_all"])
_dirs = st.lists(st.sampled_from(["src", "third_party", "lib", "a", "tests", "vendor"]),
                 max_size=3)
_exts = st.sampled_from([".py", ".ipynb", ".txt", ".md", ".lua", ""])


@st.composite
def trees(draw: st.DrawFn) -> list[TreeEntry]:
    out = {}
    for _ in range(draw(st.integers(0, 80))):
        path = "/".join([*draw(_dirs), draw(_names) + draw(_exts)])
        out[path] = TreeEntry(path, "blob", f"{abs(hash(path)):040x}"[:40],
                              draw(st.integers(0, 400_000)))
    return list(out.values())


@given(trees(), st.integers(0, 50), st.integers(0, 12), st.integers(1000, 6_000_000))
@settings(max_examples=150, deadline=None)
def test_selection_respects_every_cap(entries: list[TreeEntry], py: int, nb: int,
                                      budget: int) -> None:
    s = Settings(max_python_files=py, max_notebooks=nb, max_repo_bytes=budget)
    chosen = select_files(entries, s)
    by_path = {e.path: e for e in entries}
    assert len({c.path for c in chosen}) == len(chosen)
    assert all(c.path in by_path and c.sha == by_path[c.path].sha for c in chosen)
    assert sum(c.size or 0 for c in chosen) <= budget
    assert all((c.size or 0) <= s.max_file_bytes for c in chosen)
    roles = [c.role for c in chosen]
    assert roles.count("python") + roles.count("other") <= py
    assert roles.count("notebook") <= nb
    # Every manifest that fits is taken, whatever the other caps.
    fits = [e for e in entries if is_manifest(e.path) and 0 < (e.size or 0)
            <= min(s.max_file_bytes, budget)]
    if sum(e.size or 0 for e in fits) <= budget:
        assert {e.path for e in fits} <= {c.path for c in chosen}
