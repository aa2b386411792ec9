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
    # Typical: the median over all 4 counted cycles, the one that held counting as later than
    # any day: 21, 24, 25, held -> halfway between 24 and 25 = 24.5, shown as day 25. 3 of the
    # 4 wore off, more than half, so there is a typical day.
    assert found.enough_data and not found.held
    assert (found.cycles_counted, found.cycles_worn_off, found.typical_day) == (4, 3, 24.5)
    assert found.typical_whole_day == 25 and found.worn_days == [21, 24, 25]
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
    # 1 of 2 wore off: the median falls between day 14 and "held", so no day is typical.
    assert (found.cycles_counted, found.cycles_worn_off, found.typical_day) == (2, 1, None)
    assert found.held and found.worn_days == [14]
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


# --- "typical" rests on most of the cycles, not on the ones that wore off -------------------------
#
# Typical is the median over every counted cycle, one in which the benefit held until the next
# course counting as later than any day. If that median is "held", or falls halfway between a
# day and "held", there is no typical day: the estimate says the benefit held instead.

HELD = [(3, 5), (10, 3), (20, 4), (28, 4)]  # best 3 on day 10; +1 at most: held


def worn_on(day):
    """Best 3 on day 10, then +3 from ``day`` to the next course: wore off on ``day``."""
    return [(3, 5), (10, 3), (day, 6), (28, 7)]


def test_one_worn_cycle_of_three_is_no_typical_day(patient, owner):
    """The reviewer's case: "Typical wear-off: day 20" rested on the one cycle of 3 that wore
    off. Sorted: 20, held, held: the median is "held"."""
    courses(patient, 4)
    readings(patient, owner, [worn_on(20), HELD, HELD])
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 4, 20), "mgadl")
    assert [c.status for c in found.cycles][:3] == [WORE_OFF, NO_WEAR_OFF, NO_WEAR_OFF]
    assert (found.enough_data, found.cycles_counted, found.cycles_worn_off) == (True, 3, 1)
    assert found.typical_day is None and found.typical_whole_day is None  # so no chart marker
    assert found.held and found.cycles_held == 2 and found.worn_days == [20]
    assert wearoff.held_sentence(found) == (
        "In most finished cycles (2 of 3) the benefit held until the next course; it wore off "
        "in 1, on day 20."
    )
    assert "typical" not in wearoff.held_sentence(found).lower()
    assert "there is a typical day only when more than half wore off" in found.how


def test_three_worn_of_four_the_held_one_counts_as_latest(patient, owner):
    """Sorted: 18, 20, 22, held. The median is halfway between 20 and 22 = 21 (the median of
    the worn days alone would say 20: the held cycle pulls "typical" later)."""
    courses(patient, 5)
    readings(patient, owner, [worn_on(22), HELD, worn_on(18), worn_on(20)])
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 5, 20), "mgadl")
    assert [c.wear_off_day for c in found.cycles][:4] == [22, None, 18, 20]
    assert (found.cycles_counted, found.cycles_worn_off, found.typical_day) == (4, 3, 21.0)
    assert found.typical_whole_day == 21 and not found.held
    assert wearoff.held_sentence(found) == ""


def test_four_worn_of_four_is_the_median_of_the_days(patient, owner):
    """No cycle held: the median of 14, 18, 20, 27 as before, halfway between 18 and 20."""
    courses(patient, 5)
    readings(patient, owner, [worn_on(14), worn_on(27), worn_on(18), worn_on(20)])
    found = wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 5, 20), "mgadl")
    assert (found.cycles_counted, found.cycles_worn_off, found.typical_day) == (4, 4, 19.0)
    assert found.worn_days == [14, 18, 20, 27] and not found.held


def test_typical_day_rule():
    assert wearoff.typical_day([20], 2) is None  # the median is "held"
    assert wearoff.typical_day([18, 20], 2) is None  # halfway between day 20 and "held"
    assert wearoff.typical_day([14], 1) is None  # 1 of 2: no pattern either
    assert wearoff.typical_day([], 3) is None
    assert wearoff.typical_day([20, 18, 22], 1) == 21.0  # 18, 20, 22, held
    assert wearoff.typical_day([20, 18, 22], 2) == 22.0  # 18, 20, 22, held, held
    assert wearoff.typical_day([21, 24], 0) == 22.5  # none held: the median of the days
    assert wearoff.typical_day([7], 0) == 7.0


def test_no_typical_day_in_words():
    def held(days, held_count):
        counted = [series(worn_on(d), course_id=n) for n, d in enumerate(days)]
        counted += [series(HELD, course_id=100 + n) for n in range(held_count)]
        return wearoff.held_sentence(estimate(counted, "mgadl"))

    assert held([], 3) == "In all 3 finished cycles the benefit held until the next course."
    assert held([18, 20], 2) == (
        "In half the finished cycles (2 of 4) the benefit held until the next course and in the "
        "other 2 it wore off, on days 18 and 20, so no day is typical."
    )
    assert held([20, 14, 18], 4) == (
        "In most finished cycles (4 of 7) the benefit held until the next course; it wore off "
        "in 3, on days 14, 18 and 20."
    )
    assert held([25, 14, 18, 20], 5).endswith("it wore off in 4, between day 14 and day 25.")
    assert held([20, 14, 18], 2) == ""  # 3 of 5 wore off: typical day 20
    # Not enough data, or no judgement: nothing to say here (the "how" line says it).
    assert held([], 1) == ""
    assert wearoff.held_sentence(estimate([series(HELD)] * 3, "platelets")) == ""


# --- what the pages make of it --------------------------------------------------------------------


@pytest.fixture
def one_of_three_worn(patient, owner):
    """The reviewer's diary: 3 finished cycles, the first wore off on day 20, two held."""
    courses(patient, 4)
    readings(patient, owner, [worn_on(20), HELD, HELD])
    return patient


def test_no_typical_day_draws_no_marker_and_says_no_typical(one_of_three_worn, owner_client):
    from django.urls import reverse

    from reports import document

    doc = document.build(one_of_three_worn, dt.date(2026, 1, 1), dt.date(2026, 4, 20), [])
    assert doc.main_label == "MG-ADL score"
    chart = doc.main_chart
    assert "chart-marker" not in chart.chart.svg and "Typical" not in chart.chart.svg
    assert "typical" not in chart.chart.summary.lower()
    assert "(typical)" not in chart.wear_off and "from day 20" not in chart.wear_off
    assert "there is a typical day only when more than half wore off" in chart.how

    page = owner_client.get(
        reverse("reports:trends", args=[one_of_three_worn.public_id]) + "?period=12"
    ).content.decode()
    assert "there is a typical day only when more than half wore off" in page  # MG-ADL shown
    assert "chart-marker" not in page
    assert "Typical wear-off" not in page and "typical wear-off from day" not in page


def test_no_typical_day_the_pages_say_the_benefit_held(one_of_three_worn, owner_client):
    from django.urls import reverse

    from reports import document

    held = (
        "In most finished cycles (2 of 3) the benefit held until the next course; it wore off "
        "in 1, on day 20."
    )
    doc = document.build(one_of_three_worn, dt.date(2026, 1, 1), dt.date(2026, 4, 20), [])
    assert held in doc.main_chart.wear_off
    page = owner_client.get(
        reverse("reports:trends", args=[one_of_three_worn.public_id]) + "?period=12"
    ).content.decode()
    assert held in page
    assert "in none of the 3 finished cycles" not in page


def test_days_worn_off_are_named_once():
    assert wearoff._days_words([20, 20]) == "on day 20"  # not "on days 20 and 20"
    assert wearoff._days_words([22, 18, 20, 18]) == "on days 18, 20 and 22"
