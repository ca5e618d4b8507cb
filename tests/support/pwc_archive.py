"""Papers With Code archive files in the real schema, for tests and benchmarks.

The rows have the fields and value shapes of ``links-between-papers-and-code`` (the
``pwc-archive`` dataset card lists them; a real row, quoted by projects that read the dump)::

    {"paper_url": "https://paperswithcode.com/paper/fast-disparity-estimation-using-dense",
     "paper_title": "Fast Disparity Estimation using Dense Networks",
     "paper_arxiv_id": "1805.07499",
     "paper_url_abs": "http://arxiv.org/abs/1805.07499v1",
     "paper_url_pdf": "http://arxiv.org/pdf/1805.07499v1.pdf",
     "repo_url": "https://github.com/roatienza/densemapnet",
     "is_official": true, "mentioned_in_paper": true, "mentioned_in_github": true,
     "framework": "tf"}

:func:`archive` builds rows for given papers (one official repository each, some community
reimplementations, repository URLs in their original case) plus the odd rows the importer
must count and skip, and says what a correct import finds (:class:`Expected`). Writers give the
JSON list (``.json``/``.json.gz``), JSON lines and the parquet file (string and bool columns, as
the dataset's).
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("paper_url", "paper_title", "paper_arxiv_id", "paper_url_abs", "paper_url_pdf",
          "repo_url", "is_official", "mentioned_in_paper", "mentioned_in_github", "framework")
# PwC's tokens with rough weights (only 'none' is confirmed literally; 'tf' in a real row).
TOKENS = (("pytorch", 55), ("tf", 20), ("none", 14), ("jax", 3), ("mxnet", 2), ("paddle", 2),
          ("torch", 1), ("caffe2", 1), ("mindspore", 1), (None, 1))
LABEL = {"pytorch": "pytorch", "tf": "tensorflow", "jax": "jax", "mxnet": "other",
         "paddle": "other", "torch": "other", "caffe2": "other", "mindspore": "other",
         "none": "none"}


def row(arxiv_id: str | None, repo_url: Any, *, official: Any = True, framework: Any = "pytorch",
        version: int = 1, title: str = "A paper", abs_id: str | None = "same",
        in_paper: Any = True, in_github: Any = False) -> dict[str, Any]:
    """One archive row; ``abs_id`` "same" puts ``arxiv_id`` in ``paper_url_abs``."""
    ident = arxiv_id if abs_id == "same" else abs_id
    slug = "-".join(title.lower().split())[:60] or "paper"
    return {
        "paper_url": f"https://paperswithcode.com/paper/{slug}",
        "paper_title": title,
        "paper_arxiv_id": arxiv_id,
        "paper_url_abs": f"http://arxiv.org/abs/{ident}v{version}" if ident else None,
        "paper_url_pdf": f"http://arxiv.org/pdf/{ident}v{version}.pdf" if ident else None,
        "repo_url": repo_url,
        "is_official": official,
        "mentioned_in_paper": in_paper,
        "mentioned_in_github": in_github,
        "framework": framework,
    }


@dataclass
class Expected:
    """What a correct import of the rows finds."""

    rows: int = 0
    links: set[tuple[str, str]] = field(default_factory=set)   # (arxiv_id, repo key)
    official: set[tuple[str, str]] = field(default_factory=set)
    skipped: Counter[str] = field(default_factory=Counter)
    frameworks: dict[str, str] = field(default_factory=dict)  # repo key -> label
    tokens: dict[str, str] = field(default_factory=dict)      # repo key -> token


@dataclass
class Archive:
    rows: list[Any]
    expected: Expected


def _owner(i: int) -> str:
    return f"Lab{i % 97}-Group"


def archive(papers: Sequence[str], *, pending: Sequence[str] = (), seed: int = 13,
            odd: bool = True, community_every: int = 4, tokens: dict[str, str] | None = None,
            typed: bool = False) -> Archive:
    """Rows for ``papers`` and ``pending`` (ids not harvested), with the odd rows when ``odd``.

    Each paper gets its official repository ``github.com/Lab{i%97}-Group/Repo-{i}``; every
    ``community_every``-th also a community reimplementation (``is_official`` false). ``tokens``
    fixes the framework token of a repository key. ``typed`` (for parquet, whose columns are
    typed) leaves out the odd rows only JSON can hold: wrong value types, non-objects.
    """
    rng = random.Random(seed)
    exp = Expected()
    rows: list[Any] = []
    choices = [t for t, _ in TOKENS]
    weights = [w for _, w in TOKENS]

    def add(r: dict[str, Any], key: str, aid: str, official: bool) -> None:
        rows.append(r)
        exp.links.add((aid, key))
        if official:
            exp.official.add((aid, key))
        token = r["framework"]
        if isinstance(token, str) and key not in exp.tokens:
            exp.tokens[key] = token
            exp.frameworks[key] = LABEL.get(token, "")

    for i, aid in enumerate([*papers, *pending]):
        name = f"Repo-{i}"
        key = f"github.com/{_owner(i).lower()}/{name.lower()}"
        token = (tokens or {}).get(key) or rng.choices(choices, weights)[0]
        add(row(aid, f"https://github.com/{_owner(i)}/{name}", framework=token,
                title=f"Paper number {i}", version=1 + i % 3, in_github=i % 2 == 0),
            key, aid, True)
        if community_every and i % community_every == 0:
            ckey = f"github.com/fan{i}/{name.lower()}-pytorch"
            add(row(aid, f"https://github.com/fan{i}/{name}-PyTorch", official=False,
                    framework="pytorch", title=f"Paper number {i}", in_paper=False,
                    in_github=True), ckey, aid, False)
    if odd and papers:
        _odd_rows(papers, rows, exp, typed)
    exp.rows = len(rows)
    return Archive(rows, exp)


def _odd_rows(papers: Sequence[str], rows: list[Any], exp: Expected, typed: bool) -> None:
    """The rows of issue 13 that must be counted and skipped, and two that must be kept."""
    first = papers[0]
    # Kept: no paper_arxiv_id, but the id is in paper_url_abs (version stripped).
    key = "github.com/recovered/from-abs"
    rows.append(row(None, "https://github.com/Recovered/From-Abs", abs_id=first, version=4))
    exp.links.add((first, key))
    exp.official.add((first, key))
    exp.tokens[key], exp.frameworks[key] = "pytorch", "pytorch"
    # Kept: a GitLab repository is a repository too; its token is unknown to survey.
    key = "gitlab.com/group/sub/project"
    rows.append(row(first, "https://gitlab.com/group/sub/project/-/tree/main",
                    framework="Keras"))
    exp.links.add((first, key))
    exp.official.add((first, key))
    exp.tokens[key], exp.frameworks[key] = "keras", ""
    odd: list[tuple[Any, str]] = [
        (row(None, "https://github.com/no/arxiv-id", abs_id=None), "no_arxiv_id"),
        (row("not-an-id", "https://github.com/bad/arxiv-id", abs_id=None), "no_arxiv_id"),
        (row(first, None), "bad_repo_url"),
        (row(first, ""), "bad_repo_url"),
        (row(first, "htps:/ github.com broken"), "bad_repo_url"),
        (row(first, "x" * 5000), "bad_repo_url"),
        (row(first, "https://github.com/SomeOrg"), "not_a_repository"),
        (row(first, "https://example.com/code.zip"), "not_a_repository"),
        (row(first, "https://some-lab.github.io/project/"), "not_a_repository"),
        (row(first, "https://github.com/Lab0-Group/Repo-0.git"), "duplicate"),
        (row(first, "https://GitHub.com/lab0-group/repo-0/tree/master"), "duplicate"),
    ]
    if not typed:
        odd += [
            (row(first, "https://github.com/typed/badly", official="maybe"), "bad_value"),
            (row(first, "https://github.com/typed/worse", in_paper=[1]), "bad_value"),
            (42, "not_an_object"),
            (["a", "list"], "not_an_object"),
        ]
    for r, reason in odd:
        rows.append(r)
        exp.skipped[reason] += 1


def synthetic_rows(n: int, *, seed: int = 7, odd_share: float = 0.05) -> Iterator[dict[str, Any]]:
    """``n`` rows of a PwC-sized archive (ids from 2018 to mid-2025), ``odd_share`` of them odd:
    no arXiv id, a non-repository URL, a duplicate (for the benchmark)."""
    rng = random.Random(seed)
    choices = [t for t, _ in TOKENS]
    weights = [w for _, w in TOKENS]
    for i in range(n):
        year = 18 + i % 8
        month = 1 + (i // 8) % (7 if year == 25 else 12)
        aid = f"{year:02d}{month:02d}.{(i // 96) % 99999 + 1:05d}"
        roll = rng.random()
        if roll < odd_share / 3:
            yield row(None, f"https://github.com/x{i}/y", abs_id=None)
        elif roll < 2 * odd_share / 3:
            yield row(aid, f"https://github.com/org{i}")
        elif roll < odd_share and i:
            yield row(aid, f"https://github.com/Owner{i - 1}/Repo{i - 1}")
        else:
            yield row(aid, f"https://github.com/Owner{i}/Repo{i}", official=rng.random() < 0.7,
                      framework=rng.choices(choices, weights)[0], title=f"Synthetic paper {i}")


# -- writers ---------------------------------------------------------------------------------

def write_json(rows: Iterable[Any], path: Path, *, gz: bool | None = None) -> Path:
    """The JSON list, streamed (gzip when the name ends in .gz, or when ``gz``)."""
    gz = path.name.endswith(".gz") if gz is None else gz
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        fh.write("[")
        for i, r in enumerate(rows):
            fh.write(("," if i else "") + "\n" + json.dumps(r))
        fh.write("\n]\n")
    return path


def write_jsonl(rows: Iterable[Any], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def write_parquet(rows: Iterable[dict[str, Any]], path: Path, *, chunk: int = 50_000) -> Path:
    """The parquet file with the dataset's types: strings, and bools for the three flags.

    A value of the wrong type (the JSON odd rows) is written as null: parquet columns are typed.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(f, pa.bool_() if f in ("is_official", "mentioned_in_paper",
                                                "mentioned_in_github") else pa.string())
                        for f in FIELDS])
    with pq.ParquetWriter(path, schema) as writer:
        buf: list[dict[str, Any]] = []
        for r in rows:
            buf.append({f: _typed(r.get(f), schema.field(f).type) for f in FIELDS})
            if len(buf) >= chunk:
                writer.write_table(pa.Table.from_pylist(buf, schema=schema))
                buf.clear()
        if buf:
            writer.write_table(pa.Table.from_pylist(buf, schema=schema))
    return path


def _typed(value: Any, kind: Any) -> Any:
    import pyarrow as pa

    if kind == pa.bool_():
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else None
