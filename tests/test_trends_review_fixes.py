"""Trends findings of a review, fixed:

* side effects logged before the first course are on the timeline (drawn and counted);
* a side effect in the patient's own words is matched to its choice by ``symptom_key``, so
  "Sore  arm" (two spaces) or "sore ARM" has its cycle view;
* an episode ended at exactly local midnight is over by the day before, in the sentence and in
  the severity-by-day chart alike (one rule, ``cycles.last_day``), at a DST change too;
* a custom measure logged in two units keeps the latest unit's readings on its line, as grip
  does, and shows that unit.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import Measure, SymptomEntry, SymptomReading
from reports import comparison, cycles, trends

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 15)
SINCE = dt.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _infusion(patient, day: dt.date):
    return InfusionFactory(patient=patient, date=day, start_time=dt.time(9), end_time=dt.time(13))


def _local(*args, zone=LONDON) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def _effect(patient, user, onset, ended_at, *, symptom="headache", custom="", severity=5):
    entry = SymptomEntry(
        patient=patient,
        symptom=symptom,
        custom_symptom=custom,
        severity=severity,
        onset=onset,
        ended_at=ended_at,
    )
    entries.save(entry, user)
    return entry


def _measure(patient, user, when, value, *, name="Pinch", unit=""):
    entries.save(
        Measure(
            patient=patient, kind="custom", name=name, unit=unit, value=value, measured_at=when
        ),
        user,
    )


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _url(patient, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("reports:trends", args=[patient.public_id]) + (f"?{query}" if query else "")


# --- side effects before the first course -----------------------------------------------------


def test_the_timeline_counts_side_effects_logged_before_the_first_course(
    patient, owner, owner_client
):
    _effect(patient, owner, _local(2026, 4, 2, 10), _local(2026, 4, 3, 10), severity=7)
    _infusion(patient, dt.date(2026, 4, 20))
    text = _text(owner_client.get(_url(patient)))
    assert "1 infusion day; side effects on 2 days, most often headache." in text
    assert "no side effects logged" not in text
    # "All" starts the timeline on the first day with anything on it: that headache.
    data = trends.load(patient, trends.EARLIEST, TODAY)
    assert data.first_day() == dt.date(2026, 4, 2)
    text = _text(owner_client.get(_url(patient, period="all")))
    assert "1 infusion day; side effects on 2 days, most often headache." in text


def test_only_side_effects_before_the_first_course_still_leave_the_cycles_empty(
    patient, owner, owner_client
):
    """The cycle view and the course's card cannot place it on a cycle day: they show none,
    and the comparison says none followed the course, which is true."""
    _effect(patient, owner, _local(2026, 4, 2, 10), _local(2026, 4, 3, 10), severity=7)
    _infusion(patient, dt.date(2026, 4, 20))
    data = trends.load(patient, SINCE, TODAY)
    assert [e.pk for e in data.unlinked_symptoms] and not data.cycles[0].side_effects
    assert not [c for c in trends.choices(data) if c.is_effect]


# --- a baseline reading before the first course (a browser pass) ------------------------------


def _mgadl(patient, user, when, value):
    entries.save(Measure(patient=patient, kind="mgadl", value=value, measured_at=when), user)


def test_the_timeline_shows_the_baseline_taken_before_the_first_course(
    patient, owner, owner_client
):
    """The score before treatment began belongs to no cycle, but it is the reading the report
    and the measures page start from: "All" began on its day and then left it out."""
    _mgadl(patient, owner, _local(2026, 3, 29, 9), 9)
    _infusion(patient, dt.date(2026, 4, 1))
    _mgadl(patient, owner, _local(2026, 4, 6, 9), 6)
    _infusion(patient, dt.date(2026, 4, 29))
    _mgadl(patient, owner, _local(2026, 5, 20, 9), 8)
    page = owner_client.get(_url(patient, period="all", show="mgadl")).content.decode()
    text = _text(owner_client.get(_url(patient, period="all", show="mgadl")))
    assert "MG-ADL (0-24) 9 on 29 Mar, 8 on 20 May." in text, text
    # In the table alternative too: one row for the baseline's day, once.
    assert len(re.findall(r"<t[hd][^>]*>\s*29 Mar 2026\s*</t[hd]>", page)) == 1, page


def test_the_baseline_is_on_the_timeline_in_the_default_period_too(patient, owner, owner_client):
    _mgadl(patient, owner, _local(2026, 3, 29, 9), 9)
    _infusion(patient, dt.date(2026, 4, 1))
    _mgadl(patient, owner, _local(2026, 4, 6, 9), 6)
    text = _text(owner_client.get(_url(patient, show="mgadl")))  # 3 months: from 16 Mar
    assert "MG-ADL (0-24) 9 on 29 Mar, 6 on 6 Apr." in text, text


def test_every_reading_before_the_first_course_is_on_the_timeline(patient, owner, owner_client):
    """A reviewer's case: two scores before treatment; the cycle view keeps only the last as
    the first cycle's "before", but the timeline shows both, the first one first."""
    _mgadl(patient, owner, _local(2026, 3, 20, 9), 12)
    _mgadl(patient, owner, _local(2026, 3, 29, 9), 9)
    _infusion(patient, dt.date(2026, 4, 1))
    _mgadl(patient, owner, _local(2026, 4, 6, 9), 6)
    page = owner_client.get(_url(patient, period="all", show="mgadl")).content.decode()
    text = _text(owner_client.get(_url(patient, period="all", show="mgadl")))
    assert "20 Mar 2026 to 15 Jun 2026" in text
    assert "MG-ADL (0-24) 12 on 20 Mar, 6 on 6 Apr." in text, text
    for day in ("20 Mar 2026", "29 Mar 2026", "6 Apr 2026"):
        assert len(re.findall(rf"<t[hd][^>]*>\s*{day}\s*</t[hd]>", page)) == 1, day


def test_a_period_after_the_baseline_does_not_show_it(patient, owner, owner_client):
    """The reading before the period's first cycle (here the earlier course's) is kept for
    the cycle view, but the timeline shows only the period's own days."""
    _mgadl(patient, owner, _local(2026, 3, 29, 9), 9)
    _infusion(patient, dt.date(2026, 4, 1))
    _mgadl(patient, owner, _local(2026, 4, 6, 9), 6)
    _infusion(patient, dt.date(2026, 4, 29))
    _mgadl(patient, owner, _local(2026, 5, 20, 9), 8)
    text = _text(owner_client.get(_url(patient, period="1", show="mgadl")))
    assert "MG-ADL (0-24) 8 on 20 May." in text, text
    assert "29 Mar" not in text and "6 Apr" not in text


# --- "other" side effects, however typed -------------------------------------------------------


@pytest.mark.parametrize("typed", ["Sore  arm", "sore ARM ", "  Sore\tarm", "Sore arm"], ids=repr)
def test_an_other_side_effect_has_its_cycle_view_however_spaced_or_cased(patient, owner, typed):
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    _effect(
        patient,
        owner,
        _local(2026, 4, 2, 10),
        _local(2026, 4, 3, 10),
        symptom="other",
        custom=typed,
    )
    data = trends.load(patient, SINCE, TODAY)
    (choice,) = [c for c in trends.choices(data) if c.is_effect]
    assert choice.key == "effect:other:sore arm"
    via_trends = trends.symptom_series(data, choice.symptom, custom=choice.custom)
    via_cycles = cycles.symptom_series(patient, SINCE, TODAY, choice.symptom, custom=choice.custom)
    assert via_trends == via_cycles
    assert [p.day for p in via_trends[0].points] == [1, 2]


def test_other_side_effects_spelled_apart_are_one_choice_with_one_cycle_view(patient, owner):
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    for onset, typed, severity in (
        (_local(2026, 4, 2, 10), "Sore  Ärm", 5),
        (_local(2026, 5, 3, 10), "sore ärm ", 6),
        (_local(2026, 5, 4, 10), "Sore", 9),  # another side effect
    ):
        _effect(
            patient,
            owner,
            onset,
            onset + dt.timedelta(hours=2),
            symptom="other",
            custom=typed,
            severity=severity,
        )
    data = trends.load(patient, SINCE, TODAY)
    effects = {c.key: c for c in trends.choices(data) if c.is_effect}
    assert set(effects) == {"effect:other:sore ärm", "effect:other:sore"}
    choice = effects["effect:other:sore ärm"]
    # Non-ASCII case too (SQL's case-insensitive match folds only ASCII).
    for series in (
        trends.symptom_series(data, choice.symptom, custom=choice.custom),
        cycles.symptom_series(patient, SINCE, TODAY, choice.symptom, custom=choice.custom),
    ):
        assert [[(p.day, p.value) for p in one.points] for one in series] == [[(1, 5)], [(4, 6)]]


# --- an end at midnight -----------------------------------------------------------------------


def _gone_by(patient) -> tuple[int | None, dict[dt.date, int], str]:
    data = trends.load(patient, dt.date(2026, 3, 1), TODAY)
    effect = data.cycles[0].side_effects[0]
    row = data.symptoms[data.cycles[0].course_id][0]
    sentence = comparison.summary_sentence(comparison.side_effect_overview(data.in_period)[0])
    return effect.gone_by_day, cycles.daily_severity(row), sentence


def test_a_side_effect_ended_at_midnight_is_gone_by_the_day_before(patient, owner):
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    _effect(patient, owner, _local(2026, 4, 2, 10), _local(2026, 4, 4, 0, 0))
    gone_by, days, sentence = _gone_by(patient)
    assert gone_by == 2
    assert days == {dt.date(2026, 4, 2): 5, dt.date(2026, 4, 3): 5}
    assert "until day 2" in sentence
    data = trends.load(patient, dt.date(2026, 3, 1), TODAY)
    lines, _median = trends.severity_by_day(trends.symptom_series(data, "headache"))
    assert max(day for day, value in lines[0] if value) == gone_by


def test_a_side_effect_with_readings_ended_at_midnight_is_gone_by_the_day_before(patient, owner):
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    entry = _effect(patient, owner, _local(2026, 4, 2, 10), _local(2026, 4, 4, 0, 0))
    SymptomReading.objects.create(entry=entry, at=_local(2026, 4, 3, 12), severity=8)
    gone_by, days, _sentence = _gone_by(patient)
    assert gone_by == 2
    assert days == {dt.date(2026, 4, 2): 5, dt.date(2026, 4, 3): 8}


def test_a_side_effect_ended_a_minute_after_midnight_counts_that_day(patient, owner):
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    _effect(patient, owner, _local(2026, 4, 2, 10), _local(2026, 4, 4, 0, 1))
    gone_by, days, _sentence = _gone_by(patient)
    assert gone_by == 3 and max(days) == dt.date(2026, 4, 4)


def test_midnight_after_a_dst_change_is_the_end_of_the_day_before(patient, owner):
    # London springs forward on 29 March 2026: that day has 23 hours.
    _infusion(patient, dt.date(2026, 3, 27))
    _infusion(patient, dt.date(2026, 4, 24))
    _effect(patient, owner, _local(2026, 3, 28, 22), _local(2026, 3, 30, 0, 0))
    gone_by, days, _sentence = _gone_by(patient)
    assert gone_by == 2
    assert sorted(days) == [dt.date(2026, 3, 28), dt.date(2026, 3, 29)]


@pytest.mark.parametrize(
    ("zone", "end_utc", "last"),
    [
        # Santiago springs forward at midnight: 6 Sep 2026 begins at 01:00 (04:00 UTC).
        ("America/Santiago", dt.datetime(2026, 9, 6, 4, 0), dt.date(2026, 9, 5)),
        ("America/Santiago", dt.datetime(2026, 9, 6, 4, 1), dt.date(2026, 9, 6)),
        # Havana falls back at 01:00 on 1 Nov 2026: midnight comes once (04:00 UTC) and
        # 00:00-01:00 then comes again; an end at the second 00:00 is an hour into the day.
        ("America/Havana", dt.datetime(2026, 11, 1, 4, 0), dt.date(2026, 10, 31)),
        ("America/Havana", dt.datetime(2026, 11, 1, 5, 0), dt.date(2026, 11, 1)),
        # Beirut springs forward at midnight too (29 Mar 2026 begins at 01:00, 22:00 UTC).
        ("Asia/Beirut", dt.datetime(2026, 3, 28, 22, 0), dt.date(2026, 3, 28)),
    ],
)
def test_the_last_day_touched_around_a_dst_change_at_midnight(zone, end_utc, last):
    tz = ZoneInfo(zone)
    end = end_utc.replace(tzinfo=dt.UTC)
    onset = end - dt.timedelta(hours=30)
    assert cycles.last_day(onset, end, tz) == last


def test_an_episode_within_one_day_or_of_no_time_touches_its_onset_day():
    midnight = _local(2026, 4, 4, 0, 0)
    assert cycles.last_day(midnight, midnight, LONDON) == dt.date(2026, 4, 4)
    evening = _local(2026, 4, 3, 23, 0)
    assert cycles.last_day(evening, midnight, LONDON) == dt.date(2026, 4, 3)


def test_midnight_is_read_in_the_zone_the_entry_was_logged_in(patient, owner):
    """Logged in New York, where 00:00 is 05:00 in London: the entry's own midnight counts,
    whatever the diary's zone is later."""
    new_york = ZoneInfo("America/New_York")
    patient.time_zone = "America/New_York"
    patient.save()
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    _effect(
        patient,
        owner,
        _local(2026, 4, 2, 10, zone=new_york),
        _local(2026, 4, 4, 0, 0, zone=new_york),
    )
    patient.time_zone = "Europe/London"
    patient.save()
    gone_by, days, _sentence = _gone_by(patient)
    assert gone_by == 2 and max(days) == dt.date(2026, 4, 3)


# --- a custom measure in two units --------------------------------------------------------------


@pytest.fixture
def pinch(patient, owner):
    """Pinch strength in kg, then in lb (the latest reading): three courses."""
    for day in (dt.date(2026, 4, 1), dt.date(2026, 4, 29), dt.date(2026, 5, 27)):
        _infusion(patient, day)
    for when, value, unit in (
        (_local(2026, 4, 3, 10), 60, "kg"),
        (_local(2026, 4, 10, 10), 132, "lb"),
        (_local(2026, 5, 1, 10), 61, "kg"),
        (_local(2026, 5, 8, 10), 135, "lb"),
    ):
        _measure(patient, owner, when, value, unit=unit)


def _custom_series(patient):
    data = trends.load(patient, SINCE, TODAY)
    (choice,) = [c for c in trends.choices(data) if c.kind == "custom"]
    return choice, trends.series_for(data, choice)


def test_a_custom_measure_in_two_units_keeps_the_latest_units_readings(patient, pinch):
    choice, series = _custom_series(patient)
    assert [s.unit for s in series] == ["lb", "lb", "lb"]
    assert [(p.value, p.unit) for s in series for p in s.points] == [
        (Decimal(132), "lb"),
        (Decimal(135), "lb"),
    ]
    assert series == cycles.cycle_series(patient, SINCE, TODAY, "custom", name=choice.name)


def test_a_custom_measures_unit_is_on_the_chart_and_the_cards(patient, pinch, owner_client):
    text = _text(owner_client.get(_url(patient, show="custom:pinch")))
    assert "Pinch (lb)" in text  # the axis
    assert "Pinch before the course 132 lb" in text  # the cards
    assert "Pinch before the course 135 lb" in text
    assert "60 kg" not in text and "61 kg" not in text


def test_a_custom_measures_unit_matches_whatever_its_case_or_spaces(patient, owner):
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    _measure(patient, owner, _local(2026, 4, 3, 10), 410, name="Peak  flow", unit="L/min")
    _measure(patient, owner, _local(2026, 4, 10, 10), 420, name="peak flow", unit=" l/MIN")
    _measure(patient, owner, _local(2026, 4, 17, 10), 430, name="Peak flow", unit="L/min")
    choice, series = _custom_series(patient)
    assert (choice.key, choice.label) == ("custom:peak flow", "Peak flow")
    assert series[0].unit == "L/min"
    assert [p.value for p in series[0].points] == [410, 420, 430]
    assert series == cycles.cycle_series(patient, SINCE, TODAY, "custom", name="PEAK flow ")


def test_a_custom_measure_without_a_unit_shows_none(patient, owner, owner_client):
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    for day, value in ((3, 4), (10, 6)):
        _measure(patient, owner, _local(2026, 4, day, 10), value, name="Stairs climbed")
    _choice, series = _custom_series(patient)
    assert series[0].unit == "" and [p.value for p in series[0].points] == [4, 6]
    text = _text(owner_client.get(_url(patient, show="custom:stairs climbed")))
    assert "Stairs climbed ()" not in text
    assert "Stairs climbed before the course 6 At its best" in text


def test_a_custom_measure_last_logged_without_a_unit_keeps_those_readings(patient, owner):
    """A reading without a unit cannot be told to be in the other's: as for any two units,
    the latest reading's (none) is kept."""
    _infusion(patient, dt.date(2026, 4, 1))
    _infusion(patient, dt.date(2026, 4, 29))
    _measure(patient, owner, _local(2026, 4, 3, 10), 60, unit="kg")
    _measure(patient, owner, _local(2026, 4, 10, 10), 58)
    _choice, series = _custom_series(patient)
    assert series[0].unit == "" and [p.value for p in series[0].points] == [58]
