"""Change history and soft delete: nothing in the diary is lost by an edit or a delete."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import ChangeRecord

# Bookkeeping fields that say nothing about what the patient recorded.
_SKIP = {"id", "patient", "created_at", "updated_at", "deleted_at"}


def snapshot(obj) -> dict:
    """The entry's recorded values, JSON-ready (dates, decimals handled by the field encoder)."""
    return {
        field.attname: field.value_from_object(obj)
        for field in obj._meta.concrete_fields
        if field.name not in _SKIP
    }


def record(obj, action: str, user, before: dict | None = None) -> ChangeRecord:
    after = None if action == ChangeRecord.Action.DELETED else snapshot(obj)
    return ChangeRecord.objects.create(
        patient_id=obj.patient_id,
        model=obj._meta.model_name,
        object_id=obj.pk,
        action=action,
        changed_by=user if user is not None and user.is_authenticated else None,
        before=before,
        after=after,
    )


def changes_for(obj):
    return ChangeRecord.objects.filter(
        patient_id=obj.patient_id, model=obj._meta.model_name, object_id=obj.pk
    ).select_related("changed_by")


@transaction.atomic
def soft_delete(obj, user=None) -> None:
    before = snapshot(obj)
    obj.deleted_at = timezone.now()
    obj.save(update_fields=["deleted_at", "updated_at"])
    record(obj, ChangeRecord.Action.DELETED, user, before=before)


@transaction.atomic
def restore(obj, user=None) -> None:
    obj.deleted_at = None
    obj.save(update_fields=["deleted_at", "updated_at"])
    record(obj, ChangeRecord.Action.RESTORED, user)


def soft_delete_queryset(queryset, user=None) -> tuple[int, dict[str, int]]:
    """What ``QuerySet.delete()`` does for diary models: soft, recorded, one row at a time."""
    count = 0
    with transaction.atomic():
        for obj in queryset.filter(deleted_at__isnull=True):
            soft_delete(obj, user)
            count += 1
    return count, {queryset.model._meta.label: count}
