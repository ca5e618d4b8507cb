"""`survey export`: one row per (paper, repository) link, DESIGN.md's columns, three formats.

Only repositories are exported by default (link kinds in ``REPOSITORY_KINDS``); ``all_links``
adds project pages, organisation pages and other links, with a ``kind`` column saying which.
A repository linked under an old name is exported under its canonical name (``repo_aliases``),
so a paper linking both names gives one row. A link with no classification exports as
``unknown`` with an empty confidence. ``sources`` lists every source that found the link
(``abstract;comment;pwc;hf``, ``;`` separated), ``pwc_framework`` Papers With Code's label for
the repository mapped to survey's labels (empty when PwC has none). Files are written to a
temporary name and renamed, so an interrupted export never leaves a truncated file where a good
one was.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import pandas as pd

from survey.core.errors import InputError, StoreError
from survey.core.vocab import REPOSITORY_KINDS
from survey.store import tables

EXPORT_COLUMNS: list[str] = [
    "arxiv_id", "title", "published", "primary_category", "categories", "repo", "official",
    "framework", "frameworks", "confidence", "sources", "pwc_framework",
]
FORMATS: tuple[str, ...] = ("csv", "json", "parquet")


def export_rows(conn: sqlite3.Connection, *, all_links: bool = False) -> pd.DataFrame:
    """Every (paper, repository) link with the paper's facts and the repository's label;
    with ``all_links`` every other link too, and a ``kind`` column."""
    kinds = None if all_links else sorted(REPOSITORY_KINDS)
    try:
        names, rows = tables.export_links(conn, kinds=kinds)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read the database: {exc}") from exc
    df = pd.DataFrame.from_records(rows, columns=names)
    if df.empty:
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in [*EXPORT_COLUMNS, "kind"]})
    df["official"] = df["official"].astype(bool)
    for col in ("frameworks", "sources", "pwc_framework"):
        df[col] = df[col].fillna("").astype(str)
    df["confidence"] = pd.to_numeric(df["confidence"], errors="coerce").astype(float)
    for col in ("arxiv_id", "title", "published", "primary_category", "categories", "repo",
                "framework", "kind"):
        df[col] = df[col].astype(object)
    return df[[*EXPORT_COLUMNS, "kind"] if all_links else EXPORT_COLUMNS]


def check_format(fmt: str, out: Path | None) -> str:
    """Validate ``--format`` against ``--out`` before touching the database."""
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise InputError("parquet is a binary format: give --out FILE")
    if out is not None:
        if out.exists() and out.is_dir():
            raise InputError(f"--out {out} is a directory: give a file name")
        if not out.parent.exists():
            raise InputError(f"folder {out.parent} does not exist")
    return fmt


def _serialise(df: pd.DataFrame, fmt: str, handle: TextIO) -> None:
    """CSV with ``true``/``false`` as DESIGN.md spells them; JSON as one array of objects
    (``null`` for a missing confidence, slashes left unescaped)."""
    if fmt == "csv":
        out = df.assign(official=df["official"].map({True: "true", False: "false"}))
        out.to_csv(handle, index=False, lineterminator="\n")
    else:
        records = df.astype(object).where(df.notna(), None).to_dict("records")
        json.dump(records, handle, ensure_ascii=False, separators=(",", ":"))
        handle.write("\n")


def write_export(conn: sqlite3.Connection, fmt: str, target: Path | TextIO, *,
                 all_links: bool = False) -> int:
    """Write the rows as ``fmt`` to a file path (atomically) or an open text stream.

    Returns the number of rows written.
    """
    df = export_rows(conn, all_links=all_links)
    if not isinstance(target, Path):
        if fmt == "parquet":
            raise InputError("parquet is a binary format: give --out FILE")
        try:
            _serialise(df, fmt, target)
            target.flush()
        except BrokenPipeError:
            # The reader (e.g. `| head`) went away: not an error. Silence the final flush.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return len(df)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        if fmt == "parquet":
            os.close(fd)
            df.to_parquet(tmp, index=False)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                _serialise(df, fmt, fh)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would surprise whoever reads the export
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(df)
