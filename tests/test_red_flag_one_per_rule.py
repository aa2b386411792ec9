"""Signs of one rule felt at the same time make one warning (browser pass: chest pain,
one-sided numbness, a drooping face, slurred speech and breathlessness logged a minute apart
made five "Call emergency services now" boxes, each to be dealt with on its own, and pushed
the quick log 12,000 px down a phone)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from diary import alerts
from diary.models import RedFlagEvent, SymptomEntry

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def quick(client, patient, words):
    return client.post(
        reverse("diary:quick-log", args=[patient.public_id]),
        {"symptom": "other", "custom_symptom": words, "severity": "5"},
    )


def test_signs_of_one_rule_logged_a_minute_apart_are_one_warning(patient, owner_client):
    with time_machine.travel(NOW, tick=False) as clock:
        for words in ["numb left side", "face drooping", "slurred speech", "chest pain"]:
            quick(owner_client, patient, words)
            clock.shift(dt.timedelta(minutes=1))
        (event,) = RedFlagEvent.objects.filter(handled_at__isnull=True, withdrawn_at__isnull=True)
        assert event.rule == "thrombosis"
        assert event.entries.count() == 4 == SymptomEntry.objects.count()
        assert {s["code"] for s in event.signs} == {
            "one_sided_weakness",
            "face_drooping",
            "trouble_speaking",
            "chest_pain",
        }
        today = owner_client.get(reverse("today", args=[patient.public_id])).content.decode()
        assert today.count("red-flag-alert red-flag-emergency") == 1
        # A recheck of the whole day keeps it one.
        alerts.refresh(patient, NOW - dt.timedelta(days=1))
        assert RedFlagEvent.objects.filter(withdrawn_at__isnull=True).count() == 1


def test_once_dealt_with_a_new_sign_of_the_rule_is_a_new_warning(patient, owner, owner_client):
    """Near miss: merging signs felt together must not swallow one after the warning was dealt
    with: the box came back for the new sign."""
    with time_machine.travel(NOW, tick=False) as clock:
        quick(owner_client, patient, "chest pain")
        first = RedFlagEvent.objects.get()
        owner_client.post(
            reverse("diary:red-flag-handled", args=[patient.public_id, first.pk]),
            {"how": "checked"},
        )
        first.refresh_from_db()
        assert first.handled_at is not None
        clock.shift(dt.timedelta(minutes=2))
        quick(owner_client, patient, "face drooping")
        (new,) = RedFlagEvent.objects.filter(handled_at__isnull=True)
        assert new.pk != first.pk and {s["code"] for s in new.signs} >= {"face_drooping"}
