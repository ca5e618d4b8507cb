"""The fetch stage: every distinct linked repository -> metadata, tree and selected file bytes.

Order of work: official links first, then the rest, oldest first. Each repository is fetched
over the network first and then written in ONE transaction together with its status and
``checked_at``, so a crash or ``kill -9`` at any moment loses nothing that was committed and
never stores a repository twice or half (tested with a real subprocess).

Modes:
- ``pending``: repositories never fetched, or whose last attempt ended in ``error``.
- ``due`` (the monthly refresh): pending ones plus known ones checked more than 30 days ago or
  active (pushed within the 30 days before their last check). They are asked again with
  ``If-None-Match``; a 304 or an unchanged head sha only moves ``checked_at``; a changed head
  fetches the tree again and only the blobs whose sha is not stored yet.

Renames: the canonical ``github.com/owner/name`` (lower case) is the ``repos`` row; the name as
linked becomes a ``repo_aliases`` entry, and two names for the same remote id end as one row.

Outages: a request that got no answer (``ServiceError.transport``) says nothing about the
repository, so it is left exactly as it was (pending stays pending) and the run goes on, until
the run's :class:`~crawler.transport.Health` sees the host down and raises
:class:`~survey.core.errors.ServiceUnavailable`, which stops the run (exit 4) with everything
committed so far kept. Dead links: a missing or blocked repository is asked again after 1, 2,
4, ... months (``dead_recheck_max_months`` at most; blocked ones every
``blocked_recheck_months``), not at every refresh.

Hosts come from the registry of :mod:`crawler.hosts` (one :class:`~crawler.repo_host.RepoHost`
per host name).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.fetch_graphql import GraphQLFetch
from crawler.github_budget import check_anonymous, github_api_for
from crawler.github_graphql import GitHubGraphQL
from crawler.hosts import HostContext, Hosts, fetched_hosts, registered
from crawler.http import RequestStats, redact
from crawler.repo_host import (
    SYMLINK_MODE,
    UNREACHED,
    Downloaded,
    Lookup,
    RepoHost,
    RepoMeta,
    Tree,
)
from crawler.selection import Selected, select_files
from crawler.transport import Health
from survey.core.clock import SYSTEM_CLOCK, Clock, stamp
from survey.core.db import transaction
from survey.core.errors import InputError, RateLimitError, ServiceError, ServiceUnavailable
from survey.core.events import SILENT, Events, Task
from survey.core.settings import Settings
from survey.core.vocab import (
    COMPLETE_STATUSES,
    KNOWN_STATUSES,
    REPOSITORY_KINDS,
    RepoStatus,
)
from survey.store import repos as store
from survey.store.sample import in_sample

# A known repository is re-checked when its last check is older than this: "more than 30 days
# ago", less a grace of 3 days, because a monthly job fires every 28-31 days and a check stamped
# a few minutes after the last run's start would otherwise skip every month that is not 31 days.
DUE_AFTER = timedelta(days=30)
DUE_GRACE = timedelta(days=3)
# A month of the dead-link schedule.
MONTH = timedelta(days=30)
MODES = ("pending", "due")


def fetched_kinds() -> dict[str, str]:
    """Link kind -> the one host we fetch it from (the registry's)."""
    return registered()


@dataclass
class FetchSummary:
    """What one run of the stage did; ``outcomes`` counts repositories by result (a status,
    ``unchanged`` for a 304 or an unchanged head, ``alias`` for a second name of a repository
    this run already fetched)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    registered: int = 0
    charged: int = 0
    not_modified: int = 0
    raw_downloads: int = 0
    bytes: int = 0
    pruned_blobs: int = 0
    github_api: str = "rest"
    sample: float | None = None
    graphql: dict[str, Any] = field(default_factory=dict)

    @property
    def repos(self) -> int:
        return sum(self.outcomes.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcomes": dict(sorted(self.outcomes.items())),
            "repos": self.repos,
            "registered": self.registered,
            "requests_charged": self.charged,
            "not_modified": self.not_modified,
            "raw_downloads": self.raw_downloads,
            "bytes": self.bytes,
            "github_api": self.github_api,
            "sample": self.sample,
            "graphql_points": int(self.graphql.get("points", 0)),
            "graphql": self.graphql,
        }

    def line(self) -> str:
        """One human line for the end of a crawl."""
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing to do"
        points = (f", {self.graphql.get('points', 0)} GraphQL points" if self.graphql else "")
        return (f"repositories: {parts}; {self.charged} charged requests{points},"
                f" {self.not_modified}"
                f" not modified (304), {self.raw_downloads} raw downloads,"
                f" {self.bytes / 1e6:,.1f} MB")


@dataclass
class Work:
    repo: str
    host: str
    official: bool


# -- choosing the work ----------------------------------------------------------------------

def register_linked(conn: sqlite3.Connection, now: str) -> int:
    """A ``repos`` row for every newly linked repository (others get ``not_fetched``)."""
    with transaction(conn):
        return store.register_linked(conn, fetched_kinds(), now, REPOSITORY_KINDS)


def select_work(conn: sqlite3.Connection, mode: str, now: datetime) -> list[Work]:
    """The repositories this run should ask about, official links first."""
    if mode not in MODES:
        raise InputError(f"unknown fetch mode {mode!r}: expected one of {', '.join(MODES)}")
    stale = stamp(now - DUE_AFTER + DUE_GRACE)
    work = []
    for row in store.candidates(conn, fetched_hosts()):
        due = row.status in (RepoStatus.PENDING, RepoStatus.ERROR)
        if not due and mode == "due" and row.status in KNOWN_STATUSES:
            due = _due(row, stale, stamp(now + DUE_GRACE))
        if due:
            work.append(Work(row.repo, row.host, row.official))
    work.sort(key=lambda w: not w.official)  # stable: keeps first_seen order within each group
    return work


def _is_known(conn: sqlite3.Connection, repo: str) -> bool:
    row = store.get(conn, repo)
    return row is not None and row["status"] in KNOWN_STATUSES


def _due(row: store.RepoRow, stale: str, soon: str) -> bool:
    """A known repository worth asking again: dead links on their schedule, the others when
    last checked more than a month ago or active."""
    if row.status in (RepoStatus.MISSING, RepoStatus.BLOCKED) and row.next_check_at:
        return row.next_check_at <= soon
    checked = row.checked_at
    return checked is None or checked < stale or _active(row.pushed_at, checked)


def next_check(status: str, misses: int, checked: datetime, settings: Settings) -> str:
    """When a dead link may be asked again: 1, 2, 4, ... months after this miss (capped),
    blocked ones every ``blocked_recheck_months``."""
    if status == RepoStatus.BLOCKED:
        months = settings.blocked_recheck_months
    else:
        months = min(2 ** max(0, misses - 1), settings.dead_recheck_max_months)
    return stamp(checked + months * MONTH)


def _active(pushed_at: str | None, checked_at: str) -> bool:
    """Pushed within the 30 days before the last check: likely to change again soon."""
    if not pushed_at:
        return False
    try:
        checked = datetime.fromisoformat(checked_at.replace("Z", "+00:00"))
    except ValueError:
        return True
    return pushed_at >= stamp(checked - DUE_AFTER)


# -- the stage ------------------------------------------------------------------------------

def fetch_repositories(
    conn: sqlite3.Connection,
    settings: Settings,
    stats: RequestStats,
    *,
    mode: str = "pending",
    events: Events = SILENT,
    clock: Clock = SYSTEM_CLOCK,
    health: Health | None = None,
    sample: float | None = None,
) -> FetchSummary:
    """Register linked repositories, then fetch those ``mode`` selects; see the module doc.

    ``health`` is the run's (shared with the other stages' clients); one is made when none is
    given, so a host that is down always stops the stage. ``sample`` (0 < f < 1) fetches only
    the repositories whose key hashes below ``f`` (:func:`survey.store.sample.in_sample`): the
    same ones every run, a superset for a larger fraction. GitHub goes through GraphQL or REST
    as :func:`github_api_for` says.
    """
    started = clock.now().astimezone(UTC)
    summary = FetchSummary(github_api=github_api_for(settings), sample=sample)
    summary.registered = register_linked(conn, stamp(started))
    work = select_work(conn, mode, started)
    if sample is not None:
        work = [w for w in work if in_sample(w.repo, sample)]
    if not work:
        return summary
    if health is None:
        health = Health(settings.outage_after, settings.outage_seconds)
    on_github = [w for w in work if w.host == "github.com"]
    _before_github(conn, settings, stats, events, on_github)
    hosts = Hosts(HostContext(settings, stats, health, events.info))
    gql = (GitHubGraphQL(settings, stats, health=health, notify=events.info)
           if summary.github_api == "graphql" and on_github else None)
    fetcher = _Fetcher(conn, settings, events, clock)
    try:
        with events.task("fetch repositories", total=len(work)) as task:
            if gql is not None:
                GraphQLFetch(fetcher, hosts.client("github.com"), gql, mode).run(
                    on_github, task, summary.outcomes)
            rest = [w for w in work if gql is None or w.host != "github.com"]
            _fetch_rest(fetcher, rest, hosts, task, summary)
    finally:
        _close(summary, gql, hosts)
    with transaction(conn):
        summary.pruned_blobs = store.prune_blobs(conn)
    return summary


def _before_github(conn: sqlite3.Connection, settings: Settings, stats: RequestStats,
                   events: Events, on_github: list[Work]) -> None:
    """Without a token: stop when the work needs more than GitHub allows, else warn once."""
    if settings.github_token or not on_github:
        return
    known = sum(1 for w in on_github if _is_known(conn, w.repo))
    check_anonymous(settings, stats, len(on_github) - known, known)
    events.warning("GITHUB_TOKEN is not set: GitHub allows 60 requests an hour without a"
                   " token (5,000 with one)")


def _fetch_rest(fetcher: _Fetcher, work: list[Work], hosts: Hosts, task: Task,
                summary: FetchSummary) -> None:
    """One repository at a time through its host's REST client (the registry's)."""
    for item in work:
        outcome = fetcher.fetch_one(hosts.client(item.host), item)
        if outcome is not None:
            summary.outcomes[outcome] += 1
        task.advance()


def _close(summary: FetchSummary, gql: GitHubGraphQL | None, hosts: Hosts) -> None:
    """Add the clients' counts to the summary and close them."""
    if gql is not None:
        summary.graphql = gql.cost.as_dict()
        gql.close()
    totals = hosts.totals()
    summary.charged += totals.get("charged", 0)
    summary.not_modified += totals.get("not_modified", 0)
    summary.raw_downloads += totals.get("raw", 0)
    summary.bytes += totals.get("bytes", 0)
    hosts.close()


class _Fetcher:
    """One run's fetching: which repositories are done, and how each is written."""

    def __init__(self, conn: sqlite3.Connection, settings: Settings, events: Events,
                 clock: Clock) -> None:
        self.conn = conn
        self.settings = settings
        self.events = events
        self.clock = clock
        self.done: set[str] = set()

    def checked(self) -> str:
        return stamp(self.clock.now())

    def fetch_one(self, client: RepoHost, item: Work) -> str | None:
        """Fetch one repository and commit its rows; the outcome, None when skipped."""
        row = store.get(self.conn, item.repo)
        if row is None or item.repo in self.done:
            return None  # merged into another row, or already done by this run
        self.done.add(item.repo)
        return self.fetch_rest(client, item, row)

    def fetch_rest(self, client: RepoHost, item: Work, row: sqlite3.Row) -> str:
        """One repository through the host's REST API (also GraphQL's fallback)."""
        complete = row["status"] in COMPLETE_STATUSES
        path = row["full_name"] if row["full_name"] else item.repo.split("/", 1)[1]
        try:
            lookup = client.lookup(path, row["etag"] if complete else None)
            return self._after_lookup(client, item, row, complete, lookup)
        except (RateLimitError, ServiceUnavailable):
            raise  # a wait beyond bounds, a host down: stop the run, keep what is committed
        except ServiceError as exc:
            message = redact(str(exc), self.settings.github_token)
            self.events.detail(f"{item.repo}: {message}")
            if exc.transport or (exc.status or 0) >= 500:
                # No answer, or the host failing after retries, says nothing about the
                # repository: leave it as it was (the run's health decides about the host).
                self.done.discard(item.repo)
                return UNREACHED
            with transaction(self.conn):
                store.set_error(self.conn, item.repo, message, complete, self.checked())
            return RepoStatus.ERROR

    def _after_lookup(self, client: RepoHost, item: Work, row: sqlite3.Row, complete: bool,
                      lookup: Lookup) -> str:
        if lookup.outcome == "not_modified":
            with transaction(self.conn):
                store.touch(self.conn, item.repo, self.checked())
            return "unchanged"
        if lookup.outcome in (RepoStatus.MISSING, RepoStatus.BLOCKED):
            self._dead(item, lookup)
            return lookup.outcome
        meta = lookup.meta
        if meta is None:
            raise ServiceError(f"{item.host}: no metadata for {item.repo}")
        canonical = f"{item.host}/{meta.full_name.lower()}"
        if (canonical != item.repo and canonical in self.done
                and store.remote_id_of(self.conn, canonical) == meta.remote_id):
            # Another link of this run already fetched the same repository: alias only.
            with transaction(self.conn):
                store.claim(self.conn, item.repo, item.host, canonical, meta.remote_id,
                            self.checked())
            return "alias"
        self.done.add(canonical)
        sha = client.head(meta)
        if sha is not None and complete and canonical == item.repo and sha == row["head_sha"]:
            self._store(item, meta, sha, None, [], Downloaded(), row["status"])
            return "unchanged"
        tree = client.tree(meta, sha) if sha is not None else None
        if sha is None or tree is None or not tree.entries:
            self._store(item, meta, sha, Tree([]), [], Downloaded(), RepoStatus.EMPTY)
            return RepoStatus.EMPTY
        selected = _code_only(select_files(tree.entries, self.settings), tree)
        have = store.stored_blobs(self.conn, {s.sha for s in selected})
        files = client.download(meta, sha, [s for s in selected if s.sha not in have])
        status = RepoStatus.TRUNCATED if tree.truncated else RepoStatus.OK
        if files.failed:
            status = RepoStatus.ERROR
        self._store(item, meta, sha, tree, selected, files, status, have=have)
        return status

    def _dead(self, item: Work, lookup: Lookup) -> None:
        """Missing or blocked: stored with the time a refresh may ask again."""
        now = self.clock.now().astimezone(UTC)
        misses = store.misses_of(self.conn, item.repo) + 1
        detail = redact(lookup.detail or "", self.settings.github_token) or None
        with transaction(self.conn):
            store.set_status(self.conn, item.repo, lookup.outcome, detail, stamp(now),
                             next_check(lookup.outcome, misses, now, self.settings))

    def _store(self, item: Work, meta: RepoMeta, sha: str | None, tree: Tree | None,
               selected: list[Selected], files: Downloaded, status: str, *,
               have: set[str] | None = None) -> None:
        """Write one repository's rows, its status and ``checked_at`` in one transaction.

        ``tree`` None keeps the stored tree and files (an unchanged head).
        """
        canonical = f"{item.host}/{meta.full_name.lower()}"
        checked = self.checked()
        detail = _detail(files, tree)
        with transaction(self.conn):
            store.claim(self.conn, item.repo, item.host, canonical, meta.remote_id, checked)
            store.write_fetched(self.conn, canonical, _fetched(meta, sha), status,
                                redact(detail, self.settings.github_token) if detail else None,
                                checked)
            if tree is not None:
                store.replace_files(
                    self.conn, canonical,
                    ((e.path, e.type, e.sha, e.size, e.mode) for e in tree.entries),
                    [store.FileRecord(s.path, s.sha, s.role) for s in selected],
                    files.contents, have or set())


def _code_only(selected: list[Selected], tree: Tree) -> list[Selected]:
    """Symbolic links are never downloaded as code (the raw host serves the target's path)."""
    links = {e.path for e in tree.entries if e.mode == SYMLINK_MODE}
    return [s for s in selected if s.path not in links] if links else selected


def _detail(files: Downloaded, tree: Tree | None) -> str | None:
    if files.failed:
        return f"{len(files.failed)} file(s) failed to download, e.g. {files.failed[0]}"
    if files.skipped:
        path, why = next(iter(files.skipped.items()))
        return (f"{len(files.skipped)} selected file(s) not stored (missing, too big, altered"
                f" or not code), e.g. {path[:200]}: {why}")
    if tree is not None and tree.truncated:
        return (f"tree truncated ({tree.why or 'by the host'}); stored {len(tree.entries):,}"
                " entries")
    return None


def _fetched(meta: RepoMeta, sha: str | None) -> store.Fetched:
    return store.Fetched(
        remote_id=meta.remote_id, full_name=meta.full_name, default_branch=meta.default_branch,
        head_sha=sha, created_at=meta.created_at, pushed_at=meta.pushed_at, stars=meta.stars,
        fork=meta.fork, archived=meta.archived, language=meta.language, size_kb=meta.size_kb,
        etag=meta.etag,
    )
