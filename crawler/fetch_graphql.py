"""The fetch stage's GitHub work through GraphQL, a group of repositories at a time.

For each group (``GROUP`` work items, in the stage's order):

1. ``due`` mode: known repositories are checked first (:meth:`GitHubGraphQL.check`, metadata
   and head oid, 100 for a point); an unchanged head only stores the fresh metadata and moves
   ``checked_at``, as REST's 304 does.
2. The others are fetched in batches (:meth:`GitHubGraphQL.fetch`): metadata, tree, root
   manifests. Files are chosen by :func:`crawler.selection.select_files`, as for REST; blobs
   already stored are not asked again; the rest come as GraphQL texts (up to 100 files a
   point) and, when GitHub gave no usable text (binary, cut at 512,000 bytes, not matching the
   tree's blob sha), from the raw host, like REST.
3. Every repository is then written in its own transaction, in order (kill -9 at any moment
   loses nothing committed; a repository half asked is simply asked again next run).

A ``NOT_FOUND`` alias is ``missing``; any other GraphQL error (blocked, disabled) sends that
repository through REST once (:meth:`crawler.fetch._Fetcher.fetch_rest`); a tree GraphQL could
not answer in time is taken with REST ``git/trees/{sha}?recursive=1`` (walked if truncated).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.github import valid_name
from crawler.github_graphql import Found, GitHubGraphQL
from crawler.graphql_query import Ask
from crawler.http import redact
from crawler.repo_host import UNREACHED, Downloaded, RepoHost, Tree, git_blob_sha
from crawler.selection import Selected, select_files
from survey.core.db import transaction
from survey.core.errors import RateLimitError, ServiceError, ServiceUnavailable
from survey.core.events import Task
from survey.core.vocab import COMPLETE_STATUSES, RepoStatus
from survey.store import repos as store

if TYPE_CHECKING:
    from crawler.fetch import Work, _Fetcher

# Work items handled together: their texts are batched across repositories. A refresh's
# groups are bigger, since most of their repositories end after the cheap check.
GROUP = 100
DUE_GROUP = 500
# Below this share of the hour's points, file texts come from the raw host (free of points).
TEXT_POINTS_RESERVE = 0.05


@dataclass
class _Job:
    """One repository of a group on its way to being stored."""

    item: Work
    row: sqlite3.Row
    ask: Ask
    found: Found | None = None
    selected: list[Selected] = field(default_factory=list)
    have: set[str] = field(default_factory=set)
    contents: dict[str, bytes] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    alias_of: str | None = None  # another job of this group fetches the same repository


class GraphQLFetch:
    """Runs GitHub work items through GraphQL, with REST for what GraphQL cannot answer."""

    def __init__(self, fetcher: _Fetcher, rest: RepoHost, gql: GitHubGraphQL, mode: str
                 ) -> None:
        self.fetcher = fetcher
        self.conn = fetcher.conn
        self.rest = rest
        self.gql = gql
        self.mode = mode
        self.chosen: dict[str, str] = {}  # canonical -> remote id, fetched by this run

    def run(self, items: list[Work], task: Task, outcomes: Counter[str]) -> None:
        size = DUE_GROUP if self.mode == "due" else GROUP
        for start in range(0, len(items), size):
            self._group(items[start:start + size], task, outcomes)

    # -- one group -----------------------------------------------------------------------------

    def _group(self, items: list[Work], task: Task, outcomes: Counter[str]) -> None:
        jobs: list[_Job] = []
        for item in items:
            job = self._job(item, outcomes)
            if job is None:
                task.advance()
            else:
                jobs.append(job)
        attempt = 0
        while True:
            try:
                if self.mode == "due":
                    jobs = self._check_known(jobs, task, outcomes)
                found = self.gql.fetch([j.ask for j in jobs]) if jobs else {}
                break
            except (RateLimitError, ServiceUnavailable):
                raise  # stop the run; what is committed stays
            except ServiceError as exc:
                attempt += 1
                if _unanswered(exc) and attempt < self.fetcher.settings.outage_after:
                    # One batch is one request: ask again, so that a GitHub that is down is
                    # seen as down (the run's Health raises ServiceUnavailable at its count).
                    continue
                self._failed(jobs, exc, task, outcomes)
                return
        ready: list[_Job] = []
        for job in jobs:
            job.found = found.get(job.item.repo)
            outcome = self._settle(job)
            if outcome is None:
                ready.append(job)
            else:
                outcomes[outcome] += 1
                task.advance()
        self._download(ready)
        for job in ready:
            outcomes[self._store(job)] += 1
            task.advance()

    def _failed(self, jobs: list[_Job], exc: ServiceError, task: Task,
                 outcomes: Counter[str]) -> None:
        """A batch GitHub did not answer: with no answer at all (or a 5xx after retries) its
        repositories stay as they were; with another failure each is an ``error`` (retried by
        the next run; one fetched before keeps its data and stays due), as REST does."""
        message = redact(str(exc), self.fetcher.settings.github_token)
        self.fetcher.events.detail(f"GraphQL batch of {len(jobs)}: {message}")
        for job in jobs:
            if _unanswered(exc):
                # No answer says nothing about the repositories: left as they were (REST
                # leaves them the same way); the next run asks again.
                self.fetcher.done.discard(job.item.repo)
                outcomes[UNREACHED] += 1
            else:
                with transaction(self.conn):
                    store.set_error(self.conn, job.item.repo, message,
                                    job.row["status"] in COMPLETE_STATUSES,
                                    self.fetcher.checked())
                outcomes[RepoStatus.ERROR] += 1
            task.advance()

    def _job(self, item: Work, outcomes: Counter[str]) -> _Job | None:
        fetcher = self.fetcher
        row = store.get(self.conn, item.repo)
        if row is None or item.repo in fetcher.done:
            return None  # merged into another row, or already done by this run
        fetcher.done.add(item.repo)
        path = row["full_name"] if row["full_name"] else item.repo.split("/", 1)[1]
        owner, _, name = path.partition("/")
        if not valid_name(owner, name):
            with transaction(self.conn):
                store.set_status(self.conn, item.repo, RepoStatus.MISSING,
                                 "not a valid GitHub repository name", fetcher.checked())
            outcomes[RepoStatus.MISSING] += 1
            return None
        return _Job(item, row, Ask(item.repo, owner, name))

    def _check_known(self, jobs: list[_Job], task: Task, outcomes: Counter[str]) -> list[_Job]:
        """Known repositories whose head did not move are done after the cheap look."""
        known = [j for j in jobs if j.row["status"] in COMPLETE_STATUSES]
        if not known:
            return jobs
        looked = self.gql.check([j.ask for j in known])
        left: list[_Job] = []
        for job in jobs:
            seen = looked.get(job.item.repo)
            if seen is None:
                left.append(job)
                continue
            outcome = self._unchanged(job, seen)
            if outcome is None:
                left.append(job)
            else:
                outcomes[outcome] += 1
                task.advance()
        return left

    def _unchanged(self, job: _Job, seen: Found) -> str | None:
        """The outcome when the look settles it (missing, REST, same head), else None."""
        if seen.outcome in ("missing", "rest"):
            job.found = seen
            return self._settle(job)
        meta = seen.meta
        if meta is None or f"{job.item.host}/{meta.full_name.lower()}" != job.item.repo:
            return None  # renamed: the full path claims the new name
        if seen.head != job.row["head_sha"]:
            return None
        meta.etag = job.row["etag"]  # still the ETag of the REST answer it came with
        self.fetcher.done.add(job.item.repo)
        self.fetcher._store(job.item, meta, seen.head, None, [], Downloaded(),
                            job.row["status"])
        return "unchanged"

    def _settle(self, job: _Job) -> str | None:
        """Outcomes that need no files; None when the job goes on to the downloads."""
        found = job.found
        fetcher = self.fetcher
        if found is None or found.outcome == "rest":
            return fetcher.fetch_rest(self.rest, job.item, job.row)
        if found.outcome == "missing":
            with transaction(self.conn):
                store.set_status(self.conn, job.item.repo, RepoStatus.MISSING,
                                 found.detail, fetcher.checked())
            return RepoStatus.MISSING
        if found.outcome == "too_big":
            return self._rest_tree(job)
        return self._choose(job)

    def _rest_tree(self, job: _Job) -> str | None:
        """A tree too big for one GraphQL answer: metadata by GraphQL, the tree by REST."""
        seen = self.gql.check([job.ask]).get(job.item.repo)
        if seen is None or seen.outcome != "ok" or seen.meta is None:
            return self.fetcher.fetch_rest(self.rest, job.item, job.row)
        tree = self.rest.tree(seen.meta, seen.head) if seen.head else None
        seen.entries = tree.entries if tree is not None else []
        seen.truncated = bool(tree is not None and tree.truncated)
        job.found = seen
        return self._choose(job)

    def _choose(self, job: _Job) -> str | None:
        """Alias, unchanged or empty outcomes; else the files to get."""
        found = job.found
        assert found is not None and found.meta is not None
        meta, item, fetcher = found.meta, job.item, self.fetcher
        canonical = f"{item.host}/{meta.full_name.lower()}"
        if canonical != item.repo and self.chosen.get(canonical) == meta.remote_id:
            job.alias_of = canonical  # claimed once the canonical row is written
            return None
        if (canonical != item.repo and canonical in fetcher.done
                and store.remote_id_of(self.conn, canonical) == meta.remote_id):
            with transaction(self.conn):
                store.claim(self.conn, item.repo, item.host, canonical, meta.remote_id,
                            fetcher.checked())
            return "alias"
        fetcher.done.add(canonical)
        self.chosen[canonical] = meta.remote_id
        complete = job.row["status"] in COMPLETE_STATUSES
        if (found.head is not None and complete and canonical == item.repo
                and found.head == job.row["head_sha"]):
            fetcher._store(item, meta, found.head, None, [], Downloaded(), job.row["status"])
            return "unchanged"
        if found.head is None or not found.entries:
            fetcher._store(item, meta, found.head, Tree([]), [], Downloaded(), RepoStatus.EMPTY)
            return RepoStatus.EMPTY
        job.selected = select_files(found.entries, fetcher.settings)
        job.have = store.stored_blobs(self.conn, {s.sha for s in job.selected})
        job.truncated = found.truncated
        for sel in job.selected:
            data = found.texts.get(sel.path)
            if sel.sha not in job.have and data is not None and git_blob_sha(data) == sel.sha:
                job.contents[sel.sha] = data
        return None

    # -- files -----------------------------------------------------------------------------------

    def _wanted(self, job: _Job) -> list[Selected]:
        if job.alias_of is not None:
            return []
        return [s for s in job.selected if s.sha not in job.have and s.sha not in job.contents]

    def _texts_by_graphql(self) -> bool:
        """GraphQL texts save a round trip per file; the raw host saves points. Points win
        only when the hour's budget is nearly spent."""
        cost = self.gql.cost
        if cost.remaining is None or not cost.limit:
            return True
        return cost.remaining > cost.limit * TEXT_POINTS_RESERVE

    def _download(self, jobs: list[_Job]) -> None:
        if self._texts_by_graphql():
            wanted: list[tuple[Ask, str, Selected]] = []
            for job in jobs:
                assert job.found is not None and job.found.meta is not None
                owner, _, name = job.found.meta.full_name.partition("/")
                ask = Ask(job.item.repo, owner, name)
                wanted.extend((ask, job.found.head or "", s) for s in self._wanted(job))
            try:
                got = self.gql.texts(wanted)
            except (RateLimitError, ServiceUnavailable):
                raise
            except ServiceError:
                got = {}  # the raw host below takes them all
            for job in jobs:
                for sel in self._wanted(job):
                    if sel.sha in got:
                        job.contents[sel.sha] = got[sel.sha]
        for job in jobs:
            rest = self._wanted(job)
            if rest:
                assert job.found is not None and job.found.meta is not None
                files = self.rest.download(job.found.meta, job.found.head or "", rest)
                job.contents.update(files.contents)
                job.failed, job.skipped = files.failed, files.skipped

    def _store(self, job: _Job) -> str:
        found = job.found
        assert found is not None and found.meta is not None
        if job.alias_of is not None:
            with transaction(self.conn):
                store.claim(self.conn, job.item.repo, job.item.host, job.alias_of,
                            found.meta.remote_id, self.fetcher.checked())
            return "alias"
        files = Downloaded(dict(job.contents), job.failed, job.skipped)
        status = RepoStatus.TRUNCATED if job.truncated else RepoStatus.OK
        if files.failed:
            status = RepoStatus.ERROR
        tree = Tree(found.entries, truncated=job.truncated)
        self.fetcher._store(job.item, found.meta, found.head, tree, job.selected, files, status,
                            have=job.have)
        return status


def _unanswered(exc: ServiceError) -> bool:
    """No answer came (refused, silent, dropped), or GitHub failed after retries (5xx)."""
    return exc.transport or (exc.status or 0) >= 500
