"""What the diary shows, as plain data: the questions its pages ask, ready for the report too.

Each function takes a patient and plain values (dates, a kind, the time now), never a request,
filters by that patient itself, and runs a fixed handful of queries whatever the diary's size.
Views add what belongs to a page (forms, links, paging); the doctor's report asks the same
questions for its own period, so both say the same thing about the same diary.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain

from django.db import connection
from django.db.models import (
    DateTimeField,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import Col
from django.utils import timezone
from django.utils.translation import gettext as _

from clinical import red_flags, scales
from clinical import symptoms as catalog
from infusions.models import Infusion
from infusions.schedule import InfusionStatus, infusion_status
from patients.authors import kept_author
from patients.models import Membership, Patient, User
from patients.prepared import PreparedQuery

from . import alerts, entries
from .models import Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading

TIMELINE_KINDS = ("symptoms", "notes", "measures", "infusions")
# Today looks back a week: for the MG-ADL due this week and the warnings dealt with lately.
RECENT_DAYS = 7
# A diary with more than this many entries in a week (or symptoms never closed) shows the newest
# ones on Today, so the page stays fast whatever happens.
TODAY_MAX_ROWS = 200
ONGOING_SHOWN = 10

DiaryItem = SymptomEntry | Note | Measure


# Compiled once per process (patients.caching.PreparedQuery): on a first render the ORM took
# longer to compile each of these than the database took to answer it.
_MEMBERS = PreparedQuery(
    lambda patient: Membership.objects.filter(patient=patient).select_related("user"), patient=int
)


def authors(patient: Patient) -> dict[int, str]:
    """How each member is named next to what they logged: “Sam (caregiver)”."""
    return {
        membership.user_id: _member_name(membership, membership.user)
        for membership in _MEMBERS(patient=patient.pk)
    }


def _member_name(membership: Membership, user: User) -> str:
    name = str(user)
    return name if membership.is_owner else _("%(name)s (caregiver)") % {"name": name}


def _authors_of(
    patient: Patient, items: list, signed_in: tuple[Membership, User] | None
) -> dict[int, str]:
    """:func:`authors`, for naming ``items`` (as :func:`with_authors` does): without a query
    when the member signed in (their membership and user, read for this request) logged all of
    them, as in a diary kept by one person."""
    if not items:
        return {}
    if signed_in is not None:
        membership, user = signed_in
        who = {
            (item.latest_reading if getattr(item, "read_today_at", None) else item).logged_by_id
            for item in items
        }
        if who == {membership.user_id} and user.pk == membership.user_id:
            return {user.pk: _member_name(membership, user)}
    return authors(patient)


def author_of(record, names: dict[int, str]) -> str:
    """Who logged ``record`` (an entry, a reading...), as :func:`authors` names members."""
    return names.get(record.logged_by_id) or kept_author(record) or _("a former member")


def with_authors(items, names: dict[int, str], weight_unit: str = "kg"):
    """Name who logged each item (``item.author``); measures also get ``shown_value``, their
    value in the patient's units."""
    for item in items:
        # An episode listed at a later reading (``read_today_at``) is named by who noted it.
        who = item.latest_reading if getattr(item, "read_today_at", None) else item
        item.author = author_of(who, names)
        if isinstance(item, Measure):
            item.shown_value = item.display_value(weight_unit)
    return items


def worst_severity(entry: SymptomEntry) -> int:
    """The entry's worst severity so far: its first one or any later reading."""
    return max(entry.severity, entry.peak_severity or 0)


# --- today ----------------------------------------------------------------------------------------


@dataclass
class TodaySummary:
    status: InfusionStatus | None  # the last infusion and the next one due (None: not asked)
    ongoing: list[SymptomEntry]  # still going, newest first
    # logged today, newest first, each with ``author``: entries begun today, episodes begun
    # before with a reading today (``read_today_at``), notes and measures
    todays: list[DiaryItem]
    has_yesterday: bool  # a side effect was logged yesterday (for “Same as yesterday”)
    mgadl_due: bool  # MG-ADL matters for the conditions and none was scored this week
    open_questions: int  # questions for the doctor not answered yet
    # Still going but not in ``ongoing`` (the newest ONGOING_SHOWN are, unless all were asked
    # for): said under the list, with a way to see them all (second browser pass: ten shown,
    # the rest hidden without a word, among them the headache behind a warning).
    ongoing_more: int = 0


# The latest later reading of each side effect (by time, then id), joined to its row: “now 5 at
# 14:20” on Today and on the timeline without a query more, for 1 row or 500. A join rather than
# a subquery per column: it looks for the latest only where an entry has readings.
_LATEST_READING_ID = (
    SymptomReading.objects.filter(entry=OuterRef("pk")).order_by("-at", "-pk").values("pk")[:1]
)
LATEST_READING_COLUMNS = {
    "latest_reading_pk": F("latest_reading_row__pk"),
    "latest_reading_severity": F("latest_reading_row__severity"),
    "latest_reading_at": F("latest_reading_row__at"),
    # Who noted it: a line listed for that reading names them, not who began the entry.
    "latest_reading_logged_by_id": F("latest_reading_row__logged_by"),
    "latest_reading_logged_by_name": F("latest_reading_row__logged_by_name"),
    "latest_reading_logged_by_role": F("latest_reading_row__logged_by_role"),
}


def with_latest_reading_columns(symptoms: QuerySet[SymptomEntry]) -> QuerySet[SymptomEntry]:
    """``symptoms`` with their latest reading's columns, for :func:`with_latest_readings`."""
    return symptoms.annotate(
        latest_reading_row=FilteredRelation(
            "readings", condition=Q(readings__pk=Subquery(_LATEST_READING_ID))
        ),
        **LATEST_READING_COLUMNS,
    )


# Begun lately, still going, or ended today: an episode with a reading today is one of these,
# since its end is never before its readings (the forms refuse it).
_TODAY_SYMPTOMS = PreparedQuery(
    lambda patient, since, today: with_latest_reading_columns(
        SymptomEntry.objects.filter(
            Q(onset__gte=since) | Q(ended_at__isnull=True) | Q(ended_at__gte=today),
            patient=patient,
        )
    )[:TODAY_MAX_ROWS],
    patient=int,
    since=dt.datetime,
    today=dt.datetime,
)
# No ORDER BY where Python sorts anyway.
_TODAY_NOTES = PreparedQuery(
    lambda patient, start, end: Note.objects.filter(
        Q(written_at__gte=start, written_at__lt=end)
        | Q(kind=Note.Kind.QUESTION, answered_at__isnull=True),
        patient=patient,
    ).order_by(),
    patient=int,
    start=dt.datetime,
    end=dt.datetime,
)
_TODAY_MEASURES = PreparedQuery(
    lambda patient, since: Measure.objects.filter(patient=patient, measured_at__gte=since)[
        :TODAY_MAX_ROWS
    ],
    patient=int,
    since=dt.datetime,
)


def today_summary(
    patient: Patient,
    now: dt.datetime,
    *,
    status: bool = True,
    signed_in: tuple[Membership, User] | None = None,
    all_going: bool = False,
) -> TodaySummary:
    """The day of ``now`` in the patient's zone, in a fixed handful of queries; without the
    infusion status (one or two of them) when ``status`` is false. ``signed_in``: the membership
    and user of who is asking, which name their own entries without reading every member."""
    now = timezone.localtime(now, patient.tz)
    today = now.date()
    start, end = entries.day_bounds(patient, today)
    yesterday_start, _ignored = entries.day_bounds(patient, today - dt.timedelta(days=1))
    week_ago = now - dt.timedelta(days=RECENT_DAYS)
    # One query each for side effects, notes and measures; split up in Python below.
    recent_symptoms = with_latest_readings(
        _TODAY_SYMPTOMS(patient=patient.pk, since=min(yesterday_start, week_ago), today=start)
    )
    notes = _TODAY_NOTES(patient=patient.pk, start=start, end=end)
    recent_measures = _TODAY_MEASURES(patient=patient.pk, since=week_ago)
    todays = sorted(
        chain(
            (e for e in recent_symptoms if start <= e.onset < end or _read_today(e, start, end)),
            (n for n in notes if start <= n.written_at < end),
            (m for m in recent_measures if start <= m.measured_at < end),
        ),
        key=lambda item: getattr(item, "read_today_at", None) or item.when,
        reverse=True,
    )
    mgadl_relevant = scales.MGADL in scales.default_measures(patient.conditions)
    going = sorted(
        (e for e in recent_symptoms if e.ended_at is None), key=lambda e: e.onset, reverse=True
    )
    shown = going if all_going else going[:ONGOING_SHOWN]
    return TodaySummary(
        status=infusion_status(patient, today) if status else None,
        ongoing=shown,
        ongoing_more=len(going) - len(shown),
        todays=with_authors(todays, _authors_of(patient, todays, signed_in), patient.weight_unit),
        has_yesterday=any(yesterday_start <= e.onset < start for e in recent_symptoms),
        mgadl_due=mgadl_relevant and not any(m.kind == Measure.Kind.MGADL for m in recent_measures),
        open_questions=sum(
            1 for n in notes if n.kind == Note.Kind.QUESTION and n.answered_at is None
        ),
    )


def _read_today(entry: SymptomEntry, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether an episode begun before today had a later reading today ("same one" after
    midnight): it is listed under today at that reading's time (``read_today_at``), once."""
    reading = entry.latest_reading  # the latest: if any reading is today, this one is
    if entry.onset >= start or reading is None or not start <= reading.at < end:
        return False
    entry.read_today_at = reading.at
    return True


_READING_AUTHOR = ("logged_by_id", "logged_by_name", "logged_by_role")

# SymptomEntry.latest_reading's query, compiled once.
_LATEST_READING = PreparedQuery(
    lambda entry: SymptomReading.objects.filter(entry=entry).order_by("-at", "-pk")[:1], entry=int
)


def with_latest_readings(
    saved: list[SymptomEntry], known: Iterable[DiaryItem] = ()
) -> list[SymptomEntry]:
    """Fill ``latest_reading`` of the entries that have later readings (what the quick log's
    answer says: “now 4, worst so far 6”; what Today and the timeline show), as the property
    would: from the row's columns when its query asked for them
    (:func:`with_latest_reading_columns`: no query), else without compiling its query.

    ``known``: rows of the same entries read since the last change (Today's lists, read after
    the quick log's write), whose latest reading is taken as it is rather than asked again.
    """
    found = {
        item.pk: item.__dict__["latest_reading"]
        for item in known
        if isinstance(item, SymptomEntry) and "latest_reading" in item.__dict__
    }
    for entry in saved:
        fields = entry.__dict__
        if "latest_reading" in fields:
            continue
        if entry.pk in found:
            fields["latest_reading"] = found[entry.pk]
            continue
        if "latest_reading_pk" in fields:  # the row came with its latest reading's columns
            pk = fields["latest_reading_pk"]
            fields["latest_reading"] = (
                None
                if pk is None
                # A reading loaded with these columns only (the others load if asked for),
                # given in the order of the model's fields, as from_db takes them.
                else SymptomReading.from_db(
                    entry._state.db,
                    ["id", "entry_id", "severity", "at", *_READING_AUTHOR],
                    [
                        pk,
                        entry.pk,
                        fields["latest_reading_severity"],
                        fields["latest_reading_at"],
                        *(fields[f"latest_reading_{name}"] for name in _READING_AUTHOR),
                    ],
                )
            )
        elif (
            entry.pk
            and entry.peak_severity is not None
            and "readings" not in getattr(entry, "_prefetched_objects_cache", {})
        ):
            found = _LATEST_READING(entry=entry.pk)
            fields["latest_reading"] = found[0] if found else None
    return saved


def felt_at(entry: SymptomEntry) -> dt.datetime:
    """When what was just logged about ``entry`` was felt: its latest severity ("Same one"
    adds one, at its own time), else its start. Follow-up answers are timed from it: after
    "Same one" on Thursday they were dated at the episode's Monday start (code review)."""
    latest = entry.latest_reading
    return max(entry.onset, latest.at) if latest is not None else entry.onset


def follow_up_codes(patient: Patient, saved: list[SymptomEntry]) -> list[str]:
    """The warning signs to ask about after logging ``saved``: those their symptoms call for,
    except signs already logged on the day the first one was felt (:func:`felt_at`)."""
    asked = {
        code: None
        for entry in saved
        for code in red_flags.follow_ups_for(entry.symptom, worst_severity(entry))
    }
    if not asked:
        return []  # most signs, at most severities, ask nothing: no need to look at the day
    day = timezone.localtime(felt_at(saved[0]), patient.tz).date()
    start, end = entries.day_bounds(patient, day)
    logged = {e.symptom for e in saved}
    logged |= set(
        SymptomEntry.objects.filter(patient=patient, onset__gte=start, onset__lt=end).values_list(
            "symptom", flat=True
        )
    )
    return [code for code in asked if code not in logged]


def _may_be_warning_sign(entry: SymptomEntry) -> bool:
    """A warning sign, or words of one's own kept after "Did you mean" offered one ("chest
    pian", kept as typed: the browser pass saw it saved with no word of advice)."""
    if entry.symptom == SymptomEntry.OTHER:
        # As the form offered them: never a sign the words deny ("no chest pain").
        denied = catalog.recognise(entry.custom_symptom).denied
        return any(
            catalog.is_known(code) and not catalog.get(code).is_common
            for code in catalog.suggest(entry.custom_symptom, leaving_out=denied)
        )
    return catalog.is_known(entry.symptom) and not catalog.get(entry.symptom).is_common


def unwarned_signs(patient: Patient, saved: list[SymptomEntry]) -> list[SymptomEntry]:
    """The warning signs among ``saved`` (a stiff neck, chest pain: the catalogue's signs that
    are not common after-effects, or words close to one; felt above 0) that no open warning
    counts: alone, or outside its rule's window, a sign asks for a word of advice rather than
    nothing (a patient who ticked "stiff neck" under "Some signs together need a doctor soon"
    heard nothing back)."""
    signs = [
        entry
        for entry in saved
        if entry.pk and worst_severity(entry) > 0 and _may_be_warning_sign(entry)
    ]
    if not signs:
        return []  # the common case: no query
    warned = set(
        RedFlagEvent.entries.through.objects.filter(
            symptomentry__in=signs,
            redflagevent__patient=patient,
            redflagevent__handled_at__isnull=True,
            redflagevent__withdrawn_at__isnull=True,
        ).values_list("symptomentry_id", flat=True)
    )
    return [entry for entry in signs if entry.pk not in warned]


# --- red-flag warnings ----------------------------------------------------------------------------


@dataclass
class Warnings:
    open: list[dict]  # nobody has dealt with them yet (any age), as the warning component shows
    handled: list[RedFlagEvent]  # dealt with since then, each with ``title``, ``handled_by_name``


def warnings(
    patient: Patient,
    handled_since: dt.datetime,
    *,
    fresh: Iterable[int] = (),
    handle_url: Callable[[RedFlagEvent], str] | None = None,
) -> Warnings:
    """The open warnings, and those dealt with since ``handled_since``.

    ``fresh``: ids of events to mark as new. ``handle_url``: the address of each event's
    “dealt with” form, if the caller shows one.
    """
    fresh = set(fresh)
    still_open, handled = alerts.shown_events(patient, handled_since)
    shown = [
        alerts.as_alert(
            event,
            patient.tz,
            fresh=event.pk in fresh,
            handle_url=handle_url(event) if handle_url else "",
        )
        for event in still_open
    ]
    names = authors(patient) if handled else {}
    for event in handled:
        event.title = red_flags.get_rule(event.rule).title
        event.handled_by_name = (
            names.get(event.handled_by_id)
            or kept_author(event, "handled_by")
            or _("a former member")
        )
    return Warnings(open=shown, handled=handled)


# --- timeline -------------------------------------------------------------------------------------


@dataclass
class TimelineDay:
    date: dt.date
    items: list[DiaryItem] = field(default_factory=list)  # newest first, each with ``author``
    infusions: list[Infusion] = field(default_factory=list)


@dataclass
class ContinuedDay:
    """A side effect begun on an earlier day, on a later day it was noted again ("Same one"):
    that day's worst reading, so a caregiver scanning "what happened on Tuesday" sees the 8
    felt then, not only inside Saturday's line (browser pass)."""

    entry: SymptomEntry
    reading: SymptomReading  # the worst of that day (the latest of equals)
    author: str = ""  # who noted it

    @property
    def when(self) -> dt.datetime:
        return self.reading.at

    @property
    def pk(self) -> int:
        return self.entry.pk


@dataclass
class Timeline:
    since: dt.date
    until: dt.date
    kind: str  # "" for everything, else one of TIMELINE_KINDS
    days: list[TimelineDay]  # newest first; only days with something on them


_KIND_RANK = {SymptomEntry: 2, ContinuedDay: 2, Note: 1, Measure: 0}


def _kinds(kind: str) -> list[str]:
    if kind and kind not in TIMELINE_KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    return [kind] if kind else list(TIMELINE_KINDS)


# Unordered: the days are sorted in Python, and an ORDER BY costs more to compile than to run.
_TIMELINE_QUERIES = {
    "symptoms": PreparedQuery(
        lambda patient, start, end: with_latest_reading_columns(
            SymptomEntry.objects.filter(patient=patient, onset__gte=start, onset__lt=end)
        ).order_by(),
        patient=int,
        start=dt.datetime,
        end=dt.datetime,
    ),
    "notes": PreparedQuery(
        lambda patient, start, end: Note.objects.filter(
            patient=patient, written_at__gte=start, written_at__lt=end
        ).order_by(),
        patient=int,
        start=dt.datetime,
        end=dt.datetime,
    ),
    "measures": PreparedQuery(
        lambda patient, start, end: Measure.objects.filter(
            patient=patient, measured_at__gte=start, measured_at__lt=end
        ).order_by(),
        patient=int,
        start=dt.datetime,
        end=dt.datetime,
    ),
}
# Later severities of side effects, in the period, with what their line needs of the entry:
# those of an earlier day's episode make a ContinuedDay (the day is local to each entry's zone,
# so the filter is Python's). Plain values: most readings are of an episode of that same day.
_READING_COLUMNS = ("at", "severity", "logged_by_id", "logged_by_name", "logged_by_role")
_ENTRY_COLUMNS = (
    "time_zone",
    "local_date",
    "symptom",
    "custom_symptom",
    "onset",
    "ended_at",
    "red_flags",
)
_TIMELINE_READINGS = PreparedQuery(
    lambda patient, start, end: (
        SymptomReading.objects.filter(
            entry__patient=patient, entry__deleted_at__isnull=True, at__gte=start, at__lt=end
        )
        .order_by()
        .values(*_READING_COLUMNS, "entry_id", *(f"entry__{c}" for c in _ENTRY_COLUMNS))
    ),
    patient=int,
    start=dt.datetime,
    end=dt.datetime,
)
_TIMELINE_INFUSIONS = PreparedQuery(
    lambda patient, since, until: Infusion.objects.filter(
        patient=patient, date__gte=since, date__lte=until
    ).select_related("product"),
    patient=int,
    since=dt.date,
    until=dt.date,
)


def timeline(patient: Patient, since: dt.date, until: dt.date, kind: str = "") -> Timeline:
    """Everything logged from ``since`` to ``until`` (local dates, both included), by day.

    One query per kind shown, one for the authors: the count does not grow with the period.
    """
    selected = _kinds(kind)
    start, _ignored = entries.day_bounds(patient, since)
    _ignored, end = entries.day_bounds(patient, until)
    items: list[DiaryItem] = []
    for name in selected:
        if name in _TIMELINE_QUERIES:
            rows = _TIMELINE_QUERIES[name](patient=patient.pk, start=start, end=end)
            items.extend(with_latest_readings(rows) if name == "symptoms" else rows)
    continued = _continued_days(patient, start, end, since, until) if "symptoms" in selected else []
    names = authors(patient) if items or continued else {}
    with_authors(items, names, patient.weight_unit)
    days: dict[dt.date, TimelineDay] = {}
    for item in items:
        day = item.local_date or entries.local_date(patient, item.when)  # its own zone
        days.setdefault(day, TimelineDay(day)).items.append(item)
    for day, later in continued:
        later.author = author_of(later.reading, names)
        days.setdefault(day, TimelineDay(day)).items.append(later)
    if "infusions" in selected:
        for infusion in _TIMELINE_INFUSIONS(patient=patient.pk, since=since, until=until):
            days.setdefault(infusion.date, TimelineDay(infusion.date)).infusions.append(infusion)
    for day in days.values():
        # Newest first; at the same time side effects, then notes, then measures, newest row first.
        day.items.sort(key=lambda item: (item.when, _KIND_RANK[type(item)], item.pk), reverse=True)
    return Timeline(
        since=since,
        until=until,
        kind=kind,
        days=[days[d] for d in sorted(days, reverse=True)],
    )


def _continued_days(
    patient: Patient, start: dt.datetime, end: dt.datetime, since: dt.date, until: dt.date
) -> list[tuple[dt.date, ContinuedDay]]:
    """(day, ContinuedDay) for each day of ``since``..``until`` on which an episode begun on an
    earlier day had a later severity noted: that day's worst."""
    worst: dict[tuple[int, dt.date], dict] = {}
    for row in _TIMELINE_READINGS(patient=patient.pk, start=start, end=end):
        zone = row["entry__time_zone"]
        day = entries.local_date(zoneinfo.ZoneInfo(zone) if zone else patient.tz, row["at"])
        began = row["entry__local_date"]
        if began is None or day <= began or not since <= day <= until:
            continue
        kept = worst.get((row["entry_id"], day))
        if kept is None or (row["severity"], row["at"]) > (kept["severity"], kept["at"]):
            worst[(row["entry_id"], day)] = row
    found = []
    for (entry_id, day), row in worst.items():
        reading = SymptomReading(entry_id=entry_id, **{c: row[c] for c in _READING_COLUMNS})
        entry = SymptomEntry(
            pk=entry_id, patient=patient, **{c: row[f"entry__{c}"] for c in _ENTRY_COLUMNS}
        )
        found.append((day, ContinuedDay(entry, reading)))
    return found


# Where paging back looks for the last day with something on it: (kind, model, date field).
_LAST_DAY_SOURCES = (
    ("symptoms", SymptomEntry, "onset"),
    ("notes", Note, "written_at"),
    ("measures", Measure, "measured_at"),
    ("infusions", Infusion, "date"),
)


def last_day_before(patient: Patient, day: dt.date, kind: str = "") -> dt.date | None:
    """The last local date before ``day`` with anything of ``kind`` on it (None if nothing),
    so paging back skips empty weeks.

    One statement for all the kinds, a scalar subquery each (the newest row before ``day`` from
    the table's patient-and-date index), soft-deleted rows left out as the default managers do.
    It is SQL because the ORM compiled four queries for it, about 1 ms of every first render of
    the timeline on the bench machine, for what the database answers in a tenth of that.
    """
    selected = _kinds(kind)
    start, _ignored = entries.day_bounds(patient, day)
    quote = connection.ops.quote_name
    subqueries, params, columns = [], [], []
    for name, model, field_name in _LAST_DAY_SOURCES:
        if name not in selected:
            continue
        meta = model._meta
        field = meta.get_field(field_name)
        column = quote(field.column)
        subqueries.append(
            f"(SELECT {column} FROM {quote(meta.db_table)}"
            f" WHERE {quote(meta.get_field('patient').column)} = %s"
            f" AND {quote(meta.get_field('deleted_at').column)} IS NULL AND {column} < %s"
            f" ORDER BY {column} DESC LIMIT 1)"
        )
        bound = start if isinstance(field, DateTimeField) else day
        params += [patient.pk, field.get_db_prep_value(bound, connection)]
        columns.append(Col(meta.db_table, field))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(subqueries), params)
        row = cursor.fetchone()
    days = []
    for column, value in zip(columns, row, strict=True):
        # The ORM's own conversions (SQLite hands back text).
        for convert in connection.ops.get_db_converters(column):
            value = convert(value, column, connection)
        if value is not None:
            is_moment = isinstance(column.target, DateTimeField)
            days.append(entries.local_date(patient, value) if is_moment else value)
    return max(days) if days else None


# --- measures -------------------------------------------------------------------------------------


class MeasureRow:
    """One measure as the measures page lists it: the columns it shows, read as plain values.

    A page of a few hundred measures spent more time making model instances (every column
    converted, two signals each) than on anything else (docs/decisions.md, "Speed"). The value
    is worded by the model's own ``Measure.display_value`` and ``total``, so the page says what
    every other page says.
    """

    # Read in this order (``values_list``), as ``MeasureRow(*row)`` takes them.
    COLUMNS = (
        "pk",
        "kind",
        "measured_at",
        "value",
        "value_right",
        "unit",
        "name",
        "answers",
        "days_after_infusion",
        "day_of_cycle",
    )
    __slots__ = (*COLUMNS, "change", "shown_value")

    Kind = Measure.Kind
    total = Measure.total
    display_value = Measure.display_value

    def __init__(
        self,
        pk,
        kind,
        measured_at,
        value,
        value_right,
        unit,
        name,
        answers,
        days_after_infusion,
        day_of_cycle,
    ):
        self.pk = pk
        self.kind = kind
        self.measured_at = measured_at
        self.value = value
        self.value_right = value_right
        self.unit = unit
        self.name = name
        self.answers = answers
        self.days_after_infusion = days_after_infusion
        self.day_of_cycle = day_of_cycle
        self.change: scales.MgAdlChange | None = None
        self.shown_value = ""

    def __repr__(self) -> str:
        return f"<MeasureRow {self.pk}: {self.kind} {self.value}>"


@dataclass
class MeasureSection:
    kind: str
    label: str
    # Newest first, each with ``shown_value``; MG-ADL scores with ``change`` from the score before
    # (None for the first score ever).
    rows: list[MeasureRow]
    citation: str  # the published source of the scale, "" if none
    older: int = 0  # older rows left out of ``rows`` (``shown_newest``)

    def shown_newest(self, count: int) -> None:
        """Keep the ``count`` newest rows; the rest are counted in ``older``. Years of twice-
        weekly grip made a page of hundreds of rows: the newest say how things stand, and
        the whole list is one tap away."""
        if len(self.rows) > count:
            self.older = len(self.rows) - count
            self.rows = self.rows[:count]


_ALL_MEASURES = PreparedQuery(
    lambda patient: (
        Measure.objects.filter(patient=patient)
        .order_by("kind", "measured_at", "pk")
        .values_list(*MeasureRow.COLUMNS)
    ),
    patient=int,
)


def measures(
    patient: Patient, since: dt.date | None = None, until: dt.date | None = None
) -> list[MeasureSection]:
    """Each measure over the period (local dates, both included; default: all), one section per
    kind: the patient's usual measures first, even when empty, then any other kind with data.

    Two queries at most: the rows, and the MG-ADL score just before the period (its change).
    """
    rows_query = Measure.objects.filter(patient=patient)
    before = None
    if since is not None:
        start, _ignored = entries.day_bounds(patient, since)
        rows_query = rows_query.filter(measured_at__gte=start)
        before = (
            Measure.objects.filter(patient=patient, kind=Measure.Kind.MGADL, measured_at__lt=start)
            .order_by("-measured_at", "-pk")
            .first()
        )
    if until is not None:
        _ignored, end = entries.day_bounds(patient, until)
        rows_query = rows_query.filter(measured_at__lt=end)
    by_kind: dict[str, list[MeasureRow]] = {}
    if since is None and until is None:  # the measures page: compiled once
        rows = _ALL_MEASURES(patient=patient.pk)
    else:
        rows = rows_query.order_by("kind", "measured_at", "pk").values_list(*MeasureRow.COLUMNS)
    for values in rows:
        row = MeasureRow(*values)
        by_kind.setdefault(row.kind, []).append(row)
    weight_unit = patient.weight_unit
    for kind, kind_rows in by_kind.items():
        is_mgadl = kind == Measure.Kind.MGADL
        previous = before if is_mgadl else None
        for row in kind_rows:
            if is_mgadl and previous is not None:
                row.change = scales.compare_mgadl(previous.total, row.total)
            row.shown_value = row.display_value(weight_unit)
            previous = row
        kind_rows.reverse()  # newest first
    shown = scales.default_measures(patient.conditions)
    kinds_with_data = [k for k in Measure.Kind.values if k in by_kind]
    return [
        MeasureSection(
            kind=kind,
            label=Measure.Kind(kind).label,
            rows=by_kind.get(kind, []),
            citation=scales.citation(kind),
        )
        for kind in dict.fromkeys([*shown, *kinds_with_data])
    ]


# --- questions for the doctor ---------------------------------------------------------------------


@dataclass
class Questions:
    open: list[Note]  # newest first, each with ``author``
    answered: list[Note]  # first answered first


def questions(patient: Patient) -> Questions:
    items = list(
        Note.objects.filter(patient=patient, kind=Note.Kind.QUESTION).order_by(
            "answered_at", "-written_at"
        )
    )
    with_authors(items, authors(patient) if items else {})
    return Questions(
        open=[q for q in items if not q.is_answered],
        answered=[q for q in items if q.is_answered],
    )
