"""The wear-off estimate (reports.wearoff), on series worked out by hand in the comments.

Courses are single days at 09:00, 28 days apart; a reading on "day 28" is taken at 07:00 on the
next course's day, before its infusion, so it is the last point of the cycle that ends.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinical import scales
from diary import entries
from diary.models import Measure
from reports import wearoff
from reports.cycles import CyclePoint, CycleSeries
from reports.wearoff import (
    NO_JUDGEMENT,
    NO_WEAR_OFF,
    TOO_FEW_READINGS,
    WORE_OFF,
    estimate,
    wear_off,
)

from .factories import InfusionFactory, MembershipFactory, PatientFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
STARTS = [dt.date(2026, 1, 5) + dt.timedelta(days=28 * n) for n in range(5)]
# 5 Jan, 2 Feb, 2 Mar, 30 Mar (after the clocks went forward on 29 Mar), 27 Apr.


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def other(db):
    patient = PatientFactory(name="Other")
    MembershipFactory(patient=patient)
    return patient


def courses(patient, count):
    for first in STARTS[:count]:
        InfusionFactory(patient=patient, date=first, start_time=dt.time(9), end_time=dt.time(13))


def at(start, day):
    hour = 7 if day == 28 else 10
    return dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour), tzinfo=LONDON)


def readings(patient, user, table, kind="mgadl", **fields):
    """``table``: one list of (day of cycle, value) per cycle, from the first course on."""
    for start, rows in zip(STARTS, table, strict=False):
        for day, value in rows:
            measure = Measure(patient=patient, kind=kind, measured_at=at(start, day), **fields)
            if kind == "incat":  # (arms, legs)
                measure.answers = {"arms": value[0], "legs": value[1]}
                measure.value = sum(value)
            elif kind == "grip":  # (left, right)
                measure.value, measure.value_right = value
            else:
                measure.value = value
            entries.save(measure, user)


def summary(found):
    return [(c.status, c.best, c.best_day, c.wear_off_day) for c in found.cycles]


# --- MG-ADL over four finished cycles -------------------------------------------------------------


def test_four_mgadl_cycles_worked_out_by_hand(patient, owner, other):
    courses(patient, 5)
    # The baseline that morning, before the first infusion (09:00).
    baseline = at(STARTS[0], 0).replace(hour=7)
    entries.save(Measure(patient=patient, kind="mgadl", value=9, measured_at=baseline), owner)
    readings(
        patient,
        owner,
        [
            # Best 4 on day 14. Then 5 (+1, not meaningful), 7 (+3), 8 (+4): worse by 2 or more
            # from day 24 to the next course -> day 24.
            [(3, 8), (7, 5), (14, 4), (21, 5), (24, 7), (28, 8)],
            # Best 3 on day 10. Day 17 is 5 (+2) but day 20 is back to 4 (+1): it did not stay
            # worse. From day 25: 6 (+3), 7 (+4) -> day 25.
            [(4, 6), (10, 3), (17, 5), (20, 4), (25, 6), (28, 7)],
            # Best 4 on day 12 (again on day 19); then 5, 5: +1 only -> no wear-off.
            [(5, 5), (12, 4), (19, 4), (26, 5), (28, 5)],
            # Best 3 on day 14; 6 (+3), 7 (+4) -> day 21.
            [(7, 4), (14, 3), (21, 6), (28, 7)],
            # The current cycle, one score so far: too few, and never counted.
            [(3, 5)],
        ],
    )
    # Another diary's scores on the very same days change nothing.
    courses(other, 5)
    readings(other, None, [[(3, 20), (14, 0), (21, 24), (28, 24)]] * 4)

    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 5, 10), "mgadl")
    assert summary(found) == [
        (WORE_OFF, Decimal(4), 14, 24),
        (WORE_OFF, Decimal(3), 10, 25),
        (NO_WEAR_OFF, Decimal(4), 12, None),
        (WORE_OFF, Decimal(3), 14, 21),
        (TOO_FEW_READINGS, Decimal(5), 3, None),
    ]
    # Before each course: the baseline that morning, then each cycle's day-28 score.
    assert [c.before for c in found.cycles] == [Decimal(v) for v in (9, 8, 7, 5, 7)]
    assert [c.complete for c in found.cycles] == [True, True, True, True, False]
    # Typical: the median of 24, 25 and 21 = 24, resting on 4 cycles, 3 of which wore off.
    assert found.enough_data
    assert (found.cycles_counted, found.cycles_worn_off, found.typical_day) == (4, 3, 24.0)
    assert found.threshold.amount == 2 and found.threshold.inclusive
    assert "From 4 finished cycles" in found.how
    assert "2 points or more above the cycle’s best" in found.how
    assert "covers the past 7 days, so the day is accurate to about a week" in found.how


def test_too_little_data_estimates_nothing(patient, owner):
    courses(patient, 3)
    readings(
        patient,
        owner,
        [
            [(7, 5), (14, 3), (28, 6)],  # enough: best 3, then 6 (+3) -> day 28
            [(7, 4), (28, 7)],  # two readings: too few
            [(3, 5), (10, 3), (20, 8)],  # the current cycle: never counted
        ],
    )
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 31), "mgadl")
    assert summary(found) == [
        (WORE_OFF, Decimal(3), 14, 28),
        (TOO_FEW_READINGS, Decimal(4), 7, None),
        (WORE_OFF, Decimal(3), 10, 20),  # so far
    ]
    assert not found.enough_data and found.typical_day is None
    assert found.cycles_counted == 1
    assert found.how.startswith("Not enough data")
    assert "needs 2 finished cycles with 3 or more readings each" in found.how


def test_a_best_on_the_last_reading_is_too_few(patient, owner):
    courses(patient, 2)
    readings(patient, owner, [[(7, 8), (14, 6), (28, 4)]])  # getting better all cycle long
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 20), "mgadl")
    assert found.cycles[0].status == TOO_FEW_READINGS


def test_no_wear_off_is_recorded_as_such(patient, owner):
    courses(patient, 3)
    readings(
        patient,
        owner,
        [
            [(7, 4), (14, 3), (21, 4), (28, 4)],  # best 3; +1 at most
            [(7, 5), (14, 4), (21, 5), (28, 5)],  # best 4; +1 at most
        ],
    )
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 10), "mgadl")
    assert [c.status for c in found.cycles] == [NO_WEAR_OFF, NO_WEAR_OFF, TOO_FEW_READINGS]
    assert found.enough_data and found.cycles_counted == 2 and found.cycles_worn_off == 0
    assert found.typical_day is None
    assert found.how.startswith("From 2 finished cycles")


def test_nothing_at_all(patient):
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 10), "mgadl")
    assert found.cycles == [] and not found.enough_data and found.typical_day is None
    assert found.how.startswith("Not enough data")
    courses(patient, 2)  # cycles, but no grip reading in any unit
    grip = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 10), "grip", side="left")
    assert [c.status for c in grip.cycles] == [TOO_FEW_READINGS, TOO_FEW_READINGS]
    assert grip.how == "No grip readings in this period, so nothing is estimated."


# --- grip: kPa is judged (lower is worse), kg is not ----------------------------------------------


GRIP_TABLE = [
    # Left: best 70 on day 7; 66 (-4), 61 (-9), 60 (-10): more than 8 kPa weaker from day 21.
    # Right: best 81 on day 7; 80, 79, 78: never more than 8 weaker.
    [(3, (60, 80)), (7, (70, 81)), (14, (66, 80)), (21, (61, 79)), (28, (60, 78))],
    # Left: best 72 on day 10; 64 is exactly 8 weaker (not more); 63 (-9), 62 (-10) -> day 24.
    # Right: 80 all along -> no wear-off.
    [(3, (65, 80)), (10, (72, 80)), (17, (64, 80)), (24, (63, 80)), (28, (62, 80))],
]


def test_grip_in_kpa_lower_is_worse(patient, owner):
    courses(patient, 3)
    readings(patient, owner, GRIP_TABLE, kind="grip", unit="kPa")
    period = (dt.date(2026, 1, 1), dt.date(2026, 3, 10))
    left = wear_off(patient, *period, "grip", side="left")
    assert summary(left)[:2] == [(WORE_OFF, Decimal(70), 7, 21), (WORE_OFF, Decimal(72), 10, 24)]
    # The median of 21 and 24.
    assert (left.enough_data, left.typical_day, left.unit) == (True, 22.5, "kPa")
    assert "more than 8 kPa weaker" in left.how and "week" not in left.how
    right = wear_off(patient, *period, "grip", side="right")
    assert [c.status for c in right.cycles][:2] == [NO_WEAR_OFF, NO_WEAR_OFF]
    assert right.typical_day is None and right.cycles_worn_off == 0


def test_grip_in_kg_gets_numbers_and_no_judgement(patient, owner):
    courses(patient, 3)
    readings(patient, owner, GRIP_TABLE, kind="grip", unit="kg")
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 10), "grip", side="left")
    assert found.threshold is None and found.unit == "kg"
    # The best is still shown; no day is called a wear-off.
    assert summary(found)[:2] == [
        (NO_JUDGEMENT, Decimal(70), 7, None),
        (NO_JUDGEMENT, Decimal(72), 10, None),
    ]
    assert not found.enough_data and found.typical_day is None
    assert "grip measured in kg" in found.how and "no wear-off is judged" in found.how


def test_measures_without_a_threshold_are_not_judged(patient, owner):
    courses(patient, 2)
    readings(patient, owner, [[(3, 40), (10, 80), (20, 30), (28, 20)]], kind="platelets")
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 20), "platelets")
    assert summary(found)[0] == (NO_JUDGEMENT, Decimal(80), 10, None)  # higher is better
    readings(patient, owner, [[(3, 70), (10, 71)]], kind="weight", unit="kg")
    weight = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 20), "weight")
    assert summary(weight)[0] == (NO_JUDGEMENT, None, None, None)  # no direction at all


# --- INCAT: on the adjusted score -----------------------------------------------------------------


def test_incat_wears_off_on_the_adjusted_score(patient, owner):
    courses(patient, 3)
    readings(
        patient,
        owner,
        [
            # Best (arms 0, legs 2) = 2 on day 7; then arms 1, legs 2 = 3. The total is 1 higher,
            # but an arm change from 0 to 1 is not counted: adjusted 0 -> no wear-off.
            [(7, (0, 2)), (14, (1, 2)), (21, (1, 2)), (28, (1, 2))],
            # Best (1, 1) = 2 on day 7; (1, 2): +1; (2, 2): arm 1 -> 2 counts, +2; (1, 2): +1.
            # Worse by 1 or more from day 14 to the next course -> day 14.
            [(7, (1, 1)), (14, (1, 2)), (21, (2, 2)), (28, (1, 2))],
        ],
        kind="incat",
    )
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 10), "incat")
    assert summary(found)[:2] == [
        (NO_WEAR_OFF, Decimal(2), 7, None),
        (WORE_OFF, Decimal(2), 7, 14),
    ]
    assert (found.cycles_counted, found.cycles_worn_off, found.typical_day) == (2, 1, 14.0)
    assert "adjusted INCAT score" in found.how and "week" not in found.how


# --- the rule itself, on series built by hand -----------------------------------------------------


def series(points, complete=True, course_id=1):
    return CycleSeries(
        course_id=course_id,
        start_date=dt.date(2026, 1, 5),
        cycle_end=dt.date(2026, 2, 1) if complete else None,
        unit="",
        points=[
            CyclePoint(day=day, value=Decimal(value), at=NOW, measure_id=n)
            for n, (day, value) in enumerate(points)
        ],
    )


def test_a_worsening_must_last_until_the_next_course():
    # Worse on day 10 and 20 (+2), back to +1 on day 28, the score before the next infusion.
    (cycle,) = estimate([series([(3, 4), (10, 6), (20, 6), (28, 5)])], "mgadl").cycles
    assert cycle.status == NO_WEAR_OFF


def test_the_first_best_is_the_best_day():
    (cycle,) = estimate([series([(3, 2), (10, 4), (14, 2), (21, 5)])], "mgadl").cycles
    assert (cycle.best_day, cycle.wear_off_day) == (3, 21)


def test_typical_is_the_median_of_finished_cycles_only():
    found = estimate(
        [
            series([(3, 2), (10, 2), (20, 4)], course_id=1),  # day 20
            series([(3, 2), (10, 2), (14, 5)], course_id=2),  # day 14
            series([(3, 2), (5, 2), (6, 9)], complete=False, course_id=3),  # so far: day 6
        ],
        "mgadl",
    )
    assert [c.wear_off_day for c in found.cycles] == [20, 14, 6]
    assert [c.counted for c in found.cycles] == [True, True, False]
    assert found.typical_day == 17.0


def test_the_thresholds_live_in_clinical_scales():
    assert wearoff.ENOUGH_READINGS == 3 and wearoff.ENOUGH_CYCLES == 2
    assert scales.meaningful_worsening("mgadl").amount == scales.MEANINGFUL_CHANGE
    assert scales.meaningful_worsening("incat").amount == scales.INCAT_MEANINGFUL_CHANGE
    assert scales.meaningful_worsening("grip", "kPa").amount == 8
    assert not scales.meaningful_worsening("grip", "kPa").inclusive
    assert scales.meaningful_worsening("grip", "kg") is None
    assert scales.meaningful_worsening("platelets") is None
    assert scales.worsening("grip", Decimal(70), Decimal(61)) == 9  # lower is worse
    assert scales.worsening("mgadl", 3, 5) == 2
    with pytest.raises(ValueError):
        scales.worsening("weight", 70, 72)


def test_a_typical_day_is_shown_as_a_whole_day():
    """F7: MG-ADL is accurate to about a week, so "day 23.5" claims too much: whole days, the
    half rounded up; the estimate itself keeps its half day."""
    from reports import document

    assert [wearoff.whole_day(d) for d in (None, 20.0, 22.5, 23.5, 23.4)] == [None, 20, 23, 24, 23]
    estimate = wearoff.WearOffEstimate(
        measure=scales.MGADL,
        side=None,
        unit="",
        threshold=scales.meaningful_worsening(scales.MGADL, ""),
        cycles=[],
        cycles_counted=4,
        cycles_worn_off=4,
        enough_data=True,
        typical_day=23.5,
        how="",
    )
    assert estimate.typical_day == 23.5 and estimate.typical_whole_day == 24
    sentence = document.wear_off_sentence(estimate)
    assert "from day 24 (typical)" in sentence and "23.5" not in sentence
