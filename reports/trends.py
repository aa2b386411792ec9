"""What the trends page shows, as plain data: one load of the period's cycles, then everything
(the per-cycle table, the comparison, the timeline and any cycle view) worked out from it.

``reports.cycles`` answers each question with its own queries: ``cycles_for`` (four),
``cycle_series`` (two), ``symptom_series`` (two). The page asks all of them at once; so
:func:`load` reads the rows once (``reports.cycles.load``: four queries), and the series
here are built from those rows by the same helpers ``reports.cycles`` uses, so they are the
same series (tests/test_trends.py compares them with ``cycle_series`` and
``symptom_series`` on crafted data). Four queries whatever the period or the diary's size.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from clinical import scales
from diary.models import Measure, SymptomEntry
from patients.models import EARLIEST_DAY, Patient

from . import cycles
from .cycles import CycleSeries, CycleSummary, SymptomCycleSeries

# The period choices, in months back from today ("all": since the first course).
PERIODS: dict[str, int | None] = {"1": 1, "3": 3, "6": 6, "12": 12, "all": None}
DEFAULT_PERIOD = "3"
# Far enough back for "all": reports.cycles then takes every course from the first one.
EARLIEST = EARLIEST_DAY

EFFECT = "effect"  # the kind of a side-effect choice in the cycle view
GRIP_LEFT = "grip-left"
GRIP_RIGHT = "grip-right"
CUSTOM_PREFIX = "custom:"
EFFECT_PREFIX = "effect:"
BY_SEVERITY = "severity"
BY_CYCLES = "cycles"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def period_start(today: dt.date, period: str) -> dt.date:
    """The first day of the period ending ``today`` (both included); EARLIEST for "all"."""
    months = PERIODS[period]
    if months is None:
        return EARLIEST
    return months_before(today, months) + dt.timedelta(days=1)


# --- one load -------------------------------------------------------------------------------------


@dataclass
class CycleData:
    """The period's cycles, and the rows they were summed up from."""

    since: dt.date
    until: dt.date
    cycles: list[CycleSummary]  # oldest first, as reports.cycles.cycles_for gives them
    symptoms: dict[int, list[cycles.SideEffectRow]]  # by course id, oldest first
    # Every measure of those cycles, plus the cycle before the first one (or, before the very
    # first course, the baseline): what each series' ``before`` reading comes from.
    measures: list[Measure]
    spans: list = field(repr=False)  # reports.cycles' spans, oldest first
    previous_course_id: int | None = None
    # Side effects of the period linked to no course (logged before the first one)
    unlinked_symptoms: list[cycles.SideEffectRow] = field(default_factory=list, repr=False)
    # :func:`_points` once per measure asked (the series and the readings before treatment of
    # the main measure read the same points).
    found_points: dict[tuple, tuple[dict, str | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def empty(self) -> bool:
        return not self.cycles

    @property
    def in_period(self) -> list[CycleSummary]:
        """The courses given in the period (not one given before it whose cycle reaches in)."""
        return [c for c in self.cycles if c.course_in_period]

    def first_day(self) -> dt.date | None:
        """The first day with anything on it: the first course, or a baseline reading or a
        side effect logged before it."""
        days = [c.start_date for c in self.cycles[:1]]
        days += [m.local_date for m in self.measures[:1] if m.local_date]
        days += [e.local_date or e.onset_date for e in self.unlinked_symptoms[:1]]
        found = [day for day in days if day is not None]
        return min(found) if found else None


def load(patient: Patient, since: dt.date, until: dt.date) -> CycleData:
    """The cycles overlapping ``since``..``until`` (local dates, both included) and their rows:
    the four queries of ``reports.cycles.load``."""
    rows = cycles.load(patient, since, until)
    return CycleData(
        since=since,
        until=until,
        cycles=cycles.summarise(patient, rows),
        symptoms=rows.symptoms,
        measures=rows.measures,
        spans=rows.spans,
        previous_course_id=rows.previous.course_id if rows.previous else None,
        unlinked_symptoms=rows.unlinked_symptoms,
    )


# --- series, as reports.cycles builds them, from the loaded rows ----------------------------------


def measure_series(
    data: CycleData,
    measure_kind: str,
    side: str | None = None,
    *,
    name: str = "",
    unit: str | None = None,
) -> list[CycleSeries]:
    """What ``reports.cycles.cycle_series`` gives for the same period, with no query."""
    if not data.spans:
        return []
    points, unit = _points(data, measure_kind, side, name, unit)
    previous = data.previous_course_id
    before = (points.get(previous) if previous else points.get(None)) or []
    series = []
    for span in data.spans:
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


def _points(
    data: CycleData, measure_kind: str, side: str | None, name: str, unit: str | None
) -> tuple[dict[int | None, list[cycles.CyclePoint]], str | None]:
    """The loaded readings of one measure (one hand of grip, one custom measure by name), in one
    unit, by the course they belong to (None: before the first course). Worked out once per
    measure and ``data``: the lists are shared, so callers must not change them."""
    if measure_kind != Measure.Kind.GRIP:
        side = None
    key = (measure_kind, side, name, unit)
    found = data.found_points.get(key)
    if found is None:
        found = data.found_points[key] = _find_points(data, measure_kind, side, name, unit)
    return found


def _find_points(
    data: CycleData, measure_kind: str, side: str | None, name: str, unit: str | None
) -> tuple[dict[int | None, list[cycles.CyclePoint]], str | None]:
    rows = [m for m in data.measures if m.kind == measure_kind]
    if measure_kind == Measure.Kind.CUSTOM:
        wanted = cycles.words_key(name)
        rows = [m for m in rows if cycles.words_key(m.name) == wanted]
    rows, unit = cycles.in_one_unit(rows, measure_kind, {s.course_id for s in data.spans}, unit)
    points: dict[int | None, list[cycles.CyclePoint]] = {}
    for measure in rows:
        found = cycles.point(measure, side)
        if found is not None:
            points.setdefault(measure.course_id, []).append(found)
    return points, unit


def points_before_treatment(data: CycleData, choice: Choice) -> list[cycles.CyclePoint]:
    """Every reading of ``choice`` taken before the diary's first course (they belong to no
    cycle: the cycle view keeps only the last, as the first cycle's "before"), when the period
    reaches back to that first course; else none. In the same unit as :func:`series_for`."""
    if not data.spans or data.previous_course_id is not None:
        return []
    points, _unit = _points(data, choice.kind, choice.side, choice.name, None)
    return points.get(None, [])


def symptom_series(data: CycleData, symptom: str, *, custom: str = "") -> list[SymptomCycleSeries]:
    """What ``reports.cycles.symptom_series`` gives for the same period, with no query."""
    by_course = cycles.severity_by_cycle_day(
        (entry for rows in data.symptoms.values() for entry in rows),
        cycles.effect_key(symptom, custom),
    )
    infusions = {cycle.course_id: cycle.infusions for cycle in data.cycles}
    return cycles.series_by_span(data.spans, data.until, by_course, infusions)


def severity_by_day(series: Sequence[SymptomCycleSeries]) -> tuple[list[list], list]:
    """Each cycle's severity on every day from 0 to the day after the last one with the side
    effect (0 on a day it reached without it), and the median over the cycles that reached
    each day: a day without an entry counts as a day without the side effect, as in
    ``cycles_with_symptom_by_day``."""
    last = max((p.day for one in series for p in one.points), default=None)
    if last is None:
        return [[] for _one in series], []
    days = range(last + 2)
    lines = []
    by_day: dict[int, list[int]] = {}
    for one in series:
        felt = {p.day: p.value for p in one.points}
        line = []
        for day in days:
            if one.reached(day) or day in felt:
                value = felt.get(day, 0)
                line.append((day, value))
                by_day.setdefault(day, []).append(value)
        lines.append(line)
    median = [(day, statistics.median(values)) for day, values in sorted(by_day.items())]
    return lines, median


# --- what the cycle view can show -----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One thing the cycle view can show: a measure (one hand of grip) or a side effect."""

    key: str  # the ?show= value
    label: str
    kind: str  # a Measure.Kind value, or EFFECT
    side: str | None = None  # grip: "left" or "right"
    name: str = ""  # a custom measure's name
    symptom: str = ""  # a side effect's code ("other" for one typed in the patient's words)
    custom: str = ""  # the typed words of an "other" side effect

    @property
    def is_effect(self) -> bool:
        return self.kind == EFFECT


def choices(data: CycleData) -> list[Choice]:
    """The measures with a reading in the period's cycles (each hand of grip apart), in the
    scales' order, custom ones by name; then the side effects, the most frequent first."""
    kinds: dict[str, None] = {}
    customs: dict[str, str] = {}
    grip = {"left": False, "right": False}
    for cycle in data.cycles:
        for measure in cycle.measures:
            if measure.kind == Measure.Kind.CUSTOM:
                key = cycles.words_key(measure.name)
                if key not in customs:  # the first spelling, as it was typed (spaces collapsed)
                    customs[key] = " ".join(measure.name.split())
            elif measure.kind == Measure.Kind.GRIP:
                grip["left"] = grip["left"] or measure.value is not None
                grip["right"] = grip["right"] or measure.value_right is not None
            else:
                kinds[measure.kind] = None
    found: list[Choice] = []
    for kind in scales.MEASURE_ORDER:
        if kind == scales.GRIP:
            if grip["left"]:
                found.append(Choice(GRIP_LEFT, _("Grip strength, left hand"), kind, side="left"))
            if grip["right"]:
                found.append(Choice(GRIP_RIGHT, _("Grip strength, right hand"), kind, side="right"))
        elif kind in kinds:
            found.append(Choice(kind, str(Measure.Kind(kind).label), kind))
    for key, name in sorted(customs.items()):
        found.append(Choice(CUSTOM_PREFIX + key, name, Measure.Kind.CUSTOM, name=name))
    effects: dict[str, tuple[str, int, str, str]] = {}
    for cycle in data.cycles:
        for effect in cycle.side_effects:
            label, count, symptom, custom = effects.get(effect.key, (effect.label, 0, "", ""))
            if effect.symptom == SymptomEntry.OTHER:
                custom = effect.key.split(":", 1)[1]
            effects[effect.key] = (label, count + 1, effect.symptom, custom)
    for key, (label, _count, symptom, custom) in sorted(
        effects.items(), key=lambda item: (-item[1][1], item[1][0].casefold())
    ):
        found.append(Choice(EFFECT_PREFIX + key, label, EFFECT, symptom=symptom, custom=custom))
    return found


def main_measure(patient: Patient, options: Sequence[Choice]) -> Choice | None:
    """The diary's main measure among ``options``: the first of the patient's usual measures
    (MG-ADL for myasthenia, INCAT then grip for CIDP, platelets for ITP) with data, weight
    last; else any measure with data."""
    measures = [o for o in options if not o.is_effect]
    usual = scales.default_measures(patient.conditions)
    for kind in sorted(usual, key=lambda k: k == scales.WEIGHT):
        for option in measures:
            if option.kind == kind:
                return option
    return measures[0] if measures else None


def series_for(data: CycleData, choice: Choice) -> list[CycleSeries]:
    return measure_series(data, choice.kind, choice.side, name=choice.name)
