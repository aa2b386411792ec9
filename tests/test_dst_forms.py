"""Review: diary forms and the clock changes (Europe/London, the factories' zone)."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from diary.models import Measure, SymptomEntry

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def errors(body: str) -> list[str]:
    return [m.strip() for m in re.findall(r">([^<]{10,300})<", body) if "time zone" in m]


def test_a_side_effect_felt_at_0130_on_the_night_the_clocks_go_back_can_be_saved(
    patient, owner_client
):
    """01:30 happened twice on Sun 25 Oct 2026 in London. Django's datetime field refuses an
    ambiguous local time, so the full side-effect form cannot save a headache that began then
    (the infusion form, with its separate date and time, takes 01:30 that day). A patient
    awake with a headache at 01:30 that night cannot log it; the message is Django's own:
    "2026-10-25 01:30:00 couldn't be interpreted in time zone Europe/London; it may be
    ambiguous or it may not exist."."""
    response = owner_client.post(
        reverse("diary:side-effect-add", args=[patient.public_id]),
        {"symptom": "headache", "severity": "5", "onset": "2026-10-25T01:30", "still_going": "on"},
    )
    assert SymptomEntry.objects.count() == 1, errors(response.content.decode())


def test_a_measure_taken_at_0130_on_the_night_the_clocks_go_back_can_be_saved(
    patient, owner_client
):
    response = owner_client.post(
        reverse("diary:measure-add", args=[patient.public_id, "weight"]),
        {"weight": "70", "measured_at": "2026-10-25T01:30"},
    )
    assert Measure.objects.count() == 1, errors(response.content.decode())


def test_a_time_that_did_not_exist_gets_plain_words_not_djangos(patient, owner_client):
    """01:30 on Sun 29 Mar 2026 did not exist in London. Refusing it is right, but the message
    is Django's stock wording (code "ambiguous_timezone" is missing from PlainWordsMixin's
    messages), which quality.md and docs/decisions.md ("Plain words by error code") rule out."""
    response = owner_client.post(
        reverse("diary:side-effect-add", args=[patient.public_id]),
        {"symptom": "headache", "severity": "5", "onset": "2026-03-29T01:30", "still_going": "on"},
    )
    body = response.content.decode()
    assert "couldn’t be interpreted in time zone" not in body
    assert "couldn't be interpreted in time zone" not in body


def test_the_repeated_hour_is_taken_as_its_first_time_and_the_skipped_one_is_refused(
    patient, owner_client
):
    """01:30 on the night the clocks go back is read as its first time (summer time, 00:30 UTC),
    as the infusion form reads a date and time; 01:30 on the night they go forward never
    happened: nothing is saved, and the message says why in plain words, next to the field."""
    url = reverse("diary:side-effect-add", args=[patient.public_id])
    owner_client.post(
        url,
        {"symptom": "headache", "severity": "5", "onset": "2026-10-25T01:30", "still_going": "on"},
    )
    assert SymptomEntry.objects.get().onset == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    response = owner_client.post(
        url,
        {"symptom": "chills", "severity": "5", "onset": "2026-03-29T01:30", "still_going": "on"},
    )
    assert response.status_code == 200 and SymptomEntry.objects.count() == 1
    form = response.context["form"]
    assert form.errors["onset"] == [
        "The clocks went forward then, so this time did not exist here. "
        "Enter the time your clock showed, for example an hour later."
    ]
    assert 'value="2026-03-29T01:30"' in response.content.decode()  # what was typed, kept


def test_the_infusion_form_refuses_a_skipped_hour_as_the_others_do(patient, owner_client):
    """Second browser pass: an infusion at 01:30 on 29 Mar 2026 (London) was saved; the red-flag
    hours count from its start."""
    from infusions.models import Infusion

    from .test_infusions import log_data

    url = reverse("infusions:log", args=[patient.public_id])
    response = owner_client.post(
        url, log_data(date="2026-03-29", start_time="01:30", end_time="04:00")
    )
    assert response.status_code == 200 and not Infusion.objects.exists()
    assert response.context["form"].errors["start_time"] == [
        "The clocks went forward then, so this time did not exist here. "
        "Enter the time your clock showed, for example an hour later."
    ]
    ok = owner_client.post(url, log_data(date="2026-03-29", start_time="02:30", end_time="04:00"))
    assert ok.status_code == 302
