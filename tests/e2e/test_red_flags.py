"""A warning nobody can miss, on a 390 x 844 phone (issue 7 §2)."""

import datetime as dt

from playwright.sync_api import expect

from diary.models import RedFlagEvent, SymptomEntry
from patients.models import Membership
from tests.factories import InfusionFactory, MembershipFactory

PHONE_HEIGHT = 844


def _fully_in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_HEIGHT


def test_chest_pain_typed_in_own_words_warns_at_once(page, axe, sign_in, transactional_db):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    InfusionFactory(patient=patient, date=dt.date.today() - dt.timedelta(days=1))
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/")

    page.locator("label[for='qs-other']").click()
    page.get_by_label("In your own words").fill("chest pain")
    page.locator("label[for='sev-6']").click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()

    alert = page.get_by_role("alert").filter(has_text="Call emergency services now")
    expect(alert).to_be_visible()
    heading = alert.get_by_role("heading", name="Call emergency services now")
    call = alert.get_by_role("link", name="Call 999 emergency services")  # London's
    advice = alert.locator(".red-flag-advice")
    # Heading, first line of advice and the call button on the first screen, no scrolling.
    for part in (heading, advice, call):
        expect(part).to_be_visible()
        assert _fully_in_view(page, part), part
    assert call.get_attribute("href") == "tel:999"
    expect(alert).to_be_focused()
    expect(page.get_by_text("Saved as: Chest pain")).to_be_visible()
    axe(page)

    entry = SymptomEntry.objects.get()
    assert (entry.symptom, entry.custom_symptom) == ("chest_pain", "chest pain")
    assert RedFlagEvent.objects.get().rule == "thrombosis"

    # Still there, at the top, on the next visit.
    page.goto(f"/p/{patient.public_id}/")
    expect(page.get_by_role("heading", name="Call emergency services now")).to_be_in_viewport()
    axe(page)


def test_the_full_form_lands_on_the_warning_without_javascript_too(
    browser, live_server, transactional_db
):
    from tests.factories import PASSWORD

    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": PHONE_HEIGHT},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(membership.user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.goto(f"/p/{patient.public_id}/diary/side-effects/new/")
        page.locator("#id_symptom").select_option("other")
        page.locator("#id_custom_symptom").fill("swollen throat")
        page.locator("label[for='sev-5']").click()
        page.get_by_role("button", name="Save").click()
        heading = page.get_by_role("heading", name="Call emergency services now")
        expect(heading).to_be_visible()
        assert _fully_in_view(page, heading)
    finally:
        context.close()


def test_leg_pain_asks_in_view_before_saving(page, axe, sign_in, transactional_db):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/")
    page.locator("label[for='qs-other']").click()
    page.get_by_label("In your own words").fill("leg pain")
    page.locator("label[for='sev-6']").click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()

    pending = page.locator(".symptom-pending")
    expect(pending).to_contain_text("Not saved yet")
    expect(pending).to_be_focused()
    yes = pending.locator("label", has_text="Yes: one leg or arm, swollen or warm")
    assert _fully_in_view(page, yes)
    axe(page)
    assert not SymptomEntry.objects.exists()
    yes.click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Get medical advice now")).to_be_in_viewport()
    assert SymptomEntry.objects.get().symptom == "limb_pain_swelling"


def test_answers_low_on_the_page_bring_their_result_into_view(page, axe, sign_in, transactional_db):
    """Ticking "Stiff neck" under the follow-up question, nine days after an infusion: no rule
    counts it, and the answer is the advice for a sign to watch. "Save answers" sits low on the
    phone; the shorter panel swapped in used to leave the answer above the screen."""
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    InfusionFactory(patient=patient, date=dt.date.today() - dt.timedelta(days=9))
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/")
    page.locator("label[for='qs-headache']").click()
    page.locator("label[for='sev-8']").click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Stiff neck", exact=True).click()
    page.locator("#quick-log").get_by_role("button", name="Save answers").click()

    advice = page.locator(".safety-net")
    expect(advice).to_contain_text("Stiff neck is a sign to watch")
    assert _fully_in_view(page, advice)
    expect(page.locator(".saved-result")).to_be_focused()
    assert not RedFlagEvent.objects.exists()
    axe(page)


def test_two_warnings_with_one_heading_are_two_named_landmarks(
    page, axe, sign_in, transactional_db
):
    """Second browser pass: two open emergency warnings share the heading "Call emergency
    services now", and axe found two landmarks of one name (landmark-unique)."""
    from django.utils import timezone

    from diary import entries

    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    InfusionFactory(patient=patient, date=dt.date.today() - dt.timedelta(days=1))
    now = timezone.now()
    for code in ("chest_pain", "trouble_breathing"):
        entries.save(
            SymptomEntry(patient=patient, symptom=code, severity=6, onset=now), membership.user
        )
    assert RedFlagEvent.objects.count() == 2
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/")
    expect(page.get_by_role("alert").filter(has_text="Call emergency services now")).to_have_count(
        2
    )
    names = page.evaluate(
        """() => [...document.querySelectorAll('.red-flag-alert')].map(a =>
             a.getAttribute('aria-labelledby').split(' ')
              .map(id => document.getElementById(id).textContent.trim()).join(' '))"""
    )
    assert len(names) == 2 and len(set(names)) == 2, names
    axe(page)


def test_a_warning_with_a_question_still_comes_first(page, axe, sign_in, transactional_db):
    """Final check of this session: "headache and can't breathe" with a headache still going
    saves the breathing (a warning) and asks "Same one?" about the headache in the same answer.
    The question took the screen and the focus from the warning."""
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/")
    page.locator("label[for='qs-headache']").click()
    page.locator("label[for='sev-5']").click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved: Headache 5 (moderate).")).to_be_visible()
    page.locator("label[for='qs-other']").click()
    page.get_by_label("In your own words").fill("headache and can't breathe")
    page.locator("label[for='sev-6']").click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()

    alert = page.get_by_role("alert").filter(has_text="Call emergency services now")
    expect(alert).to_be_focused()
    heading = alert.get_by_role("heading", name="Call emergency services now")
    expect(heading).to_be_in_viewport(ratio=1)  # waits for the (smooth) scroll
    expect(page.get_by_text("Is this the same one?")).to_have_count(1)
    axe(page)
