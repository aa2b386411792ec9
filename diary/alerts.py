"""Red-flag warnings: the rules of ``clinical.red_flags`` applied to the diary, kept as events.

One entry point, :func:`refresh`, runs after every change that can set a warning off or clear
one: a symptom saved, edited, deleted or restored, a later severity reading, an infusion (its
reactions and its times) saved or deleted. It reads every sign felt around the change, diary
entries *and* reactions logged during infusions, as timed readings, asks the rule engine for
alerts, and keeps one :class:`RedFlagEvent` per alert:

* a new alert creates an event, shown on Today for everyone until someone marks it as dealt
  with;
* an alert that grows (another sign, a worse reading) updates its event;
* an open event whose signs were corrected or deleted is withdrawn, never deleted (the record
  stays); an Undo brings it back.

Entries' ``red_flags`` field mirrors the events they belong to, for the timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinical import red_flags
from infusions.models import Infusion, InfusionReaction
from patients.models import Patient
from patients.prepared import PreparedQuery

from .models import RedFlagEvent, SymptomEntry, SymptomReading

WINDOW = red_flags.WINDOW


def _doses(patient: Patient) -> tuple[list[red_flags.Dose], dict[int, Infusion]]:
    infusions = list(
        Infusion.objects.filter(patient=patient)
        .select_related("patient")
        .only("pk", "date", "start_time", "end_time", "time_zone", "patient__time_zone")
        .order_by("date", "start_time", "pk")
    )
    doses = [i.as_dose() for i in infusions]
    return doses, {i.pk: i for i in infusions}


def entry_readings(entry: SymptomEntry, later: Iterable[SymptomReading]) -> list[red_flags.Reading]:
    """An entry as timed readings: its first severity, then each later reading in turn."""
    points = [(entry.onset, entry.severity)]
    points += [(r.at, r.severity) for r in sorted(later, key=lambda r: (r.at, r.pk or 0))]
    readings = []
    for n, (start, severity) in enumerate(points):
        end = points[n + 1][0] if n + 1 < len(points) else entry.ended_at
        if entry.ended_at is not None and end is not None:
            end = min(end, entry.ended_at)
        readings.append(
            red_flags.Reading(
                code=entry.symptom,
                severity=severity,
                start=start,
                end=max(end, start) if end is not None else None,
                ref=("entry", entry.pk),
            )
        )
    return readings


def _readings(
    patient: Patient, since: dt.datetime, until: dt.datetime, infusions: dict[int, Infusion]
) -> list[red_flags.Reading]:
    entries = list(
        SymptomEntry.objects.filter(patient=patient, onset__lte=until)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since - WINDOW))
        .filter(symptom__in=red_flags.RED_FLAG_SIGN_CODES)
        .prefetch_related("readings")
    )
    readings: list[red_flags.Reading] = []
    for entry in entries:
        readings.extend(entry_readings(entry, entry.readings.all()))
    # Reactions logged during an infusion go through the same rules.
    low_date = (since - WINDOW - dt.timedelta(days=1)).date()
    high_date = (until + dt.timedelta(days=1)).date()
    nearby = [pk for pk, i in infusions.items() if low_date <= i.date <= high_date]
    if nearby:
        for reaction in InfusionReaction.objects.filter(infusion_id__in=nearby):
            readings.append(reaction.as_reading(infusions[reaction.infusion_id]))
    return readings


def signs_snapshot(alert: red_flags.Alert) -> list[dict]:
    return red_flags.describe_signs(alert.signs())


@transaction.atomic
def refresh(
    patient: Patient, since: dt.datetime, until: dt.datetime | None = None
) -> list[RedFlagEvent]:
    """Re-apply the rules to every sign that can combine with one felt from `since` to `until`.

    Returns the events created or changed (still open), for the page to show as new.
    """
    now = timezone.now()
    until = min(until or now, now)
    since = min(since, until)
    # Widen to the events already overlapping the range, so a cluster is never half-recomputed:
    # a match counts signs from 24 hours before it and joins an event sharing a sign within 24
    # hours more (clinical.red_flags._merge).
    overlapping = RedFlagEvent.objects.filter(
        patient=patient, source__in=[RedFlagEvent.Source.DIARY, RedFlagEvent.Source.INFUSION]
    ).filter(last_at__gte=since - 2 * WINDOW, started_at__lte=until + WINDOW)
    bounds = overlapping.order_by().values_list("started_at", "last_at")
    for started, last in bounds:
        since, until = min(since, started), max(until, min(last, now))
    doses, infusions = _doses(patient)
    readings = _readings(patient, since, until + WINDOW, infusions)
    # A sign timed a little ahead of the server's clock (a phone's clock ahead, which the
    # forms allow; a reaction "125 min in" logged at 120) is checked like any other: the
    # anchors reach the latest sign loaded, not only now (code review: chest pain logged for
    # 12:03 at 12:00 never warned, and nothing checked it again later).
    horizon = max([now, *(reading.start for reading in readings)])
    alerts = red_flags.find_alerts(
        readings, doses, horizon, anchors_from=since, anchors_to=min(until + WINDOW, horizon)
    )
    existing = list(overlapping.prefetch_related("entries"))
    # Signs still going since long before the range (a headache and a stiff neck never closed)
    # are matched again at any anchor in it, say a tiredness logged today: the warning they made
    # back then is found through their entries, or every such entry would make a copy of it.
    # Found this way only, it is never withdrawn here: its own times were not rechecked.
    linked = {ref[1] for alert in alerts for ref in alert.refs if ref and ref[0] == "entry"}
    far = (
        list(
            RedFlagEvent.objects.filter(
                patient=patient,
                source__in=[RedFlagEvent.Source.DIARY, RedFlagEvent.Source.INFUSION],
                entries__in=linked,
            )
            .exclude(pk__in=[event.pk for event in existing])
            .distinct()
            .prefetch_related("entries")
        )
        if linked
        else []
    )
    # A warning someone dealt with is a record: its signs and what was done are never changed.
    # New signs (or worse ones) after it make a new warning; the same signs again do not. Only
    # its timing follows the infusions as now logged (an infusion of that morning logged in the
    # evening): "197 h after an infusion" on a doctor's report was wrong by a week.
    handled = [event for event in [*existing, *far] if event.handled_at is not None]
    unused = {event.pk: event for event in existing if event.handled_at is None}
    far_open = {event.pk: event for event in far if event.handled_at is None}
    changed: list[RedFlagEvent] = []
    touched_entries: set[int] = set()
    for alert in alerts:
        dose_infusion = infusions.get(alert.dose.ref) if alert.dose else None
        event, fit = _find_event(alert, [*unused.values(), *far_open.values()])
        if event is not None and event.pk in far_open and fit >= _SHARES_ONLY:
            # An open warning of weeks ago that only shares a sign still going is not this
            # one: taking it over moved it to today, and deleting today's sign withdrew it.
            event, fit = _find_event(alert, list(unused.values()))
        dealt_with, dealt_fit = _find_event(alert, handled)
        # The warning dealt with is the one this alert repeats when nothing still open fits it
        # as well: a match of weeks ago, recomputed, is that one, not today's through the
        # headache both share. Sharing an entry alone, weeks apart, never makes it a repeat:
        # a headache left open then and felt again with a stiff neck today is a new warning.
        if (
            dealt_with is not None
            and dealt_fit < min(fit, _SHARES_ONLY)
            and _covers(dealt_with, signs_snapshot(alert))
        ):
            _retime(dealt_with, alert.hours_since_infusion, dose_infusion)
            continue
        entry_ids = {ref[1] for ref in alert.refs if ref and ref[0] == "entry"}
        reaction_only = not entry_ids
        fields = {
            "rule": alert.rule.code,
            "source": RedFlagEvent.Source.INFUSION if reaction_only else RedFlagEvent.Source.DIARY,
            "started_at": alert.started_at,
            "last_at": alert.last_at,
            "signs": signs_snapshot(alert),
            "hours_since_infusion": alert.hours_since_infusion,
            "infusion": dose_infusion,
        }
        if event is None:
            event = RedFlagEvent.objects.create(patient=patient, created_at=now, **fields)
            changed.append(event)
        else:
            unused.pop(event.pk, None) or far_open.pop(event.pk)
            old_entries = {e.pk for e in event.entries.all()}
            touched_entries |= old_entries
            is_news = (
                event.withdrawn_at is not None
                or event.signs != fields["signs"]
                or not entry_ids <= old_entries
            )
            for name, value in fields.items():
                setattr(event, name, value)
            event.withdrawn_at = None
            event.save()
            if is_news:
                changed.append(event)
        event.entries.set(entry_ids)
        touched_entries |= entry_ids
    for event in unused.values():
        touched_entries |= {e.pk for e in event.entries.all()}
        if event.withdrawn_at is None:
            event.withdrawn_at = now
            event.save(update_fields=["withdrawn_at", "updated_at"])
    _mirror_on_entries(patient, touched_entries)
    return changed


def _retime(event: RedFlagEvent, hours: float | None, infusion: Infusion | None) -> None:
    """A warning dealt with keeps its signs and what was done; its hours since the infusion
    and the infusion it followed are the ones logged now."""
    if event.hours_since_infusion == hours and event.infusion_id == (infusion and infusion.pk):
        return
    event.hours_since_infusion, event.infusion = hours, infusion
    event.save(update_fields=["hours_since_infusion", "infusion", "updated_at"])


_SHARES_ONLY = 3  # _find_event's fit for an event that shares an entry but is far in time
_NO_FIT = 4


def _find_event(
    alert: red_flags.Alert, events: list[RedFlagEvent]
) -> tuple[RedFlagEvent | None, int]:
    """The event of the same rule this alert continues, and how well it fits (lower is
    better): 0, it shares an entry and is within 24 hours of it; 1, the same infusion's
    reactions; 2, it overlaps in time; 3, it shares an entry at any distance (an entry whose
    time was corrected by days). An entry still going for weeks belongs to every warning it
    was part of, so sharing one is not enough when a nearer event fits."""
    entry_ids = {ref[1] for ref in alert.refs if ref and ref[0] == "entry"}
    span = (alert.started_at, alert.last_at)
    best, best_fit = None, _NO_FIT
    for event in events:
        if event.rule != alert.rule.code:
            continue
        shares = bool(entry_ids & {e.pk for e in event.entries.all()})
        when = (event.started_at, event.last_at)
        if shares and red_flags.near(when, span, WINDOW):
            fit = 0
        elif (
            not entry_ids
            and alert.dose is not None
            and event.source == RedFlagEvent.Source.INFUSION
            and event.infusion_id == alert.dose.ref
        ):
            fit = 1
        elif red_flags.near(when, span):
            fit = 2
        elif shares:
            fit = _SHARES_ONLY
        else:
            continue
        if fit < best_fit:
            best, best_fit = event, fit
    return best, best_fit


def _covers(event: RedFlagEvent, signs: list[dict]) -> bool:
    """Whether the event already had every one of these signs, at least as bad."""
    had = {sign["code"]: sign["severity"] for sign in event.signs}
    return all(sign["code"] in had and had[sign["code"]] >= sign["severity"] for sign in signs)


def _mirror_on_entries(patient: Patient, entry_ids: set[int]) -> None:
    """Each entry's ``red_flags``: the rules of the events (not withdrawn) it belongs to."""
    if not entry_ids:
        return
    flags: dict[int, set[str]] = {pk: set() for pk in entry_ids}
    links = RedFlagEvent.entries.through.objects.filter(
        symptomentry_id__in=entry_ids,
        redflagevent__withdrawn_at__isnull=True,
        redflagevent__patient=patient,
    ).values_list("symptomentry_id", "redflagevent__rule")
    for entry_id, rule in links:
        flags[entry_id].add(rule)
    order = {rule.code: n for n, rule in enumerate(red_flags.RULES)}
    rows = list(SymptomEntry.all_objects.filter(patient=patient, pk__in=entry_ids))
    stale = []
    for row in rows:
        wanted = sorted(flags[row.pk], key=order.__getitem__)
        if row.red_flags != wanted:
            row.red_flags = wanted
            stale.append(row)
    SymptomEntry.all_objects.bulk_update(stale, ["red_flags"])


def refresh_entry(entry: SymptomEntry, before: tuple | None = None) -> list[RedFlagEvent]:
    """After an entry was saved, deleted or restored. `before`: its (onset, ended_at) earlier."""
    starts = [entry.onset] + ([before[0]] if before else [])
    ends = [entry.ended_at or timezone.now()]
    if before:
        ends.append(before[1] or timezone.now())
    return refresh(entry.patient, min(starts), max(ends))


def refresh_infusion(patient: Patient, day: dt.date, tz) -> list[RedFlagEvent]:
    """After an infusion on `day` (its times, its reactions) was saved, moved or deleted."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    # Hours since an infusion reach as far as the longest window of any rule.
    longest = max((r.window_hours_after_infusion or 0) for r in red_flags.RULES)
    return refresh(patient, start - WINDOW, start + dt.timedelta(hours=longest + 48))


OPEN_SHOWN = 100
HANDLED_SHOWN = 10


# The warnings Today and every quick-log answer show, compiled once (patients.caching): those
# nobody has marked as dealt with yet and those dealt with since ``handled_since``; open ones
# first, newest first, then the latest dealt with. Warnings logged during an infusion show its
# date: a second query when there are some (a join would cost every page view more).
_SHOWN = PreparedQuery(
    lambda patient, handled_since: (
        RedFlagEvent.objects.filter(patient=patient)
        .filter(
            Q(handled_at__isnull=True, withdrawn_at__isnull=True) | Q(handled_at__gte=handled_since)
        )
        .prefetch_related("infusion")
        .order_by(F("handled_at").desc(nulls_first=True), "-last_at", "-pk")[
            : OPEN_SHOWN + HANDLED_SHOWN
        ]
    ),
    patient=int,
    handled_since=dt.datetime,
)


def shown_events(
    patient: Patient, handled_since: dt.datetime
) -> tuple[list[RedFlagEvent], list[RedFlagEvent]]:
    """The warnings Today shows, in one query: those nobody has marked as dealt with yet (the
    emergencies first, then the newest), and those dealt with since ``handled_since`` (the
    latest first)."""
    rows = _SHOWN(patient=patient.pk, handled_since=handled_since)
    still_open = [e for e in rows if e.handled_at is None][:OPEN_SHOWN]
    handled = [e for e in rows if e.handled_at is not None][:HANDLED_SHOWN]
    return sorted(still_open, key=lambda e: (not is_emergency(e),)), handled


def is_emergency(event: RedFlagEvent) -> bool:
    """Whether the event's signs set off an emergency trigger of its rule."""
    return _match(event).emergency


def _match(event: RedFlagEvent) -> red_flags.RedFlagMatch:
    rule = red_flags.get_rule(event.rule)
    worst = {sign["code"]: sign["severity"] for sign in event.signs}
    matches = [m for m in red_flags.evaluate(worst, None) if m.rule is rule]
    return matches[0] if matches else red_flags.RedFlagMatch(rule=rule, symptoms=())


def when_text(event: RedFlagEvent, tz) -> str:
    started = timezone.localtime(event.started_at, tz)
    if event.source == RedFlagEvent.Source.INFUSION and event.infusion_id:
        return _("Logged during the infusion of %(date)s.") % {
            "date": date_format(event.infusion.date, "D j M")
        }
    text = _("Felt from %(when)s") % {"when": date_format(started, "D j M H:i")}
    after = after_infusion(event.hours_since_infusion)
    return f"{text}, {after}." if after else f"{text}."


def after_infusion(hours: float | None) -> str:
    """How long after the infusion before it a red flag began, in the words of the warning, its
    history and the doctor's report alike: hours up to two days, then days ("" when no
    infusion came before)."""
    if hours is None:
        return ""
    if hours < 1:
        return _("during or just after an infusion")
    if hours < 48:
        whole = round(hours)
        return ngettext(
            "%(hours)d hour after an infusion", "%(hours)d hours after an infusion", whole
        ) % {"hours": whole}
    return _("%(days)d days after an infusion") % {"days": round(hours / 24)}


def as_alert(event: RedFlagEvent, tz, *, fresh: bool = False, handle_url: str = "") -> dict:
    """What the warning component shows for an event."""
    return red_flags.for_display(
        _match(event),
        event.signs,
        id=event.pk,
        source_text=when_text(event, tz),
        handle_url=handle_url,
        fresh=fresh,
    )
