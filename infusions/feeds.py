"""A calendar feed lives only while its maker is an active owner of the diary.

Its address is a bearer secret made by an owner; once that person is no longer an owner (their
role changed, their membership was removed, their account was deactivated or deleted) the
address is revoked at once: ``revoked_at`` is set, so it never works again, even if they become
an owner later. The feed view checks the same rule on every request as well
(:func:`maker_may_read`), which also covers changes made without model signals
(``QuerySet.update``).

Receivers are connected in ``InfusionsConfig.ready``; this app may listen to ``patients``, the
layer below.
"""

from __future__ import annotations

from django.utils import timezone

from patients.models import Membership
from patients.owners import deleting_the_diary

from .models import CalendarFeed


def revoke(**filters) -> int:
    return CalendarFeed.objects.filter(revoked_at__isnull=True, **filters).update(
        revoked_at=timezone.now()
    )


def maker_may_read(feed: CalendarFeed) -> bool:
    """The feed's maker is still an active user and an owner of the feed's diary."""
    if feed.created_by_id is None:
        return False
    return Membership.objects.filter(
        patient_id=feed.patient_id,
        user_id=feed.created_by_id,
        user__is_active=True,
        role=Membership.Role.OWNER,
    ).exists()


def on_membership_saved(sender, instance: Membership, **kwargs) -> None:
    if instance.role != Membership.Role.OWNER:
        revoke(patient_id=instance.patient_id, created_by_id=instance.user_id)


def on_membership_deleted(sender, instance: Membership, origin=None, **kwargs) -> None:
    if deleting_the_diary(origin):
        return  # the feeds are being deleted with it
    revoke(patient_id=instance.patient_id, created_by_id=instance.user_id)


def on_user_saved(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        revoke(created_by_id=instance.pk)


def on_user_deleted(sender, instance, **kwargs) -> None:
    # pre_delete: the feeds still name their maker (created_by is SET_NULL after the delete).
    revoke(created_by_id=instance.pk)
