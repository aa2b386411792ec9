"""Deleting a diary: every row of it goes, in one transaction; nothing of another diary moves.

The owner deletes it from the bottom of the diary settings, on a page of its own, by typing the
diary's name (and the password again, as for every deletion). The access walk in
tests/test_access.py covers strangers (404) and viewers (403) on that route too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diary import entries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry
from infusions.models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    Product,
    RateStep,
)
from patients.models import Membership, Patient
from reports import jobs, preferences

from .factories import (
    PASSWORD,
    InfusionFactory,
    MembershipFactory,
    PatientFactory,
    RegimenFactory,
    UserFactory,
    catalog_product,
)

# Rows that belong to people and their sign-ins, not to a diary.
NOT_DIARY_DATA = {"sessions.Session"}


def every_model():
    return apps.get_models(include_auto_created=True)  # many-to-many tables too


def row_counts() -> dict[str, int]:
    # The base manager: soft-deleted rows count too.
    return {m._meta.label: m._base_manager.count() for m in every_model()}


def all_rows() -> dict[str, list]:
    return {
        m._meta.label: list(m._base_manager.order_by("pk").values())
        for m in every_model()
        if m._meta.label not in NOT_DIARY_DATA
    }


def patient_scoped_models() -> list:
    found = []
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "patient"), None)
        if field is not None and field.related_model is Patient:
            found.append(model)
    return found


def build_rich_diary(owner, caregiver, owner_client) -> Patient:
    """A diary with a row of every kind: its own product in use, a plan, infusions with every
    child row (one soft-deleted), side effects with readings (one soft-deleted), a warning,
    notes, measures, change history, a calendar feed, two members, and the report's remembered
    choice, a report made, a PDF and an export (their files in the database)."""
    patient = PatientFactory(name="Robin")
    MembershipFactory(patient=patient, user=owner, role=Membership.Role.OWNER)
    MembershipFactory(patient=patient, user=caregiver, role=Membership.Role.CAREGIVER_EDITOR)
    own_product = Product.objects.create(
        patient=patient, name="Home IG", route="IV", concentration_percent=Decimal("10")
    )
    RegimenFactory(patient=patient, product=own_product, start_date=dt.date(2026, 6, 1))
    infusion = InfusionFactory(patient=patient, product=own_product, date=dt.date(2026, 11, 2))
    InfusionLot.objects.create(infusion=infusion, lot_number="L123", vial_count=3)
    RateStep.objects.create(infusion=infusion, minutes_from_start=0, rate=Decimal("0.5"))
    Premedication.objects.create(infusion=infusion, name="Paracetamol", dose="1 g")
    InfusionReaction.objects.create(infusion=infusion, symptom="headache", severity=3)
    gone = InfusionFactory(patient=patient, product=own_product, date=dt.date(2026, 10, 5))
    Infusion.objects.filter(pk=gone.pk).delete()  # soft, where infusions have soft delete

    onset = timezone.now() - dt.timedelta(hours=2)
    headache = SymptomEntry(patient=patient, symptom="headache", severity=4, onset=onset)
    entries.save(headache, owner)
    entries.add_reading(headache, 6, onset + dt.timedelta(hours=1), caregiver)
    chills = SymptomEntry(patient=patient, symptom="chills", severity=2, onset=onset)
    entries.save(chills, caregiver)
    entries.delete(chills, caregiver)  # soft-deleted, still a row
    warning = RedFlagEvent.objects.create(
        patient=patient, rule="test_rule", started_at=onset, last_at=onset, infusion=infusion
    )
    warning.entries.add(headache)
    entries.save(Note(patient=patient, text="Better legs this week."), owner)
    entries.save(Note(patient=patient, kind=Note.Kind.QUESTION, text="Slower rate?"), owner)
    entries.save(Measure(patient=patient, kind=Measure.Kind.WEIGHT, value=Decimal("68")), owner)

    response = owner_client.post(reverse("infusions:calendar-create", args=[patient.public_id]))
    assert response.status_code == 200

    preferences.remember(patient, owner, period="6m", parts=["notes"])
    job = jobs.request_pdf(patient, owner, since=dt.date(2026, 8, 1), until=dt.date(2026, 10, 31))
    job.status, job.pdf = "done", b"%PDF-1.7 Robin"
    job.save()
    preferences.record_made(patient, job.since, job.until, owner)
    export = jobs.request_export(patient, owner, kind="json", since=job.since, until=job.until)
    jobs.run_export(export.pk)  # a finished export, its file in the database
    return patient


@pytest.fixture
def people(db):
    """Made before the counts are taken: people stay when a diary goes."""
    owner, caregiver = UserFactory(), UserFactory()
    client = Client()
    client.force_login(owner)
    catalog_product()  # the shared catalog, loaded once
    return owner, caregiver, client


@pytest.fixture
def other_diary(people):
    """Another diary, of the caregiver's, with records of its own: it must not change."""
    _owner, caregiver, _client = people
    other = PatientFactory(name="Sam")
    MembershipFactory(patient=other, user=caregiver, role=Membership.Role.OWNER)
    InfusionFactory(patient=other, date=dt.date(2026, 11, 9))
    entries.save(Note(patient=other, text="Fine."), caregiver)
    return other


def test_deleting_a_rich_diary_leaves_no_row_of_it(people, other_diary):
    owner, caregiver, owner_client = people
    counts_before = row_counts()
    rows_before = all_rows()
    patient = build_rich_diary(owner, caregiver, owner_client)

    empty = [
        model._meta.label
        for model in patient_scoped_models()
        if not model._base_manager.filter(patient=patient).exists()
    ]
    assert not empty, f"add a row of {empty} to build_rich_diary"
    assert Infusion._base_manager.filter(patient=patient, product__patient=patient).exists()

    patient.delete()

    assert row_counts() == counts_before
    assert all_rows() == rows_before  # the other diary (and everyone) exactly as before


def test_a_diary_whose_infusions_use_its_own_product_can_be_deleted(patient, owner):
    own_product = Product.objects.create(
        patient=patient, name="Home IG", route="SC", concentration_percent=Decimal("20")
    )
    InfusionFactory(patient=patient, product=own_product)
    RegimenFactory(patient=patient, product=own_product)
    patient.delete()
    assert not Patient.objects.exists()
    assert not Product.objects.filter(name="Home IG").exists()
    assert not Infusion._base_manager.exists()


def test_a_product_in_use_is_still_protected_on_its_own(patient):
    own_product = Product.objects.create(
        patient=patient, name="Home IG", route="IV", concentration_percent=Decimal("10")
    )
    InfusionFactory(patient=patient, product=own_product)
    with pytest.raises(ProtectedError):
        own_product.delete()
    assert Product.objects.filter(pk=own_product.pk).exists()


def test_deleting_diaries_through_a_queryset(patient, owner):
    own_product = Product.objects.create(
        patient=patient, name="Home IG", route="IV", concentration_percent=Decimal("10")
    )
    InfusionFactory(patient=patient, product=own_product)
    other = PatientFactory()
    Patient.objects.filter(pk__in=[patient.pk, other.pk]).delete()
    assert not Patient.objects.exists() and not Membership.objects.exists()


# --- the owner's "Delete this diary" ------------------------------------------------------------


def delete_url(patient) -> str:
    return reverse("patients:delete", args=[patient.public_id])


def test_settings_offer_the_owner_to_delete_the_diary(patient, owner_client):
    body = owner_client.get(reverse("patients:settings", args=[patient.public_id])).content
    assert delete_url(patient).encode() in body
    page = owner_client.get(delete_url(patient))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Type the diary’s name, “Maya”, to confirm" in body
    assert "This cannot be undone." in body


def test_the_wrong_name_deletes_nothing_and_keeps_what_was_typed(patient, owner_client):
    response = owner_client.post(delete_url(patient), {"confirm_name": "Mayo"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "That is not this diary’s name. Type “Maya” to delete it." in body
    assert 'value="Mayo"' in body
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_an_empty_name_is_asked_for(patient, owner_client):
    response = owner_client.post(delete_url(patient), {"confirm_name": ""})
    assert response.status_code == 200
    assert "Please fill in" in response.content.decode()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_the_owner_deletes_the_diary_after_giving_the_password_again(patient, owner, caregiver):
    own_product = Product.objects.create(
        patient=patient, name="Home IG", route="IV", concentration_percent=Decimal("10")
    )
    InfusionFactory(patient=patient, product=own_product)
    client = Client()
    client.force_login(owner)
    # A phone keyboard's capital and a stray space still match.
    response = client.post(delete_url(patient), {"confirm_name": " maya "})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert Patient.objects.filter(pk=patient.pk).exists()  # not yet
    # The password again: allauth sends the kept request on, and it goes through.
    response = client.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert response.redirect_chain[-1][0] == reverse("patients:list")
    assert "The diary “Maya” is deleted, with everything in it." in response.content.decode()
    assert not Membership.objects.filter(user=caregiver).exists()  # gone for everyone


def test_a_caregiver_may_not_delete_the_diary(patient, owner, caregiver_client):
    assert caregiver_client.get(delete_url(patient)).status_code == 403
    response = caregiver_client.post(delete_url(patient), {"confirm_name": "Maya"})
    assert response.status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_stranger_cannot_learn_of_or_delete_the_diary(patient, owner, stranger_client):
    assert stranger_client.get(delete_url(patient)).status_code == 404
    response = stranger_client.post(delete_url(patient), {"confirm_name": "Maya"})
    assert response.status_code == 404
    assert Patient.objects.filter(pk=patient.pk).exists()
