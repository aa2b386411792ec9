"""Stable ids (issue 10 §1): every record a diary holds has a ``uid`` that never changes.

Exports and FHIR resource ids use it, never the integer key: it is unique, random, not in any
form, kept by an edit, a soft delete and a restore, fresh on every copy, and filled for rows
that existed before it (the migrations). A new model of a diary without one fails here.
"""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.db import connection, models
from django.forms import ModelForm, modelform_factory
from django.urls import reverse

from diary import entries
from diary import forms as diary_forms
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading
from infusions import forms as infusion_forms
from infusions import records
from infusions.models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    Product,
    RateStep,
    Regimen,
)
from patients import forms as patient_forms
from patients import history
from patients.models import ChangeRecord, Patient
from reports.models import ReportRecord

from .factories import InfusionFactory, PatientFactory, RegimenFactory
from .test_infusion_history import NOW, edit_data, log
from .test_infusion_history import url as infusion_url
from .test_infusions import plan_data

# Every model that has a stable id.
WITH_UID = [
    Patient,
    ChangeRecord,
    Product,
    Regimen,
    Infusion,
    InfusionLot,
    RateStep,
    Premedication,
    InfusionReaction,
    SymptomEntry,
    SymptomReading,
    RedFlagEvent,
    Note,
    Measure,
    ReportRecord,
]

# Models of a diary (a foreign key to the patient, directly or through a parent) that have no
# ``uid``, each with the reason. Anything else of a diary must have one.
WITHOUT_UID = {
    # Who may see the diary: about accounts, not what the diary records; never exported (an
    # import makes the importing user the owner of the new diary).
    "patients.membership",
    # Worked out from the infusions' dates and regrouped after every change, never recorded.
    "infusions.course",
    # A secret calendar address (a credential): never exported, an import makes its own.
    "infusions.calendarfeed",
    # The report's remembered choices: one row per diary, a setting found by its diary.
    "reports.reportpreference",
    # A PDF being made (its id is already a random UUID): a file, not a record of the diary.
    "reports.reportpdfjob",
    # An export being made (the same: a random UUID id, a file kept 7 days, never exported).
    "reports.exportjob",
}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def diary_url(name, patient, *args):
    return reverse(f"diary:{name}", args=[patient.public_id, *args])


def _belongs_to_a_diary(model, seen=()) -> bool:
    """Whether the model has a foreign key to the patient, directly or through its parents."""
    if model is Patient:
        return True
    for field in model._meta.concrete_fields:
        target = field.related_model if field.is_relation else None
        if target is None or target in seen or target is model:
            continue
        if target is Patient or _belongs_to_a_diary(target, (*seen, model)):
            return True
    return False


def test_every_model_of_a_diary_has_a_uid_unless_excluded_with_a_reason():
    diary_models = {m._meta.label_lower: m for m in apps.get_models() if _belongs_to_a_diary(m)}
    assert set(WITHOUT_UID) <= set(diary_models), "an exclusion names no model of a diary"
    missing = sorted(
        label
        for label, model in diary_models.items()
        if label not in WITHOUT_UID and not any(f.name == "uid" for f in model._meta.fields)
    )
    assert missing == [], f"give these a uid (patients.models.StableId) or exclude them: {missing}"
    assert {m._meta.label_lower for m in WITH_UID} == set(diary_models) - WITHOUT_UID


@pytest.mark.parametrize("model", WITH_UID, ids=lambda m: m._meta.label)
def test_the_uid_is_a_unique_random_uuid_no_form_can_set(model):
    field = model._meta.get_field("uid")
    assert isinstance(field, models.UUIDField)
    assert field.unique and not field.null and not field.editable
    assert field.default is uuid.uuid4
    assert "uid" not in modelform_factory(model, fields="__all__").base_fields


def test_no_form_of_the_project_has_the_uid():
    found = [
        value
        for module in (diary_forms, infusion_forms, patient_forms)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ModelForm) and value._meta.model
    ]
    assert len(found) >= 10
    assert [form for form in found if "uid" in form.base_fields] == []


def test_new_rows_each_get_their_own_uid(patient, owner):
    entries_made = [
        SymptomEntry(patient=patient, symptom="headache", severity=n, onset=NOW) for n in range(3)
    ]
    for entry in entries_made:
        entries.save(entry, owner)
    bulk = SymptomEntry.objects.bulk_create(
        SymptomEntry(patient=patient, symptom="fatigue", severity=2, onset=NOW) for _ in range(3)
    )
    other = PatientFactory()
    uids = [e.uid for e in entries_made + bulk] + [patient.uid, other.uid]
    assert len(set(uids)) == len(uids) and all(isinstance(u, uuid.UUID) for u in uids)
    stored = set(SymptomEntry.objects.values_list("uid", flat=True))
    assert stored == {e.uid for e in entries_made + bulk}


# --- an edit, a soft delete and a restore keep it -------------------------------------------------


def test_an_edit_a_delete_and_a_restore_keep_a_diary_entry_uid(patient, owner, owner_client):
    entry = SymptomEntry(patient=patient, symptom="headache", severity=5, onset=NOW)
    entries.save(entry, owner)
    uid = entry.uid
    data = {
        "symptom": "headache",
        "severity": "7",
        "onset": "2026-11-23T11:00",
        "still_going": "on",
        "ended_at": "",
        "helped": "",
        "notes": "",
        "uid": str(uuid.uuid4()),  # not a field of the form: ignored
    }
    response = owner_client.post(diary_url("side-effect-edit", patient, entry.pk), data)
    assert response.status_code == 302
    entry = SymptomEntry.objects.get(pk=entry.pk)
    assert (entry.severity, entry.uid) == (7, uid)

    history.soft_delete(entry, owner)
    assert SymptomEntry.all_objects.get(pk=entry.pk).uid == uid
    history.restore(SymptomEntry.all_objects.get(pk=entry.pk), owner)
    assert SymptomEntry.objects.get(pk=entry.pk).uid == uid


def test_an_edit_a_delete_and_a_restore_keep_an_infusion_and_its_rows_uids(
    patient, owner, owner_client
):
    infusion = log(owner_client, patient)
    children = ("lots", "rate_steps", "premedications")

    def uids():
        fresh = Infusion.all_objects.get(pk=infusion.pk)
        return fresh.uid, {name: [r.uid for r in getattr(fresh, name).all()] for name in children}

    before = uids()
    assert all(before[1].values())
    data = edit_data(infusion, dose_g="30", uid=str(uuid.uuid4()), **{"lots-0-uid": "x"})
    response = owner_client.post(infusion_url("edit", patient, infusion.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Infusion.objects.get(pk=infusion.pk).dose_g == Decimal("30")
    assert uids() == before

    records.delete_infusion(Infusion.objects.get(pk=infusion.pk), owner)
    assert uids() == before
    records.restore_infusion(Infusion.all_objects.get(pk=infusion.pk), owner)
    assert uids() == before


def test_ending_deleting_and_restoring_a_plan_keep_its_uid(patient, owner):
    plan = RegimenFactory(patient=patient)
    uid = plan.uid
    records.end_plan(plan, dt.date(2026, 6, 1), owner)
    records.delete_plan(Regimen.objects.get(pk=plan.pk), owner)
    records.restore_plan(Regimen.all_objects.get(pk=plan.pk), owner)
    assert Regimen.objects.get(pk=plan.pk).uid == uid


# --- copies get a fresh one ----------------------------------------------------------------------


def test_same_as_yesterday_gives_the_copies_fresh_uids(patient, owner, owner_client):
    yesterday = NOW - dt.timedelta(days=1)
    old = SymptomEntry(
        patient=patient,
        symptom="fatigue",
        severity=5,
        onset=yesterday,
        ended_at=yesterday + dt.timedelta(hours=2),
    )
    entries.save(old, owner)
    owner_client.post(diary_url("same-as-yesterday", patient))
    copy = SymptomEntry.objects.get(patient=patient, onset=NOW)
    assert (copy.symptom, copy.severity) == ("fatigue", 5)
    assert copy.uid != old.uid
    assert SymptomEntry.objects.get(pk=old.pk).uid == old.uid


def test_a_new_plan_from_the_current_one_and_an_infusion_prefilled_from_the_last_are_new_rows(
    patient, owner, owner_client
):
    old_plan = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    # The course before (the same day would ask "another one that day?" first).
    last = InfusionFactory(patient=patient, date=dt.date(2026, 10, 5), regimen=old_plan)
    step = RateStep.objects.create(infusion=last, minutes_from_start=0, rate=Decimal("1"))
    assert owner_client.post(infusion_url("plan-new", patient), plan_data()).status_code == 302
    new_plan = Regimen.objects.get(patient=patient, end_date__isnull=True)
    assert new_plan.pk != old_plan.pk and new_plan.uid != old_plan.uid

    infusion = log(owner_client, patient)
    assert infusion.uid != last.uid
    assert step.uid not in set(
        RateStep.objects.filter(infusion=infusion).values_list("uid", flat=True)
    )
    all_uids = list(RateStep.objects.values_list("uid", flat=True))
    assert len(all_uids) == len(set(all_uids))


def test_factories_and_bulk_creates_never_share_a_uid(patient):
    infusions = [InfusionFactory(patient=patient, date=dt.date(2026, 11, d)) for d in (2, 3)]
    lots = InfusionLot.objects.bulk_create(
        InfusionLot(infusion=i, lot_number=f"L{n}") for n, i in enumerate(infusions)
    )
    reactions = InfusionReaction.objects.bulk_create(
        InfusionReaction(infusion=infusions[0], symptom="chills", severity=3) for _ in range(2)
    )
    premeds = Premedication.objects.bulk_create(
        Premedication(infusion=infusions[0], name="Paracetamol") for _ in range(2)
    )
    uids = [row.uid for row in [*infusions, *lots, *reactions, *premeds]]
    assert len(set(uids)) == len(uids)


# --- the change history points at the record by its uid -----------------------------------------


def test_change_records_carry_the_object_uid_and_one_of_their_own(patient, owner, owner_client):
    entry = SymptomEntry(patient=patient, symptom="headache", severity=5, onset=NOW)
    entries.save(entry, owner)
    entry.severity = 6
    entries.save(entry, owner)
    history.soft_delete(entry, owner)
    history.restore(SymptomEntry.all_objects.get(pk=entry.pk), owner)
    infusion = log(owner_client, patient)
    records.delete_infusion(infusion, owner)

    entry_changes = list(history.changes_for(entry))
    assert [c.action for c in entry_changes] == ["restored", "deleted", "updated", "created"]
    assert {c.object_uid for c in entry_changes} == {entry.uid}
    infusion_changes = list(history.changes_for(infusion))
    assert {c.object_uid for c in infusion_changes} == {infusion.uid}
    own = [c.uid for c in entry_changes + infusion_changes]
    assert len(set(own)) == len(own)
    # The snapshot leaves the object's own ids to the record; child rows keep theirs.
    created = infusion_changes[-1]
    assert "uid" not in created.after and "id" not in created.after
    lot = InfusionLot.objects.get(infusion=infusion)
    assert [row["uid"] for row in created.after["lots"]] == [str(lot.uid)]


def test_the_history_pages_still_say_only_what_changed(patient, owner, owner_client):
    infusion = log(owner_client, patient)
    data = edit_data(infusion, dose_g="30")
    owner_client.post(infusion_url("edit", patient, infusion.pk), data)
    page = owner_client.get(infusion_url("history", patient, infusion.pk)).content.decode()
    assert "35 → 30" in page
    assert "uid" not in page.lower().replace("fluid", "")


def test_report_records_and_custom_products_have_uids(patient, owner):
    product = Product.objects.create(
        patient=patient, name="Local IG", route="IV", concentration_percent=Decimal("10")
    )
    report = ReportRecord.objects.create(
        patient=patient, since=dt.date(2026, 1, 1), until=dt.date(2026, 2, 1), made_by=owner
    )
    catalog_uids = list(Product.objects.filter(patient=None).values_list("uid", flat=True))
    assert catalog_uids and len(set(catalog_uids)) == len(catalog_uids)
    assert product.uid not in catalog_uids and report.uid != product.uid


# --- the migrations fill existing rows -----------------------------------------------------------

BEFORE = [
    ("patients", "0005_report_header_and_paper"),
    ("diary", "0004_measure_incat"),
    ("infusions", "0005_soft_delete"),
    ("reports", "0001_report_preferences_records_pdf_jobs"),
]
AFTER = [
    ("patients", "0006_stable_ids"),
    ("diary", "0005_stable_ids"),
    ("infusions", "0006_stable_ids"),
    ("reports", "0002_stable_ids"),
]


def _migrate(targets):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _fill_old_database(old):
    """Rows as they were before stable ids, written through the historical models."""
    get = old.get_model
    patient = get("patients", "Patient").objects.create(name="Old", time_zone="Europe/London")
    other = get("patients", "Patient").objects.create(name="Other", time_zone="UTC")
    product = get("infusions", "Product").objects.create(
        patient=patient, name="Own IG", route="IV", concentration_percent=Decimal("10")
    )
    plan = get("infusions", "Regimen").objects.create(
        patient=patient,
        product=product,
        dose_g_per_kg=Decimal("1"),
        interval_value=4,
        start_date=dt.date(2026, 1, 1),
    )
    infusions = [
        get("infusions", "Infusion").objects.create(
            patient=p, regimen=plan, product=product, date=dt.date(2026, 1, d), dose_g=35
        )
        for p in (patient, other)
        for d in (1, 2, 3)
    ]
    for infusion in infusions:
        get("infusions", "InfusionLot").objects.create(infusion=infusion, lot_number="A1")
        get("infusions", "RateStep").objects.create(infusion=infusion, minutes_from_start=0, rate=1)
        get("infusions", "Premedication").objects.create(infusion=infusion, name="Paracetamol")
        get("infusions", "InfusionReaction").objects.create(
            infusion=infusion, symptom="chills", severity=2
        )
    at = dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)
    symptom_entries = [
        get("diary", "SymptomEntry").objects.create(
            patient=patient, symptom="headache", severity=n, onset=at, deleted_at=at if n else None
        )
        for n in range(4)
    ]
    get("diary", "SymptomReading").objects.create(entry=symptom_entries[0], severity=3, at=at)
    get("diary", "RedFlagEvent").objects.create(
        patient=patient, rule="x", started_at=at, last_at=at
    )
    get("diary", "Note").objects.create(patient=patient, text="Better", written_at=at)
    get("diary", "Measure").objects.create(patient=patient, kind="weight", value=70, measured_at=at)
    get("reports", "ReportRecord").objects.create(
        patient=patient, since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31)
    )
    change = get("patients", "ChangeRecord").objects
    change.create(
        patient=patient, model="infusions.infusion", object_id=infusions[0].pk, action="created"
    )
    change.create(
        patient=patient, model="infusions.infusion", object_id=infusions[0].pk, action="updated"
    )
    change.create(
        patient=patient,
        model="diary.symptomentry",
        object_id=symptom_entries[1].pk,
        action="deleted",
    )
    change.create(patient=patient, model="infusions.regimen", object_id=plan.pk, action="created")
    change.create(patient=patient, model="infusions.infusion", object_id=999_999, action="deleted")
    return {"infusion": infusions[0].pk, "entry": symptom_entries[1].pk, "plan": plan.pk}


@pytest.mark.django_db(transaction=True)
def test_the_migrations_give_every_existing_row_its_own_uid():
    try:
        old = _migrate(BEFORE)
        assert "uid" not in {f.name for f in old.get_model("diary", "Note")._meta.fields}
        ids = _fill_old_database(old)
        new = _migrate(AFTER)
        for app_label, model_name in [(m._meta.app_label, m.__name__) for m in WITH_UID]:
            model = new.get_model(app_label, model_name)
            rows = model._base_manager.all()
            uids = list(rows.values_list("uid", flat=True))
            assert rows.count() > 0, model_name
            assert None not in uids and len(set(uids)) == len(uids), model_name
        # Soft-deleted rows have one too; the change records point at what still exists.
        entries_model = new.get_model("diary", "SymptomEntry")
        assert entries_model._base_manager.filter(deleted_at__isnull=False).count() == 3
        change = new.get_model("patients", "ChangeRecord")._base_manager
        infusion_uid = (
            new.get_model("infusions", "Infusion")._base_manager.get(pk=ids["infusion"]).uid
        )
        assert set(
            change.filter(model="infusions.infusion", object_id=ids["infusion"]).values_list(
                "object_uid", flat=True
            )
        ) == {infusion_uid}
        assert change.get(model="diary.symptomentry").object_uid == (
            entries_model._base_manager.get(pk=ids["entry"]).uid
        )
        assert change.get(model="infusions.regimen").object_uid == (
            new.get_model("infusions", "Regimen")._base_manager.get(pk=ids["plan"]).uid
        )
        assert change.get(object_id=999_999).object_uid is None  # gone before it had a uid
    finally:
        _migrate(_leaf_nodes())
    # Rows made after the migration draw their own.
    patient = PatientFactory()
    assert Patient.objects.exclude(pk=patient.pk).exclude(uid=patient.uid).count() == 2


def _leaf_nodes():
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(connection).graph.leaf_nodes()
