"""Writing infusions and plans with their change history, soft deletes and restores.

Like ``diary.entries`` for diary entries: every view (log, edit, delete, undo, plan changes)
goes through here, so each write keeps its :class:`~patients.models.ChangeRecord` (before and
after, an infusion's lots, rate steps, premedication and reactions included) and has the same
consequences:

* an infusion saved, deleted or restored regroups the courses and sends
  :data:`infusions.signals.infusion_recorded` (the diary relinks its entries and re-checks its
  warnings), so a deleted infusion leaves courses, schedule, diary links and warnings exactly
  as if it had never been logged, and a restore puts them back;
* a plan saved, ended, deleted or restored relinks the infusions to the plan in force on their
  dates (:func:`infusions.plans.relink`), a deleted plan counting as if it had never existed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from patients import history
from patients.models import ChangeRecord, Patient

from . import courses, plans
from .models import Infusion, InfusionLot, Regimen
from .signals import infusion_recorded

Action = ChangeRecord.Action


def soft_delete_queryset(queryset, delete_one) -> tuple[int, dict[str, int]]:
    """``QuerySet.delete()`` of infusions or plans: each row as its Delete button does."""
    return history.soft_delete_queryset(queryset, None, delete_one)


def _fresh(obj):
    """The row as stored (all managers: it may be deleted), for a before/after snapshot."""
    return type(obj).all_objects.get(pk=obj.pk)


# --- infusions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryMismatch:
    """A lot of an infusion also recorded, on another live infusion of the same diary, with
    another expiry date: one of the two is likely a typo (a recall goes by lot and expiry)."""

    lot_number: str
    expiry: dt.date
    other_expiry: dt.date
    other_date: dt.date


def expiry_mismatches(infusion: Infusion) -> list[ExpiryMismatch]:
    """For each lot of ``infusion`` with an expiry, the latest other infusion of the diary that
    recorded the same lot number with another expiry (deleted infusions left out)."""
    mine = {lot.lot_number: lot.expiry for lot in InfusionLot.objects.filter(infusion=infusion)}
    mine = {number: expiry for number, expiry in mine.items() if expiry is not None}
    if not mine:
        return []
    others = (
        InfusionLot.objects.filter(
            infusion__patient_id=infusion.patient_id,
            infusion__deleted_at__isnull=True,
            lot_number__in=list(mine),
            expiry__isnull=False,
        )
        .exclude(infusion_id=infusion.pk)
        .order_by("-infusion__date", "-pk")
        .values_list("lot_number", "expiry", "infusion__date")
    )
    found: dict[str, ExpiryMismatch] = {}
    for number, expiry, day in others:
        if number not in found and expiry != mine[number]:
            found[number] = ExpiryMismatch(number, mine[number], expiry, day)
    return [found[number] for number in mine if number in found]


@transaction.atomic
def save_infusion(form, formsets: dict, patient: Patient, user, previous_date=None) -> Infusion:
    """Save a valid infusion form and its child formsets, regroup the courses, tell the diary,
    and keep the change (nothing is kept for a save that changed nothing)."""
    infusion = form.save(commit=False)
    created = infusion.pk is None
    before = None if created else history.snapshot(_fresh(infusion))
    infusion.patient = patient
    if created:
        infusion.logged_by = user
    if created or "date" in form.changed_data:
        # The plan in force that day, which for a back-dated one may be an old plan.
        infusion.regimen = plans.plan_on(patient, infusion.date)
    infusion.save()
    for formset in formsets.values():
        formset.instance = infusion
        formset.save()
    courses.regroup(patient)
    after = history.snapshot(_fresh(infusion))
    if created or after != before:
        history.record(
            infusion, Action.CREATED if created else Action.UPDATED, user, before, after=after
        )
    infusion_recorded.send(
        sender=Infusion,
        patient=patient,
        infusion=infusion,
        deleted=False,
        previous_date=previous_date,
    )
    return infusion


@transaction.atomic
def delete_infusion(infusion: Infusion, user=None) -> None:
    """Soft delete: hidden everywhere, its lots kept (a recall search still finds them)."""
    patient = infusion.patient
    before = history.snapshot(infusion)
    infusion.deleted_at = timezone.now()
    infusion.course = None  # courses are regrouped from the infusions that remain
    infusion.save(update_fields=["deleted_at", "course", "updated_at"])
    history.record(infusion, Action.DELETED, user, before=before)
    courses.regroup(patient)
    infusion_recorded.send(sender=Infusion, patient=patient, infusion=infusion, deleted=True)


@transaction.atomic
def restore_infusion(infusion: Infusion, user=None) -> None:
    """Undo a delete: back in its course, under the plan in force on its date, diary relinked."""
    patient = infusion.patient
    infusion.deleted_at = None
    infusion.regimen = plans.plan_on(patient, infusion.date)
    infusion.save(update_fields=["deleted_at", "regimen", "updated_at"])
    courses.regroup(patient)
    history.record(infusion, Action.RESTORED, user)
    infusion_recorded.send(
        sender=Infusion, patient=patient, infusion=infusion, deleted=False, previous_date=None
    )


# --- plans ---------------------------------------------------------------------------------------


class PlanOverlaps(Exception):
    """A deleted plan cannot come back: its dates now overlap another plan."""

    def __init__(self, other: Regimen):
        super().__init__(f"overlaps plan {other.pk}")
        self.other = other


@transaction.atomic
def save_plan(regimen: Regimen, user, *, before: dict | None = None, relink=True) -> Regimen:
    """Create or update a plan (the form's instance, not saved yet), keep the change, and
    relink the infusions when its dates may have moved. ``before``: its snapshot as stored,
    for an update (taken before the form changed the instance)."""
    created = regimen.pk is None
    regimen.save()
    after = history.snapshot(regimen)
    if created or after != before:
        history.record(
            regimen, Action.CREATED if created else Action.UPDATED, user, before, after=after
        )
    if relink:
        plans.relink(regimen.patient)
    return regimen


@transaction.atomic
def end_plan(regimen: Regimen, end_date: dt.date, user, *, relink=True) -> None:
    """Mark a plan as ended on ``end_date`` (by hand, or because a new plan starts)."""
    before = history.snapshot(regimen)
    regimen.end_date = end_date
    regimen.save(update_fields=["end_date"])
    history.record(regimen, Action.UPDATED, user, before=before)
    if relink:
        plans.relink(regimen.patient)


@transaction.atomic
def delete_plan(regimen: Regimen, user=None) -> None:
    """Soft delete: the infusions under it are relinked as if it had never existed."""
    before = history.snapshot(regimen)
    regimen.deleted_at = timezone.now()
    regimen.save(update_fields=["deleted_at"])
    history.record(regimen, Action.DELETED, user, before=before)
    plans.relink(regimen.patient)


@transaction.atomic
def restore_plan(regimen: Regimen, user=None) -> None:
    """Undo a delete, unless the plan's dates now overlap another plan (:class:`PlanOverlaps`):
    a day is under one plan only, so the other must be ended or corrected first."""
    other = plans.overlapping(regimen.patient, regimen.start_date, regimen.end_date, regimen)
    if other is not None:
        raise PlanOverlaps(other)
    regimen.deleted_at = None
    regimen.save(update_fields=["deleted_at"])
    history.record(regimen, Action.RESTORED, user)
    plans.relink(regimen.patient)
