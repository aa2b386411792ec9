"""The full side-effect form asks "Is this the same one?" in a phone browser, with htmx and
without, and "Same one" adds to the entry still going instead of opening a second one."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary import entries
from diary.models import SymptomEntry
from patients.models import Membership
from tests.factories import MembershipFactory


@pytest.mark.parametrize(
    "with_htmx", [pytest.param(True, id="htmx"), pytest.param(False, id="full-page")]
)
def test_the_full_form_asks_and_same_one_adds_a_reading(
    with_htmx, page, axe, sign_in, transactional_db
):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    onset = timezone.now() - dt.timedelta(hours=2)
    first = SymptomEntry(patient=patient, symptom="chills", severity=4, onset=onset)
    entries.save(first, membership.user)
    sign_in(membership.user)
    if not with_htmx:
        page.route("**/django_htmx/htmx*.js", lambda route: route.abort())
    page.goto(f"/p/{patient.public_id}/diary/side-effects/new/")
    page.get_by_label("Symptom*", exact=True).select_option(label="Chills")
    page.locator("label[for='sev-7']").click()
    page.get_by_label("What helped").fill("Hot water bottle")
    page.get_by_role("button", name="Save", exact=True).click()

    question = page.get_by_role("group", name="Not saved yet: one more tap")
    expect(question).to_contain_text("Chills since")
    expect(question).to_contain_text("Is this the same one?")
    expect(question).to_be_focused()
    expect(page.get_by_label("What helped")).to_have_value("Hot water bottle")
    expect(page.locator("#sev-7")).to_be_checked()
    expect(page.get_by_role("alert")).to_have_count(0)  # a question, not a mistake
    assert SymptomEntry.objects.count() == 1
    axe(page)

    page.get_by_role("button", name="Same one: add this to it").click()
    expect(page.get_by_role("status")).to_contain_text("Added to the same Chills (since ")
    expect(page.get_by_role("status")).to_contain_text("): now 7 (severe), worst so far 7.")
    assert SymptomEntry.objects.count() == 1
    first.refresh_from_db()
    assert first.readings.get().severity == 7 and first.helped == "Hot water bottle"


def test_typing_an_end_unticks_still_going_and_the_end_is_kept(page, sign_in, transactional_db):
    """ "Still going" is ticked for a new entry; an end typed with it left ticked was dropped."""
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/diary/side-effects/new/")
    page.get_by_label("Symptom*", exact=True).select_option(label="Dizziness")
    page.locator("label[for='sev-4']").click()
    going = page.get_by_label("Still going")
    expect(going).to_be_checked()
    ended = (timezone.localtime(timezone.now(), patient.tz) - dt.timedelta(minutes=5)).replace(
        second=0, microsecond=0, tzinfo=None
    )
    started = ended - dt.timedelta(minutes=30)
    page.get_by_label("Started").fill(started.isoformat(timespec="minutes"))
    page.get_by_label("Ended").fill(ended.isoformat(timespec="minutes"))
    expect(going).not_to_be_checked()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Dizziness")
    entry = SymptomEntry.objects.get()
    assert timezone.localtime(entry.ended_at, patient.tz).replace(tzinfo=None) == ended
    # Ticking it again clears the end.
    page.goto(f"/p/{patient.public_id}/diary/side-effects/new/")
    page.get_by_label("Ended").fill(ended.isoformat(timespec="minutes"))
    page.get_by_label("Still going").check()
    expect(page.get_by_label("Ended")).to_have_value("")
