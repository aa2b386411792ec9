"""Which plan an infusion was given under: the one in force on its date.

Plans of a patient do not overlap (the plan form refuses it), so a date has at most one plan.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from patients.models import Patient

from . import courses
from .models import Infusion, Regimen
from .signals import plans_changed


def plan_on(patient: Patient, date: dt.date) -> Regimen | None:
    """The plan in force on ``date``: started by then and not ended before it."""
    return (
        Regimen.objects.filter(patient=patient).in_force_on(date).select_related("product").first()
    )


@transaction.atomic
def relink(patient: Patient) -> None:
    """After any change of plans, point every infusion at the plan in force on its date,
    regroup the courses (a plan's course length decides whether a late day 2 joins its course)
    and tell the other apps (:data:`infusions.signals.plans_changed`).

    A few updates per plan; a patient has a handful of plans.
    """
    infusions = Infusion.objects.filter(patient=patient)
    covered = Q(pk__in=[])
    for plan in Regimen.objects.filter(patient=patient).order_by("start_date"):
        span = Q(date__gte=plan.start_date)
        if plan.end_date is not None:
            span &= Q(date__lte=plan.end_date)
        infusions.filter(span).exclude(regimen=plan).update(regimen=plan)
        covered |= span
    infusions.exclude(covered).exclude(regimen=None).update(regimen=None)
    courses.regroup(patient)
    plans_changed.send(sender=Regimen, patient=patient)


def overlapping(patient: Patient, start: dt.date, end: dt.date | None, exclude=None):
    """The first plan of the patient (deleted ones do not count) sharing a day with the span
    from ``start`` to ``end`` (no end: still going), or None."""
    others = Regimen.objects.filter(patient=patient).select_related("product")
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if end is not None:
        others = others.filter(start_date__lte=end)
    return others.filter(Q(end_date__isnull=True) | Q(end_date__gte=start)).first()


def span_text(plan: Regimen) -> str:
    """“from 1 Jan 2026, still going” or “1 Jan 2026 to 3 Mar 2026”."""
    start = date_format(plan.start_date, "j M Y")
    if plan.end_date is None:
        return _("from %(start)s, still going") % {"start": start}
    return _("%(start)s to %(end)s") % {"start": start, "end": date_format(plan.end_date, "j M Y")}
