"""Trends, for patients and caregivers (the doctor's report lives in ``views_report.py``).

Every view goes through ``patients.access.patient_view``; what a page shows comes from the
plain-data modules of this app (``trends``, ``cycles``, ``wearoff``, ``comparison``,
``charts``), the view only picks the period and the wording.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clinical import scales, symptoms
from patients.access import PatientRequest, patient_view
from patients.caching import render_cached
from patients.htmx import vary_on_htmx, wants_fragment

from . import charts, comparison, cycles, trends, wearoff

# --- Trends ---------------------------------------------------------------------------------------

TRENDS_TEMPLATE = "reports/trends.html"
TRENDS_FRAGMENT = "trends-content"  # the partial, named after the DOM id it replaces
# The timeline draws this many side effects at most (the most frequent in the period): beyond
# four, colours and shapes repeat and the chart stops being readable on a phone.
TIMELINE_SIDE_EFFECTS = 4
# Over a longer period the timeline draws each side effect's worst of every week (or month),
# not of every day: 600 units cannot show a year of days apart, and drawing them cost pygal a
# second on five years of data.
TIMELINE_DAILY_UP_TO_DAYS = 190
TIMELINE_WEEKLY_UP_TO_DAYS = 400
CHART_SECONDS = 3600
KG_PER_LB = Decimal("0.45359237")


def _period_labels() -> dict[str, str]:
    return {
        "1": _("1 month"),
        "3": _("3 months"),
        "6": _("6 months"),
        "12": _("12 months"),
        "all": _("All"),
    }


@patient_view
@require_GET
def trends_page(request: PatientRequest) -> HttpResponse:
    """Timeline, cycle view with the wear-off estimate, each course, and the comparison.

    ``?period=`` 1, 3 (default), 6, 12 or all; ``?show=`` what the cycle view shows (a key of
    ``trends.choices``); ``?by=`` severity (default) or cycles, for a side effect. Anything
    else falls back to the default: a crafted or stale link never fails.
    """
    period = request.GET.get("period", "")
    period = period if period in trends.PERIODS else trends.DEFAULT_PERIOD
    show = request.GET.get("show", "")[:200]
    by = request.GET.get("by", "")
    by = by if by in (trends.BY_SEVERITY, trends.BY_CYCLES) else trends.BY_SEVERITY
    html = render_cached(
        request,
        f"{TRENDS_TEMPLATE}#{TRENDS_FRAGMENT}",
        lambda: _trends_context(request, period, show, by),
    )
    if wants_fragment(request):
        return vary_on_htmx(HttpResponse(html))
    context = {"patient": request.patient, "content_html": html}
    return vary_on_htmx(render(request, TRENDS_TEMPLATE, context))


def _trends_context(request: PatientRequest, period: str, show: str, by: str) -> dict:
    patient = request.patient
    today = timezone.localtime(timezone.now(), patient.tz).date()
    data = trends.load(patient, trends.period_start(today, period), today)
    since = (data.first_day() or today) if period == "all" else data.since
    options = trends.choices(data)
    main = trends.main_measure(patient, options)
    choice = {o.key: o for o in options}.get(show) or main or (options[0] if options else None)
    context = {
        "patient": patient,
        "period": period,
        "periods": [
            (key, label, _query(key, choice, by)) for key, label in _period_labels().items()
        ],
        "since": since,
        "until": today,
        "empty": data.empty,
        "choice": choice,
        "by": by,
        "by_links": [
            (key, label, _query(period, choice, key))
            for key, label in (
                (trends.BY_SEVERITY, _("How bad, by day")),
                (trends.BY_CYCLES, _("How many cycles had it")),
            )
        ],
        "measure_options": [o for o in options if not o.is_effect],
        "effect_options": [o for o in options if o.is_effect],
    }
    if data.empty:
        return context
    units = _Units(patient.weight_unit)
    series: dict[str, list[cycles.CycleSeries]] = {}

    def series_of(measure: trends.Choice) -> list[cycles.CycleSeries]:
        if measure.key not in series:
            series[measure.key] = trends.series_for(data, measure)
        return series[measure.key]

    # The per-cycle table follows the measure shown; with a side effect shown, the main one.
    table_measure = choice if choice is not None and not choice.is_effect else main
    estimate = None
    if table_measure is not None:
        found = series_of(table_measure)
        estimate = wearoff.estimate(
            found,
            table_measure.kind,
            side=table_measure.side,
            unit=found[0].unit if found else "",
        )
    if choice is None:
        cycle_view = None
    elif choice.is_effect:
        cycle_view = _effect_view(data, choice, by)
    else:
        cycle_view = _measure_view(choice, series_of(choice), estimate, units)
    timeline = _timeline(
        data, since, today, main, series_of(main) if main else [], units, patient.tz
    )
    return context | {
        "timeline": _framed(timeline),
        "cycle_view": cycle_view,
        "table_measure": table_measure,
        "rows": _rows(data, table_measure, estimate, units),
        "comparison": _comparison(data),
    }


def _query(period: str, choice: trends.Choice | None, by: str) -> str:
    params = {"period": period}
    if choice is not None:
        params["show"] = choice.key
        if choice.is_effect and by != trends.BY_SEVERITY:
            params["by"] = by
    return "?" + urlencode(params)


# --- numbers and words ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    """Weight in the diary's unit (stored in kg); everything else as stored."""

    weight_unit: str

    def value(self, kind: str, value) -> float:
        if kind == scales.WEIGHT and self.weight_unit == "lb":
            return float(Decimal(value) / KG_PER_LB)
        return float(value)

    def unit(self, choice: trends.Choice, stored_unit: str) -> str:
        if choice.kind == scales.WEIGHT:
            return self.weight_unit
        if choice.kind == scales.PLATELETS:
            return "× 10⁹/L"
        return stored_unit


def _number(value, places: int = 1) -> str:
    """A number as people write it: no ".0", at most ``places`` decimals, localised."""
    if value is None:
        return "—"
    value = round(float(value), places)
    if value.is_integer():
        return formats.number_format(int(value))
    text = formats.number_format(value, decimal_pos=places)
    return text.rstrip("0") if "." in text or "," in text else text


def _with_unit(value, unit: str) -> str:
    if value is None:
        return "—"
    return f"{_number(value)} {unit}".strip()


def _day(value: float | None) -> str:
    return _number(value) if value is not None else "—"


def _date(day: dt.date) -> str:
    return formats.date_format(day, "j M Y")


def _cycle_label(start: dt.date) -> str:
    return _("Cycle from %(date)s") % {"date": _date(start)}


def _hours(hours: float, still_open: bool) -> str:
    """How long a side effect lasted: "36 h"; one never closed "at least 36 h"."""
    whole = round(hours)
    if still_open:
        if whole < 1:
            return _("no end logged")
        return _("at least %(hours)s h") % {"hours": whole}
    if whole < 1:
        return _("under 1 h")
    return _("%(hours)s h") % {"hours": whole}


def _measure_axis(choice: trends.Choice, unit: str) -> str:
    if choice.kind == scales.MGADL:
        return _("MG-ADL (0-24)")
    if choice.kind == scales.INCAT:
        return _("INCAT (0-10)")
    if choice.kind == scales.GBS_DISABILITY:
        return _("GBS level (0-5)")
    return f"{choice.label} ({unit})" if unit else choice.label


# --- charts ---------------------------------------------------------------------------------------


def _drawn(draw: Callable[..., charts.Chart], *args, **kwargs) -> charts.Chart:
    """``draw(*args, **kwargs)``, or the same chart drawn before from the same numbers.

    A chart is about half the cost of the page, and most charts outlive a change to the
    diary: a headache logged today redraws the timeline, not the MG-ADL cycles. So charts are
    kept by what they show (their exact input and the language), for every member and every
    page that draws the same one, while the page around them is rebuilt on each change.
    """
    plain = repr((draw.__name__, args, sorted(kwargs.items()), get_language()))
    key = f"chart:{draw.__name__}:{hashlib.sha256(plain.encode()).hexdigest()}"
    chart = cache.get(key)
    if chart is None:
        chart = draw(*args, **kwargs)
        cache.set(key, chart, CHART_SECONDS)
    return chart


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return _date(value)
    if isinstance(value, float | int | Decimal):
        return _number(value)
    return str(value)


def _framed(chart: charts.Chart) -> dict:
    """A chart with its table alternative as text, for templates/reports/trends_chart.html."""
    return {
        "chart": chart,
        "columns": chart.table.columns,
        "rows": [[_cell(v) for v in row] for row in chart.table.rows],
    }


def _timeline(
    data: trends.CycleData,
    since: dt.date,
    until: dt.date,
    main: trends.Choice | None,
    main_series: Sequence[cycles.CycleSeries],
    units: _Units,
    tz: dt.tzinfo,
) -> charts.Chart:
    courses = [c for c in data.cycles if c.end_date >= since]
    infusions = [
        (infusion.date, str(infusion.product))
        for cycle in courses
        for infusion in cycle.infusions
        if since <= infusion.date <= until
    ]
    # Each side effect's worst severity on every day it went on, in the zone it was logged in.
    by_effect: dict[str, tuple[str, dict[dt.date, int]]] = {}
    for rows in data.symptoms.values():
        for entry in rows:
            if cycles.worst_of(entry) <= 0:
                continue
            label, days = by_effect.setdefault(cycles.symptom_key(entry), (str(entry.label), {}))
            for day, severity in cycles._severity_by_day(entry).items():
                if severity > 0 and since <= day <= until:
                    days[day] = max(days.get(day, 0), severity)
    effects = sorted(
        ((label, days) for label, days in by_effect.values() if days),
        key=lambda item: (-len(item[1]), item[0].casefold()),
    )
    span = (until - since).days
    if span <= TIMELINE_DAILY_UP_TO_DAYS:
        grouped_by = ""
    else:
        grouped_by = "week" if span <= TIMELINE_WEEKLY_UP_TO_DAYS else "month"
    drawn = []
    for label, days in effects[:TIMELINE_SIDE_EFFECTS]:
        if grouped_by:
            worst: dict[dt.date, int] = {}
            for day, severity in days.items():
                # The week's Monday or the month's first day (the period's first day for the
                # week or month it starts in).
                if grouped_by == "week":
                    first = day - dt.timedelta(days=day.weekday())
                else:
                    first = day.replace(day=1)
                first = max(first, since)
                worst[first] = max(worst.get(first, 0), severity)
            days = worst
        drawn.append((label, sorted(days.items())))
    measure = None
    if main is not None:
        local_dates = {m.pk: m.local_date for m in data.measures}
        unit = units.unit(main, main_series[0].unit if main_series else "")
        readings = [
            (
                local_dates.get(p.measure_id) or timezone.localtime(p.at, tz).date(),
                units.value(main.kind, p.value),
            )
            for one in main_series
            for p in one.points
        ]
        measure = (
            _measure_axis(main, unit),
            sorted(r for r in readings if since <= r[0] <= until),
        )
    if main is not None:
        title = _("Infusions, side effects and %(measure)s") % {"measure": main.label}
    else:
        title = _("Infusions and side effects")
    return _drawn(
        charts.timeline_chart,
        title=title,
        start=since,
        end=until,
        courses=[(c.start_date, c.end_date, ", ".join(c.products)) for c in courses],
        infusions=infusions,
        side_effects=drawn,
        measure=measure,
        measure_higher_is_worse=scales.HIGHER_IS_WORSE.get(main.kind) if main else None,
        summary=_timeline_summary(infusions, effects, measure, grouped_by),
    )


def _timeline_summary(infusions, effects, measure, grouped_by: str) -> str:
    """One sentence: infusion days, days with side effects, and the measure's first and last."""
    parts = [
        ngettext("%(n)s infusion day", "%(n)s infusion days", len(infusions))
        % {"n": len(infusions)}
    ]
    if effects:
        days = set().union(*(days for _label, days in effects))
        parts.append(
            ngettext(
                "side effects on %(n)s day, most often %(what)s",
                "side effects on %(n)s days, most often %(what)s",
                len(days),
            )
            % {"n": len(days), "what": effects[0][0].lower()}
        )
        if grouped_by == "week":
            parts[-1] += " " + _("(each mark is the worst of its week)")
        elif grouped_by == "month":
            parts[-1] += " " + _("(each mark is the worst of its month)")
    else:
        parts.append(_("no side effects logged"))
    if measure is not None and measure[1]:
        (first_day, first), (last_day, last) = measure[1][0], measure[1][-1]
        parts.append(
            _("%(measure)s %(first)s on %(first_day)s, %(last)s on %(last_day)s")
            % {
                "measure": measure[0],
                "first": _number(first),
                "first_day": formats.date_format(first_day, "j M"),
                "last": _number(last),
                "last_day": formats.date_format(last_day, "j M"),
            }
        )
    return "; ".join(parts) + "."


def _measure_view(
    choice: trends.Choice,
    series: Sequence[cycles.CycleSeries],
    estimate: wearoff.WearOffEstimate,
    units: _Units,
) -> dict:
    unit = units.unit(choice, series[0].unit if series else "")
    lines = [
        (
            _cycle_label(one.start_date),
            [(p.day, units.value(choice.kind, p.value)) for p in one.points if p.day is not None],
        )
        for one in series
    ]
    lines = [(label, points) for label, points in lines if points]
    median = [(m.day, units.value(choice.kind, m.value)) for m in cycles.median_by_day(series)]
    marker = estimate.typical_day if estimate.enough_data else None
    higher_is_worse = scales.HIGHER_IS_WORSE.get(choice.kind)
    scored = choice.kind in (scales.MGADL, scales.INCAT, scales.GBS_DISABILITY)
    chart = _drawn(
        charts.cycle_chart,
        lines,
        median,
        title=_("%(measure)s by day of the cycle") % {"measure": choice.label},
        y_label=_measure_axis(choice, unit),
        higher_is_worse=higher_is_worse,
        y_min=0 if scored else None,
        marker_day=marker,
        summary=_cycle_summary(len(lines), median, higher_is_worse, marker),
    )
    return {
        "chart": _framed(chart),
        "wear_off": _wear_off_words(choice, estimate),
        "how": estimate.how,
    }


def _cycle_summary(count: int, median, higher_is_worse: bool | None, marker) -> str:
    if not median:
        return _("No readings in these cycles.")
    low = min(median, key=lambda point: point[1])
    high = max(median, key=lambda point: point[1])
    if higher_is_worse is None:
        text = ngettext(
            "%(n)s cycle: the median was lowest on day %(low_day)s (%(low)s) and highest on "
            "day %(high_day)s (%(high)s)",
            "%(n)s cycles: the median was lowest on day %(low_day)s (%(low)s) and highest on "
            "day %(high_day)s (%(high)s)",
            count,
        ) % {
            "n": count,
            "low_day": low[0],
            "low": _number(low[1]),
            "high_day": high[0],
            "high": _number(high[1]),
        }
    else:
        best, worst = (low, high) if higher_is_worse else (high, low)
        text = ngettext(
            "%(n)s cycle: the median was best on day %(best_day)s (%(best)s) and worst on day "
            "%(worst_day)s (%(worst)s)",
            "%(n)s cycles: the median was best on day %(best_day)s (%(best)s) and worst on day "
            "%(worst_day)s (%(worst)s)",
            count,
        ) % {
            "n": count,
            "best_day": best[0],
            "best": _number(best[1]),
            "worst_day": worst[0],
            "worst": _number(worst[1]),
        }
    if marker is not None:
        text += _("; typical wear-off from day %(day)s") % {"day": _day(marker)}
    return text + "."


def _wear_off_words(choice: trends.Choice, estimate: wearoff.WearOffEstimate) -> str:
    """The estimate in one or two sentences; "" when the "how" line says it all (not enough
    data, or a measure with no published meaningful change)."""
    if estimate.threshold is None or not estimate.enough_data:
        return ""
    counted = estimate.cycles_counted
    if estimate.typical_day is None:
        return _(
            "No wear-off seen: in none of the %(n)s finished cycles did the %(measure)s get "
            "meaningfully worse and stay worse until the next course."
        ) % {"n": counted, "measure": choice.label}
    return ngettext(
        "Typical wear-off: day %(day)s of the cycle. In %(worn)s of %(n)s finished cycle the "
        "%(measure)s got meaningfully worse and stayed worse until the next course.",
        "Typical wear-off: day %(day)s of the cycle. In %(worn)s of %(n)s finished cycles the "
        "%(measure)s got meaningfully worse and stayed worse until the next course.",
        counted,
    ) % {
        "day": _day(estimate.typical_day),
        "worn": estimate.cycles_worn_off,
        "n": counted,
        "measure": choice.label,
    }


def _effect_view(data: trends.CycleData, choice: trends.Choice, by: str) -> dict:
    series = trends.symptom_series(data, choice.symptom, custom=choice.custom)
    key = choice.key.removeprefix(trends.EFFECT_PREFIX)
    overview = next(
        (o for o in comparison.side_effect_overview(data.in_period) if o.key == key), None
    )
    with_it = sum(1 for one in series if one.points)
    if overview is not None:
        summary = _("%(sentence)s; worst %(worst)s of 10.") % {
            "sentence": comparison.summary_sentence(overview),
            "worst": overview.worst,
        }
    else:
        summary = ngettext(
            "%(what)s in %(n)s of %(total)s cycle shown.",
            "%(what)s in %(n)s of %(total)s cycles shown.",
            len(series),
        ) % {"what": choice.label, "n": with_it, "total": len(series)}
    if by == trends.BY_CYCLES:
        counts = cycles.cycles_with_symptom_by_day(series)
        chart = _drawn(
            charts.severity_by_day_chart,
            [(c.day, c.cycles) for c in counts],
            title=_("%(what)s: cycles with it, by day of the cycle") % {"what": choice.label},
            value_kind="cycles",
            cycles_total=max((c.of for c in counts), default=len(series)),
            summary=summary,
        )
    else:
        lines, median = trends.severity_by_day(series)
        chart = _drawn(
            charts.cycle_chart,
            [
                (_cycle_label(one.start_date), line)
                for one, line in zip(series, lines, strict=True)
                if line
            ],
            median,
            title=_("%(what)s: how bad, by day of the cycle") % {"what": choice.label},
            y_label=_("How bad (0-10)"),
            higher_is_worse=True,
            y_min=0,
            y_max=10,
            summary=summary,
        )
    return {"chart": _framed(chart), "wear_off": "", "how": ""}


# --- each course ----------------------------------------------------------------------------------


def _wear_off_cell(one: wearoff.CycleWearOff | None) -> str:
    if one is None:
        return "—"
    if one.status == wearoff.WORE_OFF:
        text = _("day %(day)s") % {"day": one.wear_off_day}
    elif one.status == wearoff.NO_WEAR_OFF:
        text = _("no lasting worsening")
    elif one.status == wearoff.TOO_FEW_READINGS:
        text = _("too few readings")
    else:
        return _("not judged (no published meaningful change)")
    if not one.complete:
        text += " " + _("(cycle not over yet)")
    return text


def _rows(
    data: trends.CycleData,
    measure: trends.Choice | None,
    estimate: wearoff.WearOffEstimate | None,
    units: _Units,
) -> list[dict]:
    """One card per course, newest first."""
    by_course = {c.course_id: c for c in estimate.cycles} if estimate else {}
    unit = units.unit(measure, estimate.unit) if measure and estimate else ""
    rows = []
    for cycle in reversed(data.cycles):
        one = by_course.get(cycle.course_id)
        if cycle.start_date == cycle.end_date:
            given = _date(cycle.start_date)
        else:
            given = _("%(first)s to %(last)s") % {
                "first": _date(cycle.start_date),
                "last": _date(cycle.end_date),
            }
        if cycle.cycle_end is None:
            length = _("current cycle, day %(day)s") % {"day": (data.until - cycle.start_date).days}
        else:
            length = ngettext(
                "cycle of %(n)s day, to %(end)s",
                "cycle of %(n)s days, to %(end)s",
                cycle.length_days,
            ) % {"n": cycle.length_days, "end": _date(cycle.cycle_end)}
        rate = (
            _("%(rate)s mL/kg/h") % {"rate": _number(cycle.highest_rate_ml_per_kg_h)}
            if cycle.highest_rate_ml_per_kg_h is not None
            else _("not recorded")
        )
        if cycle.rate_steps_left_out:
            rate += " " + ngettext(
                "(%(n)s step in mL/h without a weight not counted)",
                "(%(n)s steps in mL/h without a weight not counted)",
                cycle.rate_steps_left_out,
            ) % {"n": cycle.rate_steps_left_out}
        dose = _("%(grams)s g") % {"grams": _number(cycle.total_g)}
        if cycle.dose_g_per_kg is not None:
            dose += " · " + _("%(dose)s g/kg") % {"dose": _number(cycle.dose_g_per_kg, 2)}
        rows.append(
            {
                "id": f"course-{cycle.course_id}",
                "given": given,
                "length": length,
                "before_period": not cycle.course_in_period,
                "days": cycle.days_given,
                "products": ", ".join(cycle.products) or _("not recorded"),
                "lots": ", ".join(dict.fromkeys(lot.number for lot in cycle.lots))
                or _("not recorded"),
                "dose": dose,
                "rate": rate,
                "premedication": ", ".join(cycle.premedication) or _("none recorded"),
                "side_effects": [
                    {
                        "label": effect.label,
                        "worst": effect.worst,
                        "word": symptoms.severity_word(effect.worst),
                        "lasted": _hours(effect.hours, effect.open),
                    }
                    for effect in cycle.side_effects
                ],
                "before": _with_unit(
                    units.value(measure.kind, one.before)
                    if one and one.before is not None
                    else None,
                    unit,
                )
                if measure
                else "",
                "best": (
                    _("%(value)s on day %(day)s")
                    % {
                        "value": _with_unit(units.value(measure.kind, one.best), unit),
                        "day": one.best_day,
                    }
                    if measure and one and one.best is not None
                    else "—"
                ),
                "wear_off": _wear_off_cell(one),
            }
        )
    return rows


# --- comparison -----------------------------------------------------------------------------------


def _comparison(data: trends.CycleData) -> dict:
    found = comparison.compare(data.in_period)
    groupings = []
    for title, groups in (
        (_("By product"), found.by_product),
        (_("By highest rate"), found.by_rate),
        (_("By premedication"), found.by_premedication),
    ):
        groupings.append(
            {
                "title": title,
                "groups": [
                    {
                        "label": group.label,
                        "courses": group.courses,
                        "lines": [
                            _("%(sentence)s; worst %(worst)s of 10")
                            % {
                                "sentence": comparison.summary_sentence(overview),
                                "worst": overview.worst,
                            }
                            for overview in group.side_effects
                        ],
                    }
                    for group in groups
                ],
            }
        )
    return {"courses": found.courses, "groupings": groupings}
