"""The rows of the diary's long lists, built in Python: ``{% entry_line item %}`` (one entry on
the timeline and on Today) and ``{% measure_rows section %}`` (the rows of a measures table).

In the template language a row cost 150-200 µs (variables, filters, includes, ``{% url %}``,
translations), so a diary of a few months spent most of its page render in these loops; the same
HTML built here costs about 20 µs a row (docs/decisions.md, "Speed"). The markup is the one the
templates had, whitespace included: change it here. Text goes through ``format_html`` (escaped)
and ``gettext`` (the same messages the templates used).
"""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from clinical.scales import GLOBAL_CHANGE_CHOICES
from patients.formats import day_month_year, hour_minute, url_for_each, weekday_hour_minute

from .mgadl import mgadl_note

register = template.Library()

_RATINGS = dict(GLOBAL_CHANGE_CHOICES)


_EDIT_VIEWS = {
    "symptom": "diary:side-effect-edit",
    "question": "diary:question-edit",
    "improvement": "diary:note-edit",
    "measure": "diary:measure-edit",
}


@register.simple_tag(takes_context=True)
def edit_url(context, item) -> str:
    """The address of an entry's edit form (``{% url %}`` once per kind and render)."""
    if getattr(item, "symptom", ""):
        kind = "symptom"
    else:
        kind = getattr(item, "kind", "")
        kind = kind if kind in ("question", "improvement") else "measure"
    builders = context.render_context.setdefault("diary_rows.edit_url", {})
    if kind not in builders:
        builders[kind] = url_for_each(_EDIT_VIEWS[kind], context["patient"].public_id)
    return builders[kind](item.pk)


# --- one diary entry on one line ------------------------------------------------------------------


def severity_badge(value: int, word: object) -> SafeString:
    """components/severity.html, with its final newline."""
    return format_html(
        '<span class="severity severity-{}"><span class="severity-number">{}</span> '
        '<span class="severity-word">{}</span></span>\n',
        value,
        value,
        word,
    )


def cycle_day(item) -> str:
    """components/cycle_day.html: " · day N of cycle" when it says more than "day M after
    infusion" (a course over several days, or a time before the infusion that counts for the
    cycle that ends), with the template's final newline."""
    n = item.day_of_cycle
    if n is None or n == item.days_after_infusion:
        return "\n"
    return " · " + _("day %(n)s of cycle") % {"n": n} + "\n"


@register.simple_tag
def entry_line(item) -> SafeString:
    """Time, what, how bad or how much, who logged it (was components/entry_line.html)."""
    parts = ["\n\n", format_html('<span class="entry-time">{}</span>\n', hour_minute(item.when))]
    if getattr(item, "severity", None) is not None and getattr(item, "symptom", ""):
        parts += [
            format_html("\n  <strong>{}</strong>\n  ", item.label),
            severity_badge(item.severity, item.severity_word),
            "\n  ",
        ]
        if item.peak_severity and item.peak_severity != item.severity:
            parts.append(
                format_html(
                    '<span class="text-body-secondary">· {}</span>',
                    _("worst %(n)s") % {"n": item.peak_severity},
                )
            )
        parts.append("\n  ")
        if item.red_flags:
            parts.append(
                format_html('<span class="badge text-bg-danger">{}</span>', _("warning sign"))
            )
        parts.append("\n  ")
        if item.ended_at:
            parts.append(
                format_html(
                    '<span class="text-body-secondary">· {} {}</span>',
                    _("ended"),
                    weekday_hour_minute(item.ended_at),
                )
            )
        elif item.is_ongoing:
            going = (
                _("still going at %(at)s") % {"at": weekday_hour_minute(item.still_going_at)}
                if item.still_going_at
                else _("still going")
            )
            parts.append(format_html('<span class="text-body-secondary">· {}</span>', going))
        parts.append("\n  ")
        if item.days_after_infusion is not None:
            parts.append(
                format_html(
                    '<span class="text-body-secondary">· {}{}</span>',
                    _("day %(n)s after infusion") % {"n": item.days_after_infusion},
                    cycle_day(item),
                )
            )
        parts.append("\n")
    elif getattr(item, "kind", "") in ("improvement", "question"):
        title = _("Question") if item.kind == "question" else _("Note")
        parts.append(format_html("\n  <strong>{}</strong>\n  ", title))
        if item.rating is not None:
            # Not get_rating_display(): it translates every choice's label to find one.
            rating = _RATINGS.get(item.rating, item.rating)
            parts.append(format_html("<span>({})</span>", rating))
        parts.append(
            format_html('\n  <span class="entry-text">{}</span>\n', Truncator(item.text).chars(140))
        )
    else:
        value = getattr(item, "shown_value", "") or item.display_value()
        parts.append(format_html("\n  <strong>{}</strong> <span>{}</span>\n", item.title, value))
    parts.append(
        format_html('\n<span class="text-body-secondary small">· {}</span>\n', item.author)
    )
    return mark_safe("".join(conditional_escape(part) for part in parts))


# --- the rows of a measures table -----------------------------------------------------------------


def _change_cell(change) -> SafeString:
    if not change:
        return mark_safe("—")
    text = format_html("{}{}", "+" if change.change > 0 else "", change.change)
    if not change.meaningful:
        return text
    improved = change.direction == "improved"
    return format_html(
        '{} <span class="badge {}">{}</span>',
        text,
        "text-bg-success" if improved else "text-bg-warning",
        _("meaningful improvement") if improved else _("meaningful worsening"),
    )


@register.simple_tag(takes_context=True)
def measure_rows(context, section) -> SafeString:
    """The ``<tr>`` of every row of a measures section (``queries.MeasureSection``)."""
    request = context["request"]
    edit_url = (
        url_for_each("diary:measure-edit", context["patient"].public_id)
        if request.membership.can_write
        else None
    )
    is_mgadl = section.kind == "mgadl"
    rows = []
    for m in section.rows:
        day = day_month_year(m.measured_at)
        value = format_html("{}: ", m.name) if m.kind == "custom" else ""
        value = format_html("{}{}", value, m.shown_value)
        if m.kind == "mgadl" and (note := mgadl_note(m.total)):
            value = format_html(
                '{} <span class="small text-body-secondary">({})</span>', value, note
            )
        change = (
            format_html("\n                  <td>{}</td>\n                ", _change_cell(m.change))
            if is_mgadl
            else ""
        )
        if m.days_after_infusion is None:
            days = mark_safe("—")
        else:
            days = format_html(
                '{}<span class="small text-body-secondary">{}</span>',
                m.days_after_infusion,
                cycle_day(m),
            )
        edit = (
            format_html(
                '<a href="{}">{}<span class="visually-hidden"> {}</span></a>',
                edit_url(m.pk),
                _("Edit"),
                day,
            )
            if edit_url
            else ""
        )
        rows.append(
            format_html(
                "\n              <tr>\n                <td>{}</td>\n                <td>{}</td>"
                "\n                {}\n                <td>{}</td>\n                <td>{}</td>"
                "\n              </tr>\n            ",
                day,
                value,
                change,
                days,
                edit,
            )
        )
    return mark_safe("".join(rows))
