"""The rows of the diary's long lists, built in Python: ``{% entry_line item %}`` (one entry on
the timeline and on Today), ``{% still_going_line entry %}`` (one on Today's "Still going" card)
and ``{% measure_rows section %}`` (the rows of a measures table).

In the template language a row cost 150-200 µs (variables, filters, includes, ``{% url %}``,
translations), so a diary of a few months spent most of its page render in these loops; the same
HTML built here costs about 20 µs a row (docs/decisions.md, "Speed"). The markup is the one the
templates had, whitespace included: change it here. Text goes through ``_fmt`` (the escaping of
``format_html``, without its per-call overhead) and ``gettext`` (the messages the templates used).
"""

from __future__ import annotations

from html import escape as _escape

from django import template
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clinical import symptoms
from clinical.scales import GLOBAL_CHANGE_CHOICES
from patients.formats import day_month_year, hour_minute, url_for_each, weekday_hour_minute

from .mgadl import mgadl_note

register = template.Library()

_RATINGS = dict(GLOBAL_CHANGE_CHOICES)

# The rows' fixed words (the templates' messages), translated once per list, not once per row.
EDIT = gettext_noop("Edit")
# Later readings ("same one: note how bad it is now"): the latest, with its time, after the first
# severity ("last" once the episode has ended), then the worst unless the first and the latest
# both are (one word, "worst", on the card and in the diary's line alike).
NOW_AT = gettext_noop("now %(severity)s at %(at)s")
LAST_AT = gettext_noop("last %(severity)s at %(at)s")
WORST_SO_FAR = gettext_noop("worst %(n)s")
SINCE = gettext_noop("since %(since)s")
WARNING_SIGN = gettext_noop("warning sign")
ENDED = gettext_noop("ended")
STILL_GOING = gettext_noop("still going")
STILL_GOING_AT = gettext_noop("still going at %(at)s")
DAY_AFTER = gettext_noop("day %(n)s after infusion")
DAY_OF_CYCLE = gettext_noop("day %(n)s of cycle")
QUESTION = gettext_noop("Question")
NOTE = gettext_noop("Note")
IMPROVED = gettext_noop("meaningful improvement")
WORSE = gettext_noop("meaningful worsening")


def _esc(value: object) -> str:
    """``conditional_escape`` without its lazy-argument wrapper (called thousands of times a
    list): safe strings as they are, anything else through the same ``html.escape``."""
    if isinstance(value, SafeData):
        return value
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape(str(value))


def _fmt(template: str, *args: object) -> SafeString:
    """``format_html`` for these rows: the same escaping, a fraction of the calls."""
    return SafeString(template.format(*[_esc(arg) for arg in args]))


class Texts(dict):
    """Translations of the messages above, each looked up the first time a list needs it."""

    def __missing__(self, message: str) -> str:
        text = self[message] = _(message)
        return text


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


def severity_badge(value: int, word: object, end: str = "\n") -> SafeString:
    """components/severity.html, with its final newline (``end``)."""
    return _fmt(
        '<span class="severity severity-{}"><span class="severity-number">{}</span> '
        '<span class="severity-word">{}</span></span>{}',
        value,
        value,
        word,
        end,
    )


def cycle_day(item, texts: Texts | None = None) -> str:
    """components/cycle_day.html: " · day N of cycle" when it says more than "day M after
    infusion" (a course over several days, or a time before the infusion that counts for the
    cycle that ends), with the template's final newline."""
    n = item.day_of_cycle
    if n is None or n == item.days_after_infusion:
        return "\n"
    return " · " + (texts or Texts())[DAY_OF_CYCLE] % {"n": n} + "\n"


def latest_severity(entry, texts: Texts) -> tuple[SafeString, int]:
    """How bad a side effect with later readings is now (or was last, once it ended), with the
    reading's time ("now <badge> at Mon 14:20"), and its worst severity over the episode. ("", 0)
    for an entry without later readings. ``entry.latest_reading`` comes with the lists' rows
    (``queries.with_latest_readings``); asked of a lone entry it costs one query."""
    reading = entry.latest_reading
    if reading is None:
        return SafeString(""), 0
    badge = severity_badge(reading.severity, symptoms.severity_word(reading.severity), end="")
    message = LAST_AT if entry.ended_at else NOW_AT
    latest = SafeString(
        _esc(texts[message]) % {"severity": badge, "at": _esc(weekday_hour_minute(reading.at))}
    )
    return latest, max(entry.severity, entry.peak_severity or 0, reading.severity)


def _worst_says_more(entry, peak: int) -> bool:
    """Whether to say the worst beside the first severity and the latest reading: unless both
    are the worst ("6 · now 6"), so that a caregiver reads "6 · now 5 · worst 6" and knows it
    never got worse. The card and the diary's line follow this one rule and one word."""
    return peak != entry.severity or peak != entry.latest_reading.severity


def _confirmed_before(entry) -> bool:
    """Whether "still going at" says more than the latest reading (taken later) does."""
    reading = entry.latest_reading
    return bool(entry.still_going_at) and (reading is None or entry.still_going_at > reading.at)


@register.simple_tag
def still_going_line(entry) -> SafeString:
    """One side effect on Today's "Still going" card: what, how bad it began, since when, how bad
    it is now and at worst if later readings say so, when it was last confirmed as going."""
    texts = Texts()
    latest, peak = latest_severity(entry, texts)
    parts = [
        _fmt("<strong>{}</strong> ", entry.label),
        severity_badge(entry.severity, entry.severity_word),
    ]
    if not latest and entry.peak_severity and entry.peak_severity != entry.severity:
        parts.append(_fmt(" · {}", texts[WORST_SO_FAR] % {"n": entry.peak_severity}))
    parts.append(_fmt(" {}", texts[SINCE] % {"since": weekday_hour_minute(entry.onset)}))
    if latest:
        parts.append(_fmt(' · <span class="entry-now">{}</span>', latest))
        if _worst_says_more(entry, peak):
            parts.append(_fmt(" · {}", texts[WORST_SO_FAR] % {"n": peak}))
    if _confirmed_before(entry):
        at = weekday_hour_minute(entry.still_going_at)
        parts.append(_fmt(" · {}", texts[STILL_GOING_AT] % {"at": at}))
    return SafeString("".join(parts))


@register.simple_tag
def entry_line(item, texts: Texts | None = None, read_at=None) -> SafeString:
    """Time, what, how bad or how much, who logged it (was components/entry_line.html).

    ``read_at``: a side effect begun on an earlier day, listed under a later reading of it
    (Today's "Logged today"): that reading's time first, and since when it has been going, as
    on the "Still going" card."""
    texts = Texts() if texts is None else texts
    parts = [
        "\n\n",
        _fmt('<span class="entry-time">{}</span>\n', hour_minute(read_at or item.when)),
    ]
    if getattr(item, "severity", None) is not None and getattr(item, "symptom", ""):
        parts += [
            _fmt("\n  <strong>{}</strong>\n  ", item.label),
            severity_badge(item.severity, item.severity_word, end=""),
            _fmt(" {}", texts[SINCE] % {"since": weekday_hour_minute(item.onset)})
            if read_at
            else "\n",
            "\n  ",
        ]
        latest, peak = latest_severity(item, texts)
        if latest:
            parts.append(_fmt('<span class="entry-now">· {}</span>', latest))
            if _worst_says_more(item, peak):
                worst = texts[WORST_SO_FAR] % {"n": peak}
                parts.append(_fmt(' <span class="text-body-secondary">· {}</span>', worst))
        elif item.peak_severity and item.peak_severity != item.severity:
            parts.append(
                _fmt(
                    '<span class="text-body-secondary">· {}</span>',
                    texts[WORST_SO_FAR] % {"n": item.peak_severity},
                )
            )
        parts.append("\n  ")
        if item.red_flags:
            parts.append(_fmt('<span class="badge text-bg-danger">{}</span>', texts[WARNING_SIGN]))
        parts.append("\n  ")
        if item.ended_at:
            parts.append(
                _fmt(
                    '<span class="text-body-secondary">· {} {}</span>',
                    texts[ENDED],
                    weekday_hour_minute(item.ended_at),
                )
            )
        elif item.is_ongoing:
            going = (
                texts[STILL_GOING_AT] % {"at": weekday_hour_minute(item.still_going_at)}
                if _confirmed_before(item)
                else texts[STILL_GOING]
            )
            parts.append(_fmt('<span class="text-body-secondary">· {}</span>', going))
        parts.append("\n  ")
        if item.days_after_infusion is not None:
            parts.append(
                _fmt(
                    '<span class="text-body-secondary">· {}{}</span>',
                    texts[DAY_AFTER] % {"n": item.days_after_infusion},
                    cycle_day(item, texts),
                )
            )
        parts.append("\n")
    elif getattr(item, "kind", "") in ("improvement", "question"):
        title = texts[QUESTION] if item.kind == "question" else texts[NOTE]
        parts.append(_fmt("\n  <strong>{}</strong>\n  ", title))
        if item.rating is not None:
            # Not get_rating_display(): it translates every choice's label to find one.
            rating = _RATINGS.get(item.rating, item.rating)
            parts.append(_fmt("<span>({})</span>", rating))
        parts.append(
            _fmt('\n  <span class="entry-text">{}</span>\n', Truncator(item.text).chars(140))
        )
    else:
        value = getattr(item, "shown_value", "") or item.display_value()
        parts.append(_fmt("\n  <strong>{}</strong> <span>{}</span>\n", item.title, value))
    parts.append(_fmt('\n<span class="text-body-secondary small">· {}</span>\n', item.author))
    return SafeString("".join(_esc(part) for part in parts))


# --- a day of the timeline -----------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def timeline_items(context, day) -> SafeString:
    """The ``<li>`` of each entry of a timeline day: its line, and the edit link for writers."""
    can_write = context["request"].membership.can_write
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    rows = []
    for item in day.items:
        flagged = (
            " border-start border-danger border-4 ps-2" if getattr(item, "red_flags", None) else ""
        )
        link = ""
        if can_write:
            url = edit_url(context, item)
            if getattr(item, "symptom", ""):
                branch = _fmt(
                    '<a class="ms-auto" href="{}">{}<span class="visually-hidden"> {}</span></a>'
                    "\n                ",
                    url,
                    texts[EDIT],
                    item.label,
                )
            else:
                newline = "\n                " if item.kind in ("question", "improvement") else ""
                branch = _fmt('<a class="ms-auto" href="{}">{}</a>{}', url, texts[EDIT], newline)
            link = _fmt("\n                {}\n              ", branch)
        rows.append(
            _fmt(
                '\n            <li class="d-flex flex-wrap align-items-baseline gap-1{}">'
                "\n              <span>{}</span>\n              {}\n            </li>\n          ",
                flagged,
                entry_line(item, texts),
                link,
            )
        )
    return mark_safe("".join(rows))


# --- the rows of a measures table -----------------------------------------------------------------


def _change_cell(change, texts: Texts) -> SafeString:
    if not change:
        return mark_safe("—")
    text = _fmt("{}{}", "+" if change.change > 0 else "", change.change)
    if not change.meaningful:
        return text
    improved = change.direction == "improved"
    return _fmt(
        '{} <span class="badge {}">{}</span>',
        text,
        "text-bg-success" if improved else "text-bg-warning",
        texts[IMPROVED] if improved else texts[WORSE],
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
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    notes: dict[int, str] = {}  # mgadl_note by total, translated once
    rows = []
    for m in section.rows:
        day = day_month_year(m.measured_at)
        value = _fmt("{}: ", m.name) if m.kind == "custom" else ""
        value = _fmt("{}{}", value, m.shown_value)
        if m.kind == "mgadl" and m.total not in notes:
            notes[m.total] = mgadl_note(m.total)
        if m.kind == "mgadl" and (note := notes[m.total]):
            value = _fmt('{} <span class="small text-body-secondary">({})</span>', value, note)
        change = (
            _fmt("\n                  <td>{}</td>\n                ", _change_cell(m.change, texts))
            if is_mgadl
            else ""
        )
        if m.days_after_infusion is None:
            days = mark_safe("—")
        else:
            days = _fmt(
                '{}<span class="small text-body-secondary">{}</span>',
                m.days_after_infusion,
                cycle_day(m, texts),
            )
        # Under the date, not in a column of its own: a phone 320-390 px wide showed the
        # table cut off at that column.
        edit = (
            _fmt(
                '<br><a class="measure-edit" href="{}">{}<span class="visually-hidden"> {}</span>'
                "</a>",
                edit_url(m.pk),
                texts[EDIT],
                day,
            )
            if edit_url
            else ""
        )
        rows.append(
            _fmt(
                "\n              <tr>\n                <td>{}{}</td>\n                <td>{}</td>"
                "\n                {}\n                <td>{}</td>"
                "\n              </tr>\n            ",
                day,
                edit,
                value,
                change,
                days,
            )
        )
    return mark_safe("".join(rows))
