"""A diary is never left without an owner (patients.owners, Membership.save), and the admin
shows the refusal as a message, never a server error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse

from infusions.models import Product
from patients.models import Membership, Patient, User

from .factories import InfusionFactory, MembershipFactory, UserFactory

NEEDS_AN_OWNER = "“Maya” needs an owner."


def membership_of(user, patient) -> Membership:
    return Membership.objects.get(user=user, patient=patient)


def test_the_last_owners_membership_cannot_be_removed(patient, owner):
    membership = membership_of(owner, patient)
    with pytest.raises(ValidationError, match=NEEDS_AN_OWNER):
        membership.delete()
    # A queryset's delete, like an IntegrityError, needs an atomic block to be caught in.
    with pytest.raises(ValidationError, match=NEEDS_AN_OWNER), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).delete()
    assert Membership.objects.filter(pk=membership.pk, role=Membership.Role.OWNER).exists()


def test_the_last_owner_cannot_be_given_another_role(patient, owner):
    membership = membership_of(owner, patient)
    membership.role = Membership.Role.CAREGIVER_EDITOR
    with pytest.raises(ValidationError, match=NEEDS_AN_OWNER):
        membership.save()
    membership.refresh_from_db()
    assert membership.role == Membership.Role.OWNER


def test_the_last_owner_cannot_be_moved_to_another_diary(patient, owner):
    membership = membership_of(owner, patient)
    membership.patient = Patient.objects.create(name="Other")
    with pytest.raises(ValidationError, match=NEEDS_AN_OWNER):
        membership.save()
    assert membership_of(owner, patient).is_owner


def test_with_another_owner_one_may_step_down_or_leave(patient, owner):
    second = MembershipFactory(patient=patient, role=Membership.Role.OWNER)
    membership = membership_of(owner, patient)
    membership.role = Membership.Role.CAREGIVER_VIEWER
    membership.save()
    assert membership_of(owner, patient).role == Membership.Role.CAREGIVER_VIEWER
    with pytest.raises(ValidationError, match=NEEDS_AN_OWNER):
        second.delete()  # now the last one
    membership.delete()  # a viewer leaves freely
    assert Membership.objects.filter(patient=patient).count() == 1


def test_removing_every_owner_at_once_is_refused(patient, owner):
    MembershipFactory(patient=patient, role=Membership.Role.OWNER)
    with pytest.raises(ValidationError, match=NEEDS_AN_OWNER), transaction.atomic():
        Membership.objects.filter(patient=patient, role=Membership.Role.OWNER).delete()
    assert Membership.objects.filter(patient=patient, role=Membership.Role.OWNER).count() == 2


def test_the_last_owners_account_cannot_be_deleted(patient, owner):
    with pytest.raises(ValidationError, match=NEEDS_AN_OWNER), transaction.atomic():
        owner.delete()
    assert User.objects.filter(pk=owner.pk).exists()
    assert membership_of(owner, patient).is_owner


def test_caregivers_come_and_go_freely(patient, owner, caregiver):
    membership_of(caregiver, patient).delete()
    caregiver.delete()
    assert list(Membership.objects.filter(patient=patient)) == [membership_of(owner, patient)]


def test_deleting_the_whole_diary_takes_its_owners_along(patient, owner, caregiver):
    patient.delete()
    assert not Membership.objects.exists()
    assert User.objects.filter(pk=owner.pk).exists()


# --- the admin shows the refusal ---------------------------------------------------------------


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def patient_form(patient: Patient, rows: list[dict]) -> dict:
    """The admin's change form for a diary, with its members inline."""
    data = {
        "name": patient.name,
        "time_zone": patient.time_zone,
        "conditions": '["mg"]',
        "weight_unit": patient.weight_unit,
        "temperature_unit": patient.temperature_unit,
        "country": "",
        "emergency_number": "",
        "care_team_phone": "",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{i}-{key}"] = value
        data[f"memberships-{i}-patient"] = str(patient.pk)
    return data


def row(membership: Membership, **changes) -> dict:
    values = {
        "id": str(membership.pk),
        "user": str(membership.user_id),
        "role": membership.role,
    }
    if membership.is_self:
        values["is_self"] = "on"
    return values | changes


def change_url(patient: Patient) -> str:
    return reverse("admin:patients_patient_change", args=[patient.pk])


def test_admin_refuses_to_remove_the_last_owner_with_a_message(admin_client, patient, owner):
    membership = membership_of(owner, patient)
    response = admin_client.post(
        change_url(patient), patient_form(patient, [row(membership, DELETE="on")])
    )
    assert response.status_code == 200
    assert NEEDS_AN_OWNER in response.content.decode()
    assert membership_of(owner, patient).is_owner

    response = admin_client.post(
        change_url(patient),
        patient_form(patient, [row(membership, role=Membership.Role.CAREGIVER_VIEWER)]),
    )
    assert response.status_code == 200
    assert NEEDS_AN_OWNER in response.content.decode()
    assert membership_of(owner, patient).is_owner


def test_admin_may_hand_the_diary_to_another_owner_in_one_save(
    admin_client, patient, owner, caregiver
):
    rows = [
        row(membership_of(owner, patient), role=Membership.Role.CAREGIVER_VIEWER),
        row(membership_of(caregiver, patient), role=Membership.Role.OWNER),
    ]
    response = admin_client.post(change_url(patient), patient_form(patient, rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert membership_of(caregiver, patient).is_owner
    assert membership_of(owner, patient).role == Membership.Role.CAREGIVER_VIEWER


def test_admin_deleting_the_last_owners_account_shows_why_not(admin_client, patient, owner):
    url = reverse("admin:patients_user_delete", args=[owner.pk])
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert NEEDS_AN_OWNER in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()

    response = admin_client.post(
        reverse("admin:patients_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(owner.pk)], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert NEEDS_AN_OWNER in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()


def test_admin_deletes_a_diary_whose_infusions_use_its_own_product(admin_client, patient, owner):
    own_product = Product.objects.create(
        patient=patient, name="Home IG", route="IV", concentration_percent=Decimal("10")
    )
    InfusionFactory(patient=patient, product=own_product, date=dt.date(2026, 11, 2))
    url = reverse("admin:patients_patient_delete", args=[patient.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "protected" not in page.content.decode().lower()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not Product.objects.filter(pk=own_product.pk).exists()
