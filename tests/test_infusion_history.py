"""Every change of an infusion or a plan is recoverable (issue 8 §3).

Deletes are soft with Undo, and leave courses, the schedule, diary links and warnings as a hard
delete did; a restore puts everything back. Every change is kept (who, when, before and after,
an infusion's lots, rate steps, premedication and reactions included) and shown in plain words.
A lot number never silently disappears: the lot search finds lots of deleted infusions and
numbers an edit took away.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from diary import entries
from diary.models import RedFlagEvent, SymptomEntry
from infusions.models import Course, Infusion, InfusionLot, Regimen
from infusions.schedule import infusion_status, schedule_for
from patients.models import ChangeRecord

from .factories import InfusionFactory, PatientFactory, RegimenFactory, catalog_product
from .test_access import database_fingerprint

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 12:00 in London.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, patient, *args):
    return reverse(f"infusions:{name}", args=[patient.public_id, *args])


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def form_data(**overrides):
    """An infusion form as posted: one lot, two rate steps, a premedication."""
    data = {
        "date": "2026-11-02",
        "start_time": "09:00",
        "end_time": "13:00",
        "product": catalog_product().pk,
        "dose_g": "35",
        "weight_kg": "68",
        "volume_ml": "350",
        "site": "home",
        "nurse": "Jo",
        "hydration": "",
        "notes": "",
    }
    for prefix in ["lots", "rates", "premeds", "reactions"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {
        "lots-TOTAL_FORMS": "1",
        "lots-0-lot_number": "A123",
        "lots-0-vial_count": "2",
        "lots-0-vial_size_g": "10",
        "rates-TOTAL_FORMS": "2",
        "rates-0-minutes_from_start": "0",
        "rates-0-rate": "0.5",
        "rates-0-unit": "mL/kg/h",
        "rates-1-minutes_from_start": "60",
        "rates-1-rate": "2",
        "rates-1-unit": "mL/kg/h",
        "premeds-TOTAL_FORMS": "1",
        "premeds-0-name": "Paracetamol",
        "premeds-0-dose": "1 g",
    }
    return data | overrides


def edit_data(infusion, **overrides):
    """The edit form as the page shows it for ``infusion``, with ``overrides`` applied."""
    lots = list(infusion.lots.all())
    steps = list(infusion.rate_steps.all())
    premeds = list(infusion.premedications.all())
    data = form_data(
        date=infusion.date.isoformat(),
        **{
            "lots-TOTAL_FORMS": str(len(lots)),
            "lots-INITIAL_FORMS": str(len(lots)),
            "rates-TOTAL_FORMS": str(len(steps)),
            "rates-INITIAL_FORMS": str(len(steps)),
            "premeds-TOTAL_FORMS": str(len(premeds)),
            "premeds-INITIAL_FORMS": str(len(premeds)),
        },
    )
    for n, lot in enumerate(lots):
        data |= {
            f"lots-{n}-id": str(lot.pk),
            f"lots-{n}-lot_number": lot.lot_number,
            f"lots-{n}-vial_count": str(lot.vial_count),
            f"lots-{n}-vial_size_g": str(lot.vial_size_g or ""),
        }
    for n, step in enumerate(steps):
        data |= {
            f"rates-{n}-id": str(step.pk),
            f"rates-{n}-minutes_from_start": str(step.minutes_from_start),
            f"rates-{n}-rate": str(step.rate),
            f"rates-{n}-unit": step.unit,
        }
    for n, premed in enumerate(premeds):
        data |= {
            f"premeds-{n}-id": str(premed.pk),
            f"premeds-{n}-name": premed.name,
            f"premeds-{n}-dose": premed.dose,
        }
    return data | overrides


def log(client, patient, **overrides) -> Infusion:
    response = client.post(url("log", patient), form_data(**overrides))
    assert response.status_code == 302, response.context["form"].errors
    return Infusion.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


def changes_of(obj):
    return list(
        ChangeRecord.objects.filter(
            patient=obj.patient, model=obj._meta.label_lower, object_id=obj.pk
        ).order_by("pk")
    )


def state(patient, entry):
    """What a delete must change and a restore must put back."""
    entry = SymptomEntry.all_objects.get(pk=entry.pk)
    courses = list(
        Course.objects.filter(patient=patient)
        .order_by("start_date")
        .values_list("pk", "start_date", "end_date", "day_count")
    )
    infusions = list(
        Infusion.objects.filter(patient=patient).order_by("pk").values_list("pk", "course_id")
    )
    status = infusion_status(patient, TODAY)
    return {
        "courses": courses,
        "infusions": infusions,
        "entry": (
            entry.infusion_id,
            entry.days_after_infusion,
            entry.course_id,
            entry.day_of_cycle,
        ),
        "next_due": status.schedule.next_due,
        "last": status.last_infusion.pk if status.last_infusion else None,
    }


# --- infusions: soft delete and Undo -------------------------------------------------------------


def test_deleting_an_infusion_is_soft_and_undo_puts_everything_back(patient, owner, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))  # 2 days every 4 weeks
    InfusionFactory(patient=patient, date=dt.date(2026, 10, 5))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    day2 = InfusionFactory(patient=patient, date=dt.date(2026, 11, 3))
    entry = SymptomEntry(
        patient=patient, symptom="headache", severity=4, onset=local(2026, 11, 5, 9)
    )
    entries.save(entry, owner)
    before = state(patient, entry)
    assert before["entry"][0] == day2.pk and before["entry"][3] == 3

    page = owner_client.get(url("delete", patient, day2.pk))
    assert page.status_code == 200 and "Delete the infusion of" in page.content.decode()
    response = owner_client.post(url("delete", patient, day2.pk), follow=True)
    restore_url = url("restore", patient, day2.pk)
    html = response.content.decode()
    assert "deleted." in html and f'action="{restore_url}"' in html and "Undo" in html

    gone = Infusion.all_objects.get(pk=day2.pk)
    assert gone.deleted_at is not None and gone.lots.count() == day2.lots.count()
    assert not Infusion.objects.filter(pk=day2.pk).exists()
    after = state(patient, entry)
    # As if it had never been given: the course is one day, the entry follows day 1, and the
    # schedule asks for the missing day 2 today ... (what a hard delete did).
    assert after["courses"][1][3] == 1
    assert after["entry"][0] != day2.pk and after["entry"][1] == 3
    assert after["next_due"] != before["next_due"]

    assert owner_client.post(restore_url).status_code == 302
    assert Infusion.objects.get(pk=day2.pk).deleted_at is None
    assert state(patient, entry) == before
    actions = [c.action for c in changes_of(day2)]
    assert actions == ["deleted", "restored"]


def test_a_deleted_infusions_reaction_warning_is_withdrawn_and_comes_back(
    patient, owner, owner_client
):
    infusion = log(
        owner_client,
        patient,
        date="2026-11-23",
        start_time="09:30",
        end_time="11:30",
        **{
            "reactions-TOTAL_FORMS": "1",
            "reactions-0-symptom": "trouble_breathing",
            "reactions-0-severity": "6",
            "reactions-0-action": "stopped",
            "reactions-0-minutes_from_start": "40",
        },
    )
    event = RedFlagEvent.objects.get(patient=patient)
    assert event.is_open and event.infusion_id == infusion.pk
    owner_client.post(url("delete", patient, infusion.pk))
    event.refresh_from_db()
    assert event.withdrawn_at is not None
    today = reverse("today", args=[patient.public_id])
    assert "Call emergency services now" not in owner_client.get(today).content.decode()
    owner_client.post(url("restore", patient, infusion.pk))
    event.refresh_from_db()
    assert event.is_open and event.infusion_id == infusion.pk
    assert RedFlagEvent.objects.filter(patient=patient).count() == 1
    assert "Call emergency services now" in owner_client.get(today).content.decode()


def test_a_deleted_infusion_cannot_be_edited_or_deleted_again(patient, owner_client):
    infusion = InfusionFactory(patient=patient)
    owner_client.post(url("delete", patient, infusion.pk))
    before = database_fingerprint()
    for response in (
        owner_client.post(url("edit", patient, infusion.pk), form_data()),
        owner_client.post(url("delete", patient, infusion.pk)),
    ):  # sent to its history page, nothing changed
        assert response.status_code == 302
        assert response["Location"] == url("history", patient, infusion.pk)
    assert database_fingerprint() == before
    # Its history stays readable, with a way back.
    page = owner_client.get(url("history", patient, infusion.pk)).content.decode()
    assert "Restore this infusion" in page and "deleted" in page
    listing = owner_client.get(url("deleted", patient)).content.decode()
    assert url("restore", patient, infusion.pk) in listing


def test_restoring_a_live_infusion_is_404(patient, owner_client):
    infusion = InfusionFactory(patient=patient)
    assert owner_client.post(url("restore", patient, infusion.pk)).status_code == 404
    assert owner_client.get(url("restore", patient, infusion.pk)).status_code == 405


def test_queryset_delete_of_infusions_is_soft_recorded_and_regroups(patient, owner):
    first = InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 3))
    assert Course.objects.get(patient=patient).day_count == 2
    count, _per_model = Infusion.objects.filter(patient=patient, date=dt.date(2026, 11, 3)).delete()
    assert count == 1
    assert Infusion.all_objects.filter(patient=patient).count() == 2
    assert Course.objects.get(patient=patient).day_count == 1
    assert Infusion.objects.get(patient=patient) == first
    assert ChangeRecord.objects.filter(patient=patient, action="deleted").count() == 1


# --- the history of an infusion ------------------------------------------------------------------


def test_every_change_keeps_child_rows_before_and_after(patient, owner, owner_client):
    infusion = log(owner_client, patient)
    created = changes_of(infusion)
    assert [c.action for c in created] == ["created"]
    assert [lot["lot_number"] for lot in created[0].after["lots"]] == ["A123"]
    assert [s["minutes_from_start"] for s in created[0].after["rate_steps"]] == [0, 60]
    assert created[0].changed_by == owner

    data = edit_data(
        infusion,
        **{
            "dose_g": "30",
            "lots-0-DELETE": "on",
            "lots-TOTAL_FORMS": "2",
            "lots-1-lot_number": "B456",
            "lots-1-vial_count": "3",
            "rates-1-rate": "3",
            "premeds-0-dose": "500 mg",
        },
    )
    response = owner_client.post(url("edit", patient, infusion.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    edited = changes_of(infusion)[-1]
    assert edited.action == "updated" and edited.changed_by == owner
    assert [lot["lot_number"] for lot in edited.before["lots"]] == ["A123"]
    assert [lot["lot_number"] for lot in edited.after["lots"]] == ["B456"]
    assert edited.before["dose_g"] == "35.00" and edited.after["dose_g"] == "30.00"
    assert [s["rate"] for s in edited.after["rate_steps"]] == ["0.50", "3.00"]

    page = owner_client.get(url("detail", patient, infusion.pk)).content.decode()
    assert "Changes" in page
    for words in [
        "Dose (g): 35 → 30",
        "Lot A123 removed",
        "Lot B456 added",
        "Rate step 60 min: 2 → 3 mL/kg/h",
        "Premedication Paracetamol 1 g: dose 1 g → 500 mg",
    ]:
        assert words in page, words


def test_saving_without_changes_keeps_no_record(patient, owner_client):
    infusion = log(owner_client, patient)
    response = owner_client.post(url("edit", patient, infusion.pk), edit_data(infusion))
    assert response.status_code == 302
    assert [c.action for c in changes_of(infusion)] == ["created"]


# --- lot search: nothing a patient was given goes missing ----------------------------------------


def test_a_lot_removed_by_an_edit_is_still_found(patient, owner, owner_client):
    infusion = log(owner_client, patient)
    data = edit_data(infusion, **{"lots-0-lot_number": "A124"})  # a typo corrected
    assert owner_client.post(url("edit", patient, infusion.pk), data).status_code == 302
    assert not InfusionLot.objects.filter(lot_number="A123").exists()

    page = owner_client.get(url("lot-search", patient), {"q": "a123"}).content.decode()
    assert "Maybe: a lot matching “a123” was entered for an infusion, then taken off" in page
    assert "removed from the infusion of 2 Nov 2026" in page
    assert f"by {escape(str(owner))}" in page and "on 23 Nov 2026" in page
    assert url("detail", patient, infusion.pk) in page
    history = owner_client.get(url("detail", patient, infusion.pk)).content.decode()
    assert "Lot A123 → A124" in history


def test_a_lot_put_back_is_listed_once(patient, owner_client):
    infusion = log(owner_client, patient)
    removed = edit_data(infusion, **{"lots-0-DELETE": "on"})
    assert owner_client.post(url("edit", patient, infusion.pk), removed).status_code == 302
    infusion.refresh_from_db()
    back = edit_data(infusion, **{"lots-TOTAL_FORMS": "1", "lots-0-lot_number": "A123"})
    assert owner_client.post(url("edit", patient, infusion.pk), back).status_code == 302
    response = owner_client.get(url("lot-search", patient), {"q": "A123"})
    assert response.context["found"] == 1 and not response.context["removed"]


def test_a_deleted_infusions_lot_is_found_and_marked(patient, owner_client, viewer_client):
    infusion = log(owner_client, patient)
    owner_client.post(url("delete", patient, infusion.pk))
    page = owner_client.get(url("lot-search", patient), {"q": "A12"}).content.decode()
    assert "matches 1 record" in page and "infusion deleted" in page
    assert url("restore", patient, infusion.pk) in page
    assert url("history", patient, infusion.pk) in page
    # A viewer sees it too, without the Undo button.
    seen = viewer_client.get(url("lot-search", patient), {"q": "A12"}).content.decode()
    assert "infusion deleted" in seen and url("restore", patient, infusion.pk) not in seen


def test_the_lot_search_never_shows_another_diarys_removed_lots(patient, owner_client):
    other = PatientFactory(name="Other")
    theirs = InfusionFactory(patient=other)
    ChangeRecord.objects.create(
        patient=other,
        model="infusions.infusion",
        object_id=theirs.pk,
        action="updated",
        before={"date": "2026-11-02", "lots": [{"id": 1, "lot_number": "A123"}]},
        after={"date": "2026-11-02", "lots": []},
    )
    response = owner_client.get(url("lot-search", patient), {"q": "A123"})
    assert response.context["found"] == 0


# --- plans ---------------------------------------------------------------------------------------


def test_deleting_a_plan_relinks_its_infusions_and_undo_brings_it_back(patient, owner_client):
    old = RegimenFactory(
        patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 9, 30)
    )
    new = RegimenFactory(patient=patient, start_date=dt.date(2026, 10, 1), course_days=1)
    under_old = InfusionFactory(patient=patient, date=dt.date(2026, 9, 1), regimen=old)
    under_new = InfusionFactory(patient=patient, date=dt.date(2026, 11, 2), regimen=new)
    assert schedule_for(patient, TODAY).regimen == new

    page = owner_client.get(url("plan-delete", patient, new.pk)).content.decode()
    assert "Delete this plan?" in page and "1 infusion was given under it" in page
    response = owner_client.post(url("plan-delete", patient, new.pk), follow=True)
    html = response.content.decode()
    assert "deleted." in html and url("plan-restore", patient, new.pk) in html
    assert Regimen.all_objects.get(pk=new.pk).deleted_at is not None
    under_new.refresh_from_db()
    under_old.refresh_from_db()
    assert under_new.regimen_id is None and under_old.regimen_id == old.pk
    assert schedule_for(patient, TODAY).regimen is None
    assert owner_client.get(url("plan-edit", patient, new.pk)).status_code == 404
    assert owner_client.post(url("plan-end", patient, new.pk)).status_code == 404

    assert owner_client.post(url("plan-restore", patient, new.pk)).status_code == 302
    under_new.refresh_from_db()
    assert under_new.regimen_id == new.pk
    assert schedule_for(patient, TODAY).regimen == new


def test_restoring_a_plan_that_now_overlaps_is_refused(patient, owner_client):
    first = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    owner_client.post(url("plan-delete", patient, first.pk))
    # With the first plan gone, a new plan is entered: it is active, from 1 Mar.
    response = owner_client.post(url("plan-new", patient), _plan_data(start_date="2026-03-01"))
    assert response.status_code == 302
    second = Regimen.objects.get(patient=patient)

    response = owner_client.post(url("plan-restore", patient, first.pk), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot be restored" in html and "overlap another plan" in html
    assert "from 1 Mar 2026, still going" in html
    assert Regimen.all_objects.get(pk=first.pk).deleted_at is not None
    assert list(Regimen.objects.filter(patient=patient)) == [second]


def test_deleted_plans_do_not_block_a_new_plan(patient, owner_client):
    first = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    owner_client.post(url("plan-delete", patient, first.pk))
    response = owner_client.post(url("plan-new", patient), _plan_data(start_date="2026-01-01"))
    assert response.status_code == 302  # same dates as the deleted plan, still active
    page = owner_client.get(url("plan", patient)).content.decode()
    assert "Deleted plans" in page and url("plan-restore", patient, first.pk) in page


def test_plan_changes_are_recorded_and_shown(patient, owner, owner_client):
    old = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    assert owner_client.post(url("plan-new", patient), _plan_data()).status_code == 302
    new = Regimen.objects.get(patient=patient, end_date__isnull=True)
    # The automatic end of the old plan is a change of its own.
    ended = changes_of(old)[-1]
    assert ended.action == "updated" and ended.changed_by == owner
    assert (ended.before["end_date"], ended.after["end_date"]) == (None, "2026-11-22")
    assert [c.action for c in changes_of(new)] == ["created"]

    data = _plan_data(dose_g_per_kg="1.5")
    assert owner_client.post(url("plan-edit", patient, new.pk), data).status_code == 302
    assert owner_client.post(url("plan-end", patient, new.pk)).status_code == 302
    owner_client.post(url("plan-delete", patient, new.pk))
    owner_client.post(url("plan-restore", patient, new.pk))
    assert [c.action for c in changes_of(new)] == [
        "created",
        "updated",
        "updated",
        "deleted",
        "restored",
    ]
    page = owner_client.get(url("plan-history", patient, new.pk)).content.decode()
    assert "Dose per course (g/kg): 2 → 1.5" in page
    assert "Ended on: — → 23 Nov 2026" in page
    history = owner_client.get(url("plan-history", patient, old.pk)).content.decode()
    assert "Ended on: — → 22 Nov 2026" in history


def _plan_data(**overrides):
    data = {
        "product": catalog_product("Gamunex-C").pk,
        "indication": "mg",
        "dose_g_per_kg": "2",
        "course_days": "5",
        "interval_value": "3",
        "interval_unit": "weeks",
        "usual_site": "centre",
        "dosing_weight_kg": "",
        "usual_premedication": "",
        "start_date": "2026-11-23",
        "notes": "",
    }
    return data | overrides


# --- who may do what -----------------------------------------------------------------------------


# A view for one method answers the other with 405 before it looks anything up, as every view
# does (the diary's restore and history too): nothing is read or changed either way.
WRONG_METHOD = {
    ("restore", "get"),
    ("plan-restore", "get"),
    ("history", "post"),
    ("plan-history", "post"),
}


@pytest.mark.parametrize(
    "name", ["delete", "restore", "history", "plan-delete", "plan-restore", "plan-history"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_diarys_infusion_or_plan_is_404_and_untouched(patient, owner_client, name, method):
    other = PatientFactory(name="Other")
    infusion = InfusionFactory(patient=other)
    plan = RegimenFactory(patient=other)
    obj = plan if name.startswith("plan") else infusion
    if name.endswith("restore"):  # their deleted row
        type(obj).objects.filter(pk=obj.pk).delete()
    before = database_fingerprint()
    rows = (
        list(Infusion.all_objects.filter(patient=other).values()),
        list(Regimen.all_objects.filter(patient=other).values()),
        ChangeRecord.objects.filter(patient=other).count(),
    )
    response = getattr(owner_client, method)(url(name, patient, obj.pk))
    assert response.status_code == (405 if (name, method) in WRONG_METHOD else 404)
    assert database_fingerprint() == before
    assert rows == (
        list(Infusion.all_objects.filter(patient=other).values()),
        list(Regimen.all_objects.filter(patient=other).values()),
        ChangeRecord.objects.filter(patient=other).count(),
    )


@pytest.mark.parametrize("name", ["delete", "restore", "plan-delete", "plan-restore"])
def test_a_viewer_may_not_delete_or_restore(patient, owner_client, viewer_client, name):
    infusion = InfusionFactory(patient=patient)
    plan = RegimenFactory(patient=patient)
    obj = plan if name.startswith("plan") else infusion
    if name.endswith("restore"):
        type(obj).objects.filter(pk=obj.pk).delete()
    manager = type(obj).all_objects
    before = manager.filter(pk=obj.pk).values("deleted_at").get()
    assert viewer_client.post(url(name, patient, obj.pk)).status_code == 403
    assert manager.filter(pk=obj.pk).values("deleted_at").get() == before
    # Reading the history is fine.
    history = "plan-history" if name.startswith("plan") else "history"
    assert viewer_client.get(url(history, patient, obj.pk)).status_code == 200


# --- the move of the change history to patients keeps every diary record -------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_diary_change_records():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    old_state = [
        ("patients", "0003_emergency_contacts"),
        ("infusions", "0004_course_day_count"),
        ("diary", "0002_cycles_readings_red_flag_events"),
    ]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(old_state)
        apps = executor.loader.project_state(old_state).apps
        patient = apps.get_model("patients", "Patient").objects.create(name="Old", public_id="old")
        record = apps.get_model("diary", "ChangeRecord")
        for n, action in enumerate(["created", "updated", "deleted"]):
            record.objects.create(
                patient=patient,
                model="symptomentry",
                object_id=7,
                action=action,
                changed_at=NOW + dt.timedelta(minutes=n),
                before=None if action == "created" else {"severity": n},
                after=None if action == "deleted" else {"severity": n + 1},
            )

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        moved = list(
            ChangeRecord.objects.filter(patient_id=patient.pk)
            .order_by("pk")
            .values_list("model", "object_id", "action", "before", "after")
        )
        assert moved == [
            ("diary.symptomentry", 7, "created", None, {"severity": 1}),
            ("diary.symptomentry", 7, "updated", {"severity": 1}, {"severity": 2}),
            ("diary.symptomentry", 7, "deleted", {"severity": 2}, None),
        ]
        assert "diary_changerecord" not in connection.introspection.table_names()
    finally:
        MigrationExecutor(connection).migrate(latest)


def test_the_lot_search_ignores_control_characters(patient, owner_client):
    # A NUL byte cannot reach PostgreSQL (it used to answer 500 there).
    response = owner_client.get(
        reverse("infusions:lot-search", args=[patient.public_id]), {"q": "A1\x00B2\x07"}
    )
    assert response.status_code == 200
    assert response.context["query"] == "A1B2"


def test_the_lot_search_says_when_it_shows_fewer_than_it_found(patient, owner_client, monkeypatch):
    from infusions import views

    infusion = InfusionFactory(patient=patient)
    for n in range(3):
        InfusionLot.objects.create(infusion=infusion, lot_number=f"REC{n}", vial_count=1)
    monkeypatch.setattr(views, "LOT_SEARCH_ROWS", 2)
    url = reverse("infusions:lot-search", args=[patient.public_id])
    response = owner_client.get(url, {"q": "rec"})
    assert len(response.context["lots"]) == 2 and response.context["more"]
    assert "There are more matches than shown here" in response.content.decode()
    response = owner_client.get(url, {"q": "rec2"})
    assert not response.context["more"]


def test_back_to_a_deleted_infusion_leads_to_its_history(patient, owner_client):
    infusion = InfusionFactory(patient=patient)
    owner_client.post(url("delete", patient, infusion.pk))
    for name in ("detail", "edit", "delete"):
        response = owner_client.get(url(name, patient, infusion.pk))
        assert response.status_code == 302, name
        assert response["Location"] == url("history", patient, infusion.pk)
    page = owner_client.get(url("history", patient, infusion.pk)).content.decode()
    assert url("restore", patient, infusion.pk) in page


def test_restoring_beside_an_infusion_of_the_same_day_warns(patient, owner_client):
    first = InfusionFactory(patient=patient)
    owner_client.post(url("delete", patient, first.pk))
    InfusionFactory(patient=patient, date=first.date)  # logged again instead of Undo
    response = owner_client.post(url("restore", patient, first.pk), follow=True)
    assert "Another infusion is logged on 2 Nov 2026 too" in response.content.decode()


# --- the same lot with another expiry -------------------------------------------------------------


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_lot_recorded_before_with_another_expiry_is_flagged_after_saving(owner_client, patient):
    """A lot number's expiry differs from the one an earlier infusion recorded: the save goes
    through (nothing is lost) and the next page says which lot, both expiries and where."""
    first = InfusionFactory(patient=patient, date=dt.date(2026, 10, 5))
    InfusionLot.objects.create(infusion=first, lot_number="A123", expiry=dt.date(2027, 6, 30))
    response = owner_client.post(
        url("log", patient), form_data(**{"lots-0-expiry": "2027-03-30"}), follow=True
    )
    assert Infusion.objects.filter(patient=patient).count() == 2
    text = " ".join(_messages(response))
    assert (
        "Lot A123 has the expiry 30 Mar 2027 here, but 30 Jun 2027 on the infusion of 5 Oct" in text
    )
    assert "Check the label on the vial" in text


@pytest.mark.parametrize(
    "case", ["same expiry", "no expiry typed", "other diary", "deleted infusion", "other lot"]
)
def test_no_expiry_warning_without_a_real_mismatch(owner_client, patient, case):
    other_patient = PatientFactory(name="Other") if case == "other diary" else patient
    first = InfusionFactory(patient=other_patient, date=dt.date(2026, 10, 5))
    number = "B999" if case == "other lot" else "A123"
    InfusionLot.objects.create(infusion=first, lot_number=number, expiry=dt.date(2027, 6, 30))
    if case == "deleted infusion":
        Infusion.objects.filter(pk=first.pk).update(deleted_at=NOW)
    typed = {"same expiry": "2027-06-30", "no expiry typed": ""}.get(case, "2027-03-30")
    response = owner_client.post(
        url("log", patient), form_data(**{"lots-0-expiry": typed}), follow=True
    )
    live_before = 0 if case in ("other diary", "deleted infusion") else 1
    assert Infusion.objects.filter(patient=patient).count() == live_before + 1
    assert not [m for m in _messages(response) if "Check the label" in m]
