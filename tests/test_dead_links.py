"""Dead links cost little (issue 9 §7): missing and blocked repositories are asked again at
growing intervals, so a monthly refresh costs about its new repositories, counted on the
GitHub stand-in, however many dead links the database holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from support.clock import NOW
from support.fetching import FILES, TOKEN, fast, repo_row, run
from support.github_server import GitHubServer, add_link

from crawler.fetch import MONTH, next_check, select_work
from survey.core.settings import Settings

MISSING, BLOCKED, LIVE, NEW = 300, 100, 20, 5


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer(limit=10**6) as server:
        yield server


def test_a_refresh_costs_3n_plus_2_however_many_dead_links(gh: GitHubServer, conn) -> None:
    for i in range(MISSING):
        add_link(conn, f"2001.{i:05d}", f"github.com/gone/r{i}")
    for i in range(BLOCKED):
        gh.model.add_repo(f"Taken/R{i}", FILES, blocked="dmca" if i % 2 else "tos")
        add_link(conn, f"2002.{i:05d}", f"github.com/taken/r{i}")
    for i in range(LIVE):
        gh.model.add_repo(f"Live/R{i}", {**FILES, "x.py": b"# %d\n" % i},
                          pushed_at="2019-01-01T00:00:00Z")
        add_link(conn, f"2003.{i:05d}", f"github.com/live/r{i}")
    settings = fast(gh, github_token=TOKEN)
    first = run(conn, settings, now=NOW)
    assert first.outcomes == {"missing": MISSING, "blocked": BLOCKED, "ok": LIVE}

    # A month later: missing links are asked once more (their first interval), blocked not.
    gh.reset_counts()
    month = run(conn, settings, mode="due", now=NOW + timedelta(days=31))
    assert month.outcomes == {"missing": MISSING, "unchanged": LIVE}
    assert gh.counts["charged"] == MISSING and gh.counts["not_modified"] == LIVE

    # The month after, with N new repositories: the dead links are not due.
    for i in range(NEW):
        gh.model.add_repo(f"New/R{i}", {**FILES, "n.py": b"# new %d\n" % i})
        add_link(conn, f"2004.{i:05d}", f"github.com/new/r{i}")
    gh.reset_counts()
    later = run(conn, settings, mode="due", now=NOW + timedelta(days=62))
    assert later.outcomes == {"ok": NEW, "unchanged": LIVE}
    assert gh.counts["charged"] <= 3 * NEW + 2
    asked = {s.path.split("/")[3] for s in gh.seen if s.path.count("/") == 4}
    assert not asked & {"gone", "taken"}


def test_missing_links_are_asked_at_1_2_4_months_capped(gh: GitHubServer, conn) -> None:
    settings = Settings(dead_recheck_max_months=6)
    assert [next_check("missing", k, NOW, settings) for k in (1, 2, 3, 4, 5)] == [
        (NOW + m * MONTH).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (1, 2, 4, 6, 6)]
    assert next_check("blocked", 1, NOW, settings) == (NOW + 12 * MONTH).strftime(
        "%Y-%m-%dT%H:%M:%SZ")

    add_link(conn, "2001.00001", "github.com/gone/later")
    s = fast(gh)
    when = NOW
    asked_at = []
    for day in range(0, 400, 10):  # a refresh every ten days for over a year
        now = NOW + timedelta(days=day)
        gh.reset_counts()
        run(conn, s, mode="due", now=now)
        if gh.counts["charged"]:
            asked_at.append(day)
            when = now
    gaps = [b - a for a, b in zip(asked_at, asked_at[1:], strict=False)]
    assert asked_at[0] == 0 and gaps == sorted(gaps) and gaps[-1] >= 120
    assert repo_row(conn, "github.com/gone/later")["misses"] == len(asked_at)
    assert when >= NOW


def test_a_dead_link_that_comes_back_is_fetched_and_forgiven(gh: GitHubServer, conn) -> None:
    add_link(conn, "2001.00001", "github.com/gone/back")
    s = fast(gh)
    run(conn, s, now=NOW)
    assert repo_row(conn, "github.com/gone/back")["misses"] == 1
    gh.model.add_repo("Gone/Back", FILES)
    assert select_work(conn, "due", NOW + timedelta(days=10)) == []
    assert run(conn, s, mode="due", now=NOW + timedelta(days=31)).outcomes == {"ok": 1}
    row = repo_row(conn, "github.com/gone/back")
    assert row["status"] == "ok" and row["misses"] == 0 and row["next_check_at"] is None
