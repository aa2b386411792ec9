"""The trends page's words, as the report says them (browser findings F5, F6, F7, F9).

F7: the typical wear-off day is a whole day in the sentence, the chart's marker and the card.
F9: a cycle with one reading has no "best": the card says "one reading: X on day N".
F5: a side effect keeps its colour and shape on the timeline whatever the period.
F6: a period of years labels its axis with years, and its summary's dates carry the year.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import Measure, SymptomEntry

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def _mgadl(patient, user, day: dt.date, value: int) -> None:
    entries.save(Measure(patient=patient, kind="mgadl", value=value, measured_at=_at(day)), user)


def _effect(patient, user, day: dt.date, symptom: str, severity: int = 5) -> None:
    entries.save(
        SymptomEntry(
            patient=patient,
            symptom=symptom,
            severity=severity,
            onset=_at(day),
            ended_at=_at(day, 20),
        ),
        user,
    )


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _url(patient, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("reports:trends", args=[patient.public_id]) + (f"?{query}" if query else "")


FIRST_DAYS = [dt.date(2026, 8, 31) + dt.timedelta(days=28 * n) for n in range(3)]


@pytest.fixture
def half_day(patient, owner):
    """Two finished cycles wearing off on days 21 and 26 (median 23.5), and a current cycle
    with one MG-ADL reading (8 on day 20)."""
    for first in FIRST_DAYS:
        InfusionFactory(patient=patient, date=first)
    for first, readings in zip(
        FIRST_DAYS,
        ({7: 4, 14: 4, 21: 7, 27: 8}, {7: 4, 14: 4, 21: 5, 26: 7, 27: 8}, {20: 8}),
        strict=True,
    ):
        for day, value in readings.items():
            _mgadl(patient, owner, first + dt.timedelta(days=day), value)
    return patient


def test_the_typical_wear_off_day_is_a_whole_day(owner_client, half_day):
    response = owner_client.get(_url(half_day, period="6"))
    text = _text(response)
    assert "Typical wear-off: day 24 of the cycle." in text  # the card
    assert "typical wear-off from day 24." in text  # the chart's sentence
    assert "Typical wear-off: day 24</text>" in response.content.decode()  # the marker's legend
    assert "23.5" not in text and "23,5" not in text


def test_a_cycle_with_one_reading_has_no_best(owner_client, half_day):
    text = _text(owner_client.get(_url(half_day, period="6")))
    assert "At its best one reading: 8 on day 20" in text
    assert "At its best 4 on day 7" in text  # a cycle with several readings keeps its best


def _legend(page: str) -> dict[str, str]:
    """Each side effect of the timeline's legend: its swatch (shape and colour class)."""
    timeline = re.search(r'<svg[^>]*id="chart-timeline-.*?</svg>', page, re.S).group(0)
    legend = re.search(r'<g class="chart-legend">(.*?)</g>\s*</svg>', timeline, re.S).group(1)
    found = {}
    for swatch, label in re.findall(
        r'(<(?:circle|path)[^>]*class="chart-c\d"[^>]*/>)<text[^>]*>([^<]+)</text>', legend
    ):
        kind = "circle" if swatch.startswith("<circle") else re.search(r'd="([^"]*)"', swatch)
        shape = kind if kind == "circle" else f"path{kind.group(1).count('L')}"
        found[label] = shape + re.search(r'class="(chart-c\d)"', swatch).group(1)
    return found


def test_a_side_effect_keeps_its_colour_and_shape_whatever_the_period(owner_client, patient, owner):
    # Headache is the more frequent in the last 3 months, tiredness over 6 months.
    InfusionFactory(patient=patient, date=dt.date(2026, 6, 1))
    InfusionFactory(patient=patient, date=dt.date(2026, 10, 5))
    for n in range(6):
        _effect(patient, owner, dt.date(2026, 6, 2) + dt.timedelta(days=n), "fatigue")
    for n in range(3):
        _effect(patient, owner, dt.date(2026, 10, 6) + dt.timedelta(days=n), "headache")
    _effect(patient, owner, dt.date(2026, 10, 12), "fatigue")
    short = _legend(owner_client.get(_url(patient, period="3")).content.decode())
    long = _legend(owner_client.get(_url(patient, period="6")).content.decode())
    assert set(short) == set(long) == {"Headache", "Tiredness (fatigue)"}
    assert short == long
    assert short["Headache"] != short["Tiredness (fatigue)"]


def test_years_label_a_long_timeline_and_its_dates(owner_client, patient, owner):
    for first in (dt.date(2021, 12, 20), dt.date(2026, 11, 16)):
        InfusionFactory(patient=patient, date=first)
    _mgadl(patient, owner, dt.date(2021, 12, 24), 5)
    _mgadl(patient, owner, dt.date(2026, 11, 20), 4)
    response = owner_client.get(_url(patient, period="all"))
    page = response.content.decode()
    timeline = re.search(r'<svg[^>]*id="chart-timeline-.*?</svg>', page, re.S).group(0)
    x_axis = re.search(r'<g class="chart-axis chart-axis-x">(.*?)</g>', timeline, re.S).group(1)
    ticks = re.findall(r'class="chart-tick"[^>]*>([^<]+)<', x_axis)
    assert ticks == ["2022", "2023", "2024", "2025", "2026"]
    assert "5 on 24 Dec 2021, 4 on 20 Nov 2026" in _text(response)
    # A period within one year keeps its dates short.
    assert "4 on 20 Nov;" not in _text(owner_client.get(_url(patient, period="1")))
    assert "4 on 20 Nov." in _text(owner_client.get(_url(patient, period="1")))
