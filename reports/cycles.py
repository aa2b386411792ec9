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

:func:`load` reads the rows of a period's cycles once (four queries); :func:`summarise` sums
them up per cycle. ``reports.trends`` builds every series of the trends page and the report from
the same load. Side effects are read as :class:`SideEffectRow` (plain values and their later
readings), not as model instances: five years hold thousands of them, and an instance with its
prefetched readings costs ten times the row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import statistics
import zoneinfo
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, Protocol

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.base import ModelState
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.text import capfirst
from django.utils.translation import gettext

from clinical import scales
from clinical import symptoms as symptom_catalog
from diary import entries
from diary.models import Measure, SymptomEntry
from infusions.models import (
    Course,
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    RateStep,
    ReactionAction,
)
from infusions.units import RateUnit, highest_rate
from patients.models import Patient
from patients.prepared import PreparedQuery

GRIP_SIDES = ("left", "right")
# The stored values of the choices (``.values`` builds the choices with their labels each time).
_RATE_UNITS = frozenset(RateUnit.values)
_REACTION_ACTIONS = frozenset(ReactionAction.values)
_DAY = dt.timedelta(days=1)


# --- which courses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    course_id: int
    start_date: dt.date
    end_date: dt.date
    cycle_end: dt.date | None  # the day before the next course; None for the current cycle


def _course_bounds(patient: Patient | int, since: dt.date, until: dt.date, prefix: str = "") -> Q:
    """Courses (``prefix``: through that relation) from the second-latest one starting before
    ``since`` (the one before the first cycle that reaches into the period: on a course's first
    day, the cycle before it still holds that morning, see :func:`_overlapping`) up to the first
    one after ``until`` (where the last cycle ends), in SQL."""
    if until < since:
        raise ValueError("The period ends before it starts.")
    courses = Course.objects.filter(patient=patient)
    started_by_since = courses.filter(start_date__lt=since).order_by("-start_date")
    next_after = courses.filter(start_date__gt=until).order_by("start_date")
    return Q(
        **{
            f"{prefix}start_date__gte": Coalesce(
                Subquery(started_by_since.values("start_date")[1:2]), Value(dt.date.min)
            ),
            f"{prefix}start_date__lte": Coalesce(
                Subquery(next_after.values("start_date")[:1]), Value(until)
            ),
        }
    )


def _overlapping(
    rows: Sequence[tuple[int, dt.date, dt.date]],
    since: dt.date,
    until: dt.date,
    mornings: Container[int] = (),
) -> tuple[list[Span], Span | None]:
    """The spans of ``rows`` (courses within :func:`_course_bounds`, oldest first) that overlap
    the period, and the one before the first of them.

    A cycle runs until the next course's first infusion begins, not to the end of the day before
    it (its ``cycle_end``): what is logged on the morning of that first day, before the
    infusion, belongs to it (clinical.md). So a period that starts on a course's first day
    with such a morning (``mornings``: the courses whose first day has one, :func:`has_morning`)
    also holds the last morning of the cycle before: that cycle overlaps it. (Counting from
    ``cycle_end`` lost a headache logged that morning from the report and the trends, when the
    period began that day, as "since the last report" does on a visit's infusion day.) A first
    infusion with no start time, or at midnight, leaves the day to its own course: the cycle
    before stays out (the second review found it pulled in, with its length on page 1)."""
    spans = [
        Span(pk, start, end, rows[i + 1][1] - _DAY if i + 1 < len(rows) else None)
        for i, (pk, start, end) in enumerate(rows)
    ]

    def reaches(i: int, span: Span) -> bool:
        if span.cycle_end is None or span.cycle_end >= since:
            return True
        return span.cycle_end + _DAY == since and rows[i + 1][0] in mornings

    overlapping = [s for i, s in enumerate(spans) if s.start_date <= until and reaches(i, s)]
    if not overlapping:
        return [], None
    first = spans.index(overlapping[0])
    return overlapping, spans[first - 1] if first else None


def spans_for(patient: Patient, since: dt.date, until: dt.date) -> tuple[list[Span], Span | None]:
    """The courses whose cycles overlap ``since``..``until``, oldest first, and the course just
    before the first of them (None if that first one is the patient's first course). One
    query."""
    bounds = _course_bounds(patient, since, until)
    # has_morning in SQL: no live infusion of its first day without a time after midnight.
    all_day = Infusion.objects.filter(course=OuterRef("pk"), date=OuterRef("start_date")).filter(
        Q(start_time__isnull=True) | Q(start_time=dt.time(0))
    )
    rows = list(
        Course.objects.filter(bounds, patient=patient)
        .annotate(all_day=Exists(all_day))
        .order_by("start_date")
        .values_list("pk", "start_date", "end_date", "all_day")
    )
    mornings = {pk for pk, _start, _end, all_day in rows if not all_day}
    return _overlapping([row[:3] for row in rows], since, until, mornings)


def in_spans(spans: Sequence[Span]) -> Q:
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


class Episode(NamedTuple):
    """One side-effect entry of the cycle (a named tuple: five years make 5,000 of them on a
    page, and a frozen dataclass took three times as long to build)."""

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
    # The longest episode, in hours. ``open``: an entry was never closed. ``longest_open``: the
    # longest one is such an entry, known to have lasted at least ``hours``: "at least N h"
    # (a closed 35 h episode beside an open one of 2 h so far is "35 h", not "at least 35 h").
    hours: float
    open: bool
    longest_open: bool
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
    # The fastest step of any day, in mL/kg/h whatever unit each step was logged in, to 0.1 as
    # shown. Steps that cannot be converted (mL/h with no weight) are left out and counted.
    highest_rate_ml_per_kg_h: Decimal | None
    rate_steps_left_out: int
    premedication: tuple[str, ...]  # normalised names (see normalise_premedication), sorted
    side_effects: list[SideEffectSummary]  # worst first
    measures: list[Measure]  # every measure of the cycle, oldest first
    # The days, with their product and ``details`` (InfusionDetails: lots, steps, premeds)
    infusions: list[Infusion] = field(repr=False)
    # The same fastest step to 0.0001 mL/kg/h: what the comparison bands by. Rounded to 0.1
    # first, 135 mL/h at 68 kg (1.985) read as 2.0 and went into "2 to under 4".
    highest_rate_exact: Decimal | None = None

    @property
    def length_days(self) -> int | None:
        """Days from the first infusion to the next course (None for the current cycle)."""
        return (self.cycle_end - self.start_date).days + 1 if self.cycle_end else None

    @property
    def is_current(self) -> bool:
        return self.cycle_end is None


_EXACT_RATE = Decimal("0.0001")  # mL/kg/h: see CycleSummary.highest_rate_exact


def normalise_premedication(name: str) -> str:
    """One spelling per medicine, so "Paracetamol" and " paracetamol" are one premedication.

    Only case and spacing: brand and generic names (paracetamol, acetaminophen) stay apart,
    since merging them is a clinical judgement the diary does not make.
    """
    return " ".join(name.split()).casefold()


@dataclass
class CycleRows:
    """The rows of the cycles overlapping a period, read once (:func:`load`)."""

    since: dt.date
    until: dt.date
    spans: list[Span]  # oldest first
    previous: Span | None  # the course before the first span (None: that one is the first)
    # By course id, with product and ``details`` (InfusionDetails: lots, steps, premedication)
    infusions: dict[int, list[Infusion]]
    symptoms: dict[int, list[SideEffectRow]]  # by course id, oldest first
    # Side effects of the period linked to no course (before the first one), oldest first
    unlinked_symptoms: list[SideEffectRow]
    # Every measure of those cycles and of the cycle before the first (or, before the very
    # first course, the baseline), oldest first: what each series' ``before`` reading is.
    measures: list[Measure]

    def measures_by_course(self) -> dict[int, list[Measure]]:
        found: dict[int, list[Measure]] = {s.course_id: [] for s in self.spans}
        for measure in self.measures:
            if measure.course_id in found:
                found[measure.course_id].append(measure)
        return found


class _PreparedRows(PreparedQuery):
    """A :class:`PreparedQuery` whose rows are read straight from the cursor (``rows``), without
    the ORM's per-value conversion: for :func:`_side_effect_rows`, which converts them itself.
    The values are checked and adapted exactly as ``PreparedQuery.__call__`` does."""

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> tuple[list[tuple], object]:
        compiled, params = self.params(values, using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchall(), connection


# The four queries of :func:`load`, compiled once per process (``PreparedQuery``): the ORM took
# several times longer to write their SQL than the database took to answer on a first render.
_INFUSIONS = PreparedQuery(
    lambda patient, since, until: (
        Infusion.objects.filter(_course_bounds(patient, since, until, "course__"), patient=patient)
        .select_related("product", "course")
        .order_by("date", "start_time", "pk")
    ),
    patient=int,
    since=dt.date,
    until=dt.date,
)


def _linked(first: dt.date, last: dt.date) -> Q:
    """As :func:`in_spans`, for spans starting ``first``..``last``."""
    return Q(course__start_date__gte=first, course__start_date__lte=last)


# Side effects of the cycles, and those of the period linked to no course (before the first).
# ``floor``: no row of these can be older (:func:`_floor`). It changes no answer, but it lets the
# database start at it in the (patient, time) index instead of reading the whole diary: a
# 3-month page of a five-year diary read 5,000 entries' index rows for its 300.
_SIDE_EFFECT_ROWS = _PreparedRows(
    lambda patient, first, last, start, end, floor: _with_readings(
        SymptomEntry.objects.filter(
            _linked(first, last) | Q(course__isnull=True, onset__gte=start, onset__lt=end),
            patient=patient,
            onset__gte=floor,
        ).order_by("onset", "pk")
    ),
    patient=int,
    first=dt.date,
    last=dt.date,
    start=dt.datetime,
    end=dt.datetime,
    floor=dt.datetime,
)
# The measures are read as model instances with only the columns the summaries, series and
# report read: Django's per-instance ``__init__`` and the conversions of the bookkeeping columns
# (a UUID and three timestamps) took half the time of five years' 1,500 measures.
_MEASURE_LEFT_OUT = frozenset({"uid", "created_at", "updated_at", "deleted_at"})
_MEASURE_COLUMNS = tuple(
    f.attname for f in Measure._meta.concrete_fields if f.name not in _MEASURE_LEFT_OUT
)
_MEASURES = PreparedQuery(
    lambda patient, first, last, floor: (
        Measure.objects.filter(_linked(first, last), patient=patient, measured_at__gte=floor)
        .order_by("measured_at", "pk")
        .values_list(*_MEASURE_COLUMNS)
    ),
    patient=int,
    first=dt.date,
    last=dt.date,
    floor=dt.datetime,
)
# Before the patient's first course, a reading is the baseline.
_MEASURES_FROM_BASELINE = PreparedQuery(
    lambda patient, first, last: (
        Measure.objects.filter(
            _linked(first, last) | Q(course__isnull=True, local_date__lte=first), patient=patient
        )
        .order_by("measured_at", "pk")
        .values_list(*_MEASURE_COLUMNS)
    ),
    patient=int,
    first=dt.date,
    last=dt.date,
)


def _measures(patient: Patient, found: Iterable[tuple], using: str) -> list[Measure]:
    """:class:`Measure` instances from rows of :data:`_MEASURE_COLUMNS` (values converted by the
    ORM), built as unpickling builds them (``__new__``, then the values): the columns left out
    are deferred, as with ``.only()``, and would be read on access (tests assert that the pages
    never do). Each one's ``patient`` is ``patient``: an entry without its own zone falls back
    to the diary's, with no query."""
    made = []
    new = Measure.__new__
    for values in found:
        measure = new(Measure)
        measure.__dict__.update(zip(_MEASURE_COLUMNS, values, strict=True))
        state = measure._state = ModelState()
        state.adding, state.db = False, using
        measure.patient = patient
        made.append(measure)
    return made


def load(patient: Patient, since: dt.date, until: dt.date) -> CycleRows:
    """The rows of every course whose cycle overlaps ``since``..``until`` (local dates, both
    included). Four queries, whatever the period:

    * the infusions of those courses with their products and courses: the courses themselves
      come from there (``infusions.courses.regroup`` keeps a course only while it has a live
      infusion), so they need no query of their own;
    * what each infusion day recorded: lots, rate steps, premedications, reactions (one union);
    * the side effects, each with its later readings (joined);
    * the measures, reaching one cycle further back, as :func:`cycle_series` reads them.
    """
    if until < since:
        raise ValueError("The period ends before it starts.")
    rows = _INFUSIONS(patient=patient.pk, since=since, until=until)
    courses = {i.course_id: i.course for i in rows}
    by_course: dict[int, list[Infusion]] = {}
    for infusion in rows:
        by_course.setdefault(infusion.course_id, []).append(infusion)
    mornings = {
        pk for pk, course in courses.items() if has_morning(course.start_date, by_course[pk])
    }
    spans, previous = _overlapping(
        [(c.pk, c.start_date, c.end_date) for c in sorted(courses.values(), key=_start)],
        since,
        until,
        mornings,
    )
    if not spans:
        return CycleRows(since, until, [], None, {}, {}, [], [])
    infusions: dict[int, list[Infusion]] = {s.course_id: [] for s in spans}
    for infusion in rows:
        if infusion.course_id in infusions:
            infusion.patient = patient  # its zone falls back to the patient's: no query for it
            infusions[infusion.course_id].append(infusion)
    _attach_details(
        [i for day in infusions.values() for i in day],
        patient=patient.pk,
        first=spans[0].start_date,
        last=spans[-1].start_date,
    )
    symptoms: dict[int, list[SideEffectRow]] = {s.course_id: [] for s in spans}
    unlinked: list[SideEffectRow] = []
    start, _ignored = entries.day_bounds(patient, since)
    _ignored, end = entries.day_bounds(patient, until)
    found = _SIDE_EFFECT_ROWS.rows(
        patient=patient.pk,
        first=spans[0].start_date,
        last=spans[-1].start_date,
        start=start,
        end=end,
        floor=min(start, _floor(patient, spans[0].start_date)),
    )
    for row in _side_effect_rows(patient, *found):
        if row.course_id in symptoms:
            symptoms[row.course_id].append(row)
        elif row.course_id is None:
            unlinked.append(row)
    first = (previous or spans[0]).start_date
    last = spans[-1].start_date
    if previous is None:  # the patient's first course: a reading from before it is the baseline
        found = _MEASURES_FROM_BASELINE(patient=patient.pk, first=first, last=last)
    else:
        found = _MEASURES(patient=patient.pk, first=first, last=last, floor=_floor(patient, first))
    measures = _measures(patient, found, DEFAULT_DB_ALIAS)
    return CycleRows(since, until, spans, previous, infusions, symptoms, unlinked, measures)


def _floor(patient: Patient, first_day: dt.date) -> dt.datetime:
    """A moment no entry or measure linked to a course starting on ``first_day`` or later can be
    older than: an entry belongs to the course felt after its first infusion began
    (``entries.InfusionIndex``), on that day or later in the zone it was logged in, which can be
    a day ahead of the diary's. Two days' margin."""
    return entries.day_bounds(patient, first_day)[0] - 2 * _DAY


def _start(course: Course) -> tuple[dt.date, int]:
    return course.start_date, course.pk


# --- what each infusion day recorded --------------------------------------------------------------


@dataclass(frozen=True)
class Reaction:
    """Something felt during an infusion (``InfusionReaction``)."""

    symptom: str
    severity: int
    action: str
    minutes_from_start: int | None
    medication: str = ""  # what was given for it, as typed

    @property
    def symptom_label(self):
        return symptom_catalog.label(self.symptom)

    def get_action_display(self):
        # As Django's get_FOO_display: the stored value when it is no choice.
        return (
            ReactionAction(self.action).label if self.action in _REACTION_ACTIONS else self.action
        )

    def what_was_done(self) -> str:
        """ "infusion slowed", "medication given: cetirizine 10 mg", "infusion paused,
        paracetamol 1 g given": the action and the medication, as the report words them."""
        done = str(self.get_action_display()).lower()
        if not self.medication:
            return done
        if self.action == ReactionAction.MEDICATION:
            return f"{done}: {self.medication}"
        given = gettext("%(medication)s given") % {"medication": self.medication}
        if self.action == ReactionAction.NONE:
            return given
        return f"{done}, {given}"


@dataclass
class InfusionDetails:
    """What one infusion day recorded besides the day itself, in the order the pages show it."""

    lots: list[Lot] = field(default_factory=list)
    rate_steps: list[tuple[Decimal, str]] = field(default_factory=list)  # (rate, unit)
    premedications: list[str] = field(default_factory=list)  # "name dose"
    premedication_names: list[str] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)


def _details_union(patient: int, first: dt.date, last: dt.date) -> QuerySet:
    """The lots, rate steps, premedications and reactions of the patient's infusions in courses
    starting ``first``..``last``, each as (kind, infusion, pk, a number, two words, a value as
    text): one union, bounded like :func:`in_spans` so that its SQL is the same for any number
    of infusions (and can be prepared)."""
    text = CharField()
    bounds = {
        "infusion__patient": patient,
        "infusion__course__start_date__gte": first,
        "infusion__course__start_date__lte": last,
    }

    def part(model, kind: str, number, word, other, value):
        return (
            model.objects.filter(**bounds)
            .annotate(
                d_kind=Value(kind, output_field=text),
                d_number=number,
                d_word=word,
                d_other=other,
                d_value=value,
            )
            .order_by()
            .values_list("d_kind", "infusion_id", "pk", "d_number", "d_word", "d_other", "d_value")
        )

    no_number = Value(None, output_field=IntegerField())
    no_text = Value(None, output_field=text)
    union = part(InfusionLot, "lot", no_number, F("lot_number"), no_text, Cast("expiry", text))
    union = union.union(
        part(RateStep, "step", F("minutes_from_start"), F("unit"), no_text, Cast("rate", text)),
        part(Premedication, "premed", no_number, F("name"), F("dose"), Cast("taken_at", text)),
        part(
            InfusionReaction,
            "reaction",
            F("minutes_from_start"),
            F("symptom"),
            F("action"),
            # Its severity, then the medication given (typed words, after the first space).
            Concat(Cast("severity", text), Value(" "), F("medication"), output_field=text),
        ),
        all=True,
    )
    return union


_DETAILS = PreparedQuery(_details_union, patient=int, first=dt.date, last=dt.date)


def _attach_details(
    infusions: Sequence[Infusion], *, patient: int, first: dt.date, last: dt.date
) -> None:
    """Set ``infusion.details`` (:class:`InfusionDetails`) on each of ``infusions`` (the
    patient's live infusions of the courses starting ``first``..``last``), in one query: a
    union of their lots, rate steps, premedications and reactions (:func:`_details_union`);
    rows of any other infusion of those courses (a deleted one) are left out here."""
    by_id = {i.pk: i for i in infusions}
    for infusion in infusions:
        infusion.details = InfusionDetails()
    if not by_id:
        return
    found: dict[str, list[tuple]] = {"lot": [], "step": [], "premed": [], "reaction": []}
    for row in _DETAILS(patient=patient, first=first, last=last):
        if row[1] in by_id:
            found[row[0]].append(row[1:])
    # Each in its model's own order (Meta.ordering), an empty value first as SQLite sorts it.
    for infusion_id, _pk, _n, number, _o, expiry in sorted(found["lot"], key=lambda r: r[1]):
        by_id[infusion_id].details.lots.append(
            Lot(number, dt.date.fromisoformat(expiry) if expiry else None)
        )
    for infusion_id, _pk, _minutes, unit, _o, rate in sorted(
        found["step"], key=lambda r: (r[2] is not None, r[2] or 0, r[1])
    ):
        by_id[infusion_id].details.rate_steps.append((Decimal(rate), unit))
    for infusion_id, _pk, _n, name, dose, _taken in sorted(
        found["premed"], key=lambda r: (r[5] is not None, r[5] or "", r[1])
    ):
        details = by_id[infusion_id].details
        details.premedications.append(f"{name} {dose}".strip())
        details.premedication_names.append(name)
    for infusion_id, _pk, minutes, symptom, action, severity_medication in sorted(
        found["reaction"], key=lambda r: (r[2] is not None, r[2] or 0, r[1])
    ):
        severity, _space, medication = severity_medication.partition(" ")
        by_id[infusion_id].details.reactions.append(
            Reaction(symptom, int(severity), action, minutes, medication.strip())
        )


def summarise(patient: Patient, rows: CycleRows) -> list[CycleSummary]:
    """One :class:`CycleSummary` per span of ``rows``, oldest first."""
    measures = rows.measures_by_course()
    return [
        _summary(
            patient,
            span,
            rows.since,
            rows.until,
            rows.infusions[span.course_id],
            rows.symptoms[span.course_id],
            measures[span.course_id],
        )
        for span in rows.spans
    ]


def cycles_for(patient: Patient, since: dt.date, until: dt.date) -> list[CycleSummary]:
    """Every course whose cycle overlaps ``since``..``until`` (local dates, both included),
    oldest first, each with its whole cycle. The four queries of :func:`load`."""
    return summarise(patient, load(patient, since, until))


def _summary(
    patient: Patient,
    span: Span,
    since: dt.date,
    until: dt.date,
    infusions: list[Infusion],
    symptoms: list[SideEffectRow],
    measures: list[Measure],
    course_weight: Decimal | None = None,
) -> CycleSummary:
    """``course_weight``: the weight for days without one when none of ``infusions`` has one
    (the course's, when these are only some of its days)."""
    weights = [i.weight_kg for i in infusions if i.weight_kg]
    course_weight = weights[-1] if weights else course_weight
    daily = []
    exact = []  # unrounded: the course's dose is the sum of these, rounded once
    rate = None
    left_out = 0
    for infusion in infusions:
        weight = infusion.weight_kg or course_weight
        exact.append(infusion.dose_g / weight if weight else None)
        daily.append(
            exact[-1].quantize(Decimal("0.01"), ROUND_HALF_UP) if exact[-1] is not None else None
        )
        steps = infusion.details.rate_steps
        fastest = highest_rate(
            steps,
            RateUnit.ML_PER_KG_H,
            concentration_percent=infusion.product.concentration_percent,
            weight_kg=weight,
            places=_EXACT_RATE,
        )
        left_out += sum(
            1
            for _rate, unit in steps
            if unit not in _RATE_UNITS or (unit == RateUnit.ML_PER_H and not weight)
        )
        if fastest is not None and (rate is None or fastest > rate):
            rate = fastest
    # Not the sum of the rounded days: 35 g twice at 68 kg is 1.03 g/kg, not 0.51 + 0.51.
    dose = (
        sum(exact, Decimal(0)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if exact and all(d is not None for d in exact)
        else None
    )
    lots = dict.fromkeys(lot for infusion in infusions for lot in infusion.details.lots)
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
        highest_rate_ml_per_kg_h=(
            rate.quantize(Decimal("0.1"), ROUND_HALF_UP) if rate is not None else None
        ),
        highest_rate_exact=rate,
        rate_steps_left_out=left_out,
        premedication=tuple(
            sorted(
                {
                    normalise_premedication(name)
                    for infusion in infusions
                    for name in infusion.details.premedication_names
                    if name.strip()
                }
            )
        ),
        side_effects=side_effects(symptoms),
        measures=measures,
        infusions=infusions,
    )


# --- side effects ---------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class SideEffectRow:
    """A side-effect entry as the summaries and series read it: its own values and its later
    readings, with what every one of them asks first (its worst severity, when it was last
    known to be going on) worked out once."""

    pk: int
    symptom: str
    custom_symptom: str
    severity: int
    peak_severity: int | None
    onset: dt.datetime
    ended_at: dt.datetime | None
    still_going_at: dt.datetime | None
    course_id: int | None
    day_of_cycle: int | None
    local_date: dt.date | None
    logged_by_id: int | None
    tz: dt.tzinfo  # the zone it was logged in (entries.local_date reads it)
    readings: list[tuple[dt.datetime, int]]  # later (time, severity), in time order
    worst: int = 0
    end: dt.datetime | None = None  # ended_at, or the last time it was known to be going on
    open: bool = False
    onset_date: dt.date | None = None  # local date (in ``tz``) of the onset
    # The last local day it touched (:func:`last_day`): ``end``'s date, or the day before
    # when it ended at the very start of a day (local midnight).
    last_date: dt.date | None = None
    days: dict[dt.date, int] | None = None  # daily_severity, once worked out

    @property
    def label(self):
        """The catalog label, or the patient's own words as a label: spaces collapsed, a
        capital first ("aching legs" starts a sentence of the report as "Aching legs")."""
        if self.symptom == SymptomEntry.OTHER:
            return capfirst(" ".join(self.custom_symptom.split()))
        return symptom_catalog.label(self.symptom)

    def settle(self) -> SideEffectRow:
        # Loops rather than max() over built lists: five years hold 5,000 entries.
        worst = self.severity
        if self.peak_severity is not None and self.peak_severity > worst:
            worst = self.peak_severity
        for _at, severity in self.readings:
            if severity > worst:
                worst = severity
        self.worst = worst
        if self.ended_at is not None:
            self.end, self.open = self.ended_at, False
        else:
            end = self.onset
            for at, _severity in self.readings:
                if at > end:
                    end = at
            if self.still_going_at is not None and self.still_going_at > end:
                end = self.still_going_at
            self.end, self.open = end, True
        self.onset_date = self.onset.astimezone(self.tz).date()
        self.last_date = _last_date(self.onset_date, self.end, self.tz)
        return self


_ROW_FIELDS = (
    "pk",
    "symptom",
    "custom_symptom",
    "severity",
    "peak_severity",
    "onset",
    "ended_at",
    "still_going_at",
    "course_id",
    "day_of_cycle",
    "local_date",
    "logged_by_id",
    "time_zone",
)


def side_effect_rows(patient: Patient, entries_: QuerySet[SymptomEntry]) -> list[SideEffectRow]:
    """The entries of ``entries_`` (a queryset of the patient's, in the order wanted), each with
    its later readings: one query, the readings joined (a row per reading, one for an entry
    without any).

    The ORM writes the SQL; its rows are read straight from the cursor. Five years hold
    thousands of entries, and the ORM's per-value conversions took twice as long as the
    database (a time stored without a zone is UTC, as Django stores it: made aware here).
    """
    query = _with_readings(entries_)
    connection = connections[query.db]
    sql, params = query.query.get_compiler(using=query.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return _side_effect_rows(patient, found, connection)


def _with_readings(entries_: QuerySet[SymptomEntry]) -> QuerySet:
    """``entries_`` as the rows :func:`_side_effect_rows` reads: a row per later reading."""
    ordering = [*entries_.query.order_by, "readings__at", "readings__pk"]
    return entries_.order_by(*ordering).values_list(
        *_ROW_FIELDS, "readings__at", "readings__severity"
    )


def _side_effect_rows(patient: Patient, found: Sequence[tuple], connection) -> list[SideEffectRow]:
    """:class:`SideEffectRow` from the rows of :func:`_with_readings` (a row per reading)."""
    stored_in = connection.timezone

    def aware(moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=stored_in)

    zones: dict[str, dt.tzinfo] = {"": patient.tz}
    rows: list[SideEffectRow] = []
    last = None
    for values in found:
        (pk, symptom, custom, severity, peak, onset, ended, still_going, course_id, day, local,
         logged_by_id, zone_name, reading_at, reading_severity) = values  # fmt: skip
        if last is None or last.pk != pk:
            if last is not None:
                last.settle()
            zone = zones.get(zone_name)
            if zone is None:
                zone = zones[zone_name] = zoneinfo.ZoneInfo(zone_name)
            last = SideEffectRow(
                pk,
                symptom,
                custom,
                severity,
                peak,
                aware(onset),
                aware(ended),
                aware(still_going),
                course_id,
                day,
                local,
                logged_by_id,
                zone,
                [],
            )
            rows.append(last)
        if reading_at is not None:
            last.readings.append((aware(reading_at), reading_severity))
    if last is not None:
        last.settle()
    return rows


def last_day(onset: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The last local day (in ``tz``, the zone the entry was logged in) that an episode from
    ``onset`` to ``end`` touched: the date of ``end``, except that an end at the very start of
    a later day (local midnight, whatever the offset that night) touches that day for no time,
    so the day before is the last. An episode's "gone by day" and its severity by day both
    count days this way (:func:`episode`, :func:`daily_severity`)."""
    return _last_date(onset.astimezone(tz).date(), end, tz)


def _last_date(first: dt.date, end: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """:func:`last_day` of an episode whose onset fell on the local day ``first``."""
    local_end = end.astimezone(tz)
    last = local_end.date()
    if last <= first:
        return first  # the end is never before the onset
    # The instants are compared in UTC: two times of one zone compare by their wall clocks, and
    # Santiago's 01:00 on the morning its clocks jump is the very start of that day.
    if end.astimezone(dt.UTC) <= _day_start(tz, last):
        last -= _DAY
    return last


@functools.lru_cache(maxsize=4096)
def _day_start(tz: dt.tzinfo, day: dt.date) -> dt.datetime:
    """When the local ``day`` starts in ``tz``, kept: five years of entries end on some 1,800
    days, and each asked again for every entry that ended on it."""
    return entries.day_bounds(tz, day)[0]


def words_key(words: str) -> str:
    """Typed words as one key: inner spaces collapsed, case folded ("Sore  Arm " is "sore
    arm"). Side effects in the patient's own words, custom measures' names and their units
    are matched by it."""
    return " ".join(words.split()).casefold()


def effect_key(symptom: str, custom: str = "") -> str:
    """:func:`symptom_key` of a side effect chosen by its code and, for "other", its words."""
    if symptom == SymptomEntry.OTHER:
        return f"{SymptomEntry.OTHER}:{words_key(custom)}"
    return symptom


def symptom_key(entry: SideEffectRow | SymptomEntry) -> str:
    """What counts as "the same side effect": its code, or the typed words for "other"."""
    return effect_key(entry.symptom, entry.custom_symptom)


def worst_of(entry: SideEffectRow) -> int:
    """The entry's worst severity: its first one, the stored peak, or any later reading."""
    return entry.worst


def last_known(entry: SideEffectRow) -> tuple[dt.datetime, bool]:
    """When the entry ended, or, never closed, the last time it was known to be going on (its
    latest reading or "still going" confirmation, else its onset); and whether it is open."""
    assert entry.end is not None
    return entry.end, entry.open


def episode(entry: SideEffectRow) -> Episode:
    end, is_open = last_known(entry)
    day = entry.day_of_cycle
    end_day = None
    if day is not None:
        end_day = day + (entry.last_date - (entry.local_date or entry.onset_date)).days
    hours = (end - entry.onset).total_seconds() / 3600
    return Episode(entry.pk, entry.onset, day, entry.worst, max(0.0, hours), is_open, end_day)


def side_effects(symptoms: Iterable[SideEffectRow]) -> list[SideEffectSummary]:
    """The entries taken together per side effect, worst first.

    An entry whose every severity is 0 records that the sign was *not* present
    (clinical.md), so it is left out.
    """
    groups: dict[str, list[SideEffectRow]] = {}
    for entry in symptoms:
        if entry.worst > 0:
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
                hours=(longest := max(e.hours for e in episodes)),
                open=is_open,
                longest_open=any(e.open and e.hours == longest for e in episodes),
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


def point(measure: Measure, side: str | None) -> CyclePoint | None:
    """A measure's reading (one hand's for grip) on its cycle's days; None without one."""
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


def in_one_unit(
    rows: list[Measure], measure_kind: str, in_cycles: set[int], unit: str | None
) -> tuple[list[Measure], str | None]:
    """The readings of ``rows`` that can share a line, and their unit. Grip read in kg and in
    kPa, or a custom measure logged in two units (its unit is typed), cannot: only ``unit``'s
    are kept, matched by :func:`words_key` ("Kg" is "kg"); by default the unit of the latest
    reading in the cycles ``in_cycles``, as that reading spells it ("" when it has none: then
    only the readings without a unit). Any other measure has one unit: all kept, unit None."""
    if measure_kind in (Measure.Kind.GRIP, Measure.Kind.CUSTOM) and unit is None:
        shown = [m.unit for m in rows if m.course_id in in_cycles]
        unit = shown[-1].strip() if shown else ""
    if unit is None:
        return rows, None
    wanted = words_key(unit)
    return [m for m in rows if words_key(m.unit) == wanted], unit


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
    chooses the hand for grip ("left" or "right"); ``name`` the custom measure. Readings in
    two units cannot share a line: :func:`in_one_unit`. Two queries.
    """
    if measure_kind not in Measure.Kind.values:
        raise ValueError(f"unknown measure {measure_kind!r}")
    if measure_kind == Measure.Kind.GRIP and side not in GRIP_SIDES:
        raise ValueError("grip needs side='left' or side='right'")
    if measure_kind != Measure.Kind.GRIP:
        side = None
    if measure_kind == Measure.Kind.CUSTOM and not name.strip():
        raise ValueError("a custom measure needs its name")
    spans, previous = spans_for(patient, since, until)
    if not spans:
        return []
    linked = in_spans([previous or spans[0], spans[-1]])
    if previous is None:
        # The patient's first course: a reading from before it is the baseline.
        linked |= Q(course__isnull=True, local_date__lte=spans[0].start_date)
    rows = list(
        Measure.objects.filter(linked, patient=patient, kind=measure_kind).order_by(
            "measured_at", "pk"
        )
    )
    if measure_kind == Measure.Kind.CUSTOM:
        # By words_key, in Python, as the choices name it (SQL's iexact would neither collapse
        # inner spaces nor fold the case of letters beyond ASCII).
        wanted = words_key(name)
        rows = [m for m in rows if words_key(m.name) == wanted]
    rows, unit = in_one_unit(rows, measure_kind, {s.course_id for s in spans}, unit)
    points: dict[int | None, list[CyclePoint]] = {}
    for measure in rows:
        found = point(measure, side)
        if found is not None:
            points.setdefault(measure.course_id, []).append(found)
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
    only counts the cycles that have a value on it (``cycles``). Where two or more cycles have
    values, a day with one cycle's value has no median: one reading is no median (browser
    pass: an MG-ADL of 17 on day 9 of one cycle, the only one taken on a day 9, made the bold
    line and the report say "worst on day 9 (17)").
    """
    by_day: dict[int, list[Decimal]] = {}
    with_values = 0
    for one in series:
        own: dict[int, list[Decimal]] = {}
        for point in one.points:
            if point.day is not None:
                own.setdefault(point.day, []).append(Decimal(point.value))
        with_values += bool(own)
        for day, values in own.items():
            by_day.setdefault(day, []).append(statistics.median(values))
    least = min(with_values, 2)
    return [
        DayMedian(day, statistics.median(values), len(values))
        for day, values in sorted(by_day.items())
        if len(values) >= least
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
    # Whether the next course's first day had a morning before its infusion (a known start
    # time after midnight): that morning is this cycle's last day (:func:`has_morning`).
    next_morning: bool = False

    def reached(self, day: int) -> bool:
        """Whether the cycle reached ``day`` of itself: the current one up to the period's end;
        a finished one also on the next course's first day when that day had a morning before
        the infusion, which still belongs to it (clinical.md): a sign noted that morning is one
        of its days, and a cycle without one counts as one without it. An infusion with no
        start time leaves no such morning (it counts from the start of its day)."""
        return day < self.days_observed or (self.next_morning and day == self.days_observed)


def has_morning(first_day: dt.date, infusions: Iterable[Infusion]) -> bool:
    """Whether a course's first day had time before its infusion that belongs to the cycle
    before: every infusion of that day has a start time after midnight (one without counts
    from the start of the day, ``diary.entries.InfusionIndex``)."""
    times = [i.start_time for i in infusions if i.date == first_day]
    return bool(times) and all(t is not None and t > dt.time(0) for t in times)


@dataclass(frozen=True)
class DayCount:
    day: int
    cycles: int  # cycles with the side effect on that day
    of: int  # cycles that reached that day


def daily_severity(entry: SideEffectRow) -> dict[dt.date, int]:
    """The worst severity on each local day the entry spans (in its own zone). Each severity
    holds from its time until the next reading, the end, or the last time it was known.
    Worked out once per row (the timeline and the cycle view both ask)."""
    if entry.days is None:
        entry.days = _daily_severity(entry)
    return entry.days


def _daily_severity(entry: SideEffectRow) -> dict[dt.date, int]:
    end = entry.end
    assert end is not None and entry.onset_date is not None and entry.last_date is not None
    first = entry.onset_date
    last = entry.last_date  # a last day it ends on at the very start of (midnight) is left out
    if not entry.readings:
        # One severity from onset to end: every day it reaches.
        return {first + _DAY * i: entry.severity for i in range((last - first).days + 1)}
    changes = sorted([(entry.onset, entry.severity), *entry.readings], key=lambda c: c[0])
    until = [*(at for at, _s in changes[1:]), end]
    days = {}
    day = first
    start, stop = entries.day_bounds(entry, day)
    while day <= last:
        felt = [
            severity
            for (at, severity), held_until in zip(changes, until, strict=True)
            if at < stop and (at >= start or held_until > start)
        ]
        if felt:
            days[day] = max(felt)
        day += _DAY
        start, stop = stop, entries.day_bounds(entry, day)[1]  # a day starts as the last ends
    return days


def symptom_series(
    patient: Patient, since: dt.date, until: dt.date, symptom: str, *, custom: str = ""
) -> list[SymptomCycleSeries]:
    """A side effect's severity by day of the cycle, one series per cycle overlapping the
    period, oldest first. ``symptom`` is a catalog code, or "other" with the typed ``custom``
    words. An episode that runs into the next course stops at that course's first day.
    Three queries (the spans, the entries, the first days' infusions).
    """
    spans, _previous = spans_for(patient, since, until)
    if not spans:
        return []
    rows = SymptomEntry.objects.filter(in_spans(spans), patient=patient, symptom=symptom)
    # "Other" ones by symptom_key, in Python: SQL's case-insensitive match neither collapses
    # inner spaces ("Sore  arm") nor folds the case of letters beyond ASCII.
    by_course = severity_by_cycle_day(
        side_effect_rows(patient, rows.order_by("onset", "pk")), effect_key(symptom, custom)
    )
    first_days: dict[int, list[Infusion]] = {}
    for infusion in Infusion.objects.filter(
        patient=patient, course_id__in=[s.course_id for s in spans[1:]]
    ).only("date", "start_time", "course_id"):
        first_days.setdefault(infusion.course_id, []).append(infusion)
    return series_by_span(spans, until, by_course, first_days)


def severity_by_cycle_day(
    rows: Iterable[SideEffectRow], wanted: tuple
) -> dict[int, dict[int, int]]:
    """The worst severity of the side effect ``wanted`` (:func:`effect_key`) on each day of
    each cycle: {course id: {day of the cycle: severity}}, from ``rows`` linked to courses."""
    by_course: dict[int, dict[int, int]] = {}
    for entry in rows:
        if entry.day_of_cycle is None or symptom_key(entry) != wanted:
            continue
        onset_date = entry.local_date or entries.local_date(entry, entry.onset)
        days = by_course.setdefault(entry.course_id, {})
        for date, severity in daily_severity(entry).items():
            day = entry.day_of_cycle + (date - onset_date).days
            days[day] = max(days.get(day, 0), severity)
    return by_course


def series_by_span(
    spans: Sequence[Span],
    until: dt.date,
    by_course: dict[int, dict[int, int]],
    infusions: dict[int, Sequence[Infusion]],
) -> list[SymptomCycleSeries]:
    """One :class:`SymptomCycleSeries` per span, oldest first, from
    :func:`severity_by_cycle_day`; ``infusions`` by course id hold at least each course's
    first day (whether it had a morning before its infusion)."""
    series = []
    for n, span in enumerate(spans):
        if span.cycle_end is not None:
            observed = (span.cycle_end - span.start_date).days + 1
        else:
            observed = max(0, (until - span.start_date).days + 1)
        following = spans[n + 1] if n + 1 < len(spans) else None
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
                next_morning=span.cycle_end is not None
                and following is not None
                and has_morning(following.start_date, infusions.get(following.course_id, [])),
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
            1 for one in series if one.reached(day) or any(p.day == day for p in one.points)
        )
        counts.append(DayCount(day, had, reached))
    return counts


def given_on(patient: Patient, cycle: CycleSummary, days: Sequence[Infusion]) -> CycleSummary:
    """What ``days`` (some of ``cycle``'s infusion days) gave, summed as a course: for a period
    that cuts a course, which counts only its days in the period. No side effects, measures."""
    span = Span(cycle.course_id, cycle.start_date, cycle.end_date, cycle.cycle_end)
    # A day without a weight takes the course's, even from a day outside the period.
    weights = [i.weight_kg for i in cycle.infusions if i.weight_kg]
    summary = _summary(
        patient,
        span,
        cycle.start_date,
        cycle.start_date,
        list(days),
        [],
        [],
        course_weight=weights[-1] if weights else None,
    )
    return dataclasses.replace(summary, course_in_period=cycle.course_in_period)
