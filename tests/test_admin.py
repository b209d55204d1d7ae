"""The admin console in a real browser (Debian's Chromium, driven by Playwright)
against `enrollment-stats serve`: sign in with a key kept in the tab's memory only,
add a figure, see a rule refusal beside its field, lose a race (412), upload a CSV
and an XLSX file through a dry run, read the audit log, at desktop and phone width.
Screenshots are kept as test artifacts."""

import io
from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.conftest import Keys
from tests.test_cli import serving
from tests.test_dashboard import ARTIFACTS, assert_accessible, launch

pytestmark = pytest.mark.slow  # processes, browsers or seconds of work: not in the fast lane

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def test_the_admin_console(database_url: str, keys: Keys, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with serving(tmp_path, database_url=database_url) as base, sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        # A refused write is an HTTP answer the page handles, not an error of the page.
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/admin")
        assert_accessible(page)

        # A wrong key is refused; the right one signs in, and is kept nowhere but memory.
        page.get_by_label("API key").fill("not-a-key")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#key-error")).to_have_text(
            "That key is not valid (or it was revoked)."
        )
        page.get_by_label("API key").fill(keys.write)
        page.get_by_role("button", name="Sign in").press("Enter")
        expect(page.locator("#who")).to_have_text("Signed in with a write key.")
        assert keys.write not in page.url
        stored = page.evaluate("JSON.stringify([localStorage, sessionStorage, document.cookie])")
        assert keys.write not in stored
        assert page.get_by_label("API key").input_value() == ""
        expect(page.locator("#audit-section")).to_be_hidden()  # a write key has no audit log

        # Add a figure: the period picker writes the period for people.
        add = page.locator("#add-form")
        add.get_by_label("Course").select_option(label="Basic SRO")
        add.get_by_label("Year").fill("2019")
        add.get_by_label("From").select_option(label="Sep")
        add.get_by_label("To").select_option(label="Dec")
        expect(page.locator("#add-period-label")).to_have_text("Period: Sep–Dec 2019")
        add.get_by_label("Completions").fill("600")
        add.get_by_role("button", name="Add figure").click()
        expect(add.locator(".form-message")).to_have_text(
            "Added figure 13: Basic SRO, Sep–Dec 2019: 600."
        )

        # A rule refusal (R3) shows the server's message beside the field it concerns.
        add.get_by_label("From").select_option(label="Jan")
        add.get_by_label("To").select_option(label="Mar")
        add.get_by_label("Completions").fill("5000")
        add.get_by_role("button", name="Add figure").click()
        expect(page.locator("#add-completions-error")).to_contain_text(
            "R3: Figures inside figure 2"
        )
        expect(add.get_by_label("Completions")).to_have_attribute("aria-invalid", "true")
        expect(add.get_by_label("Completions")).to_be_focused()
        page.screenshot(path=str(ARTIFACTS / "admin-refusal.png"), full_page=True)

        # Revise figure 2 while someone else changes it: a 412, said plainly.
        figures = page.locator("#figures-form")
        figures.get_by_label("Course").select_option(label="Basic SRO")
        figures.get_by_label("Year (optional)").fill("2019")
        figures.get_by_role("button", name="Show figures").click()
        expect(page.locator("#figures")).to_contain_text("Sep–Dec 2019")
        page.get_by_role("button", name="Revise Jan–Aug 2019").click()
        expect(page.locator("#revise-h")).to_contain_text("Revise figure 2")
        theirs = httpx.get(f"{base}/api/v1/attendance/2")
        changed = httpx.patch(
            f"{base}/api/v1/attendance/2",
            json={"completions": 2520},
            headers={"Authorization": f"Bearer {keys.admin}", "If-Match": theirs.headers["etag"]},
        )
        assert changed.status_code == 200
        revise = page.locator("#revise-form")
        revise.get_by_label("Completions").fill("2530")
        revise.get_by_role("button", name="Save revision").click()
        expect(revise.locator(".form-message")).to_contain_text(
            "changed by someone else since you opened it — reload it"
        )
        assert httpx.get(f"{base}/api/v1/attendance/2").json()["completions"] == 2520
        revise.get_by_role("button", name="Reload the figure").click()
        expect(revise.get_by_label("Completions")).to_have_value("2520")
        revise.get_by_label("Completions").fill("2530")
        revise.get_by_role("button", name="Save revision").click()
        expect(revise.locator(".form-message")).to_have_text(
            "Saved: figure 2 is now 2,530 (revision 3)."
        )
        page.get_by_role("button", name="History Jan–Aug 2019").click()
        expect(page.locator("#history-table")).to_contain_text("2,516")
        expect(page.locator("#history-table tbody tr")).to_have_count(3)

        # Delete a figure (If-Match from a fresh read): gone from the list, history kept.
        page.get_by_role("button", name="Delete Sep–Dec 2019").click()
        expect(page.locator("#figures")).to_contain_text(
            "Deleted figure 13 (Sep–Dec 2019); its revisions stay in its history."
        )
        expect(page.locator("#figures tbody tr")).to_have_count(1)
        assert httpx.get(f"{base}/api/v1/attendance/13").status_code == 404
        assert len(httpx.get(f"{base}/api/v1/attendance/13/revisions").json()["items"]) == 2

        # A new course and a new source, then available in the pickers.
        course = page.locator("#course-form")
        course.get_by_label("Slug").fill("first-aid")
        course.get_by_label("Name").fill("First Aid")
        course.get_by_label("First offered in (year, optional)").fill("2019")
        course.get_by_role("button", name="Add course").click()
        expect(course.locator(".form-message")).to_have_text(
            "Added the course First Aid (first-aid)."
        )
        course.get_by_label("Slug").fill("Not A Slug")
        course.get_by_role("button", name="Add course").click()
        expect(page.locator("#course-slug-error")).not_to_be_empty()
        source = page.locator("#source-form")
        source.get_by_label("Title").fill("Spring report")
        source.get_by_label("Publisher").fill("NASRO")
        source.get_by_label("Published on").fill("2019-06-01")
        source.get_by_role("button", name="Add source").click()
        expect(source.locator(".form-message")).to_have_text("Added source 2: Spring report.")
        expect(add.get_by_label("Course").locator("option")).to_have_count(7)
        expect(add.get_by_label("Source").locator("option")).to_have_count(2)

        # Upload a CSV: a dry run first (nothing stored), then the real thing.
        good = tmp_path / "september.csv"
        good.write_text(
            "course,period,completions,status,note,source_id\n"
            "advanced-sro,2019-09/2019-12,210,final,,1\n"
            "sro-management,2019-01/2019-08,136,final,,1\n"
        )
        upload = page.locator("#upload-form")
        upload.get_by_label("File").set_input_files(str(good))
        upload.get_by_label("Periods that already have a figure").select_option("upsert")
        upload.get_by_role("button", name="Check the file (dry run)").click()
        expect(page.locator("#preview")).to_contain_text(
            "Dry run of september.csv: 2 rows: 1 to create, 0 to revise, 1 unchanged. "
            "Nothing is stored yet."
        )
        assert (
            "2019-09/2019-12" not in httpx.get(f"{base}/api/v1/attendance?course=advanced-sro").text
        )
        page.get_by_role("button", name="Store these rows").click()
        expect(page.locator("#preview")).to_contain_text(
            "Stored september.csv: 1 created, 0 revised, 1 unchanged."
        )
        assert "2019-09/2019-12" in httpx.get(f"{base}/api/v1/attendance?course=advanced-sro").text

        # An XLSX with a bad row: its spreadsheet row number, field and message; no Store.
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in (
            ("course", "period", "completions", "source_id"),
            ("school-security-officer", "2019-09/2019-12", 40, 1),
            ("crime-prevention-through-environmental-design", "2019-09/2019-12", -2, 1),
        ):
            sheet.append(list(row))
        xlsx = io.BytesIO()
        book.save(xlsx)
        upload.get_by_label("File").set_input_files(
            files=[
                {
                    "name": "counts.xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": xlsx.getvalue(),
                }
            ]
        )
        upload.get_by_label("Periods that already have a figure").select_option("create")
        upload.get_by_role("button", name="Check the file (dry run)").click()
        expect(page.locator("#preview")).to_contain_text("1 of 2 rows are invalid")
        problem = page.locator("#preview tbody tr")
        expect(problem).to_have_count(1)
        expect(problem).to_contain_text("3")
        expect(problem).to_contain_text("completions")
        expect(page.get_by_role("button", name="Store these rows")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "admin-upload.png"), full_page=True)
        assert_accessible(page)

        # Phone width: nothing spills sideways; the forms stay usable.
        page.set_viewport_size({"width": 375, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        page.screenshot(path=str(ARTIFACTS / "admin-phone.png"), full_page=True)
        assert_accessible(page)

        # Sign out forgets the key; an admin key shows the audit log.
        page.get_by_role("button", name="Sign out").click()
        expect(page.locator("#console")).to_be_hidden()
        page.get_by_label("API key").fill(keys.admin)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#who")).to_have_text(
            "Signed in with an admin key (write and audit log)."
        )
        audit = page.locator("#audit")
        expect(audit).to_contain_text("figure.create")
        expect(audit).to_contain_text("/api/v1/attendance/13")
        expect(audit).to_contain_text("office")  # the write key's name
        page.set_viewport_size({"width": 1200, "height": 900})
        page.screenshot(path=str(ARTIFACTS / "admin-audit.png"), full_page=True)
        assert_accessible(page)
        browser.close()
    assert errors == []
