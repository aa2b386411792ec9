"""Writing diary entries, with their side effects in one place.

Linking an entry to the infusion it follows, evaluating red flags for its day, and keeping the
change history all happen here, so every view (quick log, full form, edit, delete, undo) gets
the same behaviour.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import NamedTuple

from django.db import transaction
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinical import red_flags
from infusions.models import Course, Infusion
from patients.models import Patient

from . import alerts, history
from .models import ChangeRecord, Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading

DIARY_MODELS = (SymptomEntry, Note, Measure)
# When an infusion's end (or start) time is unknown, count from midday of its date.
_UNKNOWN_INFUSION_TIME = dt.time(12, 0)


def _zone(where) -> dt.tzinfo:
    """A zone from a zone itself or anything that has one (patient, diary entry, infusion)."""
    return where if isinstance(where, dt.tzinfo) else where.tz


def local_date(patient, moment: dt.datetime) -> dt.date:
    """The local calendar date of ``moment`` in the zone of ``patient``: a patient (the diary's
    zone now), a diary entry or infusion (the zone it was logged in), or a zone."""
    return timezone.localtime(moment, _zone(patient)).date()


def day_bounds(patient, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a local calendar day as aware datetimes (23 or 25 hours around DST).

    ``patient`` is anything with a zone, as for :func:`local_date`.
    """
    zone = _zone(patient)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


class _Cycle(NamedTuple):
    course_id: int
    first_day: dt.date
    # When the first infusion day's infusion started: before it, that day is the old cycle's.
    starts_at: dt.datetime


class InfusionIndex:
    """The patient's infusions and courses, loaded in one query, to link entries without a
    query each.

    Courses are read from the infusions' ``course`` links, which ``infusions.courses.regroup``
    keeps; an infusion not grouped yet counts for "days after infusion" but starts no cycle.
    With ``until``, only what an entry of that day can need is loaded: the infusions since the
    start of the course before the latest one that began on or before ``until``.
    """

    def __init__(self, patient: Patient, until: dt.date | None = None):
        infusions = Infusion.objects.filter(patient=patient)
        if until is not None:
            previous_start = (
                Course.objects.filter(patient=patient, start_date__lte=until)
                .order_by("-start_date")
                .values("start_date")[1:2]
            )
            infusions = infusions.filter(
                date__lte=until,
                date__gte=Coalesce(Subquery(previous_start), Value(dt.date.min)),
            )
        self.infusions = list(
            infusions.order_by("date", "pk").only(
                "pk", "date", "start_time", "end_time", "time_zone", "course_id", "patient_id"
            )
        )
        for infusion in self.infusions:
            infusion.patient = patient  # its zone falls back to the patient's: no query for it
        self.dates = [i.date for i in self.infusions]
        by_course: dict[int, list[Infusion]] = {}
        for infusion in self.infusions:
            if infusion.course_id is not None:
                by_course.setdefault(infusion.course_id, []).append(infusion)
        cycles = []
        for course_id, days in by_course.items():
            first_day = days[0].date  # infusions are in date order
            starts_at = min(i.starts_at for i in days if i.date == first_day)
            cycles.append(_Cycle(course_id, first_day, starts_at))
        self.cycles = sorted(cycles, key=lambda c: c.first_day)
        self.cycle_days = [c.first_day for c in self.cycles]

    def latest_started_by(self, day: dt.date, moment: dt.datetime) -> Infusion | None:
        """The latest infusion that had started by ``moment`` (on local date ``day``): on an
        infusion's own day, a moment before it started follows the one before (a headache at
        00:10 is not "day 0 after" the infusion of 10:00). An unknown start time counts as the
        start of its day, as for the cycles."""
        position = bisect.bisect_right(self.dates, day)
        while (
            position
            and self.infusions[position - 1].date == day
            and moment < self.infusions[position - 1].starts_at
        ):
            position -= 1
        return self.infusions[position - 1] if position else None

    def cycle_of(self, day: dt.date, moment: dt.datetime) -> tuple[int | None, int | None]:
        """The course whose cycle ``moment`` (on local date ``day``) belongs to, and the local
        calendar days since that course's first day; ``(None, None)`` before the first course.

        On a course's first day, anything before the infusion's start belongs to the cycle that
        ends (a morning score before the infusion is the old cycle's last point). On its later
        days the course has begun already, whatever the time.
        """
        position = bisect.bisect_right(self.cycle_days, day)
        latest = self.cycles[position - 1] if position else None
        if latest and latest.first_day == day and moment < latest.starts_at:
            position -= 1  # before this course began: still the previous cycle
        if not position:
            return None, None
        cycle = self.cycles[position - 1]
        return cycle.course_id, (day - cycle.first_day).days


def link(record, patient: Patient, index: InfusionIndex | None = None) -> None:
    """Set the entry's local date, the infusion it follows, ``days_after_infusion``, its
    ``course`` and ``day_of_cycle``.

    Days are counted in the local calendar dates of the zone the entry was logged in (fixed at
    its first save), so that "day 2 after the infusion" stays right across DST changes (a 23- or
    25-hour day is still one day) and a later change of the diary's zone moves no past entry.
    """
    if not record.time_zone:
        record.time_zone = patient.time_zone  # as DiaryRecord.save would on the first save
    day = local_date(record, record.when)
    record.local_date = day
    if index is None:
        index = InfusionIndex(patient, until=day)
    infusion = index.latest_started_by(day, record.when)
    record.infusion = infusion
    record.days_after_infusion = (day - infusion.date).days if infusion else None
    record.course_id, record.day_of_cycle = index.cycle_of(day, record.when)


# What relink reads and writes; the rest of a row (texts, answers) is never loaded.
_LINK_FIELDS = (
    "infusion",
    "days_after_infusion",
    "course",
    "day_of_cycle",
    "local_date",
    "time_zone",
)
_WHEN_FIELD = {SymptomEntry: "onset", Note: "written_at", Measure: "measured_at"}


def relink(patient: Patient) -> int:
    """Re-link every entry of the patient after an infusion was added, moved or deleted, or the
    courses regrouped. One query for the infusions, one per kind of entry, and an update of only
    the rows whose links changed. Returns how many rows changed."""
    index = InfusionIndex(patient)
    changed = 0
    for model in DIARY_MODELS:
        stale = []
        rows = model.all_objects.filter(patient=patient).only(
            "pk", "patient_id", _WHEN_FIELD[model], *_LINK_FIELDS
        )
        for record in rows:
            old = _links(record)
            link(record, patient, index)
            if _links(record) != old:
                stale.append(record)
        model.all_objects.bulk_update(stale, _LINK_FIELDS, batch_size=500)
        changed += len(stale)
    return changed


def _links(record) -> tuple:
    return (
        record.infusion_id,
        record.days_after_infusion,
        record.course_id,
        record.day_of_cycle,
        record.local_date,
        record.time_zone,
    )


def recheck_recent(patient: Patient, infusion: Infusion | None = None) -> None:
    """Re-link entries and re-check warnings after an infusion changed (or was deleted):
    its times move the windows the rules use, its reactions are signs of their own."""
    relink(patient)
    if infusion is not None:
        alerts.refresh_infusion(patient, infusion.date, infusion.tz)


@transaction.atomic
def save(record, user) -> list[RedFlagEvent]:
    """Create or update a diary entry: link it, record the change, re-check red flags.

    Returns the warnings this change set off or changed (still open).
    """
    patient = record.patient
    created = record.pk is None
    before = None
    old_times = None
    old_mattered = False
    if not created:
        old = type(record).all_objects.get(pk=record.pk)
        before = history.snapshot(old)
        if isinstance(old, SymptomEntry):
            old_times = (old.onset, old.ended_at)
            old_mattered = can_matter(old)
    if isinstance(record, SymptomEntry):
        record.peak_severity = max(
            [
                record.severity,
                *(() if created else record.readings.values_list("severity", flat=True)),
            ]
        )
        if record.ended_at is None:
            end_if_none(record, None if created else record.readings.order_by("-at", "-pk").first())
    link(record, patient)
    if created and record.logged_by_id is None:
        record.logged_by = user
    record.save()
    history.record(
        record,
        ChangeRecord.Action.CREATED if created else ChangeRecord.Action.UPDATED,
        user,
        before=before,
    )
    if not isinstance(record, SymptomEntry):
        return []
    if not (old_mattered or can_matter(record)):
        return []  # a mild or unrelated symptom cannot set off or clear any rule
    events = alerts.refresh_entry(record, old_times)
    record.refresh_from_db(fields=["red_flags"])
    return events


@transaction.atomic
def add_reading(entry: SymptomEntry, severity: int, at, user) -> list[RedFlagEvent]:
    """A later severity of the same episode: kept with its time, the peak updated, re-checked."""
    before = history.snapshot(entry)
    old_times = (entry.onset, entry.ended_at)
    at = max(at, entry.onset)  # "since last night" for an episode that began this morning
    SymptomReading.objects.create(entry=entry, severity=severity, at=at, logged_by=user)
    entry.__dict__.pop("latest_reading", None)  # SymptomEntry.latest_reading: this one now
    getattr(entry, "_prefetched_objects_cache", {}).pop("readings", None)  # nor a stale prefetch
    entry.peak_severity = max(entry.peak_severity or entry.severity, severity)
    if severity == 0:  # no query on other readings: the latest is asked only for a 0
        end_if_none(entry, entry.latest_reading)
    entry.save(update_fields=["peak_severity", "ended_at", "updated_at"])
    history.record(entry, ChangeRecord.Action.UPDATED, user, before=before)
    if not can_matter(entry):
        return []
    events = alerts.refresh_entry(entry, old_times)
    entry.refresh_from_db(fields=["red_flags"])
    return events


def end_if_none(entry: SymptomEntry, latest: SymptomReading | None) -> None:
    """A severity of 0 means "not present" (clinical.md): an episode still going whose latest
    severity (``latest``, its latest later reading, else its first one) is 0 is over at that
    moment. "Same one", now 0, ends it there, as "Gone now" would; a sign logged at 0 records
    that it was not there, so it is never "still going" on Today. A later reading above 0
    keeps it open, and an end already given is kept."""
    if entry.ended_at is not None:
        return
    if latest is None:
        if entry.severity == 0:
            entry.ended_at = entry.onset
    elif latest.severity == 0 and latest.at >= entry.onset:
        entry.ended_at = latest.at


def can_matter(entry: SymptomEntry) -> bool:
    """Whether the entry (at its worst reading) counts for any rule, or is part of a warning.

    Rules ignore signs below their thresholds, so an entry that never reaches one cannot set off
    or clear anything, whatever its times: saving it skips the check.
    """
    worst = max(entry.severity, entry.peak_severity or 0)
    return bool(entry.red_flags) or red_flags.can_matter(entry.symptom, worst)


@transaction.atomic
def delete(record, user) -> None:
    history.soft_delete(record, user)
    if isinstance(record, SymptomEntry) and can_matter(record):
        alerts.refresh_entry(record)


@transaction.atomic
def restore(record, user) -> list[RedFlagEvent]:
    history.restore(record, user)
    if isinstance(record, SymptomEntry) and can_matter(record):
        return alerts.refresh_entry(record)
    return []
