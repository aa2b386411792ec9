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
CASEY = ZoneInfo("Antarctica/Casey")
DANMARKSHAVN = ZoneInfo("America/Danmarkshavn")


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
        # Days that started at 03:00: a clock change at midnight of more than two hours.
        (CASEY, dt.datetime(2016, 10, 21, 20, 0), dt.datetime(2016, 10, 22, 3, 0)),
        (CASEY, dt.datetime(2016, 10, 21, 20, 0), dt.datetime(2016, 10, 22, 3, 30)),
        (DANMARKSHAVN, dt.datetime(1995, 12, 31, 20, 0), dt.datetime(1996, 1, 1, 3, 0)),
    ],
)
def test_last_day_as_first_written(zone, onset, end):
    onset, end = onset.replace(tzinfo=zone), end.replace(tzinfo=zone)
    as_utc = end.astimezone(dt.UTC)  # as the database gives it back
    assert cycles.last_day(onset, as_utc, zone) == _reference_last_day(onset, as_utc, zone)


def test_a_day_that_started_at_three_is_not_touched_by_an_end_then():
    onset = dt.datetime(2016, 10, 21, 20, 0, tzinfo=CASEY)
    at_three = dt.datetime(2016, 10, 22, 3, 0, tzinfo=CASEY)
    day_start = entries.day_bounds(CASEY, dt.date(2016, 10, 22))[0]
    assert day_start.astimezone(dt.UTC) == at_three.astimezone(dt.UTC)  # 00:00-02:59 skipped
    assert cycles.last_day(onset, at_three.astimezone(dt.UTC), CASEY) == dt.date(2016, 10, 21)


def test_the_santiago_day_starts_at_one():
    onset = dt.datetime(2024, 9, 7, 20, 0, tzinfo=SANTIAGO)
    at_one = dt.datetime(2024, 9, 8, 1, 0, tzinfo=SANTIAGO)
    assert cycles.last_day(onset, at_one, SANTIAGO) == dt.date(2024, 9, 7)
    assert cycles.last_day(onset, at_one + dt.timedelta(minutes=1), SANTIAGO) == dt.date(2024, 9, 8)


def test_an_episode_keeps_its_fields():
    episode = cycles.Episode(
        entry_id=1, onset=dt.datetime(2026, 3, 1, tzinfo=LONDON), onset_day=2, worst=5,
        hours=3.5, open=False, end_day=2,
    )  # fmt: skip
    assert (episode.entry_id, episode.worst, episode.hours, episode.open) == (1, 5, 3.5, False)
    assert episode == cycles.Episode(1, episode.onset, 2, 5, 3.5, False, 2)


# --- the floor of the period's queries ------------------------------------------------------------


def _unbounded(patient, since, until):
    """What ``load`` reads, asked without its floor (the ORM, no prepared query)."""
    from django.db.models import Q

    from diary.models import SymptomEntry

    rows = cycles.load(patient, since, until)
    spans = rows.spans
    first, last = spans[0].start_date, spans[-1].start_date
    start, _end = entries.day_bounds(patient, since)
    _start, end = entries.day_bounds(patient, until)
    linked = Q(course__start_date__gte=first, course__start_date__lte=last)
    effects = SymptomEntry.objects.filter(
        linked | Q(course__isnull=True, onset__gte=start, onset__lt=end), patient=patient
    )
    measures_from = (rows.previous or spans[0]).start_date
    measures = Measure.objects.filter(
        Q(course__start_date__gte=measures_from, course__start_date__lte=last)
        | (Q(course__isnull=True, local_date__lte=measures_from) if rows.previous is None else Q()),
        patient=patient,
    )
    got_effects = sorted(
        r.pk for found in (*rows.symptoms.values(), rows.unlinked_symptoms) for r in found
    )
    return rows, got_effects, sorted(effects.values_list("pk", flat=True)), measures


def test_the_floor_leaves_nothing_out(owner):
    from reports import bench_data

    diary = bench_data.create_diary(owner, "Two years", years=2)
    today = dt.date.today()
    for since, until in (
        (today - dt.timedelta(days=90), today),
        (today - dt.timedelta(days=400), today - dt.timedelta(days=300)),
        (today - dt.timedelta(days=3000), today),
    ):
        rows, got, expected, measures = _unbounded(diary, since, until)
        assert got == expected, (since, until)
        assert sorted(m.pk for m in rows.measures) == sorted(
            measures.values_list("pk", flat=True)
        ), (since, until)


def test_the_floor_keeps_an_entry_logged_a_day_ahead(owner):
    """A course begun on 2 Mar with its infusion logged in Kiritimati (UTC+14, no start time:
    from 00:00 there, 10:00 UTC on 1 Mar) and a headache logged there at 00:30 on 2 Mar: it
    belongs to that course, though it was felt before 2 Mar began in London, the diary's zone."""
    from infusions.models import Infusion

    from .factories import InfusionFactory, PatientFactory

    diary = PatientFactory(name="Travelling", time_zone="Europe/London")
    InfusionFactory(patient=diary, date=dt.date(2026, 2, 2))
    ahead = InfusionFactory.build(patient=diary, date=dt.date(2026, 3, 2))
    ahead.time_zone = "Pacific/Kiritimati"
    ahead.save()
    from infusions.courses import regroup

    regroup(diary)
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    entry = cycles.SymptomEntry(
        patient=diary,
        symptom="headache",
        severity=5,
        onset=dt.datetime(2026, 3, 2, 0, 30, tzinfo=kiritimati),
        time_zone="Pacific/Kiritimati",
    )
    entries.save(entry, owner)
    entry.refresh_from_db()
    course = Infusion.objects.get(pk=ahead.pk).course
    assert entry.course_id == course.pk
    assert entry.onset < entries.day_bounds(diary, dt.date(2026, 3, 2))[0]
    rows = cycles.load(diary, dt.date(2026, 3, 2), dt.date(2026, 3, 10))
    assert [r.pk for r in rows.symptoms[course.pk]] == [entry.pk]


def test_no_linked_row_is_older_than_its_course_floor(owner):
    from reports import bench_data

    diary = bench_data.create_diary(owner, "One year", years=1)
    for course in diary.courses.all():
        floor = cycles._floor(diary, course.start_date)
        linked = cycles.SymptomEntry.objects.filter(course=course)
        assert not linked.filter(onset__lt=floor).exists()
        assert not Measure.objects.filter(course=course, measured_at__lt=floor).exists()
