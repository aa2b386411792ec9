"""``{% infusion_rows course %}`` and ``{% course_title course %}``: the infusion list's rows of
one course and its heading, built in Python.

In the template language each row cost about 200 µs ({% url %}, three filters, the lots loop);
built here, about 25 µs (docs/decisions.md, "Speed"). The markup is the one the template had,
whitespace included: change it here.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from patients.formats import (
    day_month,
    day_month_year,
    url_for_each,
    weekday_day_month,
    weekday_day_month_year,
)

register = template.Library()


@register.simple_tag
def course_title(course) -> str:
    """What the course's heading says: its dates, and how many days it had."""
    if course.day_count > 1:
        text = _("Course %(start)s – %(end)s (%(n)s days)") % {
            "start": day_month(course.start_date),
            "end": day_month_year(course.end_date),
            "n": course.day_count,
        }
    else:
        text = _("Course on %(date)s") % {"date": weekday_day_month_year(course.start_date)}
    return format_html("\n            {}\n          ", text)


@register.simple_tag(takes_context=True)
def infusion_rows(context, course) -> SafeString:
    """The ``<li>`` of each infusion of ``course`` (its prefetched ``infusions``, with lots)."""
    builders = context.render_context.setdefault("infusion_rows.detail_url", {})
    public_id = context["patient"].public_id
    if public_id not in builders:
        builders[public_id] = url_for_each("infusions:detail", public_id)
    detail_url = builders[public_id]
    rows = []
    for infusion in course.infusions.all():
        dose = format_html("{} g", floatformat(infusion.dose_g, "-1"))
        if per_kg := infusion.dose_g_per_kg:
            dose = format_html("{} ({} g/kg)", dose, localize(per_kg))
        lots = infusion.lots.all()
        lot_text = (
            format_html(
                '<span class="text-body-secondary">{} {}</span>',
                _("lot"),
                format_html_join(", ", "{}", ((lot.lot_number,) for lot in lots)),
            )
            if lots
            else ""
        )
        rows.append(
            format_html(
                "\n            <li>\n"
                '              <a class="d-flex flex-wrap gap-2 align-items-baseline infusion-row"'
                ' href="{}">\n'
                "                <strong>{}</strong>\n"
                "                <span>{}</span>\n"
                "                <span>{}</span>\n"
                "                {}\n"
                "              </a>\n"
                "            </li>\n"
                "          ",
                detail_url(infusion.pk),
                weekday_day_month(infusion.date),
                infusion.product,
                dose,
                lot_text,
            )
        )
    return mark_safe("".join(rows))
