"""The full JSON export and its import (issue 10 §4; docs/export-format.md).

A diary rich in every kind of record (soft-deleted rows, edits with their history, readings,
warnings, custom products, ended and deleted plans, answered questions, every measure, unicode
and hostile text) goes out, comes back as another user's new diary, and goes out again: every
record compares equal field by field, the new diary's ids aside, and its pages list the same
entries. Hostile files are refused with a message and nothing written.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import html
import io
import json
import re
import zipfile
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries, queries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry
from infusions import records
from infusions.models import Infusion, InfusionReaction, Product, Regimen
from patients.authors import kept_author, kept_label
from patients.models import ChangeRecord, Membership, Patient
from reports import csv_export, document, full_export, full_import
from reports.full_import import ImportRefused, import_diary
from reports.models import ReportPreference, ReportRecord

from .factories import UserFactory, catalog_product
from .test_infusion_history import edit_data, form_data
from .test_infusion_history import url as infusion_url

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
LONDON = zoneinfo.ZoneInfo("Europe/London")
HOSTILE = '=HYPERLINK("http://x")<script>alert(1)</script> \u202e ünïcödé 頭痛 🤕 "quoted" \\ \t'
PERSON_KEYS = {"logged_by", "handled_by", "made_by", "changed_by", "updated_by", "logged_by_id"}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def _log_infusion(client, patient, **overrides) -> Infusion:
    response = client.post(infusion_url("log", patient), form_data(**overrides))
    assert response.status_code == 302, response.context["form"].errors
    return Infusion.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


def _entry(patient, user, model=SymptomEntry, **fields):
    record = model(patient=patient, **fields)
    entries.save(record, user)
    return record


@pytest.fixture
def rich(patient, owner, caregiver, owner_client, caregiver_client):
    """A diary with every kind of record the app keeps, made through the app's own paths."""
    Patient.objects.filter(pk=patient.pk).update(
        conditions=["mg", "cidp"],
        country="GB",
        emergency_number="999",
        care_team_phone="+44 20 7946 0000",
        date_of_birth=dt.date(1980, 2, 29),
        clinic_number="RX-42 " + HOSTILE[:20],
        paper_size="a4",
    )
    patient.refresh_from_db()
    custom = Product.objects.create(
        patient=patient,
        name="Privigen EU " + HOSTILE[:30],
        route="IV",
        concentration_percent=Decimal("10"),
    )
    # Plans: one ended, one deleted, one in force (each through infusions.records).
    ended = Regimen(
        patient=patient,
        product=catalog_product("Octagam", "10"),
        indication="mg",
        dose_g_per_kg=Decimal("2"),
        course_days=5,
        interval_value=6,
        interval_unit="weeks",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
        usual_premedication="Paracetamol 1 g\nCetirizine 10 mg",
        notes=HOSTILE,
    )
    records.save_plan(ended, owner)
    deleted = Regimen(
        patient=patient,
        product=custom,
        dose_g_per_kg=Decimal("1"),
        course_days=1,
        interval_value=3,
        interval_unit="weeks",
        start_date=dt.date(2026, 7, 1),
        end_date=dt.date(2026, 7, 10),
    )
    records.save_plan(deleted, owner)
    records.delete_plan(deleted, owner)
    current = Regimen(
        patient=patient,
        product=catalog_product(),
        indication="mg",
        dose_g_per_kg=Decimal("1"),
        course_days=2,
        interval_value=4,
        interval_unit="weeks",
        dosing_weight_kg=Decimal("68.5"),
        start_date=dt.date(2026, 7, 11),
    )
    records.save_plan(current, owner)
    before = records.history.snapshot(current)
    current.usual_site = "centre"
    records.save_plan(current, owner, before=before)

    # Infusions: logged through the form (history with child rows), edited, deleted, by both.
    reaction = {
        "reactions-TOTAL_FORMS": "1",
        "reactions-0-symptom": "chills",
        "reactions-0-severity": "6",
        "reactions-0-action": "slowed",
        "reactions-0-medication": "Pethidine " + HOSTILE[:20],
        "reactions-0-minutes_from_start": "45",
    }
    first = _log_infusion(
        owner_client, patient, date="2026-03-02", nurse="Zoë " + HOSTILE[:40], **reaction
    )
    _log_infusion(caregiver_client, patient, date="2026-03-03", product=custom.pk)
    day = _log_infusion(owner_client, patient, date="2026-11-02", hydration="1 L water")
    _log_infusion(owner_client, patient, date="2026-11-03", notes=HOSTILE)
    gone = _log_infusion(owner_client, patient, date="2026-10-01")
    data = edit_data(
        day, dose_g="30", **{"lots-0-lot_number": "B777", "lots-0-expiry": "2027-05-31"}
    )
    assert owner_client.post(infusion_url("edit", patient, day.pk), data).status_code == 302
    records.delete_infusion(gone, owner)
    InfusionReaction.objects.create(infusion=first, symptom="headache", severity=3)

    # Side effects: with readings, edited, deleted, a custom symptom, a warning dealt with.
    headache = _entry(
        patient, owner, symptom="headache", severity=4, onset=local(2026, 11, 3, 8), notes=HOSTILE
    )
    entries.add_reading(headache, 7, local(2026, 11, 3, 14), caregiver)
    headache.helped = "Dark room, 💤"
    entries.save(headache, owner)
    _entry(
        patient,
        caregiver,
        symptom="other",
        custom_symptom="Kribbeln " + HOSTILE[:30],
        severity=2,
        onset=local(2026, 11, 4, 9),
        ended_at=local(2026, 11, 4, 18),
    )
    severe = _entry(patient, owner, symptom="headache", severity=9, onset=local(2026, 11, 4, 10))
    _entry(patient, owner, symptom="stiff_neck", severity=8, onset=local(2026, 11, 4, 10, 30))
    event = RedFlagEvent.objects.filter(patient=patient).first()
    assert event is not None, "the severe headache with a stiff neck sets off a warning"
    event.handled_at, event.handled_by, event.handled_how = NOW, caregiver, "contacted"
    event.save()
    dropped = _entry(patient, owner, symptom="fatigue", severity=5, onset=local(2026, 11, 5, 9))
    entries.delete(dropped, owner)
    severe.refresh_from_db()
    assert severe.red_flags

    # Notes and questions: rated, answered, deleted.
    _entry(
        patient,
        owner,
        Note,
        text="Better by day 5 " + HOSTILE,
        rating=2,
        written_at=local(2026, 11, 8, 20),
    )
    question = _entry(
        patient,
        caregiver,
        Note,
        kind="question",
        text="Could the interval be 3 weeks?",
        written_at=local(2026, 11, 9, 9),
    )
    question.answer, question.answered_at = "Not yet — “wait”.", NOW
    entries.save(question, owner)
    gone_note = _entry(
        patient, owner, Note, kind="question", text="Old?", written_at=local(2026, 10, 1, 9)
    )
    entries.delete(gone_note, owner)

    # Measures: every kind.
    mgadl = dict.fromkeys(full_import.scales.MGADL_ITEM_CODES, 1)
    mgadl["double_vision"] = 3
    _entry(
        patient,
        owner,
        Measure,
        kind="mgadl",
        value=Decimal("10"),
        answers=mgadl,
        measured_at=local(2026, 11, 1, 8),
    )
    _entry(
        patient,
        owner,
        Measure,
        kind="incat",
        value=Decimal("3"),
        answers={"arms": 1, "legs": 2},
        measured_at=local(2026, 11, 6, 8),
    )
    _entry(
        patient,
        caregiver,
        Measure,
        kind="grip",
        value=Decimal("31.5"),
        value_right=Decimal("28.25"),
        unit="kg",
        measured_at=local(2026, 11, 6, 9),
    )
    _entry(
        patient,
        owner,
        Measure,
        kind="platelets",
        value=Decimal("245"),
        unit="10^9/L",
        measured_at=local(2026, 11, 7, 9),
    )
    weight = _entry(
        patient,
        owner,
        Measure,
        kind="weight",
        value=Decimal("68.4"),
        unit="kg",
        measured_at=local(2026, 11, 7, 10),
    )
    weight.value = Decimal("68.2")
    entries.save(weight, owner)
    _entry(
        patient,
        owner,
        Measure,
        kind="gbs_disability",
        value=Decimal("2"),
        measured_at=local(2026, 11, 7, 11),
    )
    _entry(
        patient,
        owner,
        Measure,
        kind="custom",
        name="Peak flow " + HOSTILE[:20],
        value=Decimal("410"),
        unit="L/min",
        notes=HOSTILE[:100],
        measured_at=local(2026, 11, 7, 12),
    )
    gone_measure = _entry(
        patient,
        owner,
        Measure,
        kind="weight",
        value=Decimal("70"),
        unit="kg",
        measured_at=local(2026, 10, 7, 12),
    )
    entries.delete(gone_measure, owner)

    ReportRecord.objects.create(
        patient=patient, since=dt.date(2026, 8, 1), until=dt.date(2026, 10, 31), made_by=owner
    )
    ReportPreference.objects.create(
        patient=patient,
        period="custom",
        custom_from=dt.date(2026, 8, 1),
        custom_to=dt.date(2026, 10, 31),
        sections=["cycles", "notes"],
        updated_by=owner,
    )
    patient.refresh_from_db()
    return patient


# --- comparing two exports ----------------------------------------------------------------------

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def normalised(document: dict) -> dict:
    """The document with what may differ between two diaries made the same: the export's time,
    uids (numbered in order of appearance: the same record in the same place gets the same
    number), and the owners (the file's owners become the importer: "owner"). Everyone else is
    compared by name and role (kept by name on import, docs/export-format.md "People"), except
    inside a change record's snapshot, where only an account is kept (null otherwise)."""
    doc = copy.deepcopy(document)
    doc.pop("exported_at")
    people = {p["ref"]: p for p in doc.pop("people")}
    numbers: dict[str, str] = {}

    def person(ref, in_snapshot):
        who = people[ref]
        if who["role"] == "owner":
            return "owner"
        return None if in_snapshot else f"{who['name']} ({who['role']})"

    def walk(value, key=None, in_snapshot=False):
        if isinstance(value, dict):
            inside = in_snapshot or key in ("before", "after")
            return {k: walk(v, k, inside) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, None, in_snapshot) for v in value]
        if key in PERSON_KEYS and value is not None:
            return person(value, in_snapshot)
        if isinstance(value, str) and UUID_RE.match(value):
            return numbers.setdefault(value, f"uid-{len(numbers) + 1}")
        return value

    return walk(doc)


def _first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in one"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} != {len(b)} items"
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{n}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def _upload(content: bytes, name="diary.json"):
    return SimpleUploadedFile(name, content, content_type="application/json")


LATER = NOW + dt.timedelta(days=5)


def _round_trip(patient, importer):
    """Export, import as ``importer``'s new diary five days later (so a time the database set
    to now would show), and export again."""
    content = full_export.export_json(patient)
    with time_machine.travel(LATER, tick=False):
        new = import_diary(importer, _upload(content))
    return json.loads(content), new, full_export.export_diary(new)


def _uids(document) -> set[str]:
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and UUID_RE.match(value):
            found.add(value)

    walk(document)
    return found


def test_every_record_comes_back_field_by_field(rich, owner, caregiver):
    importer = UserFactory(display_name="Ines")
    first, new, second = _round_trip(rich, importer)

    assert new.pk != rich.pk
    assert _first_difference(normalised(first), normalised(second)) is None
    # Nothing missing from the file itself: every kind is there, deleted rows flagged.
    for key in ("plans", "infusions", "symptom_entries", "notes", "measures"):
        assert any(row["deleted_at"] for row in first[key]), key
    assert {m["kind"] for m in first["measures"]} == {k for k, _ in Measure.Kind.choices}
    assert len(first["changes"]) == ChangeRecord.objects.filter(patient=rich).count() > 20
    assert first["red_flag_events"][0]["handled_by"] == "person-2"
    # Same server: the original still holds the file's uids, so the import made new ones,
    # consistently (the comparison above follows them through every reference).
    assert not _uids(first) & _uids(second)
    # The importer owns it; the file's owner's records are theirs, the caregiver's keep the
    # caregiver's name and role (no account is made for a name in a file).
    assert [(m.user, m.role) for m in Membership.objects.filter(patient=new)] == [
        (importer, "owner")
    ]
    assert second["people"] == [
        {"ref": "person-1", "name": "Ines", "role": "owner", "is_self": True},
        {"ref": "person-2", "name": str(caregiver), "role": "caregiver_editor", "is_self": False},
    ]
    by_owner = SymptomEntry.all_objects.filter(patient=rich, logged_by=owner).count()
    assert SymptomEntry.all_objects.filter(patient=new, logged_by=importer).count() == by_owner
    by_caregiver = SymptomEntry.all_objects.filter(patient=rich, logged_by=caregiver).count()
    kept = SymptomEntry.all_objects.filter(
        patient=new,
        logged_by=None,
        logged_by_name=str(caregiver),
        logged_by_role="caregiver_editor",
    )
    assert kept.count() == by_caregiver > 0
    assert new.data_version > 0
    # Worked-out links come from the app's own helpers: courses and cycle days as logged.
    assert [(c.start_date, c.day_count) for c in new.courses.order_by("start_date")] == [
        (c.start_date, c.day_count) for c in rich.courses.order_by("start_date")
    ]


def test_on_a_server_without_the_diary_the_uids_are_kept(rich):
    content = full_export.export_json(rich)
    first = json.loads(content)
    rich.delete()
    new = import_diary(UserFactory(), _upload(content))
    second = full_export.export_diary(new)
    assert _uids(first) == _uids(second)
    assert str(new.uid) == first["diary"]["uid"]
    assert _first_difference(normalised(first), normalised(second)) is None


def test_the_history_pages_pair_child_rows_again(rich, owner):
    """An edited infusion's history says what changed in its lots, as before the move."""
    _first, new, _second = _round_trip(rich, owner)
    client = Client()
    client.force_login(owner)
    old_day = Infusion.objects.get(patient=rich, date=dt.date(2026, 11, 2))
    new_day = Infusion.objects.get(patient=new, date=dt.date(2026, 11, 2))
    old_page = client.get(infusion_url("history", rich, old_day.pk))
    new_page = client.get(infusion_url("history", new, new_day.pk))
    assert "B777" in _text(new_page)
    assert _rows(old_page, rich, new) == _rows(new_page, rich, new)


def _text(response) -> str:
    assert response.status_code == 200
    body = response.content.decode()
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


def _rows(response, old: Patient, new: Patient) -> str:
    """A page's text with what names the diary or its people in general terms."""
    text = _text(response)
    for membership in Membership.objects.filter(patient__in=[old, new]).select_related("user"):
        name = str(membership.user)
        if membership.is_owner:
            text = text.replace(name, "OWNER")
        # A caregiver's name stays as it is: the new diary keeps it (docs/export-format.md).
    # The importer keeps a diary of their own already: this one is not "my" diary to them.
    text = text.replace(f"{old.name}’s doctor", "my doctor")
    # The menu lists every diary of the user by name; the new one may differ in that only.
    return text


@pytest.mark.parametrize(
    ("app", "name"),
    [
        ("diary", "timeline"),
        ("diary", "measures"),
        ("diary", "questions"),
        ("infusions", "list"),
        ("infusions", "plan"),
        ("infusions", "deleted"),
    ],
)
def test_the_new_diary_s_pages_list_the_same_entries(rich, owner, app, name):
    _first, new, _second = _round_trip(rich, owner)
    client = Client()
    client.force_login(owner)
    query = "?until=2026-11-09" if name == "timeline" else ""  # the week of the entries
    old_page = client.get(reverse(f"{app}:{name}", args=[rich.public_id]) + query)
    new_page = client.get(reverse(f"{app}:{name}", args=[new.public_id]) + query)
    assert _rows(old_page, rich, new) == _rows(new_page, rich, new)
    text = _text(new_page)
    expected = {
        "timeline": ["Kribbeln", "Stiff neck", "Headache"],
        "measures": ["Peak flow", "28.25", "10 / 24"],
        "questions": ["Could the interval be 3 weeks?", "Not yet — “wait”."],
        "list": ["30"],
        "plan": ["Octagam"],
        "deleted": ["1 Oct 2026"],
    }[name]
    for words in expected:
        assert words in text, words


def test_the_export_takes_a_fixed_number_of_queries(rich, owner, owner_client):
    with CaptureQueriesContext(connection) as before:
        full_export.export_diary(rich)
    # Twice as many of each kind of record.
    for day in range(10, 15):
        _log_infusion(owner_client, rich, date=f"2026-09-{day}")
        _entry(rich, owner, symptom="nausea", severity=3, onset=local(2026, 9, day, 18))
        _entry(rich, owner, Note, text="ok", written_at=local(2026, 9, day, 19))
        _entry(
            rich,
            owner,
            Measure,
            kind="weight",
            value=Decimal("68"),
            unit="kg",
            measured_at=local(2026, 9, day, 7),
        )
    with CaptureQueriesContext(connection) as after:
        full_export.export_diary(rich)
    assert len(after) == len(before) <= 20


def test_secrets_are_not_in_the_export(rich, owner):
    from infusions.models import CalendarFeed

    CalendarFeed.objects.create(patient=rich, token_hash="f" * 64, created_by=owner)
    content = full_export.export_json(rich).decode()
    assert "f" * 64 not in content
    assert owner.email not in content
    assert owner.password not in content
    assert "public_id" not in content and rich.public_id not in content
    assert '"id"' not in content  # no database key anywhere, snapshots included


# --- hostile files -----------------------------------------------------------------------------


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def _refused(content) -> str:
    user = UserFactory()
    before = _row_counts()
    with pytest.raises(ImportRefused) as refused:
        import_diary(user, content)
    assert _row_counts() == before, "nothing is written for a refused file"
    message = str(refused.value)
    assert message and "Traceback" not in message
    return message


@pytest.fixture
def exported(rich) -> dict:
    return json.loads(full_export.export_json(rich))


def _file(document) -> SimpleUploadedFile:
    return _upload(json.dumps(document).encode())


class _Stream(io.RawIOBase):
    """A file that would be ``total`` bytes long, counting what is read of it."""

    def __init__(self, total: int, size: int | None):
        self.total, self.read_bytes = total, 0
        if size is not None:
            self.size = size

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.total - self.read_bytes if n < 0 else min(n, self.total - self.read_bytes)
        self.read_bytes += n
        return b" " * n


def test_a_50_mb_file_is_refused_by_its_size_without_reading_it(db):
    upload = _Stream(50 * 1024 * 1024, size=50 * 1024 * 1024)
    assert "larger than 20 MB" in _refused(upload)
    assert upload.read_bytes == 0


def test_a_50_mb_stream_is_refused_after_the_cap_not_read_to_its_end(db):
    upload = _Stream(50 * 1024 * 1024, size=None)
    assert "larger than 20 MB" in _refused(upload)
    assert upload.read_bytes <= full_import.MAX_BYTES + 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
        (b"", "empty"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
        ("{}".encode("utf-16"), "not UTF-8"),
        (b"\x00\x01\x02binary", "binary"),
        (b"%PDF-1.7 ...", "a PDF"),
        (b"hello, not json", "not JSON"),
        (b'{"format": "infusion-diary-export", "version": 1, ', "not valid JSON"),
        (b'{"format": "infusion-diary-export", "version": NaN}', "not JSON"),
        (b"[1, 2, 3]", "not an export"),
        (b'{"format": "fhir-bundle", "version": 1}', "not an export"),
        (b'{"format": "infusion-diary-export"}', "no valid version"),
        (b'{"format": "infusion-diary-export", "version": "1"}', "no valid version"),
        (b'{"format": "infusion-diary-export", "version": 2}', "version 2"),
    ],
    ids=[
        "bracket-bomb",
        "object-bomb",
        "empty",
        "latin-bytes",
        "utf-16",
        "binary",
        "pdf",
        "text",
        "cut-short",
        "nan",
        "a-list",
        "other-format",
        "no-version",
        "version-as-text",
        "newer-version",
    ],
)
def test_a_file_that_is_not_a_readable_export_is_refused(db, content, words):
    assert words in _refused(_upload(content))


def test_a_deep_bomb_inside_a_real_export_is_refused(exported):
    exported["notes"][0]["text"] = "[[[[ brackets in text do not count ]]]]"
    text = json.dumps(exported)
    bomb = text[:-1] + ', "extra": ' + "[" * 5000 + "]" * 5000 + "}"
    assert "nested too deeply" in _refused(_upload(bomb.encode()))


def test_nesting_just_past_the_limit_is_refused_and_at_it_read(exported):
    """Deeper than MAX_DEPTH but far below the parser's own limit: refused by the check on the
    parsed document; at the limit it is only an unknown field."""
    text = json.dumps(exported)[:-1]
    inside = full_import.MAX_DEPTH - 1  # the document itself is the first level
    deeper = text + ', "extra": ' + "[" * (inside + 1) + "]" * (inside + 1) + "}"
    assert "nested too deeply" in _refused(_upload(deeper.encode()))
    at_limit = text + ', "extra": ' + "[" * inside + "]" * inside + "}"
    assert full_import.parse(at_limit.encode())["extra"]  # read (what follows judges "extra")


def test_a_string_never_closed_is_refused_at_once(db):
    """Half a megabyte of escaped quotes in a string that never ends: refused as invalid JSON.
    (A regular-expression pre-scan took time growing with the square of such a file: minutes
    here, days at the 20 MB cap, one web worker each.)"""
    assert "not valid JSON" in _refused(_upload(b'{"' + b'\\"' * 250_000))


def test_a_zip_of_the_export_is_refused(rich):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("diary.json", full_export.export_json(rich))
    assert "a zip file" in _refused(_upload(buffer.getvalue(), "diary.zip"))


def test_a_file_with_a_bom_is_read(rich):
    content = "\ufeff".encode() + full_export.export_json(rich)
    assert import_diary(UserFactory(), _upload(content)).name == rich.name


def _break(document, path: str, value):
    target = document
    *parents, last = path.split(".")
    for key in parents:
        if "=" in key:  # the first record with this value: "kind=mgadl"
            name, wanted = key.split("=")
            target = next(row for row in target if row[name] == wanted)
        else:
            target = target[int(key)] if key.isdigit() else target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return document


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("infusions.0.dose_g", 35.5, "wrong kind"),
        ("infusions.0.dose_g", "-3", "dose_g"),
        ("infusions.0.dose_g", "9999", "dose_g"),
        ("infusions.0.date", "2026-13-01", "wrong kind"),
        ("infusions.0.site", "moon", "site"),
        ("infusions.0.lots.0.lot_number", "L" * 41, "lot_number"),
        ("infusions.0.reactions.0.severity", 11, "severity"),
        ("infusions.0.reactions.0.symptom", "vampirism", "not a known symptom"),
        ("symptom_entries.0.severity", "7", "wrong kind"),
        ("symptom_entries.0.severity", True, "wrong kind"),
        ("symptom_entries.0.onset", "2026-11-03T08:00:00", "wrong kind"),
        # Valid ISO instants the database cannot hold (year 1, 9999) or no diary could.
        ("symptom_entries.0.onset", "0001-01-01T00:00:00+05:00", "wrong kind"),
        ("symptom_entries.0.onset", "9999-12-31T23:59:59-05:00", "wrong kind"),
        ("diary.created_at", "0001-01-01T00:00:00+05:00", "wrong kind"),
        ("infusions.0.date", "0001-01-01", "wrong kind"),
        ("symptom_entries.0.onset", "1000-06-01T10:00:00+00:00", "wrong kind"),
        ("symptom_entries.0.notes", "x" * 1001, "notes"),
        ("symptom_entries.0.red_flags", "yes", "red_flags"),
        ("notes.0.rating", 5, "rating"),
        ("notes.0.kind", "diatribe", "kind"),
        ("measures.kind=mgadl.value", "25", "MG-ADL"),
        ("measures.kind=mgadl.answers", {"double_vision": 9}, "MG-ADL"),
        ("measures.kind=incat.answers", {"arms": 7, "legs": 0}, "INCAT"),
        ("measures.kind=mgadl.value", "11", "sum of its answers"),
        ("measures.kind=custom.name", "", "needs its name"),
        ("measures.0.kind", "iq", "kind"),
        ("diary.time_zone", "Mars/Olympus", "time zone"),
        ("diary.conditions", ["lycanthropy"], "condition"),
        ("diary.name", 42, "wrong kind"),
        ("diary.uid", "not-a-uuid", "wrong kind"),
        ("plans.0.course_days", 9, "course_days"),
        ("red_flag_events.0.rule", "bad_vibes", "not a known warning"),
        ("changes.0.action", "exploded", "action"),
        ("changes.0.model", "patients.user", "history"),
        ("symptom_entries", {"not": "a list"}, "should be a list"),
        ("infusions.0", "a string", "not a record"),
        ("symptom_entries.0.onset", _DELETE, "missing"),
        ("people.1.name", "x" * 255, "longer than 254"),
        ("people.1.name", None, "name"),
    ],
)
def test_invalid_values_are_refused(exported, path, value, words):
    _break(exported, path, value)
    assert words in _refused(_file(exported))


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("infusions.0.plan", "00000000-0000-4000-8000-000000000000", "not in the file"),
        ("infusions.0.product", "catalog:Nothing|IV|10.0", "not in the file"),
        ("symptom_entries.0.logged_by", "person-99", "not in the file"),
        ("red_flag_events.0.entries", ["00000000-0000-4000-8000-000000000000"], "not in the file"),
        ("red_flag_events.0.infusion", 12, "not in the file"),
        ("changes.0.object_uid", "00000000-0000-4000-8000-000000000000", "not in the file"),
        ("changes.5.after.product_id", 3, "product not in the file"),
    ],
)
def test_dangling_references_are_refused(exported, path, value, words):
    _break(exported, path, value)
    assert words in _refused(_file(exported))


def test_a_catalog_product_this_server_lacks_is_refused(exported):
    catalog = next(p for p in exported["products"] if p["catalog"])
    old_ref, catalog["ref"] = catalog["ref"], "catalog:Gone|IV|10.0"
    catalog["name"] = "Gone"
    text = json.dumps(exported).replace(json.dumps(old_ref), json.dumps("catalog:Gone|IV|10.0"))
    assert "not in this server's catalog" in _refused(_upload(text.encode()))


def test_duplicate_ids_are_refused(exported):
    exported["notes"][1]["uid"] = exported["symptom_entries"][0]["uid"]
    assert "given twice" in _refused(_file(exported))


def test_a_duplicate_record_is_refused(exported):
    exported["measures"].append(copy.deepcopy(exported["measures"][0]))
    assert "given twice" in _refused(_file(exported))


def test_too_many_records_are_refused(exported, monkeypatch):
    monkeypatch.setattr(full_import, "MAX_RECORDS", 10)
    assert "more than 10 records" in _refused(_file(exported))


def test_a_file_that_fails_halfway_writes_nothing(exported, monkeypatch):
    """The last write (the change history) fails: everything before it is undone."""
    calls = []

    def fail(*args, **kwargs):
        calls.append(args)
        raise IntegrityError("simulated failure at the change history")

    monkeypatch.setattr(type(ChangeRecord.objects), "bulk_create", fail)
    assert "break a rule" in _refused(_file(exported))
    assert calls, "the import got as far as the change history"


def test_a_breach_of_the_database_s_rules_writes_nothing(exported):
    # Two plans in force at once: each plan is valid alone, the database refuses the pair.
    for plan in exported["plans"]:
        plan["end_date"] = plan["deleted_at"] = None
    assert "break a rule" in _refused(_file(exported))


def test_a_refusal_names_the_record(exported):
    exported["infusions"][2]["reactions"] = [{"uid": None}]
    message = _refused(_file(exported))
    assert "record 3 of infusions" in message and "reactions 1" in message


# --- authors kept by name (patients.authors; docs/export-format.md "People") ----------------------
# The importer gets the file's owners' records; a caregiver or former member has no account in
# the new diary, so their records keep the name and role the file gives, and every page that
# names an author names them as the diary they came from did.


def test_labels_say_what_the_diary_they_came_from_said():
    assert kept_label("Sam", "caregiver_editor") == "Sam (caregiver)"
    assert kept_label("Sam", "caregiver_viewer") == "Sam (caregiver)"
    assert kept_label("Sam", "") == ""  # no longer a member there: "a former member", as there
    assert kept_label("", "caregiver_editor") == ""
    note = Note(logged_by_name="Sam", logged_by_role="caregiver_editor")
    assert queries.with_authors([note], {})[0].author == "Sam (caregiver)"
    gone = Note(logged_by_name="Sam", logged_by_role="")
    assert queries.with_authors([gone], {})[0].author == "a former member"
    nobody = Note()
    assert queries.with_authors([nobody], {})[0].author == "a former member"
    # An account of the diary wins over a kept name (the import never sets both).
    both = Note(logged_by_id=7, logged_by_name="Sam", logged_by_role="caregiver_editor")
    assert queries.with_authors([both], {7: "Ines"})[0].author == "Ines"
    event = RedFlagEvent(handled_by_name="Sam", handled_by_role="caregiver_viewer")
    assert kept_author(event, "handled_by") == "Sam (caregiver)"


def test_a_diary_imported_twice_keeps_its_authors(rich, caregiver):
    """export → import → export → import → export: the caregiver's name and role survive both
    imports, and the people list stays the same."""
    first, new, second = _round_trip(rich, UserFactory(display_name="Ines"))
    newer = import_diary(UserFactory(display_name="Olu"), _upload(full_export.export_json(new)))
    third = full_export.export_diary(newer)
    assert _first_difference(normalised(first), normalised(third)) is None
    assert _first_difference(normalised(second), normalised(third)) is None
    assert [(p["name"], p["role"]) for p in third["people"]] == [
        ("Olu", "owner"),
        (str(caregiver), "caregiver_editor"),
    ]
    by_caregiver = SymptomEntry.all_objects.filter(patient=rich, logged_by=caregiver).count()
    assert (
        SymptomEntry.all_objects.filter(patient=newer, logged_by_name=str(caregiver)).count()
        == by_caregiver
    )


def test_a_former_member_keeps_their_name_but_is_shown_as_one(rich, caregiver):
    """A former member (no role in the file) is "a former member" in both diaries; the name is
    kept for the next export."""
    document_ = json.loads(full_export.export_json(rich))
    for person in document_["people"]:
        if person["role"] != "owner":
            person["role"] = None
    new = import_diary(UserFactory(), _upload(json.dumps(document_).encode()))
    entry = SymptomEntry.objects.get(patient=new, symptom="other")
    assert (entry.logged_by_name, entry.logged_by_role) == (str(caregiver), "")
    assert queries.with_authors([entry], queries.authors(new))[0].author == "a former member"
    again = full_export.export_diary(new)
    assert {"name": str(caregiver), "role": None} in [
        {"name": p["name"], "role": p["role"]} for p in again["people"]
    ]


def _page_text(client, url) -> str:
    return _text(client.get(url))


def test_the_pages_name_the_caregiver_as_before(rich, owner, caregiver):
    _first, new, _second = _round_trip(rich, owner)
    client = Client()
    client.force_login(owner)
    label = f"{caregiver} (caregiver)"
    diary = _page_text(client, f"/p/{new.public_id}/diary/?until=2026-11-09")
    assert label in diary
    assert "a former member" not in diary
    # The change history names the account as before ("Sam"), from the kept name.
    change = ChangeRecord.objects.filter(patient=new, changed_by=None).exclude(changed_by_name="")
    assert change.exists()
    assert set(change.values_list("changed_by_name", "changed_by_role")) == {
        (str(caregiver), "caregiver_editor")
    }


def test_the_csv_names_the_caregiver_as_before(rich, owner, caregiver):
    _first, new, _second = _round_trip(rich, owner)

    def logged_by(patient):
        data = csv_export.build_zip(patient, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        archive = zipfile.ZipFile(io.BytesIO(data))
        found = []
        for member in sorted(archive.namelist()):
            if not member.endswith(".csv"):
                continue
            rows = csv.DictReader(io.StringIO(archive.read(member).decode("utf-8-sig")))
            for row in rows:
                for key in ("logged_by", "handled_by"):
                    if row.get(key):
                        found.append((member, key, row[key].replace(str(owner), "OWNER")))
        return sorted(found)

    old, imported = logged_by(rich), logged_by(new)
    assert any(f"{caregiver} (caregiver)" in who for _m, _k, who in old)
    assert imported == old


def test_the_report_counts_who_logged_how_much_by_name(rich, owner, caregiver):
    importer = UserFactory(display_name="Ines")
    _first, new, _second = _round_trip(rich, importer)
    since, until = dt.date(2026, 1, 1), dt.date(2026, 11, 30)

    def counts(patient, owner_name):
        built = document.build(patient, since, until, [])
        return sorted((who.name.replace(owner_name, "OWNER"), who.count) for who in built.logged_by)

    old, imported = counts(rich, str(owner)), counts(new, "Ines")
    assert (f"{caregiver} (caregiver)", 4) in old, old
    assert imported == old
    assert all(name != "a former member" for name, _n in imported)
    # And the warning the caregiver dealt with says so on the imported diary's report too.
    built = document.build(new, since, until, [])
    assert [line.handled_by for line in built.red_flags if line.handled] == [
        f"{caregiver} (caregiver)"
    ]
