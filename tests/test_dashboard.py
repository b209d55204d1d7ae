"""The dashboard in a real browser (Debian's Chromium, driven by Playwright) against
`enrollment-stats serve`: the release's numbers, partial years marked, redraw on
change, no console errors, and a screenshot kept as a test artifact."""

import os
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import Keys
from tests.test_cli import serving

pytestmark = pytest.mark.slow  # processes, browsers or seconds of work: not in the fast lane

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
COURSES = [
    "Basic SRO",
    "Advanced SRO",
    "Crime Prevention through Environmental Design",
    "School Security Officer",
    "SRO Management",
    "Adolescent Mental Health",
]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def launch(p: "sync_api.Playwright") -> "sync_api.Browser":
    """Debian's Chromium, headless, quiet."""
    return p.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )


def assert_accessible(page: "sync_api.Page") -> None:
    """No axe-core violations on the page as it stands (axe-core as bundled by
    axe-playwright-python; see docs/decisions.md)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def page_text(page: "sync_api.Page") -> str:
    """What a reader sees, numbers without thousands separators."""
    return str(page.inner_text("body")).replace(",", "")


def test_dashboard_shows_the_release_and_redraws_on_change(
    database_url: str, keys: Keys, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with (
        serving(tmp_path, database_url=database_url) as base,
        sync_api.sync_playwright() as p,
    ):
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        assert httpx.get(f"{base}/", follow_redirects=False).headers["location"] == "/dashboard"
        page.goto(f"{base}/dashboard?poll=1")
        # The first refresh is over when the status line says so. (Waits go through
        # locators: the page's CSP forbids the eval behind wait_for_function.)
        expect(page.locator("#status")).to_contain_text("Up to date")
        # The stream is open: changes are heard, not polled for.
        expect(page.locator("#status")).to_contain_text("live")
        text = page_text(page)
        for name in COURSES:
            assert name in text
        for number in (
            "2516",
            "2273",
            "3167",
            "871",
            "6730",
            "3950",
            "+70.4%",
            "+263.6%",
            "+58.1 pp",  # Adolescent Mental Health's part of the change
            "+15.7%",  # the change without it, a course first offered in 2018
        ):
            assert number in text, number
        assert "2019 (Jan–Aug)" in text
        assert "partial: Jan–Aug" in text
        assert "projection" in text.lower()
        assert "National Organization Trains Record Numbers" in text
        assert "2019-09-16" in text
        # Every chart carries its numbers as a table.
        assert page.locator("svg[role=img]").count() == 4
        assert page.locator("details table").count() == 4
        # Projections say how they were made; rolling twelve months says why not.
        assert "≈ 3,774, +66.0% (linear, 8 months scaled to 12)" in page.inner_text("#changes")
        # The API's headline, as it says it: both changes, plain and projected.
        headline = page.inner_text("#headline")
        for part in ("Jan–Aug 2019", "6,730", "3,950", "+70.4%", "+155.6%", "linear"):
            assert part in headline, part
        rolling = page.inner_text("#rolling")
        assert "2018 has no figure for Sep–Dec and none can be derived" in rolling
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        assert_accessible(page)

        # Basic SRO's Jan–Aug 2018 makes its twelve months to August 2019 exact (derived
        # Sep–Dec 2018) and its projection seasonal.
        post = {"course": "basic-sro", "period": "2018-01/2018-08", "completions": 1500}
        response = httpx.post(
            f"{base}/api/v1/attendance",
            json={**post, "source_id": 1},
            headers={"Authorization": f"Bearer {keys.write}"},
        )
        assert response.status_code == 201
        expect(page.locator("#rolling")).to_contain_text("3,289", timeout=15_000)
        expect(page.locator("#rolling")).to_contain_text(
            "Sep–Dec 2018 (773, derived: 2018 − Jan–Aug 2018) + Jan–Aug 2019 (2,516)"
        )
        expect(page.locator("#changes")).to_contain_text(
            "≈ 3,812.6, +67.7% (seasonal, from the same months of 2018)", timeout=15_000
        )

        # A new figure through the API shows as the stream says so, without reloading.
        response = httpx.post(
            f"{base}/api/v1/attendance",
            json={
                "course": "basic-sro",
                "period": "2019-09/2019-12",
                "completions": 600,
                "source_id": 1,
            },
            headers={"Authorization": f"Bearer {keys.write}"},
        )
        assert response.status_code == 201
        # A refresh may read some answers before the write and some after it (the years
        # old, the series new): wait until every section shows the new figure.
        expect(page.locator("#series")).to_contain_text("3,116", timeout=15_000)
        expect(page.locator("#years")).to_contain_text("7,330", timeout=15_000)
        expect(page.locator("#course-bars")).not_to_contain_text(
            "Basic SRO 2019 (Jan–Aug)", timeout=15_000
        )
        text = page_text(page)
        assert "7330" in text
        assert "2019 (Jan–Aug)" not in page.inner_text("#series")  # Basic SRO: a full year now
        assert "Basic SRO 2019 (Jan–Aug)" not in text
        page.screenshot(path=str(ARTIFACTS / "dashboard-after-post.png"), full_page=True)

        # Phone width: nothing spills sideways.
        page.set_viewport_size({"width": 375, "height": 800})
        # Charts are redrawn at the new width, so their text keeps its size.
        expect(page.locator("#course-bars svg")).to_have_attribute(
            "width", re.compile(r"^(3[0-6][0-9]|37[0-5])(\.[0-9]+)?$")
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
        assert_accessible(page)
        browser.close()
    assert errors == []


def test_the_dashboard_polls_when_the_stream_is_refused(
    database_url: str, keys: Keys, tmp_path: Path
) -> None:
    errors: list[str] = []
    none = {"EVENTS_MAX_SUBSCRIBERS": "0"}  # every stream refused: 503
    with (
        serving(tmp_path, database_url=database_url, env=none) as base,
        sync_api.sync_playwright() as p,
    ):
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/dashboard?poll=1")
        expect(page.locator("#status")).to_contain_text("checking every 1 s")
        response = httpx.post(
            f"{base}/api/v1/attendance",
            json={
                "course": "basic-sro",
                "period": "2019-09/2019-12",
                "completions": 600,
                "source_id": 1,
            },
            headers={"Authorization": f"Bearer {keys.write}"},
        )
        assert response.status_code == 201
        expect(page.locator("#years")).to_contain_text("7,330", timeout=15_000)
        browser.close()
    assert errors == []
