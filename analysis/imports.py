"""Python import statements of one file, by the most exact method that works on it.

``ast`` first: every form (``import a.b as c``, ``from a.b import c``, imports nested in functions,
``try`` and ``if`` blocks). Files that ``ast`` rejects - Python 2 ``print`` statements, syntax
errors, nesting deep enough to raise ``RecursionError`` - still show their imports to
``tokenize``, which knows strings and comments; a file even ``tokenize`` gives up on is read line
by line. ``importlib.import_module("torch")`` and ``__import__("torch")`` with a literal count as
imports too. Nothing is executed.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field

# Modules named by a string literal: importlib.import_module("x"), __import__("x").
_DYNAMIC = re.compile(
    r"""\b(?:import_module|__import__)\(\s*(?:name\s*=\s*)?['"]([A-Za-z_][\w.]*)['"]""")
_LINE_IMPORT = re.compile(r"^\s*import\s+([A-Za-z_][\w.]*(?:\s+as\s+\w+)?(?:\s*,\s*[A-Za-z_][\w.]*"
                          r"(?:\s+as\s+\w+)?)*)")
_LINE_FROM = re.compile(r"^\s*from\s+(\.*[A-Za-z_][\w.]*|\.+)\s+import\s+\(?\s*([\w*,\s]+)")
_KERAS_BACKEND = re.compile(
    r"""KERAS_BACKEND['"]?\s*\]?\s*(?:=|,|:)\s*['"]?(tensorflow|jax|torch|pytorch|theano|cntk|"""
    r"""mxnet|numpy)\b""")


@dataclass(frozen=True, slots=True)
class Import:
    """One imported module. ``module`` is absolute and, for ``from a import b``, is ``a.b`` so a
    table lookup of ``from torch import nn`` finds ``torch.nn``. ``alias`` is the local name
    bound to ``module`` by a plain ``import`` (``tf`` for ``import tensorflow as tf``)."""

    module: str
    line: int
    seen: str
    alias: str | None = None
    context: str = "top"   # top, lazy (in a function), optional (in try), typing (TYPE_CHECKING)


@dataclass(slots=True)
class ParsedImports:
    imports: list[Import] = field(default_factory=list)
    method: str = "ast"          # ast, tokenize, lines
    error: str | None = None     # why ast (and tokenize) failed


def extract_imports(text: str) -> ParsedImports:
    """All absolute imports in ``text`` (relative imports are local code and say nothing)."""
    if "import" not in text:
        return ParsedImports()
    result, error = _with_ast(text)
    if result is None:
        found = _with_tokenize(text)
        if found is None:
            result = ParsedImports(_with_lines(text), "lines", error)
        else:
            result = ParsedImports(found, "tokenize", error)
    if "import_module" in text or "__import__" in text:
        dynamic = _dynamic(text)
        if result.method == "ast" and dynamic:
            # Keep only real calls: a docstring may mention import_module("torch").
            real = _dynamic_calls(text)
            dynamic = [d for d in dynamic if (d.line, d.module) in real]
        result.imports.extend(dynamic)
    return result


def keras_backends(text: str) -> list[tuple[int, str]]:
    """``KERAS_BACKEND`` settings in code or notebooks (``os.environ["KERAS_BACKEND"] = "jax"``,
    ``%env KERAS_BACKEND=jax``), as (line, backend)."""
    if "KERAS_BACKEND" not in text:
        return []
    lines = _LineCounter(text)
    return [(lines.at(m.start()), m.group(1)) for m in _KERAS_BACKEND.finditer(text)]


class _LineCounter:
    """Line numbers of increasing offsets, counted from the previous one: linear in the text
    however many matches (counting from the start each time is quadratic)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, 1
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def attribute_uses(text: str, alias: str) -> list[str]:
    """Attribute chains used after ``alias.`` (``summary.X`` in ``tf.summary.X``).

    A regex over the text rather than an AST walk: it is fast, and it also works on files that
    only the fallbacks could read.
    """
    pattern = re.compile(rf"(?<![\w.]){re.escape(alias)}\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
    return pattern.findall(text)


# --- ast -------------------------------------------------------------------------------------

# A line that starts a new top-level statement (not indented, not a comment, not a closing
# bracket of a statement that spans lines).
_TOP_LEVEL = re.compile(r"\n(?=[^\s#)\]}])")


def _import_prefix(text: str) -> str | None:
    """The text up to the first top-level statement after the last ``import``: every import
    lies inside it, and when it parses its statements are the file's first statements, so
    parsing it finds exactly the file's imports, in a fraction of the time for long files.
    None when no shorter prefix exists."""
    last = text.rfind("import")
    match = _TOP_LEVEL.search(text, last)
    if match is None or match.start() > len(text) * 0.8:
        return None
    return text[:match.start() + 1]


def parse_quietly(text: str) -> ast.Module:
    """``ast.parse`` without SyntaxWarnings on stderr (they are the repository's, not ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like
        return ast.parse(text)


def _with_ast(text: str) -> tuple[ParsedImports | None, str | None]:
    tree = None
    prefix = _import_prefix(text)
    if prefix is not None:
        try:
            tree = parse_quietly(prefix)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            tree = None  # cut inside a string or bracket: parse the whole file
    try:
        if tree is None:
            tree = parse_quietly(text)
    except SyntaxError as exc:
        return None, f"{type(exc).__name__} line {exc.lineno}: {exc.msg}"[:200]
    except RecursionError:
        return None, "RecursionError: nested too deeply for ast"
    except (ValueError, MemoryError, OverflowError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:200]
    found: list[Import] = []
    try:
        _walk(tree.body, found, "top")
    except RecursionError:
        return None, "RecursionError: nested too deeply for ast"
    return ParsedImports(found, "ast"), None


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")
_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
             ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match,
             ast.ExceptHandler, ast.match_case)


def _walk(body: list[ast.stmt], found: list[Import], context: str) -> None:
    """Statements only (imports are statements): much faster than visiting every expression.
    ``context`` says how the imports are reached: at import time (top), only when a function
    runs (lazy), guarded by ``try`` (optional), or only for type checkers (typing)."""
    for node in body:
        if isinstance(node, ast.Import):
            _plain_import(node, found, context)
        elif isinstance(node, ast.ImportFrom):
            _from_import(node, found, context)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            _walk(node.body, found, "typing")
            _walk(node.orelse, found, context)
        elif isinstance(node, ast.Try | ast.TryStar):
            guarded = "optional" if context == "top" else context
            _walk(node.body, found, guarded)
            for handler in node.handlers:
                _walk(handler.body, found, guarded)
            _walk(node.orelse, found, context)
            _walk(node.finalbody, found, context)
        elif isinstance(node, _COMPOUND):
            lazy = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and context == "top"
            for attr in _BODIES:
                child = getattr(node, attr, None)
                if child:
                    _walk(child, found, "lazy" if lazy else context)


def _plain_import(node: ast.Import, found: list[Import], context: str) -> None:
    for alias in node.names:
        shown = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
        bound = alias.asname or (alias.name if "." not in alias.name else None)
        found.append(Import(alias.name, node.lineno, shown, bound, context))
        if alias.asname is None and "." in alias.name:
            # `import torch.nn` binds `torch` too.
            root = alias.name.split(".")[0]
            found.append(Import(root, node.lineno, shown, root, context))


def _from_import(node: ast.ImportFrom, found: list[Import], context: str) -> None:
    if node.level or not node.module:
        return
    names = [a.name for a in node.names]
    shown = f"from {node.module} import {', '.join(names)}"[:200]
    for name in names:
        module = node.module if name == "*" else f"{node.module}.{name}"
        found.append(Import(module, node.lineno, shown, None, context))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _dynamic_calls(text: str) -> set[tuple[int, str]]:
    """(line, module) of real ``import_module("x")``/``__import__("x")`` calls."""
    try:
        tree = parse_quietly(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return set()
    calls = set()
    try:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                # import_module("x") or import_module(name="x"), as _DYNAMIC finds them.
                arg = node.args[0] if node.args else next(
                    (k.value for k in node.keywords if k.arg == "name"), None)
                if name in ("import_module", "__import__") and isinstance(arg, ast.Constant) \
                        and isinstance(arg.value, str):
                    calls.add((node.lineno, arg.value))
    except RecursionError:
        return set()
    return calls


# --- tokenize --------------------------------------------------------------------------------

_SKIP = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}


def _with_tokenize(text: str) -> list[Import] | None:
    found: list[Import] = []
    logical: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NEWLINE or (tok.type == tokenize.OP and tok.string == ";"):
                _logical_line(logical, found)
                logical = []
            elif tok.type == tokenize.ENDMARKER:
                break
            elif tok.type not in _SKIP:
                logical.append(tok)
    except (tokenize.TokenError, SyntaxError, RecursionError, MemoryError):
        return None
    _logical_line(logical, found)
    return found


def _logical_line(toks: list[tokenize.TokenInfo], found: list[Import]) -> None:
    start = next((i for i, tok in enumerate(toks)
                  if tok.type == tokenize.NAME and tok.string in ("import", "from")
                  and (i == 0 or toks[i - 1].string == ":")), None)
    if start is None:
        return
    words = [t.string for t in toks[start:]]
    line = toks[start].start[0]
    shown = " ".join(words)[:200]
    if words[0] == "import":
        _tokens_import(words, line, shown, found)
    else:
        _tokens_from(words, line, shown, found)


def _tokens_import(words: list[str], line: int, shown: str, found: list[Import]) -> None:
    for part in _split_commas(words[1:]):
        name, alias = _dotted(part)
        if name:
            bound = alias or (name if "." not in name else None)
            found.append(Import(name, line, shown, bound))


def _tokens_from(words: list[str], line: int, shown: str, found: list[Import]) -> None:
    try:
        idx = words.index("import")
    except ValueError:
        return
    module = "".join(words[1:idx])
    if not module or module.startswith("."):
        return
    names = [w for w in words[idx + 1:] if w not in ("(", ")")]
    for part in _split_commas(names):
        name, _alias = _dotted(part)
        if name == "*" or part == ["*"]:
            found.append(Import(module, line, shown))
        elif name:
            found.append(Import(f"{module}.{name}", line, shown))


def _split_commas(words: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for w in words:
        if w == ",":
            parts.append([])
        else:
            parts[-1].append(w)
    return [p for p in parts if p]


def _dotted(part: list[str]) -> tuple[str, str | None]:
    alias = None
    if len(part) >= 3 and part[-2] == "as":
        alias = part[-1]
        part = part[:-2]
    name = "".join(part)
    if name == "*":
        return name, None
    if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
        return "", None
    return name, alias


# --- line scan -------------------------------------------------------------------------------

def _with_lines(text: str) -> list[Import]:
    found: list[Import] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if "import" not in raw:
            continue
        line = raw.split("#", 1)[0]
        match = _LINE_IMPORT.match(line)
        if match:
            for part in match.group(1).split(","):
                bits = part.split()
                if bits:
                    alias = bits[2] if len(bits) == 3 and bits[1] == "as" else None
                    found.append(Import(bits[0], number, line.strip()[:200],
                                        alias or (bits[0] if "." not in bits[0] else None)))
            continue
        match = _LINE_FROM.match(line)
        if match and not match.group(1).startswith("."):
            module = match.group(1)
            for part in match.group(2).split(","):
                bits = part.split()
                if bits:
                    name = module if bits[0] == "*" else f"{module}.{bits[0]}"
                    found.append(Import(name, number, line.strip()[:200]))
    return found


def _dynamic(text: str) -> list[Import]:
    lines = _LineCounter(text)
    return [Import(m.group(1), lines.at(m.start()), m.group(0)[:200])
            for m in _DYNAMIC.finditer(text)]
