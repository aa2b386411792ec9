"""Courses in the schedule, the plan in force on a date, plans that cannot overlap, several lots
per infusion with a suggested vial count, and the lot search limit."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from infusions.forms import vials_needed
from infusions.models import Course, Infusion, InfusionLot, Regimen
from infusions.schedule import DueCourse, schedule_for

from .factories import InfusionFactory, RegimenFactory, catalog_product
from .test_infusions import log_data, plan_data

# 12:00 in London on Mon 23 Nov 2026.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, patient, *args):
    return reverse(f"infusions:{name}", args=[patient.public_id, *args])


def today_page(client, patient) -> str:
    return client.get(reverse("today", args=[patient.public_id])).content.decode()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


# --- a course under way --------------------------------------------------------------------------


@pytest.fixture
def two_day_plan(patient):
    """1 g/kg over 2 days every 4 weeks."""
    return RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1), course_days=2)


def test_after_day_1_today_day_2_is_due_tomorrow(patient, two_day_plan, owner_client):
    InfusionFactory(patient=patient, date=TODAY)
    schedule = schedule_for(patient, TODAY)
    assert schedule.course_day_due.number == 2 and schedule.course_day_due.of == 2
    assert schedule.next_due == dt.date(2026, 11, 24)  # not the next course, 4 weeks on
    assert schedule.next_course_start == dt.date(2026, 12, 21)
    assert not schedule.is_overdue
    body = today_page(owner_client, patient)
    assert "Day 2 of 2: tomorrow" in body
    assert "next course Mon 21 Dec" in body
    assert "Log day 2" not in body  # not before the day
    assert "Day 2 of 2: tomorrow" in owner_client.get(url("plan", patient)).content.decode()


def test_on_the_day_after_day_1_day_2_is_due_today_with_a_link_to_log_it(
    patient, two_day_plan, owner_client
):
    InfusionFactory(patient=patient, date=days_ago(1))
    body = today_page(owner_client, patient)
    assert "Day 2 of 2: today" in body
    assert url("log", patient) + "?date=2026-11-23" in body
    assert "Log day 2" in body


def test_a_missed_course_day_is_overdue_by_n_days(patient, two_day_plan, owner_client):
    InfusionFactory(patient=patient, date=days_ago(3))
    schedule = schedule_for(patient, TODAY)
    assert schedule.is_overdue and schedule.days_overdue == 2
    body = today_page(owner_client, patient)
    assert "Day 2 of 2: overdue by 2 days" in body
    assert url("log", patient) + "?date=2026-11-21" in body
    assert "next course Fri 18 Dec" in body
    assert "If it was given, log it with its date." in body


def test_the_next_course_comes_once_the_course_is_complete(patient, two_day_plan, owner_client):
    InfusionFactory(patient=patient, date=days_ago(2))
    InfusionFactory(patient=patient, date=days_ago(1))
    schedule = schedule_for(patient, TODAY)
    assert schedule.course_day_due is None
    assert schedule.next_due == dt.date(2026, 12, 19)
    body = today_page(owner_client, patient)
    assert "Day 2 of 2" not in body
    assert "Sat 19 Dec" in body and "in 26 days" in body


def test_a_partial_course_is_dropped_when_the_next_course_is_due(patient, two_day_plan):
    InfusionFactory(patient=patient, date=dt.date(2026, 10, 26))  # + 4 weeks = today
    schedule = schedule_for(patient, TODAY)
    assert schedule.course_day_due is None
    assert schedule.next_due == TODAY
    assert schedule_for(patient, days_ago(1)).course_day_due is not None  # the day before


def test_a_course_given_under_an_earlier_plan_is_not_continued(patient):
    RegimenFactory(
        patient=patient, start_date=dt.date(2026, 1, 1), end_date=days_ago(2), course_days=1
    )
    InfusionFactory(patient=patient, date=days_ago(3))
    RegimenFactory(patient=patient, start_date=days_ago(1), course_days=2)
    assert schedule_for(patient, TODAY).course_day_due is None


def test_a_five_day_course_counts_its_days(patient):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1), course_days=5)
    for n in (2, 1, 0):
        InfusionFactory(patient=patient, date=days_ago(n))
    day = schedule_for(patient, TODAY).course_day_due
    assert (day.date, day.number, day.of) == (dt.date(2026, 11, 24), 4, 5)


def test_upcoming_starts_with_the_rest_of_the_course(patient, two_day_plan, owner_client):
    InfusionFactory(patient=patient, date=TODAY)
    upcoming = schedule_for(patient, TODAY).upcoming(3)
    assert upcoming == [
        DueCourse(start=dt.date(2026, 11, 24), days=1, first_day=2),
        DueCourse(start=dt.date(2026, 12, 21), days=2),
        DueCourse(start=dt.date(2027, 1, 18), days=2),
    ]
    assert upcoming[0].course_days == 2 and upcoming[0].is_rest_of_course
    page = owner_client.get(url("plan", patient)).content.decode()
    assert "day 2 of 2 of this course" in page


def test_the_calendar_feed_lists_the_rest_of_the_course(
    patient, two_day_plan, owner_client, client
):
    InfusionFactory(patient=patient, date=TODAY)
    feed_url = owner_client.post(url("calendar-create", patient)).context["feed_url"]
    events = Calendar.from_ical(client.get(feed_url).content).walk("VEVENT")
    by_start = {e.decoded("dtstart"): e for e in events}
    rest = by_start[dt.date(2026, 11, 24)]
    assert str(rest["summary"]) == "Infusion due, day 2 of 2"
    assert rest.decoded("dtend") == dt.date(2026, 11, 25)
    assert str(by_start[dt.date(2026, 12, 21)]["summary"]) == "Infusion planned"


# --- the plan in force on the infusion's date ----------------------------------------------------


@pytest.fixture
def old_and_new_plan(patient):
    old = RegimenFactory(
        patient=patient,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 10, 31),
        course_days=1,
        dose_g_per_kg="0.4",
        usual_premedication="Paracetamol 1 g",
    )
    new = RegimenFactory(
        patient=patient,
        start_date=dt.date(2026, 11, 1),
        product=catalog_product("Gamunex-C"),
        course_days=1,
        usual_premedication="",
    )
    return old, new


def test_a_back_dated_infusion_links_to_the_plan_of_its_date(
    patient, owner_client, old_and_new_plan
):
    old, new = old_and_new_plan
    owner_client.post(url("log", patient), log_data(date="2026-10-20"))
    owner_client.post(url("log", patient), log_data(date="2026-11-20"))
    assert Infusion.objects.get(date=dt.date(2026, 10, 20)).regimen == old
    assert Infusion.objects.get(date=dt.date(2026, 11, 20)).regimen == new


def test_moving_an_infusion_to_another_date_relinks_it(patient, owner_client, old_and_new_plan):
    old, new = old_and_new_plan
    owner_client.post(url("log", patient), log_data(date="2026-11-20"))
    infusion = Infusion.objects.get()
    data = log_data(date="2026-10-20") | {
        "lots-INITIAL_FORMS": "1",
        "lots-0-id": str(infusion.lots.get().pk),
    }
    assert owner_client.post(url("edit", patient, infusion.pk), data).status_code == 302
    infusion.refresh_from_db()
    assert infusion.regimen == old


def test_an_infusion_before_any_plan_links_to_none(patient, owner_client, old_and_new_plan):
    owner_client.post(url("log", patient), log_data(date="2025-12-20"))
    assert Infusion.objects.get().regimen is None


def test_the_log_form_for_a_past_date_is_filled_from_the_plan_of_that_date(
    patient, owner_client, old_and_new_plan
):
    response = owner_client.get(url("log", patient), {"date": "2026-10-20"})
    form = response.context["form"]
    assert form.initial["date"] == dt.date(2026, 10, 20)
    assert form.initial["product"] == catalog_product("Privigen").pk
    assert form.initial["dose_g"] == Decimal("27")  # 0.4 g/kg x 68 kg, to 0.5 g
    premeds = response.context["formsets"]["premeds"]
    assert premeds.forms[0].initial == {"name": "Paracetamol", "dose": "1 g"}
    # Without a date, today's plan.
    today = owner_client.get(url("log", patient)).context["form"]
    assert today.initial["product"] == catalog_product("Gamunex-C").pk
    # A date that is not a date is ignored.
    bad = owner_client.get(url("log", patient), {"date": "tuesday"}).context["form"]
    assert bad.initial["date"] == TODAY


def test_a_back_dated_new_plan_takes_over_the_infusions_of_its_days(patient, owner_client):
    old = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1), course_days=1)
    InfusionFactory(patient=patient, regimen=old, date=dt.date(2026, 11, 20))
    InfusionFactory(patient=patient, regimen=old, date=dt.date(2026, 11, 2))
    response = owner_client.post(url("plan-new", patient), plan_data(start_date="2026-11-15"))
    assert response.status_code == 302
    new = Regimen.objects.get(end_date__isnull=True)
    assert Infusion.objects.get(date=dt.date(2026, 11, 20)).regimen == new
    assert Infusion.objects.get(date=dt.date(2026, 11, 2)).regimen == old


# --- plans cannot overlap ------------------------------------------------------------------------


def test_a_new_plan_may_not_overlap_an_earlier_one(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30))
    response = owner_client.post(url("plan-new", patient), plan_data(start_date="2026-03-01"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "overlap another plan" in errors["start_date"][0]
    assert "1 Jan 2026 to 30 Jun 2026" in errors["start_date"][0]
    assert Regimen.objects.count() == 1
    # After it ended, fine.
    ok = owner_client.post(url("plan-new", patient), plan_data(start_date="2026-07-01"))
    assert ok.status_code == 302
    assert Regimen.objects.count() == 2


def test_an_ongoing_new_plan_may_not_start_before_a_later_one(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 6, 30))
    response = owner_client.post(url("plan-new", patient), plan_data(start_date="2026-01-01"))
    assert "overlap another plan" in response.context["form"].errors["start_date"][0]


def test_a_new_plan_while_one_is_active_still_ends_it(patient, owner_client):
    past = RegimenFactory(
        patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 5, 31)
    )
    active = RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    response = owner_client.post(url("plan-new", patient), plan_data(start_date="2026-11-23"))
    assert response.status_code == 302
    active.refresh_from_db()
    past.refresh_from_db()
    assert active.end_date == dt.date(2026, 11, 22)
    assert past.end_date == dt.date(2026, 5, 31)


def test_the_end_date_of_a_past_plan_can_be_corrected(patient, owner_client):
    past = RegimenFactory(
        patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 5, 31)
    )
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    page = owner_client.get(url("plan", patient)).content.decode()
    assert url("plan-edit", patient, past.pk) in page
    form_page = owner_client.get(url("plan-edit", patient, past.pk))
    assert "end_date" in form_page.context["form"].fields
    data = plan_data(start_date="2026-01-01", end_date="2026-05-15")
    assert owner_client.post(url("plan-edit", patient, past.pk), data).status_code == 302
    past.refresh_from_db()
    assert past.end_date == dt.date(2026, 5, 15)


def test_a_past_plan_may_not_be_stretched_over_the_next_one(patient, owner_client):
    past = RegimenFactory(
        patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 5, 31)
    )
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    data = plan_data(start_date="2026-01-01", end_date="2026-06-10")
    response = owner_client.post(url("plan-edit", patient, past.pk), data)
    assert response.status_code == 200
    message = response.context["form"].errors["end_date"][0]
    assert "overlap another plan" in message and "from 1 Jun 2026, still going" in message
    assert "overlap another plan" in response.content.decode()
    past.refresh_from_db()
    assert past.end_date == dt.date(2026, 5, 31)
    # An end before the start, or no end at all, is refused in plain words.
    backwards = owner_client.post(
        url("plan-edit", patient, past.pk),
        plan_data(start_date="2026-01-01", end_date="2025-12-01"),
    )
    assert backwards.context["form"].errors["end_date"] == [
        "The end date is before the start date."
    ]
    empty = owner_client.post(
        url("plan-edit", patient, past.pk), plan_data(start_date="2026-01-01", end_date="")
    )
    assert "end_date" in empty.context["form"].errors


def test_the_active_plan_may_not_start_inside_an_earlier_one(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 5, 31))
    active = RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    form_page = owner_client.get(url("plan-edit", patient, active.pk))
    assert "end_date" not in form_page.context["form"].fields  # ended by "Treatment stopped"
    response = owner_client.post(
        url("plan-edit", patient, active.pk), plan_data(start_date="2026-05-01")
    )
    assert "overlap another plan" in response.context["form"].errors["start_date"][0]
    active.refresh_from_db()
    assert active.start_date == dt.date(2026, 6, 1)


def test_correcting_plan_dates_relinks_the_infusions(patient, owner_client):
    past = RegimenFactory(
        patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 5, 31)
    )
    infusion = InfusionFactory(patient=patient, regimen=past, date=dt.date(2026, 5, 20))
    data = plan_data(start_date="2026-01-01", end_date="2026-05-15")
    owner_client.post(url("plan-edit", patient, past.pk), data)
    infusion.refresh_from_db()
    assert infusion.regimen is None


# --- several lots, and the suggested number of vials ---------------------------------------------


def test_vials_needed():
    assert vials_needed(Decimal("35"), Decimal("10")) == 4
    assert vials_needed(Decimal("30"), Decimal("10")) == 3
    assert vials_needed(Decimal("4.4"), Decimal("1.1")) == 4


def test_add_a_lot_keeps_what_was_typed_and_saves_nothing(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    data = log_data(nurse="Sam", **{"lots-0-vial_size_g": "10", "add_lot": "1"})
    response = owner_client.post(url("log", patient), data)
    assert response.status_code == 200
    assert not Infusion.objects.exists()
    body = response.content.decode()
    assert "<html" in body  # without JavaScript: the whole page
    lots = response.context["formsets"]["lots"]
    assert len(lots.forms) == 2
    assert lots.forms[0]["lot_number"].value() == "p123456"
    assert lots.forms[1]["vial_count"].value() == "1"  # a fresh row, as on a new form
    assert response.context["form"]["nurse"].value() == "Sam"
    assert 'name="lots-1-lot_number"' in body
    assert lots.forms[1].fields["lot_number"].widget.attrs.get("autofocus")  # focus the new row
    assert "Please check the fields" not in body  # not judged: nothing was saved yet
    assert "is-invalid" not in body
    # Then saving both lots.
    data = log_data(
        **{
            "lots-TOTAL_FORMS": "2",
            "lots-1-lot_number": "q777",
            "lots-1-vial_count": "1",
        }
    )
    assert owner_client.post(url("log", patient), data).status_code == 302
    assert sorted(InfusionLot.objects.values_list("lot_number", flat=True)) == ["P123456", "Q777"]


def test_add_a_lot_with_htmx_swaps_only_the_form(patient, owner_client):
    data = log_data(add_lot="1")
    response = owner_client.post(url("log", patient), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith("<form")
    assert 'name="lots-1-lot_number"' in body
    assert "HX-Request" in response["Vary"]
    assert not Infusion.objects.exists()


def test_history_restore_gets_the_whole_page(patient, owner_client):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    for name, params in [("log", {}), ("lot-search", {"q": "P1"})]:
        response = owner_client.get(url(name, patient), params, headers=headers)
        assert "<html" in response.content.decode(), name


def test_add_a_lot_stops_at_the_most_rows(patient, owner_client):
    data = log_data(**{"lots-TOTAL_FORMS": "20", "add_lot": "1"})
    response = owner_client.post(url("log", patient), data)
    assert response.status_code == 200 and not Infusion.objects.exists()
    assert len(response.context["formsets"]["lots"].forms) == 20
    assert 'name="add_lot"' not in response.content.decode()
    assert 'name="add_lot"' in owner_client.get(url("log", patient)).content.decode()


def test_the_vial_count_is_suggested_from_the_dose_and_vial_size(patient, owner_client):
    data = log_data(
        dose_g="35",
        **{
            "add_lot": "1",
            "lots-0-vial_size_g": "10",
            "lots-0-vial_count": "3",
        },
    )
    body = owner_client.post(url("log", patient), data).content.decode()
    assert "Suggested: 4, for 35 g in 10 g vials." in body
    assert 'value="3"' in body  # what was typed stays
    # A second lot of 5 g vials: 35 g less the 30 g of the first lot needs 1 vial.
    data |= {
        "lots-TOTAL_FORMS": "2",
        "lots-1-lot_number": "Q1",
        "lots-1-vial_size_g": "5",
        "lots-1-vial_count": "",
    }
    response = owner_client.post(url("log", patient), data)
    rows = response.context["formsets"]["lots"].forms
    assert "Suggested: 1, for 5 g in 5 g vials." in str(rows[1]["vial_count"].help_text)
    assert rows[1].fields["vial_count"].widget.attrs["placeholder"] == "1"
    assert rows[1]["vial_count"].value() == ""


def test_the_vial_hint_uses_g_per_kg_when_grams_are_empty(patient, owner_client):
    data = log_data(dose_g="", dose_g_per_kg="0.5", weight_kg="70", **{"lots-0-vial_size_g": "5"})
    response = owner_client.post(url("log", patient), data | {"add_lot": "1"})
    assert "Suggested: 7, for 35 g in 5 g vials." in response.content.decode()


# --- lot search ----------------------------------------------------------------------------------


def test_lot_search_has_a_visible_limit_and_a_search_button(patient, owner_client):
    body = owner_client.get(url("lot-search", patient)).content.decode()
    assert 'maxlength="40"' in body
    assert "Up to 40 characters." in body
    assert ">Search</button>" in body


def test_a_too_long_lot_search_is_not_cut_but_explained(patient, owner_client):
    infusion = InfusionFactory(patient=patient)
    InfusionLot.objects.create(infusion=infusion, lot_number="A" * 40)
    response = owner_client.get(url("lot-search", patient), {"q": "A" * 45})
    body = response.content.decode()
    assert "That search is 45 characters long, but lot numbers have at most 40." in body
    assert "Yes: lot" not in body
    assert response.context["query"] == "A" * 45
    found = owner_client.get(url("lot-search", patient), {"q": "A" * 40}).content.decode()
    assert "matches 1 record" in found


def test_a_day_given_late_still_completes_its_course(patient):
    plan = RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1), course_days=2)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 18), regimen=plan)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 21), regimen=plan)  # 3 days late
    course = Course.objects.get()
    assert (course.start_date, course.end_date, course.day_count) == (
        dt.date(2026, 11, 18),
        dt.date(2026, 11, 21),
        2,
    )
    schedule = schedule_for(patient, dt.date(2026, 11, 22))
    assert schedule.course_day_due is None
    assert schedule.next_due == dt.date(2026, 12, 16)


def test_a_junk_vial_size_on_add_a_lot_is_no_500(patient, owner_client):
    data = {
        "date": "2026-11-22",
        "product": catalog_product().pk,
        "dose_g": "9e999999",
        "add_lot": "1",
        "lots-TOTAL_FORMS": "1",
        "lots-INITIAL_FORMS": "0",
        "lots-0-vial_size_g": "1e-999999999",
        "lots-0-vial_count": "9e999999",
    }
    for prefix in ["rates", "premeds", "reactions"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    response = owner_client.post(reverse("infusions:log", args=[patient.public_id]), data)
    assert response.status_code == 200


# --- a change of plan regroups the courses ---------------------------------------------------


@pytest.fixture
def late_day_two(patient, owner):
    """Day 1 on the 2nd, day 2 given late on the 5th: one course only while a 2-day plan says so."""
    from diary import entries
    from diary.models import SymptomEntry

    plan = RegimenFactory(patient=patient, course_days=2, start_date=dt.date(2026, 10, 1))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 2), regimen=plan)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 5), regimen=plan)
    entry = SymptomEntry(
        patient=patient,
        symptom="headache",
        severity=4,
        onset=dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.UTC),
    )
    entries.save(entry, owner)
    return plan, entry


def _courses(patient) -> list[tuple[dt.date, dt.date]]:
    return list(
        Course.objects.filter(patient=patient)
        .order_by("start_date")
        .values_list("start_date", "end_date")
    )


ONE_COURSE = [(dt.date(2026, 11, 2), dt.date(2026, 11, 5))]
TWO_COURSES = [(dt.date(2026, 11, 2),) * 2, (dt.date(2026, 11, 5),) * 2]


def test_deleting_and_restoring_a_plan_regroups_courses_and_entries(
    patient, owner_client, late_day_two
):
    plan, entry = late_day_two
    assert _courses(patient) == ONE_COURSE
    entry.refresh_from_db()
    assert entry.day_of_cycle == 4  # the 6th, in the course that began on the 2nd (day 0)

    assert owner_client.post(url("plan-delete", patient, plan.pk)).status_code == 302
    assert _courses(patient) == TWO_COURSES  # no plan: the 5th is a course of its own
    entry.refresh_from_db()
    assert entry.day_of_cycle == 1

    assert owner_client.post(url("plan-restore", patient, plan.pk)).status_code == 302
    assert _courses(patient) == ONE_COURSE
    entry.refresh_from_db()
    assert entry.day_of_cycle == 4


def test_editing_a_plans_course_length_regroups_courses(patient, owner_client, late_day_two):
    plan, _entry = late_day_two
    data = plan_data(
        product=plan.product_id, course_days="1", interval_value="4", start_date="2026-10-01"
    )
    response = owner_client.post(url("plan-edit", patient, plan.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _courses(patient) == TWO_COURSES


def test_add_a_reaction_keeps_the_first_and_both_save_and_warn(patient, owner_client):
    """Browser pass: one reaction row and no way to add another, so hives and then feeling
    faint (together, the anaphylaxis warning) could not be logged at once."""
    from diary.models import RedFlagEvent
    from infusions.models import InfusionReaction

    first = {
        "reactions-TOTAL_FORMS": "1",
        "reactions-0-symptom": "hives",
        "reactions-0-severity": "5",
        "reactions-0-action": "none",
        "reactions-0-minutes_from_start": "60",
    }
    response = owner_client.post(url("log", patient), log_data(**first, add_row="reactions"))
    assert response.status_code == 200 and not Infusion.objects.exists()
    reactions = response.context["formsets"]["reactions"]
    assert len(reactions.forms) == 2
    assert reactions.forms[0]["symptom"].value() == "hives"
    assert reactions.forms[1].fields["symptom"].widget.attrs.get("autofocus")
    body = response.content.decode()
    assert "Please check the fields" not in body
    # The reactions section stays open on the rows just typed.
    start = body.index('<details class="card mb-3"', body.index('name="add_row" value="premeds"'))
    assert body[start : body.index(">", start)].endswith(" open")
    both = first | {
        "reactions-TOTAL_FORMS": "2",
        "reactions-1-symptom": "faintness",
        "reactions-1-severity": "6",
        "reactions-1-action": "none",
        "reactions-1-minutes_from_start": "65",
    }
    assert owner_client.post(url("log", patient), log_data(**both)).status_code == 302
    assert sorted(InfusionReaction.objects.values_list("symptom", flat=True)) == [
        "faintness",
        "hives",
    ]
    assert RedFlagEvent.objects.filter(rule="trali_anaphylaxis").exists()


@pytest.mark.parametrize("prefix", ["rates", "premeds", "reactions"])
def test_every_list_of_rows_can_grow_and_a_made_up_one_cannot(patient, owner_client, prefix):
    body = owner_client.get(url("log", patient)).content.decode()
    assert f'name="add_row" value="{prefix}"' in body
    response = owner_client.post(url("log", patient), log_data(add_row=prefix))
    assert len(response.context["formsets"][prefix].forms) == 1
    assert not Infusion.objects.exists()
    # Not a list of the form: judged and saved as a plain save would be.
    response = owner_client.post(url("log", patient), log_data(add_row="patients"))
    assert response.status_code == 302 and Infusion.objects.count() == 1
