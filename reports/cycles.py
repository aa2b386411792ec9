"""Treatment cycles summed up, for the trends page, the doctor's report and the exports.

A cycle starts on the first day of a course and ends the day before the next course starts
(clinical.md, "Time and cycles"). Every diary entry already knows its cycle (``course``) and its
day (``day_of_cycle``), set when it was linked in the zone it was logged in: this module groups
by those stored links and never counts days again. So the score taken on the morning of a
course, before the infusion, is the last point of the cycle that ends, and a DST change or a
later change of the diary's zone moves nothing.

Each function takes a patient and local dates (both included), filters by that patient itself
and runs a fixed number of queries whatever the length of the period. The results are plain
dataclasses; wording is for the templates.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.db.models import Q, Subquery, Value
from django.db.models.functions import Coalesce

from clinical import scales
from diary import entries
from diary.models import Measure, SymptomEntry
from infusions.models import Course, Infusion
from infusions.units import RateUnit, highest_rate
from patients.models import Patient

GRIP_SIDES = ("left", "right")
_DAY = dt.timedelta(days=1)


# --- which courses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    course_id: int
    start_date: dt.date
    end_date: dt.date
    cycle_end: dt.date | None  # the day before the next course; None for the current cycle


def _spans(patient: Patient, since: dt.date, until: dt.date) -> tuple[list[_Span], _Span | None]:
    """The courses whose cycles overlap ``since``..``until``, oldest first, and the course just
    before the first of them (None if that first one is the patient's first course).

    One query: from the second-latest course starting on or before ``since`` (the one before
    the cycle ``since`` falls in) up to the first course after ``until`` (where the last
    cycle ends).
    """
    if until < since:
        raise ValueError("The period ends before it starts.")
    courses = Course.objects.filter(patient=patient)
    started_by_since = courses.filter(start_date__lte=since).order_by("-start_date")
    next_after = courses.filter(start_date__gt=until).order_by("start_date")
    rows = list(
        courses.filter(
            start_date__gte=Coalesce(
                Subquery(started_by_since.values("start_date")[1:2]), Value(dt.date.min)
            ),
            start_date__lte=Coalesce(Subquery(next_after.values("start_date")[:1]), Value(until)),
        )
        .order_by("start_date")
        .values_list("pk", "start_date", "end_date")
    )
    spans = [
        _Span(pk, start, end, rows[i + 1][1] - _DAY if i + 1 < len(rows) else None)
        for i, (pk, start, end) in enumerate(rows)
    ]
    overlapping = [
        s for s in spans if s.start_date <= until and (s.cycle_end is None or s.cycle_end >= since)
    ]
    if not overlapping:
        return [], None
    first = spans.index(overlapping[0])
    return overlapping, spans[first - 1] if first else None


def _in_spans(spans: Sequence[_Span]) -> Q:
    """Rows linked to one of ``spans`` (consecutive courses): by their courses' start dates, so
    the query does not grow a parameter per course."""
    return Q(
        course__start_date__gte=spans[0].start_date, course__start_date__lte=spans[-1].start_date
    )


# --- the per-cycle summary ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lot:
    number: str
    expiry: dt.date | None


@dataclass(frozen=True)
class Episode:
    """One side-effect entry of the cycle."""

    entry_id: int
    onset: dt.datetime
    onset_day: int | None  # day of the cycle it began on
    worst: int  # its worst severity: the first one or any later reading (1-10)
    # Hours from onset to end. An entry never closed: to its last reading or "still going"
    # confirmation, so it lasted *at least* that long (``open``).
    hours: float
    open: bool
    end_day: int | None  # day of the cycle it ended on (last known going on, if open)


@dataclass
class SideEffectSummary:
    """One side effect over one cycle: every entry of that symptom, taken together."""

    key: str  # the symptom code; "other:<words>" for a symptom typed in the patient's words
    symptom: str  # the symptom code ("other" for typed ones)
    label: str
    worst: int  # the worst severity of any entry, later readings included
    entries: int
    # The longest episode, in hours. ``open``: an entry was never closed, so the longest may
    # have lasted longer: show "at least N h".
    hours: float
    open: bool
    gone_by_day: int | None  # the day of the cycle the last episode ended; None if one is open
    episodes: list[Episode]


@dataclass
class CycleSummary:
    """A course and the cycle it starts: what was given, what followed, what was measured."""

    course_id: int
    start_date: dt.date  # first infusion day (day 0 of the cycle)
    end_date: dt.date  # last infusion day of the course
    cycle_end: dt.date | None  # the day before the next course; None for the current cycle
    course_in_period: bool  # False for a course given before the period whose cycle reaches in
    days_given: int  # infusion days (a late day 2 can make this less than the course's span)
    products: list[str]  # in the order given, each once
    lots: list[Lot]  # each number (with its expiry) once, in the order given
    total_g: Decimal
    # Grams per kg: each day's grams over that day's weight (a day without one takes the
    # course's other weight), per day and summed over the course (comparable with the plan's
    # "dose per course"). None when no weight was recorded for the course.
    daily_g_per_kg: list[Decimal | None]
    dose_g_per_kg: Decimal | None
    # The fastest step of any day, in mL/kg/h whatever unit each step was logged in. Steps that
    # cannot be converted (mL/h with no weight) are left out and counted.
    highest_rate_ml_per_kg_h: Decimal | None
    rate_steps_left_out: int
    premedication: tuple[str, ...]  # normalised names (see normalise_premedication), sorted
    side_effects: list[SideEffectSummary]  # worst first
    measures: list[Measure]  # every measure of the cycle, oldest first
    infusions: list[Infusion] = field(repr=False)  # the days, with product, lots, steps, premeds

    @property
    def length_days(self) -> int | None:
        """Days from the first infusion to the next course (None for the current cycle)."""
        return (self.cycle_end - self.start_date).days + 1 if self.cycle_end else None

    @property
    def is_current(self) -> bool:
        return self.cycle_end is None


def normalise_premedication(name: str) -> str:
    """One spelling per medicine, so "Paracetamol" and " paracetamol" are one premedication.

    Only case and spacing: brand and generic names (paracetamol, acetaminophen) stay apart,
    since merging them is a clinical judgement the diary does not make.
    """
    return " ".join(name.split()).casefold()


def cycles_for(patient: Patient, since: dt.date, until: dt.date) -> list[CycleSummary]:
    """Every course whose cycle overlaps ``since``..``until`` (local dates, both included),
    oldest first, each with its whole cycle.

    Eight queries at most, whatever the period: the courses, the infusions with their
    products, lots, rate steps and premedications, the side effects with their readings, and
    the measures.
    """
    spans, _previous = _spans(patient, since, until)
    if not spans:
        return []
    in_spans = _in_spans(spans)
    infusions = (
        Infusion.objects.filter(in_spans, patient=patient)
        .select_related("product")
        .prefetch_related("lots", "rate_steps", "premedications")
        .order_by("date", "start_time", "pk")
    )
    symptoms = (
        SymptomEntry.objects.filter(in_spans, patient=patient)
        .prefetch_related("readings")
        .order_by("onset", "pk")
    )
    measures = Measure.objects.filter(in_spans, patient=patient).order_by("measured_at", "pk")
    by_course: dict[int, dict[str, list]] = {
        s.course_id: {"infusions": [], "symptoms": [], "measures": []} for s in spans
    }
    for name, rows in (("infusions", infusions), ("symptoms", symptoms), ("measures", measures)):
        for row in rows:
            if row.course_id in by_course:
                by_course[row.course_id][name].append(row)
    return [_summary(patient, span, since, until, **by_course[span.course_id]) for span in spans]


def _summary(
    patient: Patient,
    span: _Span,
    since: dt.date,
    until: dt.date,
    infusions: list[Infusion],
    symptoms: list[SymptomEntry],
    measures: list[Measure],
) -> CycleSummary:
    for infusion in infusions:
        infusion.patient = patient  # its zone falls back to the patient's: no query for it
    weights = [i.weight_kg for i in infusions if i.weight_kg]
    course_weight = weights[-1] if weights else None
    daily = []
    rate = None
    left_out = 0
    for infusion in infusions:
        weight = infusion.weight_kg or course_weight
        daily.append(
            (infusion.dose_g / weight).quantize(Decimal("0.01"), ROUND_HALF_UP) if weight else None
        )
        steps = [(step.rate, step.unit) for step in infusion.rate_steps.all()]
        fastest = highest_rate(
            steps,
            RateUnit.ML_PER_KG_H,
            concentration_percent=infusion.product.concentration_percent,
            weight_kg=weight,
            places=Decimal("0.1"),
        )
        left_out += sum(
            1
            for _rate, unit in steps
            if unit not in RateUnit.values or (unit == RateUnit.ML_PER_H and not weight)
        )
        if fastest is not None and (rate is None or fastest > rate):
            rate = fastest
    dose = (
        sum(daily, Decimal(0)).quantize(Decimal("0.01"))
        if daily and all(d is not None for d in daily)
        else None
    )
    lots = dict.fromkeys(
        Lot(lot.lot_number, lot.expiry) for infusion in infusions for lot in infusion.lots.all()
    )
    return CycleSummary(
        course_id=span.course_id,
        start_date=span.start_date,
        end_date=span.end_date,
        cycle_end=span.cycle_end,
        course_in_period=since <= span.start_date <= until,
        days_given=len({i.date for i in infusions}),
        products=list(dict.fromkeys(str(i.product) for i in infusions)),
        lots=list(lots),
        total_g=sum((i.dose_g for i in infusions), Decimal(0)),
        daily_g_per_kg=daily,
        dose_g_per_kg=dose,
        highest_rate_ml_per_kg_h=rate,
        rate_steps_left_out=left_out,
        premedication=tuple(
            sorted(
                {
                    normalise_premedication(p.name)
                    for infusion in infusions
                    for p in infusion.premedications.all()
                    if p.name.strip()
                }
            )
        ),
        side_effects=side_effects(symptoms),
        measures=measures,
        infusions=infusions,
    )


# --- side effects ---------------------------------------------------------------------------------


def symptom_key(entry: SymptomEntry) -> str:
    """What counts as "the same side effect": its code, or the typed words for "other"."""
    if entry.symptom == SymptomEntry.OTHER:
        return f"{SymptomEntry.OTHER}:{' '.join(entry.custom_symptom.split()).casefold()}"
    return entry.symptom


def worst_of(entry: SymptomEntry) -> int:
    """The entry's worst severity: its first one, the stored peak, or any later reading
    (prefetched)."""
    return max(
        [entry.severity, entry.peak_severity or 0, *(r.severity for r in entry.readings.all())]
    )


def last_known(entry: SymptomEntry) -> tuple[dt.datetime, bool]:
    """When the entry ended, or, never closed, the last time it was known to be going on (its
    latest reading or "still going" confirmation, else its onset); and whether it is open."""
    if entry.ended_at is not None:
        return entry.ended_at, False
    moments = [entry.onset, *(r.at for r in entry.readings.all())]
    if entry.still_going_at is not None:
        moments.append(entry.still_going_at)
    return max(moments), True


def _day_of_cycle(entry: SymptomEntry, moment: dt.datetime) -> int | None:
    """The day of the cycle of ``moment``, counted like the entry's own day: local calendar
    days in the zone the entry was logged in."""
    if entry.day_of_cycle is None:
        return None
    onset_date = entry.local_date or entries.local_date(entry, entry.onset)
    return entry.day_of_cycle + (entries.local_date(entry, moment) - onset_date).days


def episode(entry: SymptomEntry) -> Episode:
    end, is_open = last_known(entry)
    return Episode(
        entry_id=entry.pk,
        onset=entry.onset,
        onset_day=entry.day_of_cycle,
        worst=worst_of(entry),
        hours=max(0.0, (end - entry.onset).total_seconds() / 3600),
        open=is_open,
        end_day=_day_of_cycle(entry, end),
    )


def side_effects(symptoms: Iterable[SymptomEntry]) -> list[SideEffectSummary]:
    """The entries (readings prefetched) taken together per side effect, worst first.

    An entry whose every severity is 0 records that the sign was *not* present
    (clinical.md), so it is left out.
    """
    groups: dict[str, list[SymptomEntry]] = {}
    for entry in symptoms:
        if worst_of(entry) > 0:
            groups.setdefault(symptom_key(entry), []).append(entry)
    summaries = []
    for key, group in groups.items():
        episodes = [episode(e) for e in group]
        is_open = any(e.open for e in episodes)
        end_days = [e.end_day for e in episodes if e.end_day is not None]
        summaries.append(
            SideEffectSummary(
                key=key,
                symptom=group[0].symptom,
                label=str(group[0].label),
                worst=max(e.worst for e in episodes),
                entries=len(group),
                hours=max(e.hours for e in episodes),
                open=is_open,
                gone_by_day=max(end_days) if end_days and not is_open else None,
                episodes=episodes,
            )
        )
    return sorted(summaries, key=lambda s: (-s.worst, -s.entries, s.label.casefold()))


# --- cycle alignment: a measure -------------------------------------------------------------------


@dataclass(frozen=True)
class CyclePoint:
    """One reading placed on its cycle's days."""

    day: int | None  # day of the cycle (None for a baseline logged before the first course)
    value: Decimal  # the number shown: MG-ADL or INCAT total, one hand's grip, ...
    at: dt.datetime
    measure_id: int
    unit: str = ""
    incat: scales.IncatScore | None = None  # INCAT's arm and leg grades, for the adjusted rule


@dataclass
class CycleSeries:
    """One cycle's readings of a measure, for lines overlaid by day of the cycle."""

    course_id: int
    start_date: dt.date
    cycle_end: dt.date | None
    unit: str
    points: list[CyclePoint]  # in time order; the pre-infusion reading of the next course last
    # The last reading before this cycle began: the previous cycle's last point (often the
    # score taken on the morning of this course), or a baseline before the first course.
    before: CyclePoint | None = None

    @property
    def complete(self) -> bool:
        """Whether the next course has started, so nothing more can join this cycle."""
        return self.cycle_end is not None


class _Series(Protocol):
    points: list


@dataclass(frozen=True)
class DayMedian:
    day: int
    value: Decimal
    cycles: int  # how many cycles have a value on that day


def _point(measure: Measure, side: str | None) -> CyclePoint | None:
    value = measure.value_right if side == "right" else measure.value
    if value is None:
        return None
    incat = None
    if measure.kind == Measure.Kind.INCAT:
        try:
            incat = scales.IncatScore.from_answers(measure.answers or {})
        except (KeyError, ValueError):
            incat = None
    return CyclePoint(
        day=measure.day_of_cycle if measure.course_id else None,
        value=Decimal(value),
        at=measure.measured_at,
        measure_id=measure.pk,
        unit=measure.unit,
        incat=incat,
    )


def cycle_series(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    measure_kind: str,
    side: str | None = None,
    *,
    name: str = "",
    unit: str | None = None,
) -> list[CycleSeries]:
    """A measure's readings, one series per cycle overlapping the period, oldest first.

    Each reading is placed by its stored course and day of the cycle, so a score taken before
    the infusion on a course's first day is the last point of the cycle that ends. ``side``
    chooses the hand for grip ("left" or "right"); ``name`` the custom measure. Grip read in
    kg and in kPa cannot share a line: only ``unit`` is kept (default: the unit of the latest
    reading in these cycles). Two queries.
    """
    if measure_kind not in Measure.Kind.values:
        raise ValueError(f"unknown measure {measure_kind!r}")
    if measure_kind == Measure.Kind.GRIP and side not in GRIP_SIDES:
        raise ValueError("grip needs side='left' or side='right'")
    if measure_kind != Measure.Kind.GRIP:
        side = None
    if measure_kind == Measure.Kind.CUSTOM and not name.strip():
        raise ValueError("a custom measure needs its name")
    spans, previous = _spans(patient, since, until)
    if not spans:
        return []
    linked = _in_spans([previous or spans[0], spans[-1]])
    if previous is None:
        # The patient's first course: a reading from before it is the baseline.
        linked |= Q(course__isnull=True, local_date__lte=spans[0].start_date)
    rows = Measure.objects.filter(linked, patient=patient, kind=measure_kind)
    if measure_kind == Measure.Kind.CUSTOM:
        rows = rows.filter(name__iexact=name.strip())
    rows = list(rows.order_by("measured_at", "pk"))
    in_cycles = {s.course_id for s in spans}
    if measure_kind == Measure.Kind.GRIP and unit is None:
        shown = [m.unit for m in rows if m.course_id in in_cycles]
        unit = shown[-1] if shown else ""
    if unit is not None:
        rows = [m for m in rows if m.unit == unit]
    points: dict[int | None, list[CyclePoint]] = {}
    for measure in rows:
        point = _point(measure, side)
        if point is not None:
            points.setdefault(measure.course_id, []).append(point)
    series = []
    before = (points.get(previous.course_id) if previous else points.get(None)) or []
    for span in spans:
        own = points.get(span.course_id, [])
        series.append(
            CycleSeries(
                course_id=span.course_id,
                start_date=span.start_date,
                cycle_end=span.cycle_end,
                unit=unit or "",
                points=own,
                before=before[-1] if before else None,
            )
        )
        before = own
    return series


def median_by_day(series: Iterable[_Series]) -> list[DayMedian]:
    """The median of the cycles' values on each day of the cycle (the bold line).

    A cycle with several readings on one day counts once there, with their median; a day
    only counts the cycles that have a value on it (``cycles``).
    """
    by_day: dict[int, list[Decimal]] = {}
    for one in series:
        own: dict[int, list[Decimal]] = {}
        for point in one.points:
            if point.day is not None:
                own.setdefault(point.day, []).append(Decimal(point.value))
        for day, values in own.items():
            by_day.setdefault(day, []).append(statistics.median(values))
    return [
        DayMedian(day, statistics.median(values), len(values))
        for day, values in sorted(by_day.items())
    ]


# --- cycle alignment: a side effect ---------------------------------------------------------------


@dataclass(frozen=True)
class SymptomDay:
    day: int  # day of the cycle
    value: int  # the worst severity felt on that day (1-10)


@dataclass
class SymptomCycleSeries:
    """One cycle's days with a side effect."""

    course_id: int
    start_date: dt.date
    cycle_end: dt.date | None
    # Days 0 .. days_observed - 1 could be seen: the whole cycle, or up to ``until`` for the
    # current one. What "how many cycles had it on day N" divides by.
    days_observed: int
    points: list[SymptomDay]  # by day; only days on which it was felt


@dataclass(frozen=True)
class DayCount:
    day: int
    cycles: int  # cycles with the side effect on that day
    of: int  # cycles that reached that day


def _severity_by_day(entry: SymptomEntry) -> dict[dt.date, int]:
    """The worst severity on each local day the entry spans (in its own zone). Each severity
    holds from its time until the next reading, the end, or the last time it was known."""
    end, _open = last_known(entry)
    changes = sorted(
        [(entry.onset, entry.severity), *((r.at, r.severity) for r in entry.readings.all())],
        key=lambda change: change[0],
    )
    until = [*(at for at, _s in changes[1:]), end]
    days = {}
    day = entries.local_date(entry, entry.onset)
    last = entries.local_date(entry, max(end, entry.onset))
    while day <= last:
        start, stop = entries.day_bounds(entry, day)
        felt = [
            severity
            for (at, severity), held_until in zip(changes, until, strict=True)
            if at < stop and (at >= start or held_until > start)
        ]
        if felt:
            days[day] = max(felt)
        day += _DAY
    return days


def symptom_series(
    patient: Patient, since: dt.date, until: dt.date, symptom: str, *, custom: str = ""
) -> list[SymptomCycleSeries]:
    """A side effect's severity by day of the cycle, one series per cycle overlapping the
    period, oldest first. ``symptom`` is a catalog code, or "other" with the typed ``custom``
    words. An episode that runs into the next course stops at that course's first day.
    Three queries.
    """
    spans, _previous = _spans(patient, since, until)
    if not spans:
        return []
    rows = SymptomEntry.objects.filter(_in_spans(spans), patient=patient, symptom=symptom)
    if symptom == SymptomEntry.OTHER:
        rows = rows.filter(custom_symptom__iexact=custom.strip())
    by_course: dict[int, dict[int, int]] = {}
    for entry in rows.prefetch_related("readings"):
        if entry.day_of_cycle is None:
            continue
        onset_date = entry.local_date or entries.local_date(entry, entry.onset)
        days = by_course.setdefault(entry.course_id, {})
        for date, severity in _severity_by_day(entry).items():
            day = entry.day_of_cycle + (date - onset_date).days
            days[day] = max(days.get(day, 0), severity)
    series = []
    for span in spans:
        if span.cycle_end is not None:
            observed = (span.cycle_end - span.start_date).days + 1
        else:
            observed = max(0, (until - span.start_date).days + 1)
        days = by_course.get(span.course_id, {})
        series.append(
            SymptomCycleSeries(
                course_id=span.course_id,
                start_date=span.start_date,
                cycle_end=span.cycle_end,
                days_observed=observed,
                points=[
                    SymptomDay(day, severity)
                    for day, severity in sorted(days.items())
                    if severity > 0 and (span.cycle_end is None or day <= observed)
                ],
            )
        )
    return series


def cycles_with_symptom_by_day(series: Sequence[SymptomCycleSeries]) -> list[DayCount]:
    """For each day of the cycle from 0 to the last one with the side effect: in how many
    cycles it was felt that day, of how many cycles that reached that day."""
    last = max((p.day for one in series for p in one.points), default=None)
    if last is None:
        return []
    counts = []
    for day in range(last + 1):
        had = sum(1 for one in series if any(p.day == day for p in one.points))
        reached = sum(
            1 for one in series if day < one.days_observed or any(p.day == day for p in one.points)
        )
        counts.append(DayCount(day, had, reached))
    return counts
