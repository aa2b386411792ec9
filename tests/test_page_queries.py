"""Queries per page stay bounded, and the same for one year of diary as for two (quality.md).

The diaries come from ``reports.bench_data`` (what ``make bench`` measures five years of): 13
courses, 1,000 side effects and 300 measures a year, with readings, warnings dealt with, notes,
lots and ongoing side effects, so every branch of the pages' rows is drawn. Pages are counted as
first rendered (``patients.caching.first_render``: every cached fragment built again, as after any
change to the diary) and as served again from the cache.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries
from diary.models import Measure, SymptomEntry
from infusions.models import Course
from patients.caching import first_render
from reports import bench_data

from .factories import UserFactory

# A Monday afternoon in London, mid-cycle for the bench diaries.
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
MAX_QUERIES = 12  # quality.md "Speed"


@pytest.fixture
def diaries(db):
    """One owner with a diary of one year and one of two."""
    with time_machine.travel(NOW, tick=False):
        user = UserFactory()
        one = bench_data.create_diary(user, "One year", years=1, now=NOW)
        two = bench_data.create_diary(user, "Two years", years=2, now=NOW)
    return user, one, two


def _pages(patient) -> dict[str, tuple[str, dict]]:
    pid = patient.public_id
    return {
        "today": (reverse("today", args=[pid]), {}),
        "diary list": (reverse("diary:timeline", args=[pid]), {}),
        "diary list, older": (
            reverse("diary:timeline", args=[pid]),
            {"until": (NOW - dt.timedelta(days=200)).date().isoformat()},
        ),
        "diary list, side effects": (
            reverse("diary:timeline", args=[pid]),
            {"kind": "symptoms"},
        ),
        "infusion list": (reverse("infusions:list", args=[pid]), {}),
        "infusion list, page 2": (reverse("infusions:list", args=[pid]), {"page": "2"}),
        "measures": (reverse("diary:measures", args=[pid]), {}),
    }


def _count(client: Client, url: str, params: dict, *, first: bool) -> int:
    with CaptureQueriesContext(connection) as queries:
        if first:
            with first_render():
                response = client.get(url, params)
        else:
            response = client.get(url, params)
    assert response.status_code == 200, url
    return len(queries)


def test_pages_cost_the_same_queries_for_one_year_and_two(diaries):
    user, one, two = diaries
    client = Client()
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        for name in _pages(one):
            counts = {}
            for patient in (one, two):
                url, params = _pages(patient)[name]
                client.get(url, params)  # the session's "last diary" is written once, not counted
                counts[patient.name] = (
                    _count(client, url, params, first=True),
                    _count(client, url, params, first=False),
                )
            (first_one, again_one), (first_two, again_two) = counts.values()
            assert first_one == first_two <= MAX_QUERIES, (name, counts)
            assert again_one == again_two <= 3, (name, counts)  # session, user, membership

    # The diaries are what they claim to be, linked as the save paths link entries.
    for patient, years in ((one, 1), (two, 2)):
        courses, side_effects, measures = bench_data.sizes(years)
        assert Course.objects.filter(patient=patient).count() == courses
        assert SymptomEntry.objects.filter(patient=patient).count() == side_effects
        assert Measure.objects.filter(patient=patient).count() == measures
        assert entries.relink(patient) == 0  # nothing to correct
