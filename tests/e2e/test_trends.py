"""Trends for the demo patient, in a real browser: period, measure, side effect, axe, 320 px."""

from django.core.management import call_command
from playwright.sync_api import expect

from patients.demo import DEMO_EMAIL, DEMO_PASSWORD
from patients.models import User


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def test_trends_for_the_demo_patient(page, sign_in, nav, axe, transactional_db):
    call_command("seed_demo")
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    nav(page, "Trends")
    expect(page.get_by_role("heading", name="Trends", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="3 months")).to_have_attribute("aria-current", "page")
    # The demo's MG-ADL worsens in the last week of every cycle.
    expect(page.get_by_role("heading", name="MG-ADL score by day of the cycle")).to_be_visible()
    expect(page.get_by_text("Typical wear-off: day", exact=False).first).to_be_visible()
    expect(page.get_by_text("How this was worked out:")).to_be_visible()
    expect(page.locator(".trends-course").first).to_be_visible()
    axe(page)

    # Another period: htmx swaps the content and the address follows.
    with page.expect_response(lambda r: "period=6" in r.url):
        page.get_by_role("link", name="6 months").click()
    expect(page.get_by_role("link", name="6 months")).to_have_attribute("aria-current", "page")
    assert "period=6" in page.url
    expect(page.locator("header.site-header")).to_be_visible()

    # Another measure: grip, measured by Sam over the last cycles.
    page.get_by_label("Show", exact=True).select_option(label="Grip strength, left hand")
    with page.expect_response(lambda r: "show=grip-left" in r.url):
        page.get_by_role("button", name="Show", exact=True).click()
    expect(
        page.get_by_role("heading", name="Grip strength, left hand by day of the cycle")
    ).to_be_visible()
    expect(page.get_by_label("Show", exact=True)).to_have_value("grip-left")
    axe(page)

    # A side effect, counted by cycle, with its numbers as a table.
    page.get_by_label("Show", exact=True).select_option(label="Headache")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(
        page.get_by_role("heading", name="Headache: how bad, by day of the cycle")
    ).to_be_visible()
    page.get_by_role("link", name="How many cycles had it").click()
    expect(
        page.get_by_role("heading", name="Headache: cycles with it, by day of the cycle")
    ).to_be_visible()
    for summary in page.get_by_text("Show the numbers as a table").all():
        summary.click()
    axe(page)

    # A phone of 320 px, light and dark: nothing scrolls sideways, nothing axe finds.
    page.set_viewport_size({"width": 320, "height": 800})
    _no_sideways_scroll(page)
    page.emulate_media(color_scheme="dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    _no_sideways_scroll(page)
    axe(page)

    # Back, after the swaps, brings the whole page with the period chosen then.
    page.go_back()
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.get_by_role("heading", name="Trends", level=1)).to_be_visible()


def test_printed_trends_keep_the_timeline_table_whole(page, sign_in, nav, transactional_db):
    """On paper a table cannot scroll sideways: the timeline's table of numbers was cut at the
    sheet's edge, its last side effects and the measure lost. Printed, it is laid out at the
    sheet's width (A4 within 12 mm margins: 186 mm, ~703 px) and ends inside it."""
    call_command("seed_demo")
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    nav(page, "Trends")
    page.set_viewport_size({"width": 703, "height": 1000})
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # the tables unfold
    table = page.locator(".trends-chart table").first
    expect(table).to_be_visible()
    edges = table.evaluate(
        """t => [t.getBoundingClientRect().right, document.documentElement.clientWidth,
                 getComputedStyle(t.closest('.table-responsive')).overflowX]"""
    )
    assert edges[2] == "visible", edges
    assert edges[0] <= edges[1], f"the printed timeline table runs off the sheet: {edges}"
    header = table.locator("thead th").last
    assert header.bounding_box()["x"] + header.bounding_box()["width"] <= edges[1]
