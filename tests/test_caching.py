"""Cached page fragments never outlive a change to the diary, a new login, or the hour."""

import datetime as dt

import time_machine
from django.core.cache import cache
from django.urls import reverse

from diary import entries
from diary.models import SymptomEntry
from patients.models import Patient

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
