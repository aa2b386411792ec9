"""Import a full export (``reports.full_export``; docs/export-format.md) as a new diary.

:func:`import_diary` restores every record into a new, empty diary owned by the importing user,
in one transaction. Anything wrong with the file refuses it with :class:`ImportRefused`, whose
message is written for the person who chose the file, and nothing is written.

What it checks, before any write: the size (read in chunks, never more than ``MAX_BYTES`` + 1),
that it is UTF-8 text and not a zip or other binary, the nesting depth (scanned before parsing),
JSON syntax, the format name and version, the number of records, every field's type and value
(each model's own field validators and choices, plus the clinical catalogs), uids given twice,
and every reference between records. The database's own constraints are the last guard: a
breach there refuses the file too.

Identity: the records keep the file's ``uid``s when none of them is in use in this database (a
diary moved to another server keeps its ids). When any is (the same diary imported again on the
same server), every record gets a new uid, consistently: references, change records and their
snapshots all follow.

People: the importer becomes the owner. The file's owners are the importer in the new diary
(their entries read "logged by <importer>"); everyone else who logged something (caregivers,
former members) has no account here (accounts are never created for names in a file): their
records keep the name and role the file gives (``logged_by_name``/``logged_by_role``…), shown as
the diary they came from showed them ("Sam (caregiver)", "a former member"; patients.authors).

Links worked out from dates (the plan in force, courses, each entry's infusion, day after it and
day of the cycle) are recomputed with the apps' own helpers, as for a diary logged by hand; the
warnings (red-flag events) are restored as recorded, not re-run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from clinical import red_flags, scales, symptoms
from diary.entries import end_if_none
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading
from infusions import plans as infusion_plans
from infusions.models import Infusion, Product, Regimen
from patients.models import EARLIEST_DAY, ChangeRecord, Membership, Patient, User

from . import full_export as fx
from .models import ReportPreference, ReportRecord

MAX_BYTES = 20 * 1024 * 1024  # a 5-year diary exports to about 6 MB
MAX_DEPTH = 32  # the format nests 6 deep at most (a change's snapshot of a child row)
MAX_RECORDS = 200_000  # every record of every kind together
CHUNK = 64 * 1024
SUPPORTED_VERSION = fx.VERSION
_NAME_MAX = ChangeRecord._meta.get_field("changed_by_name").max_length  # a person's name

_BINARY_MAGIC = (
    (b"PK\x03\x04", "a zip file"),
    (b"PK\x05\x06", "a zip file"),
    (b"\x1f\x8b", "a gzip file"),
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"SQLite format 3", "a database file"),
)


class ImportRefused(Exception):
    """The file cannot be imported; ``message`` says why, for the person who chose it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- reading the file ----------------------------------------------------------------------------


def _too_large() -> ImportRefused:
    return ImportRefused(
        _("This file is larger than %(mb)s MB, too large for a diary export.")
        % {"mb": MAX_BYTES // (1024 * 1024)}
    )


def read_capped(uploaded) -> bytes:
    """The file's bytes, refusing it by its size first (without reading it) when it says how
    large it is, and never reading more than ``MAX_BYTES`` + 1 bytes of it."""
    if isinstance(uploaded, bytes | bytearray | memoryview):
        data = bytes(uploaded)
        if len(data) > MAX_BYTES:
            raise _too_large()
        return data
    size = getattr(uploaded, "size", None)
    if isinstance(size, int) and size > MAX_BYTES:
        raise _too_large()
    if hasattr(uploaded, "seek"):
        with contextlib.suppress(OSError, ValueError):
            uploaded.seek(0)
    parts, total = [], 0
    while True:
        chunk = uploaded.read(min(CHUNK, MAX_BYTES + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if total > MAX_BYTES:
            raise _too_large()
    return b"".join(parts)


def _check_depth(document) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` (no diary export comes near it). Checked on the
    parsed document, without recursion: the parser itself refuses a "JSON bomb" of brackets
    deeper than Python's recursion limit (``RecursionError``) in linear time, whereas a scan of
    the raw bytes for strings went quadratic on a string never closed (a 64 KB file of escaped
    quotes took 12 s)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ImportRefused(_("This file is nested too deeply to be a diary export."))
        if isinstance(value, dict):
            stack.extend(
                (item, depth + 1) for item in value.values() if isinstance(item, dict | list)
            )
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value if isinstance(item, dict | list))


def _not_json() -> ImportRefused:
    return ImportRefused(_("This file is not a diary export: it is not JSON text."))


def parse(data: bytes) -> dict:
    """The export document from the file's bytes, or :class:`ImportRefused`."""
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise ImportRefused(
                _(
                    "This file is %(what)s, not a diary export. Choose the .json file the export "
                    "downloaded (unpack it first if it was zipped)."
                )
                % {"what": what}
            )
    if not data.strip():
        raise ImportRefused(_("This file is empty."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            _("This file is not UTF-8 text, so it is not a diary export.")
        ) from None
    if "\x00" in text:
        raise ImportRefused(_("This file is a binary file, not a diary export (JSON text)."))
    if text.lstrip()[:1] not in ("{", "["):
        raise _not_json()

    def no_constants(name):
        raise ValueError(name)

    try:
        document = json.loads(text, parse_constant=no_constants)
    except RecursionError:
        raise ImportRefused(_("This file is nested too deeply to be a diary export.")) from None
    except json.JSONDecodeError as error:
        raise ImportRefused(
            _(
                "This file is not valid JSON (line %(line)s, column %(column)s): it may be cut "
                "short or edited."
            )
            % {"line": error.lineno, "column": error.colno}
        ) from None
    except ValueError:
        raise _not_json() from None
    _check_depth(document)
    if not isinstance(document, dict) or document.get("format") != fx.FORMAT:
        raise ImportRefused(_("This file is JSON, but not an export of an infusion diary."))
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportRefused(_("This diary export has no valid version number."))
    if version > SUPPORTED_VERSION:
        raise ImportRefused(
            _(
                "This diary export is of version %(version)s, made by a newer version of the app. "
                "This server reads versions up to %(supported)s: import it on an up-to-date "
                "server."
            )
            % {"version": version, "supported": SUPPORTED_VERSION}
        )
    return document


# --- values -------------------------------------------------------------------------------------


class _Invalid(Exception):
    pass


_KINDS = {
    "diary": _("the diary's settings"),
    "people": _("people"),
    "products": _("products"),
    "plans": _("treatment plans"),
    "infusions": _("infusions"),
    "symptom_entries": _("side effects"),
    "notes": _("notes"),
    "measures": _("measures"),
    "red_flag_events": _("warnings"),
    "reports_made": _("reports made"),
    "report_preference": _("report settings"),
    "changes": _("change history"),
}


def _refuse(where: str, problem) -> ImportRefused:
    return ImportRefused(
        _("This diary export cannot be imported: %(where)s: %(problem)s")
        % {"where": where, "problem": problem}
    )


def _where(section: str, index: int | None = None, extra: str = "") -> str:
    kind = str(_KINDS.get(section, section))
    text = kind if index is None else _("record %(n)s of %(kind)s") % {"n": index + 1, "kind": kind}
    return f"{text}{extra}"


# The days a diary can hold: the forms take nothing before 1990 (reports.forms.EARLIEST); lot
# expiry dates and plans look ahead, so the future is open for a few years.
EARLIEST_BIRTH_DAY = dt.date(1900, 1, 1)  # a date of birth may be long before the diary
FUTURE_YEARS = 10


def _latest_day() -> dt.date:
    today = dt.date.today()
    return today.replace(year=today.year + FUTURE_YEARS, day=min(today.day, 28))


def load_value(field, raw):
    """A JSON value as the field's Python value; :class:`_Invalid` for a wrong type or form."""
    if raw is None:
        if field.null:
            return None
        raise _Invalid(_("“%(field)s” is missing.") % {"field": field.name})
    try:
        if isinstance(field, models.BooleanField):
            if not isinstance(raw, bool):
                raise TypeError
            return raw
        if isinstance(field, models.JSONField):
            return raw
        if isinstance(field, models.CharField | models.TextField):
            if not isinstance(raw, str):
                raise TypeError
            return raw
        if isinstance(field, models.UUIDField):
            if not isinstance(raw, str):
                raise TypeError
            return uuid.UUID(raw)
        if isinstance(field, models.DateTimeField):
            if not isinstance(raw, str):
                raise TypeError
            value = dt.datetime.fromisoformat(raw)
            if value.tzinfo is None:
                raise ValueError
            # In UTC here, not in the database adapter (year 1 or 9999 overflows there), and
            # within the days a diary can hold, as the forms allow them.
            value = value.astimezone(dt.UTC)
            if not EARLIEST_DAY <= value.date() <= _latest_day():
                raise ValueError
            return value
        if isinstance(field, models.DateField):
            if not isinstance(raw, str) or len(raw) != 10:
                raise TypeError
            value = dt.date.fromisoformat(raw)
            earliest = EARLIEST_BIRTH_DAY if field.name == "date_of_birth" else EARLIEST_DAY
            if not earliest <= value <= _latest_day():
                raise ValueError
            return value
        if isinstance(field, models.TimeField):
            if not isinstance(raw, str):
                raise TypeError
            return dt.time.fromisoformat(raw)
        if isinstance(field, models.DecimalField):
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                raise TypeError
            value = Decimal(str(raw))
            if not value.is_finite():
                raise ValueError
            return value
        if isinstance(field, models.FloatField):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise TypeError
            return float(raw)
        if isinstance(field, models.IntegerField):
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise TypeError
            return raw
    except (TypeError, ValueError, InvalidOperation, OverflowError):
        raise _Invalid(
            _("“%(field)s” has a value of the wrong kind: %(value)s")
            % {"field": field.name, "value": _short(raw)}
        ) from None
    raise _Invalid(f"unsupported field {field.name}")  # pragma: no cover - a new field type


def _short(raw) -> str:
    text = json.dumps(raw, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


def _record(data, where: str) -> dict:
    if not isinstance(data, dict):
        raise _refuse(where, _("it is not a record (a JSON object)."))
    return data


def _build(model, data: dict, names: Iterable[str], where: str, **extra):
    """An unsaved instance of ``model`` from the record's ``names``, each field checked with the
    model's own validators (types, lengths, choices, ranges)."""
    values = {}
    for name in names:
        if name not in data:
            raise _refuse(where, _("“%(field)s” is missing.") % {"field": name})
        field = model._meta.get_field(name)
        try:
            values[field.attname] = load_value(field, data[name])
        except _Invalid as error:
            raise _refuse(where, error) from None
        value = values[field.attname]
        # A text field's length is checked by its form only: check it here too.
        too_long = isinstance(field, models.TextField) and field.max_length
        if too_long and value and len(value) > field.max_length:
            raise _refuse(
                where,
                _("“%(field)s” is longer than %(max)s characters.")
                % {"field": name, "max": field.max_length},
            )
    obj = model(**values, **extra)
    exclude = {f.name for f in model._meta.concrete_fields if f.name not in names}
    try:
        obj.clean_fields(exclude=exclude)
    except ValidationError as error:
        problems = "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, messages in error.message_dict.items()
        )
        raise _refuse(where, problems) from None
    return obj


def _list(document: dict, key: str) -> list:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise _refuse(_where(key), _("it should be a list."))
    return value


# --- the import ---------------------------------------------------------------------------------


class _Importer:
    def __init__(self, user, document: dict):
        self.user = user
        self.doc = document
        self.uid_seen: set[uuid.UUID] = set()
        self.all_uids: list[tuple[type, uuid.UUID]] = []

    # -- checking, before any write --

    def _uid(self, model, obj, where: str) -> None:
        if obj.uid in self.uid_seen:
            raise _refuse(where, _("its id %(uid)s is given twice in the file.") % {"uid": obj.uid})
        self.uid_seen.add(obj.uid)
        self.all_uids.append((model, obj.uid))

    def _ref_uid(self, raw, known: dict, where: str, what: str, *, required=False):
        if raw is None and not required:
            return None
        try:
            key = uuid.UUID(raw) if isinstance(raw, str) else None
        except ValueError:
            key = None
        if key is None or key not in known:
            raise _refuse(
                where,
                _("it points at a %(what)s that is not in the file (%(ref)s).")
                % {"what": what, "ref": _short(raw)},
            )
        return known[key]

    def _person(self, raw, where: str):
        if raw is None:
            return None
        if not isinstance(raw, str) or raw not in self.people:
            raise _refuse(
                where,
                _("it names a person who is not in the file (%(ref)s).") % {"ref": _short(raw)},
            )
        return self.people[raw]

    def _author(self, obj, field: str, raw, where: str) -> None:
        """Set who ``field`` (``logged_by``…) names on ``obj``: the importer for the file's
        owners; anyone else by the name and role the file gives (no account is made)."""
        user_id = self._person(raw, where)
        setattr(obj, f"{field}_id", user_id)
        if user_id is None and raw is not None:
            name, role = self.person_names[raw]
            setattr(obj, f"{field}_name", name)
            setattr(obj, f"{field}_role", role)

    def check(self) -> None:
        doc = self.doc
        count = sum(
            len(doc[key]) if isinstance(doc.get(key), list) else 1 for key in _KINDS if key in doc
        )
        count += sum(
            sum(len(i.get(k) or []) for k, _m, _f in fx.INFUSION_CHILDREN)
            for i in _list(doc, "infusions")
            if isinstance(i, dict)
        )
        if count > MAX_RECORDS:
            raise ImportRefused(
                _(
                    "This diary export has more than %(max)s records, more than one diary can "
                    "hold here."
                )
                % {"max": f"{MAX_RECORDS:,}"}
            )
        diary = _record(doc.get("diary"), _where("diary"))
        self.patient = _build(Patient, diary, fx.DIARY_FIELDS, _where("diary"))
        try:
            self.patient.clean()
        except ValidationError as error:
            raise _refuse(_where("diary"), " ".join(error.messages)) from None
        self._uid(Patient, self.patient, _where("diary"))

        # People: references only. The file's owners become the importer.
        self.people: dict[str, int | None] = {}
        self.person_names: dict[str, tuple[str, str]] = {}  # ref: (name, role), not the owners
        self.self_diary = False
        for n, person in enumerate(_list(doc, "people")):
            where = _where("people", n)
            person = _record(person, where)
            ref, role = person.get("ref"), person.get("role")
            if not isinstance(ref, str) or not ref or ref in self.people:
                raise _refuse(where, _("its reference is missing or given twice."))
            if not isinstance(person.get("name"), str):
                raise _refuse(where, _("“name” is missing."))
            if role is not None and role not in Membership.Role.values:
                raise _refuse(where, _("“role” is not a known role."))
            if len(person["name"]) > _NAME_MAX:
                raise _refuse(
                    where, _("“name” is longer than %(max)s characters.") % {"max": _NAME_MAX}
                )
            owner = role == Membership.Role.OWNER
            self.people[ref] = self.user.pk if owner else None
            if not owner:
                self.person_names[ref] = (person["name"], role or "")
            self.self_diary |= owner and person.get("is_self") is True

        # Products: the diary's own in full; catalog ones found in this server's catalog.
        self.products: dict[str, Product | None] = {}
        self.custom_products: list[Product] = []
        catalog = {fx.catalog_ref(p): p for p in Product.objects.filter(patient__isnull=True)}
        for n, data in enumerate(_list(doc, "products")):
            where = _where("products", n)
            data = _record(data, where)
            ref = data.get("ref")
            if not isinstance(ref, str) or ref in self.products:
                raise _refuse(where, _("its reference is missing or given twice."))
            if data.get("catalog") is True:
                product = catalog.get(ref)
                if product is None:
                    raise _refuse(
                        where,
                        _("the product “%(name)s” is not in this server's catalog.")
                        % {"name": _short(data.get("name"))},
                    )
                self.products[ref] = product
                continue
            product = _build(Product, data, fx.PRODUCT_FIELDS, where)
            self._uid(Product, product, where)
            if ref != str(product.uid):
                raise _refuse(where, _("its reference is not its id."))
            self.products[ref] = product
            self.custom_products.append(product)

        def product_of(raw, where):
            if not isinstance(raw, str) or raw not in self.products:
                raise _refuse(
                    where,
                    _("it points at a product that is not in the file (%(ref)s).")
                    % {"ref": _short(raw)},
                )
            return self.products[raw]

        self.plans: dict[uuid.UUID, Regimen] = {}
        for n, data in enumerate(_list(doc, "plans")):
            where = _where("plans", n)
            data = _record(data, where)
            plan = _build(Regimen, data, fx.PLAN_FIELDS, where)
            self._uid(Regimen, plan, where)
            plan._product = product_of(data.get("product"), where)
            if plan.end_date is not None and plan.end_date < plan.start_date:
                raise _refuse(where, _("it ends before it starts."))
            self.plans[plan.uid] = plan

        self.infusions: dict[uuid.UUID, Infusion] = {}
        self.children: list[tuple[str, models.Model, Infusion]] = []
        for n, data in enumerate(_list(doc, "infusions")):
            where = _where("infusions", n)
            data = _record(data, where)
            infusion = _build(Infusion, data, fx.INFUSION_FIELDS, where)
            self._uid(Infusion, infusion, where)
            infusion._product = product_of(data.get("product"), where)
            infusion._plan = self._ref_uid(data.get("plan"), self.plans, where, _("plan"))
            self._author(infusion, "logged_by", data.get("logged_by"), where)
            if infusion.time_zone:
                _check_zone(infusion.time_zone, where)
            if (
                infusion.start_time
                and infusion.end_time
                and infusion.end_time < infusion.start_time
            ):
                raise _refuse(where, _("it ends before it starts."))
            for key, model, names in fx.INFUSION_CHILDREN:
                rows = data.get(key, [])
                if not isinstance(rows, list):
                    raise _refuse(where, _("“%(key)s” should be a list.") % {"key": key})
                for m, row in enumerate(rows):
                    row_where = f"{where}, {key} {m + 1}"
                    child = _build(model, _record(row, row_where), names, row_where)
                    self._uid(model, child, row_where)
                    if key == "reactions":
                        _check_symptom(child.symptom, row_where)
                    self.children.append((key, child, infusion))
            self.infusions[infusion.uid] = infusion

        self.entries: dict[type, list] = {SymptomEntry: [], Note: [], Measure: []}
        self.symptom_entries: dict[uuid.UUID, SymptomEntry] = {}
        self.readings: list[SymptomReading] = []
        for key, model, names in (
            ("symptom_entries", SymptomEntry, fx.SYMPTOM_FIELDS),
            ("notes", Note, fx.NOTE_FIELDS),
            ("measures", Measure, fx.MEASURE_FIELDS),
        ):
            for n, data in enumerate(_list(self.doc, key)):
                where = _where(key, n)
                data = _record(data, where)
                obj = _build(model, data, (*fx.ENTRY_FIELDS, *names), where)
                self._uid(model, obj, where)
                self._author(obj, "logged_by", data.get("logged_by"), where)
                if obj.time_zone:
                    _check_zone(obj.time_zone, where)
                _check_entry(obj, where)
                if model is SymptomEntry:
                    self.symptom_entries[obj.uid] = obj
                    readings = data.get("readings", [])
                    if not isinstance(readings, list):
                        raise _refuse(where, _("“readings” should be a list."))
                    for m, row in enumerate(readings):
                        row_where = f"{where}, reading {m + 1}"
                        row = _record(row, row_where)
                        reading = _build(SymptomReading, row, fx.READING_FIELDS, row_where)
                        self._uid(SymptomReading, reading, row_where)
                        self._author(reading, "logged_by", row.get("logged_by"), row_where)
                        reading._entry = obj
                        self.readings.append(reading)
                self.entries[model].append(obj)

        self.events: list[RedFlagEvent] = []
        for n, data in enumerate(_list(doc, "red_flag_events")):
            where = _where("red_flag_events", n)
            data = _record(data, where)
            event = _build(RedFlagEvent, data, fx.RED_FLAG_FIELDS, where)
            self._uid(RedFlagEvent, event, where)
            try:
                red_flags.get_rule(event.rule)
            except (KeyError, LookupError):
                raise _refuse(
                    where, _("“%(rule)s” is not a known warning.") % {"rule": _short(event.rule)}
                ) from None
            if not isinstance(event.signs, list) or not all(
                isinstance(s, dict) for s in event.signs
            ):
                raise _refuse(where, _("“signs” should be a list of signs."))
            event._infusion = self._ref_uid(
                data.get("infusion"), self.infusions, where, _("infusion")
            )
            self._author(event, "handled_by", data.get("handled_by"), where)
            linked = data.get("entries", [])
            if not isinstance(linked, list):
                raise _refuse(where, _("“entries” should be a list."))
            event._entries = [
                self._ref_uid(raw, self.symptom_entries, where, _("side effect"), required=True)
                for raw in linked
            ]
            self.events.append(event)

        self.reports: list[ReportRecord] = []
        for n, data in enumerate(_list(doc, "reports_made")):
            where = _where("reports_made", n)
            data = _record(data, where)
            report = _build(ReportRecord, data, fx.REPORT_FIELDS, where)
            self._uid(ReportRecord, report, where)
            if report.until < report.since:
                raise _refuse(where, _("its period ends before it starts."))
            self._author(report, "made_by", data.get("made_by"), where)
            self.reports.append(report)

        self.preference = None
        if doc.get("report_preference") is not None:
            where = _where("report_preference")
            data = _record(doc["report_preference"], where)
            self.preference = _build(ReportPreference, data, fx.PREFERENCE_FIELDS, where)
            self._author(self.preference, "updated_by", data.get("updated_by"), where)

        # Every uid of a record that a change record may point at, by its history key.
        self.by_key = {
            "infusions.infusion": self.infusions,
            "infusions.regimen": self.plans,
            "diary.symptomentry": self.symptom_entries,
            "diary.note": {o.uid: o for o in self.entries[Note]},
            "diary.measure": {o.uid: o for o in self.entries[Measure]},
        }
        self.changes: list[ChangeRecord] = []
        for n, data in enumerate(_list(doc, "changes")):
            where = _where("changes", n)
            data = _record(data, where)
            change = _build(ChangeRecord, data, fx.CHANGE_FIELDS, where)
            self._uid(ChangeRecord, change, where)
            if change.model not in self.by_key:
                raise _refuse(
                    where,
                    _("“%(model)s” is not a kind of record with a history.")
                    % {"model": _short(change.model)},
                )
            change._object = (
                None
                if change.object_uid is None
                else self._ref_uid(
                    str(change.object_uid), self.by_key[change.model], where, _("record")
                )
            )
            self._author(change, "changed_by", data.get("changed_by"), where)
            for side in ("before", "after"):
                value = getattr(change, side)
                if value is not None and not isinstance(value, dict):
                    raise _refuse(where, _("“%(side)s” should be a record.") % {"side": side})
                # References inside are checked now, translated once the rows have keys.
                self._snapshot(fx.HISTORY_MODELS[change.model], value, where, check_only=True)
            self.changes.append(change)

    # -- change records' snapshots ---

    def _snapshot(self, model, values, where, *, check_only=False):
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
            if key in children:
                if not isinstance(value, list):
                    raise _refuse(where, _("“%(key)s” should be a list.") % {"key": key})
                out[key] = [self._child(children[key], row, where, check_only) for row in value]
            elif field is not None and field.is_relation and value is not None:
                out[key] = self._relation(field, value, where, check_only)
            else:
                out[key] = value
        return out

    def _child(self, model, row, where, check_only):
        if not isinstance(row, dict):
            raise _refuse(where, _("a row of its snapshot is not a record."))
        out = self._snapshot(model, row, where, check_only=check_only)
        if check_only:
            return out
        uid = self.uid_map.get(_as_uuid(row.get("uid")))
        if uid is not None:
            out["uid"] = str(uid)
        # The row's key in this database, which the history pairs rows by; a row an edit removed
        # since has none: a negative stand-in, the same for the same row in every record.
        out.pop("row_key", None)
        key = row.get("uid") or row.get("row_key") or json.dumps(row, sort_keys=True)
        if key not in self.child_ids:
            self.child_ids[key] = self.child_pks.get(uid) or -(len(self.child_ids) + 1)
        return {"id": self.child_ids[key], **out}

    def _relation(self, field, value, where, check_only):
        target = field.related_model
        if target is User:
            if not isinstance(value, str) or value not in self.people:
                raise _refuse(where, _("its snapshot names a person who is not in the file."))
            return None if check_only else self.people[value]
        if target is Product:
            if not isinstance(value, str) or value not in self.products:
                raise _refuse(where, _("its snapshot points at a product not in the file."))
            return None if check_only else self.products[value].pk
        known = {
            Infusion: self.infusions,
            Regimen: self.plans,
            SymptomEntry: self.symptom_entries,
        }.get(target)
        if known is None:
            return None  # a course, worked out again: no reference kept
        obj = self._ref_uid(value, known, where, _("record"))
        return None if check_only else obj.pk

    # -- writing --

    def mint_uids_if_taken(self) -> None:
        """Keep the file's uids unless one is in use here; then new ones for every record."""
        by_model: dict[type, list[uuid.UUID]] = {}
        for model, uid in self.all_uids:
            by_model.setdefault(model, []).append(uid)
        taken = False
        for model, uids in by_model.items():
            manager = model._base_manager
            for start in range(0, len(uids), 500):
                if manager.filter(uid__in=uids[start : start + 500]).exists():
                    taken = True
                    break
            if taken:
                break
        self.uid_map: dict[uuid.UUID | None, uuid.UUID] = {
            uid: (uuid.uuid4() if taken else uid) for _model, uid in self.all_uids
        }
        if taken:
            for obj in self._all_objects():
                obj.uid = self.uid_map[obj.uid]
            for change in self.changes:
                if change.object_uid is not None:
                    change.object_uid = self.uid_map[change.object_uid]

    def _all_objects(self):
        yield self.patient
        yield from self.custom_products
        yield from self.plans.values()
        yield from self.infusions.values()
        for _key, child, _infusion in self.children:
            yield child
        for rows in self.entries.values():
            yield from rows
        yield from self.readings
        yield from self.events
        yield from self.reports
        yield from self.changes

    def _stamped(self):
        """(model, rows, fields the database would set to now) for every row with such fields."""
        for model, rows in (
            (Patient, [self.patient]),
            (Regimen, list(self.plans.values())),
            (Infusion, list(self.infusions.values())),
            (SymptomEntry, self.entries[SymptomEntry]),
            (Note, self.entries[Note]),
            (Measure, self.entries[Measure]),
            (SymptomReading, self.readings),
            (RedFlagEvent, self.events),
        ):
            names = [
                f.attname
                for f in model._meta.concrete_fields
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            ]
            yield model, rows, names

    def _end_at_none(self) -> None:
        """Episodes still open whose latest severity is 0 end there, as the diary ends them
        when such a severity is logged (``diary.entries.end_if_none``): an export made before
        that rule can hold some."""
        latest: dict[int, SymptomReading] = {}
        for reading in self.readings:  # in the file's order: the later of two at one time wins
            kept = latest.get(id(reading._entry))
            if kept is None or reading.at >= kept.at:
                latest[id(reading._entry)] = reading
        for entry in self.entries[SymptomEntry]:
            end_if_none(entry, latest.get(id(entry)))

    def write(self) -> Patient:
        patient = self.patient
        # Saving sets auto_now(_add) fields to now on the instances: keep the file's times.
        stamps = [
            (model, rows, names, [[getattr(row, n) for n in names] for row in rows])
            for model, rows, names in self._stamped()
        ]
        preference_updated = self.preference.updated_at if self.preference else None
        patient.full_clean(exclude=["uid", "public_id"], validate_unique=False)
        patient.save()
        is_self = (
            self.self_diary and not Membership.objects.filter(user=self.user, is_self=True).exists()
        )
        Membership.objects.create(
            user=self.user, patient=patient, role=Membership.Role.OWNER, is_self=is_self
        )
        for product in self.custom_products:
            product.patient = patient
        Product.objects.bulk_create(self.custom_products)
        for plan in self.plans.values():
            plan.patient, plan.product = patient, plan._product
        Regimen.all_objects.bulk_create(self.plans.values())
        for infusion in self.infusions.values():
            infusion.patient, infusion.product, infusion.regimen = (
                patient,
                infusion._product,
                infusion._plan,
            )
            infusion.time_zone = infusion.time_zone or patient.time_zone
        Infusion.all_objects.bulk_create(self.infusions.values())
        by_model: dict[type, list] = {}
        for _key, child, infusion in self.children:
            child.infusion = infusion
            by_model.setdefault(type(child), []).append(child)
        for model, rows in by_model.items():
            model.objects.bulk_create(rows)
        self._end_at_none()
        for model, rows in self.entries.items():
            for row in rows:
                row.patient = patient
                row.time_zone = row.time_zone or patient.time_zone
            model.all_objects.bulk_create(rows)
        for reading in self.readings:
            reading.entry = reading._entry
        SymptomReading.objects.bulk_create(self.readings)
        for event in self.events:
            event.patient, event.infusion = patient, event._infusion
        RedFlagEvent.objects.bulk_create(self.events)
        through = RedFlagEvent.entries.through
        through.objects.bulk_create(
            through(redflagevent_id=event.pk, symptomentry_id=entry.pk)
            for event in self.events
            for entry in dict.fromkeys(event._entries)
        )
        for report in self.reports:
            report.patient = patient
        ReportRecord.objects.bulk_create(self.reports)
        if self.preference is not None:
            self.preference.patient = patient
            self.preference.save()

        # The history, its snapshots pointing at the new rows.
        self.child_pks = {child.uid: child.pk for _key, child, _infusion in self.children}
        self.child_ids: dict[str, int] = {}
        for change in self.changes:
            change.patient = patient
            change.object_id = change._object.pk if change._object is not None else 0
            model = fx.HISTORY_MODELS[change.model]
            change.before = self._snapshot(model, change.before, "")
            change.after = self._snapshot(model, change.after, "")
        ChangeRecord.objects.bulk_create(self.changes)

        # Times the database set to now (auto_now and auto_now_add): the file's, as recorded.
        for model, rows, names, values in stamps:
            for row, row_values in zip(rows, values, strict=True):
                for name, value in zip(names, row_values, strict=True):
                    setattr(row, name, value)
            if rows and names:
                model._base_manager.bulk_update(rows, names, batch_size=500)
        if self.preference is not None:
            ReportPreference.objects.filter(pk=self.preference.pk).update(
                updated_at=preference_updated
            )

        # Links worked out from dates, with the apps' own helpers: each infusion under the plan
        # in force on its date, courses regrouped, then (plans_changed) every diary entry
        # relinked to its infusion, day after it and day of the cycle.
        infusion_plans.relink(patient)
        Patient.objects.filter(pk=patient.pk).update(data_version=F("data_version") + 1)
        patient.refresh_from_db()
        return patient


def _as_uuid(raw):
    try:
        return uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _check_zone(zone: str, where: str) -> None:
    from patients.models import validate_time_zone

    try:
        validate_time_zone(zone)
    except ValidationError as error:
        raise _refuse(where, " ".join(error.messages)) from None


def _check_symptom(code: str, where: str) -> None:
    if code != SymptomEntry.OTHER and not symptoms.is_known(code):
        raise _refuse(where, _("“%(code)s” is not a known symptom.") % {"code": _short(code)})


def _check_entry(obj, where: str) -> None:
    """What the forms and the database's constraints require beyond each field's own checks."""
    if isinstance(obj, SymptomEntry):
        _check_symptom(obj.symptom, where)
        if obj.symptom == SymptomEntry.OTHER and not obj.custom_symptom:
            raise _refuse(where, _("a symptom of your own needs its name."))
        if obj.ended_at is not None and obj.ended_at < obj.onset:
            raise _refuse(where, _("it ends before it starts."))
        if obj.peak_severity is not None and not obj.severity <= obj.peak_severity <= 10:
            raise _refuse(where, _("its worst severity is out of range."))
        if not isinstance(obj.red_flags, list) or not all(
            isinstance(c, str) for c in obj.red_flags
        ):
            raise _refuse(where, _("“red_flags” should be a list of warning codes."))
    elif isinstance(obj, Measure):
        if not isinstance(obj.answers, dict):
            raise _refuse(where, _("“answers” should be a record."))
        if obj.kind == Measure.Kind.CUSTOM and not obj.name:
            raise _refuse(where, _("a measure of your own needs its name."))
        try:
            if obj.kind == Measure.Kind.MGADL:
                if not 0 <= obj.value <= scales.MGADL_TOTAL_MAX:
                    raise ValueError("An MG-ADL total must be 0-24.")
                if obj.answers and scales.mgadl_total(obj.answers) != obj.value:
                    raise ValueError("The MG-ADL total is not the sum of its answers.")
            elif obj.kind == Measure.Kind.INCAT:
                if not 0 <= obj.value <= scales.INCAT_TOTAL_MAX:
                    raise ValueError("An INCAT total must be 0-10.")
                if obj.answers and scales.IncatScore.from_answers(obj.answers).total != obj.value:
                    raise ValueError("The INCAT total is not the sum of arms and legs.")
        except (ValueError, KeyError, TypeError) as error:
            raise _refuse(where, str(error)) from None


def import_diary(user, uploaded_file) -> Patient:
    """Import a full export as a new diary owned by ``user``; returns the new diary.

    ``uploaded_file``: an uploaded file (or any binary file object, or bytes). Raises
    :class:`ImportRefused` with a message for the user, having written nothing.
    """
    document = parse(read_capped(uploaded_file))
    importer = _Importer(user, document)
    importer.check()
    try:
        with transaction.atomic():
            importer.mint_uids_if_taken()
            return importer.write()
    except ImportRefused:
        raise
    except (IntegrityError, ValidationError, DatabaseError, OverflowError, ValueError) as error:
        # A value the checks above let through but the database refuses: still a refusal with
        # nothing written (the transaction is rolled back), never a server error.
        raise ImportRefused(
            _(
                "This diary export cannot be imported: its records break a rule of the diary "
                "(%(detail)s). Nothing was imported."
            )
            % {"detail": _short(str(error).splitlines()[0] if str(error) else type(error).__name__)}
        ) from None
