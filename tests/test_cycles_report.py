"""The per-cycle summary and the cycle-aligned series (reports.cycles), on data whose answers
are worked out by hand in the comments.

The diary is in London: GMT in winter, BST (UTC+1) from 01:00 on Sunday 29 March 2026.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from diary import entries
from diary.models import Measure, SymptomEntry
from infusions.courses import regroup
from infusions.models import Infusion, InfusionLot, Premedication, RateStep
from reports import cycles
from reports.cycles import (
    CyclePoint,
    DayCount,
    DayMedian,
    Lot,
    SymptomDay,
    cycle_series,
    cycles_for,
    cycles_with_symptom_by_day,
    median_by_day,
    symptom_series,
)

from .factories import InfusionFactory, MembershipFactory, PatientFactory, catalog_product

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


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


def course(patient, first_day, days=1, **fields):
    """Infusions on consecutive days from ``first_day``, each 09:00-13:00; returns them."""
    made = [
        InfusionFactory(
            patient=patient,
            date=first_day + dt.timedelta(days=n),
            start_time=dt.time(9),
            end_time=dt.time(13),
            **fields,
        )
        for n in range(days)
    ]
    for infusion in made:
        infusion.refresh_from_db()
    return made


def side_effect(patient, user, onset, symptom="headache", severity=5, **fields):
    entry = SymptomEntry(patient=patient, symptom=symptom, severity=severity, onset=onset, **fields)
    entries.save(entry, user)
    return entry


def measure(patient, user, at, value, kind="mgadl", **fields):
    item = Measure(patient=patient, kind=kind, value=value, measured_at=at, **fields)
    entries.save(item, user)
    return item


# --- the per-cycle summary ------------------------------------------------------------------------


@pytest.fixture
def three_courses(patient, owner, other):
    """An early course (8 Dec), a two-day course A (5-6 Jan) and a one-day course B (2 Feb)."""
    course(patient, dt.date(2025, 12, 8))
    day1, day2 = course(patient, dt.date(2026, 1, 5), days=2, dose_g="34")
    # Day 2's weight was not written down: it takes day 1's (68 kg) for g/kg and mL/h.
    Infusion.objects.filter(pk=day2.pk).update(weight_kg=None)
    InfusionLot.objects.create(infusion=day1, lot_number="A1", expiry=dt.date(2027, 6, 30))
    InfusionLot.objects.create(infusion=day1, lot_number="A2")
    InfusionLot.objects.create(infusion=day2, lot_number="A1", expiry=dt.date(2027, 6, 30))
    RateStep.objects.create(infusion=day1, minutes_from_start=0, rate="0.5", unit="mL/kg/h")
    RateStep.objects.create(infusion=day1, minutes_from_start=30, rate="2", unit="mL/kg/h")
    # 5 mg/kg/min of a 10 % product = 5 * 60 / 100 = 3.0 mL/kg/h; 272 mL/h / 68 kg = 4.0.
    RateStep.objects.create(infusion=day2, minutes_from_start=0, rate="5", unit="mg/kg/min")
    RateStep.objects.create(infusion=day2, minutes_from_start=30, rate="272", unit="mL/h")
    Premedication.objects.create(infusion=day1, name="Paracetamol", dose="1 g")
    Premedication.objects.create(infusion=day1, name="Cetirizine", dose="10 mg")
    Premedication.objects.create(infusion=day2, name="  paracetamol ", dose="1 g")
    # Course B: another product, no weight at all, a step in mL/h that cannot be converted.
    (b,) = course(
        patient,
        dt.date(2026, 2, 2),
        product=catalog_product("Octagam", "10"),
        dose_g="70",
        weight_kg=None,
    )
    RateStep.objects.create(infusion=b, minutes_from_start=0, rate="140", unit="mL/h")
    # Another diary, same days: nothing of it may show.
    course(other, dt.date(2026, 1, 5))
    side_effect(other, None, local(2026, 1, 6, 20), severity=9)
    measure(other, None, local(2026, 1, 10, 10), 20)


def test_it_sums_up_each_course(patient, three_courses):
    found = cycles_for(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 10))
    # The early course's cycle (8 Dec - 4 Jan) reaches into the period; A and B start in it.
    assert [c.start_date for c in found] == [
        dt.date(2025, 12, 8),
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 2),
    ]
    early, a, b = found
    assert not early.course_in_period and a.course_in_period and b.course_in_period
    assert early.cycle_end == dt.date(2026, 1, 4) and early.length_days == 28
    assert a.cycle_end == dt.date(2026, 2, 1) and a.length_days == 28
    assert b.cycle_end is None and b.is_current and b.length_days is None

    assert (a.end_date, a.days_given) == (dt.date(2026, 1, 6), 2)
    assert a.products == ["Privigen 10 % (IV)"]
    assert a.lots == [Lot("A1", dt.date(2027, 6, 30)), Lot("A2", None)]
    assert a.total_g == Decimal("68")
    # 34 g / 68 kg = 0.50 g/kg each day, 1.00 g/kg for the course.
    assert a.daily_g_per_kg == [Decimal("0.50"), Decimal("0.50")]
    assert a.dose_g_per_kg == Decimal("1.00")
    # Steps 0.5, 2, 3.0 and 4.0 mL/kg/h: the fastest is 272 mL/h on day 2.
    assert a.highest_rate_ml_per_kg_h == Decimal("4.0")
    assert a.rate_steps_left_out == 0
    assert a.premedication == ("cetirizine", "paracetamol")

    assert b.products == ["Octagam 10 % (IV)"]
    assert b.total_g == Decimal("70")
    assert b.daily_g_per_kg == [None] and b.dose_g_per_kg is None
    assert b.highest_rate_ml_per_kg_h is None and b.rate_steps_left_out == 1
    assert b.premedication == ()


def test_side_effects_per_cycle_with_their_durations(patient, owner, three_courses):
    # Before course A's infusion on 5 Jan (09:00): the early course's cycle, its day 28.
    side_effect(patient, owner, local(2026, 1, 5, 7), severity=6, ended_at=local(2026, 1, 5, 8))
    # Closed: 20:00 on 6 Jan to 08:00 on 8 Jan = 36 h; worse (7) on the morning of 7 Jan.
    closed = side_effect(
        patient, owner, local(2026, 1, 6, 20), severity=5, ended_at=local(2026, 1, 8, 8)
    )
    entries.add_reading(closed, 7, local(2026, 1, 7, 8), owner)
    # Never closed, confirmed still going at 16:00: at least 6 h.
    side_effect(
        patient,
        owner,
        local(2026, 1, 20, 10),
        severity=3,
        still_going_at=local(2026, 1, 20, 16),
    )
    # Never closed, a later reading a day on: at least 24 h, to that reading.
    fatigue = side_effect(patient, owner, local(2026, 1, 7, 9), symptom="fatigue", severity=4)
    entries.add_reading(fatigue, 2, local(2026, 1, 8, 9), owner)
    # In the patient's own words: 2 h.
    side_effect(
        patient,
        owner,
        local(2026, 1, 9, 10),
        symptom="other",
        custom_symptom="Sore knee",
        severity=2,
        ended_at=local(2026, 1, 9, 12),
    )
    # Severity 0 means "not present": never a side effect.
    side_effect(patient, owner, local(2026, 1, 8, 10), symptom="nausea", severity=0)
    # Course B's day 0, after its infusion.
    side_effect(
        patient,
        owner,
        local(2026, 2, 2, 15),
        symptom="chills",
        severity=3,
        ended_at=local(2026, 2, 2, 17),
    )

    early, a, b = cycles_for(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 10))
    assert [(s.key, s.worst) for s in early.side_effects] == [("headache", 6)]
    assert early.side_effects[0].episodes[0].onset_day == 28

    headache, fatigue_seen, knee = a.side_effects  # worst first
    assert (headache.key, headache.worst, headache.entries) == ("headache", 7, 2)
    # The longest is 36 h, and closed: "36 h". Another was never closed (so no "gone by"
    # day), but it is known for 6 h only: the 36 h is not "at least 36 h".
    assert (headache.hours, headache.open, headache.gone_by_day) == (36.0, True, None)
    assert headache.longest_open is False
    from reports import views

    assert views._lasted(headache, str) == "2 entries, the longest 36 h"
    assert fatigue.pk and a.side_effects[1].longest_open is True  # its only episode is open
    first, second = headache.episodes
    assert (first.onset_day, first.end_day, first.hours, first.open) == (1, 3, 36.0, False)
    assert (second.onset_day, second.end_day, second.hours, second.open) == (15, 15, 6.0, True)
    assert (fatigue_seen.key, fatigue_seen.worst, fatigue_seen.hours, fatigue_seen.open) == (
        "fatigue",
        4,
        24.0,
        True,
    )
    assert (knee.key, knee.label, knee.hours, knee.open, knee.gone_by_day) == (
        "other:sore knee",
        "Sore knee",
        2.0,
        False,
        4,
    )
    assert [(s.key, s.hours, s.gone_by_day) for s in b.side_effects] == [("chills", 2.0, 0)]


def test_measures_belong_to_the_cycle_they_were_taken_in(patient, owner, three_courses):
    measure(patient, owner, local(2026, 1, 5, 7), 9)  # before A's infusion: the early cycle's
    measure(patient, owner, local(2026, 1, 10, 10), 5)  # A, day 5
    measure(patient, owner, local(2026, 2, 2, 8), 8)  # before B's infusion: A's day 28
    early, a, b = cycles_for(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 10))
    assert [(m.total, m.day_of_cycle) for m in early.measures] == [(9, 28)]
    assert [(m.total, m.day_of_cycle) for m in a.measures] == [(5, 5), (8, 28)]
    assert b.measures == []


def test_a_period_picks_the_cycles_it_overlaps(patient, three_courses):
    def starts(since, until):
        return [c.start_date for c in cycles_for(patient, since, until)]

    assert starts(dt.date(2025, 1, 1), dt.date(2025, 12, 7)) == []  # before any course
    # One day inside A's cycle: A only.
    assert starts(dt.date(2026, 1, 20), dt.date(2026, 1, 20)) == [dt.date(2026, 1, 5)]
    # The last day of A's cycle and B's first day.
    assert starts(dt.date(2026, 2, 1), dt.date(2026, 2, 2)) == [
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 2),
    ]
    # Long after the last course: its cycle is still going.
    assert starts(dt.date(2026, 9, 1), dt.date(2026, 9, 30)) == [dt.date(2026, 2, 2)]
    with pytest.raises(ValueError):
        cycles_for(patient, dt.date(2026, 2, 1), dt.date(2026, 1, 1))


def test_another_diary_never_shows(patient, other, three_courses):
    assert (
        cycles_for(other, dt.date(2026, 1, 1), dt.date(2026, 2, 10))[0].side_effects[0].worst == 9
    )
    for cycle in cycles_for(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 10)):
        assert cycle.side_effects == [] and cycle.measures == []
        assert all(i.patient_id == patient.pk for i in cycle.infusions)
    assert cycle_series(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 10), "mgadl")[1].points == []
    assert all(
        s.points == []
        for s in symptom_series(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 10), "headache")
    )


# --- a measure by day of the cycle ----------------------------------------------------------------


@pytest.fixture
def mgadl_cycles(patient, owner):
    """Two-day courses A (5 Jan), B (2 Feb), C (2 Mar, current); MG-ADL along the way."""
    for first in (dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 3, 2)):
        course(patient, first, days=2)
    readings = [
        (local(2026, 1, 4, 10), 10),  # before the first course: baseline
        (local(2026, 1, 5, 7), 9),  # before A's first infusion: still baseline
        (local(2026, 1, 6, 7), 8),  # before day 2's infusion: A has begun, day 1
        (local(2026, 1, 12, 10), 5),  # A day 7
        (local(2026, 1, 26, 10), 6),  # A day 21
        (local(2026, 2, 2, 7), 8),  # before B's infusion: A day 28
        (local(2026, 2, 9, 10), 4),  # B day 7
        (local(2026, 2, 23, 10), 7),  # B day 21
        (local(2026, 3, 2, 8), 9),  # before C's infusion: B day 28
        (local(2026, 3, 9, 10), 3),  # C day 7
    ]
    for at, value in readings:
        measure(patient, owner, at, value)


def _days(series):
    return [(p.day, int(p.value)) for p in series.points]


def test_a_measure_lines_up_by_day_of_the_cycle(patient, mgadl_cycles):
    a, b, c = cycle_series(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 31), "mgadl")
    assert _days(a) == [(1, 8), (7, 5), (21, 6), (28, 8)]
    assert _days(b) == [(7, 4), (21, 7), (28, 9)]
    assert _days(c) == [(7, 3)]
    assert (a.complete, b.complete, c.complete) == (True, True, False)
    # What came just before each course: the baseline taken that morning, then each cycle's
    # last (pre-infusion) score.
    assert (a.before.day, a.before.value) == (None, Decimal(9))
    assert (b.before.day, b.before.value) == (28, Decimal(8))
    assert (c.before.day, c.before.value) == (28, Decimal(9))
    # The median line: day 7 has 5, 4, 3; day 21 has 6 and 7; day 28 8 and 9. Day 1 has A
    # only: one reading is no median.
    assert median_by_day([a, b, c]) == [
        DayMedian(7, Decimal(4), 3),
        DayMedian(21, Decimal("6.5"), 2),
        DayMedian(28, Decimal("8.5"), 2),
    ]


def test_a_later_period_still_knows_what_came_before(patient, mgadl_cycles):
    b, c = cycle_series(patient, dt.date(2026, 2, 15), dt.date(2026, 3, 31), "mgadl")
    assert b.start_date == dt.date(2026, 2, 2)
    assert (b.before.day, b.before.value) == (28, Decimal(8))  # A's last, loaded for it


def test_two_readings_on_one_day_count_once_in_the_median():
    one = cycles.CycleSeries(
        1,
        dt.date(2026, 1, 5),
        None,
        "",
        [_point(3, 4), _point(3, 8)],  # that cycle's day 3: median 6
    )
    two = cycles.CycleSeries(2, dt.date(2026, 2, 2), None, "", [_point(3, 10)])
    assert median_by_day([one, two]) == [DayMedian(3, Decimal(8), 2)]


def test_one_cycle_alone_is_its_own_line_and_a_lone_day_among_several_is_no_median():
    """Browser pass: a 17 on day 9 of one cycle, the only reading on a day 9, was the median
    line's worst day. With a single cycle its values are the line (nothing to compare)."""
    one = cycles.CycleSeries(1, dt.date(2026, 1, 5), None, "", [_point(5, 4), _point(9, 17)])
    two = cycles.CycleSeries(2, dt.date(2026, 2, 2), None, "", [_point(5, 6), _point(12, 3)])
    assert median_by_day([one, two]) == [DayMedian(5, Decimal(5), 2)]
    assert median_by_day([one]) == [DayMedian(5, Decimal(4), 1), DayMedian(9, Decimal(17), 1)]
    apart = cycles.CycleSeries(3, dt.date(2026, 3, 2), None, "", [_point(6, 5)])
    assert median_by_day([apart, cycles.CycleSeries(4, dt.date(2026, 4, 2), None, "", [])]) == [
        DayMedian(6, Decimal(5), 1)
    ]


def _point(day, value):
    return CyclePoint(day=day, value=Decimal(value), at=NOW, measure_id=0)


def test_grip_by_hand_and_in_one_unit(patient, owner):
    course(patient, dt.date(2026, 1, 5))
    course(patient, dt.date(2026, 2, 2))
    grip = {"kind": "grip"}
    measure(patient, owner, local(2026, 1, 7, 10), 30, unit="kg", value_right=32, **grip)
    measure(patient, owner, local(2026, 1, 12, 10), 60, unit="kPa", value_right=66, **grip)
    measure(patient, owner, local(2026, 2, 9, 10), 62, unit="kPa", value_right=70, **grip)
    period = (dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    # The latest reading is in kPa: the one reading in kg cannot share the line.
    left = cycle_series(patient, *period, "grip", side="left")
    right = cycle_series(patient, *period, "grip", side="right")
    assert [_days(s) for s in left] == [[(7, 60)], [(7, 62)]]
    assert [_days(s) for s in right] == [[(7, 66)], [(7, 70)]]
    assert {s.unit for s in left} == {"kPa"}
    in_kg = cycle_series(patient, *period, "grip", side="right", unit="kg")
    assert [_days(s) for s in in_kg] == [[(2, 32)], []]
    with pytest.raises(ValueError):
        cycle_series(patient, *period, "grip")  # which hand?


def test_custom_measures_by_name(patient, owner):
    course(patient, dt.date(2026, 1, 5))
    custom = {"kind": "custom", "unit": "s"}
    measure(patient, owner, local(2026, 1, 8, 10), 12, name="Walking test", **custom)
    measure(patient, owner, local(2026, 1, 8, 11), 99, name="Stairs", **custom)
    (walk,) = cycle_series(
        patient, dt.date(2026, 1, 1), dt.date(2026, 1, 31), "custom", name="walking test"
    )
    assert _days(walk) == [(3, 12)]


# --- across the change to summer time -------------------------------------------------------------


def test_days_and_hours_across_the_clock_change(patient, owner):
    # Course on Friday 27 March, 09:00 GMT. Clocks go forward at 01:00 on Sunday 29 March.
    course(patient, dt.date(2026, 3, 27))
    course(patient, dt.date(2026, 4, 24))
    # 00:30 BST on 3 April is 23:30 UTC on 2 April: counted by UTC dates it would be day 6.
    measure(patient, owner, local(2026, 4, 3, 0, 30), 5)
    measure(patient, owner, local(2026, 3, 29, 0, 30), 6)  # GMT, before the change: day 2
    measure(patient, owner, local(2026, 3, 29, 23, 30), 7)  # BST, same day: day 2
    # 20:00 GMT Saturday to 20:00 BST Sunday is 23 hours, on days 1 and 2.
    side_effect(patient, owner, local(2026, 3, 28, 20), severity=4, ended_at=local(2026, 3, 29, 20))
    period = (dt.date(2026, 3, 27), dt.date(2026, 4, 23))
    (series,) = cycle_series(patient, *period, "mgadl")
    assert _days(series) == [(2, 6), (2, 7), (7, 5)]
    (cycle,) = cycles_for(patient, *period)
    (headache,) = cycle.side_effects
    assert headache.hours == 23.0
    assert (headache.episodes[0].onset_day, headache.gone_by_day) == (1, 2)
    (days,) = symptom_series(patient, *period, "headache")
    assert days.points == [SymptomDay(1, 4), SymptomDay(2, 4)]


# --- a side effect by day of the cycle ------------------------------------------------------------


def test_a_side_effect_by_day_of_the_cycle(patient, owner, other):
    for first in (dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 3, 2)):
        course(patient, first)
    # A: from 20:00 on day 1 (severity 6), worse at 06:00 on day 2 (8), gone at 10:00.
    a = side_effect(
        patient, owner, local(2026, 1, 6, 20), severity=6, ended_at=local(2026, 1, 7, 10)
    )
    entries.add_reading(a, 8, local(2026, 1, 7, 6), owner)
    # B: 22:00 on day 1 to 08:00 on day 3, severity 4 throughout.
    side_effect(patient, owner, local(2026, 2, 3, 22), severity=4, ended_at=local(2026, 2, 5, 8))
    # C (the current cycle, seen up to its day 2): 15:00-18:00 on day 0.
    side_effect(patient, owner, local(2026, 3, 2, 15), severity=3, ended_at=local(2026, 3, 2, 18))
    # Fatigue is another side effect; another diary's headache is not this one's.
    side_effect(patient, owner, local(2026, 1, 6, 9), symptom="fatigue", severity=9)
    course(other, dt.date(2026, 1, 5))
    side_effect(other, None, local(2026, 1, 10, 9), severity=9)

    series = symptom_series(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 4), "headache")
    a_days, b_days, c_days = series
    assert a_days.points == [SymptomDay(1, 6), SymptomDay(2, 8)]
    assert b_days.points == [SymptomDay(1, 4), SymptomDay(2, 4), SymptomDay(3, 4)]
    assert c_days.points == [SymptomDay(0, 3)]
    assert [s.days_observed for s in series] == [28, 28, 3]  # C: 2, 3 and 4 March
    # Day 3 was not reached yet in C: 1 cycle of 2.
    assert cycles_with_symptom_by_day(series) == [
        DayCount(0, 1, 3),
        DayCount(1, 2, 3),
        DayCount(2, 2, 3),
        DayCount(3, 1, 2),
    ]
    # Days 0 and 3 have one cycle each: no median there.
    assert median_by_day(series) == [
        DayMedian(1, Decimal(5), 2),
        DayMedian(2, Decimal(6), 2),
    ]


# --- a fixed number of queries, whatever the period -----------------------------------------------


def _years_of_data(patient, user, years):
    """Two-day courses every 28 days from 4 Jan 2021, each with lots, rate steps, a
    premedication, two side effects (one with a reading) and three MG-ADL scores."""
    product = catalog_product()
    first_days = [dt.date(2021, 1, 4) + dt.timedelta(days=28 * n) for n in range(13 * years)]
    Infusion.objects.bulk_create(
        Infusion(
            patient=patient,
            product=product,
            date=first + dt.timedelta(days=d),
            start_time=dt.time(9),
            end_time=dt.time(13),
            dose_g=Decimal(34),
            weight_kg=Decimal(68),
            time_zone="Europe/London",
        )
        for first in first_days
        for d in range(2)
    )
    regroup(patient)
    given = list(Infusion.objects.filter(patient=patient))
    InfusionLot.objects.bulk_create(InfusionLot(infusion=i, lot_number=f"L{i.pk}") for i in given)
    RateStep.objects.bulk_create(
        RateStep(infusion=i, minutes_from_start=m, rate=r, unit="mL/kg/h")
        for i in given
        for m, r in ((0, Decimal(1)), (30, Decimal(3)))
    )
    Premedication.objects.bulk_create(Premedication(infusion=i, name="Paracetamol") for i in given)
    SymptomEntry.objects.bulk_create(
        SymptomEntry(
            patient=patient,
            logged_by=user,
            symptom=symptom,
            severity=5,
            onset=dt.datetime.combine(first, dt.time(20), tzinfo=LONDON) + dt.timedelta(days=1),
            ended_at=(
                dt.datetime.combine(first, dt.time(8), tzinfo=LONDON) + dt.timedelta(days=3)
                if symptom == "headache"
                else None
            ),
        )
        for first in first_days
        for symptom in ("headache", "fatigue")
    )
    for entry in SymptomEntry.objects.filter(patient=patient, symptom="fatigue"):
        entries.add_reading(entry, 3, entry.onset + dt.timedelta(hours=12), user)
    Measure.objects.bulk_create(
        Measure(
            patient=patient,
            logged_by=user,
            kind="mgadl",
            value=value,
            measured_at=dt.datetime.combine(first, dt.time(10), tzinfo=LONDON)
            + dt.timedelta(days=day),
        )
        for first in first_days
        for day, value in ((3, 6), (14, 3), (27, 7))
    )
    entries.relink(patient)
    return first_days


def test_queries_do_not_grow_with_the_period(patient, owner, django_assert_max_num_queries):
    first_days = _years_of_data(patient, owner, years=5)
    last = first_days[-1] + dt.timedelta(days=27)
    one_year = (last - dt.timedelta(days=365), last)
    five_years = (first_days[0], last)
    from reports.comparison import comparison_for
    from reports.wearoff import wear_off

    calls = {
        "cycles_for": (lambda p: cycles_for(patient, *p), 4),
        "cycle_series": (lambda p: cycle_series(patient, *p, "mgadl"), 2),
        "symptom_series": (lambda p: symptom_series(patient, *p, "fatigue"), 3),
        "wear_off": (lambda p: wear_off(patient, *p, "mgadl"), 2),
        "comparison_for": (lambda p: comparison_for(patient, *p), 4),
    }
    for name, (call, most) in calls.items():
        counts = []
        for period in (one_year, five_years):
            with django_assert_max_num_queries(most) as captured:
                result = call(period)
            counts.append(len(captured.captured_queries))
            assert result, name
        assert counts[0] == counts[1], f"{name}: {counts}"
    assert len(cycles_for(patient, *five_years)) == 65
    assert 13 <= len(cycles_for(patient, *one_year)) <= 15


@pytest.mark.parametrize(
    ("doses", "weight", "daily", "course"),
    [
        # 35 g twice at 68 kg: 1.029 g/kg a course, though each day rounds to 0.51 (a tester saw
        # 1.02 on trends beside 70 g).
        (["35", "35"], "68", ["0.51", "0.51"], "1.03"),
        # Three days of a third of a gram per kg each: 1 g/kg, not 0.33 three times.
        (["10", "10", "10"], "30", ["0.33", "0.33", "0.33"], "1.00"),
        (["40"], "80", ["0.50"], "0.50"),
    ],
)
def test_a_courses_dose_per_kg_is_worked_out_before_rounding(db, doses, weight, daily, course):
    patient = PatientFactory()
    for n, dose in enumerate(doses):
        InfusionFactory(
            patient=patient,
            date=dt.date(2026, 11, 2) + dt.timedelta(days=n),
            dose_g=dose,
            weight_kg=weight,
        )
    (summary,) = cycles.cycles_for(patient, dt.date(2026, 11, 1), dt.date(2026, 11, 23))
    assert summary.daily_g_per_kg == [Decimal(d) for d in daily]
    assert summary.dose_g_per_kg == Decimal(course)


def test_the_sentence_says_why_there_is_no_median():
    from reports.views import _cycle_summary

    assert _cycle_summary(2, [], True, None) == (
        "No day of the cycle has readings in two or more cycles: no median."
    )
    assert _cycle_summary(0, [], True, None) == "No readings in these cycles."
