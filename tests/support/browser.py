"""Headless Chromium (Debian's package) for the report's browser tests, with no network.

``run_browser`` is one headless run of the command line (``--dump-dom``, ``--screenshot``).
``probe`` opens a page at a given viewport width and returns what a script measured in it once
the charts are drawn: the document's width against the viewport's, each chart's title, legend,
plot area and last x tick, and the visual order of marked text. Desktop Chromium will not make
a window narrower than 500 px, so a phone's 390 px viewport is an ``<iframe>`` of that width
(media queries, ``innerWidth`` and layout inside it are a 390 px viewport's); the measurements
come back to the outer page with ``postMessage`` and are read from its dumped DOM.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PROBE_JS = (Path(__file__).with_name("probe.js")).read_text(encoding="utf-8")

FRAME_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html, body {{ margin: 0; padding: 0; overflow: hidden; }}
iframe {{ border: 0; display: block; margin-top: -{offset}px; }}</style>
</head><body><iframe src="{src}" width="{width}" height="{height}"></iframe>
<script>window.addEventListener("message", function (e) {{
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = e.data;
  document.body.appendChild(pre); }});</script></body></html>"""


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
        "--virtual-time-budget=15000", "--hide-scrollbars", *extra, url,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines()
               if ":CONSOLE" in ln or "Uncaught" in ln]
    return proc.stdout, console


def with_probe(page: Path, workdir: Path, marks: dict[str, str] | None = None, *,
               script: bool = True) -> Path:
    """A copy of ``page`` (beside it, so its relative links hold) with the probe script, and
    ``data-probe-order`` on the elements that ``marks`` names (name -> the first opening tag's
    text up to its end, e.g. ``<a class="arxiv" href="..."``)."""
    text = page.read_text(encoding="utf-8")
    for name, start in (marks or {}).items():
        assert start in text, start
        text = text.replace(start, f'{start} data-probe-order="{name}"', 1)
    copy = page.with_name(f".probe-{workdir.name}-{page.name}")
    if script:
        text = text.replace("</body>", f"<script>{PROBE_JS}</script></body>")
    copy.write_text(text, encoding="utf-8")
    return copy


def _frame(copy: Path, width: int, height: int, offset: int = 0) -> Path:
    frame = copy.with_name(f".frame-{offset}-{copy.name}")
    frame.write_text(FRAME_PAGE.format(src=copy.name, width=width, height=height,
                                       offset=offset), encoding="utf-8")
    return frame


def probe(page: Path, workdir: Path, width: int, *, height: int = 1400,
          marks: dict[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Measurements of ``page`` in a ``width`` x ``height`` viewport, with the console lines
    of the run."""
    copy = with_probe(page, workdir, marks)
    frame = _frame(copy, width, height)
    try:
        url = copy.as_uri() if width >= 500 else frame.as_uri()
        dom, console = run_browser(url, workdir / f"profile-{width}",
                                   f"--window-size={width},{height}", "--dump-dom")
    finally:
        copy.unlink(missing_ok=True)
        frame.unlink(missing_ok=True)
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert match, "the probe reported nothing (the page did not finish loading)"
    return json.loads(html.unescape(match.group(1))), console


def screenshots(page: Path, workdir: Path, width: int, total: int, out: Path, name: str,
                tile: int = 1600) -> tuple[list[Path], list[str]]:
    """The whole page at ``width`` (``total`` px tall) as screenshots of ``tile`` px each,
    ``out/NAME-1.png``, ``NAME-2.png``...: a viewer shows each at full size."""
    copy = with_probe(page, workdir, script=False)
    shots, console = [], []
    try:
        for i, offset in enumerate(range(0, total, tile), start=1):
            frame = _frame(copy, width, total, offset)
            shot = out / f"{name}-{i}.png"
            shot.unlink(missing_ok=True)
            _, lines = run_browser(frame.as_uri(), workdir / f"profile-shot-{width}",
                                   f"--window-size={width},{tile}", f"--screenshot={shot}")
            frame.unlink(missing_ok=True)
            console += lines
            shots.append(shot)
    finally:
        copy.unlink(missing_ok=True)
    return shots, console


def overlap(a: list[float] | None, b: list[float] | None) -> bool:
    """Whether two [left, top, right, bottom] boxes intersect (touching edges do not)."""
    if not a or not b:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
