"""One settings object for the whole tool.

Layering is defaults < environment (the variables of DESIGN.md) < command-line options, so a
scheduled job can be configured by its environment and a person can still override one value
on the command line. Every component receives a ``Settings`` instead of reading globals.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from survey.core.errors import ConfigError

DEFAULT_CATEGORIES: tuple[str, ...] = ("cs.LG", "cs.CV", "cs.CL", "cs.AI", "cs.NE", "stat.ML")


@dataclass(frozen=True)
class Settings:
    """All tunables. The tokens are excluded from ``repr`` so they never land in a log."""

    db: Path = Path("data/survey.db")
    reports_dir: Path = Path("reports")
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    # arXiv's terms of use: at most one request every 3 seconds.
    arxiv_delay: float = 3.0
    arxiv_page_size: int = 2000
    arxiv_timeout: float = 60.0
    arxiv_retries: int = 5
    # A window whose total exceeds this is split in two.
    arxiv_window_max: int = 4000
    # Windows that ended less than this many days ago are re-harvested: new papers still arrive.
    arxiv_recent_days: int = 28
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    github_api_url: str = "https://api.github.com"
    github_raw_url: str = "https://raw.githubusercontent.com"
    github_token: str | None = field(default=None, repr=False)
    # Which GitHub API fetches repositories (issue 11): ``rest``, ``graphql`` or ``auto``
    # (GraphQL when a token is set, REST otherwise); the same files are selected either way.
    github_api: str = "auto"
    # GraphQL endpoint; empty: derived from ``github_api_url`` (see :meth:`graphql_url`).
    github_graphql_url: str = ""
    gitlab_api_url: str = "https://gitlab.com/api/v4"
    # Hugging Face Papers (issue 13): GET {hf_api_url}/api/papers/{arxiv_id}; the token only
    # raises the rate limit (about 1,000 requests per 5 minutes with a free one, 500 without).
    hf_api_url: str = "https://huggingface.co"
    hf_token: str | None = field(default=None, repr=False)
    http_timeout: float = 30.0
    http_retries: int = 5
    # Caps on what is downloaded per repository (issue 3).
    max_python_files: int = 40
    max_notebooks: int = 10
    max_file_bytes: int = 300_000
    max_repo_bytes: int = 5_000_000
    raw_workers: int = 4
    # Upper bound on one backoff sleep, so a hostile Retry-After cannot park the crawl for days.
    max_backoff: float = 3600.0
    # Fetch stage (issue 3): base of the exponential backoff on 5xx and connection errors; the
    # wait GitHub asks for after a secondary limit without retry-after ("at least a minute");
    # requests allowed for walking a truncated tree level by level.
    http_backoff: float = 1.0
    github_secondary_wait: float = 60.0
    # A raw host's 403/429 without retry-after is waited out once per file, this long; a run
    # of refusals is that host's outage (issue 9 §2), not an hour of waits per file.
    raw_refusal_wait: float = 20.0
    max_tree_requests: int = 50
    # Hostile input (issue 9 §5): a truncated tree is walked to at most this many entries and
    # folders this deep; answers are capped on the wire and decompressed (API JSON, arXiv
    # pages; raw files by max_file_bytes).
    max_tree_entries: int = 100_000
    max_tree_depth: int = 32
    max_answer_bytes: int = 64_000_000
    max_arxiv_answer_bytes: int = 200_000_000
    # Outages (issue 9 §2): one total deadline per request (urllib3's retries and the body
    # included), and a service is down after outage_after requests in a row with no usable
    # answer, or when such failures have lasted outage_seconds.
    http_deadline: float = 40.0
    arxiv_deadline: float = 90.0
    outage_after: int = 3
    outage_seconds: float = 60.0
    # Dead links (issue 9 §7): a missing repository is asked again after 1, 2, 4, ... months
    # (at most dead_recheck_max_months); a blocked one every blocked_recheck_months.
    dead_recheck_max_months: int = 12
    blocked_recheck_months: int = 12

    # Report (issue 5): claim thresholds, documented in the page. C1 needs PyTorch's share above
    # claim_majority; C2 needs PyTorch+TensorFlow above claim_two_frameworks among deep-learning
    # code; C3 calls a framework dead or dying below claim_dying_share (or falling); a window
    # with fewer than claim_min_papers papers with classified code gives "not enough data".
    claim_majority: float = 0.67
    claim_two_frameworks: float = 0.90
    claim_dying_share: float = 0.02
    claim_min_papers: int = 100
    report_months: int = 12
    report_bootstrap: int = 200

    def graphql_url(self) -> str:
        """``SURVEY_GITHUB_GRAPHQL_URL``, else ``<GITHUB_API_URL>/graphql``, and for an
        Enterprise ``https://HOST/api/v3`` GitHub's ``https://HOST/api/graphql``."""
        if self.github_graphql_url:
            return self.github_graphql_url
        base = self.github_api_url.rstrip("/")
        if base.endswith("/api/v3"):
            base = base[: -len("/v3")]
        return base + "/graphql"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (options applied over environment)."""
        return dataclasses.replace(self, **changes)


# environment variable -> (field name, parser)
_ENV: dict[str, tuple[str, Any]] = {
    "SURVEY_DB": ("db", Path),
    "SURVEY_REPORTS_DIR": ("reports_dir", Path),
    "SURVEY_ARXIV_API_URL": ("arxiv_api_url", str),
    "SURVEY_ARXIV_DELAY": ("arxiv_delay", float),
    "SURVEY_ARXIV_PAGE_SIZE": ("arxiv_page_size", int),
    "SURVEY_ARXIV_TIMEOUT": ("arxiv_timeout", float),
    "SURVEY_CATEGORIES": ("categories", lambda v: parse_categories(v)),
    "GITHUB_API_URL": ("github_api_url", str),
    "SURVEY_GITHUB_RAW_URL": ("github_raw_url", str),
    "GITHUB_TOKEN": ("github_token", lambda v: v or None),
    "SURVEY_GITHUB_API": ("github_api", lambda v: parse_github_api(v)),
    "SURVEY_GITHUB_GRAPHQL_URL": ("github_graphql_url", str),
    "SURVEY_GITLAB_API_URL": ("gitlab_api_url", str),
    "SURVEY_HF_API_URL": ("hf_api_url", str),
    "HF_TOKEN": ("hf_token", lambda v: v or None),
    "SURVEY_HTTP_TIMEOUT": ("http_timeout", float),
    "SURVEY_HTTP_DEADLINE": ("http_deadline", float),
    "SURVEY_RAW_REFUSAL_WAIT": ("raw_refusal_wait", float),
    "SURVEY_ARXIV_DEADLINE": ("arxiv_deadline", float),
    "SURVEY_CLAIM_MAJORITY": ("claim_majority", float),
    "SURVEY_CLAIM_TWO_FRAMEWORKS": ("claim_two_frameworks", float),
    "SURVEY_CLAIM_DYING_SHARE": ("claim_dying_share", float),
    "SURVEY_CLAIM_MIN_PAPERS": ("claim_min_papers", int),
    "SURVEY_REPORT_MONTHS": ("report_months", int),
    "SURVEY_REPORT_BOOTSTRAP": ("report_bootstrap", int),
}


# What a user types or sets for a field: the command-line option (where a command has one) and
# the environment variable. Errors shown to a user name these, never the field itself; the CLI
# narrows "--months (SURVEY_REPORT_MONTHS)" to the one the user actually used.
OPTIONS: dict[str, str] = {
    "db": "--db",
    "reports_dir": "--out",
    "categories": "--categories",
    "arxiv_api_url": "--arxiv-api-url",
    "arxiv_delay": "--arxiv-delay",
    "claim_majority": "--majority",
    "claim_two_frameworks": "--two-frameworks",
    "claim_dying_share": "--dying-share",
    "claim_min_papers": "--min-papers",
    "report_months": "--months",
    "report_bootstrap": "--bootstrap",
    "github_api": "--github-api",
    "hf_api_url": "--hf-api-url",
}
VARIABLES: dict[str, str] = {name: var for var, (name, _parse) in _ENV.items()}


def user_names(name: str) -> tuple[str | None, str | None]:
    """(option, environment variable) that set the field ``name``; either may be None."""
    return OPTIONS.get(name), VARIABLES.get(name)


def setting_label(name: str) -> str:
    """How a message names a setting for a user: ``--months (SURVEY_REPORT_MONTHS)``."""
    option, variable = user_names(name)
    if option and variable:
        return f"{option} ({variable})"
    return option or variable or name

def parse_categories(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Parse ``cs.LG,cs.CV`` (commas or spaces) into a tuple; validation is the harvester's."""
    if isinstance(value, str):
        parts = value.replace(",", " ").split()
    else:
        parts = [p for v in value for p in v.replace(",", " ").split()]
    if not parts:
        raise ConfigError("no categories given")
    return tuple(dict.fromkeys(parts))


GITHUB_APIS = ("rest", "graphql", "auto")


def parse_github_api(value: str) -> str:
    """``rest``, ``graphql`` or ``auto`` (case-insensitive)."""
    choice = value.strip().lower()
    if choice not in GITHUB_APIS:
        raise ConfigError(f"expected one of {', '.join(GITHUB_APIS)}, got {value[:40]!r}")
    return choice


def load_settings(
    options: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings: defaults, then environment variables, then non-None ``options``."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for var, (name, parse) in _ENV.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        try:
            values[name] = parse(raw)
        except (ValueError, ConfigError) as exc:
            # Never echo a token's value; the others are harmless to show.
            shown = "<hidden>" if var in ("GITHUB_TOKEN", "HF_TOKEN") else repr(raw)
            raise ConfigError(f"invalid {var}={shown}: {exc}") from exc
    for name, value in (options or {}).items():
        if value is not None:
            values[name] = value
    settings = Settings(**values)
    if settings.github_token is not None and not header_safe(settings.github_token):
        # Checked before any request; the value itself is never shown.
        raise ConfigError("GITHUB_TOKEN holds characters an HTTP header cannot carry (a line"
                          " break, a non-Latin-1 character?): check its value")
    if settings.arxiv_delay < 0:
        raise ConfigError("SURVEY_ARXIV_DELAY must be >= 0")
    try:
        settings = settings.replace(github_api=parse_github_api(settings.github_api))
    except ConfigError as exc:
        raise ConfigError(f"invalid --github-api (SURVEY_GITHUB_API): {exc}") from None
    if settings.github_api == "graphql" and not settings.github_token:
        raise ConfigError("--github-api graphql needs GITHUB_TOKEN (GitHub's GraphQL API has no"
                          " anonymous access): set it, or use --github-api rest")
    for name, var in _URL_FIELDS.items():
        url = getattr(settings, name)
        if name == "github_graphql_url":
            url = settings.graphql_url()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{var} must be an http(s) URL, got {url[:80]!r}")
    return settings


def header_safe(value: str) -> bool:
    """Whether ``value`` can be sent as an HTTP header value (Latin-1, no control characters)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in value)


# URL settings checked before any request is made, with the variable a user would fix.
_URL_FIELDS = {
    "arxiv_api_url": "SURVEY_ARXIV_API_URL",
    "github_api_url": "GITHUB_API_URL",
    "github_raw_url": "SURVEY_GITHUB_RAW_URL",
    "gitlab_api_url": "SURVEY_GITLAB_API_URL",
    "hf_api_url": "SURVEY_HF_API_URL",
    "github_graphql_url": "SURVEY_GITHUB_GRAPHQL_URL",
}
