"""The doctor's report as plain data: page 1, the summary a neurologist reads in a minute, and
the detail pages after it (product.md, "Report"; the sketch of page 1).

:func:`build` takes a diary, a period (local dates, both included) and the parts chosen, and
returns a :class:`ReportDocument`. The same document is shown on the report page, printed by the
browser and laid out by WeasyPrint (``templates/reports/_document.html``), so the three never
disagree.

Everything said is an observation ("after 3 of 3 courses"), never a cause, and never advice on
doses. Meaningful changes are judged only where ``clinical.scales`` holds a published threshold
(MG-ADL 2 points, adjusted INCAT 1 point, grip more than 8 kPa); any other measure gets its
numbers only.

A fixed number of queries whatever the period or the diary's size (tests/test_report_page.py):
the cycles and their rows once (``reports.trends.load``), then the plan, red flags, notes and
questions, who logged what, the members' names, and the reactions of the infusion days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, FloatField, IntegerField, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _gettext
from django.utils.translation import ngettext

from clinical import red_flags, scales, symptoms
from diary import alerts, entries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry
from diary.queries import authors
from infusions.models import Infusion, Regimen
from infusions.units import RateUnit, highest_rate
from patients import formats as formats_
from patients.formats import day_month, day_month_year
from patients.models import Patient

from . import charts, comparison, cycles, kept_authors, pdf, report_html, sections, trends, wearoff
from .cycles import CycleSeries, CycleSummary

# Page 1 fits on one sheet: longer lists say how many more there are and where they are.
SIDE_EFFECTS_ON_PAGE_ONE = 6
REACTIONS_ON_PAGE_ONE = 4
LOTS_ON_PAGE_ONE = 6
SIDE_EFFECTS_PER_CYCLE_ROW = 4
# Measures judged against a published meaningful change (clinical.md, "Wear-off").
JUDGED = (scales.MGADL, scales.INCAT, scales.GRIP)


# --- numbers and words ----------------------------------------------------------------------------

# Messages translated once per language and process: a five-year report asks for some 2,000,
# and Django's gettext goes through the active-language lookup each time. Every ``_`` in this
# module is given a literal (a test checks), so nothing that varies is kept.
_TRANSLATED: dict[tuple[str | None, str], str] = {}


def _(message: str) -> str:
    key = (formats_.language(), message)
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = _gettext(message)
    return found


# Numbers as written, per language and value: a five-year report writes ~1,000 (doses, rates,
# weights, mostly the same few), and number_format reads three formats each time.
_NUMBERS: dict[tuple[str | None, float], str] = {}
_NUMBERS_KEPT = 5000


def number(value) -> str:
    """1, 1.5, 68: no trailing zeros, localised."""
    if value is None:
        return "—"
    value = float(value)
    key = (formats_.language(), value)
    found = _NUMBERS.get(key)
    if found is None:
        if value.is_integer():
            found = formats.number_format(int(value))
        else:
            found = formats.number_format(round(value, 1), decimal_pos=1)
        if len(_NUMBERS) < _NUMBERS_KEPT:
            _NUMBERS[key] = found
    return found


def short_date(day: dt.date) -> str:
    """``j M`` ("3 Nov"). A date, not a time: the names come from ``patients.formats``, which
    looks them up once per language (a five-year report writes hundreds of dates)."""
    if isinstance(day, dt.datetime):
        return formats.date_format(day, "j M")
    return day_month(day)


def period_date(day: dt.date, since: dt.date, until: dt.date) -> str:
    """A day of the period as page 1 writes it: "3 Nov" when the period is within one year,
    else "3 Nov 2024" (five warnings "on 7 Jun ... 2 Jun" read as one week's)."""
    return short_date(day) if since.year == until.year else long_date(day)


def long_date(day: dt.date) -> str:
    """``j M Y`` ("3 Nov 2026"), as :func:`short_date`."""
    if isinstance(day, dt.datetime):
        return formats.date_format(day, "j M Y")
    return day_month_year(day)


def whole_hours(hours: float, still_open: bool) -> int:
    """The hours a duration shows: rounded, but for one never marked as ended (shown as "at
    least N h") rounded down, so that 23.6 h known is never claimed as "at least 24 h". Half
    hours round up, never to even (Python's ``round`` made 2.5 h "2 h" and 3.5 h "4 h"), as
    ``wearoff.whole_day`` rounds days."""
    return math.floor(hours) if still_open else math.floor(hours + 0.5)


def hours_text(hours: float | None, still_open: bool = False) -> str:
    """How long a side effect lasted: "36 h"; one never marked as ended "at least 36 h"."""
    if hours is None:
        return "—"
    whole = whole_hours(hours, still_open)
    if still_open:
        if whole < 1:
            return _("no end logged")  # only its start: "at least 0 h" says nothing
        return _("at least %(hours)s h") % {"hours": whole}
    if whole < 1:
        return _("under 1 h")
    return _("%(hours)s h") % {"hours": whole}


def severity_text(value: int) -> str:
    """ "7 (severe)": the number and its word, so nothing rests on colour."""
    return _("%(n)s (%(word)s)") % {"n": value, "word": symptoms.severity_word(value)}


# --- page 1 ---------------------------------------------------------------------------------------


@dataclass
class PlanSummary:
    """The latest plan in force in the period (at its end, unless ``ended_on`` says it ended
    before), and the one before it if it changed in the period."""

    plan: Regimen | None
    grams_per_course: Decimal | None  # dose x dosing weight, when the plan has a weight
    changed_on: dt.date | None  # the plan began inside the period
    previous: Regimen | None  # the plan before it, if that one was in force in the period
    # The plan's last day when that is before the period's end: no plan in force at its end.
    ended_on: dt.date | None = None


@dataclass
class InfusionTotals:
    courses: int
    days: int
    grams: Decimal
    products: list[str]
    lots: list[str]  # each number once, in the order given
    lots_more: int  # numbers left off page 1
    highest_rate: Decimal | None  # mL/kg/h, the fastest step of any day
    rate_steps_left_out: int  # steps in mL/h with no weight: cannot be converted
    per_course: str  # "70 g (1.0 g/kg)", or a range "60-70 g (0.9-1.0 g/kg)"
    apart: str  # days from one course to the next: "28", or "26-30"
    cut: int = 0  # courses the period cuts: only their days in the period are counted


@dataclass
class SideEffectLine:
    key: str
    sentence: str  # "Headache after 3 of 3 courses, typically lasting until day 2"
    worst: str  # "7 (severe)"
    typical_hours: str | None  # "36 h": the median of each course's longest episode
    typical: bool  # over two or more closed episodes; one is an observation, not "typically"
    open: int  # courses where an episode was never marked as ended


@dataclass
class ReactionLine:
    """A reaction during an infusion of the period: "Chills 4 (moderate) during the infusion of
    20 Sep, 100 min in, infusion slowed"."""

    day: dt.date
    text: str


@dataclass
class RedFlagLine:
    started_at: dt.datetime
    title: str
    signs: str  # "Headache 8, stiff neck 6"
    hours_since_infusion: float | None
    after_infusion: str  # "7 days after an infusion", as the diary's warning says it ("": none)
    handled: str  # "Contacted the care team", or "" when nobody said
    handled_by: str
    handled_at: dt.datetime | None


@dataclass
class Observation:
    """One sentence about a measure, and its mark when a published meaningful change is met."""

    text: str
    mark: str = ""  # "meaningful change (2 points or more)"; "" for none or no judgement


@dataclass
class MeasureLine:
    kind: str
    label: str
    scale: str  # how to read it: "0-24, higher = more symptoms"
    readings: int
    observations: list[Observation]


@dataclass
class MainChart:
    label: str
    chart: charts.Chart
    wear_off: str  # the estimate in a sentence ("" when the "how" line says it all)
    how: str  # reports.wearoff's "how this was worked out"
    columns: tuple[str, ...]
    rows: list[list[str]]


@dataclass
class LoggedBy:
    name: str
    count: int


# --- detail pages ---------------------------------------------------------------------------------


@dataclass
class CycleRow:
    cycle: CycleSummary
    given: str  # product, grams (g/kg), days
    lots: str
    rate: str
    premedication: str
    side_effects: list[str]  # "Headache 8, 30 h"
    side_effects_more: int
    before: str  # the main measure before the course
    best: str  # its best value in the cycle, with the day; or the readings when too few
    few_readings: bool  # fewer than the estimate needs: ``best`` names readings, not "best"
    wear_off: str  # the day it wore off, or why there is none


@dataclass
class InfusionRow:
    infusion: Infusion
    dose: str
    lots: list[str]  # "A1234 (exp. 3 Sep 2027)"
    rate: str  # "up to 4 mL/kg/h" (or mL/h without a weight); "" when no rate step was logged
    premedication: list[str]
    reactions: list[str]


@dataclass
class CourseEffects:
    cycle: CycleSummary
    effects: list[cycles.SideEffectSummary]

    @property
    def lines(self) -> list[tuple[cycles.SideEffectSummary, str]]:
        """Each side effect with how long it lasted, worded as everywhere else (hours_text)."""
        return [(effect, hours_text(effect.hours, effect.longest_open)) for effect in self.effects]


@dataclass
class ReportDocument:
    patient: Patient
    since: dt.date
    until: dt.date
    parts: list[str]
    made_on: dt.date
    # page 1
    plan: PlanSummary
    infusions: InfusionTotals
    side_effects: list[SideEffectLine]
    side_effects_more: int
    red_flags: list[RedFlagLine]
    reactions: list[ReactionLine]  # during the infusions of the period, the worst first
    reactions_more: int
    measures: list[MeasureLine]
    main_chart: MainChart | None
    open_questions: list[Note]
    logged_by: list[LoggedBy]
    # First days ("1 Apr 2026") of courses begun before the period whose side effects that
    # began in it are counted on page 1 ("after N of M courses" counts them: page 1 says so)
    side_effects_begun_before: list[str] = field(default_factory=list)
    # detail pages (empty unless chosen)
    main_label: str = ""
    cycle_rows: list[CycleRow] = field(default_factory=list)
    infusion_rows: list[InfusionRow] = field(default_factory=list)
    course_effects: list[CourseEffects] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    answered_questions: list[Note] = field(default_factory=list)

    @property
    def logged_total(self) -> int:
        return sum(who.count for who in self.logged_by)

    def has(self, part: str) -> bool:
        return part in self.parts


# --- building it ------------------------------------------------------------------------------

# Heading levels: on the report page the document sits under the page's own h1; on paper it is
# the whole document.
SCREEN_HEADINGS = {"title": 2, "section": 3, "sub": 4}
PAPER_HEADINGS = {"title": 1, "section": 2, "sub": 3}


def template_context(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    parts: Sequence[str],
    *,
    for_pdf: bool,
    made_at: dt.datetime | None = None,
    paper: str | None = None,
) -> dict:
    """What ``templates/reports/_document.html`` needs, on the page and on paper alike (the
    PDF's template, :data:`reports.pdf.TEMPLATE`, includes the same document)."""
    values = pdf.report_context(
        patient, since, until, list(parts), paper or patient.report_paper_size, made_at=made_at
    )
    with formats_.one_language():  # its thousands of memoised words ask for it once
        doc = build(patient, since, until, parts, made_on=values["made_on"])
        sections_html = report_html.sections(doc)
    return values | {
        "doc": doc,
        "sections_html": sections_html,
        "titles": dict(sections.CHOICES),
        "period_days": (until - since).days + 1,
        # Page 1's times of day, with their year when the period spans more than one (as
        # period_date writes its days).
        "moment_format": "j M H:i" if since.year == until.year else "j M Y H:i",
        "hl": PAPER_HEADINGS if for_pdf else SCREEN_HEADINGS,
        "for_pdf": for_pdf,
        "can_answer": False,
        "answer_errors": {},
        "answer_values": {},
    }


def build(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    parts: Sequence[str],
    *,
    made_on: dt.date | None = None,
) -> ReportDocument:
    """The report for ``since``..``until`` (local dates, both included) with the detail
    ``parts`` chosen (codes of :mod:`reports.sections`)."""
    if until < since:
        raise ValueError("The period ends before it starts.")
    parts = sections.in_order(parts)
    start, _ignored = entries.day_bounds(patient, since)
    _ignored, end = entries.day_bounds(patient, until)
    data = trends.load(patient, since, until)
    names = authors(patient)
    period_measures = _period_measures(patient, data, since, until)
    main_choice = trends.main_measure(patient, trends.choices(data))
    notes, red_flag_lines = _notes_and_red_flags(patient, start, end, names)

    document = ReportDocument(
        patient=patient,
        since=since,
        until=until,
        parts=parts,
        made_on=made_on or timezone.localtime(timezone.now(), patient.tz).date(),
        plan=_plan(patient, since, until),
        infusions=_infusion_totals(patient, data.cycles, since, until),
        side_effects=[],
        side_effects_more=0,
        red_flags=red_flag_lines,
        reactions=[],
        reactions_more=0,
        measures=[],
        main_chart=None,
        open_questions=sorted(
            (n for n in notes if n.kind == Note.Kind.QUESTION and not n.is_answered),
            key=lambda n: (n.written_at, n.pk),
        ),
        logged_by=_logged_by(patient, data, notes, start, end, since, until, names),
    )
    after_courses = _side_effects_in_period(data, start, end)
    overview = comparison.side_effect_overview(after_courses)
    document.side_effects = [_side_effect_line(o) for o in overview[:SIDE_EFFECTS_ON_PAGE_ONE]]
    document.side_effects_more = max(0, len(overview) - SIDE_EFFECTS_ON_PAGE_ONE)
    document.side_effects_begun_before = [
        long_date(c.start_date) for c in after_courses if not c.course_in_period
    ]
    reactions = _reaction_lines(data.cycles, since, until)
    document.reactions = reactions[:REACTIONS_ON_PAGE_ONE]
    document.reactions_more = max(0, len(reactions) - REACTIONS_ON_PAGE_ONE)
    usual = set(scales.default_measures(patient.conditions))
    if main_choice is not None:
        usual.add(main_choice.kind)
    document.measures = _measure_lines(patient, data, period_measures, usual)

    main_estimate = None
    main_series: list[CycleSeries] = []
    if main_choice is not None:
        main_series = trends.series_for(data, main_choice)
        main_estimate = wearoff.estimate(
            main_series,
            main_choice.kind,
            side=main_choice.side,
            unit=main_series[0].unit if main_series else "",
        )
        document.main_label = main_choice.label
        # Page 1 draws the cycles of its main measure only when the period has a reading of
        # it: "No measures in this period" above a chart of readings outside it contradicted.
        if any(m.kind == main_choice.kind for m in period_measures):
            document.main_chart = _main_chart(patient, main_choice, main_series, main_estimate)

    if sections.CYCLES in parts:
        by_course = {c.course_id: c for c in main_estimate.cycles} if main_estimate else {}
        document.cycle_rows = [
            _cycle_row(patient, c, main_choice, by_course.get(c.course_id)) for c in data.cycles
        ]
    if sections.INFUSIONS in parts:
        document.infusion_rows = _infusion_rows(data.cycles, since, until)
    if sections.SIDE_EFFECTS in parts:
        document.course_effects = [CourseEffects(c, c.side_effects) for c in after_courses]
    if sections.NOTES in parts:
        document.notes = sorted(
            (n for n in notes if n.kind == Note.Kind.IMPROVEMENT), key=lambda n: n.written_at
        )
    if sections.ANSWERED_QUESTIONS in parts:
        document.answered_questions = sorted(
            (
                n
                for n in notes
                if n.kind == Note.Kind.QUESTION and n.is_answered and start <= n.answered_at < end
            ),
            key=lambda n: n.answered_at,
        )
    return document


def _period_measures(patient: Patient, data: trends.CycleData, since, until) -> list[Measure]:
    """The measures taken in the period, oldest first. Every one of them belongs to a cycle
    the load already read (or, before the first course, to its baseline); with no course at
    all, one query."""
    if data.spans:
        rows = [m for m in data.measures if m.local_date and since <= m.local_date <= until]
    else:
        start, _ignored = entries.day_bounds(patient, since)
        _ignored, end = entries.day_bounds(patient, until)
        rows = list(
            Measure.objects.filter(
                patient=patient, measured_at__gte=start, measured_at__lt=end
            ).order_by("measured_at", "pk")
        )
    return rows


def _plan(patient: Patient, since: dt.date, until: dt.date) -> PlanSummary:
    plans = list(
        Regimen.objects.filter(patient=patient, start_date__lte=until)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=since))
        .select_related("product")
        .order_by("-start_date", "-pk")[:2]
    )
    if not plans:
        return PlanSummary(None, None, None, None)
    plan = plans[0]
    grams = None
    if plan.dosing_weight_kg:
        grams = (plan.dose_g_per_kg * plan.dosing_weight_kg).quantize(Decimal("1"))
    changed = plan.start_date if plan.start_date > since else None
    ended = plan.end_date if plan.end_date and plan.end_date < until else None
    return PlanSummary(
        plan, grams, changed, plans[1] if changed and len(plans) > 1 else None, ended_on=ended
    )


def _side_effects_in_period(
    data: trends.CycleData, start: dt.datetime, end: dt.datetime
) -> list[CycleSummary]:
    """The courses whose side effects the period saw: each course begun in it, with its whole
    cycle, and a course begun before it whose cycle reaches in, with only what began in the
    period (``start``..``end``), and only when something did: a report made since the last
    one must show a headache of day 5 of a course that the last report showed being given."""
    found = []
    for cycle in data.cycles:
        if cycle.course_in_period:
            found.append(cycle)
            continue
        rows = [r for r in data.symptoms.get(cycle.course_id, []) if start <= r.onset < end]
        effects = cycles.side_effects(rows)
        if effects:
            found.append(dataclasses.replace(cycle, side_effects=effects))
    return found


def _infusion_totals(
    patient: Patient, cycles_seen: Sequence[CycleSummary], since: dt.date, until: dt.date
) -> InfusionTotals:
    """The infusion days given in the period, by course: a course the period cuts (its first
    day before it, or its last after it) counts with its days in the period only. How far
    apart courses were comes from every finished cycle overlapping the period (the one before
    the first course included)."""
    courses, whole, cut = [], [], 0
    for cycle in cycles_seen:
        days = [i for i in cycle.infusions if since <= i.date <= until]
        if not days:
            continue
        whole.append(cycle)
        if len(days) == len(cycle.infusions):
            courses.append(cycle)
        else:
            courses.append(cycles.given_on(patient, cycle, days))
            cut += 1
    lots = list(dict.fromkeys(lot.number for c in courses for lot in c.lots))
    rates = [c.highest_rate_ml_per_kg_h for c in courses if c.highest_rate_ml_per_kg_h]
    return InfusionTotals(
        courses=len(courses),
        days=sum(c.days_given for c in courses),
        grams=sum((c.total_g for c in courses), Decimal(0)),
        products=list(dict.fromkeys(p for c in courses for p in c.products)),
        lots=lots[:LOTS_ON_PAGE_ONE],
        lots_more=max(0, len(lots) - LOTS_ON_PAGE_ONE),
        highest_rate=max(rates) if rates else None,
        rate_steps_left_out=sum(c.rate_steps_left_out for c in courses),
        per_course=_per_course(whole),  # a course's dose is the whole course's
        apart=_span([c.length_days for c in cycles_seen if c.length_days]),
        cut=cut,
    )


def per_kg(value) -> str:
    """A dose in g/kg to 2 decimals, as the infusion pages and the trends show it ("1.03"): to
    1, a course of 70 g at 68 kg read "1.0 g/kg" beside a plan of 1 g/kg (the browser pass)."""
    if value is None:
        return "—"
    text = formats.number_format(Decimal(value).quantize(Decimal("0.01")), decimal_pos=2)
    return text.rstrip("0").rstrip(".,") if "." in text or "," in text else text


def _span(values, shown=number) -> str:
    """ "28" or "26-30"; "" for no value."""
    values = [v for v in values if v is not None]
    if not values:
        return ""
    low, high = min(values), max(values)
    return shown(low) if low == high else f"{shown(low)}-{shown(high)}"


def _per_course(courses: Sequence[CycleSummary]) -> str:
    grams = _span([c.total_g for c in courses])
    if not grams:
        return ""
    dose = _span([c.dose_g_per_kg for c in courses], per_kg)
    if dose and all(c.dose_g_per_kg is not None for c in courses):
        return _("%(grams)s g (%(per_kg)s g/kg)") % {"grams": grams, "per_kg": dose}
    return _("%(grams)s g") % {"grams": grams}


def _side_effect_line(overview: comparison.SymptomOverview) -> SideEffectLine:
    return SideEffectLine(
        key=overview.key,
        sentence=comparison.summary_sentence(overview),
        worst=severity_text(overview.worst),
        typical_hours=hours_text(overview.typical_hours)
        if overview.typical_hours is not None
        else None,
        typical=overview.timed > 1,
        open=overview.open,
    )


def _reaction_lines(courses: Sequence[CycleSummary], since, until) -> list[ReactionLine]:
    """Each reaction logged during an infusion of the period (read with the cycles, no query):
    the worst first, then by day, so page 1 keeps what matters most when it cuts the list."""
    found = []
    for cycle in courses:
        for infusion in cycle.infusions:
            if not since <= infusion.date <= until:
                continue
            details: cycles.InfusionDetails = infusion.details
            for reaction in details.reactions:
                text = reaction_text(reaction, infusion.date, since=since, until=until)
                found.append((-reaction.severity, infusion.date, len(found), text))
    found.sort(key=lambda row: row[:3])
    return [ReactionLine(day=day, text=text) for _sev, day, _n, text in found]


def reaction_text(
    reaction: cycles.Reaction,
    day: dt.date,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> str:
    """ "Chills 4 (moderate) during the infusion of 20 Sep, 100 min in, infusion slowed": one
    reaction as the report's page 1 and the trends page's course cards word it."""
    text = _("%(what)s %(severity)s during the infusion of %(date)s") % {
        "what": reaction.symptom_label,
        "severity": severity_text(reaction.severity),
        "date": period_date(day, since, until) if since and until else short_date(day),
    }
    if reaction.minutes_from_start is not None:
        text += ", " + _("%(minutes)s min in") % {"minutes": reaction.minutes_from_start}
    if reaction.action or reaction.medication:
        text += ", " + reaction.what_was_done()
    return text


def _notes_and_red_flags(
    patient: Patient, start, end, names: dict[int, str]
) -> tuple[list[Note], list[RedFlagLine]]:
    """In one query (a union of the two tables' rows):

    * the notes: every open question (whenever asked), questions answered in the period, and
      every note written in it, each with ``author``;
    * the warnings the diary gave in the period and what was done about each. A warning
      withdrawn because its entries were corrected is left out: nothing was felt.
    """
    text, number = TextField(), IntegerField()
    no_int = Value(None, output_field=number)
    notes = (
        Note.objects.filter(patient=patient)
        .filter(
            Q(kind=Note.Kind.QUESTION, answered_at__isnull=True)
            | Q(kind=Note.Kind.QUESTION, answered_at__gte=start, answered_at__lt=end)
            | Q(written_at__gte=start, written_at__lt=end)
        )
        .annotate(
            u_source=Value("note", output_field=text),
            u_hours=Value(None, output_field=FloatField()),
        )
        .order_by()
        .values_list(
            "u_source",
            "pk",
            "kind",
            "text",
            "answer",
            "written_at",
            "answered_at",
            "logged_by_id",
            "day_of_cycle",
            "rating",
            "u_hours",
        )
    )
    flags = (
        RedFlagEvent.objects.filter(
            patient=patient, started_at__gte=start, started_at__lt=end, withdrawn_at__isnull=True
        )
        .annotate(
            u_source=Value("flag", output_field=text),
            u_signs=Cast("signs", text),
            u_day=no_int,
            u_rating=no_int,
        )
        .order_by()
        .values_list(
            "u_source",
            "pk",
            "rule",
            "u_signs",
            "handled_how",
            "started_at",
            "handled_at",
            "handled_by_id",
            "u_day",
            "u_rating",
            "hours_since_infusion",
        )
    )
    found_notes: list[Note] = []
    events = []
    for source, pk, kind, body, answer, at, done_at, user_id, day, rating, hours in notes.union(
        flags, all=True
    ):
        if source == "note":
            note = Note(
                pk=pk,
                patient=patient,
                kind=kind,
                text=body,
                answer=answer,
                written_at=at,
                answered_at=done_at,
                logged_by_id=user_id,
                day_of_cycle=day,
                rating=rating,
            )
            note._state.adding = False
            note._state.db = notes.db
            note.author = names.get(user_id, _("a former member"))
            found_notes.append(note)
        else:
            events.append((at, pk, kind, body, answer, done_at, user_id, hours))
    # Authors kept by name (an imported diary's): a query only when some have no account.
    unnamed = (note.pk for note in found_notes if note.logged_by_id is None)
    kept = kept_authors.kept_labels(Note, "logged_by", unnamed)
    for note in found_notes:
        note.author = kept.get(note.pk, note.author)
    unnamed = (pk for _at, pk, *_r, done_at, by, _h in events if done_at and by is None)
    kept = kept_authors.kept_labels(RedFlagEvent, "handled_by", unnamed)
    return found_notes, [
        _red_flag_line(patient, names, *event, kept=kept) for event in sorted(events)
    ]


def _red_flag_line(
    patient: Patient,
    names: dict[int, str],
    started_at,
    _pk,
    rule,
    signs,
    how,
    handled_at,
    by,
    hours,
    kept: dict[int, str] | None = None,
) -> RedFlagLine:
    try:
        title = str(red_flags.get_rule(rule).title)
    except KeyError:
        title = rule
    signs = json.loads(signs) if isinstance(signs, str) else signs
    signs = ", ".join(
        f"{sign.get('label') or symptoms.label(sign.get('code', ''))} {sign.get('severity')}"
        for sign in signs or []
        if isinstance(sign, dict)
    )
    handled = ""
    if handled_at and how:
        handled = str(
            RedFlagEvent.Handled(how).label if how in RedFlagEvent.Handled.values else how
        )
    return RedFlagLine(
        started_at=timezone.localtime(started_at, patient.tz),
        title=title,
        signs=signs,
        hours_since_infusion=hours,
        after_infusion=alerts.after_infusion(hours),
        handled=handled,
        handled_by=(
            (names.get(by) or (kept or {}).get(_pk) or _("a former member")) if handled_at else ""
        ),
        handled_at=timezone.localtime(handled_at, patient.tz) if handled_at else None,
    )


def _logged_by(
    patient: Patient,
    data: trends.CycleData,
    notes: Sequence[Note],
    start,
    end,
    since,
    until,
    names,
) -> list[LoggedBy]:
    """Who logged how much in the period (side effects, notes, measures, infusion days).
    Entries of someone no longer a member count under "a former member".

    Counted from the rows already read: every entry, measure and infusion of the period
    belongs to a cycle the load read (or, before the first course, is one of its unlinked
    side effects and baseline measures), and ``notes`` holds every note written in it. With
    no course at all, one query."""
    per_user: Counter[int | None] = Counter()
    if data.spans:
        per_user.update(
            entry.logged_by_id
            for rows in (*data.symptoms.values(), data.unlinked_symptoms)
            for entry in rows
            if start <= entry.onset < end
        )
        per_user.update(m.logged_by_id for m in data.measures if start <= m.measured_at < end)
        per_user.update(
            infusion.logged_by_id
            for cycle in data.cycles
            for infusion in cycle.infusions
            if since <= infusion.date <= until
        )
        per_user.update(n.logged_by_id for n in notes if start <= n.written_at < end)
    else:
        per_model = [
            SymptomEntry.objects.filter(patient=patient, onset__gte=start, onset__lt=end),
            Note.objects.filter(patient=patient, written_at__gte=start, written_at__lt=end),
            Measure.objects.filter(patient=patient, measured_at__gte=start, measured_at__lt=end),
            Infusion.objects.filter(patient=patient, date__gte=since, date__lte=until),
        ]
        counted = [
            q.order_by().values("logged_by").annotate(n=Count("pk")).values_list("logged_by", "n")
            for q in per_model
        ]
        for user_id, n in counted[0].union(*counted[1:], all=True):
            per_user[user_id] = per_user.get(user_id, 0) + n
    totals: dict[str, int] = {}
    if per_user.get(None):  # authors kept by name (an imported diary's) count under their name
        for name, n in kept_authors.kept_author_counts(patient, start, end, since, until).items():
            n = min(n, per_user[None])
            per_user[None] -= n
            totals[name] = totals.get(name, 0) + n
    for user_id, n in per_user.items():
        if not n:
            continue
        name = names.get(user_id, _("a former member"))
        totals[name] = totals.get(name, 0) + n
    return sorted(
        (LoggedBy(name, n) for name, n in totals.items()), key=lambda who: (-who.count, who.name)
    )


# --- measures -------------------------------------------------------------------------------------


def _scale_words(kind: str, unit: str = "") -> str:
    return {
        scales.MGADL: _("0-24, higher = more symptoms"),
        scales.INCAT: _("0-10, higher = more disability"),
        scales.GBS_DISABILITY: _("0-5, higher = more disability"),
        scales.GRIP: _("higher = stronger") + (f", {unit}" if unit else ""),
        scales.PLATELETS: _("× 10⁹/L"),
    }.get(kind, unit)


def _threshold_words(threshold: scales.MeaningfulWorsening) -> str:
    """ "≥ 2 points", "≥ 1 point (adjusted)", "> 8 kPa"."""
    if threshold.measure == scales.MGADL:
        return ngettext("≥ %(n)s point", "≥ %(n)s points", threshold.amount) % {
            "n": threshold.amount
        }
    if threshold.measure == scales.INCAT:
        return ngettext(
            "≥ %(n)s point (adjusted)", "≥ %(n)s points (adjusted)", threshold.amount
        ) % {"n": threshold.amount}
    return _("> %(n)s %(unit)s") % {"n": threshold.amount, "unit": threshold.unit}


def _value(measure: Measure, side: str | None, weight_unit: str) -> str:
    if side == "right":
        return number(measure.value_right)
    if side == "left" or measure.kind in (scales.MGADL, scales.INCAT, scales.GBS_DISABILITY):
        return number(measure.value)
    return measure.display_value(weight_unit)


def _raw(measure: Measure, side: str | None):
    return measure.value_right if side == "right" else measure.value


def _measure_lines(
    patient: Patient, data: trends.CycleData, rows: Sequence[Measure], usual: set[str]
) -> list[MeasureLine]:
    """One line per measure with readings in the period: the patient's usual measures first,
    each hand of grip apart, custom measures by name. The ``usual`` ones (for the patient's
    conditions, and the main measure) also get each cycle's response and the wear-off; the
    others their numbers, so page 1 stays one page."""
    groups: dict[tuple[str, str, str | None], list[Measure]] = {}
    custom: dict[tuple[str, str], list[Measure]] = {}  # by (name, unit), as cycles.words_key
    for row in rows:
        if row.kind == Measure.Kind.GRIP:
            for side in ("left", "right"):
                if _raw(row, side) is not None:
                    groups.setdefault((row.kind, row.unit, side), []).append(row)
        elif row.kind == Measure.Kind.CUSTOM:
            key = (cycles.words_key(row.name), cycles.words_key(row.unit))
            custom.setdefault(key, []).append(row)
        else:
            groups.setdefault((row.kind, "", None), []).append(row)
    # A custom measure is one line per unit ("Pinch" and "pinch " are one name; 60 kg and
    # 132 lb are not one range), named as last typed (a capital first), with its unit when it
    # has several.
    units = Counter(name for name, _unit in custom)
    for (name, _unit), members in custom.items():
        shown = capfirst(" ".join(members[-1].name.split()))
        if units[name] > 1:
            shown += " (%s)" % (" ".join(members[-1].unit.split()) or _("no unit"))
        groups[(Measure.Kind.CUSTOM, shown, None)] = members
    order = {kind: i for i, kind in enumerate(scales.default_measures(patient.conditions))}
    order_all = {kind: i for i, kind in enumerate(Measure.Kind.values)}
    keys = sorted(
        groups,
        key=lambda key: (
            order.get(key[0], len(order)),
            order_all.get(key[0], 0),
            key[1].casefold(),
            key[2] or "",
        ),
    )
    return [_measure_line(patient, data, key, groups[key], key[0] in usual) for key in keys]


def _measure_label(kind: str, name: str, side: str | None) -> str:
    if kind == Measure.Kind.CUSTOM:
        return name
    if kind == Measure.Kind.GRIP:
        return _("Grip, left hand") if side == "left" else _("Grip, right hand")
    return str(Measure.Kind(kind).label)


def _measure_line(
    patient: Patient, data: trends.CycleData, key, rows: list[Measure], by_cycle: bool
) -> MeasureLine:
    kind, name_or_unit, side = key
    unit = name_or_unit if kind == Measure.Kind.GRIP else ""
    first, last = rows[0], rows[-1]
    weight_unit = patient.weight_unit
    threshold = scales.meaningful_worsening(kind, unit) if kind in JUDGED else None
    observations = []

    def reading(measure: Measure) -> str:
        return _("%(value)s on %(date)s") % {
            "value": _value(measure, side, weight_unit),
            "date": period_date(
                measure.local_date or entries.local_date(patient, measure.when),
                data.since,
                data.until,
            ),
        }

    if len(rows) == 1:
        observations.append(Observation(_("One reading: %(r)s.") % {"r": reading(first)}))
    else:
        text = _("%(first)s → %(last)s") % {"first": reading(first), "last": reading(last)}
        low = min(rows, key=lambda m: _raw(m, side))
        high = max(rows, key=lambda m: _raw(m, side))
        text += " " + ngettext("(%(n)s reading", "(%(n)s readings", len(rows)) % {"n": len(rows)}
        if _raw(low, side) != _raw(high, side):
            text += _(", range %(low)s to %(high)s") % {
                "low": _value(low, side, weight_unit),
                "high": _value(high, side, weight_unit),
            }
        text += ")"
        mark = ""
        change = _period_change(kind, first, last, side)
        if change is not None and threshold is not None:
            text += ": " + _change_words(kind, change, unit)
            if threshold.is_met(abs(change)):
                if _same_point_of_cycle(first, last):
                    mark = _("Meaningful change (%(rule)s)") % {"rule": _threshold_words(threshold)}
                else:
                    # A treatment that comes in cycles makes a reading at a cycle's best and
                    # one just before a course differ by the cycle alone: not a change to flag.
                    text += " " + _("(at different points of the cycle: not judged)")
        observations.append(Observation(text + ".", mark))
    if by_cycle and threshold is not None and data.spans:
        series = trends.measure_series(data, kind, side, unit=unit or None)
        in_period = [c.course_id for c in data.in_period]
        observations += _cycle_observations(kind, series, threshold, unit, in_period)
    return MeasureLine(
        kind=kind,
        label=_measure_label(kind, name_or_unit, side),
        scale=_scale_words(kind, unit),
        readings=len(rows),
        observations=observations,
    )


def _incat(measure: Measure) -> scales.IncatScore | None:
    try:
        return scales.IncatScore.from_answers(measure.answers or {})
    except (KeyError, TypeError, ValueError):
        return None


# Two readings this many days of the cycle apart (or fewer) are taken at the same point of it.
SAME_POINT_OF_CYCLE_DAYS = 3


def _same_point_of_cycle(first: Measure, last: Measure) -> bool:
    """Whether the first and last readings of a period can be compared as a change: taken at
    about the same day of their cycles, or both with no course to cycle around."""
    a, b = first.day_of_cycle, last.day_of_cycle
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= SAME_POINT_OF_CYCLE_DAYS


def _period_change(kind: str, first: Measure, last: Measure, side: str | None):
    """How much worse the latest reading is than the first (negative: better); None when the
    measure has no direction, or INCAT without its arm and leg grades."""
    if kind == scales.INCAT:
        before, after = _incat(first), _incat(last)
        if before is None or after is None:
            return None
        return scales.incat_adjusted(before, after)
    if kind not in scales.HIGHER_IS_WORSE:
        return None
    return scales.worsening(kind, Decimal(_raw(first, side)), Decimal(_raw(last, side)))


def _change_words(kind: str, worse_by, unit: str) -> str:
    amount = number(abs(worse_by))
    if worse_by == 0:
        return _("no change")
    points = int(abs(worse_by))
    if kind == scales.MGADL:
        if worse_by < 0:
            return ngettext(
                "%(n)s point lower (fewer symptoms)", "%(n)s points lower (fewer symptoms)", points
            ) % {"n": amount}
        return ngettext(
            "%(n)s point higher (more symptoms)", "%(n)s points higher (more symptoms)", points
        ) % {"n": amount}
    if kind == scales.INCAT:
        if worse_by < 0:
            return _("adjusted change %(n)s lower (less disability)") % {"n": amount}
        return _("adjusted change %(n)s higher (more disability)") % {"n": amount}
    if worse_by < 0:
        return _("%(n)s %(unit)s stronger") % {"n": amount, "unit": unit}
    return _("%(n)s %(unit)s weaker") % {"n": amount, "unit": unit}


def _judged(point: cycles.CyclePoint, kind: str):
    return point.incat if kind == scales.INCAT else point.value


def _cycle_observations(
    kind: str,
    series: Sequence[CycleSeries],
    threshold: scales.MeaningfulWorsening,
    unit: str,
    courses_in_period: Sequence[int],
) -> list[Observation]:
    """Before each course of the period and at its best: the typical response, and after how
    many of those courses it improved by the meaningful change. Then the wear-off estimate in a
    sentence.

    Only the courses given in the period count, as page 1's "Infusions: 3 courses" does: a
    course given before the period, whose cycle reaches into it, is left out. A course with no
    reading after it (the current cycle, just begun) cannot show a response and is left out
    too, and the sentence says so."""
    given = set(courses_in_period)
    pairs = []
    for one in series:
        if one.course_id not in given:
            continue
        points = [p for p in one.points if p.day is not None]
        if kind == scales.INCAT:
            points = [p for p in points if p.incat is not None]
        if one.before is None or not points:
            continue
        if kind == scales.INCAT and one.before.incat is None:
            continue
        best = points[wearoff.best_index(points, kind)]  # as the wear-off's (INCAT: adjusted)
        improved = scales.worsening(kind, _judged(best, kind), _judged(one.before, kind))
        pairs.append((one.before, best, threshold.is_met(improved)))
    observations = []
    if pairs:
        met = sum(1 for _b, _best, ok in pairs if ok)
        total = len(given)
        values = {
            "n": len(pairs),
            "total": total,
            "before": number(statistics.median(b.value for b, _best, _ok in pairs)),
            "best": number(statistics.median(best.value for _b, best, _ok in pairs)),
            # A day of the cycle is a whole day: the median of days 10 and 11 is "day 11", as
            # the wear-off's typical day is rounded (half up).
            "day": wearoff.whole_day(statistics.median(best.day for _b, best, _ok in pairs)),
        }
        if len(pairs) == 1 and total == 1:
            text = _(
                "The course of this period: %(before)s before it, at best %(best)s on day %(day)s"
            )
        elif len(pairs) == 1:
            text = _(
                "1 of the %(total)s courses of this period has readings before and after it: "
                "%(before)s before it, at best %(best)s on day %(day)s"
            )
        elif len(pairs) == total:
            text = _(
                "Each of the %(total)s courses of this period: typically %(before)s before the "
                "course, at best %(best)s on day %(day)s"
            )
        else:
            text = _(
                "%(n)s of the %(total)s courses of this period have readings before and after "
                "them: typically %(before)s before the course, at best %(best)s on day %(day)s"
            )
        text %= values
        mark = ""
        if met and len(pairs) == 1:
            mark = _("Better by %(rule)s after it") % {"rule": _threshold_words(threshold)}
        elif met:
            mark = _("Better by %(rule)s after %(met)s of %(n)s courses") % {
                "rule": _threshold_words(threshold),
                "met": met,
                "n": len(pairs),
            }
        else:
            text += "; " + ngettext(
                "not better by %(rule)s after it",
                "not better by %(rule)s after any of them",
                len(pairs),
            ) % {"rule": _threshold_words(threshold)}
        observations.append(Observation(text + ".", mark))
    estimate = wearoff.estimate(series, kind, unit=series[0].unit if series else unit)
    observations.append(Observation(wear_off_sentence(estimate)))
    return observations


def wear_off_sentence(estimate: wearoff.WearOffEstimate) -> str:
    """The wear-off estimate in one sentence."""
    if estimate.threshold is None:
        return _("Wear-off: no published meaningful change, so none is judged.")
    if not estimate.enough_data:
        return ngettext(
            "Wear-off: not enough data to estimate (%(n)s finished cycle with enough readings; "
            "%(need)s needed).",
            "Wear-off: not enough data to estimate (%(n)s finished cycles with enough readings; "
            "%(need)s needed).",
            estimate.cycles_counted,
        ) % {"n": estimate.cycles_counted, "need": wearoff.ENOUGH_CYCLES}
    rule = _threshold_words(estimate.threshold)
    if estimate.held and estimate.cycles_worn_off:
        # No typical day: the benefit held in most (or half) of the cycles (reports.wearoff).
        return wearoff.held_sentence(estimate)
    if estimate.typical_day is None:
        return ngettext(
            "Wear-off: no lasting worsening by %(rule)s before the next course (%(n)s finished "
            "cycle).",
            "Wear-off: no lasting worsening by %(rule)s before the next course in any of %(n)s "
            "finished cycles.",
            estimate.cycles_counted,
        ) % {"n": estimate.cycles_counted, "rule": rule}
    return ngettext(
        "Worse again by %(rule)s from day %(day)s (typical) until the next course, in "
        "%(worn)s of %(n)s finished cycle.",
        "Worse again by %(rule)s from day %(day)s (typical) until the next course, in "
        "%(worn)s of %(n)s finished cycles.",
        estimate.cycles_counted,
    ) % {
        "rule": rule,
        "day": estimate.typical_whole_day,
        "worn": estimate.cycles_worn_off,
        "n": estimate.cycles_counted,
    }


def _axis_label(choice: trends.Choice, unit: str, weight_unit: str) -> str:
    if choice.kind == scales.MGADL:
        return _("MG-ADL (0-24)")
    if choice.kind == scales.INCAT:
        return _("INCAT (0-10)")
    if choice.kind == scales.GBS_DISABILITY:
        return _("GBS level (0-5)")
    if choice.kind == scales.WEIGHT:
        unit = weight_unit
    if choice.kind == scales.PLATELETS:
        unit = "× 10⁹/L"
    return f"{choice.label} ({unit})" if unit else choice.label


def _chart_value(kind: str, value, weight_unit: str) -> float:
    if kind == scales.WEIGHT and weight_unit == "lb":
        return float(Decimal(value) / Decimal("0.45359237"))
    return float(value)


def _main_chart(
    patient: Patient,
    choice: trends.Choice,
    series: Sequence[CycleSeries],
    estimate: wearoff.WearOffEstimate,
) -> MainChart:
    weight_unit = patient.weight_unit
    lines = [
        (
            _("Cycle from %(date)s") % {"date": long_date(one.start_date)},
            [
                (p.day, _chart_value(choice.kind, p.value, weight_unit))
                for p in one.points
                if p.day is not None
            ],
        )
        for one in series
    ]
    lines = [(label, points) for label, points in lines if points]
    median = [
        (m.day, _chart_value(choice.kind, m.value, weight_unit))
        for m in cycles.median_by_day(series)
    ]
    # Shown as a whole day, on the chart as in the words (the estimate keeps its half day).
    marker = estimate.typical_whole_day if estimate.enough_data else None
    scored = choice.kind in (scales.MGADL, scales.INCAT, scales.GBS_DISABILITY)
    summary = ngettext(
        "%(measure)s by day of the cycle over %(n)s cycle, the median in bold.",
        "%(measure)s by day of the cycle over %(n)s cycles, the median in bold.",
        len(lines),
    ) % {"measure": choice.label, "n": len(lines)}
    if lines and not median:  # no day with readings in two cycles (cycles.median_by_day)
        summary = ngettext(
            "%(measure)s by day of the cycle over %(n)s cycle.",
            "%(measure)s by day of the cycle over %(n)s cycles; no day has readings in two "
            "or more of them, so no median.",
            len(lines),
        ) % {"measure": choice.label, "n": len(lines)}
    if marker is not None:
        summary += " " + _("Typically worse again from day %(day)s.") % {"day": marker}
    chart = charts.cached(  # by its input: a side effect logged today leaves it as it was
        charts.cycle_chart,
        lines,
        median,
        title=_("%(measure)s by day of the cycle") % {"measure": choice.label},
        y_label=_axis_label(choice, series[0].unit if series else "", weight_unit),
        higher_is_worse=scales.HIGHER_IS_WORSE.get(choice.kind),
        y_min=0 if scored else None,
        measure_kind=choice.kind,
        marker_day=marker,
        summary=summary,
    )
    return MainChart(
        label=choice.label,
        chart=chart,
        wear_off=wear_off_sentence(estimate) if estimate.threshold is not None else "",
        how=estimate.how,
        columns=chart.table.columns,
        rows=[[number(v) if v is not None else "—" for v in row] for row in chart.table.rows],
    )


# --- detail pages ---------------------------------------------------------------------------------


def _cycle_row(
    patient: Patient,
    cycle: CycleSummary,
    choice: trends.Choice | None,
    wear: wearoff.CycleWearOff | None,
) -> CycleRow:
    given = ngettext(
        "%(grams)s g on %(days)s day", "%(grams)s g over %(days)s days", cycle.days_given
    ) % {
        "grams": number(cycle.total_g),
        "days": cycle.days_given,
    }
    if cycle.dose_g_per_kg is not None:
        given += _(" (%(dose)s g/kg)") % {"dose": per_kg(cycle.dose_g_per_kg)}
    rate = _("not recorded")  # as the every-infusion-day list and page 1 say it
    if cycle.highest_rate_ml_per_kg_h is not None:
        rate = _("%(rate)s mL/kg/h") % {"rate": number(cycle.highest_rate_ml_per_kg_h)}
    elif cycle.rate_steps_left_out:
        rate = _("in mL/h only (no weight to put it per kg)")
    effects = [
        _("%(what)s %(worst)s, %(hours)s")
        % {"what": e.label, "worst": e.worst, "hours": hours_text(e.hours, e.longest_open)}
        for e in cycle.side_effects[:SIDE_EFFECTS_PER_CYCLE_ROW]
    ]
    before = best = wear_off = "—"
    few = False
    if wear is not None:
        before = number(wear.before) if wear.before is not None else "—"
        few = 0 < wear.readings < wearoff.ENOUGH_READINGS
        if wear.best is not None and wear.readings == 1:
            # One reading is no cycle's best: say what it was.
            best = _("one reading: %(value)s on day %(day)s") % {
                "value": number(wear.best),
                "day": wear.best_day,
            }
        elif wear.best is not None and few:
            best = _("%(n)s readings, the better %(value)s on day %(day)s") % {
                "n": wear.readings,
                "value": number(wear.best),
                "day": wear.best_day,
            }
        elif wear.best is not None:
            best = _("%(value)s, day %(day)s") % {
                "value": number(wear.best),
                "day": wear.best_day,
            }
        if wear.status == wearoff.WORE_OFF:
            wear_off = _("day %(day)s") % {"day": wear.wear_off_day}
        elif wear.status == wearoff.NO_WEAR_OFF:
            wear_off = _("none") if wear.complete else _("none so far")
        elif wear.status == wearoff.TOO_FEW_READINGS:
            wear_off = _("too few readings")
        else:
            wear_off = _("not judged")
    return CycleRow(
        cycle=cycle,
        given=", ".join(cycle.products) + ", " + given if cycle.products else given,
        lots=", ".join(dict.fromkeys(lot.number for lot in cycle.lots)) or _("not recorded"),
        rate=rate,
        premedication=", ".join(cycle.premedication) or _("none recorded"),
        side_effects=effects,
        side_effects_more=max(0, len(cycle.side_effects) - SIDE_EFFECTS_PER_CYCLE_ROW),
        before=before,
        best=best,
        few_readings=few,
        wear_off=wear_off,
    )


def _fastest_rate(infusion, steps) -> str:
    """The day's fastest rate step, in mL/kg/h as Infusion.max_rate_ml_per_kg_h gives it, else
    (mL/h logged on a day without a weight) in mL/h as the pump showed it; "" when no rate step
    was logged, so that the report can say so."""
    if not steps:
        return ""
    fastest = highest_rate(
        steps,
        RateUnit.ML_PER_KG_H,
        concentration_percent=infusion.product.concentration_percent,
        weight_kg=infusion.weight_kg,
        places=Decimal("0.1"),
    )
    if fastest is not None:
        return _("up to %(rate)s mL/kg/h") % {"rate": number(fastest)}
    per_hour = [value for value, unit in steps if unit == RateUnit.ML_PER_H]
    if per_hour:
        return _("up to %(rate)s mL/h") % {"rate": number(max(per_hour))}
    # A unit this code no longer knows: the steps as they were logged.
    return ", ".join(f"{number(value)} {unit}" for value, unit in steps)


def _reaction_on_the_day(reaction: cycles.Reaction) -> str:
    """ "Chills 4 (moderate), 100 min in, infusion slowed": a reaction in the list of infusion
    days, mid-sentence (the day is the item's own)."""
    text = _("%(what)s %(severity)s") % {
        "what": reaction.symptom_label,
        "severity": severity_text(reaction.severity),
    }
    if reaction.minutes_from_start is not None:
        text += ", " + _("%(minutes)s min in") % {"minutes": reaction.minutes_from_start}
    return f"{text}, {reaction.what_was_done()}"


def _infusion_rows(all_cycles: Sequence[CycleSummary], since, until) -> list[InfusionRow]:
    infusions = [
        infusion
        for cycle in all_cycles
        for infusion in cycle.infusions
        if since <= infusion.date <= until
    ]
    rows = []
    for infusion in infusions:
        details: cycles.InfusionDetails = infusion.details  # read with the cycles, no query
        dose = _("%(grams)s g") % {"grams": number(infusion.dose_g)}
        if infusion.dose_g_per_kg is not None:
            dose += _(" (%(dose)s g/kg)") % {"dose": per_kg(infusion.dose_g_per_kg)}
        if infusion.volume_ml:
            dose += _(", %(ml)s mL") % {"ml": number(infusion.volume_ml)}
        rate = _fastest_rate(infusion, details.rate_steps)
        rows.append(
            InfusionRow(
                infusion=infusion,
                dose=dose,
                lots=[
                    _("%(number)s (exp. %(date)s)")
                    % {"number": lot.number, "date": long_date(lot.expiry)}
                    if lot.expiry
                    else lot.number
                    for lot in details.lots
                ],
                rate=rate,
                premedication=details.premedications,
                reactions=[_reaction_on_the_day(r) for r in details.reactions],
            )
        )
    return rows
