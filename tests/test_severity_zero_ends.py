"""A severity of 0 means "not present" (clinical.md): "Same one", now 0, ends the episode at
that moment, as "Gone now" would; a sign logged at 0 is never "still going"; a 0 that is not the
latest severity ends nothing. Old episodes left open at 0 are ended by a data migration."""

import importlib

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from diary import entries
from diary.models import SymptomEntry, SymptomReading
from reports import cycles

from .test_latest_severity import HTMX, card_lines, local, make_entry, quick_url, today_url

NOW = local(2026, 11, 23, 15, 0)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_same_one_now_zero_ends_the_episode_there(patient, owner, owner_client):
    make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 9))
    with time_machine.travel(local(2026, 11, 23, 14, 20), tick=False):
        answer = owner_client.post(
            quick_url(patient),
            {"symptom": "headache", "severity": "0", "episode": "same"},
            headers=HTMX,
        ).content.decode()
    entry = SymptomEntry.objects.get()
    assert entry.ended_at == local(2026, 11, 23, 14, 20)
    assert entry.readings.get().severity == 0 and entry.peak_severity == 6
    assert "Added to the same Headache: 0 (none), worst 6, ended Mon 14:20." in answer
    # Neither the answer's card nor the page after it lists it as still going.
    assert card_lines(answer) == []
    assert card_lines(owner_client.get(today_url(patient)).content.decode()) == []
    # The next headache is a new episode: no "same one?" question about the one that ended.
    with time_machine.travel(local(2026, 11, 23, 14, 50), tick=False):
        owner_client.post(quick_url(patient), {"symptom": "headache", "severity": "4"})
    assert SymptomEntry.objects.count() == 2
    # Its duration, on trends and the report, runs to the 0: not "at least" to today.
    (first,) = cycles.side_effect_rows(patient, SymptomEntry.objects.filter(pk=entry.pk))
    assert cycles.episode(first).hours == pytest.approx(5 + 20 / 60)
    assert cycles.episode(first).open is False


def test_a_sign_logged_at_zero_is_not_still_going(patient, owner, owner_client):
    owner_client.post(quick_url(patient), {"symptom": "nausea", "severity": "0"})
    entry = SymptomEntry.objects.get()
    assert entry.ended_at == entry.onset == NOW
    assert card_lines(owner_client.get(today_url(patient)).content.decode()) == []
    # The full form, backdated, the same.
    owner_client.post(
        reverse("diary:side-effect-add", args=[patient.public_id]),
        {"symptom": "chills", "severity": "0", "onset": "2026-11-22T10:00"},
    )
    chills = SymptomEntry.objects.get(symptom="chills")
    assert chills.ended_at == chills.onset == local(2026, 11, 22, 10)


def test_a_zero_before_a_later_reading_ends_nothing(patient, owner):
    entry = make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 9))
    entries.add_reading(entry, 4, local(2026, 11, 23, 13), owner)
    # Noted afterwards, for an earlier time: the later 4 says it went on.
    entries.add_reading(entry, 0, local(2026, 11, 23, 11), owner)
    entry.refresh_from_db()
    assert entry.ended_at is None
    # An end already given is kept.
    entry.ended_at = local(2026, 11, 23, 14)
    entries.save(entry, owner)
    entries.add_reading(entry, 0, local(2026, 11, 23, 14), owner)
    entry.refresh_from_db()
    assert entry.ended_at == local(2026, 11, 23, 14)


def test_an_edit_to_zero_without_later_readings_ends_it_at_its_start(patient, owner):
    entry = make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 9))
    entry.severity = 0
    entries.save(entry, owner)
    entry.refresh_from_db()
    assert entry.ended_at == local(2026, 11, 23, 9)
    # With a later reading above 0, a first severity of 0 is only how it began.
    other = make_entry(patient, owner, symptom="chills", severity=3, onset=local(2026, 11, 23, 9))
    entries.add_reading(other, 5, local(2026, 11, 23, 10), owner)
    other.severity = 0
    entries.save(other, owner)
    other.refresh_from_db()
    assert other.ended_at is None


def test_the_migration_ends_old_episodes_left_open_at_zero(patient, owner):
    at_zero = make_entry(patient, owner, severity=6, onset=local(2026, 11, 20, 9))
    SymptomReading.objects.create(entry=at_zero, severity=0, at=local(2026, 11, 20, 18))
    logged_zero = make_entry(patient, owner, symptom="nausea", severity=0)
    going = make_entry(patient, owner, symptom="chills", severity=3)
    SymptomReading.objects.create(entry=going, severity=0, at=local(2026, 11, 23, 10))
    SymptomReading.objects.create(entry=going, severity=2, at=local(2026, 11, 23, 11))
    SymptomEntry.objects.update(ended_at=None)  # as the diary left them before

    migration = importlib.import_module("diary.migrations.0008_end_episodes_at_none")
    migration.end_at_none(apps, None)

    ends = dict(SymptomEntry.objects.values_list("pk", "ended_at"))
    assert ends[at_zero.pk] == local(2026, 11, 20, 18)
    assert ends[logged_zero.pk] == logged_zero.onset
    assert ends[going.pk] is None
