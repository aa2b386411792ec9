"""Bump ``Patient.data_version`` whenever anything belonging to a patient is written.

Connected for every model with a ``patient`` foreign key, found through the app registry, so
the layers above (infusions, diary) are covered without this app importing them.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from .models import Patient


def bump_data_version(sender, instance, **kwargs) -> None:
    patient_id = instance.pk if sender is Patient else getattr(instance, "patient_id", None)
    if patient_id is not None:
        Patient.objects.filter(pk=patient_id).update(data_version=F("data_version") + 1)


def patient_scoped_models():
    for model in apps.get_models():
        if model is Patient:
            yield model
            continue
        field = next((f for f in model._meta.concrete_fields if f.name == "patient"), None)
        # A model can opt out when its rows never show on cached pages (an audit trail).
        if getattr(model, "bumps_patient_data_version", True) is False:
            continue
        if field is not None and field.related_model is Patient:
            yield model


def connect() -> None:
    for model in patient_scoped_models():
        uid = f"bump-data-version-{model._meta.label}"
        post_save.connect(bump_data_version, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(bump_data_version, sender=model, dispatch_uid=uid + "-delete")
