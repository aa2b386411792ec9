"""The report's period and parts, remembered per diary; "since the last report made"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from reports import preferences, sections
from reports.models import Period, ReportPreference, ReportRecord

from .factories import PatientFactory

TODAY = dt.date(2026, 10, 31)


def made(patient, since, until, on: dt.date, hour: int = 12) -> ReportRecord:
    moment = dt.datetime.combine(on, dt.time(hour), tzinfo=patient.tz)
    return preferences.record_made(patient, since, until, None, made_at=moment)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 10, 31), 3, dt.date(2026, 7, 31)),
        (dt.date(2026, 5, 31), 3, dt.date(2026, 2, 28)),
        (dt.date(2028, 5, 31), 3, dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),
        (dt.date(2026, 3, 10), 12, dt.date(2025, 3, 10)),
    ],
)
def test_months_before(day, months, expected):
    assert preferences.months_before(day, months) == expected


def test_the_last_three_months_read_as_the_report_sketch():
    # product.md: "1 Aug - 31 Oct 2026"
    assert preferences.last_months(TODAY, 3) == (dt.date(2026, 8, 1), TODAY)


def test_with_no_report_made_the_default_is_three_months(patient):
    assert preferences.period_for(patient, TODAY) == (dt.date(2026, 8, 1), TODAY)


def test_the_default_starts_where_the_last_report_ended(patient):
    made(patient, dt.date(2026, 6, 1), dt.date(2026, 8, 31), on=dt.date(2026, 8, 31))
    made(patient, dt.date(2026, 7, 1), dt.date(2026, 9, 12), on=dt.date(2026, 9, 12))
    # The last day it covered is counted again: what came after it was made is in no report.
    assert preferences.period_for(patient, TODAY) == (dt.date(2026, 9, 12), TODAY)


def test_a_report_made_earlier_today_does_not_shrink_the_period(patient):
    made(patient, dt.date(2026, 7, 1), dt.date(2026, 9, 12), on=dt.date(2026, 9, 12))
    made(patient, dt.date(2026, 9, 12), TODAY, on=TODAY, hour=9)
    assert preferences.period_for(patient, TODAY) == (dt.date(2026, 9, 12), TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    assert preferences.period_for(patient, tomorrow) == (TODAY, tomorrow)


def test_another_diarys_reports_do_not_count(patient):
    other = PatientFactory(name="Other")
    made(other, dt.date(2026, 7, 1), dt.date(2026, 10, 1), on=dt.date(2026, 10, 1))
    assert preferences.period_for(patient, TODAY) == (dt.date(2026, 8, 1), TODAY)


@pytest.mark.parametrize(
    ("choice", "since"),
    [
        (Period.ONE_MONTH, dt.date(2026, 10, 1)),
        (Period.THREE_MONTHS, dt.date(2026, 8, 1)),
        (Period.SIX_MONTHS, dt.date(2026, 5, 1)),
        (Period.TWELVE_MONTHS, dt.date(2025, 11, 1)),
    ],
)
def test_fixed_periods_end_today(patient, choice, since):
    made(patient, dt.date(2026, 7, 1), dt.date(2026, 9, 12), on=dt.date(2026, 9, 12))
    assert preferences.period_for(patient, TODAY, choice) == (since, TODAY)


def test_custom_dates_in_either_order_and_never_past_today(patient):
    custom = (dt.date(2026, 9, 30), dt.date(2026, 3, 1))
    assert preferences.period_for(patient, TODAY, Period.CUSTOM, custom=custom) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 9, 30),
    )
    future = (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert preferences.period_for(patient, TODAY, "custom", custom=future) == (
        dt.date(2026, 10, 1),
        TODAY,
    )
    # Custom without dates, saved or given: the default.
    assert preferences.period_for(patient, TODAY, "custom") == (dt.date(2026, 8, 1), TODAY)


def test_an_unknown_choice_is_refused(patient):
    with pytest.raises(ValueError, match="unknown report period"):
        preferences.period_for(patient, TODAY, "forever")


def test_the_choice_is_remembered_per_diary(patient, owner):
    other = PatientFactory(name="Other")
    assert preferences.preference_for(patient).pk is None  # reading writes nothing
    assert not ReportPreference.objects.exists()
    assert preferences.preference_for(patient).sections == list(sections.CODES)

    preferences.remember(
        patient,
        owner,
        period=Period.CUSTOM,
        parts=[sections.NOTES, sections.CYCLES],
        custom_from=dt.date(2026, 4, 1),
        custom_to=dt.date(2026, 6, 30),
    )
    assert preferences.period_for(patient, TODAY) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    saved = preferences.preference_for(patient)
    assert saved.sections == [sections.CYCLES, sections.NOTES]  # in the report's order
    assert saved.updated_by == owner
    # Another diary keeps the defaults.
    assert preferences.period_for(other, TODAY) == (dt.date(2026, 8, 1), TODAY)

    preferences.remember(patient, owner, period=Period.SIX_MONTHS, parts=[])
    assert ReportPreference.objects.filter(patient=patient).count() == 1
    assert preferences.period_for(patient, TODAY) == (dt.date(2026, 5, 1), TODAY)
    # The custom dates are kept for when "custom" is chosen again.
    assert preferences.period_for(patient, TODAY, Period.CUSTOM) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 6, 30),
    )
    assert preferences.preference_for(patient).sections == []


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"period": "forever", "parts": []}, "period", "Choose one of the periods shown."),
        ({"period": "3m", "parts": ["everything"]}, "__all__", "Choose from the parts shown."),
        ({"period": "3m", "parts": ["notes", "notes"]}, "__all__", "Each part is listed once."),
        ({"period": "3m", "parts": "notes"}, "__all__", "Choose from the parts shown."),
        ({"period": "custom", "parts": []}, "custom_to", "Enter the first and the last day."),
        (
            {
                "period": "custom",
                "parts": [],
                "custom_from": dt.date(2026, 5, 1),
                "custom_to": dt.date(2026, 4, 1),
            },
            "custom_to",
            "Enter a last day on or after the first.",
        ),
    ],
)
def test_a_bad_choice_is_refused_in_plain_words(patient, owner, kwargs, field, message):
    with pytest.raises(ValidationError) as caught:
        preferences.remember(patient, owner, **kwargs)
    assert message in str(caught.value)
    assert not ReportPreference.objects.exists()


def test_the_database_refuses_a_custom_period_without_dates(patient):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportPreference.objects.create(patient=patient, period=Period.CUSTOM)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportRecord.objects.create(
            patient=patient, since=dt.date(2026, 5, 2), until=dt.date(2026, 5, 1)
        )
