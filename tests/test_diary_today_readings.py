"""Today's "Logged today" lists the later readings logged today of episodes begun before.

A "same one" reading at 00:30 (or at 14:00) of a headache that began the evening before showed on
the "Still going" card, while "Logged today" said "Nothing yet today." Now such an episode is
listed once, at its reading's time, with since when it has been going and how bad it is now. Days
are the diary's local days: just before and just after midnight, and in zones far from UTC.
"""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries, queries
from diary.models import Note, SymptomEntry, SymptomReading
from patients.caching import first_render
from patients.models import Membership

from .factories import MembershipFactory, PatientFactory

LONDON = ZoneInfo("Europe/London")
NOTHING = "Nothing yet today."


def local(*args, zone=LONDON):
    return dt.datetime(*args, tzinfo=zone)


def today_url(patient):
    return reverse("today", args=[patient.public_id])


def section(body: str, dom_id: str) -> str:
    start = body.rindex("<section", 0, body.index(f'id="{dom_id}"'))
    return body[start : body.index("</section>", start)]


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def logged_today(client, patient) -> list[str]:
    body = client.get(today_url(patient)).content.decode()
    items = re.findall(r"<li>(.*?)</li>", section(body, "today-entries"), re.S)
    return [text(item) for item in items] or [text(section(body, "today-entries"))]


def headache(patient, user, onset, **fields):
    entry = SymptomEntry(patient=patient, symptom="headache", severity=3, onset=onset, **fields)
    entries.save(entry, user)
    return entry


@pytest.fixture
def late_headache(patient, owner):
    """A headache that began at 20:00 on Sunday 22 Nov, still going."""
    with time_machine.travel(local(2026, 11, 22, 20, 5), tick=False):
        return headache(patient, owner, local(2026, 11, 22, 20))


def test_a_reading_after_midnight_is_logged_today(patient, owner, owner_client, late_headache):
    with time_machine.travel(local(2026, 11, 23, 0, 45), tick=False):
        entries.add_reading(late_headache, 5, local(2026, 11, 23, 0, 30), owner)
        lines = logged_today(owner_client, patient)
    assert lines == [
        "00:30 Headache 3 mild since Sun 20:00 · now 5 moderate at Mon 00:30 · worst 5 "
        f"· still going · {owner}"
    ]


def test_a_reading_in_the_afternoon_is_logged_today(patient, owner, owner_client, late_headache):
    with time_machine.travel(local(2026, 11, 23, 14, 5), tick=False):
        entries.add_reading(late_headache, 5, local(2026, 11, 23, 14), owner)
        (line,) = logged_today(owner_client, patient)
    assert line.startswith("14:00 Headache 3 mild since Sun 20:00 · now 5 moderate at Mon 14:00")


def test_the_quick_logs_answer_lists_it_too(patient, owner, owner_client, late_headache):
    """The reported case: "same one" on Today just after midnight, then "Nothing yet today"."""
    with time_machine.travel(local(2026, 11, 23, 0, 30), tick=False):
        response = owner_client.post(
            reverse("diary:quick-log", args=[patient.public_id]),
            {"symptom": "headache", "severity": "5", "episode": "same"},
            headers={"HX-Request": "true"},
        )
        answer = text(section(response.content.decode(), "today-entries"))
        page = logged_today(owner_client, patient)
    assert NOTHING not in answer and "now 5 moderate at Mon 00:30" in answer
    assert page[0].startswith("00:30 Headache 3 mild since Sun 20:00")


def test_a_reading_just_before_midnight_is_yesterdays(patient, owner, owner_client, late_headache):
    with time_machine.travel(local(2026, 11, 22, 23, 59, 30), tick=False):
        entries.add_reading(late_headache, 5, local(2026, 11, 22, 23, 59), owner)
    with time_machine.travel(local(2026, 11, 23, 0, 1), tick=False):
        assert logged_today(owner_client, patient) == [f"Logged today {NOTHING}"]
        entries.add_reading(late_headache, 6, local(2026, 11, 23, 0, 0), owner)
        (line,) = logged_today(owner_client, patient)
    assert line.startswith("00:00 Headache 3 mild since Sun 20:00 · now 6 moderate at Mon 00:00")


def test_each_episode_is_listed_once(patient, owner, owner_client, late_headache):
    with time_machine.travel(local(2026, 11, 23, 15), tick=False):
        entries.add_reading(late_headache, 5, local(2026, 11, 23, 0, 30), owner)
        entries.add_reading(late_headache, 4, local(2026, 11, 23, 9), owner)
        fatigue = SymptomEntry(
            patient=patient, symptom="fatigue", severity=2, onset=local(2026, 11, 23, 10)
        )
        entries.save(fatigue, owner)
        entries.add_reading(fatigue, 6, local(2026, 11, 23, 14), owner)  # begun today: as ever
        Note.objects.create(
            patient=patient, text="Slept badly", written_at=local(2026, 11, 23, 8), logged_by=owner
        )
        lines = logged_today(owner_client, patient)
    # Newest first, each where its time puts it: the headache at its latest reading, 09:00.
    assert [line[:5] for line in lines] == ["10:00", "09:00", "08:00"], lines
    assert lines[1].startswith("09:00 Headache 3 mild since Sun 20:00 · now 4 moderate at Mon")
    assert "Headache" not in lines[0] + lines[2]


def test_an_episode_that_ended_today_after_a_reading_today(patient, owner, owner_client):
    """Begun ten days ago (older than anything else Today reads), read and ended today."""
    with time_machine.travel(local(2026, 11, 13, 9, 5), tick=False):
        old = headache(patient, owner, local(2026, 11, 13, 9))
    with time_machine.travel(local(2026, 11, 23, 11), tick=False):
        entries.add_reading(old, 5, local(2026, 11, 23, 0, 30), owner)
        old.ended_at = local(2026, 11, 23, 1)
        entries.save(old, owner)
        (line,) = logged_today(owner_client, patient)
    # Ten days back: with its date (a weekday alone read as this week's).
    assert line.startswith(
        "00:30 Headache 3 mild since Fri 13 Nov 09:00 · last 5 moderate at Mon 00:30"
    )
    assert "ended Mon 01:00" in line


def test_an_earlier_days_reading_of_an_episode_still_going_is_not_today(
    patient, owner, owner_client, late_headache
):
    with time_machine.travel(local(2026, 11, 23, 9), tick=False):
        entries.add_reading(late_headache, 5, local(2026, 11, 22, 22), owner)
        assert logged_today(owner_client, patient) == [f"Logged today {NOTHING}"]


@pytest.mark.parametrize(
    ("zone", "began", "before_midnight", "after_midnight", "now"),
    [
        # Auckland (UTC+13 in November): its Tuesday begins at 11:00 UTC on Monday.
        (
            "Pacific/Auckland",
            dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC),  # Mon 20:00 there
            dt.datetime(2026, 11, 23, 10, 59, tzinfo=dt.UTC),  # Mon 23:59 there
            dt.datetime(2026, 11, 23, 11, 30, tzinfo=dt.UTC),  # Tue 00:30 there
            dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),  # Tue 01:00 there
        ),
        # New York (UTC-5): both readings are on 23 Nov in UTC, a day apart there.
        (
            "America/New_York",
            dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC),  # Sun 20:00 there
            dt.datetime(2026, 11, 23, 4, 59, tzinfo=dt.UTC),  # Sun 23:59 there
            dt.datetime(2026, 11, 23, 5, 30, tzinfo=dt.UTC),  # Mon 00:30 there
            dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC),  # Mon 01:00 there
        ),
    ],
)
def test_days_are_the_diarys_days(db, zone, began, before_midnight, after_midnight, now):
    patient = PatientFactory(name="Ana", time_zone=zone)
    owner = MembershipFactory(patient=patient, role=Membership.Role.OWNER, is_self=True).user
    client = Client()
    client.force_login(owner)
    with time_machine.travel(began, tick=False):
        episode = headache(patient, owner, began)
    with time_machine.travel(now, tick=False):
        entries.add_reading(episode, 5, before_midnight, owner)
        assert logged_today(client, patient) == [f"Logged today {NOTHING}"]
        entries.add_reading(episode, 6, after_midnight, owner)
        (line,) = logged_today(client, patient)
    assert line.startswith("00:30 Headache 3 mild since")
    assert "now 6 moderate at" in line and "00:30" in line.split("now 6 moderate at")[1]


def test_the_summary_marks_the_reading_it_was_listed_for(patient, owner, late_headache):
    with time_machine.travel(local(2026, 11, 23, 9), tick=False):
        entries.add_reading(late_headache, 5, local(2026, 11, 23, 0, 30), owner)
        summary = queries.today_summary(patient, local(2026, 11, 23, 9))
    (item,) = summary.todays
    assert item.pk == late_headache.pk
    assert item.read_today_at == local(2026, 11, 23, 0, 30)
    assert [e.pk for e in summary.ongoing] == [late_headache.pk]


# --- the cost: no query more, for 1 episode or 500 ------------------------------------------------


def _read_today(patient, owner, count):
    rows = SymptomEntry.objects.bulk_create(
        SymptomEntry(
            patient=patient,
            symptom="headache",
            severity=3,
            peak_severity=5,
            onset=local(2026, 11, 20, 8) + dt.timedelta(seconds=n),
            # Half of them ended today, after the reading: found by their end, not their start.
            ended_at=local(2026, 11, 23, 1) if n % 2 else None,
            logged_by=owner,
        )
        for n in range(count)
    )
    SymptomReading.objects.bulk_create(
        SymptomReading(entry=row, severity=5, at=local(2026, 11, 23, 0, 30)) for row in rows
    )


def test_readings_today_cost_no_query_more(patient, owner, owner_client):
    counts = {}
    with time_machine.travel(local(2026, 11, 23, 9), tick=False):
        for count in (1, 500):
            SymptomEntry.all_objects.all().delete()
            _read_today(patient, owner, count)
            owner_client.get(today_url(patient))  # the session's "last diary", not counted
            with CaptureQueriesContext(connection) as captured, first_render():
                body = owner_client.get(today_url(patient)).content.decode()
            counts[count] = len(captured)
            listed = text(section(body, "today-entries"))
            assert listed.startswith("Logged today 00:30 Headache 3 mild since Fri 08:0"), listed
            assert "5 moderate at Mon 00:30" in listed
    assert counts[1] == counts[500] <= 12, counts  # quality.md "Speed"


def test_a_line_listed_for_a_reading_names_who_noted_it(
    patient, owner, caregiver, caregiver_client, owner_client, late_headache
):
    """The patient began the headache last night; a caregiver noted it this morning. The line
    is there because of the caregiver's reading, so it names the caregiver."""
    with time_machine.travel(local(2026, 11, 23, 9, 5), tick=False):
        response = caregiver_client.post(
            reverse("diary:quick-log", args=[patient.public_id]),
            {"symptom": "headache", "severity": "6", "episode": "same"},
        )
        assert response.status_code == 302
        (line,) = logged_today(owner_client, patient)
    assert line.startswith("09:05 Headache 3 mild since Sun 20:00 · now 6 moderate at Mon 09:05")
    assert line.endswith(f"· {caregiver} (caregiver)")
    # An entry begun today still names who began it.
    with time_machine.travel(local(2026, 11, 23, 9, 10), tick=False):
        headache(patient, owner, local(2026, 11, 23, 9, 10), custom_symptom="")
        lines = logged_today(owner_client, patient)
    assert lines[0].startswith("09:10 Headache") and lines[0].endswith(f"· {owner}")
