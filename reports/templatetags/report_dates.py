"""How the report names a period: "19 Sep 2026" for one day, "1 Sep 2026 – 23 Nov 2026" for more."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.formats import date_format

register = template.Library()


@register.simple_tag
def period_dates(since: dt.date, until: dt.date, fmt: str = "j M Y") -> str:
    """A one-day period is its day, not "19 Sep 2026 – 19 Sep 2026"."""
    if since == until:
        return date_format(since, fmt)
    return f"{date_format(since, fmt)} – {date_format(until, fmt)}"
