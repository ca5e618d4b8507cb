"""Settings: defaults < environment < options; bad values are one-line ConfigErrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.core.errors import ConfigError
from survey.core.settings import DEFAULT_CATEGORIES, load_settings


def test_layering_defaults_environment_options() -> None:
    assert load_settings(environ={}).db == Path("data/survey.db")
    env = {"SURVEY_DB": "/tmp/a.db", "SURVEY_ARXIV_DELAY": "0.5", "SURVEY_CATEGORIES": "cs.LG"}
    s = load_settings(environ=env)
    assert (s.db, s.arxiv_delay, s.categories) == (Path("/tmp/a.db"), 0.5, ("cs.LG",))
    s = load_settings({"db": Path("/tmp/b.db"), "arxiv_delay": None}, environ=env)
    assert s.db == Path("/tmp/b.db") and s.arxiv_delay == 0.5  # None means "not given"
    assert load_settings(environ={}).categories == DEFAULT_CATEGORIES


def test_token_is_never_shown() -> None:
    s = load_settings(environ={"GITHUB_TOKEN": "ghp_sentinel_value_123"})
    assert s.github_token == "ghp_sentinel_value_123"
    assert "ghp_sentinel" not in repr(s)


def test_bad_values_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="SURVEY_ARXIV_DELAY"):
        load_settings(environ={"SURVEY_ARXIV_DELAY": "soon"})
    with pytest.raises(ConfigError, match=">= 0"):
        load_settings(environ={"SURVEY_ARXIV_DELAY": "-1"})


def test_a_url_without_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="SURVEY_ARXIV_API_URL must be an http"):
        load_settings(environ={"SURVEY_ARXIV_API_URL": "Traceback (most recent call last):"})
    with pytest.raises(ConfigError, match="GITHUB_API_URL"):
        load_settings({"github_api_url": "ftp://x"}, environ={})
    assert load_settings(environ={"GITHUB_API_URL": "http://127.0.0.1:8/api"}).github_api_url
