"""The diary: quick log, red flags, side effects, notes, questions, measures, timeline, history."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from diary import entries
from diary.models import ChangeRecord, Measure, Note, SymptomEntry
from infusions.models import Infusion

from .factories import InfusionFactory, MembershipFactory, PatientFactory

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 12:00 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, patient, *args):
    return reverse(f"diary:{name}", args=[patient.public_id, *args])


def today_url(patient):
    return reverse("today", args=[patient.public_id])


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def make_entry(patient, user=None, **fields):
    entry = SymptomEntry(
        patient=patient, **({"symptom": "headache", "severity": 5, "onset": NOW} | fields)
    )
    entries.save(entry, user)
    return entry


# --- linking to the infusion, across DST ---------------------------------------------------------


@pytest.mark.parametrize(
    ("infusion_day", "onset", "expected_day"),
    [
        # Clocks go forward on Sun 29 Mar 2026: 00:30 on Monday is still "day 2".
        (dt.date(2026, 3, 28), local(2026, 3, 30, 0, 30), 2),
        # Clocks go back on Sun 25 Oct 2026: 23:30 on the 25-hour Sunday is still day 1.
        (dt.date(2026, 10, 24), local(2026, 10, 25, 23, 30), 1),
        # Just after midnight local time, which is the previous day in UTC in summer.
        (dt.date(2026, 7, 1), local(2026, 7, 2, 0, 15), 1),
        (dt.date(2026, 7, 1), local(2026, 7, 1, 23, 59), 0),
    ],
)
def test_day_after_infusion_uses_local_dates_across_dst(
    patient, owner, infusion_day, onset, expected_day
):
    InfusionFactory(patient=patient, date=infusion_day)
    entry = make_entry(patient, owner, onset=onset)
    assert entry.days_after_infusion == expected_day
    assert entry.infusion.date == infusion_day


def test_day_after_infusion_in_another_time_zone(db, owner):
    patient = PatientFactory(time_zone="America/New_York")
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 1))  # US clocks go back that day
    # 02:00 UTC on 3 Nov is still 2 Nov in New York: day 1, not day 2.
    entry = make_entry(patient, owner, onset=dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC))
    assert entry.days_after_infusion == 1


def test_entries_are_relinked_when_an_infusion_is_added_or_removed(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 1))
    entry = make_entry(patient, owner, onset=local(2026, 11, 12, 9))
    assert entry.days_after_infusion == 11
    later = InfusionFactory(patient=patient, date=dt.date(2026, 11, 10))  # logged afterwards
    entry.refresh_from_db()
    assert (entry.infusion_id, entry.days_after_infusion) == (later.pk, 2)
    later.delete()
    entry.refresh_from_db()
    assert entry.days_after_infusion == 11


# --- quick log -----------------------------------------------------------------------------------


def test_quick_log_saves_in_one_post_and_redirects_without_js(patient, owner, owner_client):
    response = owner_client.post(
        url("quick-log", patient), {"symptom": "headache", "severity": "6"}
    )
    entry = SymptomEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{today_url(patient)}?saved={entry.pk}"
    assert (entry.symptom, entry.severity, entry.logged_by, entry.ended_at) == (
        "headache",
        6,
        owner,
        None,
    )
    assert entry.onset == NOW
    page = owner_client.get(response["Location"]).content.decode()
    assert "Saved: Headache 6 (moderate)." in page


def test_quick_log_with_htmx_swaps_the_panel_and_the_lists(patient, owner_client):
    response = owner_client.post(
        url("quick-log", patient),
        {"symptom": "fatigue", "severity": "4"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "entry-saved" in json.loads(response["HX-Trigger"])
    assert 'id="quick-log"' in body and "<html" not in body
    assert 'id="today-entries" aria-labelledby="today-title" hx-swap-oob="true"' in body
    assert "Tiredness (fatigue)" in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"symptom": "headache"}, "Choose how bad it is, from 0 (none) to 10 (worst)."),
        ({"symptom": "headache", "severity": "11"}, "Choose a number from 0 to 10."),
        ({"symptom": "headache", "severity": "-1"}, "Choose a number from 0 to 10."),
        ({"symptom": "headache", "severity": "six"}, "Choose a number from 0 to 10."),
        ({"severity": "5"}, "Choose what you feel."),
        ({"symptom": "bogus", "severity": "5"}, "Choose from the options shown."),
    ],
)
def test_quick_log_bad_input_keeps_what_was_chosen(patient, owner_client, data, message):
    response = owner_client.post(url("quick-log", patient), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert not SymptomEntry.objects.exists()
    if data.get("symptom") == "headache":
        assert 'value="headache" autocomplete="off" checked' in body


def test_quick_log_backdates_to_last_night(patient, owner_client):
    owner_client.post(
        url("quick-log", patient), {"symptom": "chills", "severity": "3", "when": "night"}
    )
    assert SymptomEntry.objects.get().onset == local(2026, 11, 22, 22, 0)


def test_a_caregiver_logs_and_is_named(patient, caregiver, caregiver_client, owner_client):
    caregiver_client.post(url("quick-log", patient), {"symptom": "nausea", "severity": "2"})
    assert SymptomEntry.objects.get().logged_by == caregiver
    body = owner_client.get(today_url(patient)).content.decode()
    assert f"{caregiver} (caregiver)" in body


def test_a_severe_headache_asks_follow_up_questions(patient, owner_client):
    body = owner_client.post(
        url("quick-log", patient),
        {"symptom": "headache", "severity": "8"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Do you also have any of these?" in body
    assert "Stiff neck" in body
    mild = owner_client.post(
        url("quick-log", patient),
        {"symptom": "headache", "severity": "5"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Do you also have any of these?" not in mild


def test_the_red_flag_combination_warns_and_marks_the_entries(patient, owner_client, viewer_client):
    owner_client.post(url("quick-log", patient), {"symptom": "headache", "severity": "8"})
    headache = SymptomEntry.objects.get()
    response = owner_client.post(
        url("follow-up", patient, headache.pk),
        {"signs": ["stiff_neck"], "severity": "5"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "Get medical advice now" in body
    assert 'role="alert"' in body
    assert "aseptic meningitis" in body
    assert sorted(SymptomEntry.objects.values_list("symptom", "red_flags")) == [
        ("headache", ["aseptic_meningitis"]),
        ("stiff_neck", ["aseptic_meningitis"]),
    ]
    # Caregivers see it at the top of the home page, with a way to mark it as dealt with.
    shown = viewer_client.get(today_url(patient)).content.decode()
    assert "red-flag-alert" in shown and "It was checked" in shown


def test_near_misses_do_not_warn(patient, owner):
    make_entry(patient, owner, symptom="headache", severity=6)
    make_entry(patient, owner, symptom="stiff_neck", severity=5)
    assert not SymptomEntry.objects.exclude(red_flags=[]).exists()


def test_deleting_a_sign_clears_the_warning_and_undo_brings_it_back(patient, owner, owner_client):
    make_entry(patient, owner, symptom="headache", severity=8)
    neck = make_entry(patient, owner, symptom="stiff_neck", severity=4)
    assert SymptomEntry.objects.get(symptom="headache").red_flags == ["aseptic_meningitis"]
    response = owner_client.post(url("delete", patient, "symptoms", neck.pk))
    assert response.status_code == 302
    assert SymptomEntry.objects.get(symptom="headache").red_flags == []
    assert SymptomEntry.all_objects.get(pk=neck.pk).deleted_at is not None
    owner_client.post(url("restore", patient, "symptoms", neck.pk))
    assert SymptomEntry.objects.get(symptom="headache").red_flags == ["aseptic_meningitis"]


def test_follow_up_needs_an_answer(patient, owner, owner_client):
    headache = make_entry(patient, owner, severity=8)
    response = owner_client.post(
        url("follow-up", patient, headache.pk), {"severity": "5"}, headers={"HX-Request": "true"}
    )
    assert "Tick the signs you have" in response.content.decode()


# --- ongoing, same as yesterday ------------------------------------------------------------------


def test_gone_now_and_still_going(patient, owner, owner_client):
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 7))
    assert "Gone now" in owner_client.get(today_url(patient)).content.decode()
    owner_client.post(url("side-effect-still-going", patient, entry.pk))
    entry.refresh_from_db()
    assert entry.still_going_at == NOW and entry.ended_at is None
    owner_client.post(url("side-effect-gone", patient, entry.pk))
    entry.refresh_from_db()
    assert entry.ended_at == NOW
    assert ChangeRecord.objects.filter(object_id=entry.pk, action="updated").count() == 2


def test_still_going_shows_when_it_was_last_confirmed(patient, owner, owner_client):
    entry = make_entry(patient, owner, onset=local(2026, 11, 22, 7))
    assert "still going at" not in owner_client.get(today_url(patient)).content.decode()
    with time_machine.travel(local(2026, 11, 23, 9, 30), tick=False):
        owner_client.post(url("side-effect-still-going", patient, entry.pk))
    # On Today's "Still going" list and on the diary's line for the entry: a caregiver sees when
    # it was last checked, not only that it began on Sunday.
    today = owner_client.get(today_url(patient)).content.decode()
    assert "since Sun 07:00 · still going at Mon 09:30" in today
    timeline = owner_client.get(url("timeline", patient)).content.decode()
    assert "still going at Mon 09:30" in timeline
    owner_client.post(url("side-effect-gone", patient, entry.pk))
    assert "still going at" not in owner_client.get(url("timeline", patient)).content.decode()


def test_same_as_yesterday_copies_what_ended_not_what_is_still_going(patient, owner, owner_client):
    make_entry(
        patient,
        owner,
        symptom="fatigue",
        severity=5,
        onset=local(2026, 11, 22, 9),
        ended_at=local(2026, 11, 22, 20),
    )
    make_entry(
        patient,
        owner,
        symptom="fatigue",
        severity=3,
        onset=local(2026, 11, 22, 21),
        ended_at=local(2026, 11, 22, 23),
    )
    make_entry(
        patient, owner, symptom="headache", severity=4, onset=local(2026, 11, 22, 10)
    )  # still going
    owner_client.post(url("same-as-yesterday", patient))
    today = SymptomEntry.objects.filter(onset=NOW)
    assert list(today.values_list("symptom", "severity")) == [("fatigue", 5)]


def test_same_as_yesterday_copies_the_worst_reading_once_and_not_what_is_open_now(
    patient, owner, owner_client
):
    """A tester's cases: a fever that went from 3 to 8 yesterday was copied as 3; a rash still
    going from an earlier day got a second open entry; a second tap copied everything again."""
    fever = make_entry(patient, owner, symptom="fever", severity=3, onset=local(2026, 11, 22, 9))
    entries.add_reading(fever, 8, local(2026, 11, 22, 14), owner)
    fever.ended_at = local(2026, 11, 22, 20)
    entries.save(fever, owner)
    make_entry(
        patient,
        owner,
        symptom="rash",
        severity=4,
        onset=local(2026, 11, 22, 9),
        ended_at=local(2026, 11, 22, 12),
    )
    make_entry(patient, owner, symptom="rash", severity=6, onset=local(2026, 11, 21, 9))  # open
    make_entry(
        patient,
        owner,
        symptom="other",
        custom_symptom="Sore  arm",
        severity=2,
        onset=local(2026, 11, 22, 9),
        ended_at=local(2026, 11, 22, 10),
    )
    make_entry(
        patient,
        owner,
        symptom="other",
        custom_symptom="sore arm",
        severity=3,
        onset=local(2026, 11, 23, 8),
        ended_at=local(2026, 11, 23, 9),
    )  # logged by hand this morning
    owner_client.post(url("same-as-yesterday", patient))
    copies = SymptomEntry.objects.filter(onset=NOW)
    assert list(copies.values_list("symptom", "severity")) == [("fever", 8)]
    response = owner_client.post(url("same-as-yesterday", patient), follow=True)
    assert SymptomEntry.objects.filter(onset=NOW).count() == 1
    assert "already logged today" in response.content.decode()


def test_same_as_yesterday_leaves_out_a_sign_logged_at_zero(patient, owner, owner_client):
    """0 means it was not there (clinical.md): "nausea 0" yesterday is nothing to copy."""
    make_entry(patient, owner, symptom="nausea", severity=0, onset=local(2026, 11, 22, 10))
    make_entry(
        patient,
        owner,
        symptom="fatigue",
        severity=3,
        onset=local(2026, 11, 22, 11),
        ended_at=local(2026, 11, 22, 15),
    )
    owner_client.post(url("same-as-yesterday", patient))
    assert list(SymptomEntry.objects.filter(onset=NOW).values_list("symptom", flat=True)) == [
        "fatigue"
    ]


def test_same_as_yesterday_with_nothing_to_copy(patient, owner_client):
    response = owner_client.post(url("same-as-yesterday", patient), follow=True)
    assert "Nothing to copy" in response.content.decode()


# --- full side-effect form -----------------------------------------------------------------------


def side_effect_data(**overrides):
    data = {
        "symptom": "other",
        "custom_symptom": "Tingling toes",
        "severity": "3",
        "onset": "2026-11-22T18:30",
        "still_going": "",
        "ended_at": "2026-11-23T08:00",
        "helped": "Ice pack",
        "notes": "",
    }
    return data | overrides


def test_a_backdated_symptom_of_my_own(patient, owner_client):
    response = owner_client.post(url("side-effect-add", patient), side_effect_data())
    entry = SymptomEntry.objects.get()
    assert response.status_code == 302
    assert (entry.label, entry.onset, entry.ended_at, entry.helped) == (
        "Tingling toes",
        local(2026, 11, 22, 18, 30),
        local(2026, 11, 23, 8),
        "Ice pack",
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"onset": "2026-11-24T09:00"}, "onset", "The start can’t be in the future."),
        ({"ended_at": "2026-11-22T10:00"}, "ended_at", "The end is before the start."),
        ({"ended_at": "2026-11-30T10:00"}, "ended_at", "The end can’t be in the future."),
        ({"onset": "2026-02-30T10:00"}, "onset", "Enter a real date and time."),
        ({"onset": ""}, "onset", "When did it start?"),
        ({"custom_symptom": ""}, "custom_symptom", "Type what you feel, in your own words."),
        ({"severity": "12"}, "severity", "Choose a number from 0 to 10."),
        ({"notes": "x" * 1001}, "notes", "at most 1000 characters"),
    ],
)
def test_side_effect_form_bad_input(patient, owner_client, overrides, field, message):
    response = owner_client.post(url("side-effect-add", patient), side_effect_data(**overrides))
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert not SymptomEntry.objects.exists()
    assert 'value="Ice pack"' in response.content.decode()


def test_still_going_with_an_end_typed_asks_rather_than_drops_the_end(patient, owner_client):
    response = owner_client.post(
        url("side-effect-add", patient), side_effect_data(still_going="on")
    )
    assert response.status_code == 200 and "ended_at" in response.context["form"].errors
    assert not SymptomEntry.objects.exists()
    owner_client.post(
        url("side-effect-add", patient), side_effect_data(still_going="on", ended_at="")
    )
    assert SymptomEntry.objects.get().ended_at is None


def test_editing_keeps_a_history_with_before_and_after(patient, owner, owner_client):
    entry = make_entry(patient, owner, symptom="headache", severity=5, onset=local(2026, 11, 23, 8))
    data = side_effect_data(
        symptom="headache",
        custom_symptom="",
        severity="7",
        onset="2026-11-23T08:00",
        still_going="on",
        ended_at="",
    )
    assert owner_client.post(url("side-effect-edit", patient, entry.pk), data).status_code == 302
    change = ChangeRecord.objects.filter(object_id=entry.pk, action="updated").get()
    assert (change.before["severity"], change.after["severity"], change.changed_by) == (5, 7, owner)
    page = owner_client.get(url("history", patient, "symptoms", entry.pk)).content.decode()
    assert "Changed" in page and "Added" in page


def test_bulk_deletes_are_soft_and_recorded(patient, owner):
    make_entry(patient, owner)
    make_entry(patient, owner, symptom="chills")
    SymptomEntry.objects.filter(patient=patient).delete()
    assert SymptomEntry.objects.count() == 0
    assert SymptomEntry.all_objects.count() == 2
    assert ChangeRecord.objects.filter(action="deleted").count() == 2


def test_delete_offers_undo(patient, owner, owner_client):
    entry = make_entry(patient, owner)
    response = owner_client.post(url("delete", patient, "symptoms", entry.pk), follow=True)
    body = response.content.decode()
    assert "Deleted." in body and "Undo" in body
    assert url("restore", patient, "symptoms", entry.pk) in body


def test_entries_of_another_patient_are_404(patient, owner_client):
    other = make_entry(PatientFactory())
    assert owner_client.get(url("side-effect-edit", patient, other.pk)).status_code == 404
    assert owner_client.post(url("delete", patient, "symptoms", other.pk)).status_code == 404
    assert owner_client.get(url("history", patient, "symptoms", other.pk)).status_code == 404
    assert owner_client.post(url("delete", patient, "nonsense", 1)).status_code == 404


# --- notes and questions -------------------------------------------------------------------------


def test_an_improvement_note_with_a_rating(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 16))
    response = owner_client.post(
        url("note-add", patient),
        {"text": "Stairs easier", "rating": "2", "written_at": "2026-11-23T10:00"},
    )
    note = Note.objects.get()
    assert response.status_code == 302
    assert (note.kind, note.rating, note.days_after_infusion, note.logged_by) == (
        "improvement",
        2,
        7,
        owner,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "", "written_at": "2026-11-23T10:00"}, "Write a few words."),
        ({"text": "ok", "written_at": "2026-12-01T10:00"}, "The date can’t be in the future."),
        (
            {"text": "ok", "rating": "5", "written_at": "2026-11-23T10:00"},
            "Choose from the options shown.",
        ),
    ],
)
def test_note_bad_input(patient, owner_client, data, message):
    response = owner_client.post(url("note-add", patient), data)
    assert message in response.content.decode()
    assert not Note.objects.exists()


def test_questions_for_the_doctor(patient, owner_client, viewer_client):
    owner_client.post(url("question-add", patient), {"text": "Could the interval be 3 weeks?"})
    question = Note.objects.get(kind="question")
    assert (
        "Could the interval be 3 weeks?"
        in viewer_client.get(url("questions", patient)).content.decode()
    )
    missing = owner_client.post(url("question-answer", patient, question.pk), {"answer": ""})
    assert "Write the answer" in missing.content.decode()
    owner_client.post(url("question-answer", patient, question.pk), {"answer": "Not yet."})
    question.refresh_from_db()
    assert question.is_answered and question.answer == "Not yet."


# --- measures ------------------------------------------------------------------------------------

MGADL_ITEMS = [
    "talking",
    "chewing",
    "swallowing",
    "breathing",
    "brush_teeth_comb_hair",
    "rise_from_chair",
    "double_vision",
    "eyelid_droop",
]


def mgadl_data(scores, when="2026-11-23T09:00"):
    return dict(zip(MGADL_ITEMS, map(str, scores), strict=True)) | {
        "measured_at": when,
        "notes": "",
    }


def test_mgadl_totals_and_shows_the_change(patient, owner_client):
    owner_client.post(
        url("measure-add", patient, "mgadl"),
        mgadl_data([1, 1, 1, 0, 1, 1, 2, 2], "2026-11-16T09:00"),
    )
    response = owner_client.post(
        url("measure-add", patient, "mgadl"), mgadl_data([0, 1, 0, 0, 1, 1, 1, 1]), follow=True
    )
    totals = list(Measure.objects.order_by("measured_at").values_list("value", flat=True))
    assert totals == [9, 5]
    body = response.content.decode()
    assert "4 points lower than last time" in body
    assert "meaningful improvement" in body
    assert Measure.objects.first().answers["double_vision"] == 1  # newest first


def test_a_back_filled_mgadl_is_compared_with_the_score_before_it(patient, owner_client):
    """A score logged for a day between two others is compared with the one before it by
    date, and says which: against the newest it read "5 points higher than last time"."""
    for scores, when in (
        ([1, 1, 1, 0, 1, 1, 2, 2], "2026-10-17T09:00"),  # 9
        ([0, 1, 0, 0, 1, 1, 1, 1], "2026-11-21T09:00"),  # 5
    ):
        owner_client.post(url("measure-add", patient, "mgadl"), mgadl_data(scores, when))
    response = owner_client.post(
        url("measure-add", patient, "mgadl"),
        mgadl_data([2, 1, 1, 0, 1, 1, 2, 2], "2026-10-18T08:00"),  # 10
        follow=True,
    )
    body = response.content.decode()
    assert "1 point higher than the score before it, on 17 Oct (more symptoms)." in body
    assert "5 points higher than last time" not in body
    first = owner_client.post(
        url("measure-add", patient, "mgadl"),
        mgadl_data([1, 1, 1, 0, 1, 1, 2, 2], "2026-09-01T09:00"),
        follow=True,
    )
    assert "MG-ADL" in first.content.decode() and "before it" not in first.content.decode()


def test_an_mgadl_typed_for_the_same_minute_is_compared_with_the_one_below_it(
    patient, owner_client
):
    """Times are kept to the minute: a second score for 09:00 is compared with the first
    (the one just below it in the list), not skipped, and not with an older one."""
    owner_client.post(
        url("measure-add", patient, "mgadl"),
        mgadl_data([0, 0, 0, 0, 0, 0, 0, 0], "2026-11-16T09:00"),  # 0
    )
    owner_client.post(
        url("measure-add", patient, "mgadl"),
        mgadl_data([1, 1, 1, 0, 1, 1, 0, 0], "2026-11-23T09:00"),  # 5
    )
    response = owner_client.post(
        url("measure-add", patient, "mgadl"),
        mgadl_data([1, 1, 1, 0, 1, 1, 1, 0], "2026-11-23T09:00"),  # 6
        follow=True,
    )
    body = response.content.decode()
    assert "1 point higher than last time (more symptoms)." in body
    assert "6 points higher" not in body


def test_mgadl_one_point_change_is_not_called_meaningful(patient, owner_client):
    owner_client.post(
        url("measure-add", patient, "mgadl"),
        mgadl_data([1, 1, 1, 0, 1, 1, 1, 1], "2026-11-16T09:00"),
    )
    body = owner_client.post(
        url("measure-add", patient, "mgadl"), mgadl_data([1, 1, 1, 0, 1, 1, 1, 2]), follow=True
    ).content.decode()
    assert "1 point higher" in body and "meaningful" not in body.split("Measures")[0]


def test_mgadl_item_missing(patient, owner_client):
    data = mgadl_data([0] * 8)
    del data["breathing"]
    data["talking"] = "2"
    response = owner_client.post(url("measure-add", patient, "mgadl"), data)
    assert "Answer this question (0 if normal)." in response.content.decode()
    assert (
        'value="2" class="form-check-input" id="id_talking_2" checked' in response.content.decode()
        or response.context["form"]["talking"].value() == "2"
    )
    assert not Measure.objects.exists()


@pytest.mark.parametrize(
    ("kind", "data", "stored"),
    [
        ("grip", {"unit": "kPa", "left": "62", "right": "70"}, ("62.00", "70.00", "kPa")),
        ("platelets", {"count": "45"}, ("45.00", None, "10^9/L")),
        ("weight", {"weight": "68.5"}, ("68.50", None, "kg")),
        ("gbs_disability", {"level": "2"}, ("2.00", None, "")),
        (
            "custom",
            {"measure_name": "Walking test", "measure_unit": "s", "number": "12.5"},
            ("12.50", None, "s"),
        ),
    ],
)
def test_each_measure(patient, owner_client, kind, data, stored):
    response = owner_client.post(
        url("measure-add", patient, kind), data | {"measured_at": "2026-11-23T09:00", "notes": ""}
    )
    assert response.status_code == 302, response.context["form"].errors
    measure = Measure.objects.get()
    assert (
        str(measure.value),
        str(measure.value_right) if measure.value_right is not None else None,
        measure.unit,
    ) == stored


def test_the_gbs_form_offers_its_grades_and_shows_its_source(patient, owner, owner_client):
    from clinical import scales

    response = owner_client.get(url("measure-add", patient, "gbs_disability"))
    grades = [value for value, _label in response.context["form"].fields["level"].choices]
    assert grades == list(range(scales.GBS_DISABILITY_MIN, scales.GBS_DISABILITY_MAX + 1))
    assert scales.GBS_DISABILITY_CITATION in response.content.decode()
    owner_client.post(
        url("measure-add", patient, "gbs_disability"),
        {"level": str(scales.GBS_DISABILITY_MIN), "measured_at": "2026-11-23T09:00", "notes": ""},
    )
    assert Measure.objects.get().value == scales.GBS_DISABILITY_MIN
    # Under the results too, as MG-ADL's source is.
    measures = owner_client.get(url("measures", patient)).content.decode()
    assert scales.GBS_DISABILITY_CITATION in measures


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("grip", {"unit": "kg", "left": "150", "right": "20"}, "outside what a grip measure shows"),
        ("grip", {"unit": "kg", "left": "30"}, "Enter the right hand’s grip."),
        ("platelets", {"count": "5000"}, "Enter a number of at most 2000."),
        ("weight", {"weight": "0.2"}, "That weight can’t be right"),
        ("gbs_disability", {"level": "6"}, "Choose from the options shown."),
        ("custom", {"measure_name": "", "number": "1"}, "Please fill in “What you measured”."),
        (
            "platelets",
            {"count": "45", "measured_at": "2027-01-01T09:00"},
            "The date can’t be in the future.",
        ),
    ],
)
def test_implausible_measures(patient, owner_client, kind, data, message):
    response = owner_client.post(
        url("measure-add", patient, kind), {"measured_at": "2026-11-23T09:00", "notes": ""} | data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Measure.objects.exists()


def test_weight_in_pounds_is_stored_in_kg(patient, owner_client):
    patient.weight_unit = "lb"
    patient.save()
    owner_client.post(
        url("measure-add", patient, "weight"),
        {"weight": "150", "measured_at": "2026-11-23T09:00", "notes": ""},
    )
    assert str(Measure.objects.get().value) == "68.04"
    assert "150.0 lb" in owner_client.get(url("measures", patient)).content.decode()


def test_unknown_measure_kind_is_404(patient, owner_client):
    assert owner_client.get(url("measure-add", patient, "iq")).status_code == 404


def test_measures_shown_follow_the_condition(db, client):
    mg = MembershipFactory(patient=PatientFactory(conditions=["mg"]))
    client.force_login(mg.user)
    body = client.get(url("measures", mg.patient)).content.decode()
    assert "MG-ADL score" in body.split("Other measures")[0]
    assert "Grip strength" not in body.split("Other measures")[0]
    cidp = MembershipFactory(patient=PatientFactory(conditions=["cidp"]))
    client.force_login(cidp.user)
    body = client.get(url("measures", cidp.patient)).content.decode()
    assert "Grip strength" in body.split("Other measures")[0]
    assert "MG-ADL score" not in body.split("Other measures")[0]


# --- timeline and query counts -------------------------------------------------------------------


def _many_entries(patient, owner, count):
    SymptomEntry.objects.bulk_create(
        SymptomEntry(
            patient=patient,
            symptom="headache",
            severity=n % 11,
            onset=NOW - dt.timedelta(hours=n % 300),
            logged_by=owner,
        )
        for n in range(count)
    )
    Measure.objects.create(
        patient=patient, kind="weight", value=68, unit="kg", measured_at=NOW, logged_by=owner
    )
    Note.objects.create(patient=patient, text="ok", written_at=NOW, logged_by=owner)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 20))


@pytest.mark.parametrize("name", ["timeline", "today"])
def test_query_counts_do_not_grow_with_entries(
    patient, owner, owner_client, name, django_assert_max_num_queries
):
    page = url("timeline", patient) if name == "timeline" else today_url(patient)
    counts = []
    for count in (1, 500):
        SymptomEntry.all_objects.all().delete()
        Infusion.objects.all().delete()
        _many_entries(patient, owner, count)
        owner_client.get(page)
        cache.clear()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(page).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


def test_timeline_filters_and_pages(patient, owner, owner_client):
    make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    make_entry(patient, owner, symptom="chills", onset=local(2026, 9, 1, 8))
    Note.objects.create(patient=patient, text="Feeling better", written_at=NOW, logged_by=owner)
    body = owner_client.get(url("timeline", patient)).content.decode()
    assert "Headache" in body and "Feeling better" in body and "Chills" not in body
    assert "until=2026-09-01" in body  # "Older" skips the empty weeks
    only_notes = owner_client.get(url("timeline", patient), {"kind": "notes"}).content.decode()
    assert "Feeling better" in only_notes and "Headache" not in only_notes
    older = owner_client.get(
        url("timeline", patient), {"until": "2026-09-01"}, headers={"HX-Request": "true"}
    )
    assert b"Chills" in older.content and b"<html" not in older.content
    assert owner_client.get(url("timeline", patient), {"until": "not-a-date"}).status_code == 200


def test_deleted_entries_leave_the_timeline(patient, owner, owner_client):
    entry = make_entry(patient, owner, symptom="rash")
    owner_client.post(url("delete", patient, "symptoms", entry.pk))
    assert "Rash" not in owner_client.get(url("timeline", patient)).content.decode()


def test_seed_demo_builds_a_living_diary(db):
    from django.core.management import call_command

    call_command("seed_demo")
    assert (
        SymptomEntry.objects.filter(symptom="headache", days_after_infusion__in=[1, 2]).count() >= 5
    )
    assert SymptomEntry.objects.filter(symptom="fever").count() == 1
    mgadl = Measure.objects.filter(kind="mgadl")
    assert mgadl.count() >= 20
    # Better after each infusion, worse again in the last week of the cycle.
    early = [
        m.total
        for m in mgadl
        if m.days_after_infusion is not None and 5 <= m.days_after_infusion <= 14
    ]
    late = [
        m.total for m in mgadl if m.days_after_infusion is not None and m.days_after_infusion >= 25
    ]
    assert max(early) < min(late)
    assert Note.objects.filter(kind="question", answered_at__isnull=True).count() == 2
    call_command("seed_demo")
    assert Measure.objects.filter(kind="mgadl").count() == mgadl.count()


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [
        ("side-effect-add", [], {"symptom": "other"}),
        ("note-add", [], {"text": ""}),
        ("question-add", [], {"text": ""}),
        ("measure-add", ["weight"], {"weight": "x"}),
    ],
)
def test_diary_forms_with_errors_answer_htmx_with_the_form(patient, owner_client, name, args, data):
    response = owner_client.post(url(name, patient, *args), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b'id="entry-form"' in response.content
    assert b'hx-select="#entry-form"' in response.content


def test_the_side_effect_form_starts_now(patient, owner_client):
    form = owner_client.get(url("side-effect-add", patient)).context["form"]
    assert form.initial["onset"] == NOW.astimezone(LONDON).replace(second=0, microsecond=0)


def test_a_saved_side_effect_goes_home_with_its_confirmation(patient, owner_client):
    response = owner_client.post(
        url("side-effect-add", patient), side_effect_data(), headers={"HX-Request": "true"}
    )
    entry = SymptomEntry.objects.get()
    assert response["HX-Redirect"] == f"{today_url(patient)}?saved={entry.pk}"


# --- red flags across days and after changes (found in review) ------------------------------------


def flags():
    return dict(SymptomEntry.objects.values_list("symptom", "red_flags"))


def test_a_backdated_symptom_still_going_warns_today(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 21))
    make_entry(patient, owner, symptom="fever", severity=5, onset=local(2026, 11, 23, 8))
    data = side_effect_data(
        symptom="headache",
        custom_symptom="",
        severity="8",
        onset="2026-11-22T20:00",
        still_going="on",
        ended_at="",
    )
    response = owner_client.post(url("side-effect-add", patient), data, follow=True)
    assert flags()["fever"] == ["aseptic_meningitis"]
    assert "Get medical advice now" in response.content.decode()


def test_raising_the_severity_of_an_ongoing_symptom_warns(patient, owner):
    headache = make_entry(patient, owner, severity=5, onset=local(2026, 11, 22, 9))
    make_entry(patient, owner, symptom="fever", severity=5, onset=local(2026, 11, 23, 8))
    assert flags()["fever"] == []
    headache.severity = 8
    assert entries.save(headache, owner)
    assert flags()["fever"] == ["aseptic_meningitis"]


def test_restoring_an_ongoing_symptom_brings_the_warning_back(patient, owner):
    headache = make_entry(patient, owner, severity=8, onset=local(2026, 11, 22, 9))
    entries.delete(headache, owner)
    make_entry(patient, owner, symptom="fever", severity=5, onset=local(2026, 11, 23, 8))
    assert flags()["fever"] == []
    entries.restore(headache, owner)
    assert flags()["fever"] == ["aseptic_meningitis"]


def test_an_infusion_logged_afterwards_rechecks_the_warnings(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 10, 20))
    make_entry(patient, owner, severity=8, onset=local(2026, 11, 23, 10))
    make_entry(patient, owner, symptom="fever", severity=5, onset=local(2026, 11, 23, 10))
    assert flags()["headache"] == []  # 34 days after the last infusion: outside the window
    InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 23), start_time=dt.time(8), end_time=dt.time(9)
    )
    assert flags()["headache"] == ["aseptic_meningitis"]


def test_changing_the_time_zone_keeps_past_entries_on_their_day(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    entry = make_entry(patient, owner, onset=dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC))
    assert entry.days_after_infusion == 1
    owner_client.post(
        reverse("patients:settings", args=[patient.public_id]),
        {
            "name": "Maya",
            "time_zone": "America/Los_Angeles",
            "conditions": ["mg"],
            "weight_unit": "kg",
            "temperature_unit": "C",
        },
    )
    entry.refresh_from_db()
    # Logged on 23 Nov in London, it stays there (it would be 19:00 on 22 Nov in Los Angeles).
    assert entry.days_after_infusion == 1


def test_the_window_counts_from_a_sign_still_going_from_yesterday(patient, owner):
    InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 16), start_time=dt.time(9), end_time=dt.time(13)
    )
    make_entry(patient, owner, severity=8, onset=local(2026, 11, 22, 10))  # 141 h after
    make_entry(patient, owner, symptom="fever", severity=5, onset=local(2026, 11, 23, 11))  # 166 h
    assert flags()["fever"] == ["aseptic_meningitis"]


@pytest.mark.parametrize("saved", ["²", "99999999999999999999999", "1,x,2"])
def test_crafted_saved_ids_are_ignored(patient, owner_client, saved):
    assert owner_client.get(today_url(patient), {"saved": saved}).status_code == 200


def test_a_crafted_timeline_date_is_clamped(patient, owner_client):
    assert owner_client.get(url("timeline", patient), {"until": "0001-01-01"}).status_code == 200


def test_the_side_effect_form_says_each_severity_in_words_too(patient, owner_client):
    """As the quick log does: a number and its word, never a number alone (quality.md)."""
    html = owner_client.get(url("side-effect-add", patient)).content.decode()
    assert (
        '<span class="severity-number">6</span><span class="severity-word">moderate</span>' in html
    )
    assert '<span class="severity-number">0</span><span class="severity-word">none</span>' in html
    assert (
        '<span class="severity-number">10</span><span class="severity-word">severe</span>' in html
    )


def test_an_end_before_a_later_severity_is_refused_next_to_the_field(patient, owner, owner_client):
    """A tester ended a headache at 23:30 whose 'same one' severity was noted at 23:50: the
    line then read 'last 7 severe at 23:50 · ended 23:30'."""
    entry = make_entry(
        patient, owner, symptom="headache", severity=6, onset=local(2026, 11, 22, 21, 15)
    )
    entries.add_reading(entry, 7, local(2026, 11, 22, 23, 50), owner)
    data = side_effect_data(
        symptom="headache",
        custom_symptom="",
        severity="6",
        onset="2026-11-22T21:15",
        ended_at="2026-11-22T23:30",
        helped="Dark room",
    )
    response = owner_client.post(url("side-effect-edit", patient, entry.pk), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "A later severity was noted at Sun 22 Nov 23:50" in form.errors["ended_at"][0]
    assert 'value="Dark room"' in response.content.decode()  # what was typed is kept
    entry.refresh_from_db()
    assert entry.ended_at is None
    data["ended_at"] = "2026-11-23T00:10"
    assert owner_client.post(url("side-effect-edit", patient, entry.pk), data).status_code == 302
    entry.refresh_from_db()
    assert entry.ended_at == local(2026, 11, 23, 0, 10)


def test_gone_now_keeps_an_end_already_given(patient, owner, owner_client):
    """Second browser pass: "Gone now" on a page opened before a caregiver ended the entry at
    10:00 overwrote that end with now; on an old entry it made a one-day headache last a week."""
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 9))
    entry.ended_at = local(2026, 11, 23, 10)
    entries.save(entry, owner)
    changes = ChangeRecord.objects.count()
    response = owner_client.post(url("side-effect-gone", patient, entry.pk), follow=True)
    entry.refresh_from_db()
    assert entry.ended_at == local(2026, 11, 23, 10)
    assert ChangeRecord.objects.count() == changes  # nothing written
    assert "Headache was already marked as gone at Mon 10:00." in response.content.decode()
    owner_client.post(url("side-effect-still-going", patient, entry.pk))
    entry.refresh_from_db()
    assert entry.still_going_at is None and entry.ended_at == local(2026, 11, 23, 10)
