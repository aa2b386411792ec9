"""The report and the trends page read a period's rows in a few queries (``reports.cycles.load``)
and count from them what used to take a query of its own: these check that the rows they read
say what the models say.

* what each infusion day recorded (lots, rate steps, premedications, reactions: one union) is
  what its relations hold, in their order;
* a side effect read as a row (its readings joined) has the worst severity, the end and the
  days the model-based rules give;
* "logged by" counted from the rows read equals the count the database gives, entries before
  the first course and questions asked in the period included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from diary import entries
from diary.models import Note, SymptomEntry
from infusions.models import Infusion
from reports import bench_data, cycles, document, trends

from .factories import UserFactory

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def diary(db):
    with time_machine.travel(NOW, tick=False):
        user = UserFactory()
        patient = bench_data.create_diary(user, "One year", years=1, now=NOW)
    return user, patient


def test_each_infusion_day_has_what_its_relations_hold(diary):
    _user, patient = diary
    rows = cycles.load(patient, dt.date(2025, 11, 1), TODAY)
    loaded = [i for day in rows.infusions.values() for i in day]
    assert len(loaded) > 20
    models = {
        i.pk: i
        for i in Infusion.objects.filter(pk__in=[i.pk for i in loaded]).prefetch_related(
            "lots", "rate_steps", "premedications", "reactions"
        )
    }
    some_reactions = False
    for infusion in loaded:
        model = models[infusion.pk]
        details = infusion.details
        assert details.lots == [cycles.Lot(lot.lot_number, lot.expiry) for lot in model.lots.all()]
        assert details.rate_steps == [(s.rate, s.unit) for s in model.rate_steps.all()]
        assert all(isinstance(rate, Decimal) for rate, _unit in details.rate_steps)
        assert details.premedications == [str(p) for p in model.premedications.all()]
        assert [
            (r.symptom, r.severity, r.action, r.minutes_from_start) for r in details.reactions
        ] == [
            (r.symptom, r.severity, r.action, r.minutes_from_start) for r in model.reactions.all()
        ]
        assert [r.get_action_display() for r in details.reactions] == [
            r.get_action_display() for r in model.reactions.all()
        ]
        some_reactions = some_reactions or bool(details.reactions)
    assert some_reactions


def _severity_by_day_of_the_model(entry: SymptomEntry) -> dict[dt.date, int]:
    """The rule as it was written against the model: day by day, every severity held."""
    readings = list(entry.readings.all())
    if entry.ended_at is not None:
        end = entry.ended_at
    else:
        moments = [entry.onset, *(r.at for r in readings)]
        if entry.still_going_at is not None:
            moments.append(entry.still_going_at)
        end = max(moments)
    changes = sorted([(entry.onset, entry.severity), *((r.at, r.severity) for r in readings)])
    until = [*(at for at, _s in changes[1:]), end]
    days = {}
    day = entries.local_date(entry, entry.onset)
    while day <= entries.local_date(entry, max(end, entry.onset)):
        start, stop = entries.day_bounds(entry, day)
        felt = [
            severity
            for (at, severity), held in zip(changes, until, strict=True)
            if at < stop and (at >= start or held > start)
        ]
        if felt:
            days[day] = max(felt)
        day += dt.timedelta(days=1)
    return days


def test_a_side_effect_row_says_what_the_entry_says(diary):
    _user, patient = diary
    entry = SymptomEntry.objects.filter(patient=patient).first()
    # An episode that ends at midnight was not felt on the day that starts then.
    local = entry.onset.astimezone(entry.tz).replace(hour=20, minute=0)
    SymptomEntry.objects.filter(pk=entry.pk).update(
        onset=local, ended_at=(local + dt.timedelta(hours=28)).replace(hour=0)
    )
    queryset = SymptomEntry.objects.filter(patient=patient).order_by("onset", "pk")
    rows = cycles.side_effect_rows(patient, queryset)
    models = list(queryset.prefetch_related("readings"))
    assert [r.pk for r in rows] == [m.pk for m in models]
    with_readings = 0
    for row, model in zip(rows, models, strict=True):
        model.patient = patient
        readings = list(model.readings.all())
        with_readings += bool(readings)
        assert row.readings == [(r.at, r.severity) for r in readings]
        assert row.worst == max(
            [model.severity, model.peak_severity or 0] + [r.severity for r in readings]
        )
        assert cycles.daily_severity(row) == _severity_by_day_of_the_model(model), model.pk
    assert with_readings > 10


def test_logged_by_counted_from_the_rows_equals_the_database_count(diary):
    user, patient = diary
    with time_machine.travel(NOW, tick=False):
        first_course = min(patient_courses(patient))
        # Before the first course: an entry and a question, linked to no course.
        early = first_course - dt.timedelta(days=3)
        at = dt.datetime.combine(early, dt.time(9), tzinfo=patient.tz)
        entries.save(SymptomEntry(patient=patient, symptom="headache", severity=3, onset=at), user)
        entries.save(
            Note(patient=patient, kind=Note.Kind.QUESTION, text="Why?", written_at=at), user
        )
    names = {user.pk: "Owner"}
    for since, until in (
        (early - dt.timedelta(days=10), first_course + dt.timedelta(days=40)),
        (dt.date(2026, 8, 24), TODAY),
        (dt.date(2020, 1, 1), TODAY),
    ):
        start, _ignored = entries.day_bounds(patient, since)
        _ignored, end = entries.day_bounds(patient, until)
        data = trends.load(patient, since, until)
        notes, _flags = document._notes_and_red_flags(patient, start, end, names)
        from_rows = document._logged_by(patient, data, notes, start, end, since, until, names)
        empty = trends.CycleData(since, until, [], {}, [], [])
        from_database = document._logged_by(patient, empty, [], start, end, since, until, names)
        assert from_rows == from_database, (since, until)
        assert from_rows[0].count > 0


def patient_courses(patient) -> list[dt.date]:
    return list(Infusion.objects.filter(patient=patient).values_list("date", flat=True))
