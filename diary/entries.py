"""Writing diary entries, with their side effects in one place.

Linking an entry to the infusion it follows, evaluating red flags for its day, and keeping the
change history all happen here, so every view (quick log, full form, edit, delete, undo) gets
the same behaviour.
"""

from __future__ import annotations

import bisect
import datetime as dt

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from clinical import red_flags
from infusions.models import Infusion
from patients.models import Patient

from . import history
from .models import ChangeRecord, Measure, Note, SymptomEntry

DIARY_MODELS = (SymptomEntry, Note, Measure)
# When an infusion's end (or start) time is unknown, count from midday of its date.
_UNKNOWN_INFUSION_TIME = dt.time(12, 0)


def local_date(patient: Patient, moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, patient.tz).date()


def day_bounds(patient: Patient, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a local calendar day as aware datetimes (23 or 25 hours around DST)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=patient.tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=patient.tz)
    return start, end


class InfusionIndex:
    """The patient's infusions by date, to find "the infusion this follows" without a query each."""

    def __init__(self, patient: Patient):
        self.infusions = list(
            Infusion.objects.filter(patient=patient)
            .order_by("date", "pk")
            .only("pk", "date", "start_time", "end_time", "patient_id")
        )
        self.dates = [i.date for i in self.infusions]

    def latest_on_or_before(self, day: dt.date) -> Infusion | None:
        position = bisect.bisect_right(self.dates, day)
        return self.infusions[position - 1] if position else None


def link(record, patient: Patient, index: InfusionIndex | None = None) -> None:
    """Set ``infusion`` and ``days_after_infusion`` from the local date of the entry.

    Counting in local calendar dates keeps "day 2 after the infusion" right across DST changes:
    a 23- or 25-hour day is still one day.
    """
    day = local_date(patient, record.when)
    if index is not None:
        infusion = index.latest_on_or_before(day)
    else:
        infusion = (
            Infusion.objects.filter(patient=patient, date__lte=day)
            .order_by("-date", "-pk")
            .only("pk", "date", "start_time", "end_time", "patient_id")
            .first()
        )
    record.infusion = infusion
    record.days_after_infusion = (day - infusion.date).days if infusion else None


def relink(patient: Patient) -> int:
    """Re-link every entry of the patient after an infusion was added, moved or deleted."""
    index = InfusionIndex(patient)
    changed = 0
    for model in DIARY_MODELS:
        stale = []
        for record in model.all_objects.filter(patient=patient).select_related("patient"):
            old = (record.infusion_id, record.days_after_infusion)
            link(record, patient, index)
            if (record.infusion_id, record.days_after_infusion) != old:
                stale.append(record)
        model.all_objects.bulk_update(stale, ["infusion", "days_after_infusion"])
        changed += len(stale)
    return changed


def hours_since_infusion(
    patient: Patient, moment: dt.datetime, infusion: Infusion | None
) -> float | None:
    if infusion is None:
        return None
    end_time = infusion.end_time or infusion.start_time or _UNKNOWN_INFUSION_TIME
    ended = dt.datetime.combine(infusion.date, end_time, tzinfo=patient.tz)
    return max((moment - ended).total_seconds() / 3600, 0.0)


def refresh_red_flags(patient: Patient, day: dt.date) -> list[red_flags.RedFlagMatch]:
    """Evaluate the rules on everything felt that day and mark the entries that set them off.

    "That day" includes symptoms that started earlier and were still going. The day is read as
    one aggregate (worst severity per symptom), so the cost does not grow with the entries.
    """
    start, end = day_bounds(patient, day)
    felt = SymptomEntry.objects.filter(patient=patient, onset__lt=end).exclude(ended_at__lt=start)
    severities = dict(
        felt.order_by()
        .values("symptom")
        .annotate(worst=Max("severity"))
        .values_list("symptom", "worst")
    )
    # Unknown timing counts as inside every window, so this is the widest possible match; only
    # when something could match is the time since the infusion worth a query.
    matches = red_flags.evaluate(severities, None)
    if matches:
        # The earliest warning sign felt that day (still going from earlier days included),
        # against the infusion it follows, so that no window closes early; entries that cannot
        # count for any rule do not move it.
        signs = Q()
        for code, lowest in red_flags.lowest_severities().items():
            signs |= Q(symptom=code, severity__gte=lowest)
        first = felt.filter(signs).order_by("onset").select_related("infusion").first()
        hours = hours_since_infusion(patient, first.onset, first.infusion) if first else None
        matches = red_flags.evaluate(severities, hours)
    flagged = {symptom for match in matches for symptom in match.symptoms}
    todays = SymptomEntry.objects.filter(patient=patient, onset__gte=start, onset__lt=end)
    todays.exclude(red_flags=[]).exclude(symptom__in=flagged).update(red_flags=[])
    for code in flagged:
        todays.filter(symptom=code).update(red_flags=flags_for(code, matches))
    return matches


def flags_for(symptom: str, matches: list[red_flags.RedFlagMatch]) -> list[str]:
    return [match.rule.code for match in matches if symptom in match.symptoms]


# A symptom still going counts on every day it lasts; re-checking is bounded to the last two
# weeks of that span (the home page shows warnings of the last 7 days).
RECHECK_MAX_DAYS = 14


def days_felt(patient: Patient, onset: dt.datetime, ended_at: dt.datetime | None) -> list[dt.date]:
    """The local days a symptom counts on: from its start to its end, or to today if going on."""
    today = local_date(patient, timezone.now())
    first = local_date(patient, onset)
    last = min(local_date(patient, ended_at) if ended_at else today, today)
    last = max(last, first)
    first = max(first, last - dt.timedelta(days=RECHECK_MAX_DAYS - 1))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def refresh_days(patient: Patient, days) -> list[red_flags.RedFlagMatch]:
    matches: list[red_flags.RedFlagMatch] = []
    for day in sorted(set(days)):
        matches.extend(refresh_red_flags(patient, day))
    return matches


def recheck_recent(patient: Patient) -> None:
    """Re-link entries and re-check the last two weeks' red flags, after an infusion or the
    patient's time zone changed (both move the windows the rules use)."""
    relink(patient)
    today = local_date(patient, timezone.now())
    start, _end = day_bounds(patient, today - dt.timedelta(days=RECHECK_MAX_DAYS - 1))
    if (
        SymptomEntry.objects.filter(patient=patient)
        .filter(Q(onset__gte=start) | Q(ended_at__isnull=True) | Q(ended_at__gte=start))
        .exists()
    ):
        refresh_days(patient, [today - dt.timedelta(days=n) for n in range(RECHECK_MAX_DAYS)])


@transaction.atomic
def save(record, user) -> list[red_flags.RedFlagMatch]:
    """Create or update a diary entry: link it, record the change, re-check red flags."""
    patient = record.patient
    created = record.pk is None
    before = None
    old_days: list[dt.date] = []
    if not created:
        old = type(record).all_objects.get(pk=record.pk)
        before = history.snapshot(old)
        if isinstance(old, SymptomEntry):
            old_days = days_felt(patient, old.onset, old.ended_at)
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
    if created and not red_flags.can_matter(record.symptom, record.severity):
        return []  # a new mild or unrelated symptom cannot set off or clear any rule
    # Every day the entry counts on, before and after the change.
    matches = refresh_days(patient, [*old_days, *days_felt(patient, record.onset, record.ended_at)])
    record.refresh_from_db(fields=["red_flags"])
    mine = [m for m in matches if record.symptom in m.symptoms]
    return list({m.rule.code: m for m in mine}.values())


@transaction.atomic
def delete(record, user) -> None:
    history.soft_delete(record, user)
    if isinstance(record, SymptomEntry):
        refresh_days(record.patient, days_felt(record.patient, record.onset, record.ended_at))


@transaction.atomic
def restore(record, user) -> None:
    history.restore(record, user)
    if isinstance(record, SymptomEntry):
        refresh_days(record.patient, days_felt(record.patient, record.onset, record.ended_at))
