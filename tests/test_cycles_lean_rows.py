"""What the leaner rows of ``reports.cycles.load`` must keep (issue 9 §3, five years of data).

The measures are built without Django's per-instance ``__init__`` and without their bookkeeping
columns (deferred, as with ``.only()``); an episode is a named tuple; an entry's last local day
skips the day-start lookup when the end is plainly past it. None of that may change a value, and
no page may read a left-out column (it would cost a query per measure).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from diary import entries
from diary.models import Measure
from patients.models import Membership, Patient
from reports import cycles, sections, trends

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> Patient:
    call_command("seed_demo")
    return Patient.objects.get(memberships__is_self=True)


def _loaded(patient: Patient) -> list[Measure]:
    today = dt.date.today()
    return cycles.load(patient, today - dt.timedelta(days=3650), today).measures


def test_measures_equal_what_the_orm_loads(demo):
    measures = _loaded(demo)
    kinds = {m.kind for m in measures}
    assert {"mgadl", "grip"} <= kinds  # the demo has several kinds, grip with two hands
    from_orm = {m.pk: m for m in Measure.objects.filter(pk__in=[m.pk for m in measures])}
    assert len(from_orm) == len(measures)
    for measure in measures:
        expected = from_orm[measure.pk]
        assert type(measure) is Measure
        assert measure.get_deferred_fields() == {"uid", "created_at", "updated_at", "deleted_at"}
        for name in cycles._MEASURE_COLUMNS:
            assert getattr(measure, name) == getattr(expected, name), name
            assert type(getattr(measure, name)) is type(getattr(expected, name)), name
        assert measure.patient is demo
        assert not measure._state.adding
        assert measure.display_value() == expected.display_value()
        assert measure.tz == expected.tz
        assert measure == expected  # same model, same pk


def test_a_left_out_column_is_still_read_on_access(demo):
    # Deferred, not missing: code that needs it gets the stored value (with a query).
    measure = _loaded(demo)[0]
    assert measure.uid == Measure.objects.get(pk=measure.pk).uid


def _no_deferred_reads(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a page read a column left out of the cycle load: {kwargs}")

    monkeypatch.setattr(Measure, "refresh_from_db", refuse)


def test_no_page_reads_a_left_out_column(demo, monkeypatch):
    user = Membership.objects.get(patient=demo, is_self=True).user
    client = Client()
    client.force_login(user)
    data = trends.load(demo, trends.EARLIEST, dt.date.today())
    shows = [choice.key for choice in trends.choices(data)]
    assert len(shows) > 3
    _no_deferred_reads(monkeypatch)
    base = reverse("reports:trends", args=[demo.public_id])
    for period in ("3", "all"):
        for show in shows:
            response = client.get(f"{base}?period={period}&show={show}")
            assert response.status_code == 200, (period, show)
    today = dt.date.today()
    report = reverse("reports:report", args=[demo.public_id])
    parts = "".join(f"&parts={code}" for code, _title in sections.CHOICES)
    since = (today - dt.timedelta(days=365)).isoformat()
    response = client.get(
        f"{report}?period=custom&custom_from={since}&custom_to={today.isoformat()}{parts}"
    )
    assert response.status_code == 200
    assert "MG-ADL" in response.content.decode()


def _reference_last_day(onset, end, tz) -> dt.date:
    """The rule as first written: the date of the end, the day before at a local day's start."""
    first = onset.astimezone(tz).date()
    last = end.astimezone(tz).date()
    if last > first and end <= entries.day_bounds(tz, last)[0]:
        last -= dt.timedelta(days=1)
    return max(last, first)


# Santiago's clocks jump from 24:00 to 01:00 on 8 Sep 2024: that day starts at 01:00.
SANTIAGO = ZoneInfo("America/Santiago")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("zone", "onset", "end"),
    [
        (LONDON, dt.datetime(2026, 3, 1, 22, 0), dt.datetime(2026, 3, 2, 0, 0)),
        (LONDON, dt.datetime(2026, 3, 1, 22, 0), dt.datetime(2026, 3, 2, 0, 1)),
        (LONDON, dt.datetime(2026, 3, 28, 22, 0), dt.datetime(2026, 3, 29, 2, 59)),
        (LONDON, dt.datetime(2026, 3, 28, 22, 0), dt.datetime(2026, 3, 29, 3, 0)),
        (LONDON, dt.datetime(2026, 3, 1, 8, 0), dt.datetime(2026, 3, 1, 9, 0)),
        (LONDON, dt.datetime(2026, 3, 1, 8, 0), dt.datetime(2026, 3, 4, 0, 0)),
        (SANTIAGO, dt.datetime(2024, 9, 7, 20, 0), dt.datetime(2024, 9, 8, 1, 0)),
        (SANTIAGO, dt.datetime(2024, 9, 7, 20, 0), dt.datetime(2024, 9, 8, 1, 1)),
        (SANTIAGO, dt.datetime(2024, 9, 7, 20, 0), dt.datetime(2024, 9, 8, 2, 30)),
        (ZoneInfo("Pacific/Auckland"), dt.datetime(2026, 4, 4, 23, 0), dt.datetime(2026, 4, 5, 0)),
    ],
)
def test_last_day_as_first_written(zone, onset, end):
    onset, end = onset.replace(tzinfo=zone), end.replace(tzinfo=zone)
    as_utc = end.astimezone(dt.UTC)  # as the database gives it back
    assert cycles.last_day(onset, as_utc, zone) == _reference_last_day(onset, as_utc, zone)


def test_the_santiago_day_starts_at_one():
    onset = dt.datetime(2024, 9, 7, 20, 0, tzinfo=SANTIAGO)
    at_one = dt.datetime(2024, 9, 8, 1, 0, tzinfo=SANTIAGO)
    assert cycles.last_day(onset, at_one, SANTIAGO) == dt.date(2024, 9, 7)
    assert cycles.last_day(onset, at_one + dt.timedelta(minutes=1), SANTIAGO) == dt.date(
        2024, 9, 8
    )


def test_an_episode_keeps_its_fields():
    episode = cycles.Episode(
        entry_id=1, onset=dt.datetime(2026, 3, 1, tzinfo=LONDON), onset_day=2, worst=5,
        hours=3.5, open=False, end_day=2,
    )  # fmt: skip
    assert (episode.entry_id, episode.worst, episode.hours, episode.open) == (1, 5, 3.5, False)
    assert episode == cycles.Episode(1, episode.onset, 2, 5, 3.5, False, 2)
