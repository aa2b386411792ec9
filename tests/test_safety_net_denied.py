"""Review 2: the safety net (``diary.queries._may_be_warning_sign``) reads a denied sign typed
in one's own words as that sign.

The form leaves a denied sign out of "Did you mean" (``suggest(..., leaving_out=found.denied)``)
so "no chest pain" is saved as the patient's words; the safety net then calls
``catalog.suggest(entry.custom_symptom)`` without ``leaving_out`` and finds "chest pain" in
"no chest pain", answering "no chest pain is a sign to watch ... call emergency services".
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from diary.models import SymptomEntry

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("typed", ["no chest pain", "no stiff neck", "not short of breath"])
def test_a_denied_sign_kept_as_words_gets_no_warning_advice(patient, owner_client, typed):
    body = owner_client.post(
        reverse("diary:quick-log", args=[patient.public_id]),
        {"symptom": "other", "custom_symptom": typed, "severity": "3"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert SymptomEntry.objects.get().symptom == SymptomEntry.OTHER
    assert "is a sign to watch" not in body, f"{typed!r} answered as a warning sign"
