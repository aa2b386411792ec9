"""Review of issue 9's computations: the neighbouring cases of cycle alignment, side-effect
durations, the wear-off estimate, the comparison groups and INCAT. Each answer is worked out by
hand from clinical.md in the comments."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinical import scales
from diary import entries
from diary.models import Measure, SymptomEntry
from infusions.models import Premedication, RateStep
from reports import comparison, cycles, wearoff
from reports.cycles import CyclePoint, CycleSeries
from reports.wearoff import NO_WEAR_OFF, TOO_FEW_READINGS, WORE_OFF

from .factories import InfusionFactory

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def infusion(patient, day, start=dt.time(9), end=dt.time(13), **fields):
    made = InfusionFactory(patient=patient, date=day, start_time=start, end_time=end, **fields)
    made.refresh_from_db()
    return made


def measure(patient, user, at, value, kind="mgadl", **fields):
    item = Measure(patient=patient, kind=kind, value=value, measured_at=at, **fields)
    if kind == "incat":
        arms, legs = value
        item.answers = {"arms": arms, "legs": legs}
        item.value = arms + legs
    entries.save(item, user)
    item.refresh_from_db()
    return item


def side_effect(patient, user, onset, symptom="headache", severity=5, **fields):
    entry = SymptomEntry(patient=patient, symptom=symptom, severity=severity, onset=onset, **fields)
    entries.save(entry, user)
    return entry


def hand_series(points, complete=True, course_id=1):
    """A cycle's readings built by hand: (day, value) or (day, (arms, legs)) for INCAT."""
    made = []
    for n, (day, value) in enumerate(points):
        incat = None
        if isinstance(value, tuple):
            incat = scales.IncatScore(*value)
            value = incat.total
        made.append(CyclePoint(day=day, value=Decimal(value), at=NOW, measure_id=n, incat=incat))
    return CycleSeries(
        course_id=course_id,
        start_date=dt.date(2026, 1, 5),
        cycle_end=dt.date(2026, 2, 1) if complete else None,
        unit="",
        points=made,
    )


# --- cycle alignment in other zones ---------------------------------------------------------------


def test_a_diary_in_australia_counts_its_own_calendar_days(patient, owner):
    """Sydney is UTC+11 in January: 07:00 on 5 Jan there is 20:00 UTC on 4 Jan. The course's
    infusion starts at 09:00 Sydney time, so the 07:00 score is the trough of the cycle that
    ends (course of 8 Dec, day 28); 10:00 is day 0; 23:30 on 6 Jan (12:30 UTC) is day 1.
    Sydney's clocks go back at 03:00 on 5 Apr 2026: 00:30 on 6 Apr, after a course on 4 Apr,
    is day 2 (calendar days, not 24-hour blocks)."""
    patient.time_zone = "Australia/Sydney"
    patient.save()
    first = infusion(patient, dt.date(2025, 12, 8))
    second = infusion(patient, dt.date(2026, 1, 5))
    april = infusion(patient, dt.date(2026, 4, 4))
    trough = measure(patient, owner, dt.datetime(2026, 1, 5, 7, tzinfo=SYDNEY), 8)
    after = measure(patient, owner, dt.datetime(2026, 1, 5, 10, tzinfo=SYDNEY), 7)
    late = measure(patient, owner, dt.datetime(2026, 1, 6, 23, 30, tzinfo=SYDNEY), 6)
    dst = measure(patient, owner, dt.datetime(2026, 4, 6, 0, 30, tzinfo=SYDNEY), 5)
    assert (trough.course_id, trough.day_of_cycle) == (first.course_id, 28)
    assert (after.course_id, after.day_of_cycle) == (second.course_id, 0)
    assert (late.course_id, late.day_of_cycle) == (second.course_id, 1)
    assert (dst.course_id, dst.day_of_cycle) == (april.course_id, 2)


def test_new_york_spring_forward_and_a_multi_day_course(patient, owner):
    """New York's clocks go forward at 02:00 on Sun 8 Mar 2026. A three-day course 7-9 Mar at
    09:00: day 0 is 7 Mar (the first infusion day). 08:00 on 8 Mar, before that day's infusion,
    is already the course's day 1 (the course has begun); 08:00 on 7 Mar, before the first
    infusion, is the cycle before's last day (28 days after 7 Feb)."""
    patient.time_zone = "America/New_York"
    patient.save()
    old = infusion(patient, dt.date(2026, 2, 7))
    days = [infusion(patient, dt.date(2026, 3, 7) + dt.timedelta(days=n)) for n in range(3)]
    assert len({d.course_id for d in days}) == 1
    before = measure(patient, owner, dt.datetime(2026, 3, 7, 8, tzinfo=NEW_YORK), 9)
    day1 = measure(patient, owner, dt.datetime(2026, 3, 8, 8, tzinfo=NEW_YORK), 8)
    day2 = measure(patient, owner, dt.datetime(2026, 3, 9, 23, 59, tzinfo=NEW_YORK), 7)
    assert (before.course_id, before.day_of_cycle) == (old.course_id, 28)
    assert (day1.course_id, day1.day_of_cycle) == (days[0].course_id, 1)
    assert (day2.course_id, day2.day_of_cycle) == (days[0].course_id, 2)


# --- wear-off: the best value of INCAT, on the adjusted score -------------------------------------


INCAT_TIE = [
    # Day 7: arms 0, legs 2 (total 2). Day 10: arms 1, legs 1 (total 2): on the adjusted score
    # day 10 is 1 point better than day 7 (the arm step 0 -> 1 is not counted, legs 2 -> 1
    # is), so day 10 is the cycle's best. Day 21 and day 28: arms 1, legs 2 (total 3): from
    # the best (1, 1) the legs are 1 worse, the arms unchanged: adjusted +1, meaningful (>= 1),
    # and it stays so until the next course -> wore off on day 21.
    (7, (0, 2)),
    (10, (1, 1)),
    (21, (1, 2)),
    (28, (1, 2)),
]


def test_incat_best_is_the_best_on_the_adjusted_score_not_the_first_equal_total():
    (cycle,) = wearoff.estimate([hand_series(INCAT_TIE)], "incat").cycles
    assert (cycle.status, cycle.best, cycle.best_day, cycle.wear_off_day) == (
        WORE_OFF,
        Decimal(2),
        10,
        21,
    )


def test_incat_best_in_the_other_order_is_unchanged():
    """(1, 1) first, then (0, 2): day 7 is already the best (day 10 is adjusted +1 from it).
    Day 10 is itself worse by 1 but day 14 (1, 1) is back at the best: it did not stay.
    From day 21 (1, 2) on: +1 until the next course -> day 21."""
    points = [(7, (1, 1)), (10, (0, 2)), (14, (1, 1)), (21, (1, 2)), (28, (1, 2))]
    (cycle,) = wearoff.estimate([hand_series(points)], "incat").cycles
    assert (cycle.status, cycle.best_day, cycle.wear_off_day) == (WORE_OFF, 7, 21)


def test_ties_of_a_plain_score_keep_the_first_best_day():
    """MG-ADL best 3 on day 10 and again on day 20, then 5 (+2) on day 25 and 6 on day 28:
    the best day shown is the first (10); the lasting worsening starts on day 25 either way."""
    points = [(3, 6), (10, 3), (20, 3), (25, 5), (28, 6)]
    (cycle,) = wearoff.estimate([hand_series(points)], "mgadl").cycles
    assert (cycle.status, cycle.best_day, cycle.wear_off_day) == (WORE_OFF, 10, 25)


def test_thresholds_at_the_edge():
    """MG-ADL: exactly 2 above the best counts. Grip: exactly 8 kPa weaker does not, 8.1
    does."""
    (mgadl,) = wearoff.estimate([hand_series([(3, 5), (10, 3), (20, 5), (28, 5)])], "mgadl").cycles
    assert (mgadl.status, mgadl.wear_off_day) == (WORE_OFF, 20)
    exact = hand_series([(3, 60), (10, 72), (20, 64), (28, 64)])
    (grip,) = wearoff.estimate([exact], "grip", unit="kPa").cycles
    assert grip.status == NO_WEAR_OFF
    over = hand_series([(3, 60), (10, 72), (20, "63.9"), (28, 64)])
    (grip,) = wearoff.estimate([over], "grip", unit="kPa").cycles
    assert grip.status == NO_WEAR_OFF  # day 28 is 8.0 weaker: it did not stay worse
    over = hand_series([(3, 60), (10, 72), (20, "63.9"), (28, "63.9")])
    (grip,) = wearoff.estimate([over], "grip", unit="kPa").cycles
    assert (grip.status, grip.wear_off_day) == (WORE_OFF, 20)


def test_the_current_cycle_is_never_counted_in_typical():
    """Two finished cycles that held and a current one that is worse so far: no typical day,
    the current one is shown as it is and left out of the count."""
    found = wearoff.estimate(
        [
            hand_series([(3, 5), (10, 3), (20, 4), (28, 4)], course_id=1),
            hand_series([(3, 5), (10, 3), (20, 4), (28, 4)], course_id=2),
            hand_series([(3, 5), (10, 3), (20, 6)], complete=False, course_id=3),
        ],
        "mgadl",
    )
    assert [c.status for c in found.cycles] == [NO_WEAR_OFF, NO_WEAR_OFF, WORE_OFF]
    assert (found.cycles_counted, found.cycles_worn_off, found.typical_day) == (2, 0, None)


# --- wear-off from the diary: the reading on the next course's day --------------------------------


def test_the_next_courses_morning_score_ends_the_cycle_and_its_afternoon_score_does_not(
    patient, owner
):
    """Courses on 5 Jan, 2 Feb and 2 Mar at 09:00 (London). Cycle 1: best 3 on day 10, 4 on
    day 20 (+1). On 2 Feb (day 28) the score at 07:00, before the infusion, is 6 (+3): it is
    cycle 1's last point, so cycle 1 wore off on day 28. The score of 15:00 that day is 2:
    cycle 2's day 0, not cycle 1's."""
    for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 3, 2)):
        infusion(patient, day)
    for at, value in [
        (dt.datetime(2026, 1, 8, 10, tzinfo=LONDON), 5),
        (dt.datetime(2026, 1, 15, 10, tzinfo=LONDON), 3),
        (dt.datetime(2026, 1, 25, 10, tzinfo=LONDON), 4),
        (dt.datetime(2026, 2, 2, 7, tzinfo=LONDON), 6),
        (dt.datetime(2026, 2, 2, 15, tzinfo=LONDON), 2),
    ]:
        measure(patient, owner, at, value)
    found = wearoff.wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 20), "mgadl")
    first, second = found.cycles[:2]
    assert (first.status, first.best, first.best_day, first.wear_off_day) == (
        WORE_OFF,
        Decimal(3),
        10,
        28,
    )
    assert (second.before, second.best, second.best_day, second.status) == (
        Decimal(6),
        Decimal(2),
        0,
        TOO_FEW_READINGS,
    )


# --- side-effect durations ------------------------------------------------------------------------


def test_an_open_side_effect_lasts_to_its_last_reading_or_confirmation(patient, owner):
    """Headache from 20:00 on 6 Jan, never closed; a reading at 08:00 on 8 Jan (36 h) and a
    "still going" confirmation at 20:00 on 7 Jan (24 h): at least 36 h, to the later one, and
    it was last known going on on 8 Jan, day 3 of the cycle of 5 Jan."""
    infusion(patient, dt.date(2026, 1, 5))
    entry = side_effect(
        patient,
        owner,
        dt.datetime(2026, 1, 6, 20, tzinfo=LONDON),
        still_going_at=dt.datetime(2026, 1, 7, 20, tzinfo=LONDON),
    )
    entries.add_reading(entry, 6, dt.datetime(2026, 1, 8, 8, tzinfo=LONDON), owner)
    (cycle,) = cycles.cycles_for(patient, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    (headache,) = cycle.side_effects
    (episode,) = headache.episodes
    assert (episode.hours, episode.open, episode.onset_day, episode.end_day) == (36.0, True, 1, 3)
    assert (headache.worst, headache.hours, headache.open, headache.gone_by_day) == (
        6,
        36.0,
        True,
        None,
    )


def test_a_side_effect_across_the_autumn_clock_change_counts_real_hours(patient, owner):
    """London's clocks go back at 02:00 BST on Sun 25 Oct 2026: 20:00 on 24 Oct to 20:00 on
    25 Oct is 25 real hours."""
    infusion(patient, dt.date(2026, 10, 23))
    side_effect(
        patient,
        owner,
        dt.datetime(2026, 10, 24, 20, tzinfo=LONDON),
        ended_at=dt.datetime(2026, 10, 25, 20, tzinfo=LONDON),
    )
    (cycle,) = cycles.cycles_for(patient, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    (headache,) = cycle.side_effects
    assert (headache.hours, headache.open, headache.gone_by_day) == (25.0, False, 2)


# --- comparison groups ----------------------------------------------------------------------------


def test_premedication_sets_in_another_order_and_case_are_one_group(patient):
    """Course 1 took Paracetamol then Cetirizine; course 2 took CETIRIZINE then "paracetamol "
    (two days, one each): the same set, one group of 2 courses."""
    one = infusion(patient, dt.date(2026, 1, 5))
    two_a = infusion(patient, dt.date(2026, 2, 2))
    two_b = infusion(patient, dt.date(2026, 2, 3))
    Premedication.objects.create(infusion=one, name="Paracetamol", dose="1 g")
    Premedication.objects.create(infusion=one, name="Cetirizine", dose="10 mg")
    Premedication.objects.create(infusion=two_a, name="CETIRIZINE", dose="10 mg")
    Premedication.objects.create(infusion=two_b, name="paracetamol ", dose="1 g")
    found = comparison.comparison_for(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    assert [(g.label, g.courses) for g in found.by_premedication] == [
        ("cetirizine + paracetamol", 2)
    ]


def test_a_rate_in_three_units_is_banded_in_ml_per_kg_h(patient):
    """68 kg, a 10 % product. Course 1: 4 mg/kg/min = 4 * 60 / 100 = 2.4 mL/kg/h -> 2-4.
    Course 2: 340 mL/h / 68 kg = 5.0 mL/kg/h -> 4-6. Course 3: 1.5 mL/kg/h -> under 2."""
    for day, rate, unit in [
        (dt.date(2026, 1, 5), "4", "mg/kg/min"),
        (dt.date(2026, 2, 2), "340", "mL/h"),
        (dt.date(2026, 3, 2), "1.5", "mL/kg/h"),
    ]:
        made = infusion(patient, day, weight_kg="68")
        RateStep.objects.create(infusion=made, minutes_from_start=0, rate=rate, unit=unit)
    found = comparison.comparison_for(patient, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert [(g.key, g.courses) for g in found.by_rate] == [("under-2", 1), ("2-4", 1), ("4-6", 1)]


def test_the_report_judges_an_incat_response_from_the_same_best():
    """Before the course: arms 1, legs 2. After it: (0, 2) on day 7, then (1, 1) on day 10,
    both total 2. From (1, 2) to (0, 2) the adjusted change is 0 (arm 1 -> 0 not counted); to
    (1, 1) it is -1 (legs 2 -> 1): better by the meaningful 1 point. The cycle's best is day
    10's (1, 1), as for the wear-off, so the course is "better by 1 point" after it."""
    from reports import document

    one = hand_series([(7, (0, 2)), (10, (1, 1)), (21, (1, 1)), (28, (1, 1))])
    one.before = CyclePoint(
        day=28, value=Decimal(3), at=NOW, measure_id=99, incat=scales.IncatScore(1, 2)
    )
    threshold = scales.meaningful_worsening("incat")
    response, _wear_off = document._cycle_observations("incat", [one], threshold, "", [1])
    assert "at best 2 on day 10" in response.text
    assert response.mark.startswith("Better by")


def test_grip_in_kpa_is_judged_however_the_unit_is_cased(patient, owner):
    """The cycle view draws "kPa" and "kpa" readings as one line in one unit (cycles.in_one_unit
    matches units by words_key); the threshold must not depend on which spelling came last.
    Courses 5 Jan and 2 Feb. Left hand: best 70 on day 7; 60 (-10) on day 21 and 61 (-9) on day
    28: more than 8 kPa weaker from day 21 to the next course -> wore off on day 21."""
    for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
        infusion(patient, day)
    start = dt.datetime(2026, 1, 5, 10, tzinfo=LONDON)
    for day, left, unit in [(3, 65, "kPa"), (7, 70, "kPa"), (21, 60, "kPa"), (28, 61, " kpa")]:
        at = start + dt.timedelta(days=day) - dt.timedelta(hours=3 if day == 28 else 0)
        measure(patient, owner, at, left, kind="grip", value_right=80, unit=unit)
    found = wearoff.wear_off(patient, dt.date(2026, 1, 1), dt.date(2026, 2, 20), "grip", "left")
    assert found.threshold is not None and found.threshold.amount == 8
    assert (found.cycles[0].status, found.cycles[0].wear_off_day) == (WORE_OFF, 21)


def test_only_an_equal_total_can_be_better_on_the_adjusted_score():
    """What wearoff.best_index rests on, over every pair of INCAT scores: a reading whose total
    is higher is never better on the adjusted score, and an equal total is better by at most
    the one arm step between 0 and 1 that is not counted."""
    grades = range(scales.INCAT_LIMB_MAX + 1)
    scores = [scales.IncatScore(a, legs) for a in grades for legs in grades]
    for best in scores:
        for other in scores:
            adjusted = scales.incat_adjusted(best, other)
            if other.total > best.total:
                assert adjusted >= 0, (best, other)
            elif other.total == best.total:
                assert adjusted in (-1, 0, 1), (best, other)


def test_page_one_gives_the_typical_best_day_as_a_whole_day():
    """Two courses, MG-ADL 8 before each: at best 4 on day 10 after one and on day 11 after the
    other. The median of the days is 10.5: page 1 says "on day 11" (half up, as the wear-off's
    typical day), never "day 10.5"."""
    from reports import document

    first = hand_series([(3, 6), (10, 4), (20, 7)], course_id=1)
    second = hand_series([(3, 6), (11, 4), (20, 7)], course_id=2)
    for one in (first, second):
        one.before = CyclePoint(day=28, value=Decimal(8), at=NOW, measure_id=99)
    threshold = scales.meaningful_worsening("mgadl")
    response, _wear_off = document._cycle_observations(
        "mgadl", [first, second], threshold, "", [1, 2]
    )
    assert "at best 4 on day 11" in response.text
    assert "10.5" not in response.text
