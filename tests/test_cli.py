"""The command line every command shares (issue 14): version, -v/-q, one-line usage errors,
shell completion, NO_COLOR, piped output, settings named as the user typed them, ``--out -``.

Terminal behaviour is tested on a real pseudo-terminal and real pipes (a subprocess running
``survey``), since that is where colours, bold and widths are decided.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from synthetic import add_classification, add_link, add_paper, add_repo
from typer.testing import CliRunner

from survey import __version__
from survey.cli import app, user_message
from survey.cli.console import NORMAL, QUIET, VERBOSE, RichEvents, output, set_output
from survey.core.db import writing
from survey.core.events import Level

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["crawl", "refresh", "report", "classify", "export", "status", "show"]
LONG_TITLE = ("A very long title that goes on well past eighty columns, so that any wrapping"
              " or padding of piped output would show: " + "x" * 40)
BOX = re.compile("[\u2500-\u257f]")  # rich's panels and boxes


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SURVEY_", "GITHUB_")) and k not in ("NO_COLOR", "COLUMNS",
                                                                    "FORCE_COLOR")}
    env.update(extra)
    return env


def survey(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``survey ARGS`` in a subprocess with pipes for stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "survey.cli", *args], capture_output=True,
                          text=True, env=env or clean_env(), cwd=ROOT, timeout=120)


def on_a_terminal(*args: str, env: dict[str, str]) -> bytes:
    """Everything ``survey ARGS`` writes to a pseudo-terminal (stdout and stderr), raw bytes."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "survey.cli", *args], stdin=follower,
                            stdout=follower, stderr=follower, env=env, cwd=ROOT)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


@pytest.fixture(autouse=True)
def _normal_output():
    """The output settings are process state: every test starts and ends normal."""
    set_output(NORMAL, no_color=False)
    yield
    set_output(NORMAL, no_color=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A small survey database: a paper with a long title linking one classified repository."""
    path = tmp_path / "survey.db"
    with writing(path) as conn:
        add_paper(conn, "2401.00001", "2024-01-05", title=LONG_TITLE,
                  abstract="Our code is at https://github.com/acme/net.")
        add_repo(conn, "github.com/acme/net")
        add_link(conn, "2401.00001", "github.com/acme/net")
        add_classification(conn, "github.com/acme/net", "pytorch", {"pytorch": 2.0})
    return path


# -- version and help --------------------------------------------------------------------------

def test_version_is_the_installed_package_s() -> None:
    proc = survey("--version")
    assert proc.returncode == 0 and proc.stderr == ""
    assert __version__ == importlib.metadata.version("survey")
    assert re.fullmatch(rf"survey {re.escape(__version__)} \(classifier [\d.]+, links [\d.]+,"
                        r" schema \d+\)\n", proc.stdout)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_takes_verbose_and_quiet(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    for flag in ("-v, --verbose", "-q, --quiet"):
        assert flag in result.stdout
    assert not BOX.search(result.stdout), "help is plain text, not boxed panels"


def test_help_is_never_padded_when_piped() -> None:
    proc = survey("crawl", "--help")
    assert proc.returncode == 0
    assert all(line == line.rstrip() for line in proc.stdout.splitlines())
    assert not BOX.search(proc.stdout) and "\x1b" not in proc.stdout


def test_no_arguments_shows_the_help() -> None:
    proc = survey()
    assert proc.returncode == 2 and "Commands:" in proc.stderr and "show" in proc.stderr


# -- usage errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    (["crawl"], "error: Missing option '--since'."),
    (["crawl", "--sinse", "2018"], "error: No such option: --sinse"),
    (["status", "--bogus"], "error: No such option: --bogus"),
    (["bogus"], "error: No such command 'bogus'."),
    (["report", "--months", "many"], "error: Invalid value for '--months': Input should be"),
    (["crawl", "--since", "2024", "--arxiv-delay", "-1"], "error: Invalid value for"
                                                          " '--arxiv-delay'"),
    (["show"], "error: Missing argument 'ARXIV_ID|REPO'."),
    (["status", "-v", "-q"], "error: Invalid value for '-q' / '--quiet': -v/--verbose and"
                             " -q/--quiet exclude each other"),
    (["-q", "status", "-v"], "exclude each other"),
])
def test_usage_errors_are_one_line(args: list[str], says: str) -> None:
    proc = survey(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert says in proc.stderr
    assert not BOX.search(proc.stderr) and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_a_usage_error_points_at_the_command_s_help() -> None:
    proc = survey("export", "--fromat", "csv")
    assert proc.stderr.rstrip().endswith("(see 'survey export --help')")


# -- -v and -q ---------------------------------------------------------------------------------

def test_the_events_sink_follows_the_invocation_s_verbosity() -> None:
    """``report`` and ``classify`` make ``RichEvents()`` without a verbosity: they get -q/-v."""
    for level, shown in ((QUIET, ["warning: warning"]), (NORMAL, ["info", "warning: warning"]),
                         (VERBOSE, ["detail", "info", "warning: warning"])):
        set_output(level)
        stream = io.StringIO()
        sink = RichEvents(progress=True, console=Console(file=stream, width=200))
        assert sink.show_progress == (level != QUIET), "-q: no progress bars either"
        for lv in Level:
            sink.on_message(lv, lv.value)
        assert stream.getvalue().splitlines() == shown


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_and_verbose_reach_a_command_that_declares_neither(where: str, db: Path) -> None:
    """The flags land in the shared output settings whichever side of the command they are."""
    seen = {}

    def record(*args: object, **kw: object) -> None:
        seen["verbosity"] = output().verbosity

    for flag, want in (("-q", QUIET), ("--verbose", VERBOSE)):
        args = [flag, "status", "--db", str(db)] if where == "before" else \
            ["status", "--db", str(db), flag]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("survey.cli.console.emit", record)
            result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert seen["verbosity"] == want


# -- shell completion --------------------------------------------------------------------------

def test_shell_completion_script_and_answers() -> None:
    script = survey("--show-completion", "bash")
    assert script.returncode == 0 and "_SURVEY_COMPLETE=complete_bash" in script.stdout
    assert "complete -o default -F _survey_completion survey" in script.stdout
    commands = survey(env=clean_env(_SURVEY_COMPLETE="complete_bash", COMP_WORDS="survey s",
                                    COMP_CWORD="1"))
    assert commands.returncode == 0 and commands.stdout.split() == ["show", "status"]
    options = survey(env=clean_env(_SURVEY_COMPLETE="complete_bash",
                                   COMP_WORDS="survey show --j", COMP_CWORD="2"))
    assert options.stdout.split() == ["--json"]
    assert "--install-completion" in survey("--help").stdout


# -- NO_COLOR and piped output -----------------------------------------------------------------

def test_no_color_means_no_escape_at_all_on_a_terminal(db: Path) -> None:
    env = clean_env(TERM="xterm-256color", SURVEY_DB=str(db))
    styled = on_a_terminal("show", "2401.00001", env=env)
    assert b"\x1b[1m" in styled, "without NO_COLOR the labels are bold (the test can fail)"
    for args in (["show", "2401.00001"], ["show", "github.com/acme/net"], ["status"],
                 ["show", "2401.00001", "--bogus"], ["--help"]):
        raw = on_a_terminal(*args, env={**env, "NO_COLOR": "1"})
        assert raw.strip(), args
        assert b"\x1b" not in raw, (args, raw[:300])


def test_an_empty_no_color_is_not_set(db: Path) -> None:
    raw = on_a_terminal("status", env=clean_env(TERM="xterm-256color", SURVEY_DB=str(db),
                                                NO_COLOR=""))
    assert b"\x1b[1m" in raw


def test_piped_output_is_neither_wrapped_nor_padded(db: Path) -> None:
    for args in (["show", "2401.00001"], ["show", "acme/net"], ["status"]):
        proc = survey(*args, "--db", str(db))
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines and all(line == line.rstrip() for line in lines), args
        assert "\x1b" not in proc.stdout
        if args[0] == "show":
            assert any(LONG_TITLE in line for line in lines), "the title stays on one line"


# -- errors name what the user typed or set ----------------------------------------------------

def test_a_report_setting_is_named_as_the_user_gave_it(db: Path) -> None:
    typed = survey("report", "--db", str(db), "--months", "0")
    assert typed.returncode == 2
    assert typed.stderr == "error: --months must be at least 1, got 0\n"
    both = survey("report", "--db", str(db), "--majority", "7")
    assert both.stderr == "error: --majority must be between 0 and 1 (exclusive), got 7.0\n"
    env = survey("report", "--db", str(db), env=clean_env(SURVEY_REPORT_MONTHS="0"))
    assert env.returncode == 2
    assert env.stderr == "error: SURVEY_REPORT_MONTHS must be at least 1, got 0\n"


def test_a_url_setting_is_named_as_the_user_gave_it(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    typed = survey("crawl", "--since", "2024", "--db", db, "--arxiv-api-url", "ftp://x/")
    assert typed.returncode == 2
    assert typed.stderr == "error: --arxiv-api-url must be an http(s) URL, got 'ftp://x/'\n"
    env = survey("crawl", "--since", "2024", "--db", db,
                 env=clean_env(SURVEY_ARXIV_API_URL="ftp://x/"))
    assert env.stderr == "error: SURVEY_ARXIV_API_URL must be an http(s) URL, got 'ftp://x/'\n"
    assert not Path(db).exists()


@pytest.mark.parametrize("message, environ, want", [
    ("report_months must be at least 1, got 0", {}, "--months (SURVEY_REPORT_MONTHS) must be"
                                                    " at least 1, got 0"),
    ("report_months must be at least 1, got 0", {"SURVEY_REPORT_MONTHS": "0"},
     "SURVEY_REPORT_MONTHS must be at least 1, got 0"),
    ("claim_majority (--majority, SURVEY_CLAIM_MAJORITY) must be below 1",
     {"SURVEY_CLAIM_MAJORITY": "2"}, "SURVEY_CLAIM_MAJORITY must be below 1"),
    ("--bootstrap (SURVEY_REPORT_BOOTSTRAP) must be >= 0", {"SURVEY_REPORT_BOOTSTRAP": "-1"},
     "SURVEY_REPORT_BOOTSTRAP must be >= 0"),
    ("SURVEY_ARXIV_DELAY must be >= 0", {"SURVEY_ARXIV_DELAY": "-1"},
     "SURVEY_ARXIV_DELAY must be >= 0"),
    ("no categories given", {}, "no categories given"),  # an English word is no field name
])
def test_user_message_without_a_command_line(message: str, environ: dict[str, str],
                                             want: str) -> None:
    assert user_message(message, None, config=True, environ=environ) == want


def test_only_internal_names_are_replaced_outside_configuration_errors() -> None:
    message = "--out reports is not a folder; report_bootstrap too"
    assert user_message(message, None, environ={"SURVEY_REPORTS_DIR": "r"}) == \
        "--out reports is not a folder; --bootstrap (SURVEY_REPORT_BOOTSTRAP) too"


# -- --out - -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["report", "refresh"])
def test_out_dash_is_refused_by_commands_that_write_folders(name: str, db: Path) -> None:
    proc = survey(name, "--db", str(db), "--out", "-")
    assert proc.returncode == 2
    assert proc.stderr == f"error: --out -: survey {name} writes a folder, not one file: give" \
                          " a folder\n"
    assert not (ROOT / "-").exists()


def test_export_out_dash_writes_to_stdout(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    dash = runner.invoke(app, ["export", "--db", str(db), "--out", "-", "--format", "json"])
    plain = runner.invoke(app, ["export", "--db", str(db), "--format", "json"])
    assert dash.exit_code == 0 and dash.stderr == ""
    assert dash.stdout == plain.stdout
    assert json.loads(dash.stdout)[0]["repo"] == "github.com/acme/net"
    assert not (Path.cwd() / "-").exists()
    parquet = runner.invoke(app, ["export", "--db", str(db), "--out", "-", "--format",
                                  "parquet"])
    assert parquet.exit_code == 2 and "give --out FILE" in parquet.stderr


def test_quiet_export_says_nothing_but_writes(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "links.csv"
    loud = CliRunner().invoke(app, ["export", "--db", str(db), "--out", str(out)])
    assert loud.stderr.startswith("wrote 1 rows to")
    quiet = CliRunner().invoke(app, ["export", "-q", "--db", str(db), "--out", str(out)])
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""
    assert out.read_text().count("\n") == 2


def test_a_reader_that_goes_away_is_not_an_error(db: Path) -> None:
    """``survey show X | head -1``: the pipe closes before survey writes."""
    proc = subprocess.Popen([sys.executable, "-m", "survey.cli", "show", "2401.00001", "--db",
                             str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=clean_env(), cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the interpreter has started: the write meets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""
