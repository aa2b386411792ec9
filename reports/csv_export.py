"""The CSV export (issue 10 §2): a zip of one CSV file per kind of record, for a spreadsheet.

:func:`build_zip` takes a diary and a period (local dates, both included) and returns the zip:
``infusions.csv``, ``side_effects.csv``, ``side_effect_readings.csv``, ``measures.csv``,
``notes_and_questions.csv``, ``red_flag_events.csv`` and a ``README.txt`` that says what each
file and column is (written from the same column list as the files, so the two never differ).

Every row starts with the record's stable id (``uid``, never the database key), its local date
and time in the zone it was logged in (an infusion's or an entry's own zone; a warning, which
keeps none, in the diary's zone), that zone, the UTC instant (ISO 8601), the day after the
infusion and the day of the cycle (clinical.md, "Time and cycles"; the diary's stored links,
never counted again here).

Files open cleanly in a spreadsheet: UTF-8 with a byte-order mark, comma separated, CRLF line
ends, a header row. Formula injection (quality.md): every *text* cell that starts with ``=``,
``+``, ``-``, ``@``, a tab, a carriage return (or a line feed, or the full-width ``＝ ＋ － ＠``)
gets a leading ``'``, whoever wrote the text; number cells come from numbers this module
formats itself (a rating of -2 stays the number -2) and are never touched.

A fixed number of queries whatever the size of the diary or the period (tests count them), and
only the diary's own rows: soft-deleted ones are left out (the ``objects`` managers).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinical import red_flags, scales, symptoms
from diary import entries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry
from diary.queries import authors
from infusions.models import Infusion, Site
from patients.authors import kept_author
from patients.models import Patient

# What a spreadsheet may read as the start of a formula (OWASP "CSV Injection"): = + - @, tab
# and carriage return; line feed and the full-width forms are added for good measure.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
LIST_SEPARATOR = "; "


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a ``'`` before anything that could start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def number(value: Decimal | int | float) -> str:
    """A number as a spreadsheet reads it: ``.`` for decimals, no trailing zeros."""
    if isinstance(value, float):
        value = Decimal(str(round(value, 1)))
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def cell(value) -> str:
    """One cell: numbers, dates and ids as themselves, text neutralised, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return number(value)
    if isinstance(value, dt.datetime):
        raise TypeError("Write an instant with utc() or local_text(), not as it is.")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str | Promise):
        return neutralise(str(value))
    raise TypeError(f"No CSV cell for {type(value).__name__}")


# --- time ----------------------------------------------------------------------------------------


def utc(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second: ``2026-03-29T00:30:00Z``."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def local_text(moment: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """``2026-03-29 01:30`` in ``zone``."""
    if moment is None:
        return None
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M")


def _hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _zone_name(zone: dt.tzinfo) -> str:
    return zone.key if isinstance(zone, zoneinfo.ZoneInfo) else str(zone)


def _when(moment: dt.datetime, zone: dt.tzinfo) -> dict:
    local = timezone.localtime(moment, zone)
    return {
        "local_date": local.date(),
        "local_time": local.strftime("%H:%M"),
        "time_zone": _zone_name(zone),
        "utc": utc(moment),
    }


# --- the files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One CSV file: its name, what it holds, and its columns (header, meaning)."""

    filename: str
    about: Promise
    columns: tuple[tuple[str, Promise], ...]

    @property
    def headers(self) -> list[str]:
        return [name for name, _meaning in self.columns]


def _timed(what: Promise) -> tuple[tuple[str, Promise], ...]:
    """The columns every file starts with."""
    return (
        ("uid", gettext_lazy("Stable id of the record; it never changes, in any export.")),
        ("local_date", what),
        (
            "local_time",
            gettext_lazy("Local time (24-hour HH:MM) in the zone of the time_zone column."),
        ),
        (
            "time_zone",
            gettext_lazy(
                "The zone the record was logged in (IANA name). A later change of the diary's "
                "zone does not move past records."
            ),
        ),
        ("utc", gettext_lazy("The same instant in UTC, ISO 8601 (e.g. 2026-03-29T00:30:00Z).")),
        (
            "day_after_infusion",
            gettext_lazy(
                "Local calendar days since the latest infusion that had started by then (0 on "
                "its day; a moment before the day's infusion counts from the one before); empty "
                "before the first infusion."
            ),
        ),
        (
            "day_of_cycle",
            gettext_lazy(
                "Local calendar days since the first day of the course whose cycle it belongs "
                "to (0 = first infusion day). On a course's first day, anything before the "
                "infusion started belongs to the previous cycle. Empty before the first course."
            ),
        ),
    )


_LOGGED_BY = ("logged_by", gettext_lazy("Who logged it (a member of the diary)."))

INFUSIONS = Table(
    "infusions.csv",
    gettext_lazy("One row per infusion day, as given."),
    (
        *_timed(gettext_lazy("Local date of the infusion day (YYYY-MM-DD).")),
        ("end_local_time", gettext_lazy("When it ended, local time (HH:MM); empty if unknown.")),
        ("end_utc", gettext_lazy("When it ended, in UTC (ISO 8601); empty if unknown.")),
        ("course_first_day", gettext_lazy("First day of the course (treatment cycle) it is in.")),
        ("product", gettext_lazy("Product (brand) name.")),
        ("product_uid", gettext_lazy("Stable id of the product.")),
        (
            "custom_product",
            gettext_lazy("yes: a product the diary added itself (not in the catalog)."),
        ),
        ("route", gettext_lazy("IV (intravenous, IVIG) or SC (subcutaneous, SCIG).")),
        ("concentration_percent", gettext_lazy("Concentration of the product, in %.")),
        ("dose_g", gettext_lazy("Dose given that day, in grams.")),
        ("weight_kg", gettext_lazy("Body weight the dose was given for, in kg.")),
        ("dose_g_per_kg", gettext_lazy("dose_g / weight_kg, rounded to 0.01.")),
        ("volume_ml", gettext_lazy("Volume given, in mL.")),
        (
            "highest_rate_ml_per_kg_h",
            gettext_lazy(
                "The fastest rate step, converted to mL/kg/h (steps in mL/h count only with a "
                "weight)."
            ),
        ),
        ("place", gettext_lazy("Where it was given.")),
        (
            "nurse",
            gettext_lazy("The nurse who gave it, as recorded; empty when none was recorded."),
        ),
        ("hydration", gettext_lazy("What was drunk or given before and during.")),
        (
            "lots",
            gettext_lazy(
                "Each lot (batch) given: number (expiry date; vials × size), separated by “; ”."
            ),
        ),
        (
            "rate_steps",
            gettext_lazy(
                "Each rate step: local clock time when the start time is known, minutes from "
                "the start, rate and unit, separated by “; ”."
            ),
        ),
        (
            "premedication",
            gettext_lazy("Each premedication: name, dose and local time taken, separated by “; ”."),
        ),
        (
            "reactions",
            gettext_lazy(
                "Each reaction during the infusion: symptom, severity (0-10), minutes from the "
                "start, what was done and any medication given, separated by “; ”."
            ),
        ),
        ("notes", gettext_lazy("Notes.")),
        _LOGGED_BY,
    ),
)

SIDE_EFFECTS = Table(
    "side_effects.csv",
    gettext_lazy(
        "One row per side-effect entry (an episode), at its onset. Later severities of the same "
        "episode are in side_effect_readings.csv."
    ),
    (
        *_timed(gettext_lazy("Local date it started (YYYY-MM-DD).")),
        (
            "symptom_code",
            gettext_lazy("Code of the symptom in the app's list; “other” for one the user named."),
        ),
        ("symptom", gettext_lazy("The symptom in words (the user's own words for “other”).")),
        ("custom_symptom", gettext_lazy("The user's own words for a symptom not in the list.")),
        ("detail", gettext_lazy("Where or which, for signs that need it (e.g. swelling: legs).")),
        (
            "severity",
            gettext_lazy(
                "Severity when it started, 0-10 (0 none, 1-3 mild, 4-6 moderate, 7-10 severe)."
            ),
        ),
        ("worst_severity", gettext_lazy("Worst severity over the episode, 0-10.")),
        ("latest_severity", gettext_lazy("Latest severity logged, 0-10.")),
        (
            "later_readings",
            gettext_lazy("How many later severities were logged (see side_effect_readings.csv)."),
        ),
        ("ended_local", gettext_lazy("When it ended, local date and time; empty if still going.")),
        ("ended_utc", gettext_lazy("When it ended, in UTC (ISO 8601).")),
        ("still_going", gettext_lazy("yes: no end was logged.")),
        (
            "red_flag",
            gettext_lazy("yes: it is part of a warning the app gave (see red_flag_events.csv)."),
        ),
        ("red_flag_warnings", gettext_lazy("Those warnings, separated by “; ”.")),
        ("helped", gettext_lazy("What helped.")),
        ("notes", gettext_lazy("Notes.")),
        ("infusion_uid", gettext_lazy("Stable id of the infusion it follows (infusions.csv).")),
        _LOGGED_BY,
    ),
)

READINGS = Table(
    "side_effect_readings.csv",
    gettext_lazy(
        "One row per later severity of a side-effect episode (“my headache is worse now”). The "
        "first severity is the entry's own, in side_effects.csv."
    ),
    (
        *_timed(gettext_lazy("Local date of the reading (YYYY-MM-DD).")),
        ("side_effect_uid", gettext_lazy("Stable id of the episode (side_effects.csv).")),
        ("symptom", gettext_lazy("The symptom in words.")),
        ("severity", gettext_lazy("Severity, 0-10.")),
        _LOGGED_BY,
    ),
)

MGADL_COLUMNS = tuple(f"mgadl_{code}" for code in scales.MGADL_ITEM_CODES)

MEASURES = Table(
    "measures.csv",
    gettext_lazy("One row per measure taken (scores, grip strength, platelets, weight, others)."),
    (
        *_timed(gettext_lazy("Local date it was measured (YYYY-MM-DD).")),
        (
            "kind",
            gettext_lazy(
                "mgadl, incat, grip, platelets, weight, gbs_disability or custom (a measure "
                "the user named)."
            ),
        ),
        ("measure", gettext_lazy("The measure in words (the user's name for a custom one).")),
        (
            "value",
            gettext_lazy(
                "The value: the MG-ADL or INCAT total, the GBS level, weight in kg, platelets in "
                "10^9/L, grip of the left hand, or the custom measure's value."
            ),
        ),
        ("unit", gettext_lazy("Unit of value (empty for scores).")),
        ("grip_left", gettext_lazy("Grip strength, left hand (unit in the unit column).")),
        ("grip_right", gettext_lazy("Grip strength, right hand.")),
        *(
            (column, gettext_lazy("MG-ADL item score, 0-3 (higher = worse)."))
            for column in MGADL_COLUMNS
        ),
        ("mgadl_total", gettext_lazy("MG-ADL total, 0-24 (higher = worse).")),
        ("incat_arms", gettext_lazy("INCAT arm grade, 0-5.")),
        ("incat_legs", gettext_lazy("INCAT leg grade, 0-5.")),
        ("incat_total", gettext_lazy("INCAT total, 0-10 (higher = worse).")),
        ("notes", gettext_lazy("Notes.")),
        _LOGGED_BY,
    ),
)

NOTES = Table(
    "notes_and_questions.csv",
    gettext_lazy("One row per improvement note or question for the doctor, with its answer."),
    (
        *_timed(gettext_lazy("Local date it was written (YYYY-MM-DD).")),
        ("kind", gettext_lazy("improvement (how I'm doing) or question (for my doctor).")),
        ("text", gettext_lazy("The note or question.")),
        (
            "rating",
            gettext_lazy(
                "Compared with before this infusion, -3 (much worse) to 3 (much better); empty "
                "if not given."
            ),
        ),
        ("rating_words", gettext_lazy("The rating in words.")),
        ("answer", gettext_lazy("The answer to a question.")),
        ("answered_local", gettext_lazy("When it was answered, local date and time.")),
        ("answered_utc", gettext_lazy("When it was answered, in UTC (ISO 8601).")),
        _LOGGED_BY,
    ),
)

RED_FLAGS = Table(
    "red_flag_events.csv",
    gettext_lazy(
        "One row per warning the app gave (signs that need care now), with what was done. "
        "Times are in the diary's zone."
    ),
    (
        *_timed(gettext_lazy("Local date the first sign involved started (YYYY-MM-DD).")),
        (
            "last_sign_local",
            gettext_lazy("When the last sign involved started, local date and time."),
        ),
        ("last_sign_utc", gettext_lazy("The same, in UTC (ISO 8601).")),
        ("rule", gettext_lazy("Code of the warning rule.")),
        ("warning", gettext_lazy("What the user reported, in plain words (never a diagnosis).")),
        ("emergency", gettext_lazy("yes: the advice was to call emergency services now.")),
        (
            "signs",
            gettext_lazy("The signs involved with their severity (0-10), separated by “; ”."),
        ),
        ("sign_codes", gettext_lazy("Their codes, separated by “; ”.")),
        ("hours_since_infusion", gettext_lazy("Hours from the infusion to the first sign.")),
        ("source", gettext_lazy("diary, or infusion (reactions logged during an infusion).")),
        ("infusion_uid", gettext_lazy("Stable id of the infusion it followed (infusions.csv).")),
        (
            "side_effect_uids",
            gettext_lazy("Stable ids of the side effects involved (side_effects.csv)."),
        ),
        (
            "advice",
            gettext_lazy(
                "The advice shown with the warning, as the app's current rules word it for "
                "these signs."
            ),
        ),
        (
            "status",
            gettext_lazy(
                "open; dealt with; or withdrawn (the entries behind it were corrected or "
                "deleted before anyone dealt with it)."
            ),
        ),
        ("handled_how", gettext_lazy("What was done about it.")),
        ("handled_local", gettext_lazy("When it was marked as dealt with, local date and time.")),
        ("handled_utc", gettext_lazy("The same, in UTC (ISO 8601).")),
        ("handled_by", gettext_lazy("Who marked it as dealt with.")),
    ),
)

TABLES = (INFUSIONS, SIDE_EFFECTS, READINGS, MEASURES, NOTES, RED_FLAGS)


# --- the rows ------------------------------------------------------------------------------------


class _Names:
    """Members' names for "logged by" (one query for the diary's members)."""

    def __init__(self, patient: Patient):
        self.names = authors(patient)

    def __call__(self, user_id: int | None, row=None, field: str = "logged_by") -> str | None:
        if user_id is None:
            # An author kept by name (an imported diary's), shown as where it came from.
            if row is None or not getattr(row, f"{field}_name", ""):
                return None
            return kept_author(row, field) or _("a former member")
        return self.names.get(user_id) or _("a former member")


def _joined(parts: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(parts)


def _lot_text(lot) -> str:
    details = [
        _("expiry %(date)s") % {"date": lot.expiry.isoformat()} if lot.expiry else _("no expiry")
    ]
    if lot.vial_size_g:
        details.append(f"{lot.vial_count} × {number(lot.vial_size_g)} g")
    elif lot.vial_count > 1:
        details.append(_("%(count)s vials") % {"count": lot.vial_count})
    return f"{lot.lot_number} ({', '.join(details)})"


def _step_text(infusion: Infusion, step) -> str:
    offset = f"+{step.minutes_from_start} min"
    if infusion.start_time is not None:
        at = infusion.starts_at + dt.timedelta(minutes=step.minutes_from_start)
        offset = f"{at.strftime('%H:%M')} ({offset})"
    return f"{offset} {number(step.rate)} {step.unit}"


def _premedication_text(premedication) -> str:
    # Never strip(): a leading tab or line break is what the neutralising must see.
    text = " ".join(part for part in (premedication.name, premedication.dose) if part)
    if premedication.taken_at is not None:
        text += " " + _("at %(time)s") % {"time": _hhmm(premedication.taken_at)}
    return text


def _reaction_text(reaction) -> str:
    parts = [f"{reaction.symptom_label} {reaction.severity}/10"]
    if reaction.minutes_from_start is not None:
        parts.append(f"+{reaction.minutes_from_start} min")
    parts.append(str(reaction.get_action_display()))
    if reaction.medication:
        parts.append(reaction.medication)
    return ", ".join(str(p) for p in parts)


def infusion_rows(patient: Patient, since: dt.date, until: dt.date, names: _Names):
    """Five queries: the infusions with their product and course, then lots, rate steps,
    premedications and reactions."""
    rows = (
        Infusion.objects.filter(patient=patient, date__gte=since, date__lte=until)
        .select_related("product", "course")
        .prefetch_related("lots", "rate_steps", "premedications", "reactions")
        .order_by("date", F("start_time").asc(nulls_first=True), "pk")
    )
    sites = dict(Site.choices)
    for infusion in rows:
        infusion.patient = patient  # its zone falls back to the patient's: no query for it
        zone = infusion.tz
        course = infusion.course
        product = infusion.product
        yield {
            "uid": infusion.uid,
            "local_date": infusion.date,
            "local_time": _hhmm(infusion.start_time),
            "time_zone": _zone_name(zone),
            "utc": utc(infusion.starts_at) if infusion.start_time is not None else None,
            "day_after_infusion": 0,
            "day_of_cycle": (infusion.date - course.start_date).days if course else None,
            "end_local_time": _hhmm(infusion.end_time),
            "end_utc": utc(infusion.ends_at) if infusion.end_time is not None else None,
            "course_first_day": course.start_date if course else None,
            "product": product.name,
            "product_uid": product.uid,
            "custom_product": product.patient_id is not None,
            "route": product.route,
            "concentration_percent": product.concentration_percent,
            "dose_g": infusion.dose_g,
            "weight_kg": infusion.weight_kg,
            "dose_g_per_kg": infusion.dose_g_per_kg,
            "volume_ml": infusion.volume_ml,
            "highest_rate_ml_per_kg_h": infusion.max_rate_ml_per_kg_h(),
            "place": sites.get(infusion.site, infusion.site),
            "nurse": infusion.nurse,
            "hydration": infusion.hydration,
            "lots": _joined(_lot_text(lot) for lot in infusion.lots.all()),
            "rate_steps": _joined(_step_text(infusion, s) for s in infusion.rate_steps.all()),
            "premedication": _joined(_premedication_text(p) for p in infusion.premedications.all()),
            "reactions": _joined(_reaction_text(r) for r in infusion.reactions.all()),
            "notes": infusion.notes,
            "logged_by": names(infusion.logged_by_id, infusion),
        }


def _entry_when(record, moment: dt.datetime) -> dict:
    """The common columns of a diary entry, from its stored links."""
    return {
        "uid": record.uid,
        **_when(moment, record.tz),
        "local_date": record.local_date,
        "day_after_infusion": record.days_after_infusion,
        "day_of_cycle": record.day_of_cycle,
    }


def _live_uid(infusion: Infusion | None):
    """The infusion's stable id, unless it was deleted since (infusions.csv leaves it out)."""
    return infusion.uid if infusion is not None and infusion.deleted_at is None else None


def _warning_title(code: str) -> str:
    try:
        return str(red_flags.get_rule(code).title)
    except KeyError:  # a rule retired since: its code still says which it was
        return code


def side_effects(patient: Patient, since: dt.date, until: dt.date) -> list[SymptomEntry]:
    """Two queries: the entries (with the infusion they follow) and their later readings."""
    rows = list(
        SymptomEntry.objects.filter(patient=patient, local_date__gte=since, local_date__lte=until)
        .select_related("infusion")
        .prefetch_related("readings")
        .order_by("onset", "pk")
    )
    for entry in rows:
        entry.patient = patient
    return rows


def side_effect_rows(rows: list[SymptomEntry], names: _Names):
    for entry in rows:
        readings = list(entry.readings.all())
        zone = entry.tz
        yield {
            **_entry_when(entry, entry.onset),
            "symptom_code": entry.symptom,
            "symptom": entry.label,
            "custom_symptom": entry.custom_symptom,
            "detail": entry.detail,
            "severity": entry.severity,
            "worst_severity": max([entry.severity, *(r.severity for r in readings)]),
            "latest_severity": entry.current_severity,
            "later_readings": len(readings),
            "ended_local": local_text(entry.ended_at, zone),
            "ended_utc": utc(entry.ended_at),
            "still_going": entry.ended_at is None,
            "red_flag": bool(entry.red_flags),
            "red_flag_warnings": _joined(_warning_title(code) for code in entry.red_flags or ()),
            "helped": entry.helped,
            "notes": entry.notes,
            "infusion_uid": _live_uid(entry.infusion),
            "logged_by": names(entry.logged_by_id, entry),
        }


def reading_rows(rows: list[SymptomEntry], index: entries.InfusionIndex, names: _Names):
    for entry in rows:
        for reading in entry.readings.all():
            yield {
                "uid": reading.uid,
                **_when(reading.at, entry.tz),
                **_days(index, reading.at, entry.tz),
                "side_effect_uid": entry.uid,
                "symptom": entry.label,
                "severity": reading.severity,
                "logged_by": names(reading.logged_by_id, reading),
            }


def _days(index: entries.InfusionIndex, moment: dt.datetime, zone: dt.tzinfo) -> dict:
    """Day after infusion and day of cycle of a moment with no stored links, counted as
    ``diary.entries.link`` counts them for an entry."""
    day = entries.local_date(zone, moment)
    infusion = index.latest_started_by(day, moment)
    _course, day_of_cycle = index.cycle_of(day, moment)
    return {
        "day_after_infusion": (day - infusion.date).days if infusion else None,
        "day_of_cycle": day_of_cycle,
    }


def measure_rows(patient: Patient, since: dt.date, until: dt.date, names: _Names):
    """One query."""
    rows = Measure.objects.filter(
        patient=patient, local_date__gte=since, local_date__lte=until
    ).order_by("measured_at", "pk")
    default_units = {Measure.Kind.WEIGHT: "kg", Measure.Kind.PLATELETS: "10^9/L"}
    for measure in rows:
        measure.patient = patient
        answers = measure.answers if isinstance(measure.answers, dict) else {}
        is_grip = measure.kind == Measure.Kind.GRIP
        is_mgadl = measure.kind == Measure.Kind.MGADL
        is_incat = measure.kind == Measure.Kind.INCAT
        row = {
            **_entry_when(measure, measure.measured_at),
            "kind": measure.kind,
            "measure": measure.title,
            "value": measure.value,
            "unit": measure.unit or default_units.get(measure.kind, ""),
            "grip_left": measure.value if is_grip else None,
            "grip_right": measure.value_right if is_grip else None,
            "mgadl_total": int(measure.value) if is_mgadl else None,
            "incat_arms": _score(answers.get("arms")) if is_incat else None,
            "incat_legs": _score(answers.get("legs")) if is_incat else None,
            "incat_total": int(measure.value) if is_incat else None,
            "notes": measure.notes,
            "logged_by": names(measure.logged_by_id, measure),
        }
        for code, column in zip(scales.MGADL_ITEM_CODES, MGADL_COLUMNS, strict=True):
            row[column] = _score(answers.get(code)) if is_mgadl else None
        yield row


def _score(value) -> int | None:
    """A stored item score as a number (never text from the JSON, which could be anything)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return int(value)


def note_rows(patient: Patient, since: dt.date, until: dt.date, names: _Names):
    """One query."""
    rows = Note.objects.filter(
        patient=patient, local_date__gte=since, local_date__lte=until
    ).order_by("written_at", "pk")
    ratings = dict(scales.GLOBAL_CHANGE_CHOICES)
    for note in rows:
        note.patient = patient
        yield {
            **_entry_when(note, note.written_at),
            "kind": note.kind,
            "text": note.text,
            "rating": note.rating,
            "rating_words": ratings.get(note.rating) if note.rating is not None else None,
            "answer": note.answer,
            "answered_local": local_text(note.answered_at, note.tz),
            "answered_utc": utc(note.answered_at),
            "logged_by": names(note.logged_by_id, note),
        }


def _advice(event: RedFlagEvent) -> tuple[bool, str]:
    """(emergency, advice) as the warning showed them: the rule's match for these signs."""
    try:
        rule = red_flags.get_rule(event.rule)
    except KeyError:
        return False, ""
    worst = {
        sign["code"]: sign.get("severity") or 0
        for sign in event.signs
        if isinstance(sign, dict) and "code" in sign
    }
    for match in red_flags.evaluate(worst, None):
        if match.rule is rule:
            return match.emergency, str(match.advice or rule.advice)
    return False, str(rule.advice)


def _signs(event: RedFlagEvent) -> tuple[str, str]:
    signs = [sign for sign in event.signs if isinstance(sign, dict)]
    words = _joined(
        f"{sign.get('label') or symptoms.label(str(sign.get('code', '')))} "
        f"{sign.get('severity')}/10"
        for sign in signs
    )
    return words, _joined(str(sign.get("code", "")) for sign in signs)


def red_flag_rows(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    index: entries.InfusionIndex,
    names: _Names,
):
    """Two queries: the warnings (with the infusion) and the side effects behind them."""
    start, _ignored = entries.day_bounds(patient, since)
    _ignored, end = entries.day_bounds(patient, until)
    rows = (
        RedFlagEvent.objects.filter(patient=patient, started_at__gte=start, started_at__lt=end)
        .select_related("infusion")
        .prefetch_related(
            Prefetch("entries", queryset=SymptomEntry.objects.order_by("onset", "pk").only("uid"))
        )
        .order_by("started_at", "pk")
    )
    zone = patient.tz
    handled = dict(RedFlagEvent.Handled.choices)
    for event in rows:
        emergency, advice = _advice(event)
        words, codes = _signs(event)
        if event.withdrawn_at is not None:
            status = _("withdrawn")
        elif event.handled_at is not None:
            status = _("dealt with")
        else:
            status = _("open")
        yield {
            "uid": event.uid,
            **_when(event.started_at, zone),
            **_days(index, event.started_at, zone),
            "last_sign_local": local_text(event.last_at, zone),
            "last_sign_utc": utc(event.last_at),
            "rule": event.rule,
            "warning": _warning_title(event.rule),
            "emergency": emergency,
            "signs": words,
            "sign_codes": codes,
            "hours_since_infusion": event.hours_since_infusion,
            "source": event.source,
            "infusion_uid": _live_uid(event.infusion),
            "side_effect_uids": _joined(str(e.uid) for e in event.entries.all()),
            "advice": advice,
            "status": status,
            "handled_how": handled.get(event.handled_how) if event.handled_how else None,
            "handled_local": local_text(event.handled_at, zone),
            "handled_utc": utc(event.handled_at),
            "handled_by": names(event.handled_by_id, event, "handled_by"),
        }


# --- writing -------------------------------------------------------------------------------------


def write_csv(table: Table, rows: Iterable[dict]) -> bytes:
    """The file: BOM, header row, one line per row (CRLF, the csv module's default)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in rows:
        if set(row) != set(table.headers):
            raise ValueError(f"{table.filename}: columns {sorted(set(row) ^ set(table.headers))}")
        writer.writerow([cell(row[name]) for name in table.headers])
    return out.getvalue().encode("utf-8-sig")


def readme(patient: Patient, since: dt.date, until: dt.date, made: dt.datetime) -> str:
    lines = [
        _("Infusion diary of %(name)s: %(since)s to %(until)s (local dates, both included).")
        % {"name": patient.name, "since": since.isoformat(), "until": until.isoformat()},
        _("Made %(when)s (UTC).") % {"when": utc(made)},
        "",
        _("How to read these files"),
        "",
        _(
            "- One CSV file per kind of record, with a header row: UTF-8 with a byte-order mark, "
            "comma separated, lines ending in CRLF. Rows are in time order."
        ),
        _(
            "- Dates are YYYY-MM-DD, times 24-hour HH:MM, instants in UTC ISO 8601; numbers use "
            "a point for decimals and carry no unit (the unit is in the column's name or in a "
            "unit column)."
        ),
        _(
            "- Every row has its stable id (uid): it never changes, and the other exports of the "
            "diary (FHIR, full export) use the same ids. Columns ending in _uid point at a row "
            "of another file."
        ),
        _(
            "- Text that begins with = + - @, a tab or a line break is shown with a ' in front, "
            "added by the export, so that a spreadsheet never runs it as a formula. Remove that "
            "first ' to read the text exactly as it was typed. Number cells are never changed."
        ),
        _("- Several items in one cell are separated by “; ”. yes/no columns say yes or no."),
        _("- Deleted records are not exported."),
    ]
    for table in TABLES:
        lines += ["", table.filename, "=" * len(table.filename), str(table.about), ""]
        lines += [f"{name}: {meaning}" for name, meaning in table.columns]
    return "\r\n".join(lines) + "\r\n"


def build_zip(patient: Patient, since: dt.date, until: dt.date) -> bytes:
    """The zip of CSV files for ``since``..``until`` (the diary's local dates, both included).

    A fixed number of queries (13 at most) whatever the diary's size.
    """
    if until < since:
        raise ValueError("The period ends before it starts.")
    names = _Names(patient)
    index = entries.InfusionIndex(patient)
    symptom_rows = side_effects(patient, since, until)
    made = timezone.now()
    files: list[tuple[str, Callable[[], bytes]]] = [
        (
            INFUSIONS.filename,
            lambda: write_csv(INFUSIONS, infusion_rows(patient, since, until, names)),
        ),
        (
            SIDE_EFFECTS.filename,
            lambda: write_csv(SIDE_EFFECTS, side_effect_rows(symptom_rows, names)),
        ),
        (READINGS.filename, lambda: write_csv(READINGS, reading_rows(symptom_rows, index, names))),
        (
            MEASURES.filename,
            lambda: write_csv(MEASURES, measure_rows(patient, since, until, names)),
        ),
        (NOTES.filename, lambda: write_csv(NOTES, note_rows(patient, since, until, names))),
        (
            RED_FLAGS.filename,
            lambda: write_csv(RED_FLAGS, red_flag_rows(patient, since, until, index, names)),
        ),
        ("README.txt", lambda: readme(patient, since, until, made).encode("utf-8-sig")),
    ]
    stamp = timezone.localtime(made, patient.tz).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, content in files:
            info = zipfile.ZipInfo(filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content())
    return buffer.getvalue()
