"""Page 1 of the report at the edges of its period: a course the period cuts, side effects of a
course given before it, a plan that ended in it (found by a review: the report contradicted
itself, or left a headache of the period out of every report)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string

from diary import entries
from diary.models import SymptomEntry
from infusions.models import InfusionReaction
from reports import document, preferences, sections

from .factories import InfusionFactory, RegimenFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def infusion(patient, day, grams="35"):
    return InfusionFactory(
        patient=patient,
        date=day,
        start_time=dt.time(9),
        end_time=dt.time(13),
        dose_g=Decimal(grams),
    )


def local(*parts):
    return dt.datetime(*parts, tzinfo=LONDON)


def headache(patient, owner, severity, onset, ended):
    entry = SymptomEntry(
        patient=patient, symptom="headache", severity=severity, onset=onset, ended_at=ended
    )
    entries.save(entry, owner)
    return entry


def html_of(patient, since, until, parts):
    context = document.template_context(patient, since, until, parts, for_pdf=False)
    return " ".join(render_to_string("reports/_document.html", context).split())


def test_side_effects_that_began_in_the_period_after_a_course_given_before_it_are_on_page_1(
    patient, owner
):
    """The last report was made on 5 Apr, after the course of 1 Apr; a severe headache of 6-8
    Apr is on this report's page 1 and under that course, and the headache of 2 Apr (on the
    last report) is not counted again."""
    infusion(patient, dt.date(2026, 4, 1))
    infusion(patient, dt.date(2026, 4, 29))
    preferences.record_made(
        patient, dt.date(2026, 1, 6), dt.date(2026, 4, 5), owner, made_at=local(2026, 4, 5, 10)
    )
    since, until = preferences.period_for(patient, dt.date(2026, 5, 20), "since_last")
    assert since == dt.date(2026, 4, 5)
    headache(patient, owner, 9, local(2026, 4, 2, 10), local(2026, 4, 2, 20))  # last report's
    headache(patient, owner, 8, local(2026, 4, 6, 10), local(2026, 4, 8, 10))

    doc = document.build(patient, since, until, [sections.SIDE_EFFECTS])

    [line] = doc.side_effects
    assert line.sentence.startswith("Headache after 1 of 2 courses")
    assert line.worst.startswith("8")  # not the 9 of 2 Apr, before the period
    first, second = doc.course_effects
    assert first.cycle.start_date == dt.date(2026, 4, 1) and not first.cycle.course_in_period
    [effect] = first.effects
    assert (effect.worst, effect.entries, effect.hours) == (8, 1, 48)
    assert second.cycle.start_date == dt.date(2026, 4, 29) and second.effects == []
    text = html_of(patient, since, until, [sections.SIDE_EFFECTS])
    assert "After the course of 1 Apr 2026 (begun before this period; what began in it):" in text
    assert (
        "Also counted: the course of 1 Apr 2026, begun before this period, with what began in "
        "the period." in text
    )
    assert doc.side_effects_begun_before == ["1 Apr 2026"]


def test_side_effects_after_the_period_are_not_on_it(patient, owner):
    """Courses of 1 and 29 Apr, a report of 5-10 Apr: a headache of 15 Apr (after the period)
    of the course begun before it is on no page of that report."""
    infusion(patient, dt.date(2026, 4, 1))
    infusion(patient, dt.date(2026, 4, 29))
    headache(patient, owner, 8, local(2026, 4, 15, 10), local(2026, 4, 15, 20))
    doc = document.build(patient, dt.date(2026, 4, 5), dt.date(2026, 4, 10), ["side_effects"])
    assert doc.side_effects == [] and doc.course_effects == []
    assert doc.side_effects_begun_before == []


def test_a_course_given_before_the_period_with_nothing_in_it_is_left_out(patient, owner):
    infusion(patient, dt.date(2026, 4, 1))
    infusion(patient, dt.date(2026, 4, 29))
    headache(patient, owner, 9, local(2026, 4, 2, 10), local(2026, 4, 2, 20))
    doc = document.build(patient, dt.date(2026, 4, 5), dt.date(2026, 5, 20), ["side_effects"])
    assert doc.side_effects == []
    assert [c.cycle.start_date for c in doc.course_effects] == [dt.date(2026, 4, 29)]


def test_a_course_the_period_cuts_counts_its_days_in_the_period(patient, owner):
    """A course of 31 Mar and 1 Apr, a report from 1 Apr: page 1 counts the one day in the
    period (and its reaction), as the list of every infusion day does; the dose per course is
    still the whole course's."""
    infusion(patient, dt.date(2026, 3, 31))
    day_2 = infusion(patient, dt.date(2026, 4, 1))
    InfusionReaction.objects.create(infusion=day_2, symptom="chills", severity=6, action="slowed")
    infusion(patient, dt.date(2026, 4, 28))
    infusion(patient, dt.date(2026, 4, 29))

    doc = document.build(patient, dt.date(2026, 4, 1), dt.date(2026, 4, 28), ["infusions"])

    assert [row.infusion.date for row in doc.infusion_rows] == [
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 28),
    ]
    totals = doc.infusions
    assert (totals.courses, totals.days, totals.grams, totals.cut) == (2, 2, Decimal(70), 2)
    assert totals.per_course.startswith("70 g")
    [reaction] = doc.reactions
    assert reaction.day == dt.date(2026, 4, 1) and reaction.text.startswith("Chills 6")
    text = html_of(patient, dt.date(2026, 4, 1), dt.date(2026, 4, 28), [])
    assert "2 courses (2 cut by the period: only their days in the period count), 2 days" in text


def test_a_cut_course_takes_the_course_s_weight_for_its_day_without_one(patient, owner):
    """Day 1 (31 Mar, before the period) has 70 kg; day 2 (1 Apr) none and 140 mL/h: page 1
    gives 2 mL/kg/h, as the cycle table does, not 'left out'."""
    from infusions.models import RateStep

    first = infusion(patient, dt.date(2026, 3, 31))
    first.weight_kg = Decimal(70)
    first.save()
    day_2 = infusion(patient, dt.date(2026, 4, 1))
    day_2.weight_kg = None
    day_2.save()
    RateStep.objects.create(infusion=day_2, minutes_from_start=30, rate="140", unit="mL/h")
    totals = document.build(patient, dt.date(2026, 4, 1), dt.date(2026, 4, 20), []).infusions
    assert (totals.days, totals.cut, totals.highest_rate) == (1, 1, Decimal("2.0"))
    assert totals.rate_steps_left_out == 0


def test_no_cycle_chart_on_page_1_without_a_reading_in_the_period(patient, owner):
    from diary.models import Measure

    patient.conditions = ["mg"]
    patient.save()
    infusion(patient, dt.date(2026, 4, 1))
    infusion(patient, dt.date(2026, 4, 29))
    for day, value in ((dt.date(2026, 4, 1), 8), (dt.date(2026, 4, 14), 4)):
        entries.save(
            Measure(
                patient=patient,
                kind="mgadl",
                value=value,
                measured_at=local(*day.timetuple()[:3], 8),
            ),
            owner,
        )
    one_day = document.build(patient, dt.date(2026, 4, 10), dt.date(2026, 4, 10), [])
    assert one_day.measures == [] and one_day.main_chart is None
    whole = document.build(patient, dt.date(2026, 4, 1), dt.date(2026, 4, 20), [])
    assert whole.main_chart is not None


def test_whole_courses_are_counted_whole(patient, owner):
    for day in (dt.date(2026, 4, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 29)):
        infusion(patient, day)
    totals = document.build(patient, dt.date(2026, 3, 20), dt.date(2026, 5, 20), []).infusions
    assert (totals.courses, totals.days, totals.grams, totals.cut) == (2, 3, Decimal(105), 0)


def test_a_plan_that_ended_in_the_period_is_not_shown_as_current(patient):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 4, 10))
    summary = document._plan(patient, dt.date(2026, 3, 16), dt.date(2026, 6, 15))
    assert summary.ended_on == dt.date(2026, 4, 10)
    text = html_of(patient, dt.date(2026, 3, 16), dt.date(2026, 6, 15), [])
    assert "Ended on 10 Apr 2026: no plan in force at the end of the period." in text
    # Still in force on the period's last day: not "ended".
    assert document._plan(patient, dt.date(2026, 3, 16), dt.date(2026, 4, 10)).ended_on is None


def test_a_custom_measure_is_one_line_per_unit_and_one_name_however_typed(patient, owner):
    from diary.models import Measure

    infusion(patient, dt.date(2026, 4, 1))
    for when, name, value, unit in [
        (local(2026, 4, 3, 10), "Pinch", 60, "kg"),
        (local(2026, 4, 10, 10), "pinch ", 62, "Kg"),
        (local(2026, 4, 11, 10), "Pinch", 132, "lb"),
        (local(2026, 4, 12, 10), "Peak  flow", 400, "L/min"),
        (local(2026, 4, 13, 10), "peak flow", 420, "L/min"),
    ]:
        entries.save(
            Measure(
                patient=patient, kind="custom", name=name, unit=unit, value=value, measured_at=when
            ),
            owner,
        )
    doc = document.build(patient, dt.date(2026, 4, 1), dt.date(2026, 4, 28), [])
    lines = {line.label: line.readings for line in doc.measures}
    assert lines == {"Peak flow": 2, "Pinch (Kg)": 2, "Pinch (lb)": 1}


def test_an_own_words_side_effect_starts_its_sentence_with_a_capital(patient, owner):
    infusion(patient, dt.date(2026, 4, 1))
    entries.save(
        SymptomEntry(
            patient=patient,
            symptom=SymptomEntry.OTHER,
            custom_symptom="aching  legs",
            severity=4,
            onset=local(2026, 4, 2, 10),
            ended_at=local(2026, 4, 2, 20),
        ),
        owner,
    )
    doc = document.build(patient, dt.date(2026, 4, 1), dt.date(2026, 4, 28), [])
    assert doc.side_effects[0].sentence.startswith("Aching legs after 1 of 1 course")


def test_a_one_day_period_is_named_once_and_custom_dates_in_plain_words(patient, owner_client):
    from django.urls import reverse

    day = "2026-04-01"
    url = reverse("reports:report", args=[patient.public_id])
    page = owner_client.get(
        url, {"period": "custom", "custom_from": day, "custom_to": day, "parts": ["cycles"]}
    )
    text = " ".join(page.content.decode().split())
    assert "1 Apr 2026 – 1 Apr 2026" not in text
    assert "<strong>1 Apr 2026</strong> (dates chosen)." in text


def test_the_date_boxes_show_the_period_shown_unless_it_is_the_dates_chosen(
    patient, owner, owner_client
):
    from django.urls import reverse

    url = reverse("reports:report", args=[patient.public_id])
    preferences.remember(
        patient,
        owner,
        period="custom",
        parts=[],
        custom_from=dt.date(2026, 4, 1),
        custom_to=dt.date(2026, 4, 1),
    )
    form = owner_client.get(url).context["form"]
    assert (form.initial["custom_from"], form.initial["custom_to"]) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 1),
    )
    preferences.remember(
        patient,
        owner,
        period="3m",
        parts=[],
        custom_from=dt.date(2026, 4, 1),
        custom_to=dt.date(2026, 4, 1),
    )
    form = owner_client.get(url).context["form"]
    assert (form.initial["custom_from"], form.initial["custom_to"]) == (
        dt.date(2026, 2, 21),
        dt.date(2026, 5, 20),
    )
