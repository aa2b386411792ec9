"""The rows of the diary's long lists, built in Python: ``{% entry_line item %}`` (one entry on
the timeline; ``{% today_line item %}`` on Today), ``{% ongoing_items ongoing %}`` (Today's
"Still going" card, each line from ``still_going_line``), ``{% measure_rows section %}`` (the
rows of a measures table) and ``{% measure_sections sections other_kinds %}`` (the measures page
around them).

In the template language a row cost 150-200 µs (variables, filters, includes, ``{% url %}``,
translations), so a diary of a few months spent most of its page render in these loops; the same
HTML built here costs about 20 µs a row (docs/decisions.md, "Speed"). The markup is the one the
templates had, whitespace included: change it here. Text goes through ``_fmt`` (the escaping of
``format_html``, without its per-call overhead) and ``gettext`` (the messages the templates used).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from html import escape as _escape

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from clinical import symptoms
from clinical.scales import GLOBAL_CHANGE_CHOICES
from patients.formats import (
    day_month,
    day_month_year,
    hour_minute,
    moment_words,
    url_for_each,
    weekday_hour_minute,
)

from ..queries import ContinuedDay
from .mgadl import mgadl_meaning, mgadl_note

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


def _url_configuration() -> tuple:
    """What an address depends on besides the view and its arguments."""
    return settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(), get_language()


def _urls(viewname: str, public_id: str) -> Callable[[object], str]:
    """``url_for_each(viewname, public_id)``, kept per process: the address of a diary's rows
    changes only with the URL configuration (and the script prefix, or the language were the
    addresses ever translated), so a first render need not reverse it again (~15 µs each, two
    to four a page)."""
    return _kept_urls(viewname, public_id, *_url_configuration())


@functools.lru_cache(maxsize=4096)
def _kept_urls(viewname: str, public_id: str, *_configuration) -> Callable[[object], str]:
    return url_for_each(viewname, public_id)


_EDIT_VIEWS = {
    "symptom": "diary:side-effect-edit",
    "question": "diary:question-edit",
    "improvement": "diary:note-edit",
    "measure": "diary:measure-edit",
}


@register.filter
def moment(value) -> str:
    """A time as the diary says it ("Tue 09:00", or with its date when older than six days):
    ``patients.formats.moment_words``, in the active zone."""
    return moment_words(value) if value else ""


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
        builders[kind] = _urls(_EDIT_VIEWS[kind], context["patient"].public_id)
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


@register.simple_tag(takes_context=True)
def still_going_line(context, entry) -> SafeString:
    """One side effect on Today's "Still going" card: what, how bad it began, since when, how bad
    it is now and at worst if later readings say so, when it was last confirmed as going."""
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    latest, peak = latest_severity(entry, texts)
    parts = [
        _fmt("<strong>{}</strong> ", entry.label),
        severity_badge(entry.severity, entry.severity_word),
    ]
    if not latest and entry.peak_severity and entry.peak_severity != entry.severity:
        parts.append(_fmt(" · {}", texts[WORST_SO_FAR] % {"n": entry.peak_severity}))
    parts.append(_fmt(" {}", texts[SINCE] % {"since": moment_words(entry.onset)}))
    if latest:
        parts.append(_fmt(' · <span class="entry-now">{}</span>', latest))
        if _worst_says_more(entry, peak):
            parts.append(_fmt(" · {}", texts[WORST_SO_FAR] % {"n": peak}))
    if _confirmed_before(entry):
        at = weekday_hour_minute(entry.still_going_at)
        parts.append(_fmt(" · {}", texts[STILL_GOING_AT] % {"at": at}))
    return SafeString("".join(parts))


GONE_NOW = gettext_noop("Gone now")
STILL_GOING_BUTTON = gettext_noop("Still going")


def _csrf_input(context) -> str:
    """What ``{% csrf_token %}`` writes: the hidden input, or nothing without a token."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return _fmt('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


@register.simple_tag(takes_context=True)
def ongoing_items(context, ongoing) -> SafeString:
    """The ``<li>`` of each side effect on Today's "Still going" card: its line, and for writers
    the "Gone now" and "Still going" buttons (was a loop in today.html: the same markup)."""
    buttons = _still_going_buttons(context) if context["request"].membership.can_write else None
    return mark_safe(
        "".join(
            '\n        <li class="d-flex flex-wrap align-items-center gap-2">'
            f"\n          <span>{still_going_line(context, entry)}</span>"
            f"\n          {buttons(entry) if buttons else ''}\n        </li>\n      "
            for entry in ongoing
        )
    )


def _still_going_buttons(context) -> Callable[[object], str]:
    """The two forms of a side effect still going, each with the CSRF token."""
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    public_id = context["patient"].public_id
    gone_url = _urls("diary:side-effect-gone", public_id)
    going_url = _urls("diary:side-effect-still-going", public_id)
    csrf = _csrf_input(context)
    gone, going = texts[GONE_NOW], texts[STILL_GOING_BUTTON]

    def buttons(entry) -> str:
        label = _esc(entry.label)
        return (
            f'\n            <form method="post" action="{_esc(gone_url(entry.pk))}">{csrf}'
            f'<button class="btn btn-outline-primary" type="submit">{gone}'
            f'<span class="visually-hidden">: {label}</span></button></form>'
            f'\n            <form method="post" action="{_esc(going_url(entry.pk))}">{csrf}'
            f'<button class="btn btn-outline-secondary" type="submit">{going}'
            f'<span class="visually-hidden">: {label}</span></button></form>\n          '
        )

    return buttons


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
            _fmt(" {}", texts[SINCE] % {"since": moment_words(item.onset)}) if read_at else "\n",
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
        # Not for a line at a later reading (read_at): its day count is of the day it began,
        # and read "day 6 after infusion" under "Day 1 after the infusion" (browser pass).
        if item.days_after_infusion is not None and not read_at:
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
    # Every part is escaped already (``_fmt``) or fixed whitespace.
    return SafeString("".join(parts))


@register.simple_tag(takes_context=True)
def today_line(context, item) -> SafeString:
    """One entry of Today's "Logged today": an episode begun on an earlier day is listed at its
    reading of today (``read_today_at``, set by ``queries.today_summary``), the rest as on the
    timeline. The list's words are translated once (``Texts``), and an entry without that
    attribute costs no failed template lookup (Django lists the object's attributes for each)."""
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    return entry_line(item, texts, read_at=getattr(item, "read_today_at", None))


# --- a day of the timeline -----------------------------------------------------------------------


def continued_line(later, texts: Texts) -> SafeString:
    """A side effect begun on an earlier day, on a later day it was noted again
    (``diary.queries.ContinuedDay``): that day's worst severity, since when it has been going,
    and whether it ended, as the entry's own line says them."""
    entry, reading = later.entry, later.reading
    parts = [
        _fmt('\n\n<span class="entry-time">{}</span>\n', hour_minute(reading.at)),
        _fmt("\n  <strong>{}</strong>\n  ", entry.label),
        severity_badge(reading.severity, symptoms.severity_word(reading.severity), end=""),
        _fmt(" {}\n  ", texts[SINCE] % {"since": moment_words(entry.onset)}),
    ]
    if entry.ended_at:
        ended = _fmt("{} {}", texts[ENDED], weekday_hour_minute(entry.ended_at))
        parts.append(_fmt('<span class="text-body-secondary">· {}</span>', ended))
    elif entry.is_ongoing:
        parts.append(_fmt('<span class="text-body-secondary">· {}</span>', texts[STILL_GOING]))
    parts.append(_fmt('\n<span class="text-body-secondary small">· {}</span>\n', later.author))
    return SafeString("".join(parts))


@register.simple_tag(takes_context=True)
def timeline_items(context, day) -> SafeString:
    """The ``<li>`` of each entry of a timeline day: its line, and the edit link for writers."""
    can_write = context["request"].membership.can_write
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    rows = []
    for item in day.items:
        # A later day of an earlier episode (ContinuedDay) is its entry's row, with its own line.
        later = isinstance(item, ContinuedDay)
        entry = item.entry if later else item
        flagged = (
            " border-start border-danger border-4 ps-2" if getattr(entry, "red_flags", None) else ""
        )
        link = ""
        if can_write:
            url = edit_url(context, entry)
            if getattr(entry, "symptom", ""):
                branch = _fmt(
                    '<a class="ms-auto" href="{}">{}<span class="visually-hidden"> {}</span></a>'
                    "\n                ",
                    url,
                    texts[EDIT],
                    entry.label,
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
                continued_line(item, texts) if later else entry_line(item, texts),
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
    """The ``<tr>`` of every row of a measures section (``queries.MeasureSection``).

    Each value is escaped once here (``_esc``, as ``_fmt`` would) and the markup joined as
    f-strings: at ~50 rows a page, ``_fmt`` escaping its own output again cost a third of it."""
    request = context["request"]
    edit_url = None
    if request.membership.can_write:
        # One builder for every section of the page (as edit_url keeps one per kind).
        builders = context.render_context.setdefault("diary_rows.edit_url", {})
        if "measure" not in builders:
            builders["measure"] = _urls(_EDIT_VIEWS["measure"], context["patient"].public_id)
        edit_url = builders["measure"]
    is_mgadl = section.kind == "mgadl"
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    edit_word = _esc(texts[EDIT]) if edit_url else ""
    notes: dict[int, str] = {}  # mgadl_note by total, translated and escaped once
    zone = timezone.get_current_timezone()  # as |date shows it, looked up once
    rows = []
    for m in section.rows:
        day = _esc(day_month_year(timezone.localtime(m.measured_at, zone).date()))
        kind = m.kind
        value = _esc(m.shown_value)
        if kind == "custom":
            value = f"{_esc(m.name)}: {value}"
        if kind == "mgadl":
            total = m.total
            if total not in notes:
                notes[total] = _esc(mgadl_note(total))
            if note := notes[total]:
                value = f'{value} <span class="small text-body-secondary">({note})</span>'
        change = (
            f"\n                  <td>{_change_cell(m.change, texts)}</td>\n                "
            if is_mgadl
            else ""
        )
        if m.days_after_infusion is None:
            days = "—"
        else:
            days = (
                f"{_esc(m.days_after_infusion)}"
                f'<span class="small text-body-secondary">{_esc(cycle_day(m, texts))}</span>'
            )
        # Under the date, not in a column of its own: a phone 320-390 px wide showed the
        # table cut off at that column.
        edit = (
            f'<br><a class="measure-edit" href="{_esc(edit_url(m.pk))}">{edit_word}'
            f'<span class="visually-hidden"> {day}</span></a>'
            if edit_url
            else ""
        )
        rows.append(
            f"\n              <tr>\n                <td>{day}{edit}</td>"
            f"\n                <td>{value}</td>\n                {change}"
            f"\n                <td>{days}</td>\n              </tr>\n            "
        )
    return mark_safe("".join(rows))


# --- the sections of the measures page ------------------------------------------------------------

# The page's fixed words. ``{% translate %}`` writes its text as it is (a literal is safe) and
# ``{% blocktranslate %}`` its text as it is with each value escaped: the same here.
DATE = gettext_noop("Date")
VALUE = gettext_noop("Value")
CHANGE = gettext_noop("Change")
DAY_AFTER_INFUSION = gettext_noop("Day after infusion")
MGADL_FOOTNOTE = gettext_noop(
    "Higher = more symptoms (0-24). A drop of 2 points or more is a meaningful improvement."
)
NOTHING_YET = gettext_noop("Nothing recorded yet.")
OTHER_MEASURES = gettext_noop("Other measures")
ADD_WHAT = gettext_noop("Add %(what)s")
LATEST_MGADL = gettext_noop("Latest (%(date)s): %(meaning)s")
# A measure's kind as it stands in its address, so the address is built once for all kinds.
_KIND_IN_URL = re.compile(r"[a-z0-9_]+")
_KIND_MARKER = "kind8101919191"


def _add_urls(public_id: str) -> Callable[[str], str]:
    """``{% url 'diary:measure-add' public_id kind %}`` for any kind, reversing only once (kept
    per process as :func:`_urls` keeps its builders)."""
    return _kept_add_urls(public_id, *_url_configuration())


@functools.lru_cache(maxsize=4096)
def _kept_add_urls(public_id: str, *_configuration) -> Callable[[str], str]:
    head, found, tail = reverse("diary:measure-add", args=[public_id, _KIND_MARKER]).partition(
        _KIND_MARKER
    )
    built: dict[str, str] = {}

    def url(kind: str) -> str:
        if kind not in built:
            plain = found and _KIND_IN_URL.fullmatch(kind) and _KIND_MARKER not in tail
            built[kind] = (
                f"{head}{kind}{tail}"
                if plain
                else reverse("diary:measure-add", args=[public_id, kind])
            )
        return built[kind]

    return url


def _older_link(section) -> str:
    """ "Show the 40 older readings" under a measure whose list was cut to its newest rows:
    the same page with that measure whole (``?all=``), back at its heading."""
    if not section.older:
        return ""
    words = ngettext(
        "Show the %(count)s older reading", "Show the %(count)s older readings", section.older
    ) % {"count": section.older}
    kind = _esc(section.kind)
    return (
        f'\n        <p class="mt-2 mb-0"><a class="btn btn-outline-secondary" '
        f'href="?all={kind}#m-{kind}">{_esc(words)}</a></p>'
    )


@register.simple_tag(takes_context=True)
def measure_sections(context, sections, other_kinds) -> SafeString:
    """The measures page's sections (``queries.MeasureSection``), then the other kinds one may
    add: what the template's loop wrote, whitespace included (was measures.html; ~0.5 ms of the
    page's first render in the template language)."""
    can_write = context["request"].membership.can_write
    texts = context.render_context.setdefault("diary_rows.texts", Texts())
    add_url = _add_urls(context["patient"].public_id) if can_write else None
    parts = ["\n"]
    for section in sections:
        kind = _esc(section.kind)
        label = _esc(section.label)
        is_mgadl = section.kind == "mgadl"
        add = (
            f'<a class="btn btn-outline-primary" href="{_esc(add_url(section.kind))}">'
            f"{texts[ADD_WHAT] % {'what': label}}</a>"
            if can_write
            else ""
        )
        parts.append(
            f'\n  <section class="card mb-3 measures-section" aria-labelledby="m-{kind}">'
            '\n    <div class="card-body">'
            '\n      <div class="d-flex flex-wrap align-items-center justify-content-between gap-2'
            ' mb-2">'
            f'\n        <h2 class="h5 mb-0" id="m-{kind}">{label}</h2>'
            f"\n        {add}\n      </div>\n      "
        )
        if section.rows:
            latest = ""
            if is_mgadl:
                first = section.rows[0]
                said = texts[LATEST_MGADL] % {
                    "date": _esc(day_month(first.measured_at)),
                    "meaning": _esc(mgadl_meaning(first.total)),
                }
                latest = f'<p class="mgadl-latest mb-2">{said}</p>'
            change_head = f'<th scope="col">{texts[CHANGE]}</th>' if is_mgadl else ""
            if is_mgadl:
                footnote = (
                    '<p class="small text-body-secondary mt-2 mb-0">'
                    f"{texts[MGADL_FOOTNOTE]} {_esc(section.citation)}</p>\n        "
                )
            elif section.citation:
                footnote = (
                    f'<p class="small text-body-secondary mt-2 mb-0">{_esc(section.citation)}</p>'
                )
            else:
                footnote = ""
            parts.append(
                f"\n        {latest}"
                '\n        <div class="table-responsive">'
                '<table class="table table-sm align-middle mb-0 measures-table">'
                f'\n          <thead><tr><th scope="col">{texts[DATE]}</th>'
                f'<th scope="col">{texts[VALUE]}</th>{change_head}'
                f'<th scope="col">{texts[DAY_AFTER_INFUSION]}</th></tr></thead>'
                "\n          <tbody>\n            "
                f"{measure_rows(context, section)}"
                "\n          </tbody>\n        </table></div>"
                f"{_older_link(section)}"
                f"\n        {footnote}\n      "
            )
        else:
            parts.append(
                f'\n        <p class="text-body-secondary mb-0">{texts[NOTHING_YET]}</p>\n      '
            )
        parts.append("\n    </div>\n  </section>\n")
    parts.append("\n")
    if can_write and other_kinds:
        links = "".join(
            f'<a class="btn btn-outline-secondary" href="{_esc(add_url(kind))}">{_esc(label)}</a>'
            for kind, label in other_kinds
        )
        parts.append(
            '\n  <section class="mt-4" aria-labelledby="other-measures">'
            f'\n    <h2 class="h6" id="other-measures">{texts[OTHER_MEASURES]}</h2>'
            f'\n    <div class="d-flex flex-wrap gap-2">\n      {links}\n    </div>'
            "\n  </section>\n"
        )
    parts.append("\n")
    return mark_safe("".join(parts))
