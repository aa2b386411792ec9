"""How long after an infusion a red flag began: one wording for the diary's warning and the
doctor's report (``diary.alerts.after_infusion``). The report said "178 h after an infusion"
where the warning said "7 days"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from diary import alerts, entries
from diary.models import RedFlagEvent, SymptomEntry

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        (None, ""),
        (0.4, "during or just after an infusion"),
        (1.2, "1 hour after an infusion"),
        (6, "6 hours after an infusion"),
        (47.4, "47 hours after an infusion"),
        (48, "2 days after an infusion"),
        (178, "7 days after an infusion"),
    ],
)
def test_the_words(hours, words):
    assert alerts.after_infusion(hours) == words


def test_the_report_says_it_as_the_warning_does(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 15), start_time=dt.time(9))
    entry = SymptomEntry(
        patient=patient,
        logged_by=owner,
        symptom="chest_pain",
        severity=6,
        onset=dt.datetime(2026, 11, 22, 19, 0, tzinfo=LONDON),
    )
    entries.save(entry, owner)
    event = RedFlagEvent.objects.get(patient=patient)
    assert 6.5 * 24 < event.hours_since_infusion < 7.5 * 24
    assert alerts.when_text(event, LONDON).endswith(", 7 days after an infusion.")

    url = reverse("reports:report", args=[patient.public_id])
    page = owner_client.get(url + "?period=3").content.decode()
    assert "7 days after an infusion" in page
    assert "178 h" not in page


def test_page_one_dates_say_their_year_when_the_period_spans_years(patient, owner, owner_client):
    """Two warnings a year apart read "7 Jun ... 6 Jun", like one week's, on a report of two
    years: over more than one calendar year page 1's dates carry their year."""
    for year in (2025, 2026):
        InfusionFactory(patient=patient, date=dt.date(year, 6, 1), start_time=dt.time(9))
        entry = SymptomEntry(
            patient=patient,
            logged_by=owner,
            symptom="chest_pain",
            severity=6,
            onset=dt.datetime(year, 6, 3, 15, 0, tzinfo=LONDON),
            ended_at=dt.datetime(year, 6, 3, 17, 0, tzinfo=LONDON),
        )
        entries.save(entry, owner)
    assert RedFlagEvent.objects.filter(patient=patient).count() == 2
    url = reverse("reports:report", args=[patient.public_id])
    longer = owner_client.get(
        url + "?period=custom&custom_from=2025-01-01&custom_to=2026-11-23"
    ).content.decode()
    assert "3 Jun 2025 15:00" in longer and "3 Jun 2026 15:00" in longer
    within = owner_client.get(
        url + "?period=custom&custom_from=2026-01-01&custom_to=2026-11-23"
    ).content.decode()
    assert "3 Jun 15:00" in within and "3 Jun 2026 15:00" not in within


def test_period_dates():
    from reports import document

    day = dt.date(2025, 12, 31)
    with translation.override("en"):
        assert document.period_date(day, dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == "31 Dec"
        assert document.period_date(day, dt.date(2025, 1, 1), dt.date(2026, 1, 1)) == "31 Dec 2025"
