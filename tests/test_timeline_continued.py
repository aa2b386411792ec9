"""The diary list shows a side effect on each later day it was noted again (browser pass: a
headache begun on Saturday, 8 on Tuesday, appeared under Saturday only, so "what happened on
Tuesday" showed no headache)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary import entries, queries
from diary.models import SymptomEntry

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # Tuesday


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_later_day_shows_its_worst_severity_of_an_earlier_episode(patient, owner, owner_client):
    entry = SymptomEntry(
        patient=patient, symptom="headache", severity=3, onset=local(2026, 11, 21, 9)
    )
    entries.save(entry, owner)
    entries.add_reading(entry, 6, local(2026, 11, 24, 8), owner)
    entries.add_reading(entry, 8, local(2026, 11, 24, 11, 11), owner)
    entries.add_reading(entry, 5, local(2026, 11, 24, 11, 40), owner)
    found = queries.timeline(patient, dt.date(2026, 11, 18), dt.date(2026, 11, 24))
    by_day = {day.date: day.items for day in found.days}
    assert set(by_day) == {dt.date(2026, 11, 21), dt.date(2026, 11, 24)}
    (tuesday,) = by_day[dt.date(2026, 11, 24)]
    assert isinstance(tuesday, queries.ContinuedDay) and tuesday.reading.severity == 8
    page = text(
        owner_client.get(reverse("diary:timeline", args=[patient.public_id])).content.decode()
    )
    assert "11:11 Headache 8 severe since Sat 09:00 · still going" in page
    assert "09:00 Headache 3 mild" in page  # Saturday's line, as before
    # Only "symptoms" shows it too; "notes" does not.
    notes = queries.timeline(patient, dt.date(2026, 11, 18), dt.date(2026, 11, 24), "notes")
    assert notes.days == []


def test_a_reading_on_the_day_it_began_adds_no_line(patient, owner):
    entry = SymptomEntry(
        patient=patient, symptom="chills", severity=3, onset=local(2026, 11, 24, 7)
    )
    entries.save(entry, owner)
    entries.add_reading(entry, 6, local(2026, 11, 24, 9), owner)
    found = queries.timeline(patient, dt.date(2026, 11, 24), dt.date(2026, 11, 24))
    assert [type(i).__name__ for i in found.days[0].items] == ["SymptomEntry"]


def test_a_later_day_of_an_episode_in_a_warning_is_marked_as_its_first_is(
    patient, owner, owner_client
):
    neck = SymptomEntry(
        patient=patient, symptom="stiff_neck", severity=5, onset=local(2026, 11, 22, 20)
    )
    entries.save(neck, owner)
    headache = SymptomEntry(
        patient=patient, symptom="headache", severity=8, onset=local(2026, 11, 22, 21)
    )
    entries.save(headache, owner)
    entries.add_reading(headache, 9, local(2026, 11, 24, 8), owner)
    assert SymptomEntry.objects.get(pk=headache.pk).red_flags  # part of a warning
    body = owner_client.get(reverse("diary:timeline", args=[patient.public_id])).content.decode()
    tuesday = body[body.index("Tuesday 24 November") : body.index("Sunday 22 November")]
    assert "border-danger" in tuesday and "since Sun 21:00" in text(tuesday)


def test_todays_line_of_an_earlier_episode_gives_no_day_count_of_the_day_it_began(
    patient, owner, owner_client
):
    """Second browser pass: "Logged today" said "day 6 after infusion" for a nausea begun on
    Sunday, under "Day 1 after the infusion"."""
    from .factories import InfusionFactory

    InfusionFactory(patient=patient, date=dt.date(2026, 11, 16))
    entry = SymptomEntry(
        patient=patient, symptom="nausea", severity=6, onset=local(2026, 11, 22, 18)
    )
    entries.save(entry, owner)
    entries.add_reading(entry, 3, local(2026, 11, 24, 11), owner)
    page = text(owner_client.get(reverse("today", args=[patient.public_id])).content.decode())
    logged = page[page.index("Logged today") :]
    assert "11:00 Feeling sick (nausea) 6 moderate since Sun 18:00 · now 3 mild" in logged
    line = logged[logged.index("11:00 Feeling sick") :]
    line = line[: line.index(owner.display_name) + len(owner.display_name)]
    assert "after infusion" not in line and "of cycle" not in line, line
