"""Import extraction: every form through ast, and the tokenize/line-scan fallbacks."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.imports import attribute_uses, extract_imports, keras_backends
from analysis.notebooks import NotebookError, parse_notebook


def modules(text: str) -> list[str]:
    return [i.module for i in extract_imports(text).imports]


def test_every_ast_form() -> None:
    src = (
        "import os, torch.nn as nn\n"
        "from tensorflow.keras import layers as L, models\n"
        "from . import local\n"
        "from .pkg import thing\n"
        "def f():\n"
        "    try:\n"
        "        import jax.numpy as jnp\n"
        "    except ImportError:\n"
        "        from flax import linen\n"
        "    finally:\n"
        "        pass\n"
        "if True:\n"
        "    with open('x') as fh:\n"
        "        import haiku as hk\n"
        "class C:\n"
        "    import mxnet\n"
        "m = importlib.import_module('paddle')\n"
        "n = __import__(\"caffe\")\n"
    )
    parsed = extract_imports(src)
    assert parsed.method == "ast"
    found = modules(src)
    for expected in ("os", "torch.nn", "tensorflow.keras.layers",
                     "tensorflow.keras.models", "jax.numpy", "flax.linen", "haiku", "mxnet",
                     "paddle", "caffe"):
        assert expected in found, expected
    assert not any(m.startswith(".") or m in ("local", "pkg.thing") for m in found)
    nn = next(i for i in parsed.imports if i.module == "torch.nn")
    assert (nn.line, nn.alias, nn.seen) == (1, "nn", "import torch.nn as nn")


def test_python2_file_goes_through_tokenize() -> None:
    src = ('import caffe\nprint "hello"\nexec "x"\nfrom caffe.proto import caffe_pb2\n'
           'x = "import fake"\n')
    parsed = extract_imports(src)
    assert parsed.method == "tokenize"
    assert "SyntaxError" in (parsed.error or "")
    assert modules(src) == ["caffe", "caffe.proto.caffe_pb2"]  # not the string's "fake"


def test_tokenize_handles_parenthesised_and_semicolons() -> None:
    src = ('print "x"\nfrom torch import (nn,\n    optim)\nimport os; import jax as j\n'
           'try: import tensorflow\nexcept: pass\n')
    found = modules(src)
    assert {"torch.nn", "torch.optim", "os", "jax", "tensorflow"} <= set(found)


def test_bad_indentation_falls_back_to_line_scan() -> None:
    src = "import os\n\tif x:\n  import torch\n        from keras.layers import Dense\n"
    parsed = extract_imports(src)
    assert parsed.method == "lines"
    assert {"torch", "keras.layers.Dense"} <= set(modules(src))


def test_deep_nesting_recursion_error_is_caught() -> None:
    src = "x = " + "+".join(["a"] * 100_000) + "\nimport torch\n"
    parsed = extract_imports(src)
    assert parsed.method != "ast"
    assert "torch" in modules(src)


def test_null_bytes_and_no_imports() -> None:
    assert extract_imports("x = 1\n").imports == []
    assert "torch" in modules("import torch\n\x00\n")


def test_attribute_uses_and_keras_backend() -> None:
    text = "tf.summary.FileWriter(d)\nx = tf.Summary(value=[])\nmytf.nn.relu(x)\n"
    assert attribute_uses(text, "tf") == ["summary.FileWriter", "Summary"]
    assert keras_backends('os.environ["KERAS_BACKEND"] = "jax"\n') == [(1, "jax")]
    assert keras_backends("%env KERAS_BACKEND=torch\n") == [(1, "torch")]
    assert keras_backends("os.environ.setdefault('KERAS_BACKEND', 'tensorflow')") == [
        (1, "tensorflow")]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable + "éλ\x00", max_size=400))
def test_never_raises_on_any_text(text: str) -> None:
    extract_imports(text)
    extract_imports("import torch\n" + text)


def test_notebook_formats_and_magics() -> None:
    v4 = ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["!pip install -q torch'
          ' --extra-index-url https://download.pytorch.org/whl/cu118\\n", "%matplotlib inline\\n",'
          ' "import torch\\n"]}, {"cell_type": "markdown", "source": "import tensorflow"},'
          ' {"cell_type": "code", "source": "%%bash\\npip install jax\\n"},'
          ' {"cell_type": "code", "source": "%tensorflow_version 1.x\\nx?"}]}')
    nb = parse_notebook(v4)
    assert [c.index for c in nb.cells] == [1, 3, 4]
    assert nb.cells[0].code.splitlines() == ["", "", "import torch"]
    assert [i.packages for i in nb.installs] == [["torch"], ["jax"]]
    assert nb.installs[0].index_urls == ["https://download.pytorch.org/whl/cu118"]
    assert nb.tf_versions == [(4, "1.x")]
    v3 = ('{"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code",'
          ' "input": "import chainer"}]}]}')
    assert parse_notebook(v3).cells[0].code == "import chainer"


def test_invalid_notebooks_raise_notebook_error() -> None:
    for bad in ("{not json", "[1, 2]", '{"cells": 3}', ""):
        try:
            parse_notebook(bad)
        except NotebookError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_import_module_by_keyword_counts_like_by_position() -> None:
    found = extract_imports('import importlib\nm = importlib.import_module(name="torch")\n'
                            '"""import_module(name="jax") in a docstring"""\n').imports
    assert [(i.module, i.line) for i in found if i.module != "importlib"] == [("torch", 2)]


def test_keras_backend_set_by_a_notebook_magic_is_kept() -> None:
    nb = parse_notebook('{"nbformat": 4, "cells": [{"cell_type": "code", "source": '
                        '"%env KERAS_BACKEND=jax\\n!ls\\nimport keras\\n"}]}')
    code = nb.cells[0].code
    assert keras_backends(code) == [(1, "jax")]
    assert [i.module for i in extract_imports(code).imports] == ["keras"]
