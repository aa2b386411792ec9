"""Keep diary entries linked to the right infusion when infusions change.

The infusions app cannot import the diary (layers import downward only), so the diary listens.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infusions.models import Infusion
from patients.models import Patient

from .entries import recheck_recent


@receiver(post_save, sender=Infusion, dispatch_uid="diary-relink-on-infusion-save")
@receiver(post_delete, sender=Infusion, dispatch_uid="diary-relink-on-infusion-delete")
def recheck_after_infusion_change(sender, instance: Infusion, **kwargs) -> None:
    recheck_recent(instance.patient)


@receiver(post_save, sender=Patient, dispatch_uid="diary-relink-on-patient-save")
def recheck_after_time_zone_change(sender, instance: Patient, created: bool, **kwargs) -> None:
    # Days after an infusion are counted in the patient's time zone.
    if not created and instance.time_zone != getattr(instance, "_loaded_time_zone", None):
        recheck_recent(instance)
