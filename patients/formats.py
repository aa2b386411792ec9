"""Dates and addresses for rows built in Python (the long lists of the diary and of infusions).

The same text as the template filters (``|date``, ``|time``) and ``{% url %}`` give, for a few
microseconds instead of 20-30 each: a list of a hundred rows would otherwise spend milliseconds
on them (docs/decisions.md, "Speed"). Times are shown in the current time zone, as templates show
them (the patient's, inside a patient view).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import get_language

# The language of a long render, read once (``one_language``): Django's ``get_language`` goes
# through the active-language lookup (~1.5 us), and a five-year report asked it ~4,000 times for
# its memoised words, numbers and month names.
_LANGUAGE: ContextVar[str | None] = ContextVar("formats_language", default=None)


@contextlib.contextmanager
def one_language() -> Iterator[None]:
    """While it lasts, :func:`language` answers the language active when it began, without
    asking Django again. For one render that does not switch languages inside."""
    token = _LANGUAGE.set(get_language())
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def language() -> str | None:
    """The active language: the one of the render under way (:func:`one_language`), else
    Django's."""
    found = _LANGUAGE.get()
    return found if found is not None else get_language()


# Month and weekday names per language, as the "M" and "D" formats write them, translated once
# per process: they are lazy strings, and every row translated them again.
_NAMES: dict[str | None, tuple[list[str], list[str]]] = {}


def _names() -> tuple[list[str], list[str]]:
    language_ = language()
    names = _NAMES.get(language_)
    if names is None:
        months = [""] + [str(MONTHS_3[n]).title() for n in range(1, 13)]
        weekdays = [str(WEEKDAYS_ABBR[n]) for n in range(7)]
        names = _NAMES[language_] = (months, weekdays)
    return names


def _month(local: dt.date) -> str:
    return _names()[0][local.month]


def _weekday(local: dt.date) -> str:
    return _names()[1][local.weekday()]


def _local(moment: dt.date) -> dt.date:
    if isinstance(moment, dt.datetime) and timezone.is_aware(moment):
        return timezone.localtime(moment)
    return moment


def hour_minute(moment: dt.datetime) -> str:
    """``|time:"H:i"``: "09:05"."""
    return f"{_local(moment):%H:%M}"


def weekday_hour_minute(moment: dt.datetime) -> str:
    """``|date:"D H:i"``: "Mon 09:05"."""
    local = _local(moment)
    return f"{_weekday(local)} {local:%H:%M}"


def day_month_year(moment: dt.date) -> str:
    """``|date:"j M Y"``: "3 Nov 2026"."""
    local = _local(moment)
    return f"{local.day} {_month(local)} {local.year:04d}"


def day_month(moment: dt.date) -> str:
    """``|date:"j M"``: "3 Nov"."""
    local = _local(moment)
    return f"{local.day} {_month(local)}"


def weekday_day_month_year(moment: dt.date) -> str:
    """``|date:"D j M Y"``: "Tue 3 Nov 2026"."""
    return f"{_weekday(_local(moment))} {day_month_year(moment)}"


def weekday_day_month(moment: dt.date) -> str:
    """``|date:"D j M"``: "Tue 3 Nov"."""
    local = _local(moment)
    return f"{_weekday(local)} {local.day} {_month(local)}"


def url_for_each(viewname: str, *args) -> Callable[[object], str]:
    """``reverse(viewname, args=[*args, pk])`` for every row of a list, reversing only once."""
    marker = 8_101_919_191  # no row has this primary key
    head, found, tail = reverse(viewname, args=[*args, marker]).partition(str(marker))
    if not found or str(marker) in tail:
        raise ValueError(f"{viewname} does not end with the object's id")
    return lambda pk: f"{head}{int(pk)}{tail}"


# Within this many days a weekday says which day it was ("Mon 09:00"); older, the date too.
WEEKDAY_ENOUGH = dt.timedelta(days=6)


def moment_words(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """A time as the diary says it: "Mon 09:00" within the last six days, else
    "Mon 3 Nov 09:00" (with the year if it was another year), in ``zone`` (default: the
    current one). "Since Tue 09:00" for a headache left open three weeks read as today's."""
    local = timezone.localtime(moment, zone)
    now = timezone.localtime(timezone.now(), zone)
    plain = local.replace(tzinfo=None)  # the helpers above show aware times in the active zone
    if now - local <= WEEKDAY_ENOUGH:
        return weekday_hour_minute(plain)
    day = weekday_day_month(plain) if local.year == now.year else weekday_day_month_year(plain)
    return f"{day} {hour_minute(plain)}"
