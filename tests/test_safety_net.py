"""A warning sign that no warning counts still gets a word of advice, never silence.

The follow-up question says "Some signs together need a doctor soon": a patient who ticked a
stiff neck nine days after an infusion (outside the meningitis rule's 7 days, no fever) heard
nothing back (browser pass). Now every warning sign logged and counted by no open warning is
named with what to do if worried; a sign a warning counts shows that warning instead.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from diary.models import RedFlagEvent, SymptomEntry

from .factories import InfusionFactory

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SAFETY_NET = "is a sign to watch"
ADVICE = "contact your care team now"


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, patient, *args):
    return reverse(f"diary:{name}", args=[patient.public_id, *args])


def log_headache_then(client, patient, signs):
    client.post(url("quick-log", patient), {"symptom": "headache", "severity": "8"})
    headache = SymptomEntry.objects.get(symptom="headache")
    return client.post(
        url("follow-up", patient, headache.pk),
        {"signs": signs, "severity": "5"},
        headers={"HX-Request": "true"},
    ).content.decode()


def test_a_stiff_neck_after_the_window_gets_advice(patient, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 14))  # nine days ago
    body = log_headache_then(owner_client, patient, ["stiff_neck"])
    assert not RedFlagEvent.objects.exists()  # outside the 7-day window, no fever: no warning
    assert f"Stiff neck {SAFETY_NET}" in body
    assert ADVICE in body and "call emergency services" in body


def test_two_signs_are_named_together(patient, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 14))
    body = log_headache_then(owner_client, patient, ["stiff_neck", "light_sensitivity"])
    assert not RedFlagEvent.objects.exists()
    assert "Stiff neck, Eyes sensitive to light are signs to watch" in body


def test_a_warning_replaces_the_advice(patient, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))  # yesterday
    body = log_headache_then(owner_client, patient, ["stiff_neck"])
    assert RedFlagEvent.objects.count() == 1
    assert "Get medical advice now" in body
    assert SAFETY_NET not in body


def test_common_after_effects_and_a_zero_get_none(patient, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 14))
    body = owner_client.post(
        url("quick-log", patient), {"symptom": "fatigue", "severity": "6"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert SAFETY_NET not in body
    body = log_headache_then(owner_client, patient, ["stiff_neck"])
    assert SAFETY_NET in body
    # Logged at 0 from the full form: "not present" (clinical.md), nothing to advise about.
    response = owner_client.post(
        url("side-effect-add", patient),
        {"symptom": "chest_pain", "severity": "0", "onset": "2026-11-23T11:30", "ended_at": ""},
    )
    assert response.status_code == 302
    assert SymptomEntry.objects.filter(symptom="chest_pain").exists()
    assert SAFETY_NET not in owner_client.get(response["Location"]).content.decode()
    # The same sign above 0 gets it (chest pain warns at any time: this one says so instead).
    response = owner_client.post(
        url("side-effect-add", patient),
        {
            "symptom": "faintness",
            "severity": "3",
            "onset": "2026-11-23T11:40",
            "still_going": "on",
        },
    )
    shown = owner_client.get(response["Location"]).content.decode()
    assert "Feeling faint is a sign to watch" in shown


def test_without_javascript_too(patient, owner_client):
    """The form posts without htmx land on Today with ?saved=: the same advice there."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 14))
    owner_client.post(url("quick-log", patient), {"symptom": "headache", "severity": "8"})
    headache = SymptomEntry.objects.get(symptom="headache")
    response = owner_client.post(
        url("follow-up", patient, headache.pk), {"signs": ["stiff_neck"], "severity": "5"}
    )
    assert response.status_code == 302
    body = owner_client.get(response["Location"]).content.decode()
    assert f"Stiff neck {SAFETY_NET}" in body


def test_words_kept_after_did_you_mean_a_warning_sign_get_advice(patient, owner_client):
    """Browser pass: "chest pian", "Did you mean: Chest pain?", "Keep" saved it silently."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 14))
    data = {"symptom": "other", "custom_symptom": "chest pian", "severity": "6"}
    asked = owner_client.post(url("quick-log", patient), data, HTTP_HX_REQUEST="true")
    assert "Did you mean" in asked.content.decode()
    body = owner_client.post(
        url("quick-log", patient), data | {"keep_typed": "on"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert SymptomEntry.objects.get().custom_symptom == "chest pian"
    assert f"chest pian {SAFETY_NET}" in body and ADVICE in body
    # Words close to no warning sign get none.
    owner_client.post(
        url("quick-log", patient),
        {"symptom": "other", "custom_symptom": "tingling toes", "severity": "4"},
        HTTP_HX_REQUEST="true",
    )
    body = owner_client.post(
        url("quick-log", patient),
        {"symptom": "other", "custom_symptom": "itchy scalp", "severity": "4"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert SAFETY_NET not in body


def test_numbness_on_one_side_in_ones_own_words_warns(patient, owner_client):
    """Browser pass: "numb left side" was saved as typed, with no warning (a stroke sign)."""
    body = owner_client.post(
        url("quick-log", patient),
        {"symptom": "other", "custom_symptom": "numb left side", "severity": "5"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert SymptomEntry.objects.get().symptom == "one_sided_weakness"
    assert RedFlagEvent.objects.get().rule == "thrombosis"
    assert "Call emergency services now" in body
