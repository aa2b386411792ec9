"""Cached page fragments never outlive a change to the diary, a new login, or the hour."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from diary import entries
from diary.models import SymptomEntry
from patients.models import Membership, Patient

from .factories import InfusionFactory


def test_any_write_to_a_patient_bumps_its_data_version(patient, owner):
    before = Patient.objects.get(pk=patient.pk).data_version
    InfusionFactory(patient=patient)
    after_infusion = Patient.objects.get(pk=patient.pk).data_version
    assert after_infusion > before
    entry = SymptomEntry(
        patient=patient, symptom="headache", severity=4, onset=dt.datetime.now(dt.UTC)
    )
    entries.save(entry, owner)
    assert Patient.objects.get(pk=patient.pk).data_version > after_infusion


def _versions(patient):
    return Patient.objects.values_list("data_version", "content_version").get(pk=patient.pk)


def test_each_write_bumps_both_versions_by_one_and_only_its_own_diarys(patient, owner):
    """The bump is written as SQL once per database (patients/signals.py): it must do exactly
    what the ORM's update did, to this diary's row and no other."""
    other = Patient.objects.create(name="Other", time_zone="Europe/London", conditions=["mg"])
    data, content = _versions(patient)
    untouched = _versions(other)
    entry = SymptomEntry.objects.create(
        patient=patient, symptom="headache", severity=4, onset=dt.datetime.now(dt.UTC)
    )
    assert _versions(patient) == (data + 1, content + 1)
    entry.severity = 5
    entry.save()
    assert _versions(patient) == (data + 2, content + 2)
    membership = Membership.objects.create(
        user=owner.__class__.objects.create(email="sam@example.com"),
        patient=patient,
        role=Membership.Role.CAREGIVER_VIEWER,
    )
    membership.delete()  # a row deleted bumps as a row saved
    assert _versions(patient) == (data + 4, content + 4)
    assert _versions(other) == untouched


def test_a_write_that_is_not_diary_content_bumps_only_the_data_version(patient):
    from reports.models import ReportPreference

    data, content = _versions(patient)
    ReportPreference.objects.create(patient=patient)
    assert _versions(patient) == (data + 1, content)


def test_a_patient_row_saved_bumps_its_own_versions(patient):
    data, content = _versions(patient)
    patient.name = "Maya B."
    patient.save(update_fields=["name"])
    assert _versions(patient) == (data + 1, content + 1)


def test_the_today_page_is_cached_until_something_changes(
    patient, owner, owner_client, django_assert_max_num_queries
):
    url = reverse("today", args=[patient.public_id])
    owner_client.get(url)
    with django_assert_max_num_queries(3):  # session, user, membership: the rest is cached
        assert b"Nothing yet today." in owner_client.get(url).content
    # A write that does not go through any view still shows on the next visit.
    SymptomEntry.objects.create(
        patient=patient,
        symptom="chills",
        severity=3,
        onset=dt.datetime.now(dt.UTC),
        logged_by=owner,
    )
    assert b"Chills" in owner_client.get(url).content


def test_the_cache_is_per_session(patient, owner, owner_client, viewer_client):
    url = reverse("today", args=[patient.public_id])
    assert b"How are you feeling?" in owner_client.get(url).content
    # Same patient, same version, another member: never the owner's copy (or CSRF token).
    body = viewer_client.get(url).content
    assert b"How are you feeling?" not in body
    assert b"You can view this diary" in body


def test_a_new_hour_rebuilds_the_page(patient, owner_client):
    url = reverse("today", args=[patient.public_id])
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 59, tzinfo=dt.UTC), tick=False):
        assert b"Monday 23 November 2026" in owner_client.get(url).content
    with time_machine.travel(dt.datetime(2026, 11, 24, 0, 1, tzinfo=dt.UTC), tick=False):
        assert b"Tuesday 24 November 2026" in owner_client.get(url).content
    cache.clear()


def _log_chills(patient, user):
    return SymptomEntry.objects.create(
        patient=patient,
        symptom="chills",
        severity=3,
        onset=dt.datetime.now(dt.UTC),
        logged_by=user,
    )


def _pages(patient):
    return [
        reverse("today", args=[patient.public_id]),
        reverse("diary:timeline", args=[patient.public_id]),
    ]


def test_a_caregiver_renamed_shows_on_cached_pages(
    patient, owner, owner_client, caregiver, django_assert_max_num_queries
):
    caregiver.display_name = "Sam"
    caregiver.save()
    _log_chills(patient, caregiver)
    for url in _pages(patient):
        assert "Sam (caregiver)" in owner_client.get(url).content.decode()
    with django_assert_max_num_queries(3):  # served from the cache from now on
        owner_client.get(_pages(patient)[0])

    caregiver.display_name = "Samantha"
    caregiver.save(update_fields=["display_name"])
    for url in _pages(patient):
        body = owner_client.get(url).content.decode()
        assert "Samantha (caregiver)" in body
        assert "Sam (caregiver)" not in body


def test_a_new_email_renames_a_member_without_a_display_name(
    patient, owner, caregiver, caregiver_client
):
    owner.display_name = ""
    owner.email = "maya.k@example.com"
    owner.save()
    _log_chills(patient, owner)
    for url in _pages(patient):
        assert "· maya.k" in caregiver_client.get(url).content.decode()
    owner.email = "maya.r@example.com"
    owner.save()
    for url in _pages(patient):
        body = caregiver_client.get(url).content.decode()
        assert "· maya.r" in body
        assert "maya.k" not in body


def test_a_membership_change_shows_on_cached_pages(patient, owner, owner_client, caregiver):
    caregiver.display_name = "Sam"
    caregiver.save()
    _log_chills(patient, caregiver)
    today = _pages(patient)[0]
    assert "Sam (caregiver)" in owner_client.get(today).content.decode()
    membership = Membership.objects.get(patient=patient, user=caregiver)
    membership.role = Membership.Role.OWNER
    membership.save()
    body = owner_client.get(today).content.decode()
    assert "· Sam" in body
    assert "Sam (caregiver)" not in body
    membership.delete()
    assert "a former member" in owner_client.get(today).content.decode()


def test_only_what_pages_show_of_a_user_invalidates_their_diaries(patient, owner, stranger):
    version = Patient.objects.get(pk=patient.pk).data_version
    owner.last_login = dt.datetime.now(dt.UTC)
    owner.save(update_fields=["last_login"])  # every sign-in does this
    stranger.display_name = "Someone else"
    stranger.save()  # not a member of this diary
    assert Patient.objects.get(pk=patient.pk).data_version == version
    owner.display_name = "Maya R."
    owner.save(update_fields=["display_name"])
    assert Patient.objects.get(pk=patient.pk).data_version > version


def test_a_cached_fragment_suits_any_cache_backend(patient, owner_client):
    """Short keys and plain strings: what Redis (pickled values, any key) stores as well."""
    import pickle

    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    backend = caches["default"]
    if not isinstance(backend, LocMemCache):
        pytest.skip("the cache in this run is not the memory cache (CI's Redis pass)")
    owner_client.get(_pages(patient)[0])
    keys = [k for k in backend._cache if ":fragment:" in k]
    assert keys
    for key in keys:
        assert len(key) < 250  # also under memcached's limit, far under Redis's
        value = pickle.loads(backend._cache[key])
        assert isinstance(value, str)
