"""What a diary's report covers: the period and parts chosen, remembered per diary.

The default period is "since the last report made", or the last 3 months when no report was
made yet (product.md, issue 9). Every function takes the patient and filters by it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patients.models import Patient, User

from . import sections
from .models import Period, ReportPreference, ReportRecord

DEFAULT_MONTHS = 3
MONTHS = {
    Period.ONE_MONTH: 1,
    Period.THREE_MONTHS: 3,
    Period.SIX_MONTHS: 6,
    Period.TWELVE_MONTHS: 12,
}


def local_today(patient: Patient) -> dt.date:
    return timezone.localtime(timezone.now(), patient.tz).date()


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier, or that month's last day (31 May - 3 -> 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def last_months(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The ``months`` months up to and including today: 3 months to 31 Oct is 1 Aug - 31 Oct."""
    return months_before(today, months) + dt.timedelta(days=1), today


def preference_for(patient: Patient) -> ReportPreference:
    """The diary's saved choice, or the default one (not saved: reading never writes)."""
    saved = ReportPreference.objects.filter(patient=patient).first()
    return saved or ReportPreference(patient=patient)


def last_report(patient: Patient, today: dt.date) -> ReportRecord | None:
    """The latest report made before ``today`` (local date). A report made earlier today is the
    same visit's: remaking it must not shrink the period to a single day."""
    start_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=patient.tz)
    return (
        ReportRecord.objects.filter(patient=patient, made_at__lt=start_of_today)
        .order_by("-made_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class SavedChoice:
    """The diary's saved choice and where the last report ended, read in one query."""

    preference: ReportPreference  # the saved one, or the default (not saved)
    last_until: dt.date | None  # the last day of the latest report made before today


def saved_choice(patient: Patient, today: dt.date) -> SavedChoice:
    """:func:`preference_for` and :func:`last_report`'s last day, in one query (what the
    report page reads on every visit)."""
    start_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=patient.tz)
    saved = ReportPreference.objects.filter(patient=OuterRef("pk"))
    last = ReportRecord.objects.filter(patient=OuterRef("pk"), made_at__lt=start_of_today)
    fields = ("pk", "period", "custom_from", "custom_to", "sections")
    row = (
        Patient.objects.filter(pk=patient.pk)
        .annotate(
            **{f"saved_{name}": Subquery(saved.values(name)[:1]) for name in fields},
            last_until=Subquery(last.order_by("-made_at", "-pk").values("until")[:1]),
        )
        .values(*(f"saved_{name}" for name in fields), "last_until")
        .get()
    )
    if row["saved_pk"] is None:
        preference = ReportPreference(patient=patient)
    else:
        preference = ReportPreference(
            patient=patient, **{name: row[f"saved_{name}"] for name in fields}
        )
        preference._state.adding = False
    return SavedChoice(preference, row["last_until"])


_UNREAD = object()


def period_for(
    patient: Patient,
    today: dt.date,
    choice: str | None = None,
    *,
    custom: tuple[dt.date, dt.date] | None = None,
    last_until=_UNREAD,
) -> tuple[dt.date, dt.date]:
    """The report's first and last day (both included) for ``choice``.

    ``choice`` is a :class:`reports.models.Period` value; None means the diary's saved choice
    (with its saved dates for "custom"), else "since the last report made". That one starts on
    the last day the previous report covered (counted again: what was logged that day after it
    was made is in no report yet), or is the last 3 months when there is no report before today.
    "custom" takes ``custom`` or the saved dates, and falls back to the default without them.
    Nothing ends after ``today``. ``last_until``: the last report's last day when already read
    (:func:`saved_choice`), else it is looked up.
    """
    if choice is None or (choice == Period.CUSTOM and custom is None):
        saved = preference_for(patient)
        if choice is None:
            choice = saved.period
        if custom is None and saved.custom_from and saved.custom_to:
            custom = (saved.custom_from, saved.custom_to)
    if choice in MONTHS:
        return last_months(today, MONTHS[Period(choice)])
    if choice == Period.CUSTOM and custom is not None:
        start, end = sorted(custom)
        end = min(end, today)
        return min(start, end), end
    if choice not in Period.values:
        raise ValueError(f"unknown report period {choice!r}")
    if last_until is _UNREAD:
        previous = last_report(patient, today)
        last_until = previous.until if previous is not None else None
    if last_until is None:
        return last_months(today, DEFAULT_MONTHS)
    return min(last_until, today), today


# The period as the report names it inside a sentence: "1 Sep 2026 – 23 Nov 2026 (the last 3
# months)". Not the choices' labels lowered: "Dates I choose" became "dates i choose".
_IN_A_SENTENCE = {
    Period.SINCE_LAST: gettext_lazy("since the last report made"),
    Period.ONE_MONTH: gettext_lazy("the last month"),
    Period.THREE_MONTHS: gettext_lazy("the last 3 months"),
    Period.SIX_MONTHS: gettext_lazy("the last 6 months"),
    Period.TWELVE_MONTHS: gettext_lazy("the last 12 months"),
    Period.CUSTOM: gettext_lazy("dates chosen"),
}


def period_label(period: str, last_until: dt.date | None) -> str:
    """The period's name as the report states it, inside a sentence. "Since the last report
    made" when no report was made before today is in fact the last 3 months, and says so."""
    if period == Period.SINCE_LAST and last_until is None:
        return _("the last %(n)s months") % {"n": DEFAULT_MONTHS}
    return str(_IN_A_SENTENCE[Period(period)])


def remember(
    patient: Patient,
    user: User | None,
    *,
    period: str,
    parts: list[str],
    custom_from: dt.date | None = None,
    custom_to: dt.date | None = None,
) -> ReportPreference:
    """Save the diary's choice (one row per diary); ValidationError, in plain words, if the
    choice is not one the report offers. Choosing another period keeps the custom dates."""
    if period not in Period.values:
        raise ValidationError({"period": _("Choose one of the periods shown.")})
    sections.validate_sections(parts)
    if period == Period.CUSTOM:
        if custom_from is None or custom_to is None:
            raise ValidationError({"custom_to": _("Enter the first and the last day.")})
        if custom_from > custom_to:
            raise ValidationError({"custom_to": _("Enter a last day on or after the first.")})
    preference = preference_for(patient)
    preference.period = period
    preference.sections = sections.in_order(parts)
    if period == Period.CUSTOM:
        preference.custom_from, preference.custom_to = custom_from, custom_to
    preference.updated_by = user
    preference.save()
    return preference


def record_made(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    user: User | None,
    *,
    made_at: dt.datetime | None = None,
    kind: str = ReportRecord.Kind.PDF,
) -> ReportRecord:
    """Log a report made, so the next one can start where it ended."""
    return ReportRecord.objects.create(
        patient=patient,
        since=since,
        until=until,
        kind=kind,
        made_at=made_at or timezone.now(),
        made_by=user,
    )
