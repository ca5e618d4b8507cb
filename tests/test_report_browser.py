"""The page in a real browser: headless Chromium (Debian's package), file URL, no network.

At a desktop width (1280 px) and a phone's (390 px): the page logs nothing to the console, each
chart's div holds an SVG, the document never scrolls sideways, no chart is wider than the
viewport or cut before the as-of day, no chart title overlaps its legend, panel titles or
modebar (bounding boxes from the rendered plotly DOM), a right-to-left override in a title does
not reverse the text after it, a click on a chart lists its papers, and "other" opens into its
frameworks. Screenshots of the whole page at both widths go to tests/artifacts/ for a person to
look at. Skipped only when Chromium is missing and SURVEY_REQUIRE_BROWSER is unset (CI sets it,
so there a missing browser fails).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from support.browser import overlap, probe, run_browser, screenshots
from synthetic import add_paper_with_code, fill_synthetic

from analysis.report import write_report
from survey.core.db import open_write
from survey.core.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AS_OF = date(2026, 10, 31)
EVIL = "<script>alert(1)</script>"
RLO = "\u202e"
EVIL_ID = "2610.99999"
CHART_IDS = ["chart-shares", "chart-ratio", "chart-counts", "chart-categories", "chart-dying",
             "chart-official", "chart-trend", "chart-repo-created", "chart-coverage"]
DATE_CHARTS = [c for c in CHART_IDS if c != "chart-coverage"]
AFTER_TITLE = f'<a class="arxiv" href="https://arxiv.org/abs/{EVIL_ID}"'


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    conn = open_write(root / "s.db")
    fill_synthetic(conn, 20_000, seed=7)
    # A title that opens a right-to-left override and never closes it.
    add_paper_with_code(conn, EVIL_ID, "2026-10-30", "pytorch", title=f"{EVIL} {RLO}olleh")
    out = write_report(conn, Settings(report_bootstrap=40), root / "out", as_of=AS_OF)
    conn.close()
    return out


def test_harness_catches_console_errors(tmp_path: Path) -> None:
    """The check can fail: a page with an uncaught error is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('x'); missingFunction();</script>"
                   "</body></html>")
    _, console = run_browser(bad.as_uri(), tmp_path / "profile", "--dump-dom")
    assert any("Uncaught ReferenceError" in ln for ln in console)


def test_harness_sees_a_reversed_text_and_a_wide_page(tmp_path: Path) -> None:
    """The checks can fail: without isolation the override reverses the text after a title,
    and a wide table makes the document scroll sideways at 390 px."""
    bad = tmp_path / "bad.html"
    bad.write_text(f'<html><head><meta charset="utf-8"></head><body><p>{RLO}olleh '
                   f'<a id="after" href="#">arXiv:1234</a></p>'
                   '<table style="width:640px"><tr><td>wide</td></tr></table></body></html>',
                   encoding="utf-8")
    found, _ = probe(bad, tmp_path, 390, marks={"after": '<a id="after"'})
    xs = found["order"]["after"]
    assert len(xs) == len("arXiv:1234") and xs != sorted(xs)
    assert found["scrollWidth"] > found["innerWidth"] == 390


def test_page_renders_every_chart_without_console_errors(page: Path, tmp_path: Path) -> None:
    dom, console = run_browser(page.as_uri(), tmp_path / "profile", "--dump-dom",
                               "--window-size=1280,2000")
    assert console == []
    starts = [(cid, dom.find(f'id="block-{cid}"')) for cid in CHART_IDS]
    assert all(pos >= 0 for _, pos in starts), starts
    starts.sort(key=lambda t: t[1])
    ends = [pos for _, pos in starts[1:]] + [dom.find('id="explorer"')]
    for (cid, start), end in zip(starts, ends, strict=True):
        block = dom[start:end]
        assert f'id="{cid}"' in block and "js-plotly-plot" in block, cid
        assert '<svg class="main-svg"' in block, f"{cid} has no SVG"
    # The title is text in the DOM, not an element, in the tables and in the explorer's rows.
    assert dom.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
    assert "<script>alert(1)</script>" not in dom


@pytest.fixture(scope="module")
def measured(page: Path, tmp_path_factory) -> dict[int, tuple[dict, list[str]]]:
    """One probe per width (each loads the whole page: shared by the tests below)."""
    root = tmp_path_factory.mktemp("probe")
    return {width: probe(page, root, width, marks={"after": AFTER_TITLE})
            for width in (1280, 390)}


@pytest.mark.parametrize("width", [1280, 390])
def test_layout_at_desktop_and_phone_width(measured, width: int) -> None:
    found, console = measured[width]
    assert console == []
    assert found["innerWidth"] == width
    # No sideways scroll: tables wrap or scroll inside their own box.
    assert found["scrollWidth"] <= found["innerWidth"], found["scrollWidth"]
    assert set(found["charts"]) == set(CHART_IDS)
    for cid, c in found["charts"].items():
        assert c["svg"][2] <= width + 0.5, f"{cid} is wider than the viewport"
        assert c["title"] and c["legend"], cid
        assert not overlap(c["title"], c["legend"]), f"{cid}: title over legend"
        assert not overlap(c["title"], c["modebar"]), f"{cid}: title under the modebar"
        for note in c["notes"]:
            assert not overlap(c["title"], note), f"{cid}: title over a panel title or note"
        assert c["legend"][3] <= c["svg"][3] + 0.5, f"{cid}: legend cut at the bottom"
        if cid in DATE_CHARTS:
            # The x axis reaches the as-of day: no chart loses its last years.
            assert pd.Timestamp(c["xrange"][1]) >= pd.Timestamp(AS_OF), (cid, c["xrange"])
    # A right-to-left override in a title does not reverse the text after it.
    xs = found["order"]["after"]
    assert len(xs) == len(f"arXiv:{EVIL_ID}") and xs == sorted(xs), xs


@pytest.mark.parametrize("width", [1280, 390])
def test_a_click_on_a_chart_lists_its_papers(measured, width: int) -> None:
    found, console = measured[width]
    assert console == []
    click = found["click"]
    # The last quarter's JAX bar: the explorer now lists JAX papers of 2026 Q4 only.
    assert click["x"] == "2026-10-01" and click["period"] == "2026 Q4"
    assert click["framework"] == "JAX" and click["labels"]
    assert set(click["labels"]) == {"JAX"}
    assert all("2026-10-01" <= d <= "2026-10-31" for d in click["dates"])
    assert click["count"].startswith(f"Showing {len(click['labels'])} of ")
    # "Other" opens into its frameworks and closes again.
    split = found["split"]
    assert split["before"] == 0 and split["otherBefore"] > 0
    assert split["after"] >= 5 * 3 and split["otherAfter"] == 0  # line and band per framework


def test_screenshots_at_desktop_and_phone_width(page: Path, tmp_path: Path, measured) -> None:
    """The whole page at each width, as one image, or as tiles of SCREENSHOT_TILE px
    (e.g. 2400) that an image viewer shows at a readable size."""
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("report-*.png"):
        old.unlink()
    for width, name in ((1280, "report-desktop"), (390, "report-phone")):
        height = measured[width][0]["height"]
        tile = int(os.environ.get("SCREENSHOT_TILE") or height)
        shots, console = screenshots(page, tmp_path, width, height, ARTIFACTS, name, tile=tile)
        assert console == []
        assert shots and all(s.exists() and s.stat().st_size > 20_000 for s in shots)
