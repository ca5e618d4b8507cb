"""Running `survey` as a user does: a real subprocess with its own environment."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

COMMAND = (sys.executable, "-c", "from survey.cli import main; main()")


def user_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with the developer's SURVEY_*/GITHUB_* settings removed, ``env`` added."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("SURVEY_", "GITHUB_"))}
    full_env.update(env or {})
    return full_env


def survey(*args: str, env: dict[str, str] | None = None, timeout: float = 120
           ) -> subprocess.CompletedProcess[str]:
    """``survey ARGS`` run to its end in :func:`user_env`."""
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True,
                          env=user_env(env), timeout=timeout)


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``survey ARGS`` started in :func:`user_env` and left running (to be killed)."""
    return subprocess.Popen([*COMMAND, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=user_env(env))


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()
