"""patients.caching.PreparedQuery: the ORM's query, compiled once, gives the ORM's rows."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone

from diary.models import SymptomEntry
from patients.models import Membership
from patients.prepared import PreparedQuery

from .factories import MembershipFactory, PatientFactory

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def _fields(rows):
    return [{k: v for k, v in row.__dict__.items() if k != "_state"} for row in rows]


@pytest.fixture
def diaries(db):
    mine, other = PatientFactory(), PatientFactory(name="Other")
    for patient in (mine, other):
        MembershipFactory(patient=patient)
        for hours in (1, 30, 80):
            SymptomEntry.objects.create(
                patient=patient,
                symptom="headache",
                severity=3,
                onset=NOW - dt.timedelta(hours=hours),
            )
    SymptomEntry.objects.create(
        patient=mine, symptom="fatigue", severity=2, onset=NOW, ended_at=NOW
    )
    return mine, other


def test_same_rows_as_the_orm_for_any_values(diaries):
    mine, other = diaries
    recent = PreparedQuery(
        lambda patient, since: SymptomEntry.objects.filter(
            Q(onset__gte=since) | Q(ended_at__isnull=True), patient=patient
        )[:200],
        patient=int,
        since=dt.datetime,
    )
    for patient in (mine, other):
        for hours in (0, 2, 48, 100):
            since = NOW - dt.timedelta(hours=hours)
            orm = SymptomEntry.objects.filter(
                Q(onset__gte=since) | Q(ended_at__isnull=True), patient=patient
            )[:200]
            assert _fields(recent(patient=patient.pk, since=since)) == _fields(orm)


def test_select_related_rows_come_whole(diaries, django_assert_num_queries):
    mine, _other = diaries
    members = PreparedQuery(
        lambda patient: Membership.objects.filter(patient=patient).select_related("user"),
        patient=int,
    )
    members(patient=mine.pk)  # compiled here
    with django_assert_num_queries(1):
        [membership] = members(patient=mine.pk)
        assert membership.user.email  # no second query: it came with the row
    assert membership.patient_id == mine.pk


def test_sql_that_depends_on_the_zone_or_a_value_is_refused(db):
    by_local_day = PreparedQuery(
        lambda patient: SymptomEntry.objects.filter(
            patient=patient, onset__date=dt.date(2026, 1, 1)
        ),
        patient=int,
    )
    with pytest.raises(ImproperlyConfigured):
        by_local_day(patient=1)
    in_list = PreparedQuery(
        lambda patient: SymptomEntry.objects.filter(pk__in=[patient]), patient=int
    )
    assert in_list(patient=1) == []  # one value in a list is a plain parameter


def test_values_of_another_kind_are_refused(db):
    since = PreparedQuery(
        lambda patient, since: SymptomEntry.objects.filter(patient=patient, onset__gte=since),
        patient=int,
        since=dt.datetime,
    )
    with pytest.raises(TypeError):
        since(patient=True, since=NOW)
    with pytest.raises(TypeError):
        since(patient=None, since=NOW)
    with pytest.raises(ValueError):
        since(patient=1, since=timezone.make_naive(NOW, dt.UTC))
    with pytest.raises(TypeError):
        since(patient=1)
    # SQLite would raise OverflowError where PostgreSQL finds nothing: one answer on both.
    for too_big in (2**63, -(2**63) - 1):
        with pytest.raises(ValueError, match="64-bit"):
            since(patient=too_big, since=NOW)
    assert since(patient=2**63 - 1, since=NOW) == []
