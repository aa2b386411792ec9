"""Side effects per course, grouped by product, highest rate and premedication
(reports.comparison), on six courses whose groups are worked out by hand below."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from diary import entries
from diary.models import SymptomEntry
from infusions.models import Premedication, RateStep
from reports.comparison import (
    NO_PREMEDICATION,
    NO_RATE,
    RATE_BANDS,
    SymptomOverview,
    comparison_for,
    rate_band,
    side_effect_overview,
    summary_sentence,
)
from reports.cycles import cycles_for

from .factories import InfusionFactory, MembershipFactory, PatientFactory, catalog_product

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 6, 10))
PRIVIGEN = "Privigen 10 % (IV)"
OCTAGAM = "Octagam 10 % (IV)"


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(day, hour):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def given(patient, first, product, rate=None, premeds=()):
    infusion = InfusionFactory(
        patient=patient,
        date=first,
        start_time=dt.time(9),
        end_time=dt.time(13),
        product=catalog_product(product),
    )
    if rate is not None:
        RateStep.objects.create(infusion=infusion, minutes_from_start=0, rate="0.5")
        RateStep.objects.create(infusion=infusion, minutes_from_start=30, rate=rate)
    for name in premeds:
        Premedication.objects.create(infusion=infusion, name=name)


def felt(patient, first, symptom, severity, onset, end=None, **fields):
    """``onset`` and ``end``: (day of the cycle, hour)."""
    day = first + dt.timedelta(days=onset[0])
    entry = SymptomEntry(
        patient=patient,
        symptom=symptom,
        severity=severity,
        onset=local(day, onset[1]),
        ended_at=local(first + dt.timedelta(days=end[0]), end[1]) if end else None,
        **fields,
    )
    entries.save(entry, None)


@pytest.fixture
def six_courses(patient):
    starts = [dt.date(2026, 1, 5) + dt.timedelta(days=28 * n) for n in range(6)]
    one, two, three, four, five, six = starts
    # Before the period: its cycle reaches into it, but the course was not given in it.
    given(patient, dt.date(2025, 12, 8), "Privigen", "3")
    felt(patient, dt.date(2025, 12, 8), "headache", 9, (1, 10), (2, 10))

    # 1: Privigen, up to 3 mL/kg/h, paracetamol. Headache 6, day 1 20:00 - day 2 08:00 (12 h).
    given(patient, one, "Privigen", "3", ["Paracetamol"])
    felt(patient, one, "headache", 6, (1, 20), (2, 8))
    # 2: Privigen, 5, paracetamol. Headache 7, day 0 20:00 - day 1 20:00 (24 h); chills 3.
    given(patient, two, "Privigen", "5", ["paracetamol"])
    felt(patient, two, "headache", 7, (0, 20), (1, 20))
    felt(patient, two, "chills", 3, (0, 14), (0, 16))
    # 3: Privigen, 5, paracetamol + cetirizine. Headache 4, day 1 10:00 - day 3 10:00 (48 h).
    given(patient, three, "Privigen", "5", ["Paracetamol", "Cetirizine"])
    felt(patient, three, "headache", 4, (1, 10), (3, 10))
    # 4: Octagam, 1.5, cetirizine + paracetamol. Nothing felt.
    given(patient, four, "Octagam", "1.5", ["Cetirizine", "Paracetamol"])
    # 5: Octagam, 6, no premedication. Headache 8 from day 1, never closed.
    given(patient, five, "Octagam", "6")
    felt(patient, five, "headache", 8, (1, 10), still_going_at=local(five, 20))
    # 6: Octagam, no rate written down, no premedication. Headache 2, day 1 22:00 - day 2 08:00
    # (10 h).
    given(patient, six, "Octagam")
    felt(patient, six, "headache", 2, (1, 22), (2, 8))

    # Another diary, a headache after every course on the same days.
    other = PatientFactory(name="Other")
    MembershipFactory(patient=other)
    for first in starts:
        given(other, first, "Privigen", "3")
        felt(other, first, "headache", 10, (1, 10), (2, 10))
    return starts


def groups(found):
    return [
        (g.label, g.courses, [(s.label, s.with_it, s.worst) for s in g.side_effects]) for g in found
    ]


def test_side_effects_by_product(patient, six_courses):
    found = comparison_for(patient, *PERIOD)
    # Six courses given in the period; the one from December is left out.
    assert found.courses == 6
    assert groups(found.by_product) == [
        (PRIVIGEN, 3, [("Headache", 3, 7), ("Chills", 1, 3)]),
        (OCTAGAM, 3, [("Headache", 2, 8)]),
    ]


def test_side_effects_by_highest_rate(patient, six_courses):
    one, two, three, four, five, six = six_courses
    found = comparison_for(patient, *PERIOD)
    start_of = {c.course_id: c.start_date for c in cycles_for(patient, *PERIOD)}
    # Highest rates: 1: 3, 2: 5, 3: 5, 4: 1.5, 5: 6, 6: none; bands in order, "none" last.
    assert [(g.key, [start_of[i] for i in g.course_ids]) for g in found.by_rate] == [
        ("under-2", [four]),
        ("2-4", [one]),
        ("4-6", [two, three]),
        ("6-up", [five]),
        (NO_RATE, [six]),
    ]
    assert groups(found.by_rate) == [
        ("highest rate under 2 mL/kg/h", 1, []),
        ("highest rate 2 to under 4 mL/kg/h", 1, [("Headache", 1, 6)]),
        ("highest rate 4 to under 6 mL/kg/h", 2, [("Headache", 2, 7), ("Chills", 1, 3)]),
        ("highest rate 6 mL/kg/h or more", 1, [("Headache", 1, 8)]),
        ("highest rate not recorded", 1, [("Headache", 1, 2)]),
    ]


def test_side_effects_by_premedication(patient, six_courses):
    found = comparison_for(patient, *PERIOD)
    # Names are compared without case: "Paracetamol" and "paracetamol" are one.
    assert groups(found.by_premedication) == [
        ("paracetamol", 2, [("Headache", 2, 7), ("Chills", 1, 3)]),
        ("cetirizine + paracetamol", 2, [("Headache", 1, 4)]),
        ("no premedication recorded", 2, [("Headache", 2, 8)]),
    ]
    assert found.by_premedication[-1].key == NO_PREMEDICATION


def test_the_overview_and_its_sentence(patient, six_courses):
    in_period = [c for c in cycles_for(patient, *PERIOD) if c.course_in_period]
    headache, chills = side_effect_overview(in_period)
    # Headache after courses 1, 2, 3, 5, 6. Closed in 1, 2, 3, 6: gone by days 2, 1, 3, 2
    # (median 2) after 12, 24, 48, 10 h (median 18); never closed in 5.
    assert headache == SymptomOverview(
        key="headache",
        label="Headache",
        courses=6,
        with_it=5,
        worst=8,
        typical_hours=18.0,
        typical_gone_by_day=2.0,
        closed=4,
        open=1,
        timed=4,
    )
    # The day the last episode ended on: it may still be felt that day ("until", not "gone by").
    assert (
        summary_sentence(headache) == "Headache after 5 of 6 courses, typically lasting until day 2"
    )
    # One course's episode is an observation, not what is typical.
    assert summary_sentence(chills) == "Chills after 1 of 6 courses, until day 0"


def test_a_sentence_without_a_known_end():
    never_closed = SymptomOverview("fatigue", "Tiredness", 1, 1, 5, None, None, 0, 1)
    assert summary_sentence(never_closed) == "Tiredness after 1 of 1 course"
    halfway = SymptomOverview("headache", "Headache", 4, 2, 5, 30.0, 1.5, 2, 0)
    assert (
        summary_sentence(halfway) == "Headache after 2 of 4 courses, typically lasting until day 2"
    )
    # Two courses with it, one of them never marked as ended: one closed episode, no "typically".
    one_closed = SymptomOverview("headache", "Headache", 3, 2, 5, 30.0, 3.0, 1, 1)
    assert summary_sentence(one_closed) == "Headache after 2 of 3 courses, until day 3"


def test_rate_bands():
    assert [band.key for band in RATE_BANDS] == ["under-2", "2-4", "4-6", "6-up"]
    assert rate_band(None) is None
    assert rate_band(Decimal("0.5")).key == "under-2"
    assert rate_band(Decimal("1.9")).key == "under-2"
    assert rate_band(Decimal("2")).key == "2-4"  # the lower bound is in the band
    assert rate_band(Decimal("5.9")).key == "4-6"
    assert rate_band(Decimal("6")).key == "6-up"
    assert rate_band(Decimal("12")).key == "6-up"


def test_nothing_to_compare(patient):
    found = comparison_for(patient, *PERIOD)
    assert found.courses == 0 and found.by_product == found.by_rate == found.by_premedication == []


def test_reactions_during_the_infusions_are_compared_by_rate(patient, six_courses):
    """Chills during the infusion of the two courses given up to 5 mL/kg/h (worst 4) and of the
    one up to 6 (worst 2); severity 0 counts as not felt; another diary's never counts."""
    from infusions.models import Infusion, InfusionReaction

    one, two, three, four, five, six = six_courses
    day = {i.date: i for i in Infusion.objects.filter(patient=patient)}
    InfusionReaction.objects.create(infusion=day[two], symptom="chills", severity=4)
    InfusionReaction.objects.create(infusion=day[two], symptom="chills", severity=2)
    InfusionReaction.objects.create(infusion=day[three], symptom="chills", severity=3)
    InfusionReaction.objects.create(infusion=day[five], symptom="chills", severity=2)
    InfusionReaction.objects.create(infusion=day[four], symptom="itching", severity=0)
    other = Infusion.objects.exclude(patient=patient).first()
    InfusionReaction.objects.create(infusion=other, symptom="chills", severity=9)
    found = comparison_for(patient, *PERIOD)
    reactions = {g.key: [(r.label, r.with_it, r.courses, r.worst) for r in g.reactions]
                 for g in found.by_rate}  # fmt: skip
    assert reactions == {
        "under-2": [],
        "2-4": [],
        "4-6": [("Chills", 2, 2, 4)],
        "6-up": [("Chills", 1, 1, 2)],
        NO_RATE: [],
    }


def test_a_course_given_this_morning_is_not_yet_a_course_without_it(patient):
    """Headache after both courses so far; the third was given this morning (NOW is 12:00,
    23 Nov): "after 2 of 2", not "2 of 3", until three days have passed or it has one."""
    for first in (dt.date(2026, 9, 28), dt.date(2026, 10, 26)):
        given(patient, first, "Privigen")
        felt(patient, first, "headache", 5, (1, 10), (1, 20))
    InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 23), start_time=dt.time(8), end_time=dt.time(11)
    )
    period = (dt.date(2026, 9, 1), dt.date(2026, 11, 23))
    courses = cycles_for(patient, *period)
    [headache] = side_effect_overview(courses)
    assert (headache.courses, headache.with_it) == (2, 2)
    # Three days after it ended, a course with nothing logged counts as one without it.
    later = dt.datetime(2026, 11, 26, 11, 1, tzinfo=dt.UTC)
    assert side_effect_overview(courses, now=later)[0].courses == 3
    # Chills logged after it already: it counts for chills at once, not yet for headache (a
    # quick log on the evening of day 0 does not make it a course "without a headache").
    felt(patient, dt.date(2026, 11, 23), "chills", 3, (0, 11), (0, 12))
    overview = side_effect_overview(cycles_for(patient, *period))
    assert {o.label: (o.with_it, o.courses) for o in overview} == {
        "Headache": (2, 2),
        "Chills": (1, 3),
    }


def test_an_open_episode_does_not_hide_the_course_s_finished_one(patient):
    """Courses with a finished headache of 35 h and 20 h: typically 27.5 h. A new headache
    logged now in the second course (still going) leaves that: the course's finished 20 h
    episode still counts, and the open one is said apart."""
    first, second = dt.date(2026, 10, 12), dt.date(2026, 11, 9)
    given(patient, first, "Privigen")
    felt(patient, first, "headache", 6, (1, 9), (2, 20))  # 35 h
    given(patient, second, "Privigen")
    felt(patient, second, "headache", 5, (1, 9), (2, 5))  # 20 h
    period = (dt.date(2026, 10, 1), dt.date(2026, 11, 23))
    [before] = side_effect_overview(cycles_for(patient, *period))
    assert (before.typical_hours, before.timed, before.open) == (27.5, 2, 0)
    entries.save(SymptomEntry(patient=patient, symptom="headache", severity=4, onset=NOW), None)
    [after] = side_effect_overview(cycles_for(patient, *period))
    assert (after.typical_hours, after.timed, after.open) == (27.5, 2, 1)


def test_a_rate_is_banded_before_it_is_rounded(db):
    """68 kg, Privigen 10 %: 135 mL/h is 1.985 mL/kg/h, under 2 (shown as 2.0); 1.96 mL/kg/h
    is under 2; 6.6 mg/kg/min is 3.96 mL/kg/h, 2 to under 4 (shown as 4.0). Banded after
    rounding to 0.1, each went one band up."""
    patient = PatientFactory()
    for first, (rate, unit) in zip(
        (dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 3, 2)),
        (("135", "mL/h"), ("1.96", "mL/kg/h"), ("6.6", "mg/kg/min")),
        strict=True,
    ):
        infusion = InfusionFactory(patient=patient, date=first, start_time=dt.time(9))
        RateStep.objects.create(
            infusion=infusion, minutes_from_start=0, rate=Decimal(rate), unit=unit
        )
    found = comparison_for(patient, *PERIOD)
    assert [(g.key, g.courses) for g in found.by_rate] == [("under-2", 2), ("2-4", 1)]
    shown = [c.highest_rate_ml_per_kg_h for c in cycles_for(patient, *PERIOD)]
    assert shown == [Decimal("2.0"), Decimal("2.0"), Decimal("4.0")]
