"""Editing a side effect with later readings: its severity is the one it began with.

The edit form pre-selects the entry's own severity, which is its first reading; later ones ("same
one") are rows of their own. Asked "How bad is it?", a patient took it for today's severity. With
later readings the form now asks "How bad at the start?" and lists them under the question.
"""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import SymptomEntry

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 16:00 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def edit_url(patient, entry):
    return reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])


def make_entry(patient, user, **fields):
    entry = SymptomEntry(
        patient=patient,
        **({"symptom": "headache", "severity": 3, "onset": local(2026, 11, 23, 9)} | fields),
    )
    entries.save(entry, user)
    return entry


def severity_fieldset(body: str) -> str:
    start = body.rindex("<fieldset", 0, body.index('name="severity"'))
    return body[start : body.index("</fieldset>", start)]


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_with_later_readings_it_asks_how_bad_at_the_start(patient, owner, owner_client):
    entry = make_entry(patient, owner)
    entries.add_reading(entry, 5, local(2026, 11, 23, 14, 20), owner)
    body = owner_client.get(edit_url(patient, entry)).content.decode()
    fieldset = severity_fieldset(body)
    assert text(fieldset).startswith("How bad at the start? 0 none · 10 worst Later: 5 at 14:20.")
    assert 'aria-describedby="severity-help"' in fieldset and 'id="severity-help"' in fieldset
    # Still the first severity that is chosen, not the latest.
    assert 'value="3" checked' in fieldset and 'value="5" checked' not in fieldset


def test_readings_on_other_days_say_which_day(patient, owner, owner_client):
    entry = make_entry(patient, owner, onset=local(2026, 11, 22, 20))
    entries.add_reading(entry, 5, local(2026, 11, 22, 23, 10), owner)
    entries.add_reading(entry, 7, local(2026, 11, 23, 9), owner)
    body = owner_client.get(edit_url(patient, entry)).content.decode()
    assert "Later: 5 at 23:10, 7 at Mon 09:00." in text(severity_fieldset(body))


def test_many_readings_say_how_many_and_the_latest(patient, owner, owner_client):
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    for hour, severity in ((9, 4), (10, 6), (11, 5), (12, 2)):
        entries.add_reading(entry, severity, local(2026, 11, 23, hour), owner)
    body = owner_client.get(edit_url(patient, entry)).content.decode()
    assert "Later: 4 readings, the latest 2 at 12:00." in text(severity_fieldset(body))


def test_without_later_readings_the_question_is_as_before(patient, owner, owner_client):
    entry = make_entry(patient, owner)
    for address in (
        edit_url(patient, entry),
        reverse("diary:side-effect-add", args=[patient.public_id]),
    ):
        fieldset = severity_fieldset(owner_client.get(address).content.decode())
        assert text(fieldset).startswith("How bad is it? 0 none · 10 worst 0 none")
        assert "severity-help" not in fieldset and "Later:" not in fieldset


def test_changing_it_changes_the_start_and_keeps_the_readings(patient, owner, owner_client):
    entry = make_entry(patient, owner)
    entries.add_reading(entry, 5, local(2026, 11, 23, 14, 20), owner)
    data = {
        "symptom": "headache",
        "custom_symptom": "",
        "severity": "2",
        "onset": "2026-11-23T09:00",
        "still_going": "on",
        "ended_at": "",
        "helped": "",
        "notes": "",
    }
    assert owner_client.post(edit_url(patient, entry), data).status_code == 302
    entry.refresh_from_db()
    assert (entry.severity, entry.peak_severity, entry.current_severity) == (2, 5, 5)
    assert list(entry.readings.values_list("severity", flat=True)) == [5]


def test_the_edit_page_reads_the_readings_once(
    patient, owner, owner_client, django_assert_max_num_queries
):
    entry = make_entry(patient, owner)
    entries.add_reading(entry, 5, local(2026, 11, 23, 14, 20), owner)
    owner_client.get(edit_url(patient, entry))
    with django_assert_max_num_queries(12):
        assert owner_client.get(edit_url(patient, entry)).status_code == 200
