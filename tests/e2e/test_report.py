"""The doctor's report for the demo patient, in a real browser: the period changed, the PDF made
in the background and downloaded, an answer given at the visit; axe on each step, no sideways
scrolling on a 390 px phone."""

import re

from django.core.management import call_command
from playwright.sync_api import expect

from patients.demo import DEMO_EMAIL, DEMO_PASSWORD
from patients.models import User
from reports import pdf
from reports.models import ReportPdfJob, ReportPreference

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def test_the_report_for_the_demo_patient(page, sign_in, nav, axe, settings, transactional_db):
    # No task worker runs beside the live server: the PDF is made as soon as it is asked for.
    settings.TASKS = IMMEDIATE
    call_command("seed_demo")
    user = User.objects.get(email=DEMO_EMAIL)
    sign_in(user, DEMO_PASSWORD)
    nav(page, "Report")
    expect(page.get_by_role("heading", name="Report for the doctor", level=1)).to_be_visible()
    summary = page.get_by_role("heading", name="Infusion diary summary – Maya")
    expect(summary).to_be_visible()
    # Page 1: what the demo makes sure of (a red flag, MG-ADL marked, the questions, who logged).
    document = page.locator(".report-page-one")
    expect(document).to_contain_text("Severe headache with other warning signs")
    expect(document).to_contain_text("Done: contacted the care team")
    expect(document.locator(".report-mark").first).to_contain_text("≥ 2 points")
    expect(document.get_by_role("img", name="MG-ADL score by day of the cycle")).to_be_visible()
    expect(document).to_contain_text("How this was worked out:")
    expect(document).to_contain_text("by Sam (caregiver)")
    expect(page.locator("#report-cycles")).to_be_visible()
    _no_sideways_scroll(page)
    axe(page)

    # Another period: htmx swaps the report in and the address follows; the choice is saved.
    page.get_by_text("Change the period or the parts").click()
    page.get_by_role("radio", name="The last 6 months").check()
    page.get_by_role("checkbox", name="Notes on how I was doing").uncheck()
    # Each period and part is a big target: its whole row, at least 44 px high (F15).
    for label in page.locator(".report-choice-form .report-check label").all():
        box = label.bounding_box()
        assert box and box["height"] >= 44, f"{label.inner_text()}: {box}"
    axe(page)
    report_address = page.url
    with page.expect_response(lambda r: r.url.endswith("/report/")):
        page.get_by_role("button", name="Show the report").click()
    expect(page.locator("#report-body")).to_contain_text("(the last 6 months)")
    expect(page.locator("#report-notes")).to_have_count(0)
    expect(page.locator("header.site-header")).to_be_visible()
    # Focus is on the new report's heading, not lost on the page body.
    expect(page.get_by_role("heading", name="Report for the doctor", level=1)).to_be_focused()
    saved = ReportPreference.objects.get(patient__name="Maya")
    assert saved.period == "6m" and "notes" not in saved.sections
    _no_sideways_scroll(page)
    axe(page)
    # The same address: the entry was replaced, not pushed again, so one Back leaves the
    # report (F8); Forward and a reload show the saved choice.
    assert page.url == report_address
    page.go_back()
    expect(page).not_to_have_url(report_address)
    page.go_forward()
    expect(page).to_have_url(report_address)
    expect(page.locator("#report-body")).to_contain_text("(the last 6 months)")
    page.reload()
    expect(page.locator("#report-body")).to_contain_text("(the last 6 months)")

    # Dates typed without ticking "Dates I choose" tick it (and the server would count them).
    page.get_by_text("Change the period or the parts").click()
    page.get_by_label("Dates I choose: from").fill("2026-09-01")
    expect(page.get_by_role("radio", name="Dates I choose")).to_be_checked()
    # A last day before the first: the message is next to it, and so is the focus.
    page.get_by_label("to", exact=True).fill("2026-08-01")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("Enter a last day on or after the first.")).to_be_visible()
    expect(page.get_by_label("to", exact=True)).to_be_focused()
    page.get_by_role("radio", name="The last 6 months").check()
    page.get_by_label("Dates I choose: from").fill("")
    page.get_by_label("to", exact=True).fill("")

    # The PDF, made in the background (here at once), then downloaded.
    if not pdf.available():
        return  # WeasyPrint's Pango is missing: tests/test_report_pdf.py says so
    page.get_by_label("Paper").select_option("letter")
    page.get_by_role("button", name="Make the PDF").click()
    download_link = page.get_by_role("link", name="Download the PDF").first
    expect(download_link).to_be_visible()
    axe(page)
    with page.expect_download() as waiting:
        download_link.click()
    download = waiting.value
    assert download.suggested_filename.startswith("diary-maya-")
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"
    job = ReportPdfJob.objects.get(patient__name="Maya")
    assert job.paper == "letter" and job.status == ReportPdfJob.Status.DONE


def test_an_answer_given_at_the_visit(page, sign_in, nav, axe, transactional_db):
    call_command("seed_demo")
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    nav(page, "Report")
    questions = page.locator("#report-questions")
    first = questions.locator("li").first
    asked = first.inner_text().splitlines()[0]
    first.get_by_text("Give the doctor’s answer").click()
    first.get_by_label("The doctor’s answer").fill("Keep 4 weeks for now.")
    axe(page)
    first.get_by_role("button", name="Save the answer").click()
    expect(questions.get_by_role("status")).to_contain_text("Answer saved")
    expect(questions.get_by_role("status")).to_be_focused()  # announced, and the place kept
    expect(questions.locator("li")).to_have_count(1)
    expect(questions.locator("ol")).not_to_contain_text(asked)
    # Where the confirmation says it is, without a reload (swapped in out of band).
    expect(questions.get_by_role("status")).to_contain_text("Questions already answered")
    expect(page.locator("#report-answered-list")).to_contain_text("Keep 4 weeks for now.")
    expect(page.locator("#report-answered-list")).to_contain_text(asked)
    axe(page)


def test_page_one_prints_on_one_sheet_from_the_browser(page, sign_in, nav, transactional_db):
    """The browser's print of the report, not only the PDF, keeps page 1 on one A4 or Letter
    sheet: it spilled its chart, questions and disclaimer onto a second one (the screen's line
    height and the PDF's layout rules applied to the PDF alone)."""
    call_command("seed_demo")
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    nav(page, "Report")
    address = page.url.split("?")[0]
    for period in ("3m", "6m", "12m"):
        page.goto(f"{address}?period={period}")  # page 1 alone: no part chosen in the address
        expect(page.locator(".report-disclaimer")).to_have_count(1)
        page.emulate_media(media="print")
        for paper in ("A4", "Letter"):
            # The margins of the page's own @page rule, as the print dialog's "Default" uses.
            printed = page.pdf(format=paper)
            sheets = len(re.findall(rb"/Type\s*/Page\b", printed))
            assert sheets == 1, f"{period} on {paper}: page 1 printed on {sheets} sheets"
        page.emulate_media(media="screen")


def test_the_chart_s_numbers_scroll_sideways_on_a_narrow_phone(
    page, sign_in, nav, transactional_db
):
    """At 320 px the table of the chart's numbers scrolls in its region: under the page's
    overflow-wrap: anywhere it broke "Median" and "2026" letter by letter."""
    call_command("seed_demo")
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    page.set_viewport_size({"width": 320, "height": 740})
    nav(page, "Report")
    table = page.locator(".report-chart-table")
    table.get_by_text("Show the numbers as a table").click()
    expect(table.locator("table")).to_be_visible()
    broken = table.locator("th, td").evaluate_all(
        """cells => cells.filter(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return !cell.textContent.trim().includes(" ") && lines.size > 1;
        }).map(cell => cell.textContent.trim())"""
    )
    assert not broken, f"words broken inside a cell: {broken}"
    _no_sideways_scroll(page)
