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
COMMANDS = ["crawl", "refresh", "report", "classify", "export", "status", "show"]
# Commands that read or write the database; `classify` reads local folders only.
DB_COMMANDS = [c for c in COMMANDS if c != "classify"]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_is_documented(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "--db" in result.output or name not in DB_COMMANDS
    assert "--verbose" in result.output and "--quiet" in result.output
    assert f"`survey {name}" in README
    table = README.split("## Commands, exit codes and configuration", 1)[1].split("\n## ", 1)[0]
    assert f"| `survey {name}" in table, "every command is in the commands table"


def test_show_has_its_section_after_the_export_section() -> None:
    headings = re.findall(r"^## (.+)$", README, re.M)
    show = "Looking at one paper or repository — `survey show`"
    assert show in headings
    assert headings.index(show) == headings.index("Exporting the data — `survey export`") + 1


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
