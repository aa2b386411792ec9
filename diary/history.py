"""Change history and soft delete: nothing in the diary is lost by an edit or a delete.

The mechanism is the project's one, in the lowest layer (:mod:`patients.history`), shared with
infusions and plans; these names stay here so the diary's code reads as before.

:func:`describe` says what each change of a diary entry did in plain words, as the infusion
history does (``infusions.changes``): one line per field a person recorded, with its label and
values as they read elsewhere in the diary (“Severity: 5 (moderate) → 8 (severe)”, “Swallowing:
Normal (0) → Gastric tube (3)”), never the stored internals (field names, JSON, UTC times,
derived links).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clinical import scales, symptoms
from patients.authors import kept_label
from patients.history import (
    SKIP,
    changes_for,
    python_value,
    record,
    restore,
    show_value,
    snapshot,
    soft_delete,
    soft_delete_queryset,
)
from patients.models import ChangeRecord

from .models import Measure, Note, SymptomEntry, SymptomReading

__all__ = [
    "ChangeRecord",
    "changes_for",
    "describe",
    "record",
    "restore",
    "snapshot",
    "soft_delete",
    "soft_delete_queryset",
    "subject",
]

# What nobody typed: bookkeeping (patients.history.SKIP), the author's account (the change says
# who made it), and what the diary works out by itself (the infusion and cycle an entry follows,
# its local day and zone, the worst severity, the warning signs).
HIDDEN = SKIP | {
    "logged_by",
    "infusion",
    "days_after_infusion",
    "course",
    "day_of_cycle",
    "local_date",
    "time_zone",
    "peak_severity",
    "red_flags",
}

# The labels the diary's forms and pages use, by model and field name. A field not listed (a
# field added later) reads with its own verbose name.
LABELS = {
    SymptomEntry: {
        "symptom": _lazy("Symptom"),
        "custom_symptom": _lazy("Your own words"),
        "severity": _lazy("Severity"),
        "onset": _lazy("Started"),
        "ended_at": _lazy("Ended"),
        "still_going_at": _lazy("Still going at"),
        "detail": _lazy("Where or which"),
        "helped": _lazy("What helped"),
        "notes": _lazy("Notes"),
    },
    Note: {
        "kind": _lazy("Type"),
        "text": _lazy("Note"),
        "rating": _lazy("Compared with before this infusion"),
        "written_at": _lazy("Date"),
        "answered_at": _lazy("Answered"),
        "answer": _lazy("Answer"),
    },
    Measure: {
        "kind": _lazy("Measure"),
        "measured_at": _lazy("Date"),
        "name": _lazy("Name"),
        "notes": _lazy("Notes"),
    },
}
# A measure's result is one line, whichever of its parts changed (grip: both hands and a unit).
_MEASURE_RESULT = ("value", "value_right", "unit")
# The answers of a score, item by item: (code, label, ((score, wording), ...)).
_SCALE_ITEMS = {
    scales.MGADL: tuple((item.code, item.question, item.options) for item in scales.MGADL_ITEMS),
    scales.INCAT: (
        ("arms", _lazy("Arms"), scales.INCAT_ARM_GRADES),
        ("legs", _lazy("Legs"), scales.INCAT_LEG_GRADES),
    ),
}
# Where a swelling is (symptoms.SWELLING_WHERE) and the other details an entry keeps.
_DETAILS = {
    "face": _lazy("Face, lips or throat"),
    "one_limb": _lazy("One arm or leg, painful or warm"),
    "legs": _lazy("Legs or ankles"),
    "all_over": _lazy("All over"),
    "aching": _lazy("Aching, nothing more"),
}
# A reading's change is written in the same transaction as the reading, a moment after it.
READING_MATCH = dt.timedelta(minutes=1)


def _arrow(label, old, new) -> str:
    return f"{label}: {old} → {new}"


def _moment(value) -> str:
    """A stored time as the diary reads it: local time of the diary, “23 Nov 2026 23:09”."""
    return date_format(timezone.localtime(value), "j M Y H:i")


def _severity(value) -> str:
    try:
        number = int(value)
        return f"{number} ({symptoms.severity_word(number)})"
    except (TypeError, ValueError):
        return "—" if value in (None, "") else str(value)


def _symptom_label(values: dict) -> str:
    code = values.get("symptom") or ""
    if code == SymptomEntry.OTHER:
        return values.get("custom_symptom") or "—"
    return str(symptoms.label(code)) if code else "—"


def _detail(value) -> str:
    if not value:
        return "—"
    return str(_DETAILS.get(value, value)) if isinstance(value, str) else _raw(value)


def _decimal(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _measure_result(values: dict, weight_unit: str) -> str:
    """The measure's value as its row in the diary shows it (“70 kg”, “5 / 24”, “left 30,
    right 32 kg”), in the patient's weight unit."""
    value = _decimal(values.get("value"))
    if value is None:
        return "—"
    answers = values.get("answers")
    measure = Measure(
        kind=values.get("kind") or Measure.Kind.CUSTOM,
        value=value,
        value_right=_decimal(values.get("value_right")),
        unit=values.get("unit") or "",
        name=values.get("name") or "",
        answers=answers if isinstance(answers, dict) else {},
    )
    return _keep_together(measure.display_value(weight_unit))


def _keep_together(text) -> str:
    """“9 / 24” never broken over two lines on a narrow phone."""
    return str(text).replace(" / ", "\u00a0/\u00a0")


def _answer(options: dict, score) -> str:
    if score is None:
        return "—"
    if not isinstance(score, int | str) or isinstance(score, bool):
        return _raw(score)
    wording = options.get(score)
    return f"{wording} ({score})" if wording is not None else str(score)


def _answer_lines(kind: str, before, after) -> list[str]:
    """A score's answers that changed, item by item, with the published wording."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    lines = []
    known = set()
    for code, label, options in _SCALE_ITEMS.get(kind, ()):
        known.add(code)
        old, new = before.get(code), after.get(code)
        if old != new:
            options = dict(options)
            lines.append(_arrow(label, _answer(options, old), _answer(options, new)))
    for code in dict.fromkeys([*before, *after]):
        if code not in known and before.get(code) != after.get(code):
            label = str(code).replace("_", " ").capitalize()
            old, new = before.get(code), after.get(code)
            lines.append(_arrow(label, "—" if old is None else old, "—" if new is None else new))
    return lines


def _changed(field, before: dict, after: dict) -> bool:
    old = python_value(field, before.get(field.attname))
    new = python_value(field, after.get(field.attname))
    return old != new and not (old in (None, "") and new in (None, ""))


def _raw(value) -> str:
    """A stored value that could not be read as its field: as it was stored, shortened."""
    return "—" if value in (None, "") else Truncator(str(value)).chars(80)


def field_lines(model, before: dict | None, after: dict | None, weight_unit: str = "kg"):
    """Each field of a diary entry that a person changed, in plain words.

    A snapshot is whatever was stored at the time, or brought in by an import: a value that
    cannot be read as its field today (a list, a time without a zone, "NaN") is shown as it was
    stored rather than failing the page."""
    if not isinstance(before, dict) or not isinstance(after, dict) or not before or not after:
        return []
    labels = LABELS.get(model, {})
    lines: list[str] = []
    state = {"result_done": False}
    for field in model._meta.concrete_fields:
        try:
            lines += _field_line(model, field, before, after, labels, weight_unit, state)
        except (ArithmeticError, TypeError, ValueError, AttributeError, KeyError):
            if field.attname in before or field.attname in after:
                old, new = before.get(field.attname), after.get(field.attname)
                if old != new and field.name not in HIDDEN and field.editable:
                    label = str(labels.get(field.name) or field.verbose_name)
                    lines.append(_arrow(label[:1].upper() + label[1:], _raw(old), _raw(new)))
    return lines


def _field_line(model, field, before, after, labels, weight_unit, state) -> list[str]:
    """The line (or lines, for a score's answers) of one field; none if it did not change."""
    lines: list[str] = []
    name = field.name
    if name in HIDDEN or field.attname in HIDDEN or not field.editable:
        return lines
    if field.attname not in before and field.attname not in after:
        return lines
    if model is Measure and name in _MEASURE_RESULT:
        if not state["result_done"]:
            state["result_done"] = True
            old, new = _measure_result(before, weight_unit), _measure_result(after, weight_unit)
            if old != new:
                title = after.get("name") if after.get("kind") == Measure.Kind.CUSTOM else None
                label = title or _measure_title(after.get("kind"))
                lines.append(_arrow(label, old, new))
        return lines
    if model is Measure and name == "answers":
        lines += _answer_lines(after.get("kind"), before.get(name), after.get(name))
        return lines
    if model is SymptomEntry and name == "custom_symptom":
        # Its words are the symptom's name for “something else”: the symptom line says it.
        others = (before.get("symptom"), after.get("symptom"))
        if SymptomEntry.OTHER in others:
            return lines
    if model is SymptomEntry and name == "symptom":
        # "Something else" renamed from one typed name to another is a change too.
        if _symptom_label(before) != _symptom_label(after):
            lines.append(
                _arrow(label_of(labels, field), _symptom_label(before), _symptom_label(after))
            )
        return lines
    if not _changed(field, before, after):
        return lines
    label = label_of(labels, field)
    old, new = before.get(field.attname), after.get(field.attname)
    if model is SymptomEntry and name == "severity":
        lines.append(_arrow(label, _severity(old), _severity(new)))
    elif model is SymptomEntry and name == "detail":
        lines.append(_arrow(label, _detail(old), _detail(new)))
    elif model is SymptomEntry and name == "ended_at":
        still = _("still going")
        lines.append(
            _arrow(
                label,
                show_value(field, old) if old else still,
                show_value(field, new) if new else still,
            )
        )
    elif model is Note and name == "text" and after.get("kind") == Note.Kind.QUESTION:
        lines.append(_arrow(_("Question"), show_value(field, old), show_value(field, new)))
    else:
        lines.append(_arrow(label, show_value(field, old), show_value(field, new)))
    return lines


def label_of(labels: dict, field) -> str:
    """The field's label as the diary's forms say it, with a capital."""
    label = str(labels.get(field.name) or field.verbose_name)
    return label[:1].upper() + label[1:]


def _measure_title(kind) -> str:
    try:
        return str(Measure.Kind(kind).label)
    except ValueError:
        return str(_("Value"))


def _reading_line(reading: SymptomReading, change: ChangeRecord) -> str:
    local_at = timezone.localtime(reading.at)
    same_day = local_at.date() == timezone.localtime(change.changed_at).date()
    at = local_at.strftime("%H:%M") if same_day else _moment(reading.at)
    worst = change.after.get("peak_severity") if isinstance(change.after, dict) else None
    if worst is None:
        return _("Later severity %(severity)s at %(at)s") % {
            "severity": _severity(reading.severity),
            "at": at,
        }
    return _("Later severity %(severity)s at %(at)s; worst so far %(worst)s") % {
        "severity": _severity(reading.severity),
        "at": at,
        "worst": worst,
    }


def _ended_by_reading(change: ChangeRecord) -> bool:
    """Whether the change only ended the episode (and perhaps its worst severity), as
    ``diary.entries.add_reading`` does for a later severity of 0 ("not present")."""
    before, after = change.before, change.after
    if not isinstance(before, dict) or not isinstance(after, dict):
        return False
    differ = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    return (
        "ended_at" in differ
        and before.get("ended_at") is None
        and differ <= {"ended_at", "peak_severity"} | HIDDEN
    )


def _may_record_reading(change: ChangeRecord) -> bool:
    return change.action == ChangeRecord.Action.UPDATED and (
        not change.lines or _ended_by_reading(change)
    )


def _match_readings(readings: Iterable[SymptomReading], changes: list[ChangeRecord]) -> dict:
    """Which change recorded which later reading: ``diary.entries.add_reading`` writes the
    reading, then a change of the entry in which only the worst severity may differ, or which
    ended it there (a later severity of 0). Each reading goes with the first such change at or
    just after it (in order, one each); a change that ended the episode goes only with a reading
    at its end."""
    candidates = sorted(
        (c for c in changes if _may_record_reading(c)), key=lambda c: (c.changed_at, c.pk)
    )
    found = {}
    position = 0
    for reading in sorted(readings, key=lambda r: (r.created_at, r.pk)):
        while position < len(candidates) and candidates[position].changed_at < reading.created_at:
            position += 1
        if position == len(candidates):
            break
        change = candidates[position]
        if change.lines and not (reading.severity == 0 and _ends_at(change, reading)):
            continue  # it ended the episode elsewhere: not this reading's change
        if change.changed_at - reading.created_at <= READING_MATCH:
            found[change.pk] = reading
            position += 1
    return found


def _ends_at(change: ChangeRecord, reading: SymptomReading) -> bool:
    """Whether the change's new end is the reading's time (as its snapshot stored it)."""
    stored = _stored(change.after, "ended_at")
    if stored is None:
        return False
    try:
        end = dt.datetime.fromisoformat(str(stored))
    except ValueError:
        return False
    return timezone.is_aware(end) and end == reading.at


def _who(change: ChangeRecord, names: dict[int, str]) -> str:
    if change.changed_by_id is not None:
        return names.get(change.changed_by_id) or str(change.changed_by)
    return kept_label(change.changed_by_name, change.changed_by_role) or _(
        "someone no longer in this diary"
    )


def _stored(snapshot, key: str):
    """One value of a stored snapshot, None when the snapshot is not a dict of fields."""
    return snapshot.get(key) if isinstance(snapshot, dict) else None


def describe(record, changes: Iterable[ChangeRecord], patient) -> list[ChangeRecord]:
    """Give each change of a diary entry ``who`` and ``lines`` (what changed, in plain words).

    A fixed number of queries whatever the number of changes: the members' names, and for a
    side effect its later readings.
    """
    from . import queries  # diary.queries imports diary.entries, which imports this module

    changes = list(changes)
    model = type(record)
    weight_unit = getattr(patient, "weight_unit", "kg") or "kg"
    names = queries.authors(patient) if changes else {}
    for change in changes:
        change.who = _who(change, names)
        change.lines = field_lines(model, change.before, change.after, weight_unit)
    if model is SymptomEntry and any(_may_record_reading(c) for c in changes):
        readings = _match_readings(
            SymptomReading.objects.filter(entry_id=record.pk).only(
                "pk", "entry_id", "severity", "at", "created_at"
            ),
            changes,
        )
        for change in changes:
            if change.pk in readings:
                # With "Ended: still going -> ..." after it when a 0 ended the episode.
                change.lines = [_reading_line(readings[change.pk], change), *change.lines]
    for change in changes:
        if change.action == ChangeRecord.Action.UPDATED and not change.lines:
            before = _stored(change.before, "peak_severity")
            after = _stored(change.after, "peak_severity")
            change.lines = [
                _arrow(_("Worst so far"), _raw(before), _raw(after))
                if before is not None and after is not None and before != after
                else _("Saved again; nothing you see changed.")
            ]
    return changes


def subject(record, weight_unit: str = "kg") -> str:
    """What the entry is, in a line, for the top of its history."""
    if isinstance(record, SymptomEntry):
        return _("%(symptom)s, started %(when)s") % {
            "symptom": record.label,
            "when": _moment(record.onset),
        }
    if isinstance(record, Measure):
        value = _keep_together(record.display_value(weight_unit))
        return f"{record.title} {value} · {_moment(record.measured_at)}"
    if isinstance(record, Note):
        text = Truncator(record.text).chars(80)
        return f"{record.get_kind_display()} · {_moment(record.written_at)}: {text}"
    return str(record)
