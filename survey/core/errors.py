"""The one exception tree of `survey`.

    SurveyError                  anything the CLI turns into one line and an exit code
    ├── ConfigError              bad settings or environment (exit 2)
    ├── InputError               bad command-line input: dates, categories, paths (exit 2)
    ├── StoreError               the database cannot be opened or is from a newer version (exit 3)
    ├── NotFoundError            a well-formed paper or repository the database lacks (exit 5)
    ├── ServiceError             a remote service failed after all retries (exit 4)
    │   ├── ServiceUnavailable   cannot be reached, or fails everything: the run stops fast
    │   ├── AnswerTooLarge       one answer over the size caps (that item is skipped)
    │   └── RateLimitError       a rate limit that cannot be waited out within bounds
    └── LockedError              another run holds the lock (exit 75, EX_TEMPFAIL)

Lower-level exceptions are wrapped with ``raise ... from exc`` so the cause stays visible in
debug logs while the user sees one line. Messages never contain secrets.
"""

from __future__ import annotations


class SurveyError(Exception):
    """Base class: ``str(err)`` is the one-line message shown to the user."""

    exit_code = 1


class ConfigError(SurveyError):
    exit_code = 2


class InputError(SurveyError):
    exit_code = 2


class StoreError(SurveyError):
    exit_code = 3


class NotFoundError(SurveyError):
    """A well-formed arXiv id or repository that the database does not hold."""

    exit_code = 5


class ServiceError(SurveyError):
    """A remote service failed; carries what a user needs to judge it."""

    exit_code = 4

    def __init__(
        self, message: str, *, url: str | None = None, status: int | None = None,
        attempt: int | None = None, transport: bool = False,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.attempt = attempt
        # True when no usable answer arrived (refused, timed out, dropped, cut at the deadline,
        # a raw host still refusing after its wait): says nothing about the item asked for,
        # so a repository is never marked failed for it; the run's Health decides whether
        # the service is down.
        self.transport = transport


class ServiceUnavailable(ServiceError):
    """A service that cannot be reached or fails every request: stop the run, keep the data."""


class AnswerTooLarge(ServiceError):
    """One answer bigger than the caps (on the wire or decompressed): skip that item only."""


class RateLimitError(ServiceError):
    pass


class LockedError(SurveyError):
    exit_code = 75
