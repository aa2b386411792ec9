"""A side effect logged with "Still going" ticked is still going when it is saved: the report
and the trends count it to then ("at least N h"), as they do after Today's "Still going"."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from diary.models import SymptomEntry
from reports import document

from .factories import InfusionFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 14, 35, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _log(client, patient, **fields):
    data = {"symptom": "nausea", "severity": "4", "onset": "2026-11-23T21:00", "still_going": "on"}
    data |= fields
    return client.post(reverse("diary:side-effect-add", args=[patient.public_id]), data)


def test_logged_the_next_morning_as_still_going_it_lasted_until_then(owner_client, patient):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 23), start_time=dt.time(9))
    assert _log(owner_client, patient).status_code == 302
    entry = SymptomEntry.objects.get(patient=patient)
    assert entry.ended_at is None and entry.still_going_at == NOW
    doc = document.build(patient, dt.date(2026, 11, 1), dt.date(2026, 11, 24), ["side_effects"])
    (course,) = doc.course_effects
    assert [(effect.key, lasted) for effect, lasted in course.lines] == [
        ("nausea", "at least 17 h")
    ]


def test_an_end_given_claims_nothing_about_now(owner_client, patient):
    _log(owner_client, patient, still_going="", ended_at="2026-11-24T02:00")
    assert list(SymptomEntry.objects.values_list("still_going_at", flat=True)) == [None]


def test_still_going_unticked_with_no_end_asks_for_the_end(owner_client, patient):
    """Unticked is "not going any more": saved without an end, it stayed open and showed as
    still going everywhere. The form asks for the end, keeping what was typed."""
    refused = _log(owner_client, patient, symptom="headache", still_going="", notes="after lunch")
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "When did it stop? Give the end, or tick “Still going” if it has not." in page
    assert "after lunch" in page and not SymptomEntry.objects.exists()
    # At 0 ("not there") nothing is asked: it ends at its start by itself.
    assert _log(owner_client, patient, severity="0", still_going="").status_code == 302


def test_an_edit_of_an_open_entry_leaves_its_last_confirmation(owner_client, patient):
    _log(owner_client, patient)
    entry = SymptomEntry.objects.get()
    with time_machine.travel(NOW + dt.timedelta(days=5), tick=False):
        owner_client.post(
            reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk]),
            {
                "symptom": "nausea",
                "severity": "5",
                "onset": "2026-11-23T21:00",
                "still_going": "on",
            },
        )
    entry.refresh_from_db()
    assert entry.severity == 5 and entry.still_going_at == NOW  # a typo fixed says nothing new


def test_same_one_still_going_confirms_the_entry_it_joins(owner_client, patient, owner):
    from diary import entries

    going = SymptomEntry(
        patient=patient,
        symptom="nausea",
        severity=3,
        onset=dt.datetime(2026, 11, 23, 18, tzinfo=dt.UTC),
    )
    entries.save(going, owner)
    _log(owner_client, patient, episode="same")
    going.refresh_from_db()
    assert SymptomEntry.objects.count() == 1
    assert going.readings.count() == 1 and going.still_going_at == NOW


def test_a_new_one_cannot_start_before_it_was_last_said_to_be_going(owner_client, patient):
    """Logged at 14:35 as still going, the first is known going then: "A new one" from 12:00
    would make two episodes of one sign overlap, and is refused with why."""
    _log(owner_client, patient)
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        refused = _log(owner_client, patient, onset="2026-11-24T12:00", episode="new")
    assert refused.status_code == 200
    assert "so a new one can’t start before that" in refused.content.decode()
    first = SymptomEntry.objects.get()
    assert first.ended_at is None


def test_a_start_minutes_ago_gets_no_still_going_stamp(owner_client, patient):
    """The form's start defaults to now: a save a few minutes later is no confirmation."""
    _log(owner_client, patient, onset="2026-11-24T14:25")
    assert SymptomEntry.objects.get().still_going_at is None


def test_a_start_moved_after_the_last_still_going_drops_it(owner_client, patient):
    _log(owner_client, patient)
    entry = SymptomEntry.objects.get()
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        owner_client.post(
            reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk]),
            {
                "symptom": "nausea",
                "severity": "4",
                "onset": "2026-11-24T15:00",
                "still_going": "on",
            },
        )
    entry.refresh_from_db()
    assert entry.onset.hour == 15 and entry.still_going_at is None


def test_an_end_given_before_the_last_still_going_drops_it(owner_client, patient, owner):
    """The end typed is the person's latest word: a "still going" after it is dropped."""
    from diary import entries

    entry = SymptomEntry(
        patient=patient,
        symptom="nausea",
        severity=4,
        onset=dt.datetime(2026, 11, 23, 21, tzinfo=dt.UTC),
        still_going_at=dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC),
    )
    entries.save(entry, owner)
    owner_client.post(
        reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk]),
        {
            "symptom": "nausea",
            "severity": "4",
            "onset": "2026-11-23T21:00",
            "ended_at": "2026-11-23T23:00",
        },
    )
    entry.refresh_from_db()
    assert entry.ended_at == dt.datetime(2026, 11, 23, 23, tzinfo=dt.UTC)
    assert entry.still_going_at is None


def test_same_one_at_an_earlier_start_of_0_still_asks_when_it_stopped(owner_client, patient, owner):
    """ "Same one", started earlier at 0: the 5 logged first becomes the latest severity, so
    the episode does not end by itself; unticked with no end, the form asks."""
    from diary import entries

    going = SymptomEntry(
        patient=patient,
        symptom="nausea",
        severity=5,
        onset=dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC),
    )
    entries.save(going, owner)
    asked = _log(
        owner_client,
        patient,
        severity="0",
        onset="2026-11-24T08:00",
        still_going="",
        episode="same",
    )
    assert asked.status_code == 200
    assert "When did it stop?" in asked.content.decode()
