"""Infusions: catalog, plan, infusion log with validation, courses, schedule, lots, calendar."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from icalendar import Calendar

from infusions import courses
from infusions.models import (
    CalendarFeed,
    Course,
    Infusion,
    InfusionLot,
    Product,
    RateStep,
    Regimen,
)
from infusions.schedule import schedule_for
from infusions.units import MissingWeight, RateUnit, convert_rate, highest_rate

from .factories import InfusionFactory, PatientFactory, RegimenFactory, catalog_product

# 12:00 in London on Mon 23 Nov 2026.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, patient, *args):
    return reverse(f"infusions:{name}", args=[patient.public_id, *args])


def log_data(**overrides):
    data = {
        "date": "2026-11-22",
        "start_time": "09:30",
        "end_time": "13:00",
        "product": catalog_product().pk,
        "dose_g": "35",
        "weight_kg": "68",
        "volume_ml": "350",
        "site": "home",
        "nurse": "Jo",
        "hydration": "1 L water",
        "notes": "",
    }
    for prefix in ["lots", "rates", "premeds", "reactions"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {"lots-TOTAL_FORMS": "1", "lots-0-lot_number": "p123456", "lots-0-vial_count": "3"}
    return data | overrides


# --- catalog and units ---------------------------------------------------------------------------


def test_the_catalog_is_loaded_by_migration(db):
    names = set(Product.objects.filter(patient=None).values_list("name", flat=True))
    assert {"Privigen", "Gamunex-C", "Hizentra", "HyQvia", "Octagam", "Cutaquig"} <= names
    assert Product.objects.get(name="Hizentra").route == "SC"
    octagam = Product.objects.filter(name="Octagam").values_list("concentration_percent", flat=True)
    assert sorted(octagam) == [Decimal("5"), Decimal("10")]


def test_rates_convert_through_concentration_and_weight():
    ten = Decimal("10")
    # 1 mL/kg/h of 100 mg/mL = 100 mg/kg/h = 1.67 mg/kg/min
    assert convert_rate(
        Decimal("1"),
        RateUnit.ML_PER_KG_H,
        RateUnit.MG_PER_KG_MIN,
        concentration_percent=ten,
        weight_kg=None,
    ) == Decimal("1.67")
    assert convert_rate(
        Decimal("8"),
        RateUnit.MG_PER_KG_MIN,
        RateUnit.ML_PER_KG_H,
        concentration_percent=ten,
        weight_kg=None,
    ) == Decimal("4.80")
    assert convert_rate(
        Decimal("272"),
        RateUnit.ML_PER_H,
        RateUnit.ML_PER_KG_H,
        concentration_percent=ten,
        weight_kg=Decimal("68"),
    ) == Decimal("4.00")
    assert convert_rate(
        Decimal("4"),
        RateUnit.ML_PER_KG_H,
        RateUnit.ML_PER_H,
        concentration_percent=Decimal("5"),
        weight_kg=Decimal("68"),
    ) == Decimal("272.00")
    with pytest.raises(MissingWeight):
        convert_rate(
            Decimal("100"),
            RateUnit.ML_PER_H,
            RateUnit.ML_PER_KG_H,
            concentration_percent=ten,
            weight_kg=None,
        )


def test_the_highest_rate_compares_steps_logged_in_different_units():
    ten = Decimal("10")
    steps = [
        (Decimal("0.5"), RateUnit.ML_PER_KG_H),
        (Decimal("8"), RateUnit.MG_PER_KG_MIN),  # 4.8 mL/kg/h: the fastest
        (Decimal("272"), RateUnit.ML_PER_H),  # 4 mL/kg/h at 68 kg
    ]
    assert highest_rate(steps, concentration_percent=ten, weight_kg=Decimal("68")) == Decimal(
        "4.80"
    )
    # In the label's unit, for comparing with the label's maximum.
    assert highest_rate(
        steps, RateUnit.MG_PER_KG_MIN, concentration_percent=ten, weight_kg=Decimal("68")
    ) == Decimal("8.00")
    # Without a weight, mL/h cannot be compared: it is left out, not guessed.
    assert highest_rate(
        [(Decimal("500"), RateUnit.ML_PER_H), (Decimal("1"), RateUnit.ML_PER_KG_H)],
        concentration_percent=ten,
        weight_kg=None,
    ) == Decimal("1.00")
    assert highest_rate([], concentration_percent=ten, weight_kg=None) is None


# --- courses -------------------------------------------------------------------------------------


def test_consecutive_days_group_into_one_course(patient):
    a = InfusionFactory(patient=patient, date=dt.date(2026, 10, 5))
    b = InfusionFactory(patient=patient, date=dt.date(2026, 10, 6))
    c = InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    a.refresh_from_db()
    assert a.course_id == b.course_id != c.course_id
    course = a.course
    assert (course.start_date, course.end_date, course.day_count) == (
        dt.date(2026, 10, 5),
        dt.date(2026, 10, 6),
        2,
    )
    assert Course.objects.filter(patient=patient).count() == 2


def test_regroup_keeps_course_ids_and_splits_when_a_middle_day_goes(patient):
    days = [InfusionFactory(patient=patient, date=dt.date(2026, 10, d)) for d in (5, 6, 7)]
    course_id = Infusion.objects.get(pk=days[0].pk).course_id
    assert Course.objects.count() == 1
    days[1].delete()
    courses.regroup(patient)
    first, last = (Infusion.objects.get(pk=i.pk) for i in (days[0], days[2]))
    assert first.course_id == course_id
    assert last.course_id != course_id
    assert Course.objects.count() == 2


# --- schedule ------------------------------------------------------------------------------------


def test_next_course_is_due_one_interval_after_the_last(patient):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 3))
    schedule = schedule_for(patient, dt.date(2026, 11, 23))
    assert schedule.next_due == dt.date(2026, 11, 30)
    assert schedule.days_until_due == 7
    assert [d.start for d in schedule.upcoming(3)] == [
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 25),
    ]
    assert schedule.upcoming(1)[0].end == dt.date(2026, 12, 1)


def test_without_any_course_the_plan_start_is_due(patient):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 11, 20))
    schedule = schedule_for(patient, dt.date(2026, 11, 23))
    assert schedule.next_due == dt.date(2026, 11, 20)
    assert schedule.is_overdue and schedule.days_overdue == 3


def test_no_plan_no_schedule(patient):
    assert schedule_for(patient, dt.date(2026, 11, 23)).next_due is None


# --- today page ----------------------------------------------------------------------------------


def test_today_shows_days_since_the_last_infusion_and_the_next_due(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1), course_days=1)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 20))
    body = owner_client.get(reverse("today", args=[patient.public_id])).content.decode()
    assert "Day 3 after the infusion" in body
    assert "Fri 20 Nov 2026" in body
    assert "Fri 18 Dec" in body and "in 25 days" in body


def test_today_says_gently_when_a_course_is_overdue(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    InfusionFactory(patient=patient, date=dt.date(2026, 10, 20))
    body = owner_client.get(reverse("today", args=[patient.public_id])).content.decode()
    assert "Was due Tue 17 Nov" in body
    assert "6 days ago, by the plan" in body


def test_today_before_anything_is_logged(patient, owner_client):
    body = owner_client.get(reverse("today", args=[patient.public_id])).content.decode()
    assert "No infusion logged yet." in body
    assert "No treatment plan." in body


def test_today_query_count_is_bounded(patient, owner_client, django_assert_max_num_queries):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 20))
    owner_client.get(reverse("today", args=[patient.public_id]))  # warm the session
    cache.clear()
    with django_assert_max_num_queries(12):
        owner_client.get(reverse("today", args=[patient.public_id]))


# --- logging an infusion -------------------------------------------------------------------------


def test_the_log_form_is_prefilled_from_the_plan(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1), dosing_weight_kg="70")
    form = owner_client.get(url("log", patient)).context["form"]
    formsets = owner_client.get(url("log", patient)).context["formsets"]
    assert form.initial["product"] == catalog_product().pk
    assert form.initial["dose_g"] == Decimal("35")  # 1 g/kg x 70 kg over 2 days
    assert form.initial["volume_ml"] == Decimal("350")
    assert form.initial["date"] == dt.date(2026, 11, 23)
    assert [row.initial for row in formsets["premeds"].forms[:2]] == [
        {"name": "Paracetamol", "dose": "1 g"},
        {"name": "Cetirizine", "dose": "10 mg"},
    ]


def test_a_routine_infusion_after_the_first_copies_what_was_given(patient, owner_client):
    regimen = RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    last = InfusionFactory(patient=patient, regimen=regimen, dose_g="36", volume_ml="360")
    RateStep.objects.create(infusion=last, minutes_from_start=0, rate="0.5", unit="mL/kg/h")
    response = owner_client.get(url("log", patient))
    assert response.context["form"].initial["dose_g"] == Decimal("36")
    assert response.context["formsets"]["rates"].forms[0].initial["rate"] == Decimal("0.5")


def test_it_logs_an_infusion_with_lots_rates_premeds_and_reactions(patient, owner, owner_client):
    regimen = RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    data = log_data(
        **{
            "rates-TOTAL_FORMS": "2",
            "rates-0-minutes_from_start": "0",
            "rates-0-rate": "0.5",
            "rates-0-unit": "mL/kg/h",
            "rates-1-minutes_from_start": "30",
            "rates-1-rate": "1.67",
            "rates-1-unit": "mg/kg/min",
            "premeds-TOTAL_FORMS": "1",
            "premeds-0-name": "Paracetamol",
            "premeds-0-dose": "1 g",
            "premeds-0-taken_at": "09:00",
            "reactions-TOTAL_FORMS": "1",
            "reactions-0-symptom": "chills",
            "reactions-0-severity": "4",
            "reactions-0-action": "slowed",
            "reactions-0-minutes_from_start": "90",
        }
    )
    response = owner_client.post(url("log", patient), data)
    infusion = Infusion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", patient, infusion.pk)
    assert infusion.logged_by == owner and infusion.regimen == regimen
    assert infusion.dose_g_per_kg == Decimal("0.51")
    assert [lot.lot_number for lot in infusion.lots.all()] == ["P123456"]
    assert infusion.max_rate_ml_per_kg_h() == Decimal("1.0")
    assert infusion.premedications.get().taken_at == dt.time(9, 0)
    assert infusion.reactions.get().severity_word == "moderate"
    assert infusion.course is not None
    detail = owner_client.get(response["Location"]).content.decode()
    assert "P123456" in detail and "Infusion slowed" in detail
    # When it came, as the report and trends say it.
    assert "Chills · 4/10 moderate · 90 min in · Infusion slowed" in detail


def test_grams_are_worked_out_from_g_per_kg_and_weight(patient, owner_client):
    owner_client.post(
        url("log", patient), log_data(dose_g="", dose_g_per_kg="0.5", weight_kg="70", volume_ml="")
    )
    assert Infusion.objects.get().dose_g == Decimal("35")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": "2026-11-24"}, "date", "can’t be in the future"),
        ({"date": "2026-02-30"}, "date", "Enter a real date"),
        ({"date": "1980-01-01"}, "date", "too long ago"),
        (
            {"date": "2026-11-23", "start_time": "15:00", "end_time": "16:00"},
            "start_time",
            "later than now",
        ),
        (
            {"start_time": "13:00", "end_time": "09:30"},
            "end_time",
            "The end time is before the start time.",
        ),
        ({"dose_g": ""}, "dose_g", "Enter the dose in grams"),
        (
            {"dose_g": "", "dose_g_per_kg": "1", "weight_kg": ""},
            "weight_kg",
            "Enter the weight used",
        ),
        ({"dose_g": "-5"}, "dose_g", "Enter a number of at least 0.5."),
        ({"dose_g": "300", "volume_ml": "3000"}, "dose_g", "can’t be right"),
        ({"weight_kg": "900"}, "weight_kg", "Enter a number of at most 350."),
        ({"product": ""}, "product", "Choose the product that was given."),
        ({"dose_g": "abc"}, "dose_g", "Enter a number, for example 2.5."),
        ({"notes": "x" * 2001}, "notes", "at most 2000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_the_field(
    patient, owner_client, overrides, field, message
):
    response = owner_client.post(url("log", patient), log_data(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    assert not Infusion.objects.exists()
    # Everything typed is still in the page.
    body = response.content.decode()
    assert 'value="p123456"' in body
    assert 'value="Jo"' in body


def test_unusual_but_possible_doses_need_a_confirmation(patient, owner_client):
    data = log_data(dose_g="150", volume_ml="1500", weight_kg="68")  # 2.2 g/kg in a day
    response = owner_client.post(url("log", patient), data)
    assert "more than usual" in str(response.context["form"].errors["dose_g"])
    assert "Yes, this is right, save it" in response.content.decode()
    assert not Infusion.objects.exists()
    response = owner_client.post(url("log", patient), data | {"confirm_unusual": "on"})
    assert response.status_code == 302
    assert Infusion.objects.get().dose_g == Decimal("150")


def test_a_dose_its_field_refuses_gets_no_volume_hint_beside_it(patient, owner_client):
    response = owner_client.post(url("log", patient), log_data(dose_g="-5", volume_ml="350"))
    errors = response.context["form"].errors
    assert "dose_g" in errors and "volume_ml" not in errors
    assert "Yes, this is right, save it" not in response.content.decode()
    assert not Infusion.objects.exists()


def test_a_lot_expired_on_the_infusion_day_needs_a_confirmation(patient, owner_client):
    data = log_data(**{"lots-0-expiry": "2020-01-01"})
    response = owner_client.post(url("log", patient), data)
    row = response.context["formsets"]["lots"].forms[0]
    assert "had expired on the day of the infusion (1 Jan 2020)" in str(row.errors["expiry"])
    page = response.content.decode()
    assert "Yes, this is right, save it" in page and 'value="p123456"' in page
    assert not Infusion.objects.exists()
    response = owner_client.post(url("log", patient), data | {"confirm_unusual": "on"})
    assert response.status_code == 302
    assert Infusion.objects.get().lots.get().expiry == dt.date(2020, 1, 1)
    # Expiring on the day itself is not expired.
    same_day = log_data(date="2026-11-21", **{"lots-0-expiry": "2026-11-21"})
    assert owner_client.post(url("log", patient), same_day).status_code == 302


def test_a_volume_that_does_not_match_the_dose_asks_for_confirmation(patient, owner_client):
    response = owner_client.post(url("log", patient), log_data(volume_ml="700"))
    assert "about 350 mL" in str(response.context["form"].errors["volume_ml"])


@pytest.mark.parametrize(
    ("rate", "unit", "message"),
    [
        ("12", "mL/kg/h", "faster than labels"),
        ("40", "mL/kg/h", "can’t be right"),
        ("20", "mg/kg/min", "faster than labels"),
    ],
)
def test_implausible_rates(patient, owner_client, rate, unit, message):
    data = log_data(
        **{
            "rates-TOTAL_FORMS": "1",
            "rates-0-minutes_from_start": "0",
            "rates-0-rate": rate,
            "rates-0-unit": unit,
        }
    )
    response = owner_client.post(url("log", patient), data)
    assert response.status_code == 200
    assert message in str(response.context["formsets"]["rates"].forms[0].errors["rate"])
    assert not Infusion.objects.exists()


def test_a_confirmed_fast_rate_is_saved(patient, owner_client):
    data = log_data(
        **{
            "rates-TOTAL_FORMS": "1",
            "rates-0-minutes_from_start": "0",
            "rates-0-rate": "12",
            "rates-0-unit": "mL/kg/h",
            "confirm_unusual": "on",
        }
    )
    assert owner_client.post(url("log", patient), data).status_code == 302


def test_medication_given_needs_its_name(patient, owner_client):
    data = log_data(
        **{
            "reactions-TOTAL_FORMS": "1",
            "reactions-0-symptom": "headache",
            "reactions-0-severity": "5",
            "reactions-0-action": "medication",
        }
    )
    response = owner_client.post(url("log", patient), data)
    assert "Which medication was given?" in response.content.decode()


def test_another_patients_product_cannot_be_used(patient, owner_client):
    other = Product.objects.create(
        patient=PatientFactory(), name="IG Vena", route="IV", concentration_percent=5
    )
    response = owner_client.post(url("log", patient), log_data(product=other.pk))
    assert "product" in response.context["form"].errors


def test_htmx_gets_the_form_fragment_and_a_client_redirect(patient, owner_client):
    bad = owner_client.post(url("log", patient), log_data(date=""), headers={"HX-Request": "true"})
    assert bad.status_code == 200
    assert b'<form id="infusion-form"' in bad.content and b"<html" not in bad.content
    good = owner_client.post(url("log", patient), log_data(), headers={"HX-Request": "true"})
    assert good.status_code == 200
    assert good["HX-Redirect"] == url("detail", patient, Infusion.objects.get().pk)


def test_editing_an_infusion_regroups_courses(patient, owner_client):
    a = InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    b = InfusionFactory(patient=patient, date=dt.date(2026, 11, 10))
    assert Course.objects.count() == 2
    data = log_data(date="2026-11-03", **{"lots-TOTAL_FORMS": "0"})
    response = owner_client.post(url("edit", patient, b.pk), data)
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.course_id == b.course_id
    assert Course.objects.count() == 1


def test_deleting_an_infusion(patient, owner_client):
    infusion = InfusionFactory(patient=patient)
    assert owner_client.get(url("delete", patient, infusion.pk)).status_code == 200
    response = owner_client.post(url("delete", patient, infusion.pk))
    assert response["Location"] == url("list", patient)
    assert not Infusion.objects.exists() and not Course.objects.exists()


def test_an_infusion_of_another_patient_is_404(patient, owner_client):
    other = InfusionFactory(patient=PatientFactory())
    for name in ["detail", "edit", "delete"]:
        assert owner_client.get(url(name, patient, other.pk)).status_code == 404


@pytest.mark.parametrize("name", ["log", "plan-new", "product-new"])
def test_viewers_do_not_get_form_pages(patient, viewer_client, name):
    assert viewer_client.get(url(name, patient)).status_code == 403


def test_a_caregiver_who_may_log_can_log(patient, caregiver, caregiver_client):
    assert caregiver_client.post(url("log", patient), log_data()).status_code == 302
    assert Infusion.objects.get().logged_by == caregiver


def test_the_form_speaks_to_the_patient_or_of_them(patient, owner_client, caregiver_client):
    """A caregiver logs for someone: "Maya’s plan", never "your plan", nor "what you drank"."""
    mine = owner_client.get(url("log", patient)).content.decode()
    theirs = caregiver_client.get(url("log", patient)).content.decode()
    assert "add your treatment plan" in mine
    assert "your treatment plan" not in theirs and f"add {patient.name}’s treatment plan" in theirs
    assert "What you drank" not in theirs
    today = reverse("today", args=[patient.public_id])
    assert "Add your plan" in owner_client.get(today).content.decode()
    theirs = caregiver_client.get(today).content.decode()
    assert "Add your plan" not in theirs and f"Add {patient.name}’s plan" in theirs
    plan_page = caregiver_client.get(url("plan", patient)).content.decode()
    assert "the one your care team gave" not in plan_page
    assert f"the one {patient.name}’s care team gave" in plan_page


# --- list ----------------------------------------------------------------------------------------


def _make_infusions(patient, count):
    product = catalog_product()
    start = dt.date(2026, 11, 1)
    for n in range(count):
        infusion = Infusion.objects.create(
            patient=patient,
            product=product,
            date=start - dt.timedelta(days=n * 14),
            dose_g=35,
            weight_kg=68,
        )
        InfusionLot.objects.create(infusion=infusion, lot_number=f"L{n}")
    courses.regroup(patient)


@pytest.mark.parametrize("count", [1, 100])
def test_the_list_query_count_does_not_grow(
    patient, owner_client, count, django_assert_num_queries
):
    _make_infusions(patient, count)
    owner_client.get(url("list", patient))  # warm the session
    cache.clear()  # measure the page as built, not as cached
    # session, user, membership, count, courses, infusions with products, lots
    with django_assert_num_queries(7):
        response = owner_client.get(url("list", patient))
    assert response.status_code == 200


def test_the_list_is_newest_first_and_paginated(patient, owner_client):
    _make_infusions(patient, 25)
    page1 = owner_client.get(url("list", patient)).content.decode()
    assert "Sun 1 Nov" in page1 and "Page 1 of 3" in page1
    page3 = owner_client.get(url("list", patient) + "?page=3", headers={"HX-Request": "true"})
    assert b'id="infusion-list"' in page3.content and b"<html" not in page3.content


# --- lots ----------------------------------------------------------------------------------------


def test_lot_search_finds_my_lots_with_dates(patient, owner_client):
    infusion = InfusionFactory(patient=patient, date=dt.date(2026, 9, 14))
    InfusionLot.objects.create(infusion=infusion, lot_number="P412345")
    other = InfusionFactory(patient=PatientFactory())
    InfusionLot.objects.create(infusion=other, lot_number="P412399")
    body = owner_client.get(url("lot-search", patient), {"q": "p4123"}).content.decode()
    assert "P412345" in body and "14 Sep 2026" in body
    assert "P412399" not in body
    none = owner_client.get(url("lot-search", patient), {"q": "ZZZ"}).content.decode()
    assert "No: no infusion in this diary has a lot matching" in none


def test_viewers_may_search_lots(patient, viewer_client):
    assert viewer_client.get(url("lot-search", patient), {"q": "P"}).status_code == 200


# --- plan ----------------------------------------------------------------------------------------


def plan_data(**overrides):
    data = {
        "product": catalog_product("Gamunex-C").pk,
        "indication": "mg",
        "dose_g_per_kg": "2",
        "course_days": "5",
        "interval_value": "3",
        "interval_unit": "weeks",
        "usual_site": "centre",
        "dosing_weight_kg": "",
        "usual_premedication": "",
        "start_date": "2026-11-23",
        "notes": "",
    }
    return data | overrides


def test_a_new_plan_ends_the_active_one(patient, owner_client):
    old = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    response = owner_client.post(url("plan-new", patient), plan_data())
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.end_date == dt.date(2026, 11, 22)
    new = Regimen.objects.get(end_date__isnull=True)
    assert (new.course_days, new.interval_days, new.product.name) == (5, 21, "Gamunex-C")
    page = owner_client.get(url("plan", patient)).content.decode()
    assert "Earlier plans" in page and "Privigen" in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"course_days": "6"}, "course_days"),
        ({"dose_g_per_kg": "0"}, "dose_g_per_kg"),
        ({"interval_value": ""}, "interval_value"),
        ({"start_date": "2026-13-01"}, "start_date"),
    ],
)
def test_plan_validation(patient, owner_client, overrides, field):
    response = owner_client.post(url("plan-new", patient), plan_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Regimen.objects.exists()


def test_a_new_plan_cannot_start_before_the_current_one(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 11, 23))
    response = owner_client.post(url("plan-new", patient), plan_data(start_date="2026-11-01"))
    assert "must start after the current one" in response.content.decode()
    assert Regimen.objects.count() == 1


def test_ending_and_correcting_a_plan(patient, owner_client):
    regimen = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    response = owner_client.post(
        url("plan-edit", patient, regimen.pk),
        plan_data(start_date="2026-01-01", dose_g_per_kg="1.5"),
    )
    assert response.status_code == 302
    regimen.refresh_from_db()
    assert regimen.dose_g_per_kg == Decimal("1.5")
    owner_client.post(url("plan-end", patient, regimen.pk))
    regimen.refresh_from_db()
    assert regimen.end_date == dt.date(2026, 11, 23)


def test_a_custom_product(patient, owner_client):
    data = {"name": "IG Vena", "route": "IV", "concentration_percent": "5"}
    assert owner_client.post(url("product-new", patient), data).status_code == 302
    product = Product.objects.get(name="IG Vena")
    assert product.patient == patient
    again = owner_client.post(url("product-new", patient), data | {"name": "ig vena"})
    assert "already in the list" in again.content.decode()
    form = owner_client.get(url("log", patient)).context["form"]
    assert product in form.fields["product"].queryset
    assert not Product.objects.available_to(PatientFactory()).filter(pk=product.pk).exists()


# --- calendar feed -------------------------------------------------------------------------------


def test_the_calendar_feed(patient, owner_client, client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 3))
    response = owner_client.post(url("calendar-create", patient))
    feed_url = response.context["feed_url"]
    token = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 256 bits
    assert not CalendarFeed.objects.filter(token_hash__contains=token).exists()
    ical = client.get(feed_url)
    assert ical["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(ical.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    starts = [e.decoded("dtstart") for e in events]
    assert dt.date(2026, 11, 2) in starts
    assert dt.date(2026, 11, 30) in starts and dt.date(2026, 12, 28) in starts
    due = next(e for e in events if e.decoded("dtstart") == dt.date(2026, 11, 30))
    assert str(due["summary"]) == "Infusion due"
    assert due.decoded("dtend") == dt.date(2026, 12, 2)  # 2-day course, exclusive end
    assert "Privigen" not in ical.content.decode()
    # A new address revokes the old; revoking stops it.
    second = owner_client.post(url("calendar-create", patient)).context["feed_url"]
    assert client.get(feed_url).status_code == 404
    assert client.get(second).status_code == 200
    owner_client.post(url("calendar-revoke", patient))
    assert client.get(second).status_code == 404


def test_an_unknown_calendar_token_is_404(db, client):
    assert client.get(reverse("calendar-feed", args=["nope"])).status_code == 404


def test_seed_demo_adds_six_months_of_infusions(db):
    from django.core.management import call_command

    call_command("seed_demo")
    call_command("seed_demo")
    patient = Regimen.objects.get().patient
    assert Infusion.objects.filter(patient=patient).count() == 14
    assert Course.objects.filter(patient=patient).count() == 7
    assert InfusionLot.objects.count() == 28
    assert Infusion.objects.filter(reactions__isnull=False).distinct().count() == 3
    first = Course.objects.order_by("start_date").first().start_date
    assert dt.date(2026, 11, 23) - first > dt.timedelta(days=150)


def test_a_dose_change_keeps_the_rhythm_of_the_schedule(patient):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 11, 9))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    RegimenFactory(patient=patient, start_date=dt.date(2026, 11, 10), dose_g_per_kg="1.2")
    assert schedule_for(patient, dt.date(2026, 11, 10)).next_due == dt.date(2026, 11, 30)


def test_a_calendar_feed_dies_with_its_makers_membership(patient, owner, owner_client, client):
    from patients.models import Membership

    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    feed_url = owner_client.post(url("calendar-create", patient)).context["feed_url"]
    assert client.get(feed_url).status_code == 200
    # Another owner first: the last owner's membership cannot be removed (patients.owners).
    from .factories import MembershipFactory

    MembershipFactory(patient=patient, role=Membership.Role.OWNER)
    Membership.objects.filter(user=owner, patient=patient).delete()
    assert client.get(feed_url).status_code == 404


def test_only_the_owner_makes_or_stops_calendar_addresses(patient, caregiver_client):
    assert caregiver_client.post(url("calendar-create", patient)).status_code == 403
    assert caregiver_client.post(url("calendar-revoke", patient)).status_code == 403


def test_treatment_stopped_asks_first_and_can_be_undone(patient, owner_client):
    regimen = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    plan_page = owner_client.get(url("plan", patient)).content.decode()
    assert f'href="{url("plan-end", patient, regimen.pk)}"' in plan_page  # a page, not a tap
    confirm = owner_client.get(url("plan-end", patient, regimen.pk))
    assert "Has this treatment stopped?" in confirm.content.decode()
    regimen.refresh_from_db()
    assert regimen.end_date is None  # asking changes nothing

    ended = owner_client.post(url("plan-end", patient, regimen.pk), follow=True)
    regimen.refresh_from_db()
    assert regimen.end_date == dt.date(2026, 11, 23)
    reopen = url("plan-reopen", patient, regimen.pk)
    assert f'action="{reopen}"' in ended.content.decode()  # Undo

    owner_client.post(reopen)
    regimen.refresh_from_db()
    assert regimen.end_date is None


def test_a_plan_cannot_go_on_over_the_plan_that_followed_it(patient, owner_client):
    old = RegimenFactory(
        patient=patient, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 5, 31)
    )
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    response = owner_client.post(url("plan-reopen", patient, old.pk), follow=True)
    assert "another plan" in response.content.decode()
    old.refresh_from_db()
    assert old.end_date == dt.date(2026, 5, 31)


def test_a_viewer_cannot_end_a_plan(patient, viewer_client):
    regimen = RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    assert viewer_client.get(url("plan-end", patient, regimen.pk)).status_code == 403
    assert viewer_client.post(url("plan-end", patient, regimen.pk)).status_code == 403


def test_a_second_infusion_the_same_day_asks_first(patient, owner_client):
    """Browser pass: the same infusion sent three times was saved three times, and page 1 of
    the report said "1 day, 240 g". Another infusion that day is asked about, and saved once
    confirmed; an edit of the one already there asks nothing."""
    assert (
        owner_client.post(
            reverse("infusions:log", args=[patient.public_id]), log_data()
        ).status_code
        == 302
    )
    response = owner_client.post(reverse("infusions:log", args=[patient.public_id]), log_data())
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [
        "An infusion of 22 Nov 2026 09:30–13:00 is already logged. Is this another one that "
        "day? If it is right, tick “Yes, this is right, save it” above the Save button."
    ]
    assert Infusion.objects.count() == 1
    confirmed = log_data(confirm_unusual="on")
    response = owner_client.post(reverse("infusions:log", args=[patient.public_id]), confirmed)
    assert response.status_code == 302 and Infusion.objects.count() == 2
    first = Infusion.objects.order_by("pk").first()
    Infusion.objects.exclude(pk=first.pk).delete()
    edit = reverse("infusions:edit", args=[patient.public_id, first.pk])
    data = log_data(**{"lots-INITIAL_FORMS": "0"}, nurse="Sam")
    assert owner_client.post(edit, data).status_code == 302
