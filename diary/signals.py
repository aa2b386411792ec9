"""Keep diary entries linked to the right infusion when infusions change.

The infusions app cannot import the diary (layers import downward only), so the diary listens.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infusions.models import Infusion

from .entries import relink


@receiver(post_save, sender=Infusion, dispatch_uid="diary-relink-on-infusion-save")
@receiver(post_delete, sender=Infusion, dispatch_uid="diary-relink-on-infusion-delete")
def relink_after_infusion_change(sender, instance: Infusion, **kwargs) -> None:
    relink(instance.patient)
