"""Reading the Papers With Code archive's links file, one validated row at a time.

The archive (``links-between-papers-and-code.json.gz`` and the same rows as parquet on Hugging
Face's ``pwc-archive`` datasets, about 300,000 rows) is a file a user downloads; survey reads it
from a path. Its fields: ``paper_url``, ``paper_title``, ``paper_arxiv_id`` (may be null),
``paper_url_abs`` (with its ``vN``), ``paper_url_pdf``, ``repo_url`` (original case),
``is_official``, ``mentioned_in_paper``, ``mentioned_in_github`` and ``framework`` (PwC's own
label from an import scan: ``pytorch``, ``tf``, ``jax``, ``mxnet``, ``paddle``, ``torch`` (Lua),
``caffe2``, ``mindspore``, ``none``).

* **Format from the content.** The first bytes decide: gzip's magic (then the inflated bytes
  are looked at again), ``[`` a JSON list, ``{`` JSON lines, ``PAR1`` parquet. The name is not
  trusted: a renamed file still reads, and anything else is refused with one line.
* **Streamed.** JSON through ``ijson`` (its C backend), parquet through ``pyarrow``'s
  ``iter_batches``: memory stays flat whatever the file's size.
* **Every row validated.** Types checked, strings bounded, the arXiv id taken from
  ``paper_arxiv_id`` or else from ``paper_url_abs`` (version stripped), ``repo_url`` through
  :func:`crawler.urls.normalise`: only repository kinds become links. A bad row is counted by
  reason (:data:`SKIP_REASONS`) and skipped; the import never fails because of one row. A file
  that stops being readable half-way raises :class:`ArchiveError` after the rows before it.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import urlsplit

from crawler.urls import normalise
from survey.core.errors import InputError
from survey.core.vocab import REPOSITORY_KINDS, Label
from survey.store.imports import PwcRecord

FIELDS: tuple[str, ...] = (
    "paper_url", "paper_title", "paper_arxiv_id", "paper_url_abs", "paper_url_pdf", "repo_url",
    "is_official", "mentioned_in_paper", "mentioned_in_github", "framework",
)
# PwC's framework tokens and survey's labels (DESIGN.md). Tokens not listed keep no label.
FRAMEWORK_LABELS: dict[str, str] = {
    "pytorch": Label.PYTORCH, "tf": Label.TENSORFLOW, "tensorflow": Label.TENSORFLOW,
    "jax": Label.JAX, "mxnet": Label.OTHER, "paddle": Label.OTHER, "torch": Label.OTHER,
    "caffe2": Label.OTHER, "mindspore": Label.OTHER, "none": Label.NONE,
}

# Why a row was skipped (the import's summary counts each).
NOT_AN_OBJECT = "not_an_object"
NO_ARXIV_ID = "no_arxiv_id"
BAD_REPO_URL = "bad_repo_url"
NOT_A_REPOSITORY = "not_a_repository"
BAD_VALUE = "bad_value"
DUPLICATE = "duplicate"
SKIP_REASONS: tuple[str, ...] = (NO_ARXIV_ID, BAD_REPO_URL, NOT_A_REPOSITORY, DUPLICATE,
                                 BAD_VALUE, NOT_AN_OBJECT)

MAX_URL = 2048
MAX_ID = 64
MAX_TOKEN = 32
PARQUET_BATCH = 5000

# New-style ids (2007 on: 0704.0001, 2501.01234) and old-style ones (hep-th/9901001,
# math.GT/0309136: arXiv keys the latter without the subject class, as math/0309136).
_NEW_ID = re.compile(r"(\d{4}\.\d{4,5})(?:v\d{1,3})?")
_OLD_ID = re.compile(r"([a-z][a-z-]{0,19})(?:\.[A-Za-z]{2})?/(\d{7})(?:v\d{1,3})?")
_SPACE = re.compile(r"\s")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_ABS = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/abs/([^?#\s]{1,64})$",
                  re.IGNORECASE)


# One repository is often linked by several papers: normalise each distinct URL once (bounded).
_normalise = lru_cache(maxsize=4096)(normalise)


class ArchiveError(InputError):
    """The file stopped being readable (cut short, corrupt); the rows before it were read."""


@dataclass
class Row:
    """One archive row after validation: a record, or the reason it was skipped."""

    record: PwcRecord | None
    reason: str | None = None


def arxiv_id_of(value: Any) -> str | None:
    """The id without version from ``paper_arxiv_id``-like text, or None."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        return None
    text = value.strip()
    if text.lower().startswith("arxiv:"):
        text = text[6:]
    match = _NEW_ID.fullmatch(text)
    if match:
        return match[1]
    match = _OLD_ID.fullmatch(text)
    return f"{match[1]}/{match[2]}" if match else None


def arxiv_id_from_abs(value: Any) -> str | None:
    """The id in a ``paper_url_abs`` (``http://arxiv.org/abs/1805.07499v1``), or None."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return None
    match = _ABS.match(value.strip())
    return arxiv_id_of(match[1]) if match else None


def _flag(value: Any) -> tuple[bool | None, bool]:
    """(value, ok) for a boolean field: booleans, 0/1 and "true"/"false"; None when absent."""
    if value is None or isinstance(value, bool):
        return value, True
    if isinstance(value, int) and value in (0, 1):
        return bool(value), True
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true", True
    return None, False


def framework_of(value: Any) -> tuple[str | None, str | None]:
    """(token, label) of PwC's ``framework`` value: lower case, bounded; label None if unknown."""
    if not isinstance(value, str):
        return None, None
    token = value.strip().lower()[:MAX_TOKEN]
    if not token:
        return None, None
    label = FRAMEWORK_LABELS.get(token)
    return token, None if label is None else str(label)


def parse_row(obj: Any) -> Row:
    """Validate one archive row (see the module doc); never raises."""
    if not isinstance(obj, dict):
        return Row(None, NOT_AN_OBJECT)
    arxiv_id = arxiv_id_of(obj.get("paper_arxiv_id")) or arxiv_id_from_abs(
        obj.get("paper_url_abs"))
    if arxiv_id is None:
        return Row(None, NO_ARXIV_ID)
    url = obj.get("repo_url")
    if not isinstance(url, str) or len(url) > MAX_URL:
        return Row(None, BAD_REPO_URL)
    url = url.strip()
    if not url or _SPACE.search(url):
        return Row(None, BAD_REPO_URL)
    found = _normalise(url)
    if found is None:
        return Row(None, NOT_A_REPOSITORY if _is_web_url(url) else BAD_REPO_URL)
    key, host, kind = found
    if kind not in REPOSITORY_KINDS:
        return Row(None, NOT_A_REPOSITORY)
    official, ok1 = _flag(obj.get("is_official"))
    in_paper, ok2 = _flag(obj.get("mentioned_in_paper"))
    in_github, ok3 = _flag(obj.get("mentioned_in_github"))
    if not (ok1 and ok2 and ok3):
        return Row(None, BAD_VALUE)
    token, label = framework_of(obj.get("framework"))
    return Row(PwcRecord(arxiv_id, key, host, kind, url, bool(official), in_paper, in_github,
                         token, label))


def _is_web_url(url: str) -> bool:
    """A well-formed web address (of a site that is not a code host, when normalise refused)."""
    try:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(_HOST.fullmatch(host))


# -- the file --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveFile:
    """An opened archive: its format, its size, and a row stream with a progress callback."""

    path: Path
    format: str           # "json", "jsonl", "parquet" (with ".gz" when compressed)
    size: int             # bytes on disk
    rows_hint: int | None  # parquet knows its row count


def sniff(path: Path) -> str:
    """The file's format from its first bytes: ``json``, ``jsonl``, ``parquet``, ``json.gz``,
    ``jsonl.gz``; InputError for anything else."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            if head[:2] == b"\x1f\x8b":
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as gz:
                    inner = _first_char(gz)
                return {"[": "json.gz", "{": "jsonl.gz"}.get(inner, "unknown.gz")
            if head == b"PAR1":
                return "parquet"
            fh.seek(0)
            first = _first_char(fh)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    if first == "[":
        return "json"
    if first == "{":
        return "jsonl"
    return "unknown"


def _first_char(fh: IO[bytes] | BinaryIO | gzip.GzipFile) -> str:
    """The first character that is not whitespace or a byte-order mark ('' when none)."""
    data = fh.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    return chr(data[0]) if data else ""


def open_archive(path: Path) -> ArchiveFile:
    """Check that ``path`` is a readable links file and say what it is."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    fmt = sniff(path)
    if fmt.startswith("unknown"):
        raise InputError(f"{path} is not a Papers With Code links file: expected a JSON list"
                         " (.json or .json.gz), JSON lines or parquet")
    rows = None
    if fmt == "parquet":
        rows = _parquet_file(path).metadata.num_rows
    return ArchiveFile(path, fmt, path.stat().st_size, rows)


def _parquet_file(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read parquet file {path}: {str(exc)[:200]}") from exc


def read_rows(archive: ArchiveFile, progress: Callable[[int], None] | None = None
              ) -> Iterator[Any]:
    """Every raw row of the file, streamed; ``progress`` gets the bytes (or rows) read so far.

    Raises :class:`ArchiveError` when the file stops being readable part-way.
    """
    report = progress or (lambda _n: None)
    if archive.format == "parquet":
        yield from _parquet_rows(archive.path, report)
    else:
        yield from _json_rows(archive, report)


def _json_rows(archive: ArchiveFile, report: Callable[[int], None]) -> Iterator[Any]:
    import ijson

    lines = archive.format.startswith("jsonl")
    count = 0
    with ExitStack() as stack:
        raw = stack.enter_context(archive.path.open("rb"))
        source: IO[bytes] | gzip.GzipFile = raw
        if archive.format.endswith(".gz"):
            source = stack.enter_context(gzip.GzipFile(fileobj=raw))
        items = (ijson.items(source, "", multiple_values=True, use_float=True) if lines
                 else ijson.items(source, "item", use_float=True))
        try:
            for item in items:
                count += 1
                if count % 1000 == 0:
                    report(raw.tell())
                yield item
        except (ijson.JSONError, OSError, EOFError, zlib.error, UnicodeDecodeError,
                ValueError) as exc:
            raise ArchiveError(
                f"{archive.path} is cut short or corrupt after {count:,} rows"
                f" ({type(exc).__name__}: {str(exc)[:120]}): the rows before were imported;"
                " download the file again and rerun") from exc
        report(raw.tell())


def _parquet_rows(path: Path, report: Callable[[int], None]) -> Iterator[Any]:
    import pyarrow as pa

    pf = _parquet_file(path)
    names = set(pf.schema_arrow.names)
    if "repo_url" not in names or not names & {"paper_arxiv_id", "paper_url_abs"}:
        raise InputError(f"{path} is a parquet file without the links file's columns"
                         " (repo_url and paper_arxiv_id or paper_url_abs)")
    columns = [c for c in FIELDS if c in names and c not in ("paper_title", "paper_url",
                                                            "paper_url_pdf")]
    count = 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH, columns=columns):
            for item in batch.to_pylist():
                count += 1
                yield item
            report(count)
    except (pa.ArrowException, OSError) as exc:
        raise ArchiveError(f"{path} is cut short or corrupt after {count:,} rows"
                           f" ({str(exc)[:120]}): the rows before were imported; download the"
                           " file again and rerun") from exc
