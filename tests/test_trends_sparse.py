"""Sparse diaries never make the trends page or the report fail (a sweep for 500s).

Each diary below holds almost nothing: no entry, one infusion, one side effect, one measure of
one kind, a side effect still going, a side effect before the first course, two courses on
consecutive days, an infusion in the future, a side effect in odd words. Every period, every
``?show=`` the page offers (read from the page itself) and both ``by=`` values of the trends
page, and every period of the report, must answer 200.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import Measure, SymptomEntry
from reports import trends
from reports.models import Period

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def _effect(patient, user, day, symptom="headache", severity=5, **fields):
    entries.save(
        SymptomEntry(patient=patient, symptom=symptom, severity=severity, onset=_at(day), **fields),
        user,
    )


def _measure(patient, user, day, kind, value, **fields):
    entries.save(
        Measure(patient=patient, kind=kind, value=value, measured_at=_at(day, 9), **fields), user
    )


def _course(patient, day=dt.date(2026, 11, 2)):
    InfusionFactory(patient=patient, date=day)


MEASURES = {
    "mgadl": {"kind": "mgadl", "value": 6},
    "grip-left-only": {"kind": "grip", "value": 42, "unit": "kPa"},
    "incat": {"kind": "incat", "value": 3, "answers": {"arms": 1, "legs": 2}},
    "platelets": {"kind": "platelets", "value": 85, "unit": "10^9/L"},
    "weight": {"kind": "weight", "value": 68, "unit": "kg"},
    "custom": {"kind": "custom", "value": 4, "name": "Stairs climbed", "unit": "floors"},
}


def _one_measure(fields, with_course):
    def build(patient, user):
        if with_course:
            _course(patient)
        _measure(patient, user, dt.date(2026, 11, 9), **fields)

    return build


def _still_going(patient, user):
    _course(patient)
    _effect(patient, user, dt.date(2026, 11, 3))  # never ended


def _before_first_course(patient, user):
    _effect(patient, user, dt.date(2026, 10, 20), symptom="fatigue")
    _course(patient)


def _consecutive_courses(patient, user):
    # Two courses on consecutive days: a two-day course, then a one-day course a day apart.
    _course(patient, dt.date(2026, 11, 2))
    _course(patient, dt.date(2026, 11, 4))
    _effect(patient, user, dt.date(2026, 11, 4))
    _measure(patient, user, dt.date(2026, 11, 5), "mgadl", 5)


def _future_infusion(patient, user):
    _course(patient, dt.date(2026, 11, 2))
    _course(patient, dt.date(2026, 12, 1))


def _only_future_infusion(patient, user):
    _course(patient, dt.date(2026, 12, 1))
    _measure(patient, user, dt.date(2026, 11, 9), "mgadl", 5)


def _course_before_the_month(patient, user):
    # Given six weeks ago: in the 1-month period its cycle reaches in, the course does not.
    _course(patient, dt.date(2026, 10, 8))
    _effect(patient, user, dt.date(2026, 11, 20), symptom="rash", ended_at=_at(TODAY, 8))
    _measure(patient, user, dt.date(2026, 11, 21), "mgadl", 7)


def _baseline_then_course(patient, user):
    _measure(patient, user, dt.date(2026, 10, 1), "mgadl", 9)
    _course(patient)


def _odd_words(patient, user):
    _course(patient)
    _effect(
        patient,
        user,
        dt.date(2026, 11, 3),
        symptom=SymptomEntry.OTHER,
        custom_symptom="  Ünïcode   <b>&amp; 100% 'quotes'\"  ",
        severity=3,
    )


DIARIES = {
    "empty": lambda patient, user: None,
    "one infusion only": lambda patient, user: _course(patient),
    "one side effect, no infusion": lambda patient, user: _effect(
        patient, user, dt.date(2026, 11, 3)
    ),
    **{f"only {name}": _one_measure(fields, False) for name, fields in MEASURES.items()},
    **{f"one course and {name}": _one_measure(fields, True) for name, fields in MEASURES.items()},
    "course and a side effect still going": _still_going,
    "side effect before the first course": _before_first_course,
    "courses on consecutive days": _consecutive_courses,
    "infusion in the future": _future_infusion,
    "only an infusion in the future": _only_future_infusion,
    "course before the month": _course_before_the_month,
    "baseline then a course": _baseline_then_course,
    "other side effect in odd words": _odd_words,
}


def _shows(page: str) -> list[str]:
    """The ``?show=`` values the page offers (its "Show" list)."""
    select = re.search(r'<select[^>]*name="show".*?</select>', page, re.S)
    if select is None:
        return []
    return [unescape(v) for v in re.findall(r'<option value="([^"]*)"', select.group(0))]


@pytest.mark.parametrize("build", DIARIES.values(), ids=DIARIES.keys())
def test_every_view_of_a_sparse_diary_answers(owner_client, patient, owner, build):
    build(patient, owner)
    url = reverse("reports:trends", args=[patient.public_id])
    for period in trends.PERIODS:
        first = owner_client.get(url, {"period": period})
        assert first.status_code == 200, period
        shows = _shows(first.content.decode())
        for show in ["", *shows]:
            for by in (trends.BY_SEVERITY, trends.BY_CYCLES):
                query = urlencode({"period": period, "show": show, "by": by})
                answer = owner_client.get(f"{url}?{query}")
                assert answer.status_code == 200, query
                # And as htmx asks for it (the fragment).
                fragment = owner_client.get(f"{url}?{query}", headers={"HX-Request": "true"})
                assert fragment.status_code == 200, query
    report = reverse("reports:report", args=[patient.public_id])
    assert owner_client.get(report).status_code == 200
    for period in Period.values:
        params = {"period": period, "parts": []}
        if period == Period.CUSTOM:
            params |= {"custom_from": "2025-01-01", "custom_to": TODAY.isoformat()}
        answer = owner_client.get(report, params)
        assert answer.status_code == 200, period
