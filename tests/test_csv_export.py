"""The CSV export (issue 10 §2): what each file of the zip holds, on crafted data with known
answers; formula injection neutralised in every free-text field; only the diary's own live rows,
by local date; a fixed number of queries. The file name helper is tested here too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from diary import entries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading
from infusions.models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    Product,
    RateStep,
)
from patients.models import Patient, User
from reports import csv_export, exports

from .factories import InfusionFactory, MembershipFactory, PatientFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
# London's clocks go forward at 01:00 UTC on Sunday 29 March 2026.
NOW = dt.datetime(2026, 4, 20, 12, 0, tzinfo=dt.UTC)
FILES = [
    "infusions.csv",
    "side_effects.csv",
    "side_effect_readings.csv",
    "measures.csv",
    "notes_and_questions.csv",
    "red_flag_events.csv",
]


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def read_zip(data: bytes) -> dict[str, list[dict]]:
    """Every CSV of the zip parsed back (header checked against the module's), README aside."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == sorted([*FILES, "README.txt"])
    tables = {}
    for table in csv_export.TABLES:
        raw = archive.read(table.filename)
        assert raw.startswith(b"\xef\xbb\xbf"), f"{table.filename} has no BOM"
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert rows[0] == table.headers
        tables[table.filename] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    return tables


def export(patient, since=dt.date(2026, 3, 1), until=dt.date(2026, 4, 30)):
    return read_zip(csv_export.build_zip(patient, since, until))


def infusion(patient, day, start=dt.time(9), end=dt.time(13), **fields):
    return InfusionFactory(patient=patient, date=day, start_time=start, end_time=end, **fields)


def save(record, user):
    entries.save(record, user)
    record.refresh_from_db()
    return record


# --- crafted data with known answers --------------------------------------------------------------


@pytest.fixture
def diary(patient, owner):
    """A two-day course on 28-29 March 2026, across London's change to summer time, and one of
    each kind of record around it."""
    owner.display_name = "Sam"
    owner.save()
    day1 = infusion(patient, dt.date(2026, 3, 28), logged_by=owner, nurse="Jo", notes="ok")
    day2 = infusion(patient, dt.date(2026, 3, 29), end=None, weight_kg=None)
    day1.refresh_from_db()
    InfusionLot.objects.create(
        infusion=day1,
        lot_number="A123",
        expiry=dt.date(2027, 1, 31),
        vial_size_g=Decimal("10"),
        vial_count=3,
    )
    InfusionLot.objects.create(infusion=day1, lot_number="B456")
    for minutes, rate, unit in [(0, "0.5", "mL/kg/h"), (30, "1", "mL/kg/h"), (60, "100", "mL/h")]:
        RateStep.objects.create(infusion=day1, minutes_from_start=minutes, rate=rate, unit=unit)
    RateStep.objects.create(infusion=day2, minutes_from_start=30, rate="2", unit="mL/kg/h")
    Premedication.objects.create(
        infusion=day1, name="Paracetamol", dose="1 g", taken_at=dt.time(8, 30)
    )
    InfusionReaction.objects.create(
        infusion=day1, symptom="headache", severity=3, minutes_from_start=45, action="slowed"
    )

    things = {"day1": day1, "day2": day2}
    # 00:30 GMT on the day of the change, before day 2's infusion.
    things["early"] = save(
        SymptomEntry(patient=patient, symptom="fatigue", severity=3, onset=utc(2026, 3, 29, 0, 30)),
        owner,
    )
    # 00:30 BST on 31 March is still 30 March in UTC.
    headache = save(
        SymptomEntry(
            patient=patient,
            symptom="headache",
            severity=4,
            onset=utc(2026, 3, 30, 23, 30),
            ended_at=utc(2026, 3, 31, 5),
            helped="rest",
        ),
        owner,
    )
    entries.add_reading(headache, 6, utc(2026, 3, 31, 1), owner)
    headache.refresh_from_db()
    things["headache"] = headache
    # Written in New York (the diary's zone then): 22:00 on 31 March there, 03:00 on 1 April
    # in London.
    things["note"] = save(
        Note(
            patient=patient,
            kind=Note.Kind.IMPROVEMENT,
            text="Better legs",
            rating=-2,
            written_at=utc(2026, 4, 1, 2),
            time_zone="America/New_York",
        ),
        owner,
    )
    things["question"] = save(
        Note(
            patient=patient,
            kind=Note.Kind.QUESTION,
            text="Shorter interval?",
            written_at=london(2026, 4, 2, 10),
            answer="Discuss in May",
            answered_at=london(2026, 4, 10, 15),
        ),
        owner,
    )
    mgadl_answers = {
        "talking": 1,
        "chewing": 0,
        "swallowing": 2,
        "breathing": 0,
        "brush_teeth_comb_hair": 1,
        "rise_from_chair": 1,
        "double_vision": 3,
        "eyelid_droop": 2,
    }
    things["baseline"] = save(
        Measure(
            patient=patient,
            kind="mgadl",
            value=10,
            answers=mgadl_answers,
            measured_at=london(2026, 3, 27, 19),
        ),
        owner,
    )
    # The morning of the course's first day, before its infusion: no cycle yet.
    things["trough"] = save(
        Measure(
            patient=patient,
            kind="weight",
            value=Decimal("68.4"),
            measured_at=london(2026, 3, 28, 8),
        ),
        owner,
    )
    things["grip"] = save(
        Measure(
            patient=patient,
            kind="grip",
            value=Decimal("30"),
            value_right=Decimal("28.5"),
            unit="kg",
            measured_at=london(2026, 4, 2, 9),
        ),
        owner,
    )
    things["incat"] = save(
        Measure(
            patient=patient,
            kind="incat",
            value=3,
            answers={"arms": 1, "legs": 2},
            measured_at=london(2026, 4, 3, 9),
        ),
        owner,
    )
    event = RedFlagEvent.objects.create(
        patient=patient,
        rule="thrombosis",
        source=RedFlagEvent.Source.DIARY,
        started_at=utc(2026, 3, 30, 23, 30),
        last_at=utc(2026, 3, 31, 1),
        signs=[{"code": "chest_pain", "label": "Chest pain", "severity": 7}],
        hours_since_infusion=38.5,
        infusion=day2,
        handled_at=utc(2026, 3, 31, 2),
        handled_by=owner,
        handled_how=RedFlagEvent.Handled.CONTACTED,
    )
    event.entries.add(headache)
    things["event"] = event
    return things


def test_it_writes_one_row_per_infusion_day_with_lots_steps_premedication_and_reactions(diary):
    rows = export(diary["day1"].patient)["infusions.csv"]
    assert [r["uid"] for r in rows] == [str(diary["day1"].uid), str(diary["day2"].uid)]
    day1, day2 = rows
    assert {k: day1[k] for k in list(day1)[:7]} == {
        "uid": str(diary["day1"].uid),
        "local_date": "2026-03-28",
        "local_time": "09:00",
        "time_zone": "Europe/London",
        "utc": "2026-03-28T09:00:00Z",  # GMT
        "day_after_infusion": "0",
        "day_of_cycle": "0",
    }
    assert day1["end_local_time"] == "13:00"
    assert day1["end_utc"] == "2026-03-28T13:00:00Z"
    assert day1["course_first_day"] == "2026-03-28"
    assert day1["product"] == "Privigen"
    assert day1["custom_product"] == "no"
    assert day1["route"] == "IV"
    assert day1["concentration_percent"] == "10"
    assert (day1["dose_g"], day1["weight_kg"], day1["dose_g_per_kg"]) == ("35", "68", "0.51")
    assert day1["volume_ml"] == "350"
    # 100 mL/h for 68 kg is 1.47 mL/kg/h: the fastest step.
    assert day1["highest_rate_ml_per_kg_h"] == "1.5"
    assert day1["place"] == "At home"
    assert day1["nurse"] == "Jo"
    assert day1["notes"] == "ok"
    assert day1["logged_by"] == "Sam"
    assert day1["lots"] == "A123 (expiry 2027-01-31, 3 × 10 g); B456 (no expiry)"
    assert day1["rate_steps"] == (
        "09:00 (+0 min) 0.5 mL/kg/h; 09:30 (+30 min) 1 mL/kg/h; 10:00 (+60 min) 100 mL/h"
    )
    assert day1["premedication"] == "Paracetamol 1 g at 08:30"
    assert day1["reactions"] == "Headache 3/10, +45 min, Infusion slowed"
    # Day 2 is in summer time: 09:00 in London is 08:00 UTC.
    assert (day2["local_date"], day2["local_time"], day2["utc"]) == (
        "2026-03-29",
        "09:00",
        "2026-03-29T08:00:00Z",
    )
    assert (day2["day_after_infusion"], day2["day_of_cycle"]) == ("0", "1")
    assert (day2["end_local_time"], day2["end_utc"]) == ("", "")
    assert (day2["weight_kg"], day2["dose_g_per_kg"], day2["highest_rate_ml_per_kg_h"]) == (
        "",
        "",
        "2",
    )
    assert day2["rate_steps"] == "09:30 (+30 min) 2 mL/kg/h"
    assert day2["lots"] == day2["premedication"] == day2["reactions"] == ""
    assert day2["logged_by"] == ""


def test_it_gives_side_effects_local_and_utc_times_across_the_change_to_summer_time(diary):
    tables = export(diary["day1"].patient)
    early, headache = tables["side_effects.csv"]
    assert early["uid"] == str(diary["early"].uid)
    assert (early["local_date"], early["local_time"], early["utc"]) == (
        "2026-03-29",
        "00:30",
        "2026-03-29T00:30:00Z",
    )
    # Before day 2's infusion, on day 2 of the course: the course had begun (day 1 of its
    # cycle), one day after the first day's infusion.
    assert (early["day_after_infusion"], early["day_of_cycle"]) == ("1", "1")
    assert early["still_going"] == "yes"
    assert (early["ended_local"], early["ended_utc"]) == ("", "")

    assert (headache["local_date"], headache["local_time"], headache["utc"]) == (
        "2026-03-31",
        "00:30",
        "2026-03-30T23:30:00Z",
    )
    assert (headache["day_after_infusion"], headache["day_of_cycle"]) == ("2", "3")
    assert headache["symptom_code"] == "headache"
    assert headache["symptom"] == "Headache"
    assert headache["custom_symptom"] == ""
    assert (headache["severity"], headache["worst_severity"], headache["latest_severity"]) == (
        "4",
        "6",
        "6",
    )
    assert headache["later_readings"] == "1"
    assert headache["ended_local"] == "2026-03-31 06:00"
    assert headache["ended_utc"] == "2026-03-31T05:00:00Z"
    assert headache["still_going"] == "no"
    assert headache["helped"] == "rest"
    assert headache["red_flag"] == "no"  # the event was made by hand, not by the rules
    assert headache["infusion_uid"] == str(diary["day2"].uid)
    assert headache["logged_by"] == "Sam"

    (reading,) = tables["side_effect_readings.csv"]
    stored = SymptomReading.objects.get(entry=diary["headache"])
    assert reading == {
        "uid": str(stored.uid),
        "local_date": "2026-03-31",
        "local_time": "02:00",
        "time_zone": "Europe/London",
        "utc": "2026-03-31T01:00:00Z",
        "day_after_infusion": "2",
        "day_of_cycle": "3",
        "side_effect_uid": str(diary["headache"].uid),
        "symptom": "Headache",
        "severity": "6",
        "logged_by": "Sam",
    }


def test_an_entry_keeps_the_zone_it_was_logged_in(diary):
    (note, question) = export(diary["day1"].patient)["notes_and_questions.csv"]
    assert note["uid"] == str(diary["note"].uid)
    assert (note["local_date"], note["local_time"], note["time_zone"], note["utc"]) == (
        "2026-03-31",
        "22:00",
        "America/New_York",
        "2026-04-01T02:00:00Z",
    )
    assert (note["day_after_infusion"], note["day_of_cycle"]) == ("2", "3")
    assert note["kind"] == "improvement"
    assert note["text"] == "Better legs"
    # A number written by the export stays a number, even a negative one.
    assert (note["rating"], note["rating_words"]) == ("-2", "Worse")
    assert question["kind"] == "question"
    assert question["answer"] == "Discuss in May"
    assert question["answered_local"] == "2026-04-10 15:00"
    assert question["answered_utc"] == "2026-04-10T14:00:00Z"
    assert question["rating"] == question["rating_words"] == ""


def test_measures_have_their_items_and_sides(diary):
    baseline, trough, grip, incat = export(diary["day1"].patient)["measures.csv"]
    assert baseline["uid"] == str(diary["baseline"].uid)
    assert (baseline["day_after_infusion"], baseline["day_of_cycle"]) == ("", "")
    assert (baseline["kind"], baseline["measure"], baseline["value"]) == (
        "mgadl",
        "MG-ADL score",
        "10",
    )
    assert [baseline[c] for c in csv_export.MGADL_COLUMNS] == [
        "1",
        "0",
        "2",
        "0",
        "1",
        "1",
        "3",
        "2",
    ]
    assert baseline["mgadl_total"] == "10"
    assert baseline["grip_left"] == baseline["incat_total"] == ""
    # Before the first infusion started, on its day: no infusion had been given, no cycle yet.
    assert (trough["local_time"], trough["utc"]) == ("08:00", "2026-03-28T08:00:00Z")
    assert (trough["day_after_infusion"], trough["day_of_cycle"]) == ("", "")
    assert (trough["kind"], trough["value"], trough["unit"]) == ("weight", "68.4", "kg")
    assert (grip["grip_left"], grip["grip_right"], grip["unit"]) == ("30", "28.5", "kg")
    assert grip["mgadl_total"] == ""
    assert (incat["incat_arms"], incat["incat_legs"], incat["incat_total"]) == ("1", "2", "3")
    assert (incat["local_time"], incat["utc"]) == ("09:00", "2026-04-03T08:00:00Z")


def test_red_flag_events_say_the_signs_the_advice_and_what_was_done(diary):
    (event,) = export(diary["day1"].patient)["red_flag_events.csv"]
    assert event["uid"] == str(diary["event"].uid)
    assert (event["local_date"], event["local_time"], event["utc"]) == (
        "2026-03-31",
        "00:30",
        "2026-03-30T23:30:00Z",
    )
    assert (event["day_after_infusion"], event["day_of_cycle"]) == ("2", "3")
    assert event["last_sign_local"] == "2026-03-31 02:00"
    assert event["rule"] == "thrombosis"
    assert event["warning"].startswith("Chest pain, sudden breathlessness")
    assert event["emergency"] == "yes"
    assert event["advice"].startswith("Call emergency services now: chest pain")
    assert (event["signs"], event["sign_codes"]) == ("Chest pain 7/10", "chest_pain")
    assert event["hours_since_infusion"] == "38.5"
    assert event["infusion_uid"] == str(diary["day2"].uid)
    assert event["side_effect_uids"] == str(diary["headache"].uid)
    assert event["status"] == "dealt with"
    assert event["handled_how"] == "Contacted the care team"
    assert (event["handled_local"], event["handled_utc"]) == (
        "2026-03-31 03:00",
        "2026-03-31T02:00:00Z",
    )
    assert event["handled_by"] == "Sam"


def test_the_period_is_by_local_date_both_days_included(diary):
    patient = diary["day1"].patient
    # 31 March in London, though 30 March in UTC: in a period starting on the 31st.
    tables = export(patient, dt.date(2026, 3, 31), dt.date(2026, 3, 31))
    assert [r["uid"] for r in tables["side_effects.csv"]] == [str(diary["headache"].uid)]
    assert [r["uid"] for r in tables["red_flag_events.csv"]] == [str(diary["event"].uid)]
    # The note was written on 31 March in New York, its own zone.
    assert [r["uid"] for r in tables["notes_and_questions.csv"]] == [str(diary["note"].uid)]
    assert tables["infusions.csv"] == tables["measures.csv"] == []
    tables = export(patient, dt.date(2026, 3, 28), dt.date(2026, 3, 30))
    assert len(tables["infusions.csv"]) == 2
    assert [r["uid"] for r in tables["side_effects.csv"]] == [str(diary["early"].uid)]
    assert tables["red_flag_events.csv"] == tables["side_effect_readings.csv"] == []
    assert [r["uid"] for r in tables["measures.csv"]] == [str(diary["trough"].uid)]
    tables = export(patient, dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert [r["uid"] for r in tables["infusions.csv"]] == [str(diary["day2"].uid)]
    with pytest.raises(ValueError):
        csv_export.build_zip(patient, dt.date(2026, 4, 2), dt.date(2026, 4, 1))


def test_another_diarys_and_deleted_rows_never_appear(diary, owner):
    patient = diary["day1"].patient
    other = PatientFactory(name="Other")
    theirs = {
        infusion(other, dt.date(2026, 3, 28)).uid,
        save(
            SymptomEntry(patient=other, symptom="fatigue", severity=2, onset=utc(2026, 3, 30, 9)),
            owner,
        ).uid,
        save(
            Measure(patient=other, kind="weight", value=70, measured_at=utc(2026, 3, 30)), owner
        ).uid,
        save(Note(patient=other, text="theirs", written_at=utc(2026, 3, 30)), owner).uid,
        RedFlagEvent.objects.create(
            patient=other,
            rule="kidney",
            started_at=utc(2026, 3, 30),
            last_at=utc(2026, 3, 30),
            signs=[{"code": "less_urine", "severity": 6}],
        ).uid,
    }
    entries.delete(diary["early"], owner)
    entries.delete(diary["question"], owner)
    Infusion.objects.filter(pk=diary["day2"].pk).delete()  # soft, as the Delete button does
    text = zipfile_text(csv_export.build_zip(patient, dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    for uid in theirs | {diary["early"].uid, diary["question"].uid, diary["day2"].uid}:
        assert str(uid) not in text
    assert str(diary["day1"].uid) in text
    assert "theirs" not in text


def zipfile_text(data: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())


def test_an_empty_diary_gives_headers_only(patient):
    data = csv_export.build_zip(patient, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    tables = read_zip(data)
    assert all(rows == [] for rows in tables.values())
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in FILES:
        raw = archive.read(name)
        assert raw.count(b"\r\n") == 1 and raw.endswith(b"\r\n")  # the header, CRLF
    readme = archive.read("README.txt").decode("utf-8-sig")
    for table in csv_export.TABLES:
        assert table.filename in readme
        for header in table.headers:
            assert f"\r\n{header}: " in readme


# --- formula injection ----------------------------------------------------------------------------

PAYLOADS = ['=HYPERLINK("http://x.test","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")

# Every free-text field of every record the CSV export reads (a user may type into it, or an
# import may set it). A new one fails test_every_free_text_field_is_in_the_hostile_test.
HOSTILE_FIELDS = {
    Product: {"name"},
    Infusion: {"nurse", "hydration", "notes"},
    InfusionLot: {"lot_number"},
    Premedication: {"name", "dose"},
    InfusionReaction: {"symptom", "medication"},
    SymptomEntry: {"symptom", "custom_symptom", "detail", "helped", "notes"},
    Note: {"text", "answer"},
    Measure: {"name", "unit", "notes"},
    RedFlagEvent: {"rule"},
    RateStep: set(),
    SymptomReading: set(),
}


def test_every_free_text_field_is_in_the_hostile_test():
    for model, covered in HOSTILE_FIELDS.items():
        free_text = {
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and f.editable and not f.choices
        }
        assert free_text == covered, model.__name__


def fit(model, field: str, text: str) -> str:
    """The text cut to the field's length (PostgreSQL refuses longer): its start stays."""
    max_length = model._meta.get_field(field).max_length
    return text[:max_length] if max_length else text


def hostile_diary(payload: str):
    """A diary with the payload in every free-text field (and the names shown next to rows)."""
    user = UserFactory(display_name=payload)
    patient = PatientFactory(name=payload)
    MembershipFactory(user=user, patient=patient, is_self=True)

    def text(model, field):
        return fit(model, field, payload)

    product = Product.objects.create(
        patient=patient, name=text(Product, "name"), route="IV", concentration_percent=10
    )
    given = infusion(
        patient,
        dt.date(2026, 3, 28),
        product=product,
        logged_by=user,
        **{f: text(Infusion, f) for f in HOSTILE_FIELDS[Infusion]},
    )
    InfusionLot.objects.create(infusion=given, lot_number=text(InfusionLot, "lot_number"))
    Premedication.objects.create(
        infusion=given, **{f: text(Premedication, f) for f in HOSTILE_FIELDS[Premedication]}
    )
    InfusionReaction.objects.create(
        infusion=given,
        severity=2,
        **{f: text(InfusionReaction, f) for f in HOSTILE_FIELDS[InfusionReaction]},
    )
    RateStep.objects.create(infusion=given, minutes_from_start=0, rate=1)
    named = save(
        SymptomEntry(
            patient=patient,
            severity=3,
            onset=utc(2026, 3, 29, 10),
            **{f: text(SymptomEntry, f) for f in HOSTILE_FIELDS[SymptomEntry] - {"symptom"}},
            symptom=SymptomEntry.OTHER,
        ),
        user,
    )
    entries.add_reading(named, 4, utc(2026, 3, 29, 12), user)
    coded = save(  # a symptom code outside the catalog, as an import could bring
        SymptomEntry(
            patient=patient,
            severity=3,
            onset=utc(2026, 3, 29, 11),
            symptom=text(SymptomEntry, "symptom"),
        ),
        user,
    )
    save(
        Note(
            patient=patient,
            kind=Note.Kind.QUESTION,
            written_at=utc(2026, 3, 30, 9),
            answered_at=utc(2026, 3, 31, 9),
            **{f: text(Note, f) for f in HOSTILE_FIELDS[Note]},
        ),
        user,
    )
    save(
        Measure(
            patient=patient,
            kind=Measure.Kind.CUSTOM,
            value=5,
            measured_at=utc(2026, 3, 30, 9),
            **{f: text(Measure, f) for f in HOSTILE_FIELDS[Measure]},
        ),
        user,
    )
    # JSON that only numbers belong in, with text in it.
    save(
        Measure(
            patient=patient,
            kind=Measure.Kind.INCAT,
            value=1,
            answers={"arms": payload, "legs": 1},
            measured_at=utc(2026, 3, 30, 10),
        ),
        user,
    )
    event = RedFlagEvent.objects.create(
        patient=patient,
        rule=text(RedFlagEvent, "rule"),
        started_at=utc(2026, 3, 29, 10),
        last_at=utc(2026, 3, 29, 10),
        signs=[{"code": payload, "label": payload, "severity": 8}],
        infusion=given,
        handled_at=utc(2026, 3, 29, 11),
        handled_by=user,
        handled_how=RedFlagEvent.Handled.CHECKED,
    )
    event.entries.add(named, coded)
    return patient


# (file, column) -> the row's cell begins with the neutralised payload.
HOSTILE_CELLS = {
    "infusions.csv": [
        "product",
        "nurse",
        "hydration",
        "notes",
        "lots",
        "premedication",
        "reactions",
        "logged_by",
    ],
    "side_effects.csv": ["symptom_code", "symptom", "custom_symptom", "detail", "helped", "notes"],
    "side_effect_readings.csv": ["symptom", "logged_by"],
    "measures.csv": ["measure", "unit", "notes", "logged_by"],
    "notes_and_questions.csv": ["text", "answer", "logged_by"],
    "red_flag_events.csv": ["rule", "warning", "signs", "sign_codes", "handled_by"],
}


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_every_cell_with_hostile_text_is_neutralised(db, payload):
    patient = hostile_diary(payload)
    tables = export(patient)
    for filename, columns in HOSTILE_CELLS.items():
        rows = tables[filename]
        assert rows, filename
        for column in columns:
            # What was typed is there, after the quote that makes it text.
            cells = [row[column] for row in rows]
            assert any(value.startswith("'" + payload[:3]) for value in cells), (
                filename,
                column,
                cells,
            )
    # No cell of any file begins like a formula.
    for filename, rows in tables.items():
        for row in rows:
            for column, value in row.items():
                assert not value.startswith(DANGEROUS), (filename, column, value)
    (incat,) = [r for r in tables["measures.csv"] if r["kind"] == "incat"]
    assert (incat["incat_arms"], incat["incat_legs"]) == ("", "1")
    # The name in the file name is a slug: nothing of the formula is left at its start.
    name = exports.download_name(patient, dt.date(2026, 3, 1), dt.date(2026, 4, 30), "zip")
    assert name.startswith("diary-") and name.endswith("-2026-03-01-2026-04-30.zip")
    assert not any(c in name for c in "=+@\t\r\n\"'/\\ ")


def test_neutralise_follows_the_rule():
    for text in ["=1", "+1", "-1", "@A", "\t=1", "\r=1", "\n=1", "＝1"]:
        assert csv_export.neutralise(text) == "'" + text
    for text in ["1", "a=1", " =1", "'=1", "", "Paracetamol"]:
        assert csv_export.neutralise(text) == text
    # Numbers the export writes itself are numbers, negative or not.
    assert csv_export.cell(-2) == "-2"
    assert csv_export.cell(Decimal("-1.50")) == "-1.5"
    assert csv_export.cell("-2") == "'-2"
    assert csv_export.cell(True) == "yes"
    assert csv_export.cell(None) == ""
    assert csv_export.cell(dt.date(2026, 3, 1)) == "2026-03-01"
    assert csv_export.cell(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
    with pytest.raises(TypeError):
        csv_export.cell(utc(2026, 3, 1))


# --- queries --------------------------------------------------------------------------------------


def populate(patient: Patient, user: User, count: int) -> None:
    """``count`` courses of one day, each with a lot, a step, a premedication and a reaction,
    a side effect with a reading, a measure, a note and a warning."""
    for n in range(count):
        day = dt.date(2026, 3, 2) + dt.timedelta(days=7 * n)
        given = infusion(patient, day, logged_by=user)
        InfusionLot.objects.create(infusion=given, lot_number=f"L{n}")
        RateStep.objects.create(infusion=given, minutes_from_start=0, rate=1)
        Premedication.objects.create(infusion=given, name="Paracetamol")
        InfusionReaction.objects.create(infusion=given, symptom="chills", severity=2)
        at = london(day.year, day.month, day.day, 18)
        entry = save(SymptomEntry(patient=patient, symptom="fatigue", severity=2, onset=at), user)
        entries.add_reading(entry, 3, at + dt.timedelta(hours=1), user)
        save(Measure(patient=patient, kind="weight", value=68, measured_at=at), user)
        save(Note(patient=patient, text=f"note {n}", written_at=at), user)
        event = RedFlagEvent.objects.create(
            patient=patient,
            rule="kidney",
            started_at=at,
            last_at=at,
            signs=[{"code": "less_urine", "severity": 6}],
            infusion=given,
            handled_by=user,
        )
        event.entries.add(entry)


@pytest.mark.parametrize("count", [1, 5])
def test_it_runs_a_fixed_number_of_queries(count, owner, patient):
    populate(patient, owner, count)
    with CaptureQueriesContext(connection) as queries:
        tables = read_zip(csv_export.build_zip(patient, dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert all(len(rows) == count for rows in tables.values())
    # Members, infusion index, infusions + lots, steps, premedications, reactions, side effects
    # + readings, measures, notes, warnings + their side effects.
    assert len(queries) == 13, [q["sql"] for q in queries]


# --- the file name --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "filename", "header"),
    [
        (
            "Maya",
            "diary-maya-2026-11-02-2026-11-20.zip",
            'attachment; filename="diary-maya-2026-11-02-2026-11-20.zip"',
        ),
        (
            "Zoë Ann",
            "diary-zoë-ann-2026-11-02-2026-11-20.zip",
            'attachment; filename="diary-zoe-ann-2026-11-02-2026-11-20.zip"; '
            "filename*=UTF-8''diary-zo%C3%AB-ann-2026-11-02-2026-11-20.zip",
        ),
        (
            "李雷",
            "diary-李雷-2026-11-02-2026-11-20.zip",
            'attachment; filename="diary-patient-2026-11-02-2026-11-20.zip"; '
            "filename*=UTF-8''diary-%E6%9D%8E%E9%9B%B7-2026-11-02-2026-11-20.zip",
        ),
        (
            '../"evil"\r\nX: y',
            "diary-evil-x-y-2026-11-02-2026-11-20.zip",
            'attachment; filename="diary-evil-x-y-2026-11-02-2026-11-20.zip"',
        ),
        (
            "!!!",
            "diary-patient-2026-11-02-2026-11-20.zip",
            'attachment; filename="diary-patient-2026-11-02-2026-11-20.zip"',
        ),
    ],
)
def test_download_names_are_safe_slugs(db, name, filename, header):
    patient = PatientFactory(name=name)
    got = exports.download_name(patient, dt.date(2026, 11, 2), dt.date(2026, 11, 20), "zip")
    assert got == filename
    assert exports.content_disposition(got) == header


def test_download_name_refuses_an_odd_extension(patient):
    with pytest.raises(ValueError):
        exports.download_name(patient, dt.date(2026, 1, 1), dt.date(2026, 1, 2), "zip/../x")
