"""MG-ADL on screen: the form's instructions, live total and meanings, all from clinical.scales.

``{% mgadl_form_info form previous as mgadl %}`` gives the MG-ADL form what it shows around the
questions: the recall instruction, the item fields in order, the meaning of every possible total
and, with an earlier score, what each total would mean compared with it (for app.js to show as
answers are picked; nothing is computed twice, nor are any numbers written down here).
``{{ total|mgadl_meaning }}`` is the meaning of a saved total.
"""

from __future__ import annotations

import json

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinical import scales

register = template.Library()


@register.filter
def mgadl_meaning(total) -> str:
    """A saved total in plain words: "1 of 24: minimal symptom expression (0-1)."."""
    try:
        return scales.interpret_mgadl(int(total))
    except (TypeError, ValueError):
        return ""


@register.filter
def mgadl_note(total) -> str:
    """A short note for a total in a table row: only "minimal symptom expression" has one."""
    try:
        minimal = int(total) <= scales.MINIMAL_SYMPTOM_EXPRESSION_MAX
    except (TypeError, ValueError):
        return ""
    if not minimal:
        return ""
    return _("minimal symptom expression (0-%(max)s)") % {
        "max": scales.MINIMAL_SYMPTOM_EXPRESSION_MAX
    }


def change_text(previous: int, current: int) -> str:
    """``current`` compared with ``previous``, saying whether the change is a meaningful one."""
    change = scales.compare_mgadl(previous, current)
    if change.direction == scales.UNCHANGED:
        return _("Same as last time (%(previous)s).") % {"previous": previous}
    points = abs(change.change)
    if change.direction == scales.IMPROVED:
        text = ngettext(
            "%(n)s point lower than last time (%(previous)s): fewer symptoms.",
            "%(n)s points lower than last time (%(previous)s): fewer symptoms.",
            points,
        )
    else:
        text = ngettext(
            "%(n)s point higher than last time (%(previous)s): more symptoms.",
            "%(n)s points higher than last time (%(previous)s): more symptoms.",
            points,
        )
    text %= {"n": points, "previous": previous}
    if change.meaningful:
        return text + " " + _("A meaningful change.")
    return text + " " + meaningful_note()


def meaningful_note() -> str:
    return ngettext(
        "A change of %(n)s point or more is meaningful.",
        "A change of %(n)s points or more is meaningful.",
        scales.MEANINGFUL_CHANGE,
    ) % {"n": scales.MEANINGFUL_CHANGE}


@register.simple_tag
def mgadl_form_info(form, previous=None) -> dict:
    totals = range(scales.MGADL_TOTAL_MAX + 1)
    previous_total = previous.total if previous is not None else None
    return {
        "instructions": scales.MGADL_INSTRUCTIONS,
        "items": [form[code] for code in scales.MGADL_ITEM_CODES if code in form.fields],
        "item_count": len(scales.MGADL_ITEM_CODES),
        "total_max": scales.MGADL_TOTAL_MAX,
        "meaningful_note": meaningful_note(),
        "meanings_json": json.dumps({t: scales.interpret_mgadl(t) for t in totals}),
        "changes_json": (
            json.dumps({t: change_text(previous_total, t) for t in totals})
            if previous_total is not None
            else ""
        ),
    }
