"""Running `survey` as a user does: a real subprocess with its own environment."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any


def survey(*args: str, env: dict[str, str] | None = None, timeout: float = 120
           ) -> subprocess.CompletedProcess[str]:
    """``survey ARGS`` with the developer's SURVEY_*/GITHUB_* settings removed, ``env`` added."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("SURVEY_", "GITHUB_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from survey.cli import main; main()", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout,
    )


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()
