"""Trends, for patients and caregivers (the doctor's report lives in ``views_report.py``).

Every view goes through ``patients.access.patient_view``; what a page shows comes from the
plain-data modules of this app (``trends``, ``cycles``, ``wearoff``, ``comparison``,
``charts``), the view only picks the period and the wording.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import capfirst
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clinical import red_flags, scales, symptoms
from patients.access import PatientRequest, patient_view
from patients.caching import render_cached
from patients.htmx import vary_on_htmx, wants_fragment

from . import charts, comparison, cycles, document, trends, wearoff
from .report_html import count_text as _count
from .report_html import esc as _esc

# --- Trends ---------------------------------------------------------------------------------------

TRENDS_TEMPLATE = "reports/trends.html"
TRENDS_FRAGMENT = "trends-content"  # the partial, named after the DOM id it replaces
TRENDS_CHART_TEMPLATE = "reports/trends_chart.html"
# The timeline draws this many side effects at most (the most frequent in the period): beyond
# four, colours and shapes repeat and the chart stops being readable on a phone.
TIMELINE_SIDE_EFFECTS = 4
# Warning signs drawn on the timeline besides the most frequent side effects, at most.
TIMELINE_WARNING_SIGNS = 3
# Over a longer period the timeline draws each side effect's worst of every week (or month),
# not of every day: 600 units cannot show a year of days apart, and drawing them cost pygal a
# second on five years of data.
TIMELINE_DAILY_UP_TO_DAYS = 190
TIMELINE_WEEKLY_UP_TO_DAYS = 400
CHART_SECONDS = 3600
KG_PER_LB = Decimal("0.45359237")
_DAY = dt.timedelta(days=1)


def _period_labels(words: _Words | None = None) -> dict[str, str]:
    words = words or _Words()
    return {
        "1": words.gettext("1 month"),
        "3": words.gettext("3 months"),
        "6": words.gettext("6 months"),
        "12": words.gettext("12 months"),
        "all": words.gettext("All"),
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
    trends_url = reverse("reports:trends", args=[patient.public_id])
    words = _Words()
    context = {
        "patient": patient,
        "trends_url": trends_url,  # the template's {% url %}, reversed once
        "period": period,
        "periods_html": _links(
            trends_url,
            "period",
            period,
            [(key, label, _query(key, choice, by)) for key, label in _period_labels(words).items()],
        ),
        "since": since,
        "until": today,
        # As the template's ``|date:"j M Y"``, written here (date_format costs ~20 us a date).
        "since_text": words.date(since),
        "until_text": words.date(today),
        "empty": data.empty,
        "choice": choice,
        "by": by,
        "measure_options": [o for o in options if not o.is_effect],
        "effect_options": [o for o in options if o.is_effect],
    }
    if choice is not None and choice.is_effect:
        context["by_links_html"] = _links(
            trends_url,
            "by",
            by,
            [
                (key, label, _query(period, choice, key))
                for key, label in (
                    (trends.BY_SEVERITY, words.gettext("How bad, by day")),
                    (trends.BY_CYCLES, words.gettext("How many cycles had it")),
                )
            ],
        )
    context["measure_options_html"] = _options(context["measure_options"], choice)
    context["effect_options_html"] = _options(context["effect_options"], choice)
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
        cycle_view = _effect_view(data, choice, by, words)
    else:
        cycle_view = _measure_view(choice, series_of(choice), estimate, units, words)
    timeline = _timeline(
        data, since, today, main, series_of(main) if main else [], units, patient.tz, words
    )
    return context | {
        "timeline": timeline,
        "cycle_view": cycle_view,
        "table_measure": table_measure,
        "course_cards": _course_cards(
            _rows(data, table_measure, estimate, units, words), table_measure, words
        ),
        "comparison": _comparison(data, words),
    }


_LINK = """
        <li class="nav-item"><a class="nav-link{active}" id="{prefix}-{key}" href="{url}{query}"{current} hx-get="{url}{query}" hx-target="#trends-content" hx-swap="outerHTML" hx-push-url="true">{label}</a></li>
      """  # noqa: E501 (the template's line)
_LINK_OF_BY = """
            <li class="nav-item"><a class="nav-link{active}" id="{prefix}-{key}" href="{url}{query}"{current} hx-get="{url}{query}" hx-target="#trends-content" hx-swap="outerHTML" hx-push-url="true">{label}</a></li>
          """  # noqa: E501 (the template's line)


def _links(url: str, prefix: str, current: str, links: list[tuple[str, str, str]]) -> str:
    """The period (or "by") links, as the template's loops wrote them."""
    line = _LINK if prefix == "period" else _LINK_OF_BY
    url = _esc(url)
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            line.format(
                active=" active" if key == current else "",
                prefix=prefix,
                key=_esc(key),
                url=url,
                query=_esc(query),
                current=' aria-current="page"' if key == current else "",
                label=_esc(label),
            )
            for key, label, query in links
        )
    )


def _options(options: list[trends.Choice], choice: trends.Choice | None) -> str:
    """The ``<option>`` elements of the "Show" list, as the template's loop wrote them."""
    chosen = choice.key if choice is not None else None
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            '<option value="{}"{}>{}</option>'.format(
                _esc(o.key), " selected" if o.key == chosen else "", _esc(o.label)
            )
            for o in options
        )
    )


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


CYCLE_FROM = gettext_noop("Cycle from %(date)s")


def _cycle_label(start: dt.date, words: _Words | None = None) -> str:
    if words is None:
        return _(CYCLE_FROM) % {"date": _date(start)}
    return words(CYCLE_FROM) % {"date": words.date(start)}


# Words of the per-course cards, translated once per page (:class:`_Words`), not once per card.
NO_END = gettext_noop("no end logged")
AT_LEAST_HOURS = gettext_noop("at least %(hours)s h")
UNDER_AN_HOUR = gettext_noop("under 1 h")
HOURS = gettext_noop("%(hours)s h")
FIRST_TO_LAST = gettext_noop("%(first)s to %(last)s")
CURRENT_CYCLE = gettext_noop("current cycle, day %(day)s")
RATE = gettext_noop("%(rate)s mL/kg/h")
NOT_RECORDED = gettext_noop("not recorded")
GRAMS = gettext_noop("%(grams)s g")
DOSE = gettext_noop("%(dose)s g/kg")
NONE_RECORDED = gettext_noop("none recorded")
VALUE_ON_DAY = gettext_noop("%(value)s on day %(day)s")
# A cycle with a single reading has no "best": the card says what that reading was.
ONE_READING = gettext_noop("one reading: %(value)s on day %(day)s")
WEAR_OFF_DAY = gettext_noop("day %(day)s")
NO_LASTING_WORSENING = gettext_noop("no lasting worsening")
TOO_FEW_READINGS = gettext_noop("too few readings")
NOT_JUDGED = gettext_noop("not judged (no published meaningful change)")
NOT_OVER_YET = gettext_noop("(cycle not over yet)")


# Fixed messages and month names as the language has them, per language and process (as
# patients.formats keeps month names): a page asks for dozens, and each Django ``gettext`` costs
# ~30 calls through the active-language lookup.
_TRANSLATED: dict[str | None, dict[str, str]] = {}
_MONTHS: dict[str | None, list[str]] = {}
# ``ngettext`` by message and number, per language: numbers vary, so at most this many each.
_PLURALS: dict[str | None, dict[tuple[str, str, int], str]] = {}
_PLURALS_KEPT = 5000


class _Words:
    """The words of one page: ``gettext`` of fixed messages and ``ngettext`` (each translated
    once per language and process, :data:`_TRANSLATED`, :data:`_PLURALS`), :func:`_date` with
    the month names of the language, and :func:`_number` once per value and page
    (``number_format`` reads three formats of the language each time). The language does not
    change while a page is built, so it is read once, here."""

    def __init__(self) -> None:
        language = get_language()
        self._found = _TRANSLATED.setdefault(language, {})
        months = _MONTHS.get(language)
        if months is None:  # "M": the month's abbreviation as the date filter writes it
            months = [""] + [formats.date_format(dt.date(2000, n, 1), "M") for n in range(1, 13)]
            _MONTHS[language] = months
        self._months = months
        self._plurals = _PLURALS.setdefault(language, {})
        self._numbers: dict[tuple, str] = {}

    def __call__(self, message: str) -> str:
        """``gettext(message)``, for messages written in the code (gettext_noop constants or
        literals), never for text that varies: each is kept for the life of the process."""
        found = self._found.get(message)
        if found is None:
            found = self._found[message] = _(message)
        return found

    # A literal message goes through ``words.gettext("...")`` or ``words.ngettext("...", ...)``:
    # makemessages (xgettext) finds calls by the name before the parenthesis.
    gettext = __call__

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        """``ngettext(singular, plural, number)``."""
        key = (singular, plural, number)
        found = self._plurals.get(key)
        if found is None:
            found = ngettext(singular, plural, number)
            if len(self._plurals) < _PLURALS_KEPT:
                self._plurals[key] = found
        return found

    def date(self, day: dt.date, year: bool = True) -> str:
        """``_date(day)``: "j M Y" is the day, the month's "M" and the four-digit year; "j M"
        without ``year``."""
        if not year:
            return f"{day.day} {self._months[day.month]}"
        return f"{day.day} {self._months[day.month]} {day.year:04d}"

    def number(self, value, places: int = 1) -> str:
        """``_number(value, places)``. Values equal as numbers (2, 2.0, Decimal("2.00")) are
        one key, and ``_number`` writes them alike (it rounds their float)."""
        key = (value, places)
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = _number(value, places)
        return found

    def with_unit(self, value, unit: str) -> str:
        """``_with_unit(value, unit)``."""
        if value is None:
            return "—"
        return f"{self.number(value)} {unit}".strip()


def _hours(hours: float, still_open: bool, words: Callable[[str], str] = _) -> str:
    """How long a side effect lasted: "36 h"; one never closed "at least 36 h"."""
    whole = document.whole_hours(hours, still_open)
    if still_open:
        if whole < 1:
            return words(NO_END)
        return words(AT_LEAST_HOURS) % {"hours": whole}
    if whole < 1:
        return words(UNDER_AN_HOUR)
    return words(HOURS) % {"hours": whole}


def _measure_axis(choice: trends.Choice, unit: str, words: _Words | None = None) -> str:
    words = words or _Words()
    if choice.kind == scales.MGADL:
        return words.gettext("MG-ADL (0-24)")
    if choice.kind == scales.INCAT:
        return words.gettext("INCAT (0-10)")
    if choice.kind == scales.GBS_DISABILITY:
        return words.gettext("GBS level (0-5)")
    return f"{choice.label} ({unit})" if unit else choice.label


# --- charts ---------------------------------------------------------------------------------------


def _drawn(draw: Callable[..., charts.Chart], *args, **kwargs) -> SafeString:
    """``draw(*args, **kwargs)`` framed by templates/reports/trends_chart.html (:func:`_framed`):
    its HTML, or the same HTML made before from the same numbers.

    A chart and its table are most of the cost of the page, and most charts outlive a change to
    the diary: a headache logged today redraws the timeline, not the MG-ADL cycles. So charts
    are kept by what they show (their exact input and the language), for every member and every
    page that draws the same one, while the page around them is rebuilt on each change.
    """
    plain = repr((draw.__name__, args, sorted(kwargs.items()), get_language()))
    # "trends-chart": only the HTML as trends_chart.html writes it, which is all a page reads
    # back (so a page reusing it skips that template too). The entries of the old prefix,
    # "chart-html", held the chart and its table's rows as well, which made each read twice as
    # long; a new prefix, so that none of them is read as HTML after a deploy.
    key = f"trends-chart:{draw.__name__}:{hashlib.sha256(plain.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(TRENDS_CHART_TEMPLATE, {"framed": _framed(draw(*args, **kwargs))})
        cache.set(key, html, CHART_SECONDS)
    return mark_safe(html)  # noqa: S308 (the template's output)


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return _date(value)
    if isinstance(value, float | int | Decimal):
        return _number(value)
    return str(value)


def _framed(chart: charts.Chart) -> dict:
    """A chart with its table alternative, for templates/reports/trends_chart.html: the
    table's rows as HTML, written here (a five-year table has thousands of cells, which the
    template language took tens of milliseconds to loop over)."""
    body = "".join(
        '<tr><th scope="row">'
        + escape(_cell(row[0]))
        + "</th>"
        + "".join(f"<td>{escape(_cell(value))}</td>" for value in row[1:])
        + "</tr>"
        for row in chart.table.rows
    )
    return {"chart": chart, "columns": chart.table.columns, "body": mark_safe(body)}  # noqa: S308


def _timeline(
    data: trends.CycleData,
    since: dt.date,
    until: dt.date,
    main: trends.Choice | None,
    main_series: Sequence[cycles.CycleSeries],
    units: _Units,
    tz: dt.tzinfo,
    words: _Words | None = None,
) -> SafeString:
    words = words or _Words()
    courses = [c for c in data.cycles if c.end_date >= since]
    infusions = [
        (infusion.date, str(infusion.product))
        for cycle in courses
        for infusion in cycle.infusions
        if since <= infusion.date <= until
    ]
    # Each side effect's worst severity on every day it went on, in the zone it was logged in;
    # those logged before the first course (linked to none) too: they have a date, if no cycle.
    by_effect = _effect_days((*data.symptoms.values(), data.unlinked_symptoms), since, until)
    effects = sorted(
        ((label, days, key) for key, (label, days) in by_effect.items() if days),
        key=lambda item: (-len(item[1]), item[0].casefold()),
    )
    span = (until - since).days
    if span <= TIMELINE_DAILY_UP_TO_DAYS:
        grouped_by = ""
    else:
        grouped_by = "week" if span <= TIMELINE_WEEKLY_UP_TO_DAYS else "month"

    starts: dict[dt.date, dt.date] = {}

    def group_start(day: dt.date) -> dt.date:
        # The week's Monday or the month's first day (the period's first day for the week or
        # month it starts in); once per day.
        first = starts.get(day)
        if first is None:
            if grouped_by == "week":
                first = day - dt.timedelta(days=day.weekday())
            else:
                first = day.replace(day=1)
            first = starts[day] = max(first, since)
        return first

    # The most frequent few, and any warning sign felt at a severity a warning rule counts
    # (a stiff neck or a fever is rare and matters most); the summary says how many are left.
    lowest = red_flags.lowest_severities()
    signs = [
        effect
        for effect in effects[TIMELINE_SIDE_EFFECTS:]
        if effect[2] in lowest and max(effect[1].values()) >= lowest[effect[2]]
    ]
    signs.sort(key=lambda effect: -max(effect[1].values()))  # the worst first
    chosen = effects[:TIMELINE_SIDE_EFFECTS] + signs[:TIMELINE_WARNING_SIGNS]
    not_drawn = len(effects) - len(chosen)

    def as_drawn(days: dict[dt.date, int]) -> list[tuple[dt.date, int]]:
        if grouped_by:
            worst: dict[dt.date, int] = {}
            for day, severity in days.items():
                first = group_start(day)
                if severity > worst.get(first, 0):
                    worst[first] = severity
            days = worst
        return sorted(days.items())

    drawn = [
        (label, as_drawn(days), _effect_style(key), _is_warning_sign(key, lowest))
        for label, days, key in chosen
    ]
    # The table alternative lists every side effect of the period, drawn or not.
    chosen_keys = {key for _label, _days, key in chosen}
    tabled_only = [
        (label, as_drawn(days)) for label, days, key in effects if key not in chosen_keys
    ]
    measure = None
    measure_drawn = None
    if main is not None:
        # The points below are the main measure's readings: only their days are needed.
        local_dates = {m.pk: m.local_date for m in data.measures if m.kind == main.kind}
        unit = units.unit(main, main_series[0].unit if main_series else "")
        # Each cycle's readings, the one before the first cycle (a course's pre-infusion
        # reading), and every reading taken before the first course ever: they belong to no
        # cycle, but the period holds them (the report and the measures page show them too).
        points = {p.measure_id: p for one in main_series for p in one.points}
        before = [main_series[0].before] if main_series and main_series[0].before else []
        for point in [*before, *trends.points_before_treatment(data, main)]:
            points.setdefault(point.measure_id, point)
        readings = [
            (
                local_dates.get(p.measure_id) or timezone.localtime(p.at, tz).date(),
                units.value(main.kind, p.value),
            )
            for p in points.values()
        ]
        measure = (
            _measure_axis(main, unit, words),
            sorted(r for r in readings if since <= r[0] <= until),
        )
        measure_drawn = measure
        if grouped_by:
            # As the side effects: one point per week or month, its median, so that years of
            # readings show the trend rather than every swing within a cycle.
            grouped: dict[dt.date, list] = {}
            for day, value in measure[1]:
                grouped.setdefault(group_start(day), []).append(value)
            measure_drawn = (
                measure[0],
                [(first, statistics.median(values)) for first, values in sorted(grouped.items())],
            )
    if main is not None:
        title = words.gettext("Infusions, side effects and %(measure)s") % {"measure": main.label}
    else:
        title = words.gettext("Infusions and side effects")
    return _drawn(
        charts.timeline_chart,
        title=title,
        start=since,
        end=until,
        courses=[(c.start_date, c.end_date, ", ".join(c.products)) for c in courses],
        infusions=infusions,
        side_effects=drawn,
        more_side_effects=tabled_only,
        measure=measure_drawn,
        measure_higher_is_worse=scales.HIGHER_IS_WORSE.get(main.kind) if main else None,
        measure_kind=main.kind if main else None,
        measure_readings=measure[1] if measure is not None else None,
        summary=_timeline_summary(
            infusions,
            effects,
            measure,
            grouped_by,
            with_year=since.year != until.year,
            not_drawn=not_drawn,
            words=words,
        ),
    )


def _effect_days(
    groups: Iterable[Iterable[cycles.SideEffectRow]], since: dt.date, until: dt.date
) -> dict[str, tuple[str, dict[dt.date, int]]]:
    """By side effect (``cycles.symptom_key``, in the order first met): its label and its worst
    severity on each day from ``since`` to ``until`` on which it was felt, from
    ``cycles.daily_severity`` of each entry.

    Five years hold 5,000 entries: the key is worked out once per code and typed words, and an
    entry without later readings (one severity from its first day to its last, as
    ``cycles.daily_severity`` has it) is counted day by day here, without building its dict.
    """
    by_effect: dict[str, tuple[str, dict[dt.date, int]]] = {}
    of_words: dict[tuple[str, str], dict[dt.date, int]] = {}
    for rows in groups:
        for entry in rows:
            if entry.worst <= 0:
                continue
            days = of_words.get((entry.symptom, entry.custom_symptom))
            if days is None:
                key = cycles.symptom_key(entry)
                found = by_effect.get(key)
                if found is None:  # the label once per side effect (a translation), not per entry
                    found = by_effect[key] = (str(entry.label), {})
                days = of_words[entry.symptom, entry.custom_symptom] = found[1]
            if entry.last_date < since or entry.onset_date > until:
                continue  # every day it touched is outside the period
            if entry.readings or entry.days is not None:
                for day, severity in cycles.daily_severity(entry).items():
                    if severity > 0 and since <= day <= until and severity > days.get(day, 0):
                        days[day] = severity
            elif (severity := entry.severity) > 0:
                day, last = entry.onset_date, entry.last_date
                if day < since:
                    day = since
                if last > until:
                    last = until
                while day <= last:
                    if severity > days.get(day, 0):
                        days[day] = severity
                    day += _DAY
    return by_effect


# A side effect's place in the symptom catalogue: its colour and shape on the timeline.
_CATALOGUE_ORDER = {symptom.code: n for n, symptom in enumerate(symptoms.CATALOG)}


def _effect_style(key: str) -> int:
    """A side effect's own style on the timeline (charts.timeline_chart), the same in every
    period: its place in the catalogue (the common after-effects come first, each with its
    own colour and shape); one in the patient's words, after the catalogue, from its words."""
    found = _CATALOGUE_ORDER.get(key)
    if found is not None:
        return found
    digest = hashlib.sha256(key.encode()).digest()
    return len(_CATALOGUE_ORDER) + digest[0]


def _is_warning_sign(key: str, lowest: dict[str, int]) -> bool:
    """Drawn and named as a warning sign on the timeline: a side effect some warning rule counts
    at any severity that is not one of the common after-effects (clinical.md): a stiff neck,
    chest pain. A fever, a rash or hives count for a rule only with other signs, and a lone
    mild rash marked "(warning sign)" alarmed a patient (browser pass); they keep their
    ordinary look, as those counted only when severe (a headache of 7) do, so a side effect
    looks the same in every period."""
    return lowest.get(key, 11) <= 1 and symptoms.is_known(key) and not symptoms.get(key).is_common


def _timeline_summary(
    infusions,
    effects,
    measure,
    grouped_by: str,
    with_year: bool,
    not_drawn: int = 0,
    words: _Words | None = None,
) -> str:
    """One sentence: infusion days, days with side effects, and the measure's first and last."""
    words = words or _Words()
    parts = [
        words.ngettext("%(n)s infusion day", "%(n)s infusion days", len(infusions))
        % {"n": len(infusions)}
    ]
    if effects:
        days = set().union(*(days for _label, days, _key in effects))
        parts.append(
            words.ngettext(
                "side effects on %(n)s day, most often %(what)s",
                "side effects on %(n)s days, most often %(what)s",
                len(days),
            )
            % {"n": len(days), "what": effects[0][0].lower()}
        )
        if grouped_by == "week":
            parts[-1] += " " + words.gettext("(each mark is the worst of its week)")
        elif grouped_by == "month":
            parts[-1] += " " + words.gettext("(each mark is the worst of its month)")
        if not_drawn:
            parts.append(
                words.ngettext(
                    "%(n)s more side effect not drawn: the table of numbers and each course "
                    "below list it",
                    "%(n)s more side effects not drawn: the table of numbers and each course "
                    "below list them",
                    not_drawn,
                )
                % {"n": not_drawn}
            )
    else:
        parts.append(words.gettext("no side effects logged"))
    if measure is not None and measure[1]:
        (first_day, first), (last_day, last) = measure[1][0], measure[1][-1]
        # Over a period reaching into another year, "24 Dec" needs its year.
        values = {
            "measure": measure[0],
            "first": words.number(first),
            "first_day": words.date(first_day, year=with_year),
            "last": words.number(last),
            "last_day": words.date(last_day, year=with_year),
        }
        if len(measure[1]) == 1:  # not "8 on 20 May, 8 on 20 May"
            parts.append(words.gettext("%(measure)s %(first)s on %(first_day)s") % values)
        else:
            parts.append(
                words.gettext("%(measure)s %(first)s on %(first_day)s, %(last)s on %(last_day)s")
                % values
            )
        if grouped_by == "week" and len(measure[1]) > 1:
            parts[-1] += " " + words.gettext("(the line joins the median of each week)")
        elif grouped_by == "month" and len(measure[1]) > 1:
            parts[-1] += " " + words.gettext("(the line joins the median of each month)")
    return "; ".join(parts) + "."


def _measure_view(
    choice: trends.Choice,
    series: Sequence[cycles.CycleSeries],
    estimate: wearoff.WearOffEstimate,
    units: _Units,
    words: _Words | None = None,
) -> dict:
    words = words or _Words()
    unit = units.unit(choice, series[0].unit if series else "")
    lines = []
    for one in series:
        points = [
            (p.day, units.value(choice.kind, p.value)) for p in one.points if p.day is not None
        ]
        if points:
            lines.append((_cycle_label(one.start_date, words), points))
    median = [(m.day, units.value(choice.kind, m.value)) for m in cycles.median_by_day(series)]
    # The whole day the sentence and the card say (wearoff.WearOffEstimate.typical_whole_day):
    # the marker sits on it too, so "day 24" is not drawn at 23.5.
    marker = estimate.typical_whole_day if estimate.enough_data else None
    higher_is_worse = scales.HIGHER_IS_WORSE.get(choice.kind)
    scored = choice.kind in (scales.MGADL, scales.INCAT, scales.GBS_DISABILITY)
    chart = _drawn(
        charts.cycle_chart,
        lines,
        median,
        title=words.gettext("%(measure)s by day of the cycle") % {"measure": choice.label},
        y_label=_measure_axis(choice, unit, words),
        higher_is_worse=higher_is_worse,
        y_min=0 if scored else None,
        measure_kind=choice.kind,
        marker_day=marker,
        summary=_cycle_summary(len(lines), median, higher_is_worse, marker),
    )
    return {
        "chart": chart,
        "wear_off": _wear_off_words(choice, estimate),
        "how": estimate.how,
    }


def _cycle_summary(count: int, median, higher_is_worse: bool | None, marker) -> str:
    if not median:
        if count > 1:
            return _("No day of the cycle has readings in two or more cycles: no median.")
        return _("No readings in these cycles.")
    low = min(median, key=lambda point: point[1])
    high = max(median, key=lambda point: point[1])
    if low[1] == high[1]:
        # One day with readings, or the same median on every one: no "lowest" and "highest".
        # With two cycles or more the median is taken only on days with readings in two or
        # more of them (cycles.median_by_day): "every day with readings" contradicted the table
        # of a month with readings on four days, one of them shared (the browser pass).
        text = (
            _(
                "%(n)s cycles: the median was %(value)s on every day with readings in two or "
                "more of them (%(days)s)"
            )
            if count > 1
            else _("%(n)s cycle: the median was %(value)s on every day with readings (%(days)s)")
        ) % {
            "n": count,
            "value": _number(low[1]),
            "days": ngettext("%(n)s day", "%(n)s days", len(median)) % {"n": len(median)},
        }
        if marker is not None:
            text += _("; typical wear-off from day %(day)s") % {"day": _day(marker)}
        return text + "."
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
    if estimate.held and estimate.cycles_worn_off:
        # No typical day: the benefit held in most (or half) of the cycles (reports.wearoff).
        return wearoff.held_sentence(estimate)
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
        "day": _day(estimate.typical_whole_day),
        "worn": estimate.cycles_worn_off,
        "n": counted,
        "measure": choice.label,
    }


def _effect_view(
    data: trends.CycleData, choice: trends.Choice, by: str, words: _Words | None = None
) -> dict:
    words = words or _Words()
    series = trends.symptom_series(data, choice.symptom, custom=choice.custom)
    key = choice.key.removeprefix(trends.EFFECT_PREFIX)
    # Over the cycles the chart and its table show, a course begun before the period included:
    # counted over those given in it only, the sentence said "after 1 of 1 course" over a
    # table of "cycles with it (of 2)" (the second browser pass).
    overview = next((o for o in comparison.side_effect_overview(data.cycles) if o.key == key), None)
    with_it = sum(1 for one in series if one.points)
    if overview is not None:
        summary = words.gettext("%(sentence)s; worst %(worst)s of 10.") % {
            "sentence": comparison.summary_sentence(
                overview, gettext=words, ngettext=words.ngettext
            ),
            "worst": overview.worst,
        }
    else:
        summary = words.ngettext(
            "%(what)s in %(n)s of %(total)s cycle shown.",
            "%(what)s in %(n)s of %(total)s cycles shown.",
            len(series),
        ) % {"what": choice.label, "n": with_it, "total": len(series)}
    if by == trends.BY_CYCLES:
        counts = cycles.cycles_with_symptom_by_day(series)
        chart = _drawn(
            charts.severity_by_day_chart,
            [(c.day, c.cycles) for c in counts],
            title=words.gettext("%(what)s: cycles with it, by day of the cycle")
            % {"what": choice.label},
            value_kind="cycles",
            cycles_total=max((c.of for c in counts), default=len(series)),
            summary=summary,
        )
    else:
        lines, median = trends.severity_by_day(series)
        chart = _drawn(
            charts.cycle_chart,
            [
                (_cycle_label(one.start_date, words), line)
                for one, line in zip(series, lines, strict=True)
                if line
            ],
            median,
            title=words.gettext("%(what)s: how bad, by day of the cycle") % {"what": choice.label},
            y_label=words.gettext("How bad (0-10)"),
            higher_is_worse=True,
            y_min=0,
            y_max=10,
            summary=summary,
        )
    return {"chart": chart, "wear_off": "", "how": ""}


# --- each course ----------------------------------------------------------------------------------


def _wear_off_cell(one: wearoff.CycleWearOff | None, words: Callable[[str], str] = _) -> str:
    if one is None:
        return "—"
    if one.status == wearoff.WORE_OFF:
        text = words(WEAR_OFF_DAY) % {"day": one.wear_off_day}
    elif one.status == wearoff.NO_WEAR_OFF:
        text = words(NO_LASTING_WORSENING)
    elif one.status == wearoff.TOO_FEW_READINGS:
        text = words(TOO_FEW_READINGS)
    else:
        return words(NOT_JUDGED)
    if not one.complete:
        text += " " + words(NOT_OVER_YET)
    return text


def _rows(
    data: trends.CycleData,
    measure: trends.Choice | None,
    estimate: wearoff.WearOffEstimate | None,
    units: _Units,
    words: _Words | None = None,
) -> list[dict]:
    """One card per course, newest first."""
    by_course = {c.course_id: c for c in estimate.cycles} if estimate else {}
    unit = units.unit(measure, estimate.unit) if measure and estimate else ""
    words = words or _Words()
    date, number, with_unit = words.date, words.number, words.with_unit
    severity_words: dict[int, str] = {}
    rows = []
    for cycle in reversed(data.cycles):
        one = by_course.get(cycle.course_id)
        if cycle.start_date == cycle.end_date:
            given = date(cycle.start_date)
        else:
            given = words(FIRST_TO_LAST) % {
                "first": date(cycle.start_date),
                "last": date(cycle.end_date),
            }
        if cycle.cycle_end is None:
            length = words(CURRENT_CYCLE) % {"day": (data.until - cycle.start_date).days}
        else:
            length = words.ngettext(
                "cycle of %(n)s day, to %(end)s",
                "cycle of %(n)s days, to %(end)s",
                cycle.length_days,
            ) % {"n": cycle.length_days, "end": date(cycle.cycle_end)}
        rate = (
            words(RATE) % {"rate": number(cycle.highest_rate_ml_per_kg_h)}
            if cycle.highest_rate_ml_per_kg_h is not None
            else words(NOT_RECORDED)
        )
        if cycle.rate_steps_left_out:
            rate += " " + words.ngettext(
                "(%(n)s step in mL/h without a weight not counted)",
                "(%(n)s steps in mL/h without a weight not counted)",
                cycle.rate_steps_left_out,
            ) % {"n": cycle.rate_steps_left_out}
        dose = words(GRAMS) % {"grams": number(cycle.total_g)}
        if cycle.dose_g_per_kg is not None:
            dose += " · " + words(DOSE) % {"dose": number(cycle.dose_g_per_kg, 2)}
        side_effects = []
        for effect in cycle.side_effects:
            word = severity_words.get(effect.worst)
            if word is None:
                word = severity_words[effect.worst] = str(symptoms.severity_word(effect.worst))
            side_effects.append(
                {
                    "label": effect.label,
                    "worst": effect.worst,
                    "word": word,
                    "lasted": _lasted(effect, words, words.ngettext),
                }
            )
        rows.append(
            {
                "id": f"course-{cycle.course_id}",
                "given": given,
                "length": length,
                "before_period": not cycle.course_in_period,
                "days": cycle.days_given,
                "products": ", ".join(cycle.products) or words(NOT_RECORDED),
                "lots": ", ".join(dict.fromkeys(lot.number for lot in cycle.lots))
                or words(NOT_RECORDED),
                "dose": dose,
                "rate": rate,
                "premedication": ", ".join(cycle.premedication) or words(NONE_RECORDED),
                "side_effects": side_effects,
                # Felt during an infusion day (InfusionReaction), worst first, then by day.
                "reactions": [
                    document.reaction_text(reaction, infusion.date)
                    for infusion, reaction in sorted(
                        (
                            (infusion, reaction)
                            for infusion in cycle.infusions
                            for reaction in infusion.details.reactions
                        ),
                        key=lambda pair: (-pair[1].severity, pair[0].date),
                    )
                ],
                "before": with_unit(
                    units.value(measure.kind, one.before)
                    if one and one.before is not None
                    else None,
                    unit,
                )
                if measure
                else "",
                "best": (
                    words(ONE_READING if one.readings == 1 else VALUE_ON_DAY)
                    % {
                        "value": with_unit(units.value(measure.kind, one.best), unit),
                        "day": one.best_day,
                    }
                    if measure and one and one.best is not None
                    else "—"
                ),
                "wear_off": _wear_off_cell(one, words),
            }
        )
    return rows


def _lasted(
    effect: cycles.SideEffectSummary,
    words: Callable[[str], str],
    ngettext: Callable[[str, str, int], str] = ngettext,
) -> str:
    """How long a course's side effect lasted: "35 h", or, when it was logged as several
    separate entries (episodes), "2 entries, the longest 35 h" so they are not read as one."""
    hours = _hours(effect.hours, effect.longest_open, words)
    if effect.entries < 2:
        return hours
    return ngettext(
        "%(n)s entry, the longest %(hours)s",
        "%(n)s entries, the longest %(hours)s",
        effect.entries,
    ) % {"n": effect.entries, "hours": hours}


_CARD = """
        <section class="card trends-course" aria-labelledby="{id}">
          <div class="card-body">
            <h3 class="h5 mb-1" id="{id}">{given}</h3>
            <p class="text-body-secondary mb-2">{length}{before_period}</p>
            <dl class="row trends-facts mb-0">
              <dt class="col-sm-4">{t_product}</dt><dd class="col-sm-8">{products}</dd>
              <dt class="col-sm-4">{t_lots}</dt><dd class="col-sm-8 trends-lots">{lots}</dd>
              <dt class="col-sm-4">{t_dose}</dt><dd class="col-sm-8">{dose} {over}</dd>
              <dt class="col-sm-4">{t_rate}</dt><dd class="col-sm-8">{rate}</dd>
              <dt class="col-sm-4">{t_premedication}</dt><dd class="col-sm-8">{premedication}</dd>
              <dt class="col-sm-4">{t_side_effects}</dt>
              <dd class="col-sm-8">
                {side_effects}
              </dd>
              {reactions}{measure}
            </dl>
          </div>
        </section>
      """
_EFFECTS = """
                  <ul class="list-unstyled mb-0">
                    {items}
                  </ul>
                """
_REACTIONS = """<dt class="col-sm-4">{t_reactions}</dt>
              <dd class="col-sm-8">
                <ul class="list-unstyled mb-0">{items}</ul>
              </dd>
              """
_REACTION = "<li>{text}</li>"
_EFFECT = """
                      <li>{label}: {t_worst} {severity} ({lasted})</li>
                    """
# templates/components/severity.html, as {% include %} wrote it (its last newline included).
_SEVERITY = (
    '<span class="severity severity-{worst}"><span class="severity-number">{worst}</span>'
    ' <span class="severity-word">{word}</span></span>\n'
)
_MEASURE = """
                <dt class="col-sm-4">{t_before}</dt><dd class="col-sm-8">{before}</dd>
                <dt class="col-sm-4">{t_best}</dt><dd class="col-sm-8">{best}</dd>
                <dt class="col-sm-4">{t_wear_off}</dt><dd class="col-sm-8">{wear_off}</dd>
              """


def _course_cards(
    rows: list[dict], measure: trends.Choice | None, words: _Words | None = None
) -> str:
    """The cards of "Each course" (:func:`_rows`) as HTML, exactly as the template loop wrote
    them (whitespace, escaping and the messages included): a five-year period has 65 cards of
    a dozen facts each, which the template language took most of the page's render to loop
    over. Fixed words are translated once per page, not once per card."""
    words = words or _Words()
    labels = {
        name: _esc(words(message))  # as {% translate %}: escaped
        for name, message in (
            ("t_product", "Product"),
            ("t_lots", "Lots"),
            ("t_dose", "Dose"),
            ("t_rate", "Highest rate"),
            ("t_premedication", "Premedication"),
            ("t_side_effects", "Side effects"),
        )
    }
    before_period = " · " + _esc(words.gettext("course given before this period"))
    t_worst = _esc(words.gettext("worst"))
    none_logged = _esc(words.gettext("none logged"))
    t_reactions = _esc(words.gettext("During the infusion"))
    measure_html = ""
    if measure:
        # As {% blocktranslate with measure=... %}: the message as it is, the value escaped.
        t_before = words.gettext("%(measure)s before the course") % {"measure": _esc(measure.label)}
        t_best, t_wear_off = _esc(words.gettext("At its best")), _esc(words.gettext("Wear-off"))
    parts = []
    # Each side effect's line once per page: five years list ~400, most of them alike ("Headache:
    # worst 5 moderate (36 h)"), and each took four escapes and two formats.
    effect_lines: dict[tuple, str] = {}
    for row in rows:
        if row["side_effects"]:
            lines = []
            for effect in row["side_effects"]:
                key = (effect["label"], effect["worst"], effect["word"], effect["lasted"])
                line = effect_lines.get(key)
                if line is None:
                    line = effect_lines[key] = _EFFECT.format(
                        label=_esc(effect["label"]),
                        t_worst=t_worst,
                        severity=_SEVERITY.format(
                            worst=_esc(effect["worst"]), word=_esc(effect["word"])
                        ),
                        lasted=_esc(effect["lasted"]),
                    )
                lines.append(line)
            side_effects = _EFFECTS.format(items="".join(lines))
        else:
            side_effects = none_logged
        reactions = ""
        if row["reactions"]:
            reactions = _REACTIONS.format(
                t_reactions=t_reactions,
                items="".join(_REACTION.format(text=_esc(text)) for text in row["reactions"]),
            )
        if measure:
            measure_html = _MEASURE.format(
                t_before=t_before,
                before=_esc(row["before"]),
                t_best=t_best,
                best=_esc(row["best"]),
                t_wear_off=t_wear_off,
                wear_off=_esc(row["wear_off"]),
            )
        days = row["days"]
        premedication = str(row["premedication"])
        parts.append(
            _CARD.format(
                id=_esc(row["id"]),
                given=_esc(row["given"]),
                length=_esc(row["length"]),
                before_period=before_period if row["before_period"] else "",
                products=_esc(row["products"]),
                lots=_esc(row["lots"]),
                dose=_esc(row["dose"]),
                # As {% blocktranslate count days=row.days %}: the message as it is.
                over=words.ngettext("over %(days)s day", "over %(days)s days", days)
                % {"days": _count(days)},
                rate=_esc(row["rate"]),
                premedication=_esc(premedication[:1].upper() + premedication[1:]),
                side_effects=side_effects,
                reactions=reactions,
                measure=measure_html,
                **labels,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


# --- comparison -----------------------------------------------------------------------------------


def _comparison(data: trends.CycleData, words: _Words | None = None) -> dict:
    words = words or _Words()
    found = comparison.compare(data.in_period)
    groupings = []
    for title, groups in (
        (words.gettext("By product"), found.by_product),
        (words.gettext("By highest rate"), found.by_rate),
        (words.gettext("By premedication"), found.by_premedication),
    ):
        groupings.append(
            {
                "title": title,
                "groups": [
                    {
                        "label": group.label,
                        "courses": group.courses,
                        "lines": [
                            words.gettext("%(sentence)s; worst %(worst)s of 10")
                            % {
                                "sentence": comparison.summary_sentence(
                                    overview, gettext=words, ngettext=words.ngettext
                                ),
                                "worst": overview.worst,
                            }
                            for overview in group.side_effects
                        ]
                        + [
                            words.ngettext(
                                "%(what)s during the infusions of %(n)s of %(total)s course; "
                                "worst %(worst)s of 10",
                                "%(what)s during the infusions of %(n)s of %(total)s courses; "
                                "worst %(worst)s of 10",
                                reaction.courses,
                            )
                            % {
                                "what": reaction.label,
                                "n": reaction.with_it,
                                "total": reaction.courses,
                                "worst": reaction.worst,
                            }
                            for reaction in group.reactions
                        ],
                    }
                    for group in groups
                ],
            }
        )
    return {
        "courses": found.courses,
        "groupings": groupings,
        "html": _comparison_html(groupings, words),
    }


_GROUPING = """
          <div class="col-lg-4">
            <section class="card h-100" aria-labelledby="comparison-{n}">
              <div class="card-body">
                <h3 class="h5" id="comparison-{n}">{title}</h3>
                {groups}
              </div>
            </section>
          </div>
        """
_GROUP = """
                  <h4 class="h6 mt-3 mb-1">{label} <span class="fw-normal text-body-secondary">· {courses}</span></h4>
                  {lines}
                """  # noqa: E501 (the template's line)
_GROUP_LINES = """
                    <ul class="mb-0 ps-3">{items}</ul>
                  """
_GROUP_NO_LINES = """
                    <p class="mb-0">{none}</p>
                  """


def _comparison_html(groupings: list[dict], words: _Words | None = None) -> str:
    """The comparison's cards, as the template's loops wrote them."""
    words = words or _Words()
    no_lines = _GROUP_NO_LINES.format(
        none=_esc(words.gettext("No side effects logged after these courses."))
    )
    parts = []
    for n, grouping in enumerate(groupings, start=1):
        groups = "".join(
            _GROUP.format(
                label=_esc(capfirst(group["label"])),
                # As {% blocktranslate count n=group.courses %}: the message as it is.
                courses=words.ngettext("%(n)s course", "%(n)s courses", group["courses"])
                % {"n": _count(group["courses"])},
                lines=_GROUP_LINES.format(
                    items="".join(f"<li>{_esc(line)}</li>" for line in group["lines"])
                )
                if group["lines"]
                else no_lines,
            )
            for group in grouping["groups"]
        )
        parts.append(_GROUPING.format(n=n, title=_esc(grouping["title"]), groups=groups))
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped)
