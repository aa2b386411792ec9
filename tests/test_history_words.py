"""A diary entry's history of changes reads in plain words, like an infusion's.

Found on a phone: the page showed raw field names (``still_going_at``), a Python dict of the
eight MG-ADL answers, “5.00 → 8.00”, UTC timestamps, an empty “Changed” card for a later
severity reading, and a table wider than the screen. Each change now reads “who · when (the
diary's local time)” with one line per field a person recorded.
"""

import datetime as dt
import html
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries
from diary import history as diary_history
from diary.models import ChangeRecord, Measure, Note, SymptomEntry
from patients.models import Membership

from .factories import InfusionFactory, MembershipFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 12:00 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
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
# What the page must never show: stored field names, JSON, UTC times, raw decimals.
INTERNALS = re.compile(
    r"still_going_at|peak_severity|updated_at|local_date|time_zone|day_of_cycle|"
    r"days_after_infusion|red_flags|logged_by|custom_symptom|measured_at|_id\b|"
    r"\{&#x27;|\{'|\d\.00\b|\d{4}-\d\d-\d\dT\d\d:\d\d|\d\dZ\b"
)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def url(name, patient, *args):
    return reverse(f"diary:{name}", args=[patient.public_id, *args])


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def history_page(client, patient, kind, record) -> str:
    response = client.get(url("history", patient, kind, record.pk))
    assert response.status_code == 200
    return response.content.decode()


def change_items(page: str) -> list[str]:
    """Each change on the page as the person reads it (tags dropped, entities read, spaces
    squeezed), newest first."""
    ol = page.split("<ol", 1)[1].split("</ol>", 1)[0]
    cards = ol.split('<li class="card')[1:]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", "<" + card)).split()) for card in cards]


def shown(page: str) -> str:
    """The page's main content as a person reads it (markup and attributes dropped)."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", "<" + main).split())


def make_entry(patient, user, **fields):
    entry = SymptomEntry(
        patient=patient, **({"symptom": "headache", "severity": 5, "onset": NOW} | fields)
    )
    entries.save(entry, user)
    return entry


def mgadl(patient, user, scores, when=NOW):
    answers = dict(zip(MGADL_ITEMS, scores, strict=True))
    measure = Measure(
        patient=patient, kind="mgadl", value=sum(scores), answers=answers, measured_at=when
    )
    entries.save(measure, user)
    return measure


def edit_data(**overrides):
    return {
        "symptom": "headache",
        "custom_symptom": "",
        "severity": "5",
        "onset": "2026-11-23T08:00",
        "still_going": "on",
        "ended_at": "",
        "helped": "",
        "notes": "",
    } | overrides


# --- what each change says ------------------------------------------------------------------------


def test_a_severity_edit_reads_label_and_values(patient, owner, owner_client):
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    response = owner_client.post(
        url("side-effect-edit", patient, entry.pk), edit_data(severity="8")
    )
    assert response.status_code == 302

    page = history_page(owner_client, patient, "symptoms", entry)
    changed, added = change_items(page)
    owner_name = str(owner)
    assert (
        changed == f"Changed · {owner_name} · 23 Nov 2026 12:00 Severity: 5 (moderate) → 8 (severe)"
    )
    assert added == f"Added · {owner_name} · 23 Nov 2026 12:00"
    assert "Headache, started 23 Nov 2026 08:00" in page
    assert not INTERNALS.search(shown(page))
    assert "<table" not in page  # a list that wraps at 320 px, no table to scroll sideways


def test_an_mgadl_answer_change_reads_item_by_item(patient, owner, owner_client):
    measure = mgadl(patient, owner, [1, 1, 0, 0, 1, 1, 1, 0])
    measure.answers = measure.answers | {"swallowing": 3, "eyelid_droop": 2}
    measure.value = Decimal("10.00")
    entries.save(measure, owner)

    page = history_page(owner_client, patient, "measures", measure)
    changed, _added = change_items(page)
    assert "MG-ADL score: 5 / 24 → 10 / 24" in changed
    assert "10\u00a0/\u00a024" in page  # kept on one line on a narrow phone
    assert "Swallowing: Normal (0) → Gastric tube (3)" in changed
    assert "Eyelid droop: Normal (0) → Daily, but not constant (2)" in changed
    # Only the items that changed.
    assert "Talking" not in changed and "Chewing" not in changed and "Breathing" not in changed


def test_an_mgadl_answer_change_through_the_form(patient, owner, owner_client):
    measure = mgadl(patient, owner, [0] * 8, when=local(2026, 11, 23, 9))
    data = dict(zip(MGADL_ITEMS, ["0", "0", "3", "0", "0", "0", "0", "0"], strict=True))
    data |= {"measured_at": "2026-11-23T09:00", "notes": ""}
    response = owner_client.post(url("measure-edit", patient, measure.pk), data)
    assert response.status_code == 302

    page = history_page(owner_client, patient, "measures", measure)
    changed = change_items(page)[0]
    assert changed.endswith(
        "MG-ADL score: 0 / 24 → 3 / 24 Swallowing: Normal (0) → Gastric tube (3)"
    )
    assert not INTERNALS.search(shown(page))


def test_incat_answers_read_arms_and_legs(patient, owner, owner_client):
    measure = Measure(
        patient=patient, kind="incat", value=3, answers={"arms": 1, "legs": 2}, measured_at=NOW
    )
    entries.save(measure, owner)
    measure.answers, measure.value = {"arms": 1, "legs": 3}, 4
    entries.save(measure, owner)

    changed = change_items(history_page(owner_client, patient, "measures", measure))[0]
    assert "INCAT disability score: 3 / 10 (arms 1, legs 2) → 4 / 10 (arms 1, legs 3)" in changed
    assert (
        "Legs: Usually uses unilateral support (stick, single crutch, one arm) to walk outdoors (2)"
        " → Usually uses bilateral support (sticks, crutches, frame, two arms) to walk outdoors (3)"
    ) in changed
    assert "Arms:" not in changed


def test_decimals_lose_trailing_zeros_and_weight_follows_the_unit(patient, owner, owner_client):
    weight = Measure(patient=patient, kind="weight", value=Decimal("70.00"), measured_at=NOW)
    entries.save(weight, owner)
    weight.value = Decimal("72.50")
    entries.save(weight, owner)

    changed = change_items(history_page(owner_client, patient, "measures", weight))[0]
    assert changed.endswith("Weight: 70 kg → 72.5 kg")

    patient.weight_unit = "lb"
    patient.save()
    changed = change_items(history_page(owner_client, patient, "measures", weight))[0]
    assert changed.endswith("Weight: 154.3 lb → 159.8 lb")


def test_still_going_reads_the_diary_local_time(patient, owner, owner_client, _frozen_time):
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    _frozen_time.move_to(dt.datetime(2026, 11, 23, 23, 9, 48, 302000, tzinfo=dt.UTC))
    assert owner_client.post(url("side-effect-still-going", patient, entry.pk)).status_code == 302

    page = history_page(owner_client, patient, "symptoms", entry)
    changed = change_items(page)[0]
    assert changed == f"Changed · {owner} · 23 Nov 2026 23:09 Still going at: — → 23 Nov 2026 23:09"
    assert not INTERNALS.search(shown(page))


def test_times_are_in_the_diary_zone_not_utc(patient, owner, owner_client, _frozen_time):
    patient.time_zone = "Asia/Tokyo"  # UTC+9
    patient.save()
    entry = make_entry(patient, owner, onset=dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC))
    _frozen_time.move_to(dt.datetime(2026, 11, 23, 14, 9, tzinfo=dt.UTC))
    entry.ended_at = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    entries.save(entry, owner)

    changed = change_items(history_page(owner_client, patient, "symptoms", entry))[0]
    assert (
        changed == f"Changed · {owner} · 23 Nov 2026 23:09 Ended: still going → 23 Nov 2026 23:00"
    )


def test_a_later_reading_says_so(patient, owner, owner_client, _frozen_time):
    entry = make_entry(patient, owner, severity=6, onset=local(2026, 11, 23, 8))
    _frozen_time.move_to(local(2026, 11, 23, 14, 25))
    entries.add_reading(entry, 5, local(2026, 11, 23, 14, 20), owner)
    _frozen_time.move_to(local(2026, 11, 23, 18, 5))
    entries.add_reading(entry, 8, local(2026, 11, 23, 18, 0), owner)
    assert ChangeRecord.objects.filter(object_id=entry.pk, action="updated").count() == 2

    page = history_page(owner_client, patient, "symptoms", entry)
    worse, later, added = change_items(page)
    assert later == (
        f"Changed · {owner} · 23 Nov 2026 14:25 "
        "Later severity 5 (moderate) at 14:20; worst so far 6"
    )
    assert worse == (
        f"Changed · {owner} · 23 Nov 2026 18:05 Later severity 8 (severe) at 18:00; worst so far 8"
    )
    assert added.startswith("Added")
    assert not INTERNALS.search(shown(page))


def test_a_reading_of_an_earlier_day_names_the_day(patient, owner, owner_client, _frozen_time):
    entry = make_entry(patient, owner, severity=4, onset=local(2026, 11, 22, 8))
    entries.add_reading(entry, 7, local(2026, 11, 22, 21, 30), owner)

    changed = change_items(history_page(owner_client, patient, "symptoms", entry))[0]
    assert changed.endswith("Later severity 7 (severe) at 22 Nov 2026 21:30; worst so far 7")


def test_same_one_on_the_quick_log_is_a_reading_too(patient, owner, owner_client):
    """“Same one: note how bad it is now” on Today: a reading, never an empty card, even when
    the worst severity does not move."""
    entry = make_entry(patient, owner, severity=5, onset=local(2026, 11, 23, 8))
    data = {"symptom": "headache", "severity": "3", "when": "now", "episode": "same"}
    assert owner_client.post(url("quick-log", patient), data).status_code in (200, 302)
    assert entry.readings.count() == 1 and SymptomEntry.objects.count() == 1

    changed = change_items(history_page(owner_client, patient, "symptoms", entry))[0]
    assert (
        changed
        == f"Changed · {owner} · 23 Nov 2026 12:00 Later severity 3 (mild) at 12:00; worst so far 5"
    )


def test_a_change_with_no_reading_found_is_not_an_empty_card(patient, owner, owner_client):
    """A change that moved only the worst severity, with no reading to explain it (an imported
    diary, say), or a save that changed nothing, still says something."""
    entry = make_entry(patient, owner, severity=3)
    before = diary_history.snapshot(entry)
    SymptomEntry.objects.filter(pk=entry.pk).update(peak_severity=6)
    entry.refresh_from_db()
    diary_history.record(entry, ChangeRecord.Action.UPDATED, owner, before=before)
    same = diary_history.snapshot(entry)
    diary_history.record(entry, ChangeRecord.Action.UPDATED, owner, before=same, after=same)

    nothing, worst, _added = change_items(history_page(owner_client, patient, "symptoms", entry))
    assert worst.endswith("Worst so far: 3 → 6")
    assert nothing.endswith("Saved again; nothing you see changed.")


def test_derived_fields_are_never_listed(patient, owner, owner_client):
    """Moving the start moves the infusion link, the day of cycle and the local date: only the
    start is what the person changed."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 20))
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    data = edit_data(onset="2026-11-19T08:00", helped="Rest", notes="Worse after lunch")
    assert owner_client.post(url("side-effect-edit", patient, entry.pk), data).status_code == 302
    change = ChangeRecord.objects.filter(object_id=entry.pk, action="updated").get()
    assert change.before["infusion_id"] != change.after["infusion_id"]
    assert change.before["local_date"] != change.after["local_date"]

    page = history_page(owner_client, patient, "symptoms", entry)
    changed = change_items(page)[0]
    assert changed.endswith(
        "Started: 23 Nov 2026 08:00 → 19 Nov 2026 08:00 "
        "What helped: — → Rest Notes: — → Worse after lunch"
    )
    assert "nfusion" not in changed and "ycle" not in changed and "ate:" not in changed
    assert not INTERNALS.search(shown(page))


def test_a_symptom_named_in_own_words(patient, owner, owner_client):
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    data = edit_data(symptom="other", custom_symptom="Tingling toes")
    assert owner_client.post(url("side-effect-edit", patient, entry.pk), data).status_code == 302
    changed = change_items(history_page(owner_client, patient, "symptoms", entry))[0]
    assert changed.endswith("Symptom: Headache → Tingling toes")


def test_delete_and_restore_read_as_actions(patient, owner, owner_client, _frozen_time):
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    _frozen_time.move_to(local(2026, 11, 23, 13, 0))
    assert owner_client.post(url("delete", patient, "symptoms", entry.pk)).status_code == 302

    page = history_page(owner_client, patient, "symptoms", entry)
    assert change_items(page)[0] == f"Deleted · {owner} · 23 Nov 2026 13:00"
    assert url("restore", patient, "symptoms", entry.pk) in page  # the Restore button

    _frozen_time.move_to(local(2026, 11, 23, 13, 5))
    assert owner_client.post(url("restore", patient, "symptoms", entry.pk)).status_code == 302
    page = history_page(owner_client, patient, "symptoms", entry)
    assert change_items(page) == [
        f"Restored · {owner} · 23 Nov 2026 13:05",
        f"Deleted · {owner} · 23 Nov 2026 13:00",
        f"Added · {owner} · 23 Nov 2026 12:00",
    ]
    assert not INTERNALS.search(shown(page))


def test_what_the_user_typed_is_escaped(patient, owner, owner_client):
    note = Note(patient=patient, text="Feeling better", rating=1, written_at=NOW)
    entries.save(note, owner)
    data = {
        "text": "<script>alert('x')</script> much better",
        "rating": "2",
        "written_at": "2026-11-23T12:00",
    }
    assert owner_client.post(url("note-edit", patient, note.pk), data).status_code == 302

    page = history_page(owner_client, patient, "notes", note)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; much better" in page
    changed = change_items(page)[0]
    assert changed.endswith(
        "Note: Feeling better → <script>alert('x')</script> much better "
        "Compared with before this infusion: A little better → Better"
    )


def test_a_question_reads_as_a_question(patient, owner, owner_client):
    question = Note(patient=patient, kind="question", text="Can I swim?", written_at=NOW)
    entries.save(question, owner)
    question.text = "Can I swim after the infusion?"
    entries.save(question, owner)
    changed = change_items(history_page(owner_client, patient, "notes", question))[0]
    assert changed.endswith("Question: Can I swim? → Can I swim after the infusion?")


# --- who may read it --------------------------------------------------------------------------


def test_a_caregiver_viewer_can_read_it_and_caregivers_are_named(
    patient, owner, viewer_client, _frozen_time
):
    nurse = UserFactory(display_name="Sam")
    MembershipFactory(patient=patient, user=nurse, role=Membership.Role.CAREGIVER_EDITOR)
    entry = make_entry(patient, owner, onset=local(2026, 11, 23, 8))
    entry.severity = 2
    entries.save(entry, nurse)

    page = history_page(viewer_client, patient, "symptoms", entry)
    assert change_items(page)[0] == (
        "Changed · Sam (caregiver) · 23 Nov 2026 12:00 Severity: 5 (moderate) → 2 (mild)"
    )
    assert url("restore", patient, "symptoms", entry.pk) not in page  # a viewer can't restore


def test_a_stranger_gets_404(patient, owner, stranger_client):
    entry = make_entry(patient, owner)
    for kind in ("symptoms", "notes", "measures", "nonsense"):
        assert stranger_client.get(url("history", patient, kind, entry.pk)).status_code == 404


def test_another_patients_entry_through_my_diary_is_404(patient, owner, owner_client, stranger):
    other_patient = Membership.objects.get(user=stranger).patient
    theirs = make_entry(other_patient, stranger)
    assert owner_client.get(url("history", patient, "symptoms", theirs.pk)).status_code == 404


# --- a bounded number of queries ------------------------------------------------------------------


def _page_queries(client, patient, kind, record) -> int:
    with CaptureQueriesContext(connection) as queries:
        history_page(client, patient, kind, record)
    return len(queries)


@pytest.mark.parametrize("kind", ["symptoms", "measures"])
def test_queries_do_not_grow_with_the_number_of_changes(
    patient, owner, owner_client, django_assert_max_num_queries, _frozen_time, kind
):
    def make():
        if kind == "symptoms":
            return make_entry(patient, owner, severity=0, onset=local(2026, 11, 20, 8))
        return mgadl(patient, owner, [0] * 8, when=local(2026, 11, 20, 8))

    def change(record, n):
        _frozen_time.move_to(local(2026, 11, 21, 8) + dt.timedelta(minutes=10 * n))
        if kind == "symptoms":
            if n % 2:
                entries.add_reading(record, n % 11, local(2026, 11, 21, 8), owner)
            else:
                record.severity = n % 11
                entries.save(record, owner)
        else:
            record.answers = record.answers | {"talking": n % 4}
            record.value = sum(record.answers.values())
            entries.save(record, owner)

    one = make()
    change(one, 1)
    few = _page_queries(owner_client, patient, kind, one)

    many = make()
    for n in range(1, 31):
        change(many, n)
    assert ChangeRecord.objects.filter(object_id=many.pk, model__contains=kind[:6]).count() >= 31
    with django_assert_max_num_queries(few):
        page = history_page(owner_client, patient, kind, many)
    items = change_items(page)
    assert len(items) == 31
    assert not any(item.endswith("nothing you see changed.") for item in items)
    if kind == "symptoms":  # every reading found, each with its own change
        assert sum("Later severity" in item for item in items) == 15
    with django_assert_max_num_queries(12):
        history_page(owner_client, patient, kind, one)


# --- snapshots as an import may bring them (a reviewer's cases) --------------------------------
# A change record keeps what was stored at the time, and an import keeps it as written: a value
# that cannot be read as its field today shows as stored, and the page never fails.


def _odd_change(record, before, after):
    return ChangeRecord.objects.create(
        patient_id=record.patient_id,
        model=record._meta.label_lower,
        object_id=record.pk,
        action=ChangeRecord.Action.UPDATED,
        before=before,
        after=after,
    )


SYMPTOM_CASES = {
    "old_names": ({"severity_level": 3, "started": "x"}, {"severity_level": 4}),
    "none_values": (
        {"severity": None, "onset": None, "symptom": None},
        {"severity": 5, "onset": "2026-11-23T12:00:00Z", "symptom": "headache"},
    ),
    "string_severity": ({"severity": "five"}, {"severity": "6"}),
    "out_of_range": ({"severity": 11}, {"severity": -1}),
    "float_severity": ({"severity": 5.5}, {"severity": 7}),
    "bool_severity": ({"severity": True}, {"severity": 7}),
    "unknown_symptom": ({"symptom": "zzz"}, {"symptom": "headache"}),
    "int_symptom": ({"symptom": 3}, {"symptom": "headache"}),
    "list_detail": ({"detail": ["face"]}, {"detail": "legs"}),
    "naive_time": ({"onset": "2026-11-23T08:00:00"}, {"onset": "2026-11-23T09:00:00Z"}),
    "bad_time": ({"onset": "yesterday"}, {"onset": "2026-11-23T09:00:00Z"}),
    "int_time": ({"onset": 5}, {"onset": "2026-11-23T09:00:00Z"}),
    "ended_bad": ({"ended_at": "garbage"}, {"ended_at": None}),
    "not_dict_before": ("text", {"severity": 3}),
    "list_before": ([1, 2], {"severity": 3}),
    "peak_str": ({"peak_severity": "a"}, {"peak_severity": "b"}),
    "still_going_at_dict": ({"still_going_at": {"a": 1}}, {"still_going_at": None}),
    "notes_int": ({"notes": 5}, {"notes": "x"}),
}


@pytest.mark.parametrize("case", list(SYMPTOM_CASES))
def test_odd_side_effect_snapshots_never_fail_the_page(patient, owner, owner_client, case):
    entry = SymptomEntry(patient=patient, symptom="headache", severity=5, onset=NOW)
    entries.save(entry, owner)
    _odd_change(entry, *SYMPTOM_CASES[case])
    url = reverse("diary:history", args=[patient.public_id, "symptoms", entry.pk])
    assert owner_client.get(url).status_code == 200


MEASURE_CASES = {
    "answers_list": (
        {"kind": "mgadl", "value": "3", "answers": [1, 2]},
        {"kind": "mgadl", "value": "4", "answers": {"talking": 2}},
    ),
    "answers_str": (
        {"kind": "mgadl", "value": "3", "answers": "x"},
        {"kind": "mgadl", "value": "4", "answers": None},
    ),
    "answer_list_value": (
        {"kind": "mgadl", "value": "3", "answers": {"talking": [1]}},
        {"kind": "mgadl", "value": "4", "answers": {"talking": 2}},
    ),
    "answer_dict_value": (
        {"kind": "incat", "value": "3", "answers": {"arms": {"a": 1}}},
        {"kind": "incat", "value": "4", "answers": {"arms": 2, "legs": 2}},
    ),
    "value_str": ({"kind": "weight", "value": "abc"}, {"kind": "weight", "value": "70.00"}),
    "value_nan": ({"kind": "mgadl", "value": "NaN"}, {"kind": "mgadl", "value": "4"}),
    "value_inf_gbs": (
        {"kind": "gbs_disability", "value": "Infinity"},
        {"kind": "gbs_disability", "value": "4"},
    ),
    "old_kind": ({"kind": "pain_score", "value": "3"}, {"kind": "pain_score", "value": "4"}),
    "kind_none": ({"kind": None, "value": "3"}, {"kind": None, "value": "4"}),
    "custom": (
        {"kind": "custom", "name": "IgG", "value": "8.00", "unit": "g/L"},
        {"kind": "custom", "name": "IgG", "value": "9.50", "unit": "g/L"},
    ),
    "custom_no_name": ({"kind": "custom", "value": "8"}, {"kind": "custom", "value": "9"}),
    "incat_answers_only": (
        {"kind": "incat", "value": "3", "answers": {"arms": 1, "legs": 2}},
        {"kind": "incat", "value": "3", "answers": {"arms": 2, "legs": 1}},
    ),
    "incat_str_scores": (
        {"kind": "incat", "value": "3", "answers": {"arms": "1", "legs": "2"}},
        {"kind": "incat", "value": "3", "answers": {"arms": "2", "legs": None}},
    ),
    "grip_value_right_str": (
        {"kind": "grip", "value": "30", "value_right": "x", "unit": "kg"},
        {"kind": "grip", "value": "31", "value_right": "32", "unit": "kg"},
    ),
    "value_int": ({"kind": "weight", "value": 70}, {"kind": "weight", "value": 71.5}),
    "value_bool": ({"kind": "weight", "value": True}, {"kind": "weight", "value": 71.5}),
    "value_list": ({"kind": "weight", "value": [1]}, {"kind": "weight", "value": 71.5}),
    "value_huge_lb": ({"kind": "weight", "value": "1e40"}, {"kind": "weight", "value": "70"}),
    "measured_at_bad": (
        {"kind": "weight", "value": "70", "measured_at": "x"},
        {"kind": "weight", "value": "70", "measured_at": "2026-11-23T09:00:00Z"},
    ),
}


@pytest.mark.parametrize("case", list(MEASURE_CASES))
def test_odd_measure_snapshots_never_fail_the_page(patient, owner, owner_client, case):
    if case == "value_huge_lb":
        patient.weight_unit = "lb"
        patient.save()
    measure = Measure(
        patient=patient, kind="mgadl", value=3, answers={"talking": 1}, measured_at=NOW
    )
    entries.save(measure, owner)
    _odd_change(measure, *MEASURE_CASES[case])
    url = reverse("diary:history", args=[patient.public_id, "measures", measure.pk])
    assert owner_client.get(url).status_code == 200


NOTE_CASES = {
    "rating_str": (
        {"rating": "better", "kind": "improvement"},
        {"rating": 2, "kind": "improvement"},
    ),
    "rating_out": ({"rating": 9}, {"rating": 2}),
    "kind_unknown": ({"kind": "diary"}, {"kind": "question"}),
    "answered_bad": ({"answered_at": "x"}, {"answered_at": "2026-11-23T09:00:00Z"}),
}


@pytest.mark.parametrize("case", list(NOTE_CASES))
def test_odd_note_snapshots_never_fail_the_page(patient, owner, owner_client, case):
    note = Note(patient=patient, kind="improvement", text="hi", written_at=NOW)
    entries.save(note, owner)
    _odd_change(note, *NOTE_CASES[case])
    url = reverse("diary:history", args=[patient.public_id, "notes", note.pk])
    assert owner_client.get(url).status_code == 200


def test_a_side_effect_in_own_words_renamed_says_so(patient, owner, owner_client):
    with time_machine.travel(NOW, tick=False):
        entry = SymptomEntry(
            patient=patient,
            symptom="other",
            custom_symptom="zorblat",
            severity=3,
            onset=local(2026, 11, 23, 8),
        )
        entries.save(entry, owner)
        response = owner_client.post(
            reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk]),
            edit_data(
                symptom="other", custom_symptom="quibblefrump", severity="3", keep_typed="on"
            ),
        )
        assert response.status_code == 302
        items = change_items(history_page(owner_client, patient, "symptoms", entry))
    assert "zorblat → quibblefrump" in items[0], items
    assert "Saved again" not in items[0]
