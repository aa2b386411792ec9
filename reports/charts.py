"""Charts for Trends and the report, as SVG text drawn by pygal and finished here.

pygal lays out the axes, scales, ticks and lines; this module then rewrites its SVG for our two
readers:

- the browser, where the strict CSP (``style-src 'self'``) blocks any ``<style>`` element or
  ``style=""`` attribute inside an inline SVG, so every colour is a presentation attribute and
  ``static/css/app.css`` (rules under ``.chart-svg``) re-colours the classes in dark mode;
- WeasyPrint, which does not apply the page's CSS inside an inline SVG: the attributes alone must
  give the light, printed look.

The output keeps only a whitelist of elements and attributes (no script, no style, no link to
anything outside the SVG), has ``role="img"``, a ``<title>`` and a ``<desc>`` with ids, and is
deterministic: the same input gives the same bytes (the id comes from a hash of the input), so it
can be cached and compared in tests.

Inputs are plain data: numbers, dates and lists of tuples (documented on each function), so the
code that computes them (``reports/cycles.py``) needs nothing from here but the call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pygal
from django.core.cache import cache
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from pygal.style import Style

from clinical import scales

# pygal appends a finder for its map plugins (pygal.maps.*, unused here) to sys.meta_path. It has
# no find_spec(), so every later import elsewhere warns (ImportWarning; an error in our tests).
# Upstream fix not released (Kozea/pygal pull request 532): take the finder off.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

# One (day, value) reading on a cycle chart. A None value is skipped: the line joins the
# readings on either side (MG-ADL is weekly, so most days have none).
CyclePoint = tuple[float, float | None]
# (label, points): one cycle ("Cycle 3, 12 Sep") or one side effect, oldest first.
CycleSeries = tuple[str, Sequence[CyclePoint]]
# (when, value); `when` a date or a datetime already in the patient's time zone.
DatedValue = tuple[dt.date, float]

# The drawing is 600 units wide and scales to its box (width 100 %). Text is 22 units: about
# 13 CSS px on a 390 px phone (358 px of content), 16-20 px on a laptop or on A4.
WIDTH = 600
FONT = 22
_LINE = round(FONT * 1.35)
_SVG_NS = "http://www.w3.org/2000/svg"

# Okabe & Ito's colour-blind-safe hues, darkened where needed for 3:1 on white (the PDF and the
# light theme). The dark theme swaps in lighter versions through app.css (.chart-c0 ... .chart-c3).
# Beyond four series the lines also change pattern, so no two look alike even without colour.
PALETTE = ("#0072B2", "#D55E00", "#00805C", "#A0527F")
_DASHES = (None, "10 6", "2 6")
_SHAPES = ("circle", "square", "diamond", "triangle")

# Warning signs on the timeline (a side effect a warning rule counts at any severity: the view
# says which) share one warning colour, red, used by nothing else, and shapes no other side
# effect uses, each outlined in the text colour and drawn on top of everything. The dark theme
# swaps in a lighter red (static/reports/trends.css, .chart-warn).
WARNING_COLOUR = "#C4122F"
_WARNING_SHAPES = ("star", "cross", "hourglass", "hexagon", "pentagon")
_EFFECT_R = 9  # a side effect's marker (half its width, in SVG units)
_WARNING_R = 11
_WARNING_OUTLINE = 2

_CYCLE_WIDTH = 2.5
_SPARSE = 10  # a line with this many points or fewer also shows its dots
_MEDIAN_WIDTH = 7


@dataclass(frozen=True)
class ChartTable:
    """The chart's numbers as a table: the text alternative shown under (or instead of) it.

    ``columns`` are the header labels; each row starts with its key (a day number or a date)
    followed by one cell per remaining column, None where there is no value.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A finished chart. ``{{ chart }}`` in a template inserts the SVG (it is already safe)."""

    svg: SafeString
    title: str
    summary: str | None
    table: ChartTable
    chart_id: str
    empty: bool

    def __str__(self) -> str:
        return self.svg  # a SafeString: Django's {{ chart }} calls str() first, then escapes

    def __html__(self) -> str:
        return self.svg


CACHE_SECONDS = 3600


def cached(draw: Callable[..., Chart], *args, **kwargs) -> Chart:
    """``draw(*args, **kwargs)``, or the same chart drawn before from the same input.

    Kept by what it shows (its exact input and the language), not by the diary's version:
    after a headache is logged, the MG-ADL chart's input is the same, and so is its SVG.
    """
    plain = repr((draw.__name__, args, sorted(kwargs.items()), get_language()))
    key = f"chart-svg:{draw.__name__}:{hashlib.sha256(plain.encode()).hexdigest()}"
    chart = cache.get(key)
    if chart is None:
        chart = draw(*args, **kwargs)
        cache.set(key, chart, CACHE_SECONDS)
    return chart


# --- the axis of a measure --------------------------------------------------------------------

# The published range of each bounded score (clinical/scales.py). Its axis spans the whole scale,
# whatever the readings: MG-ADL 2 to 9 drawn on 0-9 would fill the chart and look like a patient
# near the worst there is, a 2-point change like a quarter of the scale.
MEASURE_SCALES: dict[str, tuple[int, int]] = {
    scales.MGADL: (0, scales.MGADL_TOTAL_MAX),
    scales.INCAT: (0, scales.INCAT_TOTAL_MAX),
    scales.GBS_DISABILITY: (scales.GBS_DISABILITY_MIN, scales.GBS_DISABILITY_MAX),
}
_MAX_INTERVALS = 6  # at most seven tick labels on a value axis
_DATA_PADDING = 0.05  # of the span, each side, before rounding out to the next tick


@dataclass(frozen=True)
class Axis:
    """The value axis of a measure: from ``lo`` to ``hi``, labelled at ``ticks``.

    ``on_scale``: True when it spans the measure's published scale (:data:`MEASURE_SCALES`),
    False when it follows the readings.
    """

    lo: float
    hi: float
    ticks: tuple[float, ...]
    on_scale: bool


def measure_axis(
    kind: str | None,
    values: Sequence[float | None],
    *,
    y_min: float | None = None,
    y_max: float | None = None,
) -> Axis:
    """The axis a measure is drawn on, the same on every chart.

    A score with a published scale (MG-ADL, INCAT, GBS level: :data:`MEASURE_SCALES`) spans the
    scale, labelled in whole steps that end on its top (MG-ADL 0, 4, ... 24); a reading outside
    it (none should be) widens the axis rather than being cut off. Any other measure (grip,
    platelets, weight, a custom one) follows its readings: from 0 when the lowest is under half
    the highest (proportions stay honest), else from a little under the lowest; to a little over
    the highest; rounded out to round ticks. ``y_min`` and ``y_max`` fix either end of such an
    axis (severity: 0 to 10).
    """
    values = [v for v in values if v is not None]
    scale = MEASURE_SCALES.get(kind) if kind is not None else None
    if scale is not None:
        lo, hi = min([scale[0], *values]), max([scale[1], *values])
        step = _scale_step(hi - lo)
        return Axis(lo, hi, _ticks(lo, hi, step), on_scale=True)
    lo, hi = _y_range(values, y_min, y_max)
    if values and min(values) == max(values) and y_min is None and y_max is None:
        # One value (or a flat line): in the middle, not on the frame.
        pad = max(abs(lo) * 0.1, 1)
        lo, hi = _lower(lo, pad), lo + pad
    else:
        pad = (hi - lo) * _DATA_PADDING
        if y_min is None:
            lo = _lower(lo, pad)
        if y_max is None:
            hi += pad
    step = _round_step((hi - lo) / _MAX_INTERVALS)
    if y_min is None:
        lo = math.floor(lo / step + 1e-9) * step
    if y_max is None:
        hi = math.ceil(hi / step - 1e-9) * step
    return Axis(lo, hi, _ticks(lo, hi, step), on_scale=False)


def _lower(lo: float, pad: float) -> float:
    """``lo - pad``, but not below 0 for a measure that is never negative."""
    return max(lo - pad, 0) if lo >= 0 else lo - pad


def _scale_step(span: float) -> float:
    """A round step that divides a scale's span into at most six parts, so that its ends are
    both ticks (24: 4; 10: 2; 5: 1); or, if none does, a round step that fits."""
    for step in (1, 2, 4, 5, 10, 20, 25, 50, 100):
        if span / step <= _MAX_INTERVALS and float(span / step).is_integer():
            return step
    return _round_step(span / _MAX_INTERVALS)


def _round_step(raw: float) -> float:
    """The least of 1, 2 and 5 times a power of ten not below ``raw`` (no 2.5: whole readings
    keep whole tick labels)."""
    if raw <= 0:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return next(f * power for f in (1, 2, 5, 10) if f * power >= raw - 1e-12)


def _ticks(lo: float, hi: float, step: float) -> tuple[float, ...]:
    count = math.floor((hi - lo) / step + 1e-9)
    # Rounded, so 0.1 + 0.2 does not print as 0.30000000000000004.
    return tuple(_tidy(lo + n * step) for n in range(count + 1))


def _tidy(value: float) -> float:
    value = round(value, 9)
    return int(value) if float(value).is_integer() else value


# --- the three charts ------------------------------------------------------------------------


def cycle_chart(
    series: Sequence[CycleSeries],
    median: Sequence[CyclePoint],
    *,
    title: str,
    y_label: str,
    higher_is_worse: bool | None,
    x_label: str | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    measure_kind: str | None = None,
    marker_day: float | None = None,
    marker_label: str | None = None,
    summary: str | None = None,
    chart_id: str | None = None,
) -> Chart:
    """Every cycle overlaid on x = day of the cycle, thin lines, and the median as a thick one.

    ``series``: ``[(label, [(day, value), ...]), ...]``, one entry per cycle (the label names the
    column of the table alternative, e.g. "Cycle 3 (12 Sep)"); ``median``: ``[(day, value), ...]``.
    ``higher_is_worse`` puts "higher is worse/better" in the axis title (None: no judgement, as
    for platelets). ``marker_day`` draws the typical wear-off day as a dashed vertical line
    labelled ``marker_label`` (default "Typical wear-off: day N").
    ``measure_kind`` (``clinical.scales.MGADL``, ...) sets the value axis (:func:`measure_axis`):
    a score's whole scale, else the readings, from ``y_min`` to ``y_max`` where given.
    With no value at all the chart says "No data" (``Chart.empty`` is True).
    """
    title, y_label = str(title), str(y_label)
    x_label = str(x_label) if x_label is not None else _("Day of the cycle")
    series = [(str(label), _clean_points(points)) for label, points in series]
    median = _clean_points(median)
    chart_id = chart_id or _make_id(
        "cycle", series, median, title, y_label, higher_is_worse, x_label, y_min, y_max,
        measure_kind, marker_day, marker_label, summary,
    )  # fmt: skip
    table = _cycle_table(series, median, x_label)
    all_points = [p for _label, points in series for p in points] + list(median)
    if not all_points:
        return _no_data(title, summary, table, chart_id)

    days = [d for d, _v in all_points] + ([marker_day] if marker_day is not None else [])
    x_lo, x_hi = math.floor(min(days)), math.ceil(max(days))
    x_lo, x_hi = min(x_lo, 0), max(x_hi, x_lo + 1)
    step = _tick_step(x_hi - x_lo)
    x_hi = math.ceil(x_hi / step) * step  # end on a tick: 0-27 is drawn as 0-28
    axis = measure_axis(measure_kind, [v for _d, v in all_points], y_min=y_min, y_max=y_max)

    has_cycles = any(points for _label, points in series)
    legend = []
    if has_cycles:
        legend.append(("cycles", _("Each cycle"), {}))
    if median:
        legend.append(("median", _("Median"), {}))
    if marker_day is not None:
        marker_label = marker_label or _("Typical wear-off: day %(day)s") % {
            "day": _number(marker_day)
        }
        legend.append(("marker", marker_label, {}))

    specs: list[dict] = []
    chart = _new_chart(
        pygal.XY,
        height=420,
        legend=legend,
        x_title=x_label,
        y_title=_axis_title(y_label, higher_is_worse),
        range=(axis.lo, axis.hi),
        y_labels=list(axis.ticks),
        xrange=(x_lo, x_hi),
        x_labels=_day_ticks(x_lo, x_hi),
        show_dots=False,
        allow_interruptions=True,
    )
    for index, (label, points) in enumerate(series):
        if not points:
            continue
        # Sparse readings (a weekly score) get dots, or a cycle with one reading would not show.
        sparse = len(points) <= _SPARSE
        chart.add(label, list(points), show_dots=sparse)
        specs.append({**_line_spec(index), "shape": "circle" if sparse else None, "size": 5})
    if median:
        sparse = len(median) <= _SPARSE
        chart.add(_("Median"), list(median), show_dots=sparse)
        specs.append(
            {
                "class": "chart-median",
                "stroke": "currentColor",
                "width": _MEDIAN_WIDTH,
                "shape": "circle" if sparse else None,
                "size": 7,
            }
        )

    def decorate(plot: ET.Element, view: _View) -> None:
        if marker_day is not None:
            x = view.x(marker_day)
            plot.append(_marker_line(x, view.height))

    count = sum(1 for _label, points in series if points)
    desc = summary or ngettext(
        "%(count)s cycle, one thin line; the thick line is the median.",
        "%(count)s cycles, one thin line each; the thick line is the median.",
        count,
    ) % {"count": count}
    svg = _render(chart, chart_id, title, desc, specs, legend, decorate)
    return Chart(_safe(svg), title, summary, table, chart_id, empty=False)


# Timeline infusion markers: triangles of this half-width (SVG units), smaller when courses are
# closer on the axis (years of them), never below the least; the least distance between two
# dotted lines; infusion days further apart than this belong to different courses.
INFUSION_MARK_R = 9
INFUSION_MARK_MIN_R = 3
INFUSION_MARK_GAP = 20
INFUSION_LINE_GAP = 8
INFUSION_LINE_MIN_GAP = 3
COURSE_DAYS_APART = 3

# The timeline's left axis, severity, and the space above its plot for the infusion markers.
_SEVERITY_AXIS = (0, 10)
_SEVERITY_TICKS = (0, 2, 4, 6, 8, 10)
_MARGIN_TOP = FONT + 8
_RIGHT_TITLE_INSET = 12  # the title's right end, from the drawing's right edge
_TICK_MARK = 8  # a right-hand tick's mark, into the plot from its frame


def timeline_chart(
    *,
    title: str,
    start: dt.date,
    end: dt.date,
    courses: Sequence[tuple[dt.date, dt.date, str]] = (),
    infusions: Sequence[tuple[dt.date, str]] = (),
    side_effects: Sequence[tuple] = (),
    more_side_effects: Sequence[tuple[str, Sequence[DatedValue]]] = (),
    measure: tuple[str, Sequence[DatedValue]] | None = None,
    measure_higher_is_worse: bool | None = None,
    measure_kind: str | None = None,
    measure_readings: Sequence[DatedValue] | None = None,
    summary: str | None = None,
    chart_id: str | None = None,
) -> Chart:
    """Infusions, side effects and one measure on a shared time axis from ``start`` to ``end``.

    ``courses``: ``[(first day, last day, label), ...]``, shaded bands. ``infusions``:
    ``[(day, label), ...]``, a marker at the top with a dotted line. ``side_effects``:
    ``[(name, [(when, severity 0-10), ...]), ...]``, one colour and shape each, left axis; only
    the worst severity of each day is drawn, so a long period stays light. An entry may carry a
    third item, its style (an int: ``(name, readings, style)``): the side effect's own colour
    and shape, the same in every period (:func:`_effect_styles`); without one, its position.
    A fourth item, True, makes it a warning sign: drawn in the warning colour, with a shape of
    its own and an outline, on top of everything. ``more_side_effects``: ``[(name, readings),
    ...]``, side effects left off the drawing (a chart of twenty side effects is unreadable)
    that the table alternative still lists, after the drawn ones.
    ``measure``: ``(name, [(when, value), ...])``, a line on the right axis. ``when`` may be a
    date or a datetime already in the patient's time zone (only its date counts). Readings
    outside the period are left out. ``measure_readings``: when the line is drawn from fewer
    points than were read (a median per month over years), the readings themselves, for the
    table (default: the line's points). ``measure_kind`` (``clinical.scales.MGADL``, ...) sets
    the measure's axis (:func:`measure_axis`): a score's whole scale, else its readings. Drawn
    beside the side effects, the measure has the right-hand axis, titled above its labels.

    The plot runs from the start of ``start`` to the end of ``end``, no further: a day is the
    stretch [n, n + 1) of the axis, its readings and tick in its middle.
    """
    title = str(title)
    start, end = sorted((_as_date(start), _as_date(end)))

    def inside(day: dt.date) -> bool:
        return start <= day <= end

    def worst_by_day(readings) -> dict[dt.date, float]:
        by_day: dict[dt.date, float] = {}
        for when, severity in readings:
            day = _as_date(when)
            if severity is None or not inside(day):
                continue
            by_day[day] = max(by_day.get(day, severity), severity)
        return dict(sorted(by_day.items()))

    worst: list[tuple[str, dict[dt.date, float]]] = []
    wanted_styles: list[int] = []
    warning: list[bool] = []
    for index, (name, readings, *extra) in enumerate(side_effects):
        wanted_styles.append(int(extra[0]) if extra else index)
        warning.append(bool(extra[1]) if len(extra) > 1 else False)
        worst.append((str(name), worst_by_day(readings)))
    tabled_only = [(str(name), worst_by_day(readings)) for name, readings in more_side_effects]
    tabled_only = [(name, by_day) for name, by_day in tabled_only if by_day]
    measure_points: list[tuple[dt.date, float]] = []
    if measure is not None:
        measure_points = sorted(
            (_as_date(when), value)
            for when, value in measure[1]
            if value is not None and inside(_as_date(when))
        )
    infusion_days = sorted(
        (_as_date(day), str(label)) for day, label in infusions if inside(_as_date(day))
    )
    course_spans = sorted(
        (max(_as_date(first), start), min(_as_date(last), end), str(label))
        for first, last, label in courses
        if _as_date(first) <= end and _as_date(last) >= start
    )
    measure_name = str(measure[0]) if measure is not None else None
    table_points = measure_points
    if measure is not None and measure_readings is not None:
        table_points = sorted(
            (_as_date(when), value)
            for when, value in measure_readings
            if value is not None and inside(_as_date(when))
        )
    chart_id = chart_id or _make_id(
        "timeline", title, start, end, course_spans, infusion_days, worst, wanted_styles,
        warning, tabled_only, measure_name, measure_points, table_points,
        measure_higher_is_worse, measure_kind, summary,
    )  # fmt: skip
    table = _timeline_table(worst + tabled_only, measure_name, table_points, infusion_days)
    has_data = any(by_day for _name, by_day in worst) or measure_points or infusion_days
    if not has_data:
        return _no_data(title, summary, table, chart_id)

    def pos(day: dt.date) -> float:
        # A day is the stretch [n, n + 1) of the axis; readings sit in its middle.
        return (day - start).days + 0.5

    days = (end - start).days + 1
    drawn = [index for index, (_name, by_day) in enumerate(worst) if by_day]
    ordinary = [index for index in drawn if not warning[index]]
    signs = [index for index in drawn if warning[index]]
    spec_of: dict[int, dict] = {}
    for index, style in zip(
        ordinary, _effect_styles([wanted_styles[i] for i in ordinary]), strict=True
    ):
        spec_of[index] = _shape_spec(style)
    for index, style in zip(signs, _warning_styles([wanted_styles[i] for i in signs]), strict=True):
        spec_of[index] = _warning_spec(style)
    # Drawn and listed in the order given, warning signs last (on top, and after the others).
    on_left = [(spec_of[index], *worst[index]) for index in ordinary + signs]
    measure_title = _axis_title(measure_name, measure_higher_is_worse) if measure_points else None
    chart_kw = {
        "height": 440,
        "xrange": (0, days),
        "x_labels": [tick + 0.5 for tick in _date_ticks(start, end)],
        "x_value_formatter": lambda x: _date_label(start, x, days),
        "allow_interruptions": True,
    }
    axis = None
    right_title: list[str] = []
    if measure_points:
        axis = measure_axis(measure_kind, [v for _d, v in measure_points])
    if on_left:
        chart_kw.update(
            y_title=_("How bad (0-10)"), range=_SEVERITY_AXIS, y_labels=list(_SEVERITY_TICKS)
        )
        if axis is not None:
            chart_kw["secondary_range"] = (axis.lo, axis.hi)
            # Its title goes above its labels, horizontal (a phone's width holds it; turned
            # up the side it would be longer than the plot is high), on lines of its own.
            right_title = _wrap(measure_title, WIDTH - 2 * _RIGHT_TITLE_INSET)
            chart_kw["height"] += len(right_title) * _LINE
            chart_kw["margin_top"] = _MARGIN_TOP + len(right_title) * _LINE
    elif axis is not None:
        chart_kw.update(y_title=measure_title, range=(axis.lo, axis.hi), y_labels=list(axis.ticks))
    else:
        chart_kw.update(range=(0, 10), show_y_labels=False)

    legend = []
    if course_spans:
        legend.append(("band", _("Course"), {}))
    if infusion_days:
        legend.append(("infusion", _("Infusion"), {}))
    legend += [
        ("shape", name if not spec.get("warning") else _warning_label(name), spec)
        for spec, name, _by_day in on_left
    ]
    if measure_points:
        legend.append(("measure", measure_title, {}))

    chart = _new_chart(_PeriodXY, legend=legend, **chart_kw)
    if right_title:
        chart.secondary_ticks = [(tick, _on_severity_axis(tick, axis)) for tick in axis.ticks]
    specs: list[dict] = []
    for _spec, name, by_day in on_left:
        # pygal lays the points out (they set the axes); the markers are drawn by ``decorate``,
        # which can move apart those of different side effects that would cover each other.
        chart.add(name, [(pos(day), v) for day, v in by_day.items()], stroke=False)
        specs.append({"drop": True})
    if measure_points:
        chart.add(
            measure_name,
            [(pos(day), v) for day, v in measure_points],
            secondary=bool(on_left),
            show_dots=True,
        )
        specs.append(
            {
                "class": "chart-measure",
                "stroke": "currentColor",
                "width": 3,
                "shape": "circle",
                "size": 6,
            }
        )
    if not on_left and not measure_points:
        # Only infusions (no side effect, no reading yet: a new diary's first course). pygal's
        # XY lays out nothing without a series: an anchor on the infusion days holds the axes,
        # and _finish drops it from the SVG (the infusions are drawn by ``decorate``).
        chart.add("", [(pos(day), 0) for day, _label in infusion_days], stroke=False)
        specs.append({"drop": True})

    def decorate(plot: ET.Element, view: _View) -> None:
        # Bands first (the series groups come before them in the SVG, so move them behind).
        bands = ET.Element("g", {"class": "chart-courses", "fill": "currentColor"})
        for first, last, _label in course_spans:
            x0, x1 = view.x(pos(first) - 0.5), view.x(pos(last) + 0.5)
            bands.append(_rect(x0, 0, max(x1 - x0, 3), view.height, {"fill-opacity": "0.1"}))
        at = _first_series_index(plot)
        plot.insert(at, bands)
        at += 1  # the ordinary side effects go after the bands, before the measure's line
        # The period's last day ends the frame, with or without a right-hand axis.
        x_axis = plot.find("./g[@class='chart-axis chart-axis-x']")
        if x_axis is not None and not any(
            abs(_path_x(path) - view.width) < 0.5
            for path in x_axis.findall("path[@class='chart-axis-line']")
        ):
            x_axis.insert(0, _frame_line(view.width, view.height))
        # Side effects: the ordinary ones under the measure's line, the warning signs on top.
        groups = _effect_markers(
            [(spec, [(view.x(pos(day)), view.y(v)) for day, v in by_day.items()])
             for spec, _name, by_day in on_left],
            view.width,
        )  # fmt: skip
        for group, (spec, _name, _by_day) in zip(groups, on_left, strict=True):
            if not spec.get("warning"):
                plot.insert(at, group)
                at += 1
        marks = ET.Element("g", {"class": "chart-infusions", "stroke": "currentColor"})
        # Over years the days of a course (and courses weeks apart) are closer than a marker is
        # wide: a marker and a line only where they stand apart from the last ones drawn, so
        # five years show one mark per course instead of a black band. Every day is still in
        # the table, and the course bands show each course.
        xs = [view.x(pos(day)) for day, _label in infusion_days]
        on = [day for day, _label in infusion_days]
        # The closest two courses (infusion days more than a few days apart) set the size, so
        # that each course keeps a mark of its own when there is room; when there is not
        # (weekly infusions over years), marks are left out rather than drawn over each other.
        course_gaps = [
            xs[i] - xs[i - 1]
            for i in range(1, len(xs))
            if (on[i] - on[i - 1]).days > COURSE_DAYS_APART
        ]
        closest = min(course_gaps, default=INFUSION_MARK_GAP)
        radius = max(INFUSION_MARK_MIN_R, min(INFUSION_MARK_R, closest / 2 - 1))
        mark_gap = max(2 * radius + 0.5, min(2 * radius + 2, closest * 0.9))
        line_gap = max(INFUSION_LINE_MIN_GAP, min(INFUSION_LINE_GAP, closest * 0.9))
        last_mark = last_line = None
        for x in xs:
            if last_line is None or x - last_line >= line_gap:
                marks.append(_line(x, 0, x, view.height, {"stroke-dasharray": "3 5"}))
                last_line = x
            if last_mark is None or x - last_mark >= mark_gap:
                marks.append(
                    _shape_element("down", x, -1 - radius * 0.6, radius, {"fill": "currentColor"})
                )
                last_mark = x
        if right_title:
            _right_axis(plot, view, axis, right_title)
        plot.append(marks)
        for group, (spec, _name, _by_day) in zip(groups, on_left, strict=True):
            if spec.get("warning"):
                plot.append(group)

    desc = summary or _timeline_desc(
        [(name, by_day) for _spec, name, by_day in on_left],
        measure_name,
        measure_points,
        infusion_days,
        not_drawn=len(tabled_only),
    )
    svg = _render(chart, chart_id, title, desc, specs, legend, decorate)
    return Chart(_safe(svg), title, summary, table, chart_id, empty=False)


class _PeriodXY(pygal.XY):
    """pygal's XY without its 2 % of empty space left and right of the x range (it kept for the
    y range): the timeline's frame is the period, its last day ends the axis.

    ``secondary_ticks``: ``[(value, where on the left axis), ...]``, the right-hand axis's
    labels at their own heights; pygal would put one at each left label (MG-ADL 0, 4.8, 9.6...).
    """

    secondary_ticks: list[tuple[float, float]] | None = None

    def _compute_secondary(self):
        super()._compute_secondary()
        if self.secondary_ticks and self._y_2nd_labels:
            self._y_2nd_labels = [(_number(v), at) for v, at in self.secondary_ticks]

    def _set_view(self):
        margin = self._box.margin
        height = self._box.ymax - self._box.ymin
        self._box.ymin -= margin * height
        self._box.ymax += margin * height
        self._box.margin = 0
        super()._set_view()


def _effect_markers(series: Sequence[tuple[dict, Sequence[tuple[float, float]]]], width: float):
    """One group of markers per side effect, ``[(spec, [(x, y), ...]), ...]`` in SVG units.

    Markers of different side effects that would cover each other (the same day, about the same
    severity) are moved apart sideways, centred on their day (or as near as the frame, 0 to
    ``width``, allows), in the order given; those of one side effect on neighbouring days may
    overlap (they are one colour and shape)."""
    moved: list[list[float]] = [[x for x, _y in points] for _spec, points in series]
    by_x: dict[float, list[tuple[float, int, int]]] = {}
    for which, (_spec, points) in enumerate(series):
        for n, (x, y) in enumerate(points):
            by_x.setdefault(round(x, 2), []).append((y, which, n))
    step = _EFFECT_R * 1.35
    for crowd in by_x.values():
        crowd.sort()
        clusters: list[list[tuple[float, int, int]]] = []
        for point in crowd:
            if clusters and point[0] - clusters[-1][-1][0] < _EFFECT_R * 1.6:
                clusters[-1].append(point)
            else:
                clusters.append([point])
        for cluster in clusters:
            if len({which for _y, which, _n in cluster}) < 2:
                continue
            cluster.sort(key=lambda point: point[1])
            x = moved[cluster[0][1]][cluster[0][2]]
            half = (len(cluster) - 1) / 2 * step
            x = min(max(x, half), width - half)  # the first day's and the last day's stay inside
            for k, (_y, which, n) in enumerate(cluster):
                moved[which][n] = x + (k - (len(cluster) - 1) / 2) * step
    groups = []
    for (spec, points), xs in zip(series, moved, strict=True):
        attrs = {"class": f"chart-series chart-effect {spec['class']}", "fill": spec["stroke"]}
        shape_attrs = {"stroke": "none"}
        size = _EFFECT_R
        if spec.get("warning"):
            attrs["class"] += " chart-warning"
            shape_attrs = {"stroke": "currentColor", "stroke-width": str(_WARNING_OUTLINE)}
            size = _WARNING_R
        group = ET.Element("g", attrs)
        for x, (_x, y) in zip(xs, points, strict=True):
            group.append(_shape_element(spec["shape"], x, y, size, shape_attrs))
        groups.append(group)
    return groups


def _path_x(path: ET.Element) -> float:
    found = re.match(r"\s*M\s*(-?[\d.]+)", path.get("d", ""))
    return float(found.group(1)) if found else math.nan


def _frame_line(x: float, height: float) -> ET.Element:
    return ET.Element(
        "path",
        {
            "d": f"M{x} 0 v{height}",
            "class": "chart-axis-line",
            "fill": "none",
            "stroke": "currentColor",
            "stroke-opacity": "0.6",
            "stroke-width": "1.5",
        },
    )


def _on_severity_axis(value: float, axis: Axis) -> float:
    """Where ``value`` of the right-hand ``axis`` falls on the left one (severity 0-10), as
    pygal draws a secondary series: its low end on 0, its high end on 10."""
    low, high = _SEVERITY_AXIS
    return low + (value - axis.lo) * (high - low) / ((axis.hi - axis.lo) or 1)


def _right_axis(plot: ET.Element, view: _View, axis: Axis, title: Sequence[str]) -> None:
    """The right-hand axis's tick marks (its labels need not sit on the severity guides) and
    its title above it, right-aligned with the drawing's edge."""
    found = re.search(r"translate\(\s*(-?[\d.]+)", plot.get("transform", ""))
    left = float(found.group(1)) if found else 0.0
    ticks = plot.find("./g[@class='chart-axis chart-axis-y2']")
    if ticks is None:
        ticks = ET.SubElement(plot, "g", {"class": "chart-axis chart-axis-y2"})
    for value in axis.ticks:
        y = view.y(_on_severity_axis(value, axis))
        ticks.append(
            _line(view.width - _TICK_MARK, y, view.width, y,
                  {"class": "chart-tick-mark", "stroke": "currentColor",
                   "stroke-opacity": "0.6", "stroke-width": "1.5"})
        )  # fmt: skip
    group = ET.SubElement(plot, "g", {"class": "chart-axis-title chart-axis-title-y2"})
    x = WIDTH - _RIGHT_TITLE_INSET - left
    # The last line's baseline clears the infusion markers and the top tick's label.
    for n, line in enumerate(title):
        y = -FONT - 10 - (len(title) - 1 - n) * _LINE
        text = ET.SubElement(group, "text", {"x": str(x), "y": str(y), "text-anchor": "end"})
        text.text = line


def _text_width(text: str) -> float:
    """A text's width in SVG units, estimated as the legend's is (0.58 em a character)."""
    return len(text) * FONT * 0.58


def _wrap(text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (estimated), broken at spaces; a word wider
    than a line keeps a line of its own."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [text]


def severity_by_day_chart(
    per_day: Sequence[tuple[int, float | None]],
    *,
    title: str,
    value_kind: Literal["cycles", "severity"],
    cycles_total: int | None = None,
    x_label: str | None = None,
    summary: str | None = None,
    chart_id: str | None = None,
) -> Chart:
    """One side effect by day of the cycle, as bars.

    ``per_day``: ``[(day, value), ...]``. With ``value_kind="cycles"`` the value is how many
    cycles had the side effect that day (the axis runs to ``cycles_total``); with
    ``"severity"`` it is the median severity, 0-10. Days missing in between are drawn empty.
    """
    title = str(title)
    x_label = str(x_label) if x_label is not None else _("Day of the cycle")
    values = {int(day): value for day, value in per_day if value is not None}
    chart_id = chart_id or _make_id(
        "by-day", sorted(values.items()), title, value_kind, cycles_total, x_label, summary
    )
    if value_kind not in ("cycles", "severity"):
        raise ValueError(f"value_kind must be 'cycles' or 'severity', not {value_kind!r}")
    if value_kind == "cycles":
        y_label = (
            _("Cycles with it (of %(total)s)") % {"total": cycles_total}
            if cycles_total
            else _("Cycles with it")
        )
        top = cycles_total or max(values.values(), default=1)
    else:
        y_label = _("Median severity (0-10)")
        top = 10
    table = ChartTable((x_label, y_label), tuple((day, values[day]) for day in sorted(values)))
    if not values:
        return _no_data(title, summary, table, chart_id)

    first, last = min(min(values), 0), max(values)
    days = list(range(first, last + 1))
    step = _tick_step(last - first)
    chart = _new_chart(
        pygal.Bar,
        height=400,
        legend=[],
        x_title=x_label,
        y_title=y_label,
        range=(0, max(top, 1)),
        y_labels=_int_ticks(max(top, 1)),
        x_labels=[str(day) for day in days],
        x_labels_major=[str(day) for day in days if (day - first) % step == 0],
        show_minor_x_labels=False,
        spacing=4,
    )
    chart.add(y_label, [values.get(day, 0) for day in days])
    specs = [{"class": "chart-c0 chart-bars", "fill": PALETTE[0], "stroke": "none"}]
    desc = summary or title
    svg = _render(chart, chart_id, title, desc, specs, [], None)
    return Chart(_safe(svg), title, summary, table, chart_id, empty=False)


# --- tables and descriptions -------------------------------------------------------------------


def _cycle_table(series, median, x_label: str) -> ChartTable:
    columns = [x_label] + [label for label, _points in series]
    lookups = [dict(points) for _label, points in series]
    if median:
        columns.append(_("Median"))
        lookups.append(dict(median))
    days = sorted({day for lookup in lookups for day in lookup})
    rows = tuple((day, *(lookup.get(day) for lookup in lookups)) for day in days)
    return ChartTable(tuple(columns), rows)


def _timeline_table(worst, measure_name, measure_points, infusion_days) -> ChartTable:
    columns = [_("Date"), _("Infusion")] + [name for name, _by_day in worst]
    if measure_name is not None:
        columns.append(measure_name)
    infusion_by_day: dict[dt.date, list[str]] = {}
    for day, label in infusion_days:
        infusion_by_day.setdefault(day, []).append(label or _("Infusion"))
    measure_by_day: dict[dt.date, list[float]] = {}
    for day, value in measure_points:
        measure_by_day.setdefault(day, []).append(value)
    days = set(infusion_by_day) | set(measure_by_day)
    for _name, by_day in worst:
        days.update(by_day)
    rows = []
    for day in sorted(days):
        row: list[object] = [
            day,
            ", ".join(infusion_by_day[day]) if day in infusion_by_day else None,
        ]
        row += [by_day.get(day) for _name, by_day in worst]
        if measure_name is not None:
            readings = measure_by_day.get(day)
            row.append(", ".join(_number(v) for v in readings) if readings else None)
        rows.append(tuple(row))
    return ChartTable(tuple(columns), tuple(rows))


def _timeline_desc(worst, measure_name, measure_points, infusion_days, not_drawn: int = 0) -> str:
    count = len(infusion_days)
    parts = [ngettext("%(count)s infusion", "%(count)s infusions", count) % {"count": count}]
    for name, by_day in worst:
        count = len(by_day)
        parts.append(
            ngettext("%(name)s on %(count)s day", "%(name)s on %(count)s days", count)
            % {"name": name, "count": count}
        )
    if not_drawn:
        parts.append(
            ngettext(
                "%(count)s more side effect not drawn (the table lists it)",
                "%(count)s more side effects not drawn (the table lists them)",
                not_drawn,
            )
            % {"count": not_drawn}
        )
    if measure_name is not None:
        count = len(measure_points)
        parts.append(
            ngettext("%(count)s %(name)s reading", "%(count)s %(name)s readings", count)
            % {"count": count, "name": measure_name}
        )
    return "; ".join(parts) + "."


def _axis_title(label: str, higher_is_worse: bool | None) -> str:
    if higher_is_worse is None:
        return label
    if higher_is_worse:
        return _("%(label)s, higher is worse") % {"label": label}
    return _("%(label)s, higher is better") % {"label": label}


def _no_data(title: str, summary: str | None, table: ChartTable, chart_id: str) -> Chart:
    """A small chart that says so: the page keeps its layout and the reader is not left guessing."""
    svg = _svg_root(chart_id, title, _("No data"), f"0 0 {WIDTH} 120")
    svg.set("class", "chart-svg chart-empty")
    frame = _rect(1, 1, WIDTH - 2, 118, {"fill": "none", "stroke": "currentColor"})
    frame.set("stroke-opacity", "0.3")
    frame.set("stroke-dasharray", "6 6")
    svg.append(frame)
    text = ET.SubElement(
        svg, "text", {"x": str(WIDTH / 2), "y": "70", "text-anchor": "middle", "font-size": "28"}
    )
    text.text = _("No data")
    _sanitise(svg)
    body = ET.tostring(svg, encoding="unicode", short_empty_elements=True)
    return Chart(_safe(body), title, summary, table, chart_id, empty=True)


# --- input helpers ----------------------------------------------------------------------------


def _clean_points(points) -> list[tuple[float, float]]:
    """Sorted by day, without None values (a None on the line would need an interruption)."""
    return sorted((day, value) for day, value in points if value is not None and day is not None)


def _as_date(when) -> dt.date:
    return when.date() if isinstance(when, dt.datetime) else when


def _y_range(values, y_min, y_max) -> tuple[float, float]:
    lo = y_min if y_min is not None else min(values, default=0)
    hi = y_max if y_max is not None else max(values, default=1)
    if y_min is None and lo > 0 and lo < hi * 0.5:
        lo = 0  # a scale that starts near zero shows proportions honestly
    if hi <= lo:
        hi = lo + 1
    return (lo, hi)


def _tick_step(span: float) -> int:
    for step in (1, 2, 7, 14, 28, 56, 91):
        if span / step <= 6:
            return step
    return 182


def _day_ticks(lo: int, hi: int) -> list[int]:
    step = _tick_step(hi - lo)
    first = math.ceil(lo / step) * step
    return list(range(first, hi + 1, step))


def _int_ticks(top: float) -> list[int]:
    step = max(1, math.ceil(top / 5))
    return list(range(0, int(top) + 1, step))


def _date_ticks(start: dt.date, end: dt.date) -> list[int]:
    """Day offsets of about five ticks: weekly for short periods (the last day's among them),
    else the 1st of every n months."""
    days = (end - start).days
    if days <= 42:
        # Counted back from the last day, so the axis visibly ends on it (today, usually).
        step = 7 if days > 10 else 1
        return sorted(range(days, -1, -step))
    months = (end.year - start.year) * 12 + end.month - start.month
    every = next((n for n in (1, 2, 3, 6, 12, 24) if months / n <= 5), 60)
    ticks = []
    year, month = start.year, start.month
    while True:
        tick = dt.date(year, month, 1)
        if tick > end:
            break
        index = year * 12 + month - 1
        if tick >= start and index % every == 0:
            ticks.append((tick - start).days)
        year, month = divmod(index + 1, 12)
        month += 1
    return ticks


def _date_label(start: dt.date, offset: float, span: int) -> str:
    day = start + dt.timedelta(days=math.floor(offset))
    if span <= 42:
        return formats.date_format(day, "j M")
    if span > 400:
        # Years of ticks (every 6, 12 or 24 months): "Jan 2022" five times is wider than a phone
        # shows, so a January is its year alone, any other month its name.
        return formats.date_format(day, "Y" if day.month == 1 else "M")
    if day.month == 1:
        return formats.date_format(day, "M Y")
    return formats.date_format(day, "M")


def _number(value: float) -> str:
    if float(value).is_integer():
        return formats.number_format(int(value))
    return formats.number_format(round(value, 2))


def _make_id(kind: str, *parts) -> str:
    """A stable id from the input, so the same chart is the same bytes in every process."""
    digest = hashlib.sha256(repr(_plain((kind, parts))).encode()).hexdigest()[:10]
    return f"chart-{kind}-{digest}"


def _plain(value):
    # Lazy translations and other objects would repr as "<... at 0x7f...>": use their text.
    if isinstance(value, dict):
        return [(_plain(k), _plain(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    return str(value)


def _safe(svg: str) -> SafeString:
    # Safe because _render rebuilt the tree from a whitelist; labels were escaped as text.
    return mark_safe(svg)  # noqa: S308


# --- pygal -------------------------------------------------------------------------------------


class _View:
    """The plot's coordinate transform, caught while pygal renders (it is gone afterwards)."""

    def __init__(self) -> None:
        self.x: Callable[[float], float] = lambda x: x
        self.y: Callable[[float], float] = lambda y: y
        self.width = 0.0
        self.height = 0.0


def _style() -> Style:
    return Style(
        font_family="sans-serif",
        background="transparent",
        plot_background="transparent",
        label_font_size=FONT,
        major_label_font_size=FONT,
        title_font_size=FONT,
        legend_font_size=FONT,
        value_font_size=FONT,
        tooltip_font_size=FONT,
        no_data_font_size=round(FONT * 1.4),
    )


def _legend_rows(legend) -> list[list[tuple[str, str, dict, float]]]:
    """Lay the legend out in rows that fit the width (text width estimated at 0.58 em)."""
    rows: list[list] = [[]]
    used = 0.0
    for kind, label, spec in legend:
        width = 44 + 10 + len(label) * FONT * 0.58 + 24
        if rows[-1] and used + width > WIDTH - 20:
            rows.append([])
            used = 0.0
        rows[-1].append((kind, label, spec, used))
        used += width
    return [row for row in rows if row]


def _new_chart(kind, *, height: int, legend, **config):
    rows = _legend_rows(legend)
    margin_bottom = 12 + len(rows) * _LINE
    chart = kind(
        style=_style(),
        width=WIDTH,
        height=height + len(rows) * _LINE,
        explicit_size=False,
        js=[],
        css=[],
        disable_xml_declaration=True,
        no_prefix=True,
        show_legend=False,
        margin=12,
        margin_top=config.pop("margin_top", _MARGIN_TOP),
        margin_bottom=margin_bottom,
        truncate_label=-1,
        print_values=False,
        no_data_text=_("No data"),
        value_formatter=_number,
        **config,
    )
    return chart


def _render(chart, chart_id, title, desc, specs, legend, decorate) -> str:
    view = _View()

    def catch_view(root):
        # pygal drops its state (and the view) when render() returns: keep what we need.
        view.x, view.y = chart.view.x, chart.view.y
        view.width, view.height = chart.view.width, chart.view.height
        return root

    chart.uuid = chart_id
    chart.add_xml_filter(catch_view)
    raw = chart.render(is_unicode=True)
    root = ET.fromstring(raw)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    svg = _finish(root, chart_id, title, desc, specs, view.width)
    plot = svg.find("./g/g[@class='chart-plot']")
    if plot is not None and decorate is not None:
        decorate(plot, view)
    rows = _legend_rows(legend)  # the same rows _new_chart made room for
    if rows:
        svg.append(_legend(rows, float(root.get("viewBox").split()[3])))
    _sanitise(svg)
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)


def _svg_root(chart_id: str, title: str, desc: str, view_box: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": _SVG_NS,
            "viewBox": view_box,
            "width": "100%",
            "id": chart_id,
            "class": "chart-svg",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title",
            "aria-describedby": f"{chart_id}-desc",
            "font-family": "sans-serif",
            "font-size": str(FONT),
            "fill": "currentColor",
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = desc
    return svg


def _classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def _serie_key(element: ET.Element) -> str | None:
    return next((c for c in sorted(_classes(element)) if c.startswith("serie-")), None)


def _finish(
    root: ET.Element, chart_id: str, title: str, desc: str, specs, width: float
) -> ET.Element:
    """Rebuild pygal's tree with our classes and presentation attributes, dropping the rest
    (its style, script, tooltips, ids and per-point titles)."""
    svg = _svg_root(chart_id, title, desc, root.get("viewBox", f"0 0 {WIDTH} 400"))
    graph = root.find("g")
    if graph is None:
        return svg
    groups = [group for group in graph if group.tag == "g"]
    # pygal draws a series' line in the plot and its dots in an overlay above it: reunite them.
    overlays: dict[str, list[ET.Element]] = {}
    for group in groups:
        if _classes(group) == {"plot", "overlay"}:
            for part in group:
                key = _serie_key(part)
                if key is not None:
                    overlays.setdefault(key, []).append(part)
    out_graph = ET.SubElement(svg, "g", {"class": "chart-graph"})
    for group in groups:
        classes = _classes(group)
        if classes == {"plot"}:
            plot = ET.SubElement(
                out_graph, "g", {"class": "chart-plot", "transform": group.get("transform", "")}
            )
            for child in group:
                child_classes = _classes(child)
                if "axis" in child_classes:
                    plot.append(_axis(child, child_classes, width))
                elif "series" in child_classes:
                    key = _serie_key(child) or "serie-0"
                    index = int(key.removeprefix("serie-"))
                    spec = specs[index] if index < len(specs) else _line_spec(index)
                    if not spec.get("drop"):
                        plot.append(_series([child, *overlays.get(key, [])], spec))
        elif "titles" in classes:
            titles = ET.SubElement(out_graph, "g", {"class": "chart-axis-title"})
            for text in group.iter("text"):
                if "plot_title" not in _classes(text):
                    titles.append(_copy_text(text))
    return svg


def _copy_text(text: ET.Element) -> ET.Element:
    keep = {k: v for k, v in text.attrib.items() if k in ("x", "y", "transform")}
    copy = ET.Element("text", keep)
    copy.text = "".join(text.itertext())
    if "title" in (text.get("class") or ""):
        copy.set("text-anchor", "middle")
    return copy


def _axis(axis: ET.Element, classes: set[str], width: float) -> ET.Element:
    which = "y2" if "y2" in classes else ("x" if "x" in classes else "y")
    out = ET.Element("g", {"class": f"chart-axis chart-axis-{which}"})
    for element in axis.iter():
        element_classes = set((element.get("class") or "").split())
        if element.tag == "path" and "line" in element_classes:
            baseline = "guide" not in element_classes
            if which == "x":
                # An edge of the plot only. With a right-hand axis pygal leaves "guide" off the
                # last tick's line wherever it is (a 1-month timeline's 21 Nov, days before the
                # end), which would draw it as the frame.
                x = _path_x(element)
                baseline = baseline and (abs(x) < 0.5 or abs(x - width) < 0.5)
            attrs = {
                "d": element.get("d", ""),
                "class": "chart-axis-line" if baseline else "chart-grid",
                "fill": "none",
                "stroke": "currentColor",
                "stroke-opacity": "0.6" if baseline else "0.18",
                "stroke-width": "1.5" if baseline else "1",
            }
            out.append(ET.Element("path", attrs))
        elif element.tag == "text":
            text = _copy_text(element)
            if which == "y":
                text.set("text-anchor", "end")
            elif which == "y2":
                text.set("text-anchor", "start")
            else:
                text.set("text-anchor", "middle")
            text.set("class", "chart-tick")
            out.append(text)
    return out


def _series(parts: list[ET.Element], spec: dict) -> ET.Element:
    colour = spec.get("stroke", "currentColor")
    attrs = {"class": f"chart-series {spec.get('class', '')}".strip()}
    if spec.get("fill"):
        attrs["fill"] = spec["fill"]
    elif colour:
        attrs["fill"] = colour
    if colour:
        attrs["stroke"] = colour
    out = ET.Element("g", attrs)
    for element in (element for part in parts for element in part.iter()):
        classes = _classes(element)
        if element.tag == "path" and "line" in classes:
            line = {
                "d": element.get("d", ""),
                "fill": "none",
                "stroke-width": str(spec.get("width", _CYCLE_WIDTH)),
                "stroke-linejoin": "round",
                "stroke-linecap": "round",
            }
            if spec.get("dash"):
                line["stroke-dasharray"] = spec["dash"]
            out.append(ET.Element("path", line))
        elif element.tag == "circle" and "dot" in classes and spec.get("shape"):
            x, y = float(element.get("cx", 0)), float(element.get("cy", 0))
            size = spec.get("size", 9)
            out.append(_shape_element(spec["shape"], x, y, size, {"stroke": "none"}))
        elif element.tag == "rect" and "rect" in classes:
            keep = {k: element.get(k) for k in ("x", "y", "width", "height")}
            out.append(ET.Element("rect", keep))
    return out


def _first_series_index(plot: ET.Element) -> int:
    for index, child in enumerate(plot):
        if "chart-series" in (child.get("class") or ""):
            return index
    return len(plot)


# --- shapes, lines and the legend --------------------------------------------------------------


def _line_spec(index: int) -> dict:
    colour = index % len(PALETTE)
    dash = _DASHES[(index // len(PALETTE)) % len(_DASHES)]
    return {
        "class": f"chart-cycle chart-c{colour}",
        "stroke": PALETTE[colour],
        "width": _CYCLE_WIDTH,
        "dash": dash,
    }


# Colour and shape together: 16 side effects look apart (_shape_spec of 0 to 15).
_EFFECT_STYLES = len(PALETTE) * len(_SHAPES)


def _effect_styles(wanted: Sequence[int]) -> list[int]:
    """The style (:func:`_shape_spec`) of each side effect drawn, from the one it asks for.

    A side effect keeps its own colour and shape (its style, modulo the 16 there are) in every
    period; only when it would share a colour or a shape with one drawn with it does the one
    asking for the larger style move on, to the next style whose colour and shape are both
    free. Up to four side effects (as many as there are colours) then differ in both; beyond
    that, in one of the two at least.
    """
    taken: set[int] = set()
    colours: set[int] = set()
    shapes: set[int] = set()
    found: dict[int, int] = {}
    for position in sorted(range(len(wanted)), key=lambda i: (wanted[i], i)):
        first = wanted[position] % _EFFECT_STYLES
        order = [(first + k) % _EFFECT_STYLES for k in range(_EFFECT_STYLES)]
        style = next(
            (
                s
                for s in order
                if s not in taken and _colour_of(s) not in colours and _shape_of(s) not in shapes
            ),
            None,
        )
        if style is None:
            style = next((s for s in order if s not in taken), first)
        taken.add(style)
        colours.add(_colour_of(style))
        shapes.add(_shape_of(style))
        found[position] = style
    return [found[position] for position in range(len(wanted))]


def _colour_of(style: int) -> int:
    return style % len(PALETTE)


def _shape_of(style: int) -> int:
    return (style + style // len(PALETTE)) % len(_SHAPES)


def _warning_styles(wanted: Sequence[int]) -> list[int]:
    """The shape (index in ``_WARNING_SHAPES``) of each warning sign drawn: the one it asks for,
    or the next one free; they repeat only beyond five warning signs at once."""
    taken: set[int] = set()
    found: dict[int, int] = {}
    count = len(_WARNING_SHAPES)
    for position in sorted(range(len(wanted)), key=lambda i: (wanted[i], i)):
        style = wanted[position] % count
        while style in taken and len(taken) < count:
            style = (style + 1) % count
        taken.add(style)
        found[position] = style
    return [found[position] for position in range(len(wanted))]


def _warning_spec(index: int) -> dict:
    shape = _WARNING_SHAPES[index % len(_WARNING_SHAPES)]
    return {"class": "chart-warn", "stroke": WARNING_COLOUR, "shape": shape, "warning": True}


def _warning_label(name: str) -> str:
    return _("%(name)s (warning sign)") % {"name": name}


def _shape_spec(index: int) -> dict:
    colour = _colour_of(index)
    shape = _SHAPES[_shape_of(index)]
    return {"class": f"chart-c{colour}", "stroke": PALETTE[colour], "shape": shape}


def _shape_element(shape: str, x: float, y: float, r: float, attrs: dict) -> ET.Element:
    if shape == "circle":
        return ET.Element("circle", {"cx": str(x), "cy": str(y), "r": str(r * 0.9), **attrs})
    if shape == "square":
        s = r * 0.8
        points = [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
    elif shape == "diamond":
        points = [(x, y - r * 1.1), (x + r * 1.1, y), (x, y + r * 1.1), (x - r * 1.1, y)]
    elif shape == "down":
        points = [(x - r, y - r), (x + r, y - r), (x, y + r * 0.6)]
    elif shape == "star":  # five points
        points = [
            (x + k * math.sin(a * math.pi / 5), y - k * math.cos(a * math.pi / 5))
            for a in range(10)
            for k in [r * 1.3 if a % 2 == 0 else r * 0.55]
        ]
    elif shape == "cross":  # an X with arms a third of its width
        a, b = r * 1.05, r * 0.35
        points = [
            (x - a, y - a + b), (x - a + b, y - a), (x, y - b), (x + a - b, y - a),
            (x + a, y - a + b), (x + b, y), (x + a, y + a - b), (x + a - b, y + a),
            (x, y + b), (x - a + b, y + a), (x - a, y + a - b), (x - b, y),
        ]  # fmt: skip
    elif shape == "hourglass":
        points = [(x - r, y - r), (x + r, y - r), (x - r, y + r), (x + r, y + r)]
    elif shape in ("hexagon", "pentagon"):
        n = 6 if shape == "hexagon" else 5
        turn = 2 * math.pi / n
        points = [
            (x + r * 1.1 * math.sin(turn * k), y - r * 1.1 * math.cos(turn * k)) for k in range(n)
        ]
    else:  # triangle
        points = [(x, y - r * 1.1), (x + r, y + r * 0.8), (x - r, y + r * 0.8)]
    d = "M" + " L".join(f"{round(px, 2)} {round(py, 2)}" for px, py in points) + " Z"
    return ET.Element("path", {"d": d, **attrs})


def _line(x1: float, y1: float, x2: float, y2: float, attrs: dict) -> ET.Element:
    return ET.Element("line", {"x1": str(x1), "y1": str(y1), "x2": str(x2), "y2": str(y2), **attrs})


def _rect(x: float, y: float, width: float, height: float, attrs: dict) -> ET.Element:
    return ET.Element(
        "rect", {"x": str(x), "y": str(y), "width": str(width), "height": str(height), **attrs}
    )


def _marker_line(x: float, height: float) -> ET.Element:
    group = ET.Element("g", {"class": "chart-marker", "stroke": "currentColor"})
    group.append(_line(x, -6, x, height, {"stroke-width": "2.5", "stroke-dasharray": "9 6"}))
    return group


def _legend(rows, height: float) -> ET.Element:
    legend = ET.Element("g", {"class": "chart-legend"})
    top = height - len(rows) * _LINE - 4
    for row_index, row in enumerate(rows):
        y = top + row_index * _LINE + _LINE / 2
        for kind, label, spec, left in row:
            x = 12 + left
            legend.append(_legend_swatch(kind, spec, x, y))
            text = ET.SubElement(legend, "text", {"x": str(x + 54), "y": str(y + FONT * 0.35)})
            text.text = label
    return legend


def _legend_swatch(kind: str, spec: dict, x: float, y: float) -> ET.Element:
    if kind == "cycles":
        # Three short lines in the first three cycle colours: "thin coloured lines".
        group = ET.Element("g", {"stroke-width": str(_CYCLE_WIDTH)})
        for row in range(3):
            spec = _line_spec(row)
            group.append(
                _line(x, y - 7 + 7 * row, x + 44, y - 7 + 7 * row,
                      {"class": spec["class"], "stroke": spec["stroke"]})
            )  # fmt: skip
        return group
    if kind == "median":
        return _line(
            x, y, x + 44, y,
            {"stroke": "currentColor", "stroke-width": str(_MEDIAN_WIDTH),
             "stroke-linecap": "round"},
        )  # fmt: skip
    if kind == "marker":
        return _line(
            x + 22, y - 12, x + 22, y + 12,
            {"stroke": "currentColor", "stroke-width": "2.5", "stroke-dasharray": "6 4"},
        )  # fmt: skip
    if kind == "band":
        return _rect(x + 6, y - 11, 32, 22, {"fill": "currentColor", "fill-opacity": "0.1"})
    if kind == "infusion":
        return _shape_element("down", x + 22, y - 2, 9, {"fill": "currentColor"})
    if kind == "measure":
        group = ET.Element("g", {"stroke": "currentColor", "fill": "currentColor"})
        group.append(_line(x, y, x + 44, y, {"stroke-width": "3"}))
        group.append(_shape_element("circle", x + 22, y, 6, {"stroke": "none"}))
        return group
    # a side effect's shape; a warning sign's outlined, as on the chart
    attrs = {"class": spec["class"], "fill": spec["stroke"]}
    if spec.get("warning"):
        attrs |= {"stroke": "currentColor", "stroke-width": str(_WARNING_OUTLINE)}
    return _shape_element(spec["shape"], x + 22, y, 9 if spec.get("warning") else 8, attrs)


# --- sanitising ---------------------------------------------------------------------------------

_ELEMENTS = {"svg", "g", "title", "desc", "path", "line", "rect", "circle", "text"}
_ATTRIBUTES = {
    "xmlns", "viewBox", "width", "height", "id", "class", "role", "aria-labelledby",
    "aria-describedby", "font-family", "font-size", "fill", "fill-opacity", "stroke",
    "stroke-width", "stroke-opacity", "stroke-dasharray", "stroke-linejoin", "stroke-linecap",
    "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "transform", "text-anchor",
}  # fmt: skip


def _sanitise(svg: ET.Element) -> None:
    """Whitelist elements and attributes, so nothing may load or run anything; and round
    pygal's 15-digit coordinates to two decimals (plenty for 600 units, and half the size)."""
    for parent in list(svg.iter()):
        for child in list(parent):
            if child.tag not in _ELEMENTS:
                parent.remove(child)
        for name in list(parent.attrib):
            value = parent.attrib[name]
            if name not in _ATTRIBUTES or "url(" in value or ":" in name:
                del parent.attrib[name]
            else:
                parent.attrib[name] = _LONG_NUMBER.sub(_short_number, value)


_LONG_NUMBER = re.compile(r"-?\d+\.\d{3,}")


def _short_number(match: re.Match) -> str:
    text = f"{float(match.group(0)):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
