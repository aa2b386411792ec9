"""Logging a routine infusion from the plan takes a few steps and shows on the home page."""

import datetime as dt

from django.utils import timezone

from patients.models import Membership
from tests.factories import InfusionFactory, MembershipFactory, RegimenFactory


def test_log_a_routine_infusion_from_the_plan(page, axe, nav, sign_in, transactional_db):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    today = timezone.localtime(timezone.now(), patient.tz).date()
    plan = RegimenFactory(patient=patient, start_date=today - dt.timedelta(days=90))
    InfusionFactory(patient=patient, regimen=plan, date=today - dt.timedelta(days=28))
    sign_in(membership.user)

    page.get_by_role("heading", name="Today", exact=True).wait_for()
    axe(page)
    page.get_by_role("link", name="Log an infusion").click()
    page.get_by_role("heading", name="Log an infusion").wait_for()
    axe(page)
    # Pre-filled from the plan: confirm, enter the lot, save.
    assert float(page.get_by_label("Dose (g)").input_value()) == 35
    page.get_by_label("Lot number").first.fill("p555111")
    page.get_by_role("button", name="Save infusion").click()

    page.get_by_role("heading", name="Infusion of").wait_for()
    assert page.get_by_text("P555111").is_visible()
    axe(page)
    nav(page, "Today")
    page.get_by_text("Infusion day today").wait_for()
    axe(page)

    nav(page, "Infusions")
    page.get_by_role("heading", name="Infusions", exact=True).wait_for()
    axe(page)
    page.get_by_label("Lot number").fill("555")
    page.get_by_role("button", name="Search lots").click()
    page.get_by_text("Yes: lot “555” matches 1 record.").wait_for()
    axe(page)
    nav(page, "Plan")
    page.get_by_role("heading", name="Plan and schedule").wait_for()
    axe(page)


def test_a_wrong_end_time_keeps_what_was_typed(page, axe, sign_in, transactional_db):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    RegimenFactory(patient=membership.patient, start_date=dt.date(2026, 1, 1))
    sign_in(membership.user)
    page.goto(f"/p/{membership.patient.public_id}/infusions/log/")
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("09:00")
    page.get_by_label("Lot number").first.fill("KEEP1")
    page.get_by_role("button", name="Save infusion").click()
    page.get_by_text("The end time is before the start time.").wait_for()
    assert page.get_by_label("Lot number").first.input_value() == "KEEP1"
    axe(page)
