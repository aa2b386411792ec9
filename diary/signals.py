"""Keep diary entries linked to the right infusion when infusions change.

The infusions app cannot import the diary (layers import downward only), so the diary listens.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infusions.models import Infusion
from infusions.signals import infusion_recorded, plans_changed
from patients.models import Patient

from . import alerts
from .entries import recheck_recent, relink


@receiver(infusion_recorded, dispatch_uid="diary-recheck-on-infusion-recorded")
def recheck_after_infusion_recorded(sender, patient, infusion: Infusion, **kwargs) -> None:
    # Sent after courses.regroup and once the reactions are saved; post_save/post_delete fire
    # before both. Only now are the entries' course and day of the cycle right, and the
    # reactions are signs of their own for the red-flag rules.
    relink(patient)
    alerts.refresh_infusion(patient, infusion.date, infusion.tz)
    previous = kwargs.get("previous_date")
    if previous and previous != infusion.date:  # moved: the signs after its old date too
        alerts.refresh_infusion(patient, previous, infusion.tz)


@receiver(plans_changed, dispatch_uid="diary-relink-on-plans-changed")
def relink_after_plans_changed(sender, patient, **kwargs) -> None:
    # Courses may have been regrouped: each entry's course and day of the cycle follow them.
    relink(patient)


@receiver(post_save, sender=Infusion, dispatch_uid="diary-relink-on-infusion-save")
@receiver(post_delete, sender=Infusion, dispatch_uid="diary-relink-on-infusion-delete")
def recheck_after_infusion_change(sender, instance: Infusion, **kwargs) -> None:
    # Not while a whole diary is being deleted: its entries and events are going too.
    origin = kwargs.get("origin")
    deleting_infusions = isinstance(origin, Infusion) or getattr(origin, "model", None) is Infusion
    if origin is not None and not deleting_infusions:
        return
    recheck_recent(instance.patient, instance)


@receiver(post_save, sender=Patient, dispatch_uid="diary-relink-on-patient-save")
def recheck_after_time_zone_change(sender, instance: Patient, created: bool, **kwargs) -> None:
    # Past entries keep their own zone; this only fills in rows saved without one.
    if not created and instance.time_zone != getattr(instance, "_loaded_time_zone", None):
        recheck_recent(instance)
