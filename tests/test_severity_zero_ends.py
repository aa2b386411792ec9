"""A severity of 0 means "not present" (clinical.md): "Same one", now 0, ends the episode at
that moment, as "Gone now" would; a sign logged at 0 is never "still going"; a 0 that is not the
latest severity ends nothing. Old episodes left open at 0 are ended by a data migration."""

import importlib
import re

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
    assert (
        "Added to the same Headache (since Mon 09:00): 0 (none), worst 6, ended Mon 14:20."
        in answer
    )
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
    patient.refresh_from_db()
    version = patient.data_version

    migration = importlib.import_module("diary.migrations.0008_end_episodes_at_none")
    migration.end_at_none(apps, None)
    patient.refresh_from_db()
    assert patient.data_version == version + 1  # its cached pages are built again

    ends = dict(SymptomEntry.objects.values_list("pk", "ended_at"))
    assert ends[at_zero.pk] == local(2026, 11, 20, 18)
    assert ends[logged_zero.pk] == logged_zero.onset
    assert ends[going.pk] is None


def test_the_history_shows_the_zero_and_the_end_it_made(patient, owner, owner_client):
    entry = make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 8))
    with time_machine.travel(local(2026, 11, 23, 14, 20), tick=False):
        entries.add_reading(entry, 0, local(2026, 11, 23, 14, 20), owner)
    with time_machine.travel(local(2026, 11, 23, 14, 20, 30), tick=False):
        entries.save(SymptomEntry.objects.get(pk=entry.pk), owner)  # saved again, unchanged
    url = reverse("diary:history", args=[patient.public_id, "symptoms", entry.pk])
    body = owner_client.get(url).content.decode()
    items = [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r"<li[^>]*>(.*?)</li>", body, re.S)
    ]
    changes = [i for i in items if "severity" in i or "Ended" in i or "Saved again" in i]
    # Newest first: the unchanged save, then the 0 with the end it made.
    assert changes[0].endswith("Saved again; nothing you see changed."), changes
    assert changes[1].endswith("Later severity 0 (none) at 14:20; worst so far 6"), changes
    assert changes[2] == "Ended: still going → 23 Nov 2026 14:20", changes


def test_an_entry_ended_by_a_zero_is_not_reopened_without_a_word(patient, owner, owner_client):
    entry = make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 8))
    entries.add_reading(entry, 0, local(2026, 11, 23, 11), owner)
    edit = reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])
    data = {"symptom": "headache", "severity": "6", "onset": "2026-11-23T08:00"}
    answer = owner_client.post(edit, data | {"still_going": "on"})
    assert answer.status_code == 200
    errors = answer.context["form"].errors["still_going"]
    assert errors == [
        "Its latest severity is 0 (none), noted at Mon 23 Nov 11:00: it had stopped then. "
        "If it came back, log it again as a new one."
    ]
    assert "it had stopped then" in answer.content.decode()
    entry.refresh_from_db()
    assert entry.ended_at == local(2026, 11, 23, 11)
    # Without a reading: a first severity of 0 cannot be still going either.
    other = make_entry(patient, owner, symptom="chills", severity=0, onset=local(2026, 11, 23, 9))
    edit = reverse("diary:side-effect-edit", args=[patient.public_id, other.pk])
    answer = owner_client.post(
        edit,
        {"symptom": "chills", "severity": "0", "onset": "2026-11-23T09:00", "still_going": "on"},
    )
    assert "0 means it is not there" in answer.content.decode()
    # Choosing how bad it is makes it still going again.
    owner_client.post(
        edit,
        {"symptom": "chills", "severity": "3", "onset": "2026-11-23T09:00", "still_going": "on"},
    )
    other.refresh_from_db()
    assert other.ended_at is None and other.severity == 3


def test_an_import_ends_episodes_left_open_at_zero(patient, owner):
    """An export made before the rule can hold an episode still going at 0: imported, it ends
    there, as the diary now ends it."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from reports import full_export
    from reports.full_import import import_diary

    entry = make_entry(patient, owner, severity=6, onset=local(2026, 11, 20, 9))
    SymptomReading.objects.create(entry=entry, severity=0, at=local(2026, 11, 20, 18))
    going = make_entry(patient, owner, symptom="chills", severity=3)
    SymptomEntry.objects.update(ended_at=None)  # as the diary left them before
    content = full_export.export_json(patient)
    assert all(e["ended_at"] is None for e in json.loads(content)["symptom_entries"])
    new = import_diary(owner, SimpleUploadedFile("d.json", content, "application/json"))
    ends = dict(SymptomEntry.objects.filter(patient=new).values_list("symptom", "ended_at"))
    assert ends == {"headache": local(2026, 11, 20, 18), "chills": None}
    assert going.ended_at is None


def test_a_zero_for_a_sign_still_going_ends_it_without_asking(patient, owner, owner_client):
    """0 can only mean it stopped: the quick log asks no "same one?" question, whose "A new
    one" made an empty "Flushing 0" episode beside the one it ended (browser pass)."""
    make_entry(patient, owner, symptom="flushing", severity=3, onset=local(2026, 11, 23, 9))
    answer = owner_client.post(
        quick_url(patient), {"symptom": "flushing", "severity": "0"}, headers=HTMX
    ).content.decode()
    assert "Is this the same one?" not in answer
    (entry,) = SymptomEntry.objects.all()
    assert entry.ended_at == NOW and entry.readings.get().severity == 0
    assert (
        "Added to the same Flushing (since Mon 09:00): 0 (none), worst 3, ended Mon 15:00."
        in answer
    )


def test_a_zero_ends_an_entry_read_with_its_readings_prefetched(patient, owner):
    entry = make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 9))
    entries.add_reading(entry, 4, local(2026, 11, 23, 10), owner)
    fetched = SymptomEntry.objects.prefetch_related("readings").get(pk=entry.pk)
    assert len(fetched.readings.all()) == 1
    entries.add_reading(fetched, 0, local(2026, 11, 23, 12), owner)
    fetched.refresh_from_db()
    assert fetched.ended_at == local(2026, 11, 23, 12)


def test_a_zero_from_before_the_episode_began_leaves_it_going(patient, owner, owner_client):
    """ "Last night: 0" for a headache that began this morning says only that it was not there
    then: the headache goes on, and the 0 is a record of its own (a review found it ended the
    headache at its own start)."""
    going = make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 9))
    owner_client.post(quick_url(patient), {"symptom": "headache", "severity": "0", "when": "night"})
    going.refresh_from_db()
    assert going.ended_at is None and not going.readings.exists()
    zero = SymptomEntry.objects.exclude(pk=going.pk).get()
    assert zero.severity == 0 and zero.onset == zero.ended_at == local(2026, 11, 22, 22)
