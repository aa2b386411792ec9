"""Review 2: an entry timed in the *second* 01:00-02:00 of the night the clocks go back
(Europe/London, 25 Oct 2026: 01:30 GMT = 01:30 UTC) is moved an hour earlier by any edit.

``patients.forms_base.LocalDateTimeField`` reads every repeated wall time as its first
occurrence (BST). The edit form shows the stored moment as "2026-10-25T01:30" (no fold), so
saving the form unchanged (to fix a typo in the notes) rewrites the moment as 00:30 UTC.
Before 4ef09bf..HEAD that edit was refused; now the time silently changes."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from diary.models import Note, SymptomEntry

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SECOND_0130 = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 01:30 GMT, after the change


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def shown(body: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def test_editing_a_notes_text_keeps_its_time(patient, owner, owner_client):
    note = Note.objects.create(patient=patient, text="Bad night", written_at=SECOND_0130)
    url = reverse("diary:note-edit", args=[patient.public_id, note.pk])
    written = shown(owner_client.get(url).content.decode(), "written_at")
    owner_client.post(url, {"text": "Bad night, slept at 3", "written_at": written})
    note.refresh_from_db()
    assert note.text == "Bad night, slept at 3"
    assert note.written_at == SECOND_0130, f"moved to {note.written_at}"


def test_editing_a_side_effects_notes_keeps_its_start(patient, owner, owner_client):
    entry = SymptomEntry.objects.create(
        patient=patient, symptom="headache", severity=5, onset=SECOND_0130
    )
    url = reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])
    onset = shown(owner_client.get(url).content.decode(), "onset")
    owner_client.post(
        url,
        {
            "symptom": "headache",
            "severity": "5",
            "onset": onset,
            "still_going": "on",
            "notes": "paracetamol",
        },
    )
    entry.refresh_from_db()
    assert entry.notes == "paracetamol"
    assert entry.onset == SECOND_0130, f"moved to {entry.onset}"
