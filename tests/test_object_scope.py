"""Every object route, called with *another* patient's objects: 404 and nothing changed.

The access gate (tests/test_access.py) proves a stranger cannot open a diary. This file proves
the next door: a member of one diary cannot reach an object of another diary by putting its id
in their own diary's URL. Every route under ``p/<public_id>/`` that takes an object id must have
an entry in ``OBJECTS``; a new route without one fails here, so nobody has to remember.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from diary import entries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry
from infusions.models import CalendarFeed, Infusion, InfusionLot, Product, Regimen
from reports.models import ExportJob, ReportPdfJob
from tests.factories import InfusionFactory, MembershipFactory, PatientFactory, RegimenFactory
from tests.test_access import PATIENT_PREFIX, database_fingerprint, patient_routes

NOW = timezone.now().replace(microsecond=0)


def _entry(patient, user, **fields):
    entry = SymptomEntry(
        patient=patient, **({"symptom": "headache", "severity": 5, "onset": NOW} | fields)
    )
    entries.save(entry, user)
    return entry


def _deleted(record, user):
    entries.delete(record, user)
    return record


def _note(patient, user, kind=Note.Kind.IMPROVEMENT):
    note = Note(patient=patient, kind=kind, text="Walked to the shop", written_at=NOW)
    entries.save(note, user)
    return note


def _measure(patient, user, kind="grip", **fields):
    measure = Measure(
        patient=patient, kind=kind, value=Decimal("30"), measured_at=NOW, unit="kPa", **fields
    )
    entries.save(measure, user)
    return measure


def _mgadl(patient, user):
    answers = {f"q{n}": 1 for n in range(1, 9)}
    measure = Measure(patient=patient, kind="mgadl", value=8, measured_at=NOW, answers=answers)
    entries.save(measure, user)
    return measure


def _red_flag(patient, user):
    _entry(patient, user, symptom="trouble_breathing", severity=8)
    return RedFlagEvent.objects.get(patient=patient)


def _infusion(patient, user):
    return InfusionFactory(patient=patient, logged_by=user, date=NOW.date())


def _plan(patient, user):
    return RegimenFactory(patient=patient, start_date=NOW.date() - dt.timedelta(days=30))


def _ended_plan(patient, user):
    return RegimenFactory(
        patient=patient,
        start_date=NOW.date() - dt.timedelta(days=400),
        end_date=NOW.date() - dt.timedelta(days=300),
    )


def _deleted_model(make, attribute="deleted_at"):
    """A soft-deleted row of a model that has soft delete (once it has it)."""

    def build(patient, user):
        obj = make(patient, user)
        type(obj).__dict__.get("all_objects") or pytest.skip("no soft delete yet")
        type(obj).all_objects.filter(pk=obj.pk).update(**{attribute: timezone.now()})
        return obj

    return build


def _pdf_job(patient, user, status=ReportPdfJob.Status.DONE):
    return ReportPdfJob.objects.create(
        patient=patient,
        requested_by=user,
        since=NOW.date() - dt.timedelta(days=90),
        until=NOW.date(),
        paper="a4",
        status=status,
        pdf=b"%PDF-1.7 theirs" if status == ReportPdfJob.Status.DONE else None,
    )


def _export_job(patient, user, status=ExportJob.Status.DONE, kind=ExportJob.Kind.JSON):
    return ExportJob.objects.create(
        patient=patient,
        requested_by=user,
        kind=kind,
        since=NOW.date() - dt.timedelta(days=90),
        until=NOW.date(),
        status=status,
        file=b'{"theirs": true}' if status == ExportJob.Status.DONE else None,
    )


# Route (after p/<public_id>/) -> what to put in its <kind>, and how to make the object.
SYMPTOMS = [
    ("symptom entry", _entry),
    ("deleted symptom entry", lambda p, u: _deleted(_entry(p, u), u)),
]
MEASURES = [
    ("measure", _measure),
    ("MG-ADL score", _mgadl),
    ("deleted measure", lambda p, u: _deleted(_measure(p, u), u)),
]
NOTES = [
    ("note", _note),
    ("deleted note", lambda p, u: _deleted(_note(p, u), u)),
    ("question", lambda p, u: _note(p, u, Note.Kind.QUESTION)),
]
INFUSIONS = [
    ("infusion", _infusion),
    ("deleted infusion", _deleted_model(_infusion)),
]
PDF_JOBS = [
    ("PDF of the report", _pdf_job),
    ("PDF being made", lambda p, u: _pdf_job(p, u, ReportPdfJob.Status.QUEUED)),
]
EXPORT_JOBS = [
    ("full export", _export_job),
    ("CSV export", lambda p, u: _export_job(p, u, kind=ExportJob.Kind.CSV)),
    ("export being made", lambda p, u: _export_job(p, u, ExportJob.Status.QUEUED)),
]
PLANS = [
    ("plan", _plan),
    ("ended plan", _ended_plan),
    ("deleted plan", _deleted_model(_plan)),
]
OBJECTS: dict[str, list[tuple[str, object]]] = {
    "diary/quick/<int:pk>/follow-up/": SYMPTOMS,
    "diary/side-effects/<int:pk>/edit/": SYMPTOMS,
    "diary/side-effects/<int:pk>/gone/": SYMPTOMS,
    "diary/side-effects/<int:pk>/still-going/": SYMPTOMS,
    "diary/warnings/<int:pk>/dealt-with/": [("red-flag warning", _red_flag)],
    "diary/notes/<int:pk>/edit/": NOTES,
    "diary/questions/<int:pk>/edit/": NOTES,
    "diary/questions/<int:pk>/answer/": NOTES,
    "diary/measures/<int:pk>/edit/": MEASURES,
    "diary/<str:kind>/<int:pk>/delete/": [],  # by kind, below
    "diary/<str:kind>/<int:pk>/restore/": [],
    "diary/<str:kind>/<int:pk>/history/": [],
    "infusions/<int:pk>/": INFUSIONS,
    "infusions/<int:pk>/edit/": INFUSIONS,
    "infusions/<int:pk>/delete/": INFUSIONS,
    "infusions/<int:pk>/restore/": INFUSIONS,
    "infusions/<int:pk>/history/": INFUSIONS,
    "infusions/plan/<int:pk>/edit/": PLANS,
    "infusions/plan/<int:pk>/end/": PLANS,
    "infusions/plan/<int:pk>/reopen/": PLANS,
    "infusions/plan/<int:pk>/delete/": PLANS,
    "infusions/plan/<int:pk>/restore/": PLANS,
    "infusions/plan/<int:pk>/history/": PLANS,
    "report/pdf/<uuid:pk>/": PDF_JOBS,
    "report/pdf/<uuid:pk>/download/": PDF_JOBS,
    "report/questions/<int:pk>/answer/": NOTES,
    "export/<uuid:pk>/": EXPORT_JOBS,
    "export/<uuid:pk>/download/": EXPORT_JOBS,
}
BY_KIND = {"symptoms": SYMPTOMS, "notes": NOTES, "measures": MEASURES}

# What a form would send: enough that a view which forgot the scope would change something.
PLAUSIBLE_POST = {
    "symptom": "headache",
    "severity": "6",
    "onset": NOW.strftime("%Y-%m-%dT%H:%M"),
    "text": "Changed by someone else",
    "answer": "Changed",
    "how": "called",
    "value": "12",
    "measured_at": NOW.strftime("%Y-%m-%dT%H:%M"),
    "signs": ["stiff_neck"],
    "episode": "same",
    "end_date": NOW.date().isoformat(),
    "date": NOW.date().isoformat(),
    "dose_g": "10",
}


def object_routes() -> list[str]:
    return [
        route.removeprefix(PATIENT_PREFIX)
        for route, _pattern in patient_routes()
        if re.search(r"<(int|uuid|str):pk>", route)
    ]


def cases():
    for route in object_routes():
        if "<str:kind>" in route:
            for kind, makers in BY_KIND.items():
                for label, make in makers:
                    yield pytest.param(route, kind, make, id=f"{route} [{label}]")
        else:
            for label, make in OBJECTS.get(route, []):
                yield pytest.param(route, None, make, id=f"{route} [{label}]")


def test_every_object_route_is_walked_with_another_patients_objects():
    missing = [route for route in object_routes() if route not in OBJECTS]
    assert not missing, f"add these routes to OBJECTS in {__file__}: {missing}"
    for route in object_routes():
        assert OBJECTS[route] or "<str:kind>" in route, route


@pytest.fixture
def other(db):
    """Another diary, with its own owner, that the signed-in owner has nothing to do with."""
    membership = MembershipFactory(patient=PatientFactory(name="Other"))
    return membership.patient, membership.user


@pytest.mark.parametrize(("route", "kind", "make"), list(cases()))
def test_another_patients_object_is_404_and_untouched(
    route, kind, make, patient, owner, owner_client, other
):
    other_patient, other_owner = other
    obj = make(other_patient, other_owner)
    path = re.sub(r"<(?:int|uuid):pk>", str(obj.pk), route)
    if kind:
        path = path.replace("<str:kind>", kind)
    url = f"/p/{patient.public_id}/{path}"
    before = database_fingerprint()
    snapshot = _rows_of(other_patient)
    answers = {}
    for method in ("get", "post"):
        answers[method] = getattr(owner_client, method)(url, PLAUSIBLE_POST).status_code
        assert database_fingerprint() == before, f"{method.upper()} {url} changed something"
        assert _rows_of(other_patient) == snapshot, f"{method.upper()} {url} changed their diary"
    # 405 says only that the route takes the other method; that one must answer 404.
    assert set(answers.values()) <= {404, 405} and 404 in answers.values(), f"{url}: {answers}"


def _rows_of(patient) -> dict[str, list]:
    """Every row the other diary holds, to prove none of them changed."""
    rows: dict[str, list] = {}
    for model in (
        SymptomEntry,
        Note,
        Measure,
        RedFlagEvent,
        Infusion,
        Regimen,
        CalendarFeed,
        ReportPdfJob,
        ExportJob,
    ):
        manager = getattr(model, "all_objects", model.objects)
        rows[model.__name__] = list(manager.filter(patient=patient).order_by("pk").values())
    rows["lots"] = list(
        InfusionLot.objects.filter(infusion__patient=patient).order_by("pk").values()
    )
    return rows


# --- doors that take no id in the URL, but an id in the form ----------------------------------


def _infusion_post(product_id, lot_rows=(), *, prefix_ids=True) -> dict:
    data = {
        "date": NOW.date().isoformat(),
        "product": str(product_id),
        "dose_g": "30",
        "volume_ml": "300",
        "weight_kg": "68",
        "site": "home",
    }
    for name in ("lots", "rates", "premeds", "reactions"):
        rows = list(lot_rows) if name == "lots" else []
        data |= {
            f"{name}-TOTAL_FORMS": str(len(rows)),
            f"{name}-INITIAL_FORMS": str(len(rows)),
            f"{name}-MIN_NUM_FORMS": "0",
            f"{name}-MAX_NUM_FORMS": "1000",
        }
        for n, row in enumerate(rows):
            data |= {f"{name}-{n}-{field}": value for field, value in row.items()}
    return data


def test_another_diarys_custom_product_cannot_be_chosen(patient, owner_client, other):
    other_patient, _owner = other
    theirs = Product.objects.create(
        patient=other_patient, name="Their own IG", concentration_percent=Decimal("10")
    )
    url = f"/p/{patient.public_id}/infusions/log/"
    response = owner_client.post(url, _infusion_post(theirs.pk))
    assert response.status_code == 200  # the form again, with a message next to the field
    assert not Infusion.objects.filter(patient=patient).exists()
    assert "product" in response.context["form"].errors


def test_another_diarys_lot_cannot_be_edited_through_ones_own_infusion(
    patient, owner, owner_client, other
):
    other_patient, other_owner = other
    their_infusion = _infusion(other_patient, other_owner)
    their_lot = InfusionLot.objects.create(
        infusion=their_infusion, lot_number="THEIRS-1", vial_count=3
    )
    mine = _infusion(patient, owner)
    url = f"/p/{patient.public_id}/infusions/{mine.pk}/edit/"
    data = _infusion_post(
        mine.product_id,
        [
            {
                "id": str(their_lot.pk),
                "infusion": str(mine.pk),
                "lot_number": "HACKED",
                "vial_count": "1",
            }
        ],
    )
    snapshot = _rows_of(other_patient)
    owner_client.post(url, data)
    assert _rows_of(other_patient) == snapshot
    their_lot.refresh_from_db()
    assert (their_lot.lot_number, their_lot.infusion_id) == ("THEIRS-1", their_infusion.pk)


def test_revoking_ones_own_calendar_leaves_another_diarys_feed(patient, owner_client, other):
    other_patient, other_owner = other
    theirs = CalendarFeed.objects.create(
        patient=other_patient, token_hash="a" * 64, created_by=other_owner
    )
    response = owner_client.post(f"/p/{patient.public_id}/infusions/calendar/revoke/")
    assert response.status_code in {200, 302}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# --- the helper itself -------------------------------------------------------------------------

APPS = ("patients", "infusions", "diary", "reports")


def test_no_view_looks_an_object_up_by_hand():
    """Objects are fetched with get_for_patient, so the scope cannot be forgotten."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = [
        str(path.relative_to(root))
        for app in APPS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts and "get_object_or_404" in path.read_text()
    ]
    assert not offenders, f"use patients.access.get_for_patient in {offenders}"


def test_get_for_patient_scopes_and_refuses_a_patient_filter(rf, patient, owner, other):
    from django.http import Http404

    from patients.access import get_for_patient

    other_patient, other_owner = other
    mine, theirs = _entry(patient, owner), _entry(other_patient, other_owner)
    request = rf.get("/")
    request.patient = patient
    assert get_for_patient(request, SymptomEntry, mine.pk) == mine
    for pk in (theirs.pk, "not-a-number", None, 10**12):
        with pytest.raises(Http404):
            get_for_patient(request, SymptomEntry, pk)
    with pytest.raises(Http404):  # soft-deleted rows are hidden unless asked for
        get_for_patient(request, SymptomEntry, _deleted(_entry(patient, owner), owner).pk)
    with pytest.raises(TypeError):
        get_for_patient(request, SymptomEntry, theirs.pk, patient=other_patient)
    with pytest.raises(RuntimeError):
        get_for_patient(rf.get("/"), SymptomEntry, mine.pk)
