"""The one test command runs every static check too: ruff, the layer contracts, mypy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path(sys.executable).parent / name)


@pytest.mark.parametrize("command", [
    ["ruff", "check", "."],
    ["lint-imports"],
    ["mypy"],
], ids=["ruff", "import-linter", "mypy"])
def test_static_check_is_clean(command: list[str]) -> None:
    proc = subprocess.run([_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
