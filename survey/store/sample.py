"""The deterministic sample of repositories (``survey crawl --sample FRACTION``).

Membership is a hash of the canonical repository key (``github.com/owner/name``, lower case):
the first 8 bytes of its SHA-256 read as a fraction of 2**64. A repository is in the sample of
fraction ``f`` when that number is below ``f``, so the sample is the same on every run and
machine, a larger fraction contains every smaller one (a later ``--sample 0.1`` or a full
crawl only adds), and a refresh keeps it.

The fraction the stored data represent is kept in ``meta`` (``sample_fraction``; absent for a
census) for the report, which calls :func:`sample_fraction` and :func:`sample_size` to say
"a sample of N repositories (fraction f)".
"""

from __future__ import annotations

import hashlib
import sqlite3

from survey.core.errors import InputError
from survey.core.vocab import READABLE_STATUSES
from survey.store import meta

KEY = "sample_fraction"


def position(repo: str) -> float:
    """Where ``repo`` falls in [0, 1): stable, uniform, independent of anything stored."""
    digest = hashlib.sha256(repo.strip().lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_sample(repo: str, fraction: float) -> bool:
    return fraction >= 1.0 or position(repo) < fraction


def check_fraction(value: float) -> float:
    """A usable ``--sample``: 0 < f <= 1 (1 is the whole census)."""
    if not 0.0 < value <= 1.0:
        raise InputError(f"--sample {value:g}: expected a fraction above 0 and at most 1"
                         " (e.g. 0.05)")
    return value


def sample_fraction(conn: sqlite3.Connection) -> float | None:
    """The fraction the stored repositories were sampled at; None for a census."""
    try:
        value = meta.get(conn, KEY)
    except sqlite3.OperationalError:
        return None
    if value is None:
        return None
    try:
        fraction = float(value)
    except ValueError:
        return None
    return fraction if 0.0 < fraction < 1.0 else None


def effective(conn: sqlite3.Connection, requested: float | None, *, keep: bool) -> float | None:
    """The fraction a run fetches. A crawl with ``--sample f`` grows the sample to ``f`` (never
    shrinks it: what is stored stays representative); a crawl without it is a census
    (``keep=False``); a refresh keeps the stored sample (``keep=True``)."""
    stored = sample_fraction(conn)
    if keep and requested is None:
        return stored
    if requested is None or requested >= 1.0:
        return None
    if stored is None and sample_size(conn) > 0:
        return None  # a census is stored: a sample would only leave new repositories out
    return max(requested, stored or 0.0)


def record(conn: sqlite3.Connection, fraction: float | None) -> None:
    """Store the run's fraction (the caller holds the transaction); a census clears it."""
    if fraction is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (KEY,))
    else:
        meta.put(conn, KEY, repr(float(fraction)))


def sample_size(conn: sqlite3.Connection) -> int:
    """Repositories of the sample whose files were fetched (what the shares are over)."""
    marks = ",".join("?" * len(READABLE_STATUSES))
    row = conn.execute(
        f"SELECT COUNT(*) FROM repos WHERE status IN ({marks})",  # noqa: S608 - marks only
        sorted(READABLE_STATUSES)).fetchone()
    return int(row[0])
