"""Days after the infusion and day of the cycle (clinical.md "Time and cycles").

Every diary entry knows the local calendar days since the latest infusion day, and the course of
the cycle it belongs to with the days since that course's first day; both are counted in the
zone the entry was logged in and kept right whenever an infusion is logged, edited or deleted.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries
from diary.models import Measure, Note, SymptomEntry
from infusions.models import Course, Infusion

from .factories import InfusionFactory, catalog_product

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 12:00 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def infusion(patient, day, start=dt.time(9), end=dt.time(13)):
    return InfusionFactory(patient=patient, date=day, start_time=start, end_time=end)


def course(patient, first_day, days=2, start=dt.time(9)):
    """Consecutive infusion days starting at ``start``; returns the first day's infusion."""
    made = [infusion(patient, first_day + dt.timedelta(days=n), start) for n in range(days)]
    made[0].refresh_from_db()
    return made[0]


def symptom(patient, user, onset, **fields):
    entry = SymptomEntry(
        patient=patient, **({"symptom": "fatigue", "severity": 3, "onset": onset} | fields)
    )
    entries.save(entry, user)
    return entry


def mgadl(patient, user, at, value=6):
    measure = Measure(patient=patient, kind="mgadl", value=value, measured_at=at)
    entries.save(measure, user)
    return measure


def days(record):
    """What the diary knows about when the record is: (days after infusion, course, day)."""
    record.refresh_from_db()
    return record.days_after_infusion, record.course_id, record.day_of_cycle


def log_data(**overrides):
    data = {
        "date": "2026-11-02",
        "start_time": "09:00",
        "end_time": "13:00",
        "product": catalog_product().pk,
        "dose_g": "35",
        "weight_kg": "68",
        "volume_ml": "350",
        "site": "home",
        "nurse": "",
        "hydration": "",
        "notes": "",
    }
    for prefix in ["lots", "rates", "premeds", "reactions"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | overrides


def infusions_url(name, patient, *args):
    return reverse(f"infusions:{name}", args=[patient.public_id, *args])


# --- a course over several days ------------------------------------------------------------------


def test_a_two_day_course_counts_the_cycle_from_its_first_day(patient, owner):
    first = course(patient, dt.date(2026, 11, 2))
    day1 = symptom(patient, owner, local(2026, 11, 2, 15))
    day2_early = symptom(patient, owner, local(2026, 11, 3, 7))  # before day 2's infusion
    day2 = symptom(patient, owner, local(2026, 11, 3, 15))
    later = mgadl(patient, owner, local(2026, 11, 5, 19))
    assert days(day1) == (0, first.course_id, 0)
    # Before day 2's infusion: day 1 after the first day's, on day 1 of the course's cycle.
    assert days(day2_early) == (1, first.course_id, 1)
    assert days(day2) == (0, first.course_id, 1)
    assert days(later) == (2, first.course_id, 3)
    assert day2.infusion.date == dt.date(2026, 11, 3)


def test_the_cycle_day_is_shown_where_it_adds_something(patient, owner, owner_client):
    course(patient, dt.date(2026, 11, 16))
    symptom(patient, owner, local(2026, 11, 19, 10), symptom="headache")
    page = owner_client.get(reverse("diary:timeline", args=[patient.public_id])).content.decode()
    assert "day 2 after infusion · day 3 of cycle" in page
    # The same count twice says nothing more.
    Infusion.objects.filter(date=dt.date(2026, 11, 17)).get().delete()
    entries.relink(patient)
    page = owner_client.get(reverse("diary:timeline", args=[patient.public_id])).content.decode()
    assert "day 3 after infusion" in page and "of cycle" not in page


# --- before the infusion starts ------------------------------------------------------------------


def test_a_score_before_the_infusion_closes_the_previous_cycle(patient, owner, owner_client):
    old = course(patient, dt.date(2026, 10, 5))  # across the October clock change
    new = course(patient, dt.date(2026, 11, 2))
    trough = mgadl(patient, owner, local(2026, 11, 2, 7))
    after = mgadl(patient, owner, local(2026, 11, 2, 9, 30))
    # Before today's infusion started: 27 days after the last one given (6 Oct), and the
    # cycle's last day; "day 0 after infusion" beside "day 28 of cycle" contradicted itself.
    assert days(trough) == (27, old.course_id, 28)
    assert trough.infusion.date == dt.date(2026, 10, 6)
    assert days(after) == (0, new.course_id, 0)
    assert after.infusion_id == new.pk
    page = owner_client.get(reverse("diary:measures", args=[patient.public_id])).content.decode()
    assert "day 28 of cycle" in page


def test_a_sign_before_the_infusion_of_its_day_follows_the_infusion_before(patient, owner):
    """An infusion logged at 10:00 on 23 Nov; aching legs since 00:10 that night: day 8 after
    the infusion of 15 Nov, not day 0 after one not yet given. On day 2 of a course, anything
    follows day 1; an infusion with no start time counts from the start of its day."""
    infusion(patient, dt.date(2026, 11, 15))
    infusion(patient, dt.date(2026, 11, 23), start=dt.time(10))
    night = symptom(patient, owner, local(2026, 11, 23, 0, 10))
    assert days(night)[0] == 8 and night.infusion.date == dt.date(2026, 11, 15)
    later = symptom(patient, owner, local(2026, 11, 23, 10, 0))
    assert days(later)[0] == 0 and later.infusion.date == dt.date(2026, 11, 23)
    untimed = InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 24), start_time=None, end_time=None
    )
    early = symptom(patient, owner, local(2026, 11, 24, 0, 5))
    assert days(early)[0] == 0 and early.infusion_id == untimed.pk


def test_before_the_first_course_there_is_no_cycle(patient, owner):
    first = course(patient, dt.date(2026, 11, 2))
    before = mgadl(patient, owner, local(2026, 10, 30, 19))
    same_morning = mgadl(patient, owner, local(2026, 11, 2, 8, 59))
    started = mgadl(patient, owner, local(2026, 11, 2, 9, 0))
    assert days(before) == (None, None, None)
    assert days(same_morning) == (None, None, None)  # no infusion had started yet
    assert same_morning.infusion_id is None
    assert days(started) == (0, first.course_id, 0)


def test_an_unknown_start_time_counts_from_the_start_of_the_day(patient, owner):
    old = course(patient, dt.date(2026, 10, 5))
    new = course(patient, dt.date(2026, 11, 2), start=None)
    early = mgadl(patient, owner, local(2026, 11, 2, 0, 5))
    eve = mgadl(patient, owner, local(2026, 11, 1, 23, 55))
    assert days(early) == (0, new.course_id, 0)
    assert days(eve) == (26, old.course_id, 27)


# --- calendar days across DST (Europe/London) ----------------------------------------------------


@pytest.mark.parametrize(
    ("first_day", "when", "after", "cycle_day"),
    [
        # Clocks go forward on Sun 29 Mar 2026 (a 23-hour day); 00:30 BST is 23:30 UTC.
        (dt.date(2026, 3, 27), local(2026, 3, 30, 0, 30), 2, 3),
        (dt.date(2026, 3, 28), local(2026, 3, 29, 23, 30), 0, 1),
        # Clocks go back on Sun 25 Oct 2026 (a 25-hour day).
        (dt.date(2026, 10, 24), local(2026, 10, 25, 23, 30), 0, 1),
        (dt.date(2026, 10, 24), local(2026, 10, 26, 0, 30), 1, 2),
    ],
)
def test_cycle_days_are_calendar_days_across_dst(patient, owner, first_day, when, after, cycle_day):
    first = course(patient, first_day)  # two days: first_day and the next
    entry = symptom(patient, owner, when)
    assert days(entry) == (after, first.course_id, cycle_day)


def test_the_start_on_a_clock_change_day_is_local_time(patient, owner):
    old = course(patient, dt.date(2026, 3, 1))
    new = course(patient, dt.date(2026, 3, 29))  # 09:00 BST is 08:00 UTC
    before = mgadl(patient, owner, dt.datetime(2026, 3, 29, 7, 30, tzinfo=dt.UTC))
    after = mgadl(patient, owner, dt.datetime(2026, 3, 29, 8, 30, tzinfo=dt.UTC))
    assert days(before) == (27, old.course_id, 28)  # 27 days after 2 Mar, day 2 of the old
    assert days(after) == (0, new.course_id, 0)


# --- the zone an entry was logged in -------------------------------------------------------------


def test_changing_the_diary_time_zone_moves_no_past_entry(patient, owner, owner_client):
    first = course(patient, dt.date(2026, 11, 21))
    # 03:00 UTC on 23 Nov: 23 Nov in London, but still 22 Nov in Los Angeles.
    entry = symptom(patient, owner, dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC))
    assert days(entry) == (1, first.course_id, 2)
    response = owner_client.post(
        reverse("patients:settings", args=[patient.public_id]),
        {
            "name": "Maya",
            "time_zone": "America/Los_Angeles",
            "conditions": ["mg"],
            "weight_unit": "kg",
            "temperature_unit": "C",
        },
    )
    assert response.status_code == 302
    assert days(entry) == (1, first.course_id, 2)
    assert (entry.local_date, entry.time_zone) == (dt.date(2026, 11, 23), "Europe/London")
    # Editing it later, or relinking, keeps its day too.
    patient.refresh_from_db()
    entry.severity = 4
    entries.save(entry, owner)
    entries.relink(patient)
    assert days(entry) == (1, first.course_id, 2)
    # The same moment logged now counts in the new zone.
    now = symptom(patient, owner, dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC))
    assert days(now) == (0, first.course_id, 1)
    assert (now.local_date, now.time_zone) == (dt.date(2026, 11, 22), "America/Los_Angeles")


# --- keeping the links right when infusions change -----------------------------------------------


def test_deleting_a_course_moves_its_entries_to_the_previous_cycle(patient, owner, owner_client):
    old = course(patient, dt.date(2026, 10, 5))
    course(patient, dt.date(2026, 11, 2))
    entry = symptom(patient, owner, local(2026, 11, 5, 10))
    for gone in Infusion.objects.filter(date__gte=dt.date(2026, 11, 1)):
        response = owner_client.post(infusions_url("delete", patient, gone.pk))
        assert response.status_code == 302
    assert Course.objects.filter(patient=patient).count() == 1
    assert days(entry) == (30, old.course_id, 31)


def test_deleting_a_middle_day_splits_the_cycle(patient, owner, owner_client):
    course(patient, dt.date(2026, 11, 2), days=3)
    entry = symptom(patient, owner, local(2026, 11, 6, 10))
    assert days(entry)[2] == 4
    middle = Infusion.objects.get(date=dt.date(2026, 11, 3))
    assert owner_client.post(infusions_url("delete", patient, middle.pk)).status_code == 302
    last = Infusion.objects.get(date=dt.date(2026, 11, 4))
    assert days(entry) == (2, last.course_id, 2)


def test_an_infusion_logged_later_relinks_older_entries(patient, owner, owner_client):
    old = course(patient, dt.date(2026, 10, 5))
    trough = mgadl(patient, owner, local(2026, 11, 2, 7))
    after = symptom(patient, owner, local(2026, 11, 5, 10))
    assert days(trough) == (27, old.course_id, 28)
    assert days(after) == (30, old.course_id, 31)
    response = owner_client.post(infusions_url("log", patient), log_data(date="2026-11-02"))
    assert response.status_code == 302
    new = Infusion.objects.get(date=dt.date(2026, 11, 2))
    # Before it started: the old cycle's last point, 27 days after its last infusion.
    assert days(trough) == (27, old.course_id, 28)
    assert days(after) == (3, new.course_id, 3)
    # A second day logged afterwards joins the course: the cycle still counts from its first day.
    response = owner_client.post(infusions_url("log", patient), log_data(date="2026-11-03"))
    assert response.status_code == 302
    assert days(after) == (2, new.course_id, 3)


def test_moving_an_infusion_relinks(patient, owner, owner_client):
    old = course(patient, dt.date(2026, 10, 5), days=1)
    moved = course(patient, dt.date(2026, 11, 2), days=1)
    entry = symptom(patient, owner, local(2026, 11, 3, 10))
    assert days(entry) == (1, moved.course_id, 1)
    response = owner_client.post(
        infusions_url("edit", patient, moved.pk), log_data(date="2026-11-04")
    )
    assert response.status_code == 302
    assert days(entry) == (29, old.course_id, 29)


def test_relinking_does_not_query_per_entry(patient, owner):
    course(patient, dt.date(2026, 10, 5))

    def relink_queries(count: int) -> int:
        for n in range(count):
            at = local(2026, 11, 3 + n % 15, 10)
            symptom(patient, owner, at)
            mgadl(patient, owner, at)
            entries.save(Note(patient=patient, text="Better", written_at=at), owner)
        for model in (SymptomEntry, Note, Measure):  # stale links, as after an infusion change
            model.all_objects.filter(patient=patient).update(day_of_cycle=99)
        total = sum(
            m.all_objects.filter(patient=patient).count() for m in (SymptomEntry, Note, Measure)
        )
        with CaptureQueriesContext(connection) as queries:
            assert entries.relink(patient) == total
        with CaptureQueriesContext(connection) as unchanged:
            assert entries.relink(patient) == 0
        assert len(unchanged) == 1 + 3  # the infusions, then each kind of entry: no updates
        return len(queries)

    few = relink_queries(2)
    assert relink_queries(30) == few


def test_the_demo_diary_is_linked_to_its_cycles(db):
    from django.core.management import call_command

    call_command("seed_demo")
    scores = Measure.objects.filter(kind="mgadl", course__isnull=False)
    assert scores.exists()
    # Scores are taken on days 6, 13, 20 and 27 of each cycle (diary.demo.MGADL_BY_CYCLE_DAY).
    assert set(scores.values_list("day_of_cycle", flat=True)) <= {6, 13, 20, 27}
    # The weight taken at 08:00 on a first infusion day, before the infusion, closes a cycle.
    weights = Measure.objects.filter(kind="weight").order_by("measured_at")
    assert weights[0].course is None
    assert all(w.day_of_cycle == 28 for w in weights[1:])
    # Linking each entry as it is saved gives what relinking them all at once gives.
    assert entries.relink(weights[0].patient) == 0
