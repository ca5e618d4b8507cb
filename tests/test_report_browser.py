"""The page in a real browser: headless Chromium (Debian's package), file URL, no network.

Checks that the page logs nothing to the console (no error, no uncaught exception), that each
chart's div holds an SVG once rendered, and that a ``<script>`` title stays text. A screenshot
goes to tests/artifacts/ for a person to look at. Skipped only when Chromium is missing and
SURVEY_REQUIRE_BROWSER is unset (CI sets it, so there a missing browser fails).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from synthetic import add_paper_with_code, fill_synthetic

from analysis.report import write_report
from survey.core.db import open_write
from survey.core.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
EVIL = "<script>alert(1)</script>"
CHART_IDS = ["chart-shares", "chart-ratio", "chart-counts", "chart-categories", "chart-dying",
             "chart-official", "chart-trend", "chart-repo-created", "chart-coverage"]


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if os.environ.get("SURVEY_REQUIRE_BROWSER"):
        pytest.fail("SURVEY_REQUIRE_BROWSER is set but chromium is not installed")
    pytest.skip("chromium not installed (apt-get install chromium)")


def run_browser(url: str, profile: Path, *extra: str) -> tuple[str, list[str]]:
    """(stdout, console lines) of one headless run with every network route closed."""
    cmd = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
        # No network: any request for a remote resource fails instead of being fetched.
        "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=10000", *extra, url,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines()
               if ":CONSOLE" in ln or "Uncaught" in ln]
    return proc.stdout, console


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    conn = open_write(root / "s.db")
    fill_synthetic(conn, 20_000, seed=7)
    add_paper_with_code(conn, "2610.99999", "2026-10-30", "pytorch", title=EVIL)
    out = write_report(conn, Settings(report_bootstrap=40), root / "out", now=NOW)
    conn.close()
    return out


def test_harness_catches_console_errors(tmp_path: Path) -> None:
    """The check can fail: a page with an uncaught error is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('x'); missingFunction();</script>"
                   "</body></html>")
    _, console = run_browser(bad.as_uri(), tmp_path / "profile", "--dump-dom")
    assert any("Uncaught ReferenceError" in ln for ln in console)


def test_page_renders_every_chart_without_console_errors(page: Path, tmp_path: Path) -> None:
    dom, console = run_browser(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert console == []
    starts = [(cid, dom.find(f'id="block-{cid}"')) for cid in CHART_IDS]
    assert all(pos >= 0 for _, pos in starts), starts
    starts.sort(key=lambda t: t[1])
    ends = [pos for _, pos in starts[1:]] + [dom.find('id="published"')]
    for (cid, start), end in zip(starts, ends, strict=True):
        block = dom[start:end]
        assert re.search(rf'<div id="{cid}" class="[^"]*js-plotly-plot', block), cid
        assert '<svg class="main-svg"' in block, f"{cid} has no SVG"
    # The title is text in the DOM, not an element.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script>alert(1)</script>" not in dom


def test_screenshot(page: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    _, console = run_browser(page.as_uri(), tmp_path / "profile", "--window-size=1280,7000",
                             "--hide-scrollbars", f"--screenshot={shot}")
    assert console == []
    assert shot.exists() and shot.stat().st_size > 50_000
