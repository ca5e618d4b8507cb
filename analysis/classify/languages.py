"""Code in other languages: Lua (Torch7), Julia (Flux, Knet), MATLAB (Deep Learning Toolbox,
MatConvNet), C/C++/CUDA including a framework's headers, Java importing DL4J, TensorFlow Java or
PyTorch Android, Caffe ``.prototxt`` by name, and other code that is only counted.

Code in other languages makes a repository without Python ``none`` rather than ``unknown``;
a framework's API used from another language counts like an import.
"""

from __future__ import annotations

import re

from analysis.classify.extractors import Context, extractor
from analysis.classify.reading import MAX_CODE_BYTES, File
from analysis.evidence import Evidence
from survey.core.vocab import FileKind

_LUA_TORCH = re.compile(r"""require\s*\(?\s*['"](torch|nn|cunn|cutorch|nngraph|optim|cudnn|rnn|"""
                        r"""dpnn|image|paths)['"]""")
_JULIA = re.compile(r"^[ \t]*(?:using|import)[ \t]+([\w.,: \t]+)", re.M)
_MATLAB_DL = re.compile(r"\b(trainNetwork|dlnetwork|layerGraph|convolution2dLayer|"
                        r"fullyConnectedLayer|imageInputLayer|lstmLayer|dlarray|dlfeval|"
                        r"trainingOptions|vl_simplenn|vl_nnconv|dagnn\.DagNN)\b")
_CPP_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"](torch|ATen|c10|tensorflow|caffe2|"
                          r"caffe|mxnet|paddle|mindspore|oneflow)/", re.M)
_CPP_FRAMEWORK = {"torch": "pytorch", "ATen": "pytorch", "c10": "pytorch"}
_JAVA_IMPORT = re.compile(r"^[ \t]*import[ \t]+(org\.deeplearning4j|org\.nd4j|org\.tensorflow|"
                          r"org\.pytorch)\.", re.M)
_JAVA_FRAMEWORK = {"org.deeplearning4j": "dl4j", "org.nd4j": "dl4j", "org.tensorflow": "tensorflow",
                   "org.pytorch": "pytorch"}


def _line(text: str, start: int) -> int:
    return text.count("\n", 0, start) + 1


def _code(ctx: Context, file: File, framework: str, weight: float, text: str,
          match: re.Match[str], seen: str) -> None:
    contribution = weight * ctx.weights.where(file.where)
    ctx.tally.add_code(file.where, framework, contribution,
                       Evidence(file.path, _line(text, match.start()), seen, framework,
                                contribution))


@extractor(FileKind.LUA)
def lua_file(ctx: Context, file: File) -> None:
    ctx.tally.other_code_files += 1
    text = ctx.reader.text(file.path, MAX_CODE_BYTES) if file.available else None
    if text is None:  # a stored tree whose Lua was not downloaded: Lua in ML research is Torch7
        if file.path not in ctx.reader.not_code:
            weight = ctx.weights.languages.lua_unread * ctx.weights.where(file.where)
            ctx.tally.add_path(file.where, "torch7", weight, file.path,
                               "Lua file (not read): Torch7")
        return
    match = _LUA_TORCH.search(text)
    if match:
        _code(ctx, file, "torch7", ctx.weights.languages.lua_require, text, match,
              match.group(0))


@extractor(FileKind.JULIA)
def julia_file(ctx: Context, file: File) -> None:
    ctx.tally.other_code_files += 1
    text = ctx.reader.text(file.path, MAX_CODE_BYTES, quiet=True) if file.available else None
    if not text:
        return
    for match in _JULIA.finditer(text):
        modules = match.group(1).split(":", 1)[0]  # `using Flux: Chain, Dense`
        names = {n.strip().split(".")[0].lower() for n in modules.split(",")}
        for framework in ("flux", "knet"):
            if framework in names or (framework == "flux" and "lux" in names):
                _code(ctx, file, framework, ctx.weights.languages.julia_using, text, match,
                      match.group(0).strip()[:200])
                return


@extractor(FileKind.MATLAB)
def matlab_file(ctx: Context, file: File) -> None:
    ctx.tally.other_code_files += 1
    text = ctx.reader.text(file.path, MAX_CODE_BYTES, quiet=True) if file.available else None
    found = _MATLAB_DL.search(text) if text else None
    if text and found:
        _code(ctx, file, "matlab", ctx.weights.languages.matlab_call, text, found,
              found.group(0))


def _seen_line(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:end if end >= 0 else None].strip()[:200]


@extractor(FileKind.CPP, FileKind.JAVA)
def cpp_java_file(ctx: Context, file: File) -> None:
    """``#include <torch/extension.h>`` (C++/CUDA extensions, libtorch, TF ops) and Java
    ``import org.deeplearning4j...``: a framework's API used from another language. Read for at
    most the budget's ``other_files``; the rest are counted."""
    ctx.tally.other_code_files += 1
    if not file.available or ctx.other_reads_left <= 0:
        return
    ctx.other_reads_left -= 1
    text = ctx.reader.text(file.path, MAX_CODE_BYTES, quiet=True)
    if not text:
        return
    if file.kind is FileKind.JAVA:
        match = _JAVA_IMPORT.search(text) if "import" in text else None
        framework = _JAVA_FRAMEWORK.get(match.group(1)) if match else None
        weight = ctx.weights.languages.java_import
    else:
        match = _CPP_INCLUDE.search(text) if "include" in text else None
        framework = _CPP_FRAMEWORK.get(match.group(1), match.group(1)) if match else None
        weight = ctx.weights.languages.cpp_include  # extensions serve the Python code
    if match and framework:
        _code(ctx, file, framework, weight, text, match, _seen_line(text, match.start()))


@extractor(FileKind.PROTOTXT)
def prototxt_file(ctx: Context, file: File) -> None:
    weight = ctx.weights.languages.prototxt * ctx.weights.where(file.where)
    ctx.tally.add_path(file.where, "caffe", weight, file.path,
                       "Caffe network definition (.prototxt)")


@extractor(FileKind.OTHER_CODE)
def other_code_file(ctx: Context, file: File) -> None:
    ctx.tally.other_code_files += 1
