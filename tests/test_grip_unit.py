"""A new grip reading starts in the unit of the diary's latest one.

Grip comes in kg (hand dynamometer) or kPa (Martin vigorimeter), and the trends draw one unit: a
quick save in the wrong default would leave a kPa diary with one lonely kg point.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import Measure

from .factories import PatientFactory

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def new_grip_url(patient):
    return reverse("diary:measure-add", args=[patient.public_id, "grip"])


def grip(patient, user, unit, days_ago, kind="grip"):
    measure = Measure(
        patient=patient,
        kind=kind,
        unit=unit,
        value=Decimal("60"),
        value_right=Decimal("62") if kind == "grip" else None,
        measured_at=NOW - dt.timedelta(days=days_ago),
    )
    entries.save(measure, user)
    return measure


def preselected(client, patient):
    """The unit the new grip page has ticked: the form's and the HTML's (they must agree)."""
    response = client.get(new_grip_url(patient))
    assert response.status_code == 200
    radios = re.findall(r'<input[^>]*name="unit"[^>]*>', response.content.decode())
    ticked = [re.search(r'value="([^"]*)"', tag)[1] for tag in radios if " checked" in tag]
    assert ticked == [response.context["form"]["unit"].value()]
    return ticked[0]


def test_a_diary_with_kpa_readings_gets_kpa(patient, owner, owner_client):
    grip(patient, owner, "kPa", days_ago=30)
    grip(patient, owner, "kPa", days_ago=2)
    assert preselected(owner_client, patient) == "kPa"


def test_a_new_diary_gets_kg_as_before(patient, owner_client):
    assert preselected(owner_client, patient) == "kg"


def test_another_diarys_readings_do_not_count(patient, owner, owner_client):
    other = PatientFactory(name="Other")
    grip(other, owner, "kPa", days_ago=1)
    assert preselected(owner_client, patient) == "kg"  # still a new diary
    grip(patient, owner, "kPa", days_ago=30)
    grip(other, owner, "kg", days_ago=0)  # newer, but not this diary's
    assert preselected(owner_client, patient) == "kPa"


def test_the_latest_reading_decides(patient, owner, owner_client):
    grip(patient, owner, "kPa", days_ago=40)
    grip(patient, owner, "kg", days_ago=3)
    grip(patient, owner, "kPa", days_ago=60)  # entered last, but measured long ago
    assert preselected(owner_client, patient) == "kg"


def test_deleted_readings_and_other_measures_do_not_count(patient, owner, owner_client):
    grip(patient, owner, "kPa", days_ago=10)
    deleted = grip(patient, owner, "kg", days_ago=1)
    entries.delete(deleted, owner)
    grip(patient, owner, "kg", days_ago=0, kind="weight")
    assert preselected(owner_client, patient) == "kPa"


def test_editing_keeps_the_readings_own_unit(patient, owner, owner_client):
    old = grip(patient, owner, "kg", days_ago=20)
    grip(patient, owner, "kPa", days_ago=1)
    response = owner_client.get(reverse("diary:measure-edit", args=[patient.public_id, old.pk]))
    assert response.context["form"]["unit"].value() == "kg"


def test_a_quick_save_keeps_the_unit(patient, owner, owner_client):
    grip(patient, owner, "kPa", days_ago=7)
    data = {"unit": preselected(owner_client, patient), "left": "58", "right": "61"}
    data |= {"measured_at": "2026-11-23T09:00", "notes": ""}
    assert owner_client.post(new_grip_url(patient), data).status_code == 302
    assert set(Measure.objects.filter(patient=patient).values_list("unit", flat=True)) == {"kPa"}
