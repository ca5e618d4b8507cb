"""Shared fixtures: a temporary database path and a clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.db import connect


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own configuration or token."""
    for var in ("SURVEY_DB", "SURVEY_ARXIV_API_URL", "SURVEY_ARXIV_DELAY", "GITHUB_API_URL",
                "SURVEY_GITHUB_RAW_URL", "GITHUB_TOKEN", "SURVEY_GITLAB_API_URL",
                "SURVEY_CATEGORIES", "SURVEY_REPORTS_DIR", "SURVEY_DEBUG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "survey.db"


@pytest.fixture
def conn(db_path: Path):
    c = connect(db_path)
    yield c
    c.close()
