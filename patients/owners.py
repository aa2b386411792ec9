"""A diary always has an owner.

Taking the owner role away from the last owner is refused in ``Membership.save``; removing the
last owner's membership is refused here, after the delete and inside its transaction, so it
covers every way a membership goes: ``membership.delete()``, ``QuerySet.delete()`` and a user's
account being deleted (its memberships cascade). Deleting the whole diary is allowed: its
memberships go with it. The refusal is a ValidationError with a message for people; the admin
shows it (patients.admin).

Not covered: ``QuerySet.update(role=...)``, which runs no model code (nothing in the app does it).
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Membership, Patient, ensure_an_owner_remains


def deleting_the_diary(origin) -> bool:
    """True if the delete that reached this row started from the diary itself."""
    if isinstance(origin, Patient):
        return True
    return isinstance(origin, QuerySet) and origin.model is Patient


def refuse_to_remove_the_last_owner(sender, instance: Membership, using, origin=None, **kwargs):
    if instance.role != Membership.Role.OWNER or deleting_the_diary(origin):
        return
    ensure_an_owner_remains(instance.patient_id, using)
