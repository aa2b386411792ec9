"""Demo accounts and patient, created by ``manage.py seed_demo`` (idempotent)."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress

from clinical.conditions import Condition

from .models import Membership, Patient, User

DEMO_EMAIL = "demo@example.com"
DEMO_CAREGIVER_EMAIL = "sam@example.com"
DEMO_PASSWORD = "demo-diary-2026"
DEMO_PATIENT_NAME = "Maya"
# Printed in the report's header (diary settings, "On the report for the doctor").
DEMO_DATE_OF_BIRTH = dt.date(1986, 4, 17)
DEMO_CLINIC_NUMBER = "RX1-204518"


def _verified_user(email: str, display_name: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"display_name": display_name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_patient() -> Patient:
    """The demo patient with her own account and a caregiver who may log for her."""
    maya = _verified_user(DEMO_EMAIL, "Maya")
    sam = _verified_user(DEMO_CAREGIVER_EMAIL, "Sam")
    membership = (
        Membership.objects.filter(user=maya, is_self=True).select_related("patient").first()
    )
    if membership is None:
        patient = Patient.objects.create(
            name=DEMO_PATIENT_NAME,
            time_zone="Europe/London",
            conditions=[Condition.MYASTHENIA_GRAVIS],
            date_of_birth=DEMO_DATE_OF_BIRTH,
            clinic_number=DEMO_CLINIC_NUMBER,
        )
        Membership.objects.create(
            user=maya, patient=patient, role=Membership.Role.OWNER, is_self=True
        )
    else:
        patient = membership.patient
    Membership.objects.get_or_create(
        user=sam, patient=patient, defaults={"role": Membership.Role.CAREGIVER_EDITOR}
    )
    return patient
