"""A calendar feed lives only while its maker is an active owner (infusions.feeds): the moment
that ends, the address is revoked (``revoked_at`` set), not merely hidden."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from infusions.models import CalendarFeed
from patients.models import Membership, User

from .factories import MembershipFactory, PatientFactory, RegimenFactory


@pytest.fixture
def feed_url(patient, owner, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    response = owner_client.post(reverse("infusions:calendar-create", args=[patient.public_id]))
    url = response.context["feed_url"]
    assert Client().get(url).status_code == 200
    return url


@pytest.fixture
def second_owner(patient, owner):
    """Another owner, so that the first may step down or leave (a diary keeps an owner)."""
    return MembershipFactory(patient=patient, role=Membership.Role.OWNER).user


def assert_revoked(url: str) -> None:
    assert Client().get(url).status_code == 404
    feed = CalendarFeed.objects.get()
    assert feed.revoked_at is not None


def test_a_role_change_away_from_owner_revokes_the_makers_feed(
    patient, owner, second_owner, feed_url
):
    membership = Membership.objects.get(user=owner, patient=patient)
    membership.role = Membership.Role.CAREGIVER_EDITOR
    membership.save()
    assert_revoked(feed_url)
    # Owner again: the old address stays dead (a new one must be made).
    membership.role = Membership.Role.OWNER
    membership.save()
    assert Client().get(feed_url).status_code == 404


def test_removing_the_makers_membership_revokes_the_feed(patient, owner, second_owner, feed_url):
    Membership.objects.get(user=owner, patient=patient).delete()
    assert_revoked(feed_url)


def test_deactivating_the_makers_account_revokes_the_feed(owner, feed_url):
    owner.is_active = False
    owner.save()
    assert_revoked(feed_url)
    owner.is_active = True
    owner.save()
    assert Client().get(feed_url).status_code == 404


def test_deleting_the_makers_account_revokes_the_feed(owner, second_owner, feed_url):
    owner.delete()
    assert_revoked(feed_url)
    assert CalendarFeed.objects.get().created_by is None


def test_another_owner_stepping_down_leaves_the_feed_alone(patient, owner, second_owner, feed_url):
    membership = Membership.objects.get(user=second_owner, patient=patient)
    membership.role = Membership.Role.CAREGIVER_VIEWER
    membership.save()
    Membership.objects.get(user=second_owner, patient=patient).delete()
    second_owner.is_active = False
    second_owner.save()
    assert Client().get(feed_url).status_code == 200
    assert CalendarFeed.objects.get().revoked_at is None


def test_only_the_makers_feeds_of_that_diary_are_revoked(patient, owner, second_owner, feed_url):
    """Their feed of another diary, where they stay owner, keeps working."""
    other = PatientFactory(name="Other")
    MembershipFactory(patient=other, user=owner, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(owner)
    other_url = client.post(reverse("infusions:calendar-create", args=[other.public_id])).context[
        "feed_url"
    ]
    Membership.objects.get(user=owner, patient=patient).delete()
    assert Client().get(feed_url).status_code == 404
    assert Client().get(other_url).status_code == 200


@pytest.mark.parametrize("change", ["role", "inactive"])
def test_the_feed_checks_its_maker_itself(patient, owner, second_owner, feed_url, change):
    """Changes that bypass model signals (QuerySet.update) are caught by the feed view, which
    then revokes the feed for good."""
    if change == "role":
        Membership.objects.filter(user=owner, patient=patient).update(
            role=Membership.Role.CAREGIVER_VIEWER
        )
    else:
        User.objects.filter(pk=owner.pk).update(is_active=False)
    assert CalendarFeed.objects.get().revoked_at is None  # no signal saw it
    assert_revoked(feed_url)
