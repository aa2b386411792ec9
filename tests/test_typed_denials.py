"""Review 2: typed words that the seventh session's denial handling now reads as "not that
sign", although the patient is describing the sign (clinical/symptoms.py ``_denied``,
``_together``).

"Without" is a denial word, so the most ordinary way to describe exertional chest pain or
breathlessness ("I can't walk without chest pain") files the warning sign as *denied*: the
entry is saved as the patient's own words, no red-flag rule sees it, no warning is shown, and
the safety-net advice is not given either. Before 4ef09bf..HEAD these were saved as the sign.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from clinical import symptoms
from diary.models import RedFlagEvent, SymptomEntry

from .factories import InfusionFactory

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("typed", "sign"),
    [
        ("I can't walk without chest pain", "chest_pain"),
        ("can't climb the stairs without getting out of breath", "shortness_of_breath"),
        ("can't lie down without feeling short of breath", "shortness_of_breath"),
        ("cannot walk without getting breathless", "shortness_of_breath"),
        ("can't stand up without feeling faint", "faintness"),
        ("can't even talk without gasping", "trouble_breathing"),
        ("not able to walk without chest tightness", "chest_pain"),
        ("not the chest pain again", "chest_pain"),
    ],
)
def test_a_sign_described_with_without_is_still_that_sign(typed, sign):
    found = symptoms.recognise(typed)
    assert sign in found.codes, f"{typed!r} read as denying {found.denied}"


@pytest.mark.parametrize(
    "typed",
    ["not numb but my left arm is weak", "no numbness but right arm weak"],
)
def test_a_denied_numbness_does_not_deny_the_weak_side_after_it(typed):
    """``_together`` looks only at the first numb/weak word of a clause: a denied "numb"
    makes the later "left arm is weak" (alone: recognised as the stroke sign) denied too."""
    assert "one_sided_weakness" in symptoms.recognise(typed).codes


def test_exertional_chest_pain_typed_on_the_quick_log_warns(patient, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))  # yesterday
    response = owner_client.post(
        reverse("diary:quick-log", args=[patient.public_id]),
        {"symptom": "other", "custom_symptom": "I can't walk without chest pain", "severity": "7"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    saved = list(SymptomEntry.objects.values_list("symptom", flat=True))
    assert saved == ["chest_pain"], f"saved as {saved}"
    assert RedFlagEvent.objects.exists(), "no warning for chest pain the day after an infusion"
    assert "emergency" in body.lower()
