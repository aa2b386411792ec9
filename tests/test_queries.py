"""The diary's queries, called as the report will call them: a patient and a period, no request.

Each one is scoped to its patient (another patient's rows on the same days never appear) and
runs a fixed number of queries whatever the period or the diary's size.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import entries, queries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry

from .factories import InfusionFactory, MembershipFactory, PatientFactory

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 12:00 in London.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
THREE_MONTHS_AGO = dt.date(2026, 8, 24)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def other(db):
    """Another diary with rows on the very same days."""
    patient = PatientFactory(name="Other")
    MembershipFactory(patient=patient)
    return patient


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def symptom(patient, user=None, **fields):
    entry = SymptomEntry(
        patient=patient, **({"symptom": "headache", "severity": 5, "onset": NOW} | fields)
    )
    entries.save(entry, user)
    return entry


def note(patient, user=None, **fields):
    item = Note(patient=patient, **({"text": "Better", "written_at": NOW} | fields))
    entries.save(item, user)
    return item


def measure(patient, user=None, **fields):
    item = Measure(
        patient=patient,
        **({"kind": "weight", "value": 68, "unit": "kg", "measured_at": NOW} | fields),
    )
    entries.save(item, user)
    return item


def _fill(patient, user, months_back=3):
    """Something of every kind every week for ``months_back`` months, and an infusion a month."""
    for week in range(months_back * 4 + 1):
        day = NOW - dt.timedelta(weeks=week)
        symptom(patient, user, onset=day, ended_at=day + dt.timedelta(hours=2))
        note(patient, user, written_at=day)
        measure(patient, user, measured_at=day)
    for month in range(months_back):
        InfusionFactory(patient=patient, date=TODAY - dt.timedelta(days=28 * month + 3))


# --- timeline -------------------------------------------------------------------------------------


def test_the_timeline_covers_any_period_and_only_its_patient(patient, owner, other):
    _fill(patient, owner)
    _fill(other, None)
    found = queries.timeline(patient, THREE_MONTHS_AGO, TODAY)
    assert (found.since, found.until, found.kind) == (THREE_MONTHS_AGO, TODAY, "")
    items = [item for day in found.days for item in day.items]
    infusions = [infusion for day in found.days for infusion in day.infusions]
    assert len(items) == 3 * 13 and len(infusions) == 3
    assert {item.patient_id for item in items} == {patient.pk}
    assert {infusion.patient_id for infusion in infusions} == {patient.pk}
    # Newest day first, newest item first within a day, each named by who logged it.
    dates = [day.date for day in found.days]
    assert dates == sorted(dates, reverse=True) and dates[0] == TODAY
    assert all(item.author == str(owner) for item in items)
    assert all(THREE_MONTHS_AGO <= day.date <= TODAY for day in found.days)


def test_the_timeline_keeps_to_its_dates_in_the_patients_zone(patient, owner):
    first = symptom(patient, owner, onset=local(2026, 11, 2, 0, 0))  # the first minute
    symptom(patient, owner, onset=local(2026, 11, 1, 23, 59))  # the day before
    symptom(patient, owner, onset=local(2026, 11, 10, 0, 0))  # the day after
    last = symptom(patient, owner, onset=local(2026, 11, 9, 23, 59))
    found = queries.timeline(patient, dt.date(2026, 11, 2), dt.date(2026, 11, 9))
    assert [item.pk for day in found.days for item in day.items] == [last.pk, first.pk]


def test_the_timeline_shows_one_kind(patient, owner, other):
    _fill(patient, owner, months_back=1)
    _fill(other, None, months_back=1)
    notes = queries.timeline(patient, THREE_MONTHS_AGO, TODAY, kind="notes")
    items = [item for day in notes.days for item in day.items]
    assert items and all(isinstance(item, Note) and item.patient_id == patient.pk for item in items)
    assert not any(day.infusions for day in notes.days)
    infusions = queries.timeline(patient, THREE_MONTHS_AGO, TODAY, kind="infusions")
    assert all(not day.items and day.infusions for day in infusions.days)
    with pytest.raises(ValueError):
        queries.timeline(patient, THREE_MONTHS_AGO, TODAY, kind="everything")


def test_the_timeline_query_count_does_not_grow_with_the_period(patient, owner):
    _fill(patient, owner)
    counts = []
    for since in (TODAY - dt.timedelta(days=13), THREE_MONTHS_AGO):
        with CaptureQueriesContext(connection) as captured:
            queries.timeline(patient, since, TODAY)
        counts.append(len(captured))
    # side effects, notes, measures, later severities (of earlier days' episodes), authors,
    # infusions
    assert counts == [6, 6]


def test_the_last_day_before_skips_empty_weeks_and_other_diaries(patient, owner, other):
    symptom(patient, owner, onset=local(2026, 9, 1, 8))
    note(other, None, written_at=local(2026, 10, 20, 8))
    InfusionFactory(patient=other, date=dt.date(2026, 10, 21))
    assert queries.last_day_before(patient, dt.date(2026, 11, 10)) == dt.date(2026, 9, 1)
    assert queries.last_day_before(patient, dt.date(2026, 11, 10), "notes") is None
    assert queries.last_day_before(patient, dt.date(2026, 9, 1)) is None


# --- today ----------------------------------------------------------------------------------------


def test_today_summary_takes_a_time_and_keeps_to_its_patient(patient, owner, other):
    ongoing = symptom(patient, owner, onset=local(2026, 11, 20, 9))
    logged = symptom(patient, owner, symptom="fatigue", onset=local(2026, 11, 23, 8), ended_at=NOW)
    note(
        patient, owner, kind=Note.Kind.QUESTION, text="Slower rate?", written_at=local(2026, 11, 1)
    )
    symptom(other, None, onset=local(2026, 11, 23, 9))
    note(other, None, kind=Note.Kind.QUESTION, text="Theirs", written_at=local(2026, 11, 23, 9))
    summary = queries.today_summary(patient, NOW)
    assert [e.pk for e in summary.ongoing] == [ongoing.pk]
    assert [item.pk for item in summary.todays] == [logged.pk]
    assert summary.todays[0].author == str(owner)
    assert summary.open_questions == 1
    assert summary.mgadl_due  # MG, and no score this week
    assert summary.status.last_infusion is None
    # Asked about another day, it answers for that day.
    assert queries.today_summary(patient, local(2026, 11, 20, 20)).todays[0].pk == ongoing.pk


def test_follow_up_questions_ignore_another_diarys_signs(patient, owner, other):
    symptom(other, None, symptom="stiff_neck", onset=local(2026, 11, 23, 9))
    mine = symptom(patient, owner, severity=8, onset=local(2026, 11, 23, 10))
    symptom(patient, owner, symptom="fever", severity=3, onset=local(2026, 11, 23, 7))
    codes = queries.follow_up_codes(patient, [mine])
    assert "stiff_neck" in codes and "fever" not in codes


def test_warnings_keep_to_their_patient(patient, owner, other):
    signs = [{"code": "headache", "label": "Headache", "severity": 8}]
    fields = {"rule": "aseptic_meningitis", "started_at": NOW, "last_at": NOW, "signs": signs}
    mine = RedFlagEvent.objects.create(patient=patient, **fields)
    handled = RedFlagEvent.objects.create(
        patient=patient, handled_at=NOW, handled_by=owner, handled_how="checked", **fields
    )
    RedFlagEvent.objects.create(patient=other, **fields)
    RedFlagEvent.objects.create(patient=other, handled_at=NOW, handled_how="checked", **fields)
    found = queries.warnings(
        patient, NOW - dt.timedelta(days=7), fresh=[mine.pk], handle_url=lambda e: f"/x/{e.pk}"
    )
    assert [(a["id"], a["fresh"], a["handle_url"]) for a in found.open] == [
        (mine.pk, True, f"/x/{mine.pk}")
    ]
    assert [e.pk for e in found.handled] == [handled.pk]
    assert found.handled[0].handled_by_name == str(owner)


# --- measures -------------------------------------------------------------------------------------


def test_measures_over_a_period_compare_with_the_score_before(patient, owner, other):
    for day, total in [(1, 9), (10, 6), (20, 5)]:
        measure(patient, owner, kind="mgadl", value=total, measured_at=local(2026, 11, day, 9))
    measure(other, None, kind="mgadl", value=20, measured_at=local(2026, 11, 5, 9))
    measure(patient, owner, value=70, measured_at=local(2026, 10, 1, 9))
    sections = {s.kind: s for s in queries.measures(patient, since=dt.date(2026, 11, 5))}
    mgadl = sections["mgadl"]
    assert [m.total for m in mgadl.rows] == [5, 6]  # newest first, the 1 Nov score left out
    # The first score of the period compares with the one just before it, not another diary's.
    assert [m.change.change for m in mgadl.rows] == [-1, -3]
    assert mgadl.citation.startswith("MG-ADL: Wolfe")
    assert sections["weight"].rows == []  # a usual measure shows, even when empty
    everything = {s.kind: s for s in queries.measures(patient)}
    assert [m.total for m in everything["mgadl"].rows] == [5, 6, 9]
    assert everything["mgadl"].rows[-1].change is None
    assert everything["weight"].rows[0].shown_value == "70 kg"
    only_early = {s.kind: s for s in queries.measures(patient, until=dt.date(2026, 11, 5))}
    assert [m.total for m in only_early["mgadl"].rows] == [9]


def test_measures_cost_two_queries_for_any_period(patient, owner, django_assert_num_queries):
    for day in range(1, 23):
        measure(patient, owner, kind="mgadl", value=day % 10, measured_at=local(2026, 11, day, 9))
    with django_assert_num_queries(2):  # the rows, and the score before the period
        queries.measures(patient, since=dt.date(2026, 11, 10), until=TODAY)
    with django_assert_num_queries(1):
        queries.measures(patient)


def test_gbs_sections_carry_their_citation(patient):
    patient.conditions = ["gbs"]
    patient.save()
    sections = {s.kind: s for s in queries.measures(patient)}
    assert sections["gbs_disability"].citation.startswith("Hughes RA")
    assert sections["weight"].citation == ""


# --- questions ------------------------------------------------------------------------------------


def test_questions_keep_to_their_patient(patient, owner, other):
    asked = note(patient, owner, kind=Note.Kind.QUESTION, text="Slower rate?")
    answered = note(patient, owner, kind=Note.Kind.QUESTION, text="Premedication?", answer="Yes")
    answered.answered_at = timezone.now()
    answered.save()
    note(other, None, kind=Note.Kind.QUESTION, text="Theirs")
    found = queries.questions(patient)
    assert [q.pk for q in found.open] == [asked.pk]
    assert [q.pk for q in found.answered] == [answered.pk]
    assert found.open[0].author == str(owner)
