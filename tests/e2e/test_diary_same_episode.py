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
    expect(page.get_by_role("status")).to_contain_text(
        "Added to the same Chills: now 7 (severe), worst so far 7."
    )
    assert SymptomEntry.objects.count() == 1
    first.refresh_from_db()
    assert first.readings.get().severity == 7 and first.helped == "Hot water bottle"
