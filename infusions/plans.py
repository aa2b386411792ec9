"""Which plan an infusion was given under: the one in force on its date.

Plans of a patient do not overlap (the plan form refuses it), so a date has at most one plan.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from patients.models import Patient

from .models import Infusion, Regimen


def plan_on(patient: Patient, date: dt.date) -> Regimen | None:
    """The plan in force on ``date``: started by then and not ended before it."""
    return (
        Regimen.objects.filter(patient=patient).in_force_on(date).select_related("product").first()
    )


@transaction.atomic
def relink(patient: Patient) -> None:
    """After plan dates change, point every infusion at the plan in force on its date.

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
