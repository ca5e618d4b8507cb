"""One local GitHub server with no repositories, shared by the harvest-focused tests.

Since `survey crawl` runs every stage, a test about the harvest still fetches the repositories
its papers link. Pointing it at this server (never at api.github.com, which is unreachable here)
makes each linked repository a real 404 -> status `missing`: one fast request each.
"""

from __future__ import annotations

from support.github_server import GitHubServer

_server: GitHubServer | None = None


def empty_github() -> GitHubServer:
    """The session's server, started on first use (daemon threads end with the process)."""
    global _server
    if _server is None:
        # Budgets no harvest test can spend: rate limiting is tested in test_github.py.
        _server = GitHubServer(limit=10**9, anonymous_limit=10**9).start()
    return _server


def github_env() -> dict[str, str]:
    """Environment variables pointing a `survey` subprocess at the empty server."""
    gh = empty_github()
    return {"GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url}


def github_settings() -> dict[str, str]:
    """Settings fields pointing the library at the empty server."""
    gh = empty_github()
    return {"github_api_url": gh.api_url, "github_raw_url": gh.raw_url}
