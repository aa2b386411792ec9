"""How bad a side effect is now: later readings ("Same one: note how bad it is now") show on
Today's "Still going" card, in "Logged today" and on the diary's timeline as "now N word at
time", with the worst when it differs, next to how it began; the htmx answer to a quick log shows
what a full page shows; entries without readings read as they always did."""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries, queries
from diary.models import SymptomEntry, SymptomReading
from patients.caching import first_render

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 15:00 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def today_url(patient):
    return reverse("today", args=[patient.public_id])


def timeline_url(patient):
    return reverse("diary:timeline", args=[patient.public_id])


def quick_url(patient):
    return reverse("diary:quick-log", args=[patient.public_id])


def make_entry(patient, user, **fields):
    entry = SymptomEntry(
        patient=patient,
        **({"symptom": "headache", "severity": 6, "onset": local(2026, 11, 23, 9)} | fields),
    )
    entries.save(entry, user)
    return entry


def section(body: str, dom_id: str) -> str:
    """The ``<section>`` with that id (Today's cards), as sent."""
    start = body.index(f'id="{dom_id}"')
    start = body.rindex("<section", 0, start)
    return body[start : body.index("</section>", start) + len("</section>")]


def unmasked(fragment: str) -> str:
    """A fragment without its CSRF tokens (masked anew on every render) or out-of-band marks."""
    fragment = fragment.replace(' hx-swap-oob="true"', "")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", fragment)


def text(fragment: str) -> str:
    """What a reader sees: no tags, whitespace squashed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def card_lines(body: str) -> list[str]:
    """The lines of the "Still going" card, without their buttons."""
    items = re.findall(r"<li[^>]*>(.*?)</li>", section(body, "ongoing"), re.S)
    return [text(re.split(r"<form", item)[0]) for item in items]


def today_lines(body: str) -> list[str]:
    return [text(m) for m in re.findall(r"<li>(.*?)</li>", section(body, "today-entries"), re.S)]


def timeline_lines(body: str) -> list[str]:
    """The timeline's lines, without their edit links."""
    items = re.findall(r'<li class="d-flex[^"]*">(.*?)</li>', body, re.S)
    return [text(re.split(r"<a ", item)[0]) for item in items]


# --- the tester's case, through the quick log ----------------------------------------------------


def test_a_lower_reading_shows_now_and_worst_on_today_and_the_timeline(
    patient, owner, owner_client
):
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False):
        owner_client.post(quick_url(patient), {"symptom": "headache", "severity": "6"})
    entry = SymptomEntry.objects.get()
    with time_machine.travel(local(2026, 11, 23, 11, 0), tick=False):
        owner_client.post(
            reverse("diary:side-effect-still-going", args=[patient.public_id, entry.pk])
        )
    with time_machine.travel(local(2026, 11, 23, 14, 20), tick=False):
        answer = owner_client.post(
            quick_url(patient),
            {"symptom": "headache", "severity": "5", "episode": "same"},
            headers=HTMX,
        ).content.decode()
    assert SymptomEntry.objects.count() == 1 and entry.readings.count() == 1

    # The answer's message, its "Still going" card and its "Logged today" (swapped out of band).
    assert (
        "Added to the same Headache (since Mon 09:00): now 5 (moderate), worst so far 6." in answer
    )
    line = "Headache 6 moderate since Mon 09:00 · now 5 moderate at Mon 14:20 · worst 6"
    assert card_lines(answer) == [line]
    assert today_lines(answer) == [
        f"09:00 Headache 6 moderate · now 5 moderate at Mon 14:20 · worst 6 · still going · {owner}"
    ]
    # The reading is later than the "Still going" tap: its time says more, so that one goes.
    assert "still going at Mon 11:00" not in answer
    # The latest severity wears the severity component: a number and a word, never colour alone.
    assert (
        'now <span class="severity severity-5"><span class="severity-number">5</span> '
        '<span class="severity-word">moderate</span></span> at Mon 14:20'
    ) in answer

    # A full page load shows the same cards, and so does the Back button after the swap
    # (htmx asks for the whole page when its snapshot is gone).
    page = owner_client.get(today_url(patient)).content.decode()
    restored = owner_client.get(
        today_url(patient), headers=HTMX | {"HX-History-Restore-Request": "true"}
    ).content.decode()
    for body in (page, restored):
        assert "<!doctype html>" in body.lower()
        for dom_id in ("ongoing", "today-entries"):
            assert unmasked(section(body, dom_id)) == unmasked(section(answer, dom_id))

    timeline = owner_client.get(timeline_url(patient)).content.decode()
    assert timeline_lines(timeline) == [
        f"09:00 Headache 6 moderate · now 5 moderate at Mon 14:20 · worst 6 · still going · {owner}"
    ]


def test_without_javascript_the_page_after_a_reading_says_the_same(patient, owner, owner_client):
    make_entry(patient, owner, severity=8)
    with time_machine.travel(local(2026, 11, 23, 14, 20), tick=False):
        response = owner_client.post(
            quick_url(patient), {"symptom": "headache", "severity": "3", "episode": "same"}
        )
        assert response.status_code == 302 and "?saved=" in response.url
        body = owner_client.get(response.url).content.decode()
    assert "Added to the same Headache (since Mon 09:00): now 3 (mild), worst so far 8." in body
    assert card_lines(body) == [
        "Headache 8 severe since Mon 09:00 · now 3 mild at Mon 14:20 · worst 8"
    ]


# --- the neighbouring cases, from crafted readings ------------------------------------------------


@pytest.mark.parametrize(
    ("first", "later", "card", "line"),
    [
        # An improvement from 8 to 3 does not read "8 severe" alone.
        (8, [3], "now 3 mild at Mon 12:00 · worst 8", "now 3 mild at Mon 12:00 · worst 8"),
        # The same again: now, and nothing about a worst that all of them share.
        (6, [6], "now 6 moderate at Mon 12:00", "now 6 moderate at Mon 12:00"),
        # Worse: the card and the line say "worst" alike.
        (3, [8], "now 8 severe at Mon 12:00 · worst 8", "now 8 severe at Mon 12:00 · worst 8"),
        # Up, then down a little: began 3, at worst 8, now 5.
        (
            3,
            [8, 5],
            "now 5 moderate at Mon 13:00 · worst 8",
            "now 5 moderate at Mon 13:00 · worst 8",
        ),
    ],
)
def test_first_now_and_worst(patient, owner, owner_client, first, later, card, line):
    entry = make_entry(patient, owner, severity=first)
    for hour, severity in enumerate(later, start=12):
        entries.add_reading(entry, severity, local(2026, 11, 23, hour), owner)
    body = owner_client.get(today_url(patient)).content.decode()
    word = {3: "mild", 6: "moderate", 8: "severe"}[first]
    assert card_lines(body) == [f"Headache {first} {word} since Mon 09:00 · {card}"]
    expected = f"09:00 Headache {first} {word} · {line} · still going · {owner}"
    assert today_lines(body) == [expected]
    timeline = owner_client.get(timeline_url(patient)).content.decode()
    assert timeline_lines(timeline) == [expected]


def test_the_latest_reading_is_the_latest_by_time_then_by_id(patient, owner, owner_client):
    entry = make_entry(patient, owner, severity=4)
    # Logged out of order: the last one written is not the latest; two share a time.
    entries.add_reading(entry, 7, local(2026, 11, 23, 13), owner)
    entries.add_reading(entry, 2, local(2026, 11, 23, 13), owner)  # same time, larger id: latest
    entries.add_reading(entry, 9, local(2026, 11, 23, 10), owner)  # earlier, logged last
    for body in (
        owner_client.get(today_url(patient)).content.decode(),
        owner_client.get(timeline_url(patient)).content.decode(),
    ):
        assert "now 2 mild at Mon 13:00" in text(body) and "worst 9" in text(body)
    assert card_lines(owner_client.get(today_url(patient)).content.decode()) == [
        "Headache 4 moderate since Mon 09:00 · now 2 mild at Mon 13:00 · worst 9"
    ]
    # The same reading as the model's own property finds.
    summary = queries.today_summary(patient, NOW)
    assert summary.ongoing[0].latest_reading.pk == SymptomEntry.objects.get().latest_reading.pk


def test_a_closed_entry_says_last_not_now(patient, owner, owner_client):
    entry = make_entry(patient, owner, severity=7)
    entries.add_reading(entry, 4, local(2026, 11, 23, 11), owner)
    entry.ended_at = local(2026, 11, 23, 13)
    entries.save(entry, owner)
    body = owner_client.get(today_url(patient)).content.decode()
    assert card_lines(body) == []  # not still going
    expected = (
        f"09:00 Headache 7 severe · last 4 moderate at Mon 11:00 · worst 7 · ended Mon 13:00"
        f" · {owner}"
    )
    assert today_lines(body) == [expected]
    timeline = owner_client.get(timeline_url(patient)).content.decode()
    assert timeline_lines(timeline) == [expected]
    assert "now 4" not in body + timeline


def test_an_other_side_effect_in_the_patients_words_is_escaped(patient, owner, owner_client):
    entry = make_entry(patient, owner, symptom="other", custom_symptom="<i>pins</i>", severity=2)
    entries.add_reading(entry, 5, local(2026, 11, 23, 12), owner)
    body = owner_client.get(today_url(patient)).content.decode()
    assert "<i>pins</i>" not in body and "&lt;i&gt;pins&lt;/i&gt;" in body
    assert card_lines(body) == [
        "<i>pins</i> 2 mild since Mon 09:00 · now 5 moderate at Mon 12:00 · worst 5"
    ]
    timeline = owner_client.get(timeline_url(patient)).content.decode()
    assert "<i>pins</i> 2 mild · now 5 moderate at Mon 12:00 · worst 5" in text(timeline)


def test_a_viewer_reads_the_same_without_buttons(patient, owner, owner_client, viewer_client):
    entry = make_entry(patient, owner, severity=8)
    entries.add_reading(entry, 3, local(2026, 11, 23, 12), owner)
    mine = owner_client.get(today_url(patient)).content.decode()
    theirs = viewer_client.get(today_url(patient)).content.decode()
    assert (
        card_lines(theirs)
        == card_lines(mine)
        == ["Headache 8 severe since Mon 09:00 · now 3 mild at Mon 12:00 · worst 8"]
    )
    assert today_lines(theirs) == today_lines(mine)
    assert "Gone now" not in theirs and "Gone now" in mine
    timeline = viewer_client.get(timeline_url(patient)).content.decode()
    assert "now 3 mild at Mon 12:00 · worst 8" in text(timeline)
    assert ">Edit<" not in timeline


def test_still_going_at_shows_when_confirmed_after_the_latest_reading(patient, owner, owner_client):
    entry = make_entry(patient, owner, onset=local(2026, 11, 22, 18))
    entries.add_reading(entry, 4, local(2026, 11, 23, 8), owner)
    with time_machine.travel(local(2026, 11, 23, 10, 30), tick=False):
        owner_client.post(
            reverse("diary:side-effect-still-going", args=[patient.public_id, entry.pk])
        )
    body = owner_client.get(today_url(patient)).content.decode()
    assert card_lines(body) == [
        "Headache 6 moderate since Sun 18:00 · now 4 moderate at Mon 08:00 · worst 6"
        " · still going at Mon 10:30"
    ]
    timeline = owner_client.get(timeline_url(patient)).content.decode()
    assert "· now 4 moderate at Mon 08:00 · worst 6 · still going at Mon 10:30" in text(timeline)


def test_entries_without_readings_read_as_before(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    make_entry(patient, owner, severity=6)
    make_entry(
        patient,
        owner,
        symptom="chills",
        severity=2,
        onset=local(2026, 11, 23, 7),
        ended_at=local(2026, 11, 23, 8),
    )
    body = owner_client.get(today_url(patient)).content.decode()
    card = section(body, "ongoing")
    # The card's markup as its template wrote it, byte for byte.
    assert (
        '<span><strong>Headache</strong> <span class="severity severity-6"><span class="severity-'
        'number">6</span> <span class="severity-word">moderate</span></span>\n since Mon 09:00'
        "</span>"
    ) in card
    assert today_lines(body) == [
        f"09:00 Headache 6 moderate · still going · day 1 after infusion · {owner}",
        f"07:00 Chills 2 mild · ended Mon 08:00 · day 1 after infusion · {owner}",
    ]
    assert "· now" not in text(section(body, "today-entries")) + text(card)
    assert "entry-now" not in body


# --- the cost: no query more, for 1 row or 500 ---------------------------------------------------


def _many(patient, owner, count, *, readings):
    rows = SymptomEntry.objects.bulk_create(
        SymptomEntry(
            patient=patient,
            symptom="headache",
            severity=6,
            peak_severity=6,
            onset=local(2026, 11, 23, 8) + dt.timedelta(seconds=n),
            logged_by=owner,
        )
        for n in range(count)
    )
    if readings:
        SymptomReading.objects.bulk_create(
            SymptomReading(entry=row, severity=n % 6, at=local(2026, 11, 23, 12, n % 60))
            for row in rows
            for n in range(2)
        )


@pytest.mark.parametrize("page", ["today", "timeline"])
def test_readings_cost_no_query_more(patient, owner, owner_client, page):
    address = today_url(patient) if page == "today" else timeline_url(patient)
    counts = {}
    for count, readings in ((1, False), (1, True), (500, True)):
        SymptomEntry.all_objects.all().delete()
        _many(patient, owner, count, readings=readings)
        owner_client.get(address)  # the session's "last diary" is written once, not counted
        # As first rendered (every cached fragment built again), not as served from the cache.
        with CaptureQueriesContext(connection) as captured, first_render():
            body = owner_client.get(address).content.decode()
        counts[count, readings] = len(captured)
        if readings:
            assert "now 1 mild at Mon 12:01 · worst 6" in text(body)
    assert len(set(counts.values())) == 1, counts
    assert counts[1, False] <= 12  # quality.md "Speed"


def test_the_lists_fill_the_latest_reading_from_their_own_rows(
    patient, owner, django_assert_num_queries
):
    entry = make_entry(patient, owner, severity=8)
    entries.add_reading(entry, 3, local(2026, 11, 23, 12), owner)
    make_entry(patient, owner, symptom="chills", severity=2)
    summary = queries.today_summary(patient, NOW, status=False)
    timeline = queries.timeline(patient, dt.date(2026, 11, 23), dt.date(2026, 11, 23))
    with django_assert_num_queries(0):
        for found in (summary.ongoing, [i for d in timeline.days for i in d.items]):
            by_symptom = {e.symptom: e for e in found}
            assert by_symptom["chills"].latest_reading is None
            reading = by_symptom["headache"].latest_reading
            assert (reading.severity, reading.at, reading.entry_id) == (
                3,
                local(2026, 11, 23, 12),
                entry.pk,
            )
            assert by_symptom["headache"].current_severity == 3
