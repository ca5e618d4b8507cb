"""Shared fixtures: a temporary database path and a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from survey.core.db import open_write


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own configuration or token.

    ``SURVEY_REQUIRE_BROWSER`` is the test harness's own switch (set by ``.ci/run``), kept.
    """
    for var in list(os.environ):
        if var == "SURVEY_REQUIRE_BROWSER":
            continue
        if var.startswith("SURVEY_") or var in ("GITHUB_TOKEN", "GITHUB_API_URL", "HF_TOKEN"):
            monkeypatch.delenv(var, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "survey.db"


@pytest.fixture
def conn(db_path: Path):
    c = open_write(db_path)
    yield c
    c.close()
