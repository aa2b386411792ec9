"""Bump ``Patient.data_version`` whenever anything belonging to a patient is written.

Connected for every model with a ``patient`` foreign key, found through the app registry, so
the layers above (infusions, diary) are covered without this app importing them. That includes
``Membership``: a member added, removed or given another role changes the diary's pages.

Cached pages also show each member's name (“Sam (caregiver)”), which lives on the user: a user
whose name or email changes bumps every diary they are a member of.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from .models import Patient, User

# What `str(user)` (the name shown next to what someone logged) and the pages read from a user.
USER_FIELDS_SHOWN = frozenset({"display_name", "email", "first_name", "last_name"})


def bump_data_version(sender, instance, **kwargs) -> None:
    patient_id = instance.pk if sender is Patient else getattr(instance, "patient_id", None)
    if patient_id is None:
        return
    bumped = {"data_version": F("data_version") + 1}
    if getattr(sender, "is_diary_content", True):
        bumped["content_version"] = F("content_version") + 1
    Patient.objects.filter(pk=patient_id).update(**bumped)


def bump_member_diaries(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not USER_FIELDS_SHOWN.intersection(update_fields):
        return  # e.g. last_login at every sign-in: nothing a page shows
    Patient.objects.filter(memberships__user_id=instance.pk).update(
        data_version=F("data_version") + 1, content_version=F("content_version") + 1
    )


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
    post_save.connect(bump_member_diaries, sender=User, dispatch_uid="bump-member-diaries")
