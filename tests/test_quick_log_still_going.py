"""Third review of 6e61051 (quick log: signs named beside one still going are saved at once),
both fixed:

1. "swollen ankles and can't breathe", with swelling of the legs still going: the breathing
   is saved and warns (right), but the question asked next is "Where is the swelling?",
   though the words said where, not "Same one?" (the detail came from the words, not from an
   answer, and is lost when the question is rebuilt from the sign's button).
2. "headache and chills and chest pain" with a headache and
   chills both still going saves nothing and warns of nothing: the form only says to log
   them one at a time. The chest pain waits, as "can't breathe" did before 6e61051.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import RedFlagEvent, SymptomEntry

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(patient):
    return reverse("diary:quick-log", args=[patient.public_id])


def _going(patient, owner, symptom, detail=""):
    entry = SymptomEntry(
        patient=patient,
        symptom=symptom,
        detail=detail,
        severity=4,
        onset=NOW - dt.timedelta(hours=3),
    )
    entries.save(entry, owner)
    return entry


def test_swelling_named_with_its_place_is_asked_same_one_not_where(patient, owner, owner_client):
    _going(patient, owner, "swelling", "legs")
    data = {
        "symptom": "other",
        "custom_symptom": "swollen ankles and can't breathe",
        "severity": "6",
    }
    body = owner_client.post(url(patient), data, headers=HTMX).content.decode()
    assert SymptomEntry.objects.filter(symptom="trouble_breathing").count() == 1
    assert "Where is the swelling?" not in body
    assert "Is this the same one?" in body


def test_a_warning_sign_beside_two_signs_still_going_is_saved(patient, owner, owner_client):
    _going(patient, owner, "headache")
    _going(patient, owner, "chills")
    data = {
        "symptom": "other",
        "custom_symptom": "headache and chills and chest pain",
        "severity": "6",
    }
    owner_client.post(url(patient), data, headers=HTMX)
    chest = SymptomEntry.objects.filter(symptom="chest_pain")
    assert chest.count() == 1
    assert RedFlagEvent.objects.filter(entries__in=chest).exists()


def test_a_face_swelling_still_going_is_asked_about_without_a_bad_answer(
    patient, owner, owner_client
):
    """Near miss: a detail that is no answer to a question (the face) is not sent as one."""
    going = _going(patient, owner, "face_throat_swelling", "face")
    data = {"symptom": "other", "custom_symptom": "swollen face and chest pain", "severity": "6"}
    body = owner_client.post(url(patient), data, headers=HTMX).content.decode()
    assert SymptomEntry.objects.filter(symptom="chest_pain").count() == 1
    assert "Is this the same one?" in body and "Choose from the options" not in body
    answer = {
        "symptom": "other",
        "custom_symptom": "Swelling of the face, lips or throat",
        "severity": "6",
        "episode": "same",
    }
    owner_client.post(url(patient), answer, headers=HTMX)
    assert going.readings.count() == 1
    assert SymptomEntry.objects.filter(symptom="chest_pain").count() == 1
