"""Manifest readers: each format in its own syntax, never executing anything."""

from __future__ import annotations

import string
import warnings
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.manifests import (
    DEV,
    MAIN,
    MAX_INCLUDES,
    OPTIONAL,
    manifest_kind,
    parse_dockerfile,
    parse_environment,
    parse_manifest,
    parse_meta_yaml,
    parse_pipfile,
    parse_pyproject,
    parse_requirements,
    parse_setup_cfg,
    parse_setup_py,
    requirement_item,
)


def names(items) -> list[str | None]:
    return [i.name for i in items]


def test_manifest_kinds() -> None:
    assert manifest_kind("requirements.txt") == "requirements"
    assert manifest_kind("a/requirements-dev.txt") == "requirements"
    assert manifest_kind("requirements/base.txt") == "requirements"
    assert manifest_kind("docker/Dockerfile.gpu") == "dockerfile"
    assert manifest_kind("environment-cpu.yaml") == "environment"
    assert manifest_kind("recipe/meta.yaml") == "meta.yaml"
    assert manifest_kind("Pipfile") == "pipfile"
    assert manifest_kind("config.yaml") is None
    assert manifest_kind("README.md") is None


def test_requirements_includes_markers_extras_urls() -> None:
    files = {
        "requirements.txt": (
            "# comment\n"
            "torch==1.8.0 ; python_version > '3.6'  # pinned\n"
            "jax[cuda12]>=0.4 \\\n  --hash=sha256:abc\n"
            "-r requirements/base.txt\n"
            "--requirement=../escape.txt\n"
            "-c constraints.txt\n"
            "--extra-index-url https://download.pytorch.org/whl/cu118\n"
            "-f https://data.pyg.org/whl/torch-2.0.0+cu118.html\n"
            "https://download.pytorch.org/whl/cu101/torchvision-0.5.0-cp36-cp36m-linux_x86_64.whl\n"
            "-e git+https://github.com/CompVis/taming-transformers.git@master#egg=taming-transformers\n"
            "flaxformer @ git+https://github.com/google/flaxformer\n"
            "not a valid ][ requirement\n"
        ),
        "requirements/base.txt": "-r ../requirements.txt\ntensorflow-gpu==1.14\n",
        "constraints.txt": "keras==2.0\n",
    }
    items = parse_requirements(files["requirements.txt"], "requirements.txt", files.get)
    by_name = {i.name: i for i in items if i.name}
    assert by_name["torch"].specifier == "==1.8.0" and by_name["torch"].section == MAIN
    assert by_name["jax"].specifier == ">=0.4"
    assert by_name["tensorflow-gpu"].file == "requirements/base.txt"   # include followed once
    assert by_name["torchvision"].seen.startswith("https://download.pytorch.org")
    assert "taming-transformers" in by_name and "flaxformer" in by_name
    assert "keras" not in by_name                                      # constraints are not deps
    assert [i.framework for i in items if i.framework] == ["pytorch", "pytorch"]


def test_includes_that_double_at_each_level_are_bounded() -> None:
    # r0 includes r1 twice, r1 includes r2 twice...: 2**25 reads if followed blindly.
    files = {f"requirements{i}.txt": f"-r requirements{i + 1}.txt\n" * 2 for i in range(25)}
    files["requirements25.txt"] = "torch\n"
    reads: list[str] = []

    def read(path: str) -> str | None:
        reads.append(path)
        return files.get(path)

    items = parse_requirements(files["requirements0.txt"], "requirements0.txt", read)
    assert len(reads) <= MAX_INCLUDES
    env = "dependencies:\n  - pip:\n" + "    - -r requirements0.txt\n" * 30
    reads.clear()
    parse_manifest("environment.yml", env, read)
    assert len(reads) <= MAX_INCLUDES
    # An ordinary chain is still followed to its end.
    chain = {f"requirements{i}.txt": f"-r requirements{i + 1}.txt\n" for i in range(10)}
    chain["requirements10.txt"] = "torch\n"
    items = parse_requirements(chain["requirements0.txt"], "requirements0.txt", chain.get)
    assert [i.name for i in items] == ["torch"]


def test_dev_requirements_file_is_dev() -> None:
    items = parse_manifest("requirements-dev.txt", "tensorflow\n")
    assert items[0].section == DEV


def test_setup_py_is_read_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    text = (
        "import os\n"
        f"open({str(marker)!r}, 'w').write('x')\n"
        "BASE = ['numpy', 'torch>=1.7']\n"
        "setup(name='x', install_requires=BASE + ['torchvision'],\n"
        "      extras_require={'dev': ['pytest'], 'tf': ['tensorflow']},\n"
        "      setup_requires=['cython'])\n"
    )
    items = parse_setup_py(text)
    assert not marker.exists()
    sections = {i.name: i.section for i in items}
    assert sections == {"numpy": MAIN, "torch": MAIN, "torchvision": MAIN, "pytest": DEV,
                        "tensorflow": OPTIONAL, "cython": DEV}


def test_setup_py_that_does_not_parse() -> None:
    items = parse_setup_py('print "py2"\nsetup(install_requires=["theano", "lasagne"])\n')
    assert names(items) == ["theano", "lasagne"]


def test_setup_cfg() -> None:
    text = ("[metadata]\nname = x\n[options]\ninstall_requires =\n    jax>=0.4\n    optax\n"
            "[options.extras_require]\ntest = pytest\ngpu = jaxlib\n")
    items = parse_setup_cfg(text)
    assert [(i.name, i.section) for i in items] == [
        ("jax", MAIN), ("optax", MAIN), ("pytest", DEV), ("jaxlib", OPTIONAL)]


def test_pyproject_pep621_groups_and_poetry() -> None:
    pep621 = ('[project]\nname = "x"\ndependencies = ["torch>=2", "numpy"]\n'
              '[project.optional-dependencies]\ndocs = ["sphinx"]\ncuda = ["cupy"]\n'
              '[dependency-groups]\ndev = ["tensorflow"]\n')
    assert [(i.name, i.section) for i in parse_pyproject(pep621)] == [
        ("torch", MAIN), ("numpy", MAIN), ("sphinx", DEV), ("cupy", OPTIONAL),
        ("tensorflow", DEV)]
    poetry = ('[tool.poetry.dependencies]\npython = "^3.9"\nkeras = ">=3.0.0,<4.0"\n'
              'tkan = "^0.4.3"\njax = {version = "^0.4", optional = true}\n'
              '[tool.poetry.group.dev.dependencies]\ntorch = "^2.0.0"\n')
    items = parse_pyproject(poetry)
    assert [(i.name, i.section, i.specifier) for i in items] == [
        ("keras", MAIN, ">=3.0.0,<4.0"), ("tkan", MAIN, "^0.4.3"), ("jax", OPTIONAL, "^0.4"),
        ("torch", DEV, "^2.0.0")]
    assert parse_pyproject("this is [not toml") == []


def test_pipfile() -> None:
    items = parse_pipfile('[packages]\nmxnet = "*"\n[dev-packages]\npytest = "*"\n')
    assert [(i.name, i.section) for i in items] == [("mxnet", MAIN), ("pytest", DEV)]


def test_environment_yml_conda_pip_and_channels() -> None:
    text = ("name: e\nchannels:\n  - pytorch\n  - conda-forge\ndependencies:\n"
            "  - python=3.8\n  - pytorch=1.7.0\n  - pytorch::torchvision\n  - cudatoolkit=11.0\n"
            "  - pip\n  - pip:\n    - pytorch-lightning==1.4.2\n"
            "    - -e git+https://github.com/openai/CLIP.git@main#egg=clip\n")
    items = parse_environment(text)
    assert {"pytorch", "torchvision", "pytorch-lightning", "clip", "cudatoolkit"} <= set(
        names(items))
    assert [i.framework for i in items if i.framework] == ["pytorch", "pytorch"]
    assert parse_environment("- just\n- a list\n") == []
    assert parse_environment("key: [unclosed\n") == []


def test_meta_yaml_with_jinja() -> None:
    text = ('{% set version = "1.0" %}\npackage:\n  name: x\n  version: {{ version }}\n'
            "requirements:\n  host:\n    - python\n  run:\n    - paddlepaddle >=2.0  # gpu\n"
            "    - numpy\n")
    assert names(parse_meta_yaml(text)) == ["paddlepaddle", "numpy", "python"]


def test_dockerfile_images_and_installs() -> None:
    text = ("ARG CUDA=11.0\nFROM --platform=linux/amd64 nvcr.io/nvidia/pytorch:22.10-py3 AS b\n"
            "RUN pip install --no-cache-dir imageio \\\n    timm==0.9 && apt-get install -y git\n"
            "RUN conda install -c pytorch faiss-gpu\n"
            "FROM tensorflow/tensorflow:1.12.0-gpu-py3\nFROM ubuntu:20.04\n"
            "FROM localhost:5000/jax:latest\n")
    items = parse_dockerfile(text)
    assert [i.framework for i in items if i.framework] == [
        "pytorch", "pytorch", "tensorflow", "jax"]
    assert {"imageio", "timm", "faiss-gpu"} <= set(names(items))
    assert "git" not in names(items)   # apt-get is not pip


def test_requirement_item_conda_and_wheels() -> None:
    assert requirement_item("pytorch::pytorch-cpu=1.2", 1).name == "pytorch-cpu"
    assert requirement_item("tensorflow-gpu=1.14=h0d30ee6_0", 1).name == "tensorflow-gpu"
    assert requirement_item("", 1) is None
    assert requirement_item("# comment", 1) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable, max_size=300))
def test_readers_never_raise(text: str) -> None:
    for path in ("requirements.txt", "setup.py", "setup.cfg", "pyproject.toml", "Pipfile",
                 "environment.yml", "meta.yaml", "Dockerfile"):
        parse_manifest(path, text, lambda p: text)


def test_dockerfile_arg_defaults_resolve_the_base_image() -> None:
    text = ('ARG BASE_IMAGE="nvcr.io/nvidia/pytorch:23.05-py3"\nARG CUDA\n'
            "FROM ${BASE_IMAGE}\nFROM nvidia/cuda:${CUDA}-cudnn8-runtime\n")
    assert [i.framework for i in parse_dockerfile(text)] == ["pytorch"]


def test_setup_py_syntax_warnings_stay_quiet() -> None:
    # Valid Python that makes ast warn (on stderr, outside pytest): read as usual, nothing shown.
    text = 'x = 1if True else 2\ny = "\\d"\nREQS = ["torch"]\nsetup(install_requires=REQS)\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [i.name for i in parse_setup_py(text)] == ["torch"]
