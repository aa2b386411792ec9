"""The FHIR R4 bundle for clinics (issue 10 §3), checked with fhir.resources' R4B models.

R4B is the closest to R4 that fhir.resources ships (its default package is R5); the resources
the bundle uses are the same in both (docs/decisions.md, "FHIR bundle").
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle

from clinical import scales
from diary import entries
from diary.models import Measure, RedFlagEvent, SymptomEntry
from infusions import records
from infusions.models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    RateStep,
)
from infusions.signals import infusion_recorded
from reports import fhir

from .factories import InfusionFactory, PatientFactory, catalog_product

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SINCE = dt.date(2026, 11, 1)
UNTIL = dt.date(2026, 11, 30)
MGADL_ANSWERS = {
    "talking": 1,
    "chewing": 2,
    "swallowing": 0,
    "breathing": 1,
    "brush_teeth_comb_hair": 0,
    "rise_from_chair": 1,
    "double_vision": 2,
    "eyelid_droop": 3,
}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def when(text: str) -> dt.datetime:
    """A FHIR dateTime with its offset (the parser writes UTC as "Z")."""
    value = dt.datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def recorded(infusion: Infusion) -> Infusion:
    """Tell the other apps, as the infusion form does once its rows are saved."""
    infusion_recorded.send(
        sender=Infusion, patient=infusion.patient, infusion=infusion, deleted=False
    )
    return infusion


def ivig_day(patient, user, day, *, lots=(("A123", dt.date(2027, 6, 30), "10", 3),), **fields):
    infusion = InfusionFactory(
        patient=patient,
        date=day,
        start_time=dt.time(10, 0),
        end_time=dt.time(14, 30),
        nurse="Jo Bloggs RN",
        site="home",
        logged_by=user,
        **fields,
    )
    for number, expiry, vial_g, count in lots:
        InfusionLot.objects.create(
            infusion=infusion,
            lot_number=number,
            expiry=expiry,
            vial_size_g=Decimal(vial_g) if vial_g else None,
            vial_count=count,
        )
    for minutes, rate, unit in (
        (0, "0.5", "mL/kg/h"),
        (30, "1", "mL/kg/h"),
        (60, "2", "mL/kg/h"),
        (90, "120", "mL/h"),  # 1.76 mL/kg/h at 68 kg: slower than 2 mL/kg/h
    ):
        RateStep.objects.create(
            infusion=infusion, minutes_from_start=minutes, rate=Decimal(rate), unit=unit
        )
    Premedication.objects.create(
        infusion=infusion, name="Paracetamol", dose="1 g", taken_at=dt.time(9, 30)
    )
    return infusion


def log(patient, user, **fields):
    entry = SymptomEntry(patient=patient, **({"severity": 5, "onset": NOW} | fields))
    entries.save(entry, user)
    return entry


def measure(patient, user, kind, value, **fields):
    record = Measure(
        patient=patient,
        kind=kind,
        value=Decimal(str(value)),
        measured_at=fields.pop("measured_at", local(2026, 11, 10, 9)),
        **fields,
    )
    entries.save(record, user)
    return record


@pytest.fixture
def diary(patient, owner, caregiver):
    """A diary rich in every kind of record the bundle carries, with things it must leave out."""
    patient.date_of_birth = dt.date(1980, 5, 17)
    patient.clinic_number = "RX-0042"
    patient.conditions = ["mg", "cidp"]
    patient.save()
    first = ivig_day(
        patient,
        owner,
        dt.date(2026, 11, 2),
        lots=(
            ("A123", dt.date(2027, 6, 30), "10", 3),
            ("B456/7", dt.date(2027, 8, 31), "5", 1),
        ),
    )
    InfusionReaction.objects.create(
        infusion=first, symptom="chills", severity=4, action="slowed", minutes_from_start=45
    )
    InfusionReaction.objects.create(
        infusion=first,
        symptom="trouble_breathing",
        severity=8,
        action="stopped",
        medication="Chlorphenamine 10 mg",
        minutes_from_start=95,
    )
    recorded(first)
    # SCIG at home, no nurse, no lot recorded: the patient gave it.
    scig = InfusionFactory(
        patient=patient,
        product=catalog_product("Hizentra", "20"),
        date=dt.date(2026, 11, 16),
        dose_g="10",
        volume_ml="50",
        nurse="",
        site="home",
        logged_by=caregiver,
    )
    RateStep.objects.create(infusion=scig, minutes_from_start=0, rate=Decimal("20"), unit="mL/h")
    recorded(scig)
    headache = log(
        patient,
        owner,
        symptom="headache",
        severity=6,
        onset=local(2026, 11, 3, 8),
        ended_at=local(2026, 11, 4, 20),
        helped="Paracetamol, dark room",
    )
    entries.add_reading(headache, 9, local(2026, 11, 3, 14), caregiver)
    log(patient, owner, symptom="stiff_neck", severity=8, onset=local(2026, 11, 3, 15))
    log(patient, caregiver, symptom="fatigue", severity=3, onset=local(2026, 11, 17, 9))
    log(
        patient,
        owner,
        symptom="other",
        custom_symptom="Metallic taste",
        severity=2,
        onset=local(2026, 11, 17, 12),
    )
    measure(patient, owner, "mgadl", 10, answers=MGADL_ANSWERS)
    measure(patient, owner, "grip", "30.5", value_right="28", unit="kPa")
    measure(patient, owner, "platelets", 150, unit="10^9/L")
    measure(patient, owner, "weight", "68.4", unit="kg")
    measure(patient, owner, "incat", 3, answers={"arms": 2, "legs": 1})
    measure(patient, owner, "gbs_disability", 2)
    measure(patient, caregiver, "custom", 420, name="Peak flow", unit="L/min")
    # Left out: deleted, outside the period.
    gone = measure(patient, owner, "weight", 99)
    entries.delete(gone, owner)
    deleted_day = ivig_day(
        patient, owner, dt.date(2026, 11, 20), lots=(("DELETED-LOT", None, None, 1),)
    )
    records.delete_infusion(deleted_day, owner)
    ivig_day(patient, owner, dt.date(2026, 10, 5), lots=(("OCTOBER-LOT", None, None, 1),))
    measure(patient, owner, "weight", 70, measured_at=local(2026, 10, 20, 9))
    log(patient, owner, symptom="rash", severity=5, onset=local(2026, 10, 21, 9))
    ivig_day(patient, owner, dt.date(2026, 12, 7), lots=(("DECEMBER-LOT", None, None, 1),))
    return patient


@pytest.fixture
def other_diary(stranger):
    other = stranger.memberships.get().patient
    ivig_day(other, stranger, dt.date(2026, 11, 5), lots=(("OTHER-LOT", None, None, 1),))
    log(other, stranger, symptom="headache", severity=7, onset=local(2026, 11, 6, 9))
    measure(other, stranger, "weight", 55)
    return other


def resources(data, kind=None) -> list[dict]:
    found = [entry["resource"] for entry in data["entry"]]
    return [r for r in found if kind is None or r["resourceType"] == kind]


def round_trip(data: dict) -> dict:
    """Parse with the R4B models, serialise again: what a clinic's FHIR library would read."""
    parsed = Bundle.model_validate(data)
    return json.loads(parsed.model_dump_json())


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


# --- validity -------------------------------------------------------------------------------------


def test_the_bundle_validates_against_the_r4b_models(diary):
    data = fhir.bundle(diary, SINCE, UNTIL)
    assert data["type"] == "collection"
    parsed = Bundle.model_validate(data)
    kinds = {entry.resource.get_resource_type() for entry in parsed.entry}
    assert kinds == {
        "Patient",
        "Condition",
        "Medication",
        "MedicationAdministration",
        "Observation",
        "Questionnaire",
        "QuestionnaireResponse",
        "AdverseEvent",
        "Provenance",
    }


def test_bundle_json_is_the_same_bundle_as_utf8(diary):
    data = json.loads(fhir.bundle_json(diary, SINCE, UNTIL).decode("utf-8"))
    Bundle.model_validate(data)
    assert {e["fullUrl"] for e in data["entry"]} == {
        e["fullUrl"] for e in fhir.bundle(diary, SINCE, UNTIL)["entry"]
    }


def test_every_reference_resolves_inside_the_bundle(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    urls = [entry["fullUrl"] for entry in data["entry"]]
    assert len(urls) == len(set(urls))
    found = list(references(data))
    assert found
    assert set(found) <= set(urls)


def test_ids_are_the_records_uids_never_integer_keys(diary):
    data = fhir.bundle(diary, SINCE, UNTIL)
    ids = set()
    for entry in data["entry"]:
        resource_id = entry["resource"]["id"]
        assert uuid.UUID(resource_id).version in (4, 5)
        assert entry["fullUrl"] == f"urn:uuid:{resource_id}"
        ids.add(resource_id)
    expected = {str(diary.uid)}
    infusions = Infusion.objects.filter(patient=diary, date__range=(SINCE, UNTIL))
    for infusion in infusions:
        expected.add(str(infusion.uid))
        expected |= {str(lot.uid) for lot in infusion.lots.all()}
        expected |= {str(p.uid) for p in infusion.premedications.all()}
        expected |= {str(r.uid) for r in infusion.reactions.all()}
    expected |= {
        str(m.uid) for m in Measure.objects.filter(patient=diary, local_date__range=(SINCE, UNTIL))
    }
    for entry in SymptomEntry.objects.filter(patient=diary, local_date__range=(SINCE, UNTIL)):
        expected.add(str(entry.uid))
        expected |= {str(r.uid) for r in entry.readings.all()}
    assert expected <= ids


# --- what survives the parser ---------------------------------------------------------------------


def test_lots_and_their_expiry_survive_the_round_trip(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    medications = {r["id"]: r for r in resources(data, "Medication")}
    lot = InfusionLot.objects.get(lot_number="B456/7")
    medication = medications[str(lot.uid)]
    assert medication["batch"] == {"lotNumber": "B456/7", "expirationDate": "2027-08-31"}
    assert medication["code"]["text"].startswith("Privigen")
    assert medication["code"]["coding"][0]["system"] == fhir.PRODUCT_SYSTEM
    assert {m["batch"]["lotNumber"] for m in medications.values()} == {"A123", "B456/7"}


def test_an_infusion_day_survives_the_round_trip(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    by_id = {r["id"]: r for r in resources(data)}
    infusion = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 2))
    given = by_id[str(infusion.uid)]
    assert given["status"] == "completed"
    first_lot, second_lot = infusion.lots.all()
    assert given["medicationReference"]["reference"] == f"urn:uuid:{first_lot.uid}"
    # The second lot is named too: in supportingInformation and on every adverse event.
    supporting = {r["reference"] for r in given["supportingInformation"]}
    assert f"urn:uuid:{second_lot.uid}" in supporting
    period = given["effectivePeriod"]
    assert (when(period["start"]), when(period["end"])) == (
        local(2026, 11, 2, 10),
        local(2026, 11, 2, 14, 30),
    )
    dosage = given["dosage"]
    assert dosage["dose"] == {"value": 35, "unit": "g", "system": fhir.UCUM, "code": "g"}
    # The fastest step, compared in mL/kg/h, kept in the unit it was logged in.
    assert dosage["rateQuantity"] == {
        "value": 2,
        "unit": "mL/kg/h",
        "system": fhir.UCUM,
        "code": "mL/kg/h",
    }
    steps = [
        {part["url"]: part for part in step["extension"]}
        for step in dosage["extension"]
        if step["url"] == fhir.EXT_RATE_STEP
    ]
    assert [
        (
            s["minutesFromStart"]["valueInteger"],
            Decimal(str(s["rate"]["valueQuantity"]["value"])),
            s["rate"]["valueQuantity"]["code"],
        )
        for s in steps
    ] == [
        (0, Decimal("0.5"), "mL/kg/h"),
        (30, Decimal("1"), "mL/kg/h"),
        (60, Decimal("2"), "mL/kg/h"),
        (90, Decimal("120"), "mL/h"),
    ]
    assert dosage["route"]["coding"][0]["code"] == "IVINFUS"
    assert given["performer"][0]["actor"] == {"display": "Jo Bloggs RN"}
    # The weight the dose was worked out from.
    weights = [
        by_id[r["reference"].removeprefix("urn:uuid:")] for r in given["supportingInformation"]
    ]
    weight = next(w for w in weights if w["resourceType"] == "Observation")
    assert weight["code"]["coding"][0]["code"] == "29463-7"
    assert weight["valueQuantity"]["value"] == 68
    # Premedication: its own administration, part of the infusion.
    premedication = by_id[str(infusion.premedications.get().uid)]
    assert premedication["medicationCodeableConcept"]["text"] == "Paracetamol"
    assert premedication["partOf"] == [{"reference": f"urn:uuid:{infusion.uid}"}]
    assert when(premedication["effectiveDateTime"]) == local(2026, 11, 2, 9, 30)


def test_self_administration_and_rates_in_ml_per_hour(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    scig = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 16))
    given = next(r for r in resources(data) if r["id"] == str(scig.uid))
    assert given["performer"][0]["actor"]["reference"] == f"urn:uuid:{diary.uid}"
    assert given["medicationCodeableConcept"]["text"].startswith("Hizentra")
    assert given["dosage"]["route"]["coding"][0]["code"] == "SQINFUS"
    assert given["dosage"]["rateQuantity"] == {
        "value": 20,
        "unit": "mL/h",
        "system": fhir.UCUM,
        "code": "mL/h",
    }


def test_severities_and_adverse_events_survive_the_round_trip(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    by_id = {r["id"]: r for r in resources(data)}
    headache = SymptomEntry.objects.get(patient=diary, symptom="headache")
    first = by_id[fhir.derived_id(headache.uid, "severity")]
    assert first["valueInteger"] == 6
    assert when(first["effectiveDateTime"]) == local(2026, 11, 3, 8)
    assert first["code"]["coding"][0] == {
        "system": fhir.SEVERITY_SYSTEM,
        "code": "headache",
        "display": "Headache severity",
    }
    reading = by_id[str(headache.readings.get().uid)]
    assert (reading["valueInteger"], when(reading["effectiveDateTime"])) == (
        9,
        local(2026, 11, 3, 14),
    )
    event = by_id[str(headache.uid)]
    assert event["actuality"] == "actual"
    assert event["event"]["text"] == "Headache"
    # The worst reading sets the band: 9 is severe.
    assert event["severity"]["coding"][0]["code"] == "severe"
    assert event["outcome"]["coding"][0]["code"] == "resolved"
    infusion = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 2))
    suspects = [s["instance"]["reference"] for s in event["suspectEntity"]]
    assert suspects[0] == f"urn:uuid:{infusion.uid}"
    assert set(suspects[1:]) == {f"urn:uuid:{lot.uid}" for lot in infusion.lots.all()}
    custom = by_id[str(SymptomEntry.objects.get(patient=diary, symptom="other").uid)]
    assert custom["event"]["text"] == "Metallic taste"
    assert custom["severity"]["coding"][0]["code"] == "mild"
    assert custom["outcome"]["coding"][0]["code"] == "ongoing"
    # A side effect logged after the SCIG day follows it.
    fatigue = by_id[str(SymptomEntry.objects.get(patient=diary, symptom="fatigue").uid)]
    scig = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 16))
    assert fatigue["suspectEntity"] == [{"instance": {"reference": f"urn:uuid:{scig.uid}"}}]


def test_reactions_are_adverse_events_of_their_infusion(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    by_id = {r["id"]: r for r in resources(data)}
    infusion = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 2))
    chills = infusion.reactions.get(symptom="chills")
    event = by_id[str(chills.uid)]
    assert when(event["date"]) == local(2026, 11, 2, 10, 45)
    assert event["severity"]["coding"][0]["code"] == "moderate"
    assert event["suspectEntity"][0]["instance"]["reference"] == f"urn:uuid:{infusion.uid}"
    done = {e["url"]: e for e in event["extension"]}[fhir.EXT_WHAT_WAS_DONE]
    assert done["valueString"] == "Infusion slowed"
    severity = by_id[fhir.derived_id(chills.uid, "severity")]
    assert severity["valueInteger"] == 4
    assert severity["partOf"] == [{"reference": f"urn:uuid:{infusion.uid}"}]
    assert "seriousness" not in event


def test_a_red_flag_makes_the_adverse_event_serious_and_says_why(diary):
    assert RedFlagEvent.objects.filter(patient=diary, rule="aseptic_meningitis").exists()
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    by_id = {r["id"]: r for r in resources(data)}
    for code in ("headache", "stiff_neck"):
        event = by_id[str(SymptomEntry.objects.get(patient=diary, symptom=code).uid)]
        assert event["seriousness"]["coding"][0]["code"] == "serious"
        flag = {e["url"]: e for e in event["extension"]}[fhir.EXT_RED_FLAG]
        parts = {p["url"]: p for p in flag["extension"]}
        assert parts["rule"]["valueCoding"]["code"] == "aseptic_meningitis"
        assert "Stiff neck 8/10" in parts["signs"]["valueString"]
    fatigue = by_id[str(SymptomEntry.objects.get(patient=diary, symptom="fatigue").uid)]
    assert "seriousness" not in fatigue
    # A reaction that set off a warning during the infusion.
    breathing = InfusionReaction.objects.get(infusion__patient=diary, symptom="trouble_breathing")
    assert RedFlagEvent.objects.filter(patient=diary, rule="trali_anaphylaxis").exists()
    event = by_id[str(breathing.uid)]
    assert event["seriousness"]["coding"][0]["code"] == "serious"
    extensions = {e["url"]: e for e in event["extension"]}
    assert extensions[fhir.EXT_WHAT_WAS_DONE]["valueString"] == (
        "Infusion stopped; medication given: Chlorphenamine 10 mg"
    )


def test_measures_survive_the_round_trip(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    by_id = {r["id"]: r for r in resources(data)}

    def observation(kind):
        in_period = Measure.objects.filter(local_date__range=(SINCE, UNTIL))
        return by_id[str(in_period.get(patient=diary, kind=kind).uid)]

    weight = observation("weight")
    assert weight["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "29463-7",
        "display": "Body weight",
    }
    assert weight["valueQuantity"] == {
        "value": 68.4,
        "unit": "kg",
        "system": fhir.UCUM,
        "code": "kg",
    }
    assert when(weight["effectiveDateTime"]) == local(2026, 11, 10, 9)
    platelets = observation("platelets")
    assert platelets["code"]["coding"][0]["code"] == "26515-7"
    assert platelets["valueQuantity"]["code"] == "10*9/L"
    assert platelets["valueQuantity"]["value"] == 150
    grip = observation("grip")
    sides = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in grip["component"]}
    assert sides == {
        "grip-left": {"value": 30.5, "unit": "kPa", "system": fhir.UCUM, "code": "kPa"},
        "grip-right": {"value": 28, "unit": "kPa", "system": fhir.UCUM, "code": "kPa"},
    }
    incat = observation("incat")
    assert incat["valueInteger"] == 3
    assert [c["valueInteger"] for c in incat["component"]] == [2, 1]
    assert observation("gbs_disability")["valueInteger"] == 2
    custom = observation("custom")
    assert custom["code"]["text"] == "Peak flow"
    assert custom["valueQuantity"] == {"value": 420, "unit": "L/min"}


def test_mgadl_items_and_total_survive_the_round_trip(diary):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    questionnaire = resources(data, "Questionnaire")[0]
    assert questionnaire["url"] == fhir.MGADL_QUESTIONNAIRE_URL
    scored = [item for item in questionnaire["item"] if item["type"] == "choice"]
    assert [item["linkId"] for item in scored] == list(scales.MGADL_ITEM_CODES)
    for item in scored:
        ordinals = [
            option["valueCoding"]["extension"][0]["valueDecimal"] for option in item["answerOption"]
        ]
        assert ordinals == [0, 1, 2, 3]
    mgadl = Measure.objects.get(patient=diary, kind="mgadl")
    response = next(r for r in resources(data) if r["id"] == str(mgadl.uid))
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["questionnaire"].startswith(fhir.MGADL_QUESTIONNAIRE_URL)
    answers = {item["linkId"]: item["answer"][0] for item in response["item"]}
    assert answers.pop("total") == {"valueInteger": 10}
    assert {
        code: int(answer["valueCoding"]["extension"][0]["valueDecimal"])
        for code, answer in answers.items()
    } == MGADL_ANSWERS
    assert answers["eyelid_droop"]["valueCoding"]["display"] == "Constant"
    total = next(r for r in resources(data) if r["id"] == fhir.derived_id(mgadl.uid, "total"))
    assert total["valueInteger"] == 10
    assert total["derivedFrom"] == [{"reference": f"urn:uuid:{mgadl.uid}"}]


def test_patient_and_who_logged_what(diary, owner, caregiver):
    data = round_trip(fhir.bundle(diary, SINCE, UNTIL))
    patient = resources(data, "Patient")[0]
    assert patient["id"] == str(diary.uid)
    assert patient["name"] == [{"use": "usual", "text": "Maya"}]
    assert patient["birthDate"] == "1980-05-17"
    assert patient["identifier"][0]["value"] == "RX-0042"
    assert patient["identifier"][0]["system"] == fhir.CLINIC_NUMBER
    assert {c["code"]["coding"][0]["code"] for c in resources(data, "Condition")} == {"mg", "cidp"}
    provenance = {
        target["reference"]: p for p in resources(data, "Provenance") for target in p["target"]
    }
    first = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 2))
    by_owner = provenance[f"urn:uuid:{first.uid}"]["agent"][0]
    # The owner keeps the diary about themselves: the patient logged it.
    assert by_owner["who"]["reference"] == f"urn:uuid:{diary.uid}"
    assert by_owner["type"]["coding"][0]["code"] == "enterer"
    scig = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 16))
    by_caregiver = provenance[f"urn:uuid:{scig.uid}"]["agent"][0]
    assert by_caregiver["who"] == {"display": str(caregiver)}
    assert by_caregiver["role"][0]["coding"][0]["code"] == "caregiver_editor"
    reading = SymptomEntry.objects.get(patient=diary, symptom="headache").readings.get()
    assert provenance[f"urn:uuid:{reading.uid}"]["agent"][0]["who"] == {"display": str(caregiver)}


# --- what stays out -------------------------------------------------------------------------------


def test_another_diary_never_appears(diary, other_diary):
    text = fhir.bundle_json(diary, SINCE, UNTIL).decode()
    assert "OTHER-LOT" not in text
    assert str(other_diary.uid) not in text
    for infusion in Infusion.all_objects.filter(patient=other_diary):
        assert str(infusion.uid) not in text
    for entry in SymptomEntry.all_objects.filter(patient=other_diary):
        assert str(entry.uid) not in text
    for record in Measure.all_objects.filter(patient=other_diary):
        assert str(record.uid) not in text
    # And the other way round.
    theirs = fhir.bundle_json(other_diary, SINCE, UNTIL).decode()
    assert "OTHER-LOT" in theirs
    assert "A123" not in theirs and str(diary.uid) not in theirs


def test_the_period_and_soft_deletes(diary):
    text = fhir.bundle_json(diary, SINCE, UNTIL).decode()
    for lot in ("OCTOBER-LOT", "DECEMBER-LOT", "DELETED-LOT"):
        assert lot not in text
    data = fhir.bundle(diary, SINCE, UNTIL)
    weights = [
        r["valueQuantity"]["value"]
        for r in resources(data, "Observation")
        if r["code"]["coding"][0]["code"] == "29463-7"
    ]
    assert sorted(weights) == [68, 68, 68.4]  # two dosing weights, one measure; not 99 or 70
    assert not any(r["event"]["text"] == "Rash" for r in resources(data, "AdverseEvent"))


def test_an_infusion_before_the_period_comes_along_with_what_followed_it(diary):
    # The headache of 3 November followed the infusion of the 2nd: its adverse event still
    # points at that infusion and its lots.
    data = round_trip(fhir.bundle(diary, dt.date(2026, 11, 3), UNTIL))
    first = Infusion.objects.get(patient=diary, date=dt.date(2026, 11, 2))
    ids = {r["id"] for r in resources(data)}
    assert str(first.uid) in ids
    assert {str(lot.uid) for lot in first.lots.all()} <= ids
    assert set(references(data)) <= {e["fullUrl"] for e in data["entry"]}
    # Nothing followed the October one in this period.
    assert "OCTOBER-LOT" not in json.dumps(data)


def test_an_empty_diary_gives_just_the_patient(db):
    patient = PatientFactory(conditions=[])
    data = fhir.bundle(patient, SINCE, UNTIL)
    Bundle.model_validate(data)
    assert [r["resourceType"] for r in resources(data)] == ["Patient"]
    assert resources(data)[0] == {
        "resourceType": "Patient",
        "id": str(patient.uid),
        "name": [{"use": "usual", "text": patient.name}],
    }
    # Its conditions are about the patient, not the diary: they come along.
    patient.conditions = ["itp"]
    data = fhir.bundle(patient, SINCE, UNTIL)
    assert [r["resourceType"] for r in resources(data)] == ["Patient", "Condition"]


def test_a_period_ending_before_it_starts_is_refused(patient):
    with pytest.raises(ValueError):
        fhir.bundle(patient, UNTIL, SINCE)


# --- bounded queries ------------------------------------------------------------------------------


def test_a_fixed_number_of_queries_whatever_the_size(diary, owner):
    with CaptureQueriesContext(connection) as small:
        fhir.bundle(diary, SINCE, UNTIL)
    for n in range(4):
        day = ivig_day(
            diary,
            owner,
            dt.date(2026, 11, 21 + n),
            lots=((f"MORE-{n}", None, "10", 2), (f"MORE-{n}b", None, None, 1)),
        )
        InfusionReaction.objects.create(infusion=day, symptom="flushing", severity=3)
        entry = log(diary, owner, symptom="nausea", severity=4, onset=local(2026, 11, 21 + n, 18))
        entries.add_reading(entry, 5, local(2026, 11, 21 + n, 20), owner)
        measure(diary, owner, "mgadl", 10, answers=MGADL_ANSWERS)
        measure(diary, owner, "grip", 30, value_right=29, unit="kg")
    with CaptureQueriesContext(connection) as large:
        data = fhir.bundle(diary, SINCE, UNTIL)
    assert len(resources(data, "MedicationAdministration")) > 8
    assert len(large.captured_queries) == len(small.captured_queries) <= 11
