"""What GitHub's budgets allow: ``GET /rate_limit`` (free), the API a run uses, the no-token stop.

Without a token GitHub allows 60 REST requests an hour and no GraphQL at all; a first fetch
costs about 3 requests a repository over REST. A crawl that would need more than what is left
stops before the fetch with one line that says how much it needs and how to set
``GITHUB_TOKEN`` (exit 2), instead of crawling for months at 60 an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.http import RequestStats, RetryPolicy, make_session
from crawler.transport import Endpoint, Limits, send
from survey.core.errors import ConfigError, ServiceError
from survey.core.settings import Settings

ANONYMOUS_LIMIT = 60
# REST requests a repository costs (README "What is requested"): 3 on a first fetch; a re-check
# is 1 (a 304 is charged without a token), 3 when the head moved.
REST_FIRST = 3
REST_RECHECK = 1


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset: int  # epoch seconds


@dataclass(frozen=True)
class Budgets:
    """The REST ``core`` and ``graphql`` budgets of the caller (token or address)."""

    core: Budget | None
    graphql: Budget | None


def github_api_for(settings: Settings) -> str:
    """``rest`` or ``graphql``: ``auto`` takes GraphQL when a token is set (it needs one)."""
    if settings.github_api in ("rest", "graphql"):
        return settings.github_api
    return "graphql" if settings.github_token else "rest"


def _budget(node: Any) -> Budget | None:
    if not isinstance(node, dict):
        return None
    values = [node.get(k) for k in ("limit", "remaining", "reset")]
    ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    return Budget(*ints) if len(ints) == 3 else None


def rate_limits(settings: Settings, stats: RequestStats | None = None) -> Budgets | None:
    """``GET {GITHUB_API_URL}/rate_limit``: free, not counted against any budget. None when
    GitHub does not answer it (an Enterprise server without rate limits answers 404)."""
    url = settings.github_api_url.rstrip("/") + "/rate_limit"
    session = make_session(RetryPolicy(total=1, backoff_factor=settings.http_backoff),
                           stats=stats, service="github")
    if settings.github_token:
        session.headers["Authorization"] = f"Bearer {settings.github_token}"
    session.headers["Accept"] = "application/vnd.github+json"
    try:
        answer = send(session, "GET", url, endpoint=Endpoint("github", "GITHUB_API_URL", url),
                      limits=Limits(read_timeout=settings.http_timeout,
                                    deadline=2 * settings.http_timeout + 5))
        if stats is not None:
            stats.count_request("github-free")
        if answer.status != 200:
            return None
        body = answer.json_body()
    except ServiceError:
        return None
    finally:
        session.close()
    resources = body.get("resources") if isinstance(body, dict) else None
    if not isinstance(resources, dict):
        return None
    return Budgets(_budget(resources.get("core")), _budget(resources.get("graphql")))


def rest_requests_needed(new: int, known: int) -> int:
    return REST_FIRST * new + REST_RECHECK * known


def check_anonymous(settings: Settings, stats: RequestStats, new: int, known: int) -> None:
    """Without a token: stop (ConfigError, exit 2) when the work needs more than is left."""
    if settings.github_token or not (new or known):
        return
    needed = rest_requests_needed(new, known)
    if needed <= ANONYMOUS_LIMIT:
        return  # within GitHub's documented hour: the client waits for a reset if need be
    budgets = rate_limits(settings, stats)  # an Enterprise server may allow more
    core = budgets.core if budgets is not None else None
    limit = core.limit if core is not None else ANONYMOUS_LIMIT
    remaining = core.remaining if core is not None else ANONYMOUS_LIMIT
    if needed <= remaining:
        return
    raise ConfigError(
        f"fetching {new + known:,} GitHub repositories needs about {needed:,} requests, and"
        f" without a token GitHub allows {limit:,} an hour ({remaining:,} left): set"
        " GITHUB_TOKEN to a personal access token (github.com/settings/tokens, no scope"
        " needed) and run again; the harvested papers are stored")
