"""Every command has help and a README section; CI runs exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from survey.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = ["crawl", "refresh", "report", "classify", "export", "status"]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_is_documented(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert ("--db" in result.output) == (name != "classify")  # classify reads no database
    assert f"`survey {name}" in README


def test_first_screen_has_the_two_commands_and_ci_runs_the_test_command() -> None:
    first_screen = "\n".join(README.splitlines()[:30])
    blocks = re.findall(r"```sh\n(.+?)\n```", first_screen)
    assert any("survey crawl --since 2018" in b for b in blocks), blocks
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_monthly_workflow_runs_refresh_on_a_schedule_and_by_hand() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/monthly-refresh.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    steps = " ".join(str(s.get("run", "")) for s in workflow["jobs"]["refresh"]["steps"])
    assert "survey refresh" in steps and "gh release upload" in steps
