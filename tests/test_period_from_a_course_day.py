"""A period that starts on a course's first day: the morning before that day's infusion is in
the period, and belongs to the cycle that ends then (clinical.md, "Time and cycles"). A report
"since the last report" made at a visit on an infusion day starts so."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from diary import entries
from diary.models import Measure, SymptomEntry
from reports import cycles, document, trends

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def diary(patient, owner):
    """Courses on 5 Jan and 2 Feb, 09:00 London. On 2 Feb, before the infusion: a headache
    06:00-08:00 (severity 6) and an MG-ADL of 7 at 07:00, both day 28 of the cycle of 5 Jan."""
    for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
        InfusionFactory(patient=patient, date=day, start_time=dt.time(9), end_time=dt.time(13))
    headache = SymptomEntry(
        patient=patient,
        symptom="headache",
        severity=6,
        onset=dt.datetime(2026, 2, 2, 6, tzinfo=LONDON),
        ended_at=dt.datetime(2026, 2, 2, 8, tzinfo=LONDON),
    )
    entries.save(headache, owner)
    score = Measure(
        patient=patient,
        kind="mgadl",
        value=7,
        measured_at=dt.datetime(2026, 2, 2, 7, tzinfo=LONDON),
    )
    entries.save(score, owner)
    return patient


def test_the_report_from_a_course_day_shows_that_morning_s_side_effect(diary):
    doc = document.build(diary, dt.date(2026, 2, 2), dt.date(2026, 3, 1), ["side_effects"])
    assert [line.key for line in doc.side_effects] == ["headache"]
    assert doc.side_effects_begun_before == ["5 Jan 2026"]
    assert [m.readings for m in doc.measures] == [1]


def test_the_trends_from_a_course_day_hold_that_morning_s_side_effect(diary):
    data = trends.load(diary, dt.date(2026, 2, 2), dt.date(2026, 3, 1))
    onsets = [r.onset for rows in data.symptoms.values() for r in rows]
    assert onsets == [dt.datetime(2026, 2, 2, 6, tzinfo=LONDON)]
    # The cycle of 5 Jan reaches in by that morning, as a course given before the period.
    assert [(c.start_date, c.course_in_period) for c in data.cycles] == [
        (dt.date(2026, 1, 5), False),
        (dt.date(2026, 2, 2), True),
    ]


def test_a_period_from_the_day_after_leaves_the_cycle_before_out(diary):
    spans, previous = cycles.spans_for(diary, dt.date(2026, 2, 3), dt.date(2026, 3, 1))
    assert [s.start_date for s in spans] == [dt.date(2026, 2, 2)]
    assert previous.start_date == dt.date(2026, 1, 5)
    spans, previous = cycles.spans_for(diary, dt.date(2026, 2, 2), dt.date(2026, 3, 1))
    assert [s.start_date for s in spans] == [dt.date(2026, 1, 5), dt.date(2026, 2, 2)]
    assert previous is None  # 5 Jan was the first course


@pytest.mark.parametrize("start", [None, dt.time(0)])
def test_a_course_day_with_no_morning_leaves_the_cycle_before_out(patient, start):
    """A first infusion with no start time (counted from the start of the day) or at midnight
    leaves nothing of its day to the cycle before: that cycle stays out of the period (pulled
    in, it put its own length on page 1 and a row in the table)."""
    InfusionFactory(patient=patient, date=dt.date(2026, 1, 5), start_time=dt.time(9))
    InfusionFactory(patient=patient, date=dt.date(2026, 2, 2), start_time=start)
    since, until = dt.date(2026, 2, 2), dt.date(2026, 3, 1)
    spans, previous = cycles.spans_for(patient, since, until)
    assert [s.start_date for s in spans] == [dt.date(2026, 2, 2)]
    assert previous.start_date == dt.date(2026, 1, 5)
    assert [c.start_date for c in trends.load(patient, since, until).cycles] == [
        dt.date(2026, 2, 2)
    ]
    assert len(document.build(patient, since, until, ["cycles"]).cycle_rows) == 1
