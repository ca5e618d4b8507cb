"""The code hosts the fetch stage knows, by host name: one :class:`RepoHost` client each.

A host registers a factory under its name and the link kind it serves::

    register("github.com", LinkKind.GITHUB, lambda ctx: GitHubClient(ctx.settings, ...))

and the fetch stage asks :class:`Hosts` for the client of each repository's host instead of
choosing among a union of client types. The next hosts (Codeberg, Hugging Face, a GitHub GraphQL
client that replaces the REST one when a token is set) register the same way; the last
registration of a host name wins, so a module can override the default GitHub client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crawler.github import GitHubClient
from crawler.gitlab import GitLabClient
from crawler.http import RequestStats
from crawler.repo_host import RepoHost
from crawler.transport import Health
from survey.core.errors import InputError
from survey.core.settings import Settings
from survey.core.vocab import LinkKind


@dataclass(frozen=True)
class HostContext:
    """What a host's factory gets: the run's settings, stats sink, health and message sink."""

    settings: Settings
    stats: RequestStats
    health: Health | None
    notify: Callable[[str], None]


HostFactory = Callable[[HostContext], RepoHost]


@dataclass(frozen=True)
class HostEntry:
    host: str
    kind: str
    factory: HostFactory


_REGISTRY: dict[str, HostEntry] = {}


def register(host: str, kind: str, factory: HostFactory) -> None:
    """Make ``host`` (``github.com``) fetchable for links of ``kind`` through ``factory``."""
    _REGISTRY[host] = HostEntry(host, str(kind), factory)


def registered() -> dict[str, str]:
    """Link kind -> the host its repositories are fetched from (what registration uses)."""
    return {entry.kind: entry.host for entry in _REGISTRY.values()}


def fetched_hosts() -> tuple[str, ...]:
    return tuple(_REGISTRY)


@dataclass
class Hosts:
    """One run's clients, made on first use and closed together."""

    context: HostContext
    _clients: dict[str, RepoHost] = field(default_factory=dict)

    def client(self, host: str) -> RepoHost:
        if host not in self._clients:
            entry = _REGISTRY.get(host)
            if entry is None:
                raise InputError(f"no client registered for {host}")
            self._clients[host] = entry.factory(self.context)
        return self._clients[host]

    def totals(self) -> dict[str, int]:
        """The clients' counters added up (charged, not_modified, raw, bytes)."""
        out: dict[str, int] = {}
        for client in self._clients.values():
            for key, value in client.totals.items():
                out[key] = out.get(key, 0) + value
        return out

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


register("github.com", LinkKind.GITHUB,
         lambda c: GitHubClient(c.settings, c.stats, health=c.health, notify=c.notify))
register("gitlab.com", LinkKind.GITLAB,
         lambda c: GitLabClient(c.settings, c.stats, health=c.health, notify=c.notify))
