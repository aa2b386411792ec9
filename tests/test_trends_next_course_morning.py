"""A side effect noted on the morning of the next course, before its infusion, is on the last
day of the cycle it ends (day 28 of a 28-day cycle). Every finished cycle reached that morning:
one without a sign then counts as one without it, so a single pre-infusion headache is "1 of 3
cycles" on that day, not "1 of 1", and the median there is 0, not a false peak."""

import datetime as dt

from diary import entries
from infusions.models import Infusion
from reports import trends
from reports.cycles import DayCount, SymptomDay, cycles_with_symptom_by_day, symptom_series

from .test_cycles_report import _frozen_time, course, local, side_effect  # noqa: F401


def test_the_next_courses_morning_counts_for_every_finished_cycle(patient, owner):
    for first in (
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 2),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 30),
    ):
        course(patient, first)  # 09:00-13:00
    side_effect(patient, owner, local(2026, 1, 6, 10), severity=4, ended_at=local(2026, 1, 6, 18))
    # 07:00-08:30 on 2 March, before that day's infusion: cycle B's day 28.
    side_effect(patient, owner, local(2026, 3, 2, 7), severity=6, ended_at=local(2026, 3, 2, 8, 30))
    period = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))

    series = symptom_series(patient, *period, "headache")
    a, b, c, d = series
    assert b.points == [SymptomDay(28, 6)]
    assert [one.reached(28) for one in series] == [True, True, True, False]
    assert [one.reached(29) for one in series] == [False, False, False, False]
    counts = cycles_with_symptom_by_day(series)
    assert counts[1] == DayCount(1, 1, 4)
    assert counts[28] == DayCount(28, 1, 3)

    data = trends.load(patient, *period)
    lines, median = trends.severity_by_day(trends.symptom_series(data, "headache"))
    by_day = dict(median)
    assert by_day[28] == 0 and by_day[1] == 0
    # B's line runs through day 28 with its 6, the others with 0 there; D stops where it is.
    assert lines[1][-2:] == [(27, 0), (28, 6)]
    assert (28, 0) in lines[0] and (28, 0) in lines[2]
    assert max(day for day, _v in lines[3]) == 1


def test_an_infusion_with_no_start_time_leaves_no_morning_to_count(patient, owner):
    """A review found a median of 0 drawn on day 28 of cycles whose next infusions had no
    start time: they count from the start of their day, so no entry can be on that day, and
    the day is not one the cycles reached."""
    for first in (dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 3, 2)):
        for infusion in course(patient, first):
            Infusion.objects.filter(pk=infusion.pk).update(start_time=None, end_time=None)
    entries.relink(patient)
    for first in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
        side_effect(
            patient,
            owner,
            local(first.year, first.month, first.day, 10) + dt.timedelta(days=26),
            severity=6,
            ended_at=local(first.year, first.month, first.day, 20) + dt.timedelta(days=27),
        )
    period = (dt.date(2026, 1, 1), dt.date(2026, 3, 10))
    series = symptom_series(patient, *period, "headache")
    assert [one.reached(28) for one in series] == [False, False, False]
    assert [one.reached(27) for one in series] == [True, True, False]
    data = trends.load(patient, *period)
    lines, median = trends.severity_by_day(trends.symptom_series(data, "headache"))
    assert max(day for day, _value in median) == 27  # no day 28 drawn
    assert dict(median)[27] == 6
