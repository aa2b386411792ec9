"""Change history and soft delete, for every app: nothing is lost by an edit or a delete.

The lowest layer keeps the one mechanism the apps above share (diary entries, infusions with
their lots, rates, premedication and reactions, treatment plans):

* :class:`LiveQuerySet` / :class:`LiveManager`: a model with ``deleted_at`` uses
  ``objects = LiveManager()`` (hides soft-deleted rows), ``all_objects = LiveQuerySet.as_manager()``
  and ``Meta.base_manager_name = "all_objects"``; ``QuerySet.delete()`` is soft too.
* :func:`snapshot` / :func:`record` write a :class:`~patients.models.ChangeRecord` with the
  values before and after. A model lists its child rows in ``history_children`` (reverse
  foreign-key names), which the snapshot keeps as lists, and fields that are derived data (not
  what anyone recorded) in ``history_exclude``.
* :func:`changes_for` reads an object's history, always filtered by its patient.
* :func:`field_lines` says what changed in plain words ("Dose (g): 35 → 30").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .models import ChangeRecord

# Bookkeeping fields that say nothing about what the patient recorded. The object's own ids are
# on the change record (``object_id``, ``object_uid``); child rows keep theirs (``id``, ``uid``).
SKIP = frozenset({"id", "uid", "patient", "created_at", "updated_at", "deleted_at"})
# An author kept by name (set by an import, never edited) is bookkeeping too; the author's
# account (``logged_by``) stays in the snapshot as before.
SKIP |= {"logged_by_name", "logged_by_role"}


class LiveQuerySet(models.QuerySet):
    def delete(self):
        """Bulk deletes are soft too, so nothing is lost through a queryset path."""
        return soft_delete_queryset(self)


class LiveManager(models.Manager.from_queryset(LiveQuerySet)):
    """Hides soft-deleted rows; ``all_objects`` sees everything."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


def model_key(model) -> str:
    """How the history names a model: ``app_label.model_name`` (``infusions.infusion``)."""
    return model._meta.label_lower


def _json_ready(field, value):
    if isinstance(field, models.DecimalField) and value is not None:
        # The same text whether the value came from a form (35) or the database (35.00).
        return Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def _row(obj, skip) -> dict:
    return {
        field.attname: _json_ready(field, field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if field.name not in skip
    }


def snapshot(obj) -> dict:
    """The object's recorded values, JSON-ready, with its child rows as lists (read fresh from
    the database, never from a prefetch that a formset save made stale)."""
    values = _row(obj, SKIP | set(getattr(obj, "history_exclude", ())))
    for name in getattr(obj, "history_children", ()):
        relation = obj._meta.get_field(name)
        rows = (
            relation.related_model._default_manager.filter(**{relation.field.name: obj.pk})
            if obj.pk
            else []
        )
        values[name] = [_row(child, {relation.field.name}) for child in rows]
    return values


_UNSET = object()


def record(obj, action: str, user, before: dict | None = None, after=_UNSET) -> ChangeRecord:
    """Keep one change of ``obj``. ``after`` defaults to a snapshot (none for a delete)."""
    if after is _UNSET:
        after = None if action == ChangeRecord.Action.DELETED else snapshot(obj)
    return ChangeRecord.objects.create(
        patient_id=obj.patient_id,
        model=model_key(type(obj)),
        object_id=obj.pk,
        object_uid=getattr(obj, "uid", None),
        action=action,
        changed_by=user if user is not None and user.is_authenticated else None,
        before=before,
        after=after,
    )


def changes_for(obj):
    """The object's history, newest first; only ever the object's own patient's records."""
    return ChangeRecord.objects.filter(
        patient_id=obj.patient_id, model=model_key(type(obj)), object_id=obj.pk
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


def soft_delete_queryset(queryset, user=None, delete_one=None) -> tuple[int, dict[str, int]]:
    """What ``QuerySet.delete()`` does for soft-deleting models: soft, recorded, one row at a
    time (``delete_one(obj, user)`` when the model needs more than :func:`soft_delete`)."""
    delete_one = delete_one or soft_delete
    count = 0
    with transaction.atomic():
        for obj in queryset.filter(deleted_at__isnull=True):
            delete_one(obj, user)
            count += 1
    return count, {queryset.model._meta.label: count}


# --- saying what changed ------------------------------------------------------------------------


def python_value(field, value):
    """A stored JSON value back as the field's Python value (dates, times, decimals)."""
    if value in (None, ""):
        return value
    try:
        return field.to_python(value)
    except (ValidationError, InvalidOperation, TypeError, ValueError):
        return value


def show_value(field, value, names: dict | None = None) -> str:
    """A value as a person reads it: “—” for nothing, choice labels, dates as “3 Mar 2026”."""
    value = python_value(field, value)
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return (names or {}).get((field.attname, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, dt.date):
        return date_format(value, "j M Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return Truncator(str(value)).chars(80)


def field_label(field) -> str:
    label = str(field.verbose_name)
    return label[:1].upper() + label[1:]


def related_names(model, changes) -> dict:
    """The names of the related objects (a product, say) the changes mention: one query per
    foreign key that changed, whatever the number of changes."""
    wanted: dict[str, set] = {}
    fields = {f.attname: f for f in model._meta.concrete_fields if f.is_relation}
    for change in changes:
        before, after = change.before or {}, change.after or {}
        for attname in fields:
            if before and after and before.get(attname) != after.get(attname):
                wanted.setdefault(attname, set()).update(
                    v for v in (before.get(attname), after.get(attname)) if v is not None
                )
    names = {}
    for attname, ids in wanted.items():
        related = fields[attname].related_model
        for obj in related._base_manager.filter(pk__in=ids):
            names[(attname, obj.pk)] = str(obj)
    return names


def changed_fields(model, before: dict | None, after: dict | None, names=None):
    """(field, old text, new text) for each field of ``model`` whose value differs."""
    if not before or not after:
        return []
    changed = []
    for field in model._meta.concrete_fields:
        key = field.attname
        if key not in before or key not in after:
            continue
        old, new = python_value(field, before[key]), python_value(field, after[key])
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        changed.append((field, show_value(field, old, names), show_value(field, new, names)))
    return changed


def field_lines(model, before: dict | None, after: dict | None, names=None) -> list[str]:
    """Each field that changed, in plain words: “Dose (g): 35 → 30”."""
    return [
        f"{field_label(field)}: {old} → {new}"
        for field, old, new in changed_fields(model, before, after, names)
    ]
