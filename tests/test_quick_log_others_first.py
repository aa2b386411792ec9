"""Typed words naming a warning sign beside a sign still going: the warning sign is saved and
warns at once, and "Same one?" is asked about the other sign alone (second browser pass:
nothing was saved, and no warning shown, until the headache question was answered)."""

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


@pytest.mark.parametrize("htmx", [True, False])
def test_the_warning_sign_is_saved_and_the_question_asked_about_the_other(
    patient, owner, owner_client, htmx
):
    headache = SymptomEntry(
        patient=patient, symptom="headache", severity=6, onset=NOW - dt.timedelta(hours=3)
    )
    entries.save(headache, owner)
    data = {"symptom": "other", "custom_symptom": "headache and can't breathe", "severity": "6"}
    response = owner_client.post(url(patient), data, headers=HTMX if htmx else {})
    body = response.content.decode()
    assert response.status_code == 200
    breathing = SymptomEntry.objects.get(symptom="trouble_breathing")
    assert breathing.custom_symptom == "headache and can't breathe"
    assert RedFlagEvent.objects.filter(entries=breathing).exists()
    assert "Call emergency services now" in body
    assert "Headache since Mon 09:00: still going. Is this the same one?" in body
    # The question is now about the headache alone: answering it saves nothing twice.
    assert 'id="qs-headache" value="headache" autocomplete="off" checked' in body
    answer = {"symptom": "headache", "severity": "6", "episode": "same"}
    owner_client.post(url(patient), answer, headers=HTMX)
    assert SymptomEntry.objects.filter(symptom="trouble_breathing").count() == 1
    assert SymptomEntry.objects.filter(symptom="headache").count() == 1
    assert headache.readings.get().severity == 6


def test_only_a_question_left_with_nothing_else_named_saves_nothing(patient, owner, owner_client):
    """Near miss: one sign, still going: the question alone, as before."""
    entries.save(SymptomEntry(patient=patient, symptom="chills", severity=3, onset=NOW), owner)
    owner_client.post(url(patient), {"symptom": "chills", "severity": "5"}, headers=HTMX)
    assert SymptomEntry.objects.count() == 1


def test_a_sign_with_no_button_is_asked_about_by_its_name(patient, owner, owner_client):
    """Dizziness has no quick-log button: the question carries its name as words, and the
    answer adds to it without saving the chest pain twice."""
    dizzy = SymptomEntry(patient=patient, symptom="dizziness", severity=4, onset=NOW)
    entries.save(dizzy, owner)
    data = {"symptom": "other", "custom_symptom": "dizzy and chest pain", "severity": "5"}
    body = owner_client.post(url(patient), data, headers=HTMX).content.decode()
    assert SymptomEntry.objects.filter(symptom="chest_pain").count() == 1
    assert "Dizziness since Mon 12:00: still going. Is this the same one?" in body
    answer = {"symptom": "other", "custom_symptom": "Dizziness", "severity": "5", "episode": "same"}
    owner_client.post(url(patient), answer, headers=HTMX)
    assert SymptomEntry.objects.filter(symptom="chest_pain").count() == 1
    assert SymptomEntry.objects.filter(symptom="dizziness").count() == 1
    assert dizzy.readings.get().severity == 5
