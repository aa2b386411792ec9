"""Bump ``Patient.data_version`` whenever anything belonging to a patient is written.

Connected for every model with a ``patient`` foreign key, found through the app registry, so
the layers above (infusions, diary) are covered without this app importing them. That includes
``Membership``: a member added, removed or given another role changes the diary's pages.

Cached pages also show each member's name (“Sam (caregiver)”), which lives on the user: a user
whose name or email changes bumps every diary they are a member of.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.db import connections, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from .models import Patient, User

# What `str(user)` (the name shown next to what someone logged) and the pages read from a user.
USER_FIELDS_SHOWN = frozenset({"display_name", "email", "first_name", "last_name"})


@cache
def _bump_sql(alias: str, content: bool) -> str:
    """``Patient.objects.filter(pk=...).update(data_version=F(...) + 1, ...)`` as SQL, written
    once per database: every save runs it, and the ORM took twenty times longer to compile
    that UPDATE than the database took to run it (docs/decisions.md, "Speed")."""
    quote = connections[alias].ops.quote_name
    meta = Patient._meta
    names = ("data_version", "content_version") if content else ("data_version",)
    columns = [quote(meta.get_field(name).column) for name in names]
    assignments = ", ".join(f"{column} = {column} + 1" for column in columns)
    return f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"


def bump_data_version(sender, instance, using=None, **kwargs) -> None:
    patient_id = instance.pk if sender is Patient else getattr(instance, "patient_id", None)
    if patient_id is None:
        return
    content = getattr(sender, "is_diary_content", True)
    connection = connections[using or "default"]
    # As QuerySet.update(): a failure inside a caller's atomic block marks it for rollback.
    with (
        transaction.mark_for_rollback_on_error(using=connection.alias),
        connection.cursor() as cursor,
    ):
        cursor.execute(_bump_sql(connection.alias, bool(content)), [patient_id])


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
