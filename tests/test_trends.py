"""The trends page (reports.views.trends_page) and the data it is built from (reports.trends).

Crafted diary, in London, with today Monday 23 Nov 2026: one-day courses every 28 days from
6 Jul (6 Jul, 3 Aug, 31 Aug, 28 Sep, 26 Oct), so four finished cycles and a current one (day
28 today). MG-ADL on days 7 (5), 14 (4, the best), 21 (7) and 27 (8) of every cycle: 3 points
above the best from day 21 to the next course, so each finished cycle wears off on day 21 and
the typical wear-off day is 21, resting on 4 cycles.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries
from diary.models import Measure, SymptomEntry
from infusions.models import Infusion, InfusionLot, InfusionReaction, Premedication, RateStep
from patients.models import Membership
from reports import bench_data, cycles, trends

from .factories import InfusionFactory, MembershipFactory, PatientFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)
FIRST_DAYS = [dt.date(2026, 7, 6) + dt.timedelta(days=28 * n) for n in range(5)]
MGADL_BY_DAY = {7: 5, 14: 4, 21: 7, 27: 8}
PERIODS = ["1", "3", "6", "12", "all"]


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def side_effect(patient, user, onset, symptom="headache", severity=5, **fields):
    entry = SymptomEntry(patient=patient, symptom=symptom, severity=severity, onset=onset, **fields)
    entries.save(entry, user)
    return entry


def measure(patient, user, at, value, kind="mgadl", **fields):
    item = Measure(patient=patient, kind=kind, value=value, measured_at=at, **fields)
    entries.save(item, user)
    return item


def url(patient, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("reports:trends", args=[patient.public_id]) + (f"?{query}" if query else "")


@pytest.fixture
def diary(patient, owner):
    """Five courses with MG-ADL, grip, side effects, lots, rate steps and premedication."""
    for number, first in enumerate(FIRST_DAYS, 1):
        infusion = InfusionFactory(
            patient=patient, date=first, start_time=dt.time(9), end_time=dt.time(13)
        )
        InfusionLot.objects.create(infusion=infusion, lot_number=f"LOT-{number}")
        RateStep.objects.create(infusion=infusion, minutes_from_start=0, rate="1", unit="mL/kg/h")
        RateStep.objects.create(infusion=infusion, minutes_from_start=30, rate="5", unit="mL/kg/h")
        Premedication.objects.create(infusion=infusion, name="Paracetamol", dose="1 g")
    for first in FIRST_DAYS:
        for day, value in MGADL_BY_DAY.items():
            if first + dt.timedelta(days=day) <= TODAY:
                measure(patient, owner, local(first + dt.timedelta(days=day), 10), value)
        measure(
            patient,
            owner,
            local(first + dt.timedelta(days=10), 18),
            60,
            kind="grip",
            value_right=66,
            unit="kPa",
        )
    # Cycle of 28 Sep: a headache from 20:00 on day 1 to 08:00 on day 3 (36 h).
    side_effect(
        patient,
        owner,
        local(dt.date(2026, 9, 29), 20),
        severity=7,
        ended_at=local(dt.date(2026, 10, 1), 8),
    )
    # Current cycle: tiredness never closed, a later reading 20 h on: at least 20 h.
    tired = side_effect(
        patient, owner, local(dt.date(2026, 10, 27), 9), symptom="fatigue", severity=4
    )
    entries.add_reading(tired, 3, local(dt.date(2026, 10, 28), 5), owner)
    return patient


@pytest.fixture
def other_diary(db, diary):
    """Another diary with rows on the very same days: nothing of it may show."""
    other = PatientFactory(name="Other")
    user = MembershipFactory(patient=other).user
    infusion = InfusionFactory(
        patient=other, date=FIRST_DAYS[3], start_time=dt.time(9), end_time=dt.time(13)
    )
    InfusionLot.objects.create(infusion=infusion, lot_number="NOT-YOURS")
    side_effect(other, user, local(FIRST_DAYS[3] + dt.timedelta(days=1), 10), symptom="nausea")
    measure(other, user, local(FIRST_DAYS[3] + dt.timedelta(days=3), 10), 23)
    return other


def html_text(response) -> str:
    """The page's text with tags and repeated spaces taken out, to search for sentences."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", text)


# --- access ---------------------------------------------------------------------------------------


def test_it_is_in_the_main_menu(owner_client, patient):
    response = owner_client.get(reverse("today", args=[patient.public_id]))
    assert f'href="{url(patient)}"' in response.content.decode()


def test_a_viewer_caregiver_can_read_it(viewer_client, diary):
    response = viewer_client.get(url(diary, period="6"))
    assert response.status_code == 200
    assert "Typical wear-off: day 21 of the cycle." in html_text(response)


def test_a_stranger_gets_404(stranger_client, diary):
    assert stranger_client.get(url(diary)).status_code == 404


def test_it_is_read_only(caregiver_client, diary):
    assert caregiver_client.post(url(diary)).status_code == 405


# --- choices and bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("period", PERIODS)
def test_every_period_works(owner_client, diary, period):
    response = owner_client.get(url(diary, period=period))
    assert response.status_code == 200
    page = response.content.decode()
    link = url(diary, period=period, show="mgadl").replace("&", "&amp;")
    assert f'id="period-{period}" href="{link}"' in page
    assert re.search(rf'id="period-{period}"[^>]*aria-current="page"', page)


@pytest.mark.parametrize("period", PERIODS)
def test_every_period_works_on_an_empty_diary(owner_client, patient, period):
    response = owner_client.get(url(patient, period=period))
    assert response.status_code == 200
    assert "Trends start with the first infusion" in html_text(response)


@pytest.mark.parametrize(
    "params",
    [
        {"period": "24"},
        {"period": "-1"},
        {"period": "%00"},
        {"show": "nonsense"},
        {"show": "custom:%3Cscript%3E"},
        {"show": "effect:nausea"},  # a side effect this diary never had
        {"show": "x" * 5000},
        {"show": "effect:headache", "by": "weeks"},
        {"period": "all", "show": "", "by": ""},
    ],
)
def test_bad_choices_fall_back_to_the_defaults(owner_client, diary, params):
    response = owner_client.get(url(diary, **params))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page.split("<body", 1)[1].replace('<script src="', "")
    if params.get("show") != "effect:headache":
        assert '<option value="mgadl" selected>' in page  # the main measure for myasthenia


def test_another_measure_and_a_side_effect_can_be_shown(owner_client, diary):
    grip = html_text(owner_client.get(url(diary, period="6", show="grip-right")))
    assert "Grip strength, right hand by day of the cycle" in grip
    assert "Grip strength, right hand before the course" in grip
    by_severity = html_text(owner_client.get(url(diary, period="6", show="effect:headache")))
    assert "Headache: how bad, by day of the cycle" in by_severity
    # One course with it: "until day 3", never "typically".
    assert "Headache after 1 of 5 courses, until day 3; worst 7 of 10." in by_severity
    by_cycles = html_text(
        owner_client.get(url(diary, period="6", show="effect:headache", by="cycles"))
    )
    assert "Headache: cycles with it, by day of the cycle" in by_cycles


def test_the_cycle_view_s_sentence_counts_the_cycles_it_shows(owner_client, diary):
    """One month (24 Oct - 23 Nov) shows the cycle of 28 Sep, which reaches in, beside that of
    26 Oct: the sentence counted only courses given in the period ("1 of 1") over a table of
    "cycles with it (of 2)"."""
    shown = html_text(owner_client.get(url(diary, period="1", show="effect:headache", by="cycles")))
    assert "Headache after 1 of 2 courses, until day 3; worst 7 of 10." in shown
    assert "Headache in 1 of 2 cycles shown." not in shown


def test_htmx_gets_the_content_and_history_restore_the_page(owner_client, diary):
    fragment = owner_client.get(url(diary, period="1"), headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="trends-content">')
    assert "HX-Request" in fragment["Vary"]
    restore = owner_client.get(
        url(diary, period="1"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<header" in restore.content.decode()


# --- what it shows --------------------------------------------------------------------------------


def test_it_shows_the_wear_off_estimate_and_how(owner_client, diary):
    text = html_text(owner_client.get(url(diary, period="6")))
    assert (
        "Typical wear-off: day 21 of the cycle. In 4 of 4 finished cycles the MG-ADL score got "
        "meaningfully worse and stayed worse until the next course."
    ) in text
    assert "How this was worked out: From 4 finished cycles" in text
    assert "so the day is accurate to about a week" in text
    assert "Typical wear-off: day 21" in text  # the chart's marker, in its legend


def test_it_says_plainly_when_there_is_not_enough_data(owner_client, diary):
    # One month: the cycle of 26 Oct (current) and the one before it reach in; one finished.
    text = html_text(owner_client.get(url(diary, period="1")))
    assert "Not enough data to estimate when the benefit wears off" in text
    assert "Typical wear-off" not in text


def test_it_shows_each_course(owner_client, diary):
    response = owner_client.get(url(diary, period="6"))
    page = response.content.decode()
    text = html_text(response)
    courses = re.findall(r'class="card trends-course" aria-labelledby="(course-\d+)"', page)
    assert len(courses) == 5
    # Newest first: the current cycle, its tiredness never closed.
    headings = re.findall(r'<h3 class="h5 mb-1" id="course-\d+">([^<]+)</h3>', page)
    assert headings == [f"{d.day} {d:%b %Y}" for d in reversed(FIRST_DAYS)]
    assert "current cycle, day 28" in text
    assert "cycle of 28 days, to 25 Oct 2026" in text
    assert "Tiredness (fatigue): worst 4 moderate (at least 20 h)" in text
    assert "Headache: worst 7 severe (36 h)" in text
    for number in range(1, 6):
        assert f"LOT-{number}" in text
    assert "35 g · 0.51 g/kg over 1 day" in text
    assert "5 mL/kg/h" in text
    assert "Paracetamol" in text
    # MG-ADL before the course (the day-27 score of the cycle before), at its best, wear-off.
    assert "MG-ADL score before the course 8" in text
    assert "At its best 4 on day 14" in text
    assert "Wear-off day 21" in text


def test_each_course_card_shows_what_was_felt_during_its_infusions(owner_client, diary):
    """A reaction during the infusion is on the card of its course, worst first, and on no
    other course's card; a course without one has no such line."""
    second = Infusion.objects.get(patient=diary, date=FIRST_DAYS[1])
    InfusionReaction.objects.create(
        infusion=second, symptom="chills", severity=3, action="slowed", minutes_from_start=100
    )
    InfusionReaction.objects.create(infusion=second, symptom="headache", severity=6)
    page = owner_client.get(url(diary, period="6")).content.decode()
    cards = dict(
        re.findall(r'aria-labelledby="(course-\d+)">(.*?)</section>', page, flags=re.DOTALL)
    )
    card = cards[f"course-{second.course_id}"]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    headache = (
        "During the infusion Headache 6 (moderate) during the infusion of 3 Aug, nothing needed"
    )
    assert headache in text, text
    chills = "Chills 3 (mild) during the infusion of 3 Aug, 100 min in, infusion slowed"
    assert chills in text
    assert text.index("Headache 6") < text.index("Chills 3")
    others = [c for key, c in cards.items() if key != f"course-{second.course_id}"]
    assert others and not any("During the infusion" in c for c in others)
    # And in the comparison by product, rate and premedication (the same five courses).
    words = html_text(owner_client.get(url(diary, period="6")))
    assert words.count("Headache during the infusions of 1 of 5 courses; worst 6 of 10") == 3


def test_over_years_the_timeline_draws_each_months_median_of_the_measure(
    owner_client, patient, owner
):
    """Past about a year, the timeline's line joins one point per month, the median of its
    readings (the summary says so); the summary's first and last readings and the table are the
    readings themselves."""
    first = dt.date(2024, 11, 4)
    for n in range(26):
        InfusionFactory(patient=patient, date=first + dt.timedelta(days=28 * n))
    for day, value in ((5, 4), (12, 6), (20, 11)):
        measure(patient, owner, local(dt.date(2025, 1, day), 10), value)
    measure(patient, owner, local(dt.date(2026, 11, 20), 10), 9)
    response = owner_client.get(url(patient, period="all"))
    text = html_text(response)
    assert "MG-ADL (0-24) 4 on 5 Jan 2025, 9 on 20 Nov 2026 (the line joins the median" in text
    assert "of each month)" in text
    page = response.content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    # Three readings in January, one point drawn for them, and one for November 2026.
    line = re.search(r'<g class="chart-series chart-measure"[^>]*>(.*?)</g>', svg, re.DOTALL)
    assert line and len(re.findall(r"<circle ", line.group(1))) == 2
    rows = dict(re.findall(r"<tr><th[^>]*>([^<]+)</th>(.*?)</tr>", page))
    for day, value in (("5 Jan 2025", 4), ("12 Jan 2025", 6), ("20 Jan 2025", 11)):
        assert f"<td>{value}</td>" in rows[day], rows.get(day)
    assert "1 Jan 2025" not in rows or "<td>6</td>" not in rows["1 Jan 2025"]


def test_a_card_says_when_a_side_effect_was_several_entries(owner_client, owner, diary):
    """A 36 h headache and, days later, a 2-minute one of 9 are two episodes: the card says so
    instead of reading as one 36 h headache of 9."""
    side_effect(
        diary,
        owner,
        local(dt.date(2026, 10, 3), 10),
        severity=9,
        ended_at=local(dt.date(2026, 10, 3), 10, 2),
    )
    text = html_text(owner_client.get(url(diary, period="6")))
    assert "Headache: worst 9 severe (2 entries, the longest 36 h)" in text


def test_the_timeline_draws_a_rare_warning_sign_and_says_what_it_leaves_out(
    owner_client, owner, diary
):
    """Five frequent side effects and, once, a stiff neck of 8 and a fever of 7: the four most
    frequent are drawn, and the warning signs, however rare; the fifth is counted as left out."""
    day = dt.date(2026, 11, 3)
    # Five side effects no warning rule uses, on four days each (the fixture's tiredness of 4
    # is one a rule counts, so it is drawn too).
    for n, symptom in enumerate(["nausea", "chills", "muscle_aches", "back_pain", "flushing"]):
        for k in range(4):
            side_effect(diary, owner, local(day + dt.timedelta(days=k), 9 + n), symptom, 2)
    side_effect(diary, owner, local(dt.date(2026, 11, 20), 18), "stiff_neck", 8)
    side_effect(diary, owner, local(dt.date(2026, 11, 20), 19), "fever", 7)
    response = owner_client.get(url(diary, period="1"))
    page = response.content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "Stiff neck" in svg and "Fever" in svg
    assert (
        sum(name in svg for name in ("(nausea)", "Chills", "Muscle aches", "Back pain", "Flushing"))
        == 4
    )
    text = html_text(response)
    assert (
        "1 more side effect not drawn: the table of numbers and each course below list it" in text
    )


def test_it_compares_courses_as_observations(owner_client, diary):
    text = html_text(owner_client.get(url(diary, period="6")))
    assert "It shows what followed each kind of course, not what caused it." in text
    assert "Highest rate 4 to under 6 mL/kg/h · 5 courses" in text
    assert "Paracetamol · 5 courses" in text


def test_it_shows_only_this_patients_diary(owner_client, diary, other_diary):
    text = html_text(owner_client.get(url(diary, period="all")))
    assert "NOT-YOURS" not in text
    assert "Nausea" not in text
    # The other diary's MG-ADL of 23 would be the worst median of its cycle.
    assert "worst on day 27 (8)" in text and "(23)" not in text


def test_a_measure_without_a_published_threshold_gets_numbers_and_no_judgement(
    owner_client, owner, diary
):
    for first in FIRST_DAYS[1:]:
        measure(
            diary,
            owner,
            local(first + dt.timedelta(days=2), 8),
            410,
            kind="custom",
            name="Peak flow",
        )
        measure(diary, owner, local(first + dt.timedelta(days=1), 8), 68, kind="weight", unit="kg")
    text = html_text(owner_client.get(url(diary, period="6", show="custom:peak flow")))
    assert "Peak flow by day of the cycle" in text
    assert "no wear-off is judged" in text
    assert "Wear-off not judged (no published meaningful change)" in text
    # Weight in the diary's unit: 68 kg is 149.9 lb.
    diary.weight_unit = "lb"
    diary.save()
    text = html_text(owner_client.get(url(diary, period="6", show="weight")))
    assert "Weight before the course 149.9 lb" in text


def test_a_change_to_the_diary_shows_at_once(owner_client, owner, diary):
    assert "Feeling sick" not in html_text(owner_client.get(url(diary, period="1")))
    side_effect(
        diary, owner, local(TODAY, 9), symptom="nausea", severity=4, ended_at=local(TODAY, 11)
    )
    text = html_text(owner_client.get(url(diary, period="1")))
    assert "Feeling sick (nausea): worst 4 moderate (2 h)" in text


# --- the data, the same as reports.cycles gives --------------------------------------------------


@pytest.mark.parametrize("since", [dt.date(2026, 1, 1), dt.date(2026, 9, 10), TODAY])
def test_series_match_reports_cycles(patient, diary, other_diary, since):
    data = trends.load(patient, since, TODAY)
    for kind, side in (("mgadl", None), ("grip", "left"), ("grip", "right")):
        assert trends.measure_series(data, kind, side) == cycles.cycle_series(
            patient, since, TODAY, kind, side
        )
    for symptom in ("headache", "fatigue", "nausea"):
        assert trends.symptom_series(data, symptom) == cycles.symptom_series(
            patient, since, TODAY, symptom
        )
    assert [c.course_id for c in data.cycles] == [
        c.course_id for c in cycles.cycles_for(patient, since, TODAY)
    ]


def test_choices_list_what_has_data(patient, diary):
    data = trends.load(patient, trends.EARLIEST, TODAY)
    keys = [choice.key for choice in trends.choices(data)]
    # Side effects by how many cycles had them, then by name: "Headache", "Tiredness (fatigue)".
    assert keys == ["mgadl", "grip-left", "grip-right", "effect:headache", "effect:fatigue"]
    assert trends.main_measure(patient, trends.choices(data)).key == "mgadl"


def test_the_main_measure_for_cidp_is_incat_then_grip(patient, diary):
    patient.conditions = ["cidp"]
    data = trends.load(patient, trends.EARLIEST, TODAY)
    assert trends.main_measure(patient, trends.choices(data)).key == "grip-left"


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert trends.months_before(dt.date(2026, 11, 23), 3) == dt.date(2026, 8, 23)
    assert trends.months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert trends.months_before(dt.date(2026, 1, 15), 12) == dt.date(2025, 1, 15)
    assert trends.period_start(TODAY, "3") == dt.date(2026, 8, 24)


# --- speed ----------------------------------------------------------------------------------------


def _first_render_queries(client, address: str) -> int:
    client.get(address)  # the session learns the last diary seen: one write, once
    cache.clear()  # the page as first rendered after a change
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_queries_are_bounded_and_do_not_grow_with_the_diary(client, owner):
    one_year = bench_data.create_diary(owner, "One year", years=1)
    five_years = bench_data.create_diary(owner, "Five years", years=5)
    client.force_login(owner)
    for params in (
        {},
        {"period": "all"},
        {"period": "12", "show": "grip-left"},
        {"period": "all", "show": "effect:headache"},
        {"period": "all", "show": "effect:headache", "by": "cycles"},
    ):
        counts = [
            _first_render_queries(client, url(diary, **params)) for diary in (one_year, five_years)
        ]
        # Session, user, membership; then the infusions with their courses, what each day
        # recorded (lots, rate steps, premedications, reactions), side effects with their
        # readings, and the measures (reports.cycles.load).
        assert counts == [7, 7], params
    # Five years on one chart: each side effect's worst of every month.
    text = html_text(client.get(url(five_years, period="all")))
    assert "(each mark is the worst of its month)" in text
    assert "65 courses given in this period" in text
    # Served again: only the session, the user and the membership.
    client.get(url(five_years))
    with CaptureQueriesContext(connection) as captured:
        client.get(url(five_years))
    assert len(captured.captured_queries) == 3
    assert Membership.objects.filter(user=owner).count() >= 2


@pytest.mark.parametrize("period", PERIODS)
def test_a_diary_with_only_its_first_infusion_has_trends_and_a_report(
    owner_client, patient, period
):
    """Nothing logged after the first course yet: every period draws the timeline (it was a
    500: pygal lays out nothing without a series), and the report answers too."""
    InfusionFactory(patient=patient, date=TODAY - dt.timedelta(days=3))
    response = owner_client.get(url(patient, period=period))
    assert response.status_code == 200
    assert "Infusion" in html_text(response)
    report = owner_client.get(reverse("reports:report", args=[patient.public_id]))
    assert report.status_code == 200
