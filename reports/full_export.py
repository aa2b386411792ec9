"""The full export of a diary as one JSON document (issue 10 §4; docs/export-format.md).

Every record of the diary, soft-deleted ones too (flagged by ``deleted_at``: an undo must still
be possible after an import), with its change history. Records are keyed by their stable
``uid``; a reference between records is the other record's ``uid``, never a database key. The
shared catalog's products are named (``catalog:<name>|<route>|<concentration>``), because each
installation draws its own uids for them; a diary's own products are exported in full.

People (members, and anyone who logged something and has since left) are exported as names and
roles only, under a reference (``person-1``...) that records point at: no email, no password,
no account id. An author kept by name only (a record of an imported diary by someone with no
account here: ``logged_by_name``/``logged_by_role``…) is a person of the file like any other,
with the name and role kept, so a diary imported twice keeps its authors.
Secrets are not exported: calendar feed tokens, sessions, share links, PDF jobs
and their files.

``reports.full_import`` reads it back; both use the field lists below, so they cannot drift.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from diary.models import Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading
from infusions.models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    Product,
    RateStep,
    Regimen,
)
from patients.models import ChangeRecord, Membership, Patient, User

from .models import ReportPreference, ReportRecord

FORMAT = "infusion-diary-export"
VERSION = 1

# --- what is exported of each record (the import reads the same lists) ---------------------------

DIARY_FIELDS = (
    "uid",
    "name",
    "time_zone",
    "conditions",
    "weight_unit",
    "temperature_unit",
    "country",
    "emergency_number",
    "care_team_phone",
    "date_of_birth",
    "clinic_number",
    "paper_size",
    "created_at",
)
PRODUCT_FIELDS = ("uid", "name", "route", "concentration_percent", "with_hyaluronidase")
PLAN_FIELDS = (
    "uid",
    "indication",
    "dose_g_per_kg",
    "course_days",
    "interval_value",
    "interval_unit",
    "usual_site",
    "usual_premedication",
    "dosing_weight_kg",
    "start_date",
    "end_date",
    "notes",
    "created_at",
    "deleted_at",
)
INFUSION_FIELDS = (
    "uid",
    "date",
    "start_time",
    "end_time",
    "time_zone",
    "dose_g",
    "weight_kg",
    "volume_ml",
    "site",
    "nurse",
    "hydration",
    "notes",
    "created_at",
    "updated_at",
    "deleted_at",
)
LOT_FIELDS = ("uid", "lot_number", "expiry", "vial_size_g", "vial_count")
RATE_FIELDS = ("uid", "minutes_from_start", "rate", "unit")
PREMEDICATION_FIELDS = ("uid", "name", "dose", "taken_at")
REACTION_FIELDS = ("uid", "symptom", "severity", "action", "medication", "minutes_from_start")
# An infusion's rows: key in the document, model, fields.
INFUSION_CHILDREN = (
    ("lots", InfusionLot, LOT_FIELDS),
    ("rate_steps", RateStep, RATE_FIELDS),
    ("premedications", Premedication, PREMEDICATION_FIELDS),
    ("reactions", InfusionReaction, REACTION_FIELDS),
)
# Every diary entry. The links to the infusion it follows and its cycle are exported for a
# reader's sake but worked out again on import (diary.entries.relink), as when logged by hand.
ENTRY_FIELDS = ("uid", "time_zone", "created_at", "updated_at", "deleted_at")
ENTRY_DERIVED_FIELDS = ("local_date", "days_after_infusion", "day_of_cycle")
SYMPTOM_FIELDS = (
    "symptom",
    "custom_symptom",
    "severity",
    "onset",
    "ended_at",
    "still_going_at",
    "detail",
    "peak_severity",
    "helped",
    "notes",
    "red_flags",
)
READING_FIELDS = ("uid", "severity", "at", "created_at")
NOTE_FIELDS = ("kind", "text", "rating", "written_at", "answered_at", "answer")
MEASURE_FIELDS = (
    "kind",
    "measured_at",
    "value",
    "value_right",
    "unit",
    "name",
    "answers",
    "notes",
)
RED_FLAG_FIELDS = (
    "uid",
    "rule",
    "source",
    "started_at",
    "last_at",
    "signs",
    "hours_since_infusion",
    "created_at",
    "updated_at",
    "handled_at",
    "handled_how",
    "withdrawn_at",
)
REPORT_FIELDS = ("uid", "since", "until", "kind", "made_at")
PREFERENCE_FIELDS = ("period", "custom_from", "custom_to", "sections", "updated_at")
CHANGE_FIELDS = ("uid", "model", "object_uid", "action", "changed_at", "before", "after")

# The models whose change records are exported, by their history key (``app.model``).
HISTORY_MODELS: dict[str, type[models.Model]] = {
    m._meta.label_lower: m for m in (Infusion, Regimen, SymptomEntry, Note, Measure)
}


# --- values --------------------------------------------------------------------------------------


def dump_value(field, value):
    """A field's value as JSON: ISO dates and times (UTC for instants), decimals as text with
    the field's places (no float rounding), uuids as text."""
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(field, models.DateField | models.TimeField):
        return value.isoformat()
    if isinstance(field, models.DecimalField):
        places = Decimal(1).scaleb(-field.decimal_places)
        return f"{Decimal(value).quantize(places):f}"
    if isinstance(field, models.UUIDField):
        return str(value)
    return value


def _fields(obj, names) -> dict:
    meta = obj._meta
    return {name: dump_value(meta.get_field(name), getattr(obj, name)) for name in names}


def catalog_ref(product: Product) -> str:
    """How a catalog product is named across installations: name, route and concentration."""
    concentration = dump_value(
        Product._meta.get_field("concentration_percent"), product.concentration_percent
    )
    return f"catalog:{product.name}|{product.route}|{concentration}"


class _Refs:
    """Integer keys of this database to the document's references (uids, people, products)."""

    def __init__(self):
        self.uids: dict[type, dict[int, str]] = {}
        self.products: dict[int, str] = {}
        self.people: dict[int, str] = {}
        self.named: dict[tuple[str, str], str] = {}  # authors kept by (name, role)

    def add(self, rows) -> None:
        for row in rows:
            self.uids.setdefault(type(row), {})[row.pk] = str(row.uid)

    def uid(self, model, pk):
        return None if pk is None else self.uids.get(model, {}).get(pk)

    def person(self, user_id):
        return None if user_id is None else self.people.get(user_id)

    def author(self, row, field: str):
        """The person who ``field`` (``logged_by``…) names on ``row``: the account's reference,
        or, for an author kept by name only, that name's."""
        user_id = getattr(row, f"{field}_id")
        if user_id is not None:
            return self.people.get(user_id)
        return self.named.get(kept_author_key(row, field))

    def product(self, product_id):
        return None if product_id is None else self.products.get(product_id)


def kept_author_key(row, field: str) -> tuple[str, str] | None:
    """(name, role) of an author ``row`` keeps by name only; None when it has none."""
    name = getattr(row, f"{field}_name", "")
    return (name, getattr(row, f"{field}_role", "")) if name else None


def _snapshot_refs(model, values, refs: _Refs, owner_uid=None):
    """A change record's before/after with its keys of this database turned into references:
    related records by uid, people by reference, products by product reference. A course (worked
    out, no uid) becomes null; child rows lose their integer ``id`` (their ``uid`` stays)."""
    if not isinstance(values, dict):
        return values
    out = {}
    fields = {f.attname: f for f in model._meta.concrete_fields}
    children = {
        name: model._meta.get_field(name).related_model
        for name in getattr(model, "history_children", ())
    }
    for key, value in values.items():
        field = fields.get(key)
        if key in children and isinstance(value, list):
            out[key] = [_child_row(children[key], row, refs, owner_uid) for row in value]
        elif field is not None and field.is_relation:
            out[key] = _relation_ref(field, value, refs)
        else:
            out[key] = value
    return out


def _child_row(model, row, refs: _Refs, owner_uid):
    if not isinstance(row, dict):
        return row
    out = {k: v for k, v in row.items() if k != "id"}
    if not out.get("uid") and "id" in row:
        # A row kept before rows had uids: an opaque key pairs it across the history's records.
        digest = hashlib.sha256(f"{owner_uid}:{row['id']}".encode()).hexdigest()[:16]
        out["row_key"] = f"legacy-{digest}"
    return _snapshot_refs(model, out, refs)


def _relation_ref(field, value, refs: _Refs):
    target = field.related_model
    if value is None:
        return None
    if target is User:
        return refs.person(value)
    if target is Product:
        return refs.product(value)
    if target is Patient:
        return None
    return refs.uid(target, value)  # a course has none: null


def _snapshot_user_ids(model, values, found: set, products: set) -> None:
    if not isinstance(values, dict):
        return
    for field in model._meta.concrete_fields:
        value = values.get(field.attname)
        if field.is_relation and isinstance(value, int):
            if field.related_model is User:
                found.add(value)
            elif field.related_model is Product:
                products.add(value)


# --- the document --------------------------------------------------------------------------------


def export_diary(patient: Patient) -> dict:
    """Every record of ``patient``'s diary as a JSON-ready dict (a fixed number of queries,
    whatever the number of records)."""
    refs = _Refs()
    memberships = list(
        Membership.objects.filter(patient=patient).select_related("user").order_by("pk")
    )
    plans = list(Regimen.all_objects.filter(patient=patient).order_by("start_date", "pk"))
    infusions = list(
        Infusion.all_objects.filter(patient=patient)
        .order_by("date", "start_time", "pk")
        .prefetch_related(
            *(
                models.Prefetch(key, model.objects.order_by("pk"))
                for key, model, _ in INFUSION_CHILDREN
            )
        )
    )
    symptoms = list(
        SymptomEntry.all_objects.filter(patient=patient)
        .select_related("course")
        .order_by("onset", "pk")
        .prefetch_related(models.Prefetch("readings", SymptomReading.objects.order_by("at", "pk")))
    )
    notes = list(
        Note.all_objects.filter(patient=patient)
        .select_related("course")
        .order_by("written_at", "pk")
    )
    measures = list(
        Measure.all_objects.filter(patient=patient)
        .select_related("course")
        .order_by("measured_at", "pk")
    )
    events = list(
        RedFlagEvent.objects.filter(patient=patient)
        .order_by("started_at", "pk")
        .prefetch_related(
            models.Prefetch("entries", SymptomEntry.all_objects.only("pk", "uid", "onset"))
        )
    )
    reports = list(ReportRecord.objects.filter(patient=patient).order_by("made_at", "pk"))
    preference = ReportPreference.objects.filter(patient=patient).first()
    changes = list(ChangeRecord.objects.filter(patient=patient).order_by("changed_at", "pk"))

    # The products: the diary's own, and every catalog product a plan, infusion or change uses.
    product_ids = {p.product_id for p in plans} | {i.product_id for i in infusions}
    user_ids: set[int] = set()
    for change in changes:
        model = HISTORY_MODELS.get(change.model)
        if model is not None:
            _snapshot_user_ids(model, change.before, user_ids, product_ids)
            _snapshot_user_ids(model, change.after, user_ids, product_ids)
    products = list(
        Product.objects.filter(Q(patient=patient) | Q(pk__in=product_ids)).order_by(
            "patient", "name", "route", "concentration_percent", "pk"
        )
    )
    for product in products:
        refs.products[product.pk] = (
            catalog_ref(product) if product.patient_id is None else str(product.uid)
        )

    # People: the members first, then anyone else who logged or changed something, then the
    # authors kept by name only (an imported diary's), in the order first met.
    readings = [r for entry in symptoms for r in entry.readings.all()]
    authored = [
        (infusions, "logged_by"),
        (symptoms, "logged_by"),
        (readings, "logged_by"),
        (notes, "logged_by"),
        (measures, "logged_by"),
        (events, "handled_by"),
        (reports, "made_by"),
        ([preference] if preference is not None else [], "updated_by"),
        (changes, "changed_by"),
    ]
    kept: dict[tuple[str, str], None] = {}
    for rows, field in authored:
        for row in rows:
            user_id = getattr(row, f"{field}_id")
            if user_id is not None:
                user_ids.add(user_id)
            elif (key := kept_author_key(row, field)) is not None:
                kept[key] = None
    member_ids = {m.user_id for m in memberships}
    others = list(User.objects.filter(pk__in=user_ids - member_ids - {None}).order_by("pk"))
    people = []
    for membership in memberships:
        refs.people[membership.user_id] = f"person-{len(people) + 1}"
        people.append(
            {
                "ref": refs.people[membership.user_id],
                "name": str(membership.user),
                "role": membership.role,
                "is_self": membership.is_self,
            }
        )
    for user in others:
        refs.people[user.pk] = f"person-{len(people) + 1}"
        people.append(
            {"ref": refs.people[user.pk], "name": str(user), "role": None, "is_self": False}
        )
    for name, role in kept:
        refs.named[(name, role)] = f"person-{len(people) + 1}"
        people.append(
            {
                "ref": refs.named[(name, role)],
                "name": name,
                "role": role or None,
                "is_self": False,
            }
        )

    refs.add([patient, *plans, *infusions, *symptoms, *notes, *measures, *events, *reports])
    for infusion in infusions:
        for key, _model, _names in INFUSION_CHILDREN:
            refs.add(getattr(infusion, key).all())
    for entry in symptoms:
        refs.add(entry.readings.all())

    def entry(row, names) -> dict:
        data = _fields(row, ENTRY_FIELDS)
        data["logged_by"] = refs.author(row, "logged_by")
        data.update(_fields(row, names))
        data.update(_fields(row, ENTRY_DERIVED_FIELDS))
        data["infusion"] = refs.uid(Infusion, row.infusion_id)
        data["cycle_start_date"] = dump_value(
            Infusion._meta.get_field("date"), row.course.start_date if row.course else None
        )
        return data

    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": dump_value(ChangeRecord._meta.get_field("changed_at"), timezone.now()),
        "diary": _fields(patient, DIARY_FIELDS),
        "people": people,
        "products": [
            {
                "ref": refs.products[p.pk],
                "catalog": p.patient_id is None,
                **_fields(p, PRODUCT_FIELDS),
                **({"uid": None} if p.patient_id is None else {}),
            }
            for p in products
        ],
        "plans": [
            {**_fields(p, PLAN_FIELDS), "product": refs.product(p.product_id)} for p in plans
        ],
        "infusions": [
            {
                **_fields(i, INFUSION_FIELDS),
                "product": refs.product(i.product_id),
                "plan": refs.uid(Regimen, i.regimen_id),
                "logged_by": refs.author(i, "logged_by"),
                **{
                    key: [_fields(row, names) for row in getattr(i, key).all()]
                    for key, _model, names in INFUSION_CHILDREN
                },
            }
            for i in infusions
        ],
        "symptom_entries": [
            {
                **entry(e, SYMPTOM_FIELDS),
                "readings": [
                    {**_fields(r, READING_FIELDS), "logged_by": refs.author(r, "logged_by")}
                    for r in e.readings.all()
                ],
            }
            for e in symptoms
        ],
        "notes": [entry(n, NOTE_FIELDS) for n in notes],
        "measures": [entry(m, MEASURE_FIELDS) for m in measures],
        "red_flag_events": [
            {
                **_fields(e, RED_FLAG_FIELDS),
                "entries": [
                    str(s.uid) for s in sorted(e.entries.all(), key=lambda s: (s.onset, s.pk))
                ],
                "infusion": refs.uid(Infusion, e.infusion_id),
                "handled_by": refs.author(e, "handled_by"),
            }
            for e in events
        ],
        "reports_made": [
            {**_fields(r, REPORT_FIELDS), "made_by": refs.author(r, "made_by")} for r in reports
        ],
        "report_preference": (
            {
                **_fields(preference, PREFERENCE_FIELDS),
                "updated_by": refs.author(preference, "updated_by"),
            }
            if preference is not None
            else None
        ),
        "changes": [_change(c, refs) for c in changes],
    }
    return document


def _change(change: ChangeRecord, refs: _Refs) -> dict:
    model = HISTORY_MODELS.get(change.model)
    data = _fields(change, CHANGE_FIELDS)
    data["changed_by"] = refs.author(change, "changed_by")
    if model is not None:
        data["before"] = _snapshot_refs(model, change.before, refs, change.object_uid)
        data["after"] = _snapshot_refs(model, change.after, refs, change.object_uid)
    return data


def _json_default(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def export_json(patient: Patient) -> bytes:
    """The document as UTF-8 JSON bytes (no BOM; non-ASCII text kept as is), to download."""
    text = json.dumps(export_diary(patient), ensure_ascii=False, indent=1, default=_json_default)
    return text.encode("utf-8")
