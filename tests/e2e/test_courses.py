"""A 2-day course: after day 1, Today says day 2 is due. Several lots on one infusion."""

import datetime as dt

from django.utils import timezone

from infusions.models import Infusion, InfusionLot
from patients.models import Membership
from tests.factories import PASSWORD, MembershipFactory, RegimenFactory

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - window.innerWidth"


def _owner_with_a_two_day_plan():
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    today = timezone.localtime(timezone.now(), patient.tz).date()
    RegimenFactory(patient=patient, start_date=today - dt.timedelta(days=90), course_days=2)
    return membership, patient, today


def test_day_2_of_a_course_is_due_the_day_after_day_1(page, axe, nav, sign_in, transactional_db):
    membership, patient, today = _owner_with_a_two_day_plan()
    yesterday = today - dt.timedelta(days=1)
    sign_in(membership.user)

    # Day 1 was yesterday: log it afterwards.
    page.goto(f"/p/{patient.public_id}/infusions/log/")
    page.locator("#id_date").fill(yesterday.isoformat())
    page.get_by_label("Lot number").first.fill("d1lot")
    page.get_by_role("button", name="Save infusion").click()
    page.get_by_role("heading", name="Infusion of").wait_for()

    nav(page, "Today")
    status = page.locator("#infusion-status")
    status.get_by_text("Day 2 of 2: today").wait_for()
    axe(page)
    for path in [f"/p/{patient.public_id}/", f"/p/{patient.public_id}/infusions/plan/"]:
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(path)
        page.get_by_text("Day 2 of 2: today").first.wait_for()
        assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0, path
        axe(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/p/{patient.public_id}/")

    # "Log day 2" opens the form for today; once saved, the next course is what comes next.
    log_day_2 = page.get_by_role("link", name="Log day 2")
    assert log_day_2.bounding_box()["height"] >= 44
    log_day_2.click()
    page.get_by_role("heading", name="Log an infusion").wait_for()
    assert page.locator("#id_date").input_value() == today.isoformat()
    page.get_by_label("Lot number").first.fill("d2lot")
    page.get_by_role("button", name="Save infusion").click()
    page.get_by_role("heading", name="Infusion of").wait_for()
    nav(page, "Today")
    status = page.locator("#infusion-status")
    status.get_by_text("in 27 days").wait_for()
    assert "Day 2 of 2" not in status.inner_text()
    course = Infusion.objects.get(patient=patient, date=today).course
    assert (course.start_date, course.day_count) == (yesterday, 2)


def test_add_a_lot_in_place_with_a_suggested_vial_count(page, axe, sign_in, transactional_db):
    membership, patient, _today = _owner_with_a_two_day_plan()
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/infusions/log/")
    page.get_by_label("Dose (g)").fill("35")
    page.get_by_label("Lot number").first.fill("a111")
    page.get_by_label("Vial size (g)").first.fill("10")
    # The hint follows what is typed; the count itself is left alone.
    lots = page.locator("#lots")
    lots.get_by_text("Suggested: 4, for 35 g in 10 g vials.").wait_for()
    assert page.get_by_label("Vials").first.input_value() == "1"
    page.get_by_label("Vials").first.fill("3")

    page.evaluate("window.notReloaded = true")
    add = page.get_by_role("button", name="Add a lot")
    assert add.bounding_box()["height"] >= 44
    add.click()
    page.get_by_text("Lot 2", exact=True).wait_for()
    assert page.evaluate("window.notReloaded") is True  # swapped in place by htmx
    assert page.evaluate("document.activeElement.name") == "lots-1-lot_number"
    assert page.get_by_label("Lot number").first.input_value() == "a111"
    assert page.get_by_label("Vials").first.input_value() == "3"
    assert not Infusion.objects.exists()
    axe(page)

    page.get_by_label("Lot number").nth(1).fill("b222")
    page.get_by_label("Vial size (g)").nth(1).fill("5")
    lots.get_by_text("Suggested: 1, for 5 g in 5 g vials.").wait_for()
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0
    page.get_by_role("button", name="Save infusion").click()
    page.get_by_role("heading", name="Infusion of").wait_for()
    assert page.get_by_text("A111").is_visible() and page.get_by_text("B222").is_visible()
    assert sorted(InfusionLot.objects.values_list("lot_number", "vial_count")) == [
        ("A111", 3),
        ("B222", 1),
    ]


def test_add_a_lot_without_javascript(browser, live_server, transactional_db):
    membership, patient, _today = _owner_with_a_two_day_plan()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 320, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(membership.user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_load_state()
        page.goto(f"/p/{patient.public_id}/infusions/log/")
        page.get_by_label("Lot number").first.fill("c333")
        page.get_by_label("Vial size (g)").first.fill("10")
        page.get_by_role("button", name="Add a lot").click()
        page.get_by_text("Lot 2", exact=True).wait_for()
        assert page.get_by_label("Lot number").first.input_value() == "c333"
        assert "Suggested: 4, for 34 g in 10 g vials." in page.locator("#lots").inner_text()
        assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0
        assert not Infusion.objects.exists()
        # Enter in a field saves, as before; it does not add yet another lot.
        page.get_by_label("Lot number").nth(1).fill("d444")
        page.get_by_label("Lot number").nth(1).press("Enter")
        page.get_by_role("heading", name="Infusion of").wait_for()
        assert sorted(InfusionLot.objects.values_list("lot_number", flat=True)) == [
            "C333",
            "D444",
        ]
    finally:
        context.close()
