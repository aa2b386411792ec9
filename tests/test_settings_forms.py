"""Diary settings: country, emergency numbers, time zones of real places; the favicon."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinical import emergency
from patients import places
from patients.models import Patient

from .factories import MembershipFactory, PatientFactory, UserFactory

START = reverse("patients:start")


def settings_url(patient: Patient) -> str:
    return reverse("patients:settings", args=[patient.public_id])


def settings_data(**overrides) -> dict:
    data = {
        "name": "Maya",
        "time_zone": "Europe/London",
        "conditions": ["mg"],
        "weight_unit": "kg",
        "temperature_unit": "C",
        "country": "GB",
        "emergency_number": "",
        "care_team_phone": "",
    }
    return data | overrides


def selected_option(body: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}".*?</select>', body, re.S)
    assert select, f"no select {name}"
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0))
    return chosen.group(1) if chosen else None


# --- clinical.emergency -------------------------------------------------------------------------


def test_numbers_for_well_known_countries():
    assert emergency.number_for("GB") == "999"
    assert emergency.number_for("us") == "911"
    assert emergency.number_for("AU") == "000"
    assert emergency.number_for("NZ") == "111"
    assert emergency.number_for("FR") == "112"
    assert emergency.number_for("JP") == "119"
    assert emergency.number_for("") is None
    assert emergency.number_for("ZZ") is None
    assert emergency.FALLBACK == "112"


def test_every_listed_country_is_real_and_every_number_is_digits():
    countries = places.country_names()
    assert set(emergency.NUMBERS) <= set(countries)
    assert all(number.isdigit() and 2 <= len(number) <= 5 for number in emergency.NUMBERS.values())


# --- places -------------------------------------------------------------------------------------


def test_the_time_zone_list_holds_real_places_only():
    listed = places.listed_zones()
    assert {"Europe/London", "America/New_York", "Asia/Kolkata", "UTC"} <= listed
    assert not {"Factory", "GB-Eire", "US/Pacific", "Etc/GMT+3", "EST5EDT"} & listed
    for zone in listed:
        zoneinfo.ZoneInfo(zone)  # every one of them loads


def test_old_names_lead_to_the_real_place():
    assert places.canonical_zone("US/Pacific") == "America/Los_Angeles"
    assert places.canonical_zone("GB-Eire") == "Europe/London"
    assert places.canonical_zone("Asia/Calcutta") == "Asia/Kolkata"
    assert places.canonical_zone("Etc/UTC") == "UTC"
    assert places.canonical_zone("Factory") is None
    assert places.country_for_zone("Europe/London") == "GB"
    assert places.country_for_zone("US/Pacific") == "US"
    assert places.country_for_zone("UTC") == ""


def test_zone_labels_read_as_places():
    assert places.zone_label("Europe/London") == "Europe — London"
    assert (
        places.zone_label("America/Argentina/Buenos_Aires") == "America — Buenos Aires (Argentina)"
    )
    assert places.zone_label("UTC") == "UTC"


def test_country_names_are_sorted_by_name():
    names = [name for _code, name in places.country_choices()]
    assert names.index("Åland Islands") < names.index("Albania")
    assert places.country_names()["GB"] == "United Kingdom"


# --- settings page ------------------------------------------------------------------------------


def test_settings_offer_grouped_real_time_zones(patient, owner_client):
    body = owner_client.get(settings_url(patient)).content.decode()
    assert '<optgroup label="Europe">' in body
    assert '<option value="Europe/London" selected>Europe — London</option>' in body
    for alias in ("Factory", "GB-Eire", "US/Pacific"):
        assert f'value="{alias}"' not in body
    # Settings never guess the zone from the browser: that is for a new diary only.
    assert "data-detect-timezone" not in body


def test_a_diary_with_an_old_zone_name_still_loads_and_saves(patient, owner_client):
    Patient.objects.filter(pk=patient.pk).update(time_zone="US/Pacific")
    response = owner_client.get(settings_url(patient))
    body = response.content.decode()
    assert response.status_code == 200
    assert selected_option(body, "time_zone") == "US/Pacific"
    assert "US/Pacific (old name for America — Los Angeles)" in body
    response = owner_client.post(
        settings_url(patient), settings_data(name="Maya R.", time_zone="US/Pacific", country="US")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.name, patient.time_zone) == ("Maya R.", "US/Pacific")


def test_an_old_zone_name_is_refused_for_a_diary_that_does_not_have_it(patient, owner_client):
    response = owner_client.post(settings_url(patient), settings_data(time_zone="GB-Eire"))
    assert response.status_code == 200
    assert "Pick a time zone from the list." in response.content.decode()


def test_country_and_emergency_number_are_suggested_not_saved(patient, owner_client):
    response = owner_client.get(settings_url(patient))
    body = response.content.decode()
    # Suggested from the diary's time zone (Europe/London), for the owner to check.
    assert selected_option(body, "country") == "GB"
    assert "Suggested from the time zone" in body
    assert re.search(r"Suggested for <span data-country-name>United Kingdom</span>:", body)
    assert 'name="use_emergency_number" value="999"' in body
    patient.refresh_from_db()
    assert (patient.country, patient.emergency_number) == ("", "")
    # Saving other settings does not fill the emergency number in behind the owner's back.
    owner_client.post(settings_url(patient), settings_data())
    patient.refresh_from_db()
    assert (patient.country, patient.emergency_number) == ("GB", "")


def test_one_tap_uses_the_suggested_number(patient, owner_client):
    response = owner_client.post(
        settings_url(patient), settings_data(use_emergency_number="999"), follow=True
    )
    patient.refresh_from_db()
    assert (patient.country, patient.emergency_number) == ("GB", "999")
    assert "The emergency number is 999." in response.content.decode()
    # Once it is set, the suggestion is not offered again.
    body = owner_client.get(settings_url(patient)).content.decode()
    assert re.search(r'id="emergency-suggestion"[^>]*hidden', body)


def test_a_stale_suggestion_is_not_saved_when_the_country_changed(patient, owner_client):
    # Without JavaScript the button still says 999 after the owner picked France.
    response = owner_client.post(
        settings_url(patient), settings_data(country="FR", use_emergency_number="999")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The country changed" in body
    assert 'name="use_emergency_number" value="112"' in body
    patient.refresh_from_db()
    assert (patient.country, patient.emergency_number) == ("", "")


def test_an_own_number_is_kept_and_the_usual_one_offered(patient, owner_client):
    owner_client.post(settings_url(patient), settings_data(emergency_number="112"))
    patient.refresh_from_db()
    assert patient.emergency_number == "112"
    body = owner_client.get(settings_url(patient)).content.decode()
    assert 'value="112"' in body
    assert 'name="use_emergency_number" value="999"' in body  # 999 also works in the UK


def test_no_suggestion_where_the_number_is_not_known(patient, owner_client):
    owner_client.post(settings_url(patient), settings_data(country="AQ"))
    body = owner_client.get(settings_url(patient)).content.decode()
    assert re.search(r'id="emergency-suggestion"[^>]*hidden', body)
    assert emergency.number_for("AQ") is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("emergency_number", "nine-nine", "Use only digits, spaces, +, - and brackets"),
        ("emergency_number", "9", "at least 2 digits"),
        ("emergency_number", "1" * 16, "Use at most 15 characters (you typed 16)."),
        ("care_team_phone", "call Jo", "Use only digits, spaces, +, - and brackets"),
        ("care_team_phone", "12", "at least 3 digits"),
        ("care_team_phone", "0" * 31, "Use at most 30 characters (you typed 31)."),
        ("country", "XX", "Choose from the options shown."),
    ],
)
def test_bad_numbers_get_plain_words_and_keep_what_was_typed(
    patient, owner_client, field, value, message
):
    response = owner_client.post(
        settings_url(patient), settings_data(name="Maya R.", **{field: value})
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert 'value="Maya R."' in body
    if field != "country":
        assert f'value="{value}"' in body
    patient.refresh_from_db()
    assert patient.name == "Maya"


def test_phone_numbers_in_the_usual_shapes_are_accepted(patient, owner_client):
    response = owner_client.post(
        settings_url(patient),
        settings_data(emergency_number=" 000 ", care_team_phone="+44 (0)20  7946-0000"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.emergency_number == "000"
    assert patient.care_team_phone == "+44 (0)20 7946-0000"


def test_phone_fields_show_limits_and_a_phone_keypad(patient, owner_client):
    body = owner_client.get(settings_url(patient)).content.decode()
    assert re.search(r'<input type="tel" name="emergency_number"[^>]*maxlength="15"', body)
    assert re.search(r'<input type="tel" name="care_team_phone"[^>]*maxlength="30"', body)
    assert "Up to 30 characters." in body
    assert 'data-counter="{used} of {limit} characters"' in body


def test_settings_stay_with_the_owner(patient, owner, caregiver_client, stranger_client):
    url = settings_url(patient)
    assert stranger_client.get(url).status_code == 404
    response = stranger_client.post(url, settings_data(use_emergency_number="999"))
    assert response.status_code == 404
    assert caregiver_client.post(url, settings_data(use_emergency_number="999")).status_code == 403
    patient.refresh_from_db()
    assert (patient.country, patient.emergency_number) == ("", "")


# --- on the report: date of birth, clinic number, paper size -------------------------------------


def test_paper_size_follows_the_country_list():
    assert places.paper_size_for("US") == places.paper_size_for("ca") == "letter"
    assert {places.paper_size_for(c) for c in ("MX", "PH", "CL", "PR")} == {"letter"}
    assert places.paper_size_for("GB") == places.paper_size_for("AU") == "a4"
    assert places.paper_size_for("") == "a4"
    assert not places.LETTER_COUNTRIES - set(places.country_names())


@pytest.mark.parametrize(
    ("country", "zone", "chosen", "expected"),
    [
        ("US", "America/New_York", "", "letter"),
        ("", "America/Toronto", "", "letter"),  # no country: the time zone's
        ("", "Europe/London", "", "a4"),
        ("", "UTC", "", "a4"),
        ("US", "America/New_York", "a4", "a4"),  # chosen in the settings: kept
        ("FR", "Europe/Paris", "letter", "letter"),
    ],
)
def test_the_report_paper_is_the_chosen_one_else_the_countrys(country, zone, chosen, expected):
    patient = Patient(country=country, time_zone=zone, paper_size=chosen)
    assert patient.report_paper_size == expected


def test_report_details_are_saved_and_shown(patient, owner_client):
    response = owner_client.post(
        settings_url(patient),
        settings_data(
            date_of_birth="1986-04-17", clinic_number="  rx1 - 204518 ", paper_size="letter"
        ),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.date_of_birth == dt.date(1986, 4, 17)
    assert patient.clinic_number == "rx1 - 204518"  # spaces tidied, nothing else changed
    assert patient.paper_size == patient.report_paper_size == "letter"
    body = owner_client.get(settings_url(patient)).content.decode()
    assert "On the report for the doctor" in body
    assert re.search(r'<input type="date" name="date_of_birth" value="1986-04-17"', body)
    assert 'value="rx1 - 204518"' in body
    assert re.search(r'<input type="radio"[^>]*name="paper_size" value="letter"[^>]*checked', body)


def test_report_details_are_optional_and_the_paper_follows_the_country(patient, owner_client):
    body = owner_client.get(settings_url(patient)).content.decode()
    # Europe/London, no country yet: A4, said in the choice that follows the country.
    assert "The usual size where you live (now A4)" in body
    assert re.search(r'<input type="radio"[^>]*name="paper_size" value=""[^>]*checked', body)
    response = owner_client.post(settings_url(patient), settings_data(country="US"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.date_of_birth, patient.clinic_number, patient.paper_size) == (None, "", "")
    assert patient.report_paper_size == "letter"
    body = owner_client.get(settings_url(patient)).content.decode()
    assert "The usual size where you live (now Letter)" in body


def test_the_date_of_birth_picker_stops_at_today(patient, owner_client):
    body = owner_client.get(settings_url(patient)).content.decode()
    today = timezone.localtime(timezone.now(), patient.tz).date()
    assert re.search(rf'name="date_of_birth"[^>]*max="{today.isoformat()}"', body)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2999-01-01", "A date of birth can’t be in the future. Check the year."),
        ("date_of_birth", "1870-06-01", "That is more than 120 years ago. Check the year."),
        ("date_of_birth", "1986-02-31", "Enter a real date, for example 2026-03-14."),
        ("date_of_birth", "seventeenth", "Enter a real date, for example 2026-03-14."),
        (
            "clinic_number",
            "RX1#2045;",
            "Use only letters, digits, spaces, dashes, dots and slashes",
        ),
        (
            "clinic_number",
            "<b>12</b>",
            "Use only letters, digits, spaces, dashes, dots and slashes",
        ),
        ("clinic_number", "9" * 31, "Use at most 30 characters (you typed 31)."),
        ("paper_size", "legal", "Choose from the options shown."),
    ],
)
def test_bad_report_details_get_plain_words_and_keep_what_was_typed(
    patient, owner_client, field, value, message
):
    response = owner_client.post(
        settings_url(patient), settings_data(name="Maya R.", **{field: value})
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert 'value="Maya R."' in body
    if field != "paper_size":
        assert f'value="{escape(value)}"' in body
    patient.refresh_from_db()
    assert (patient.name, patient.date_of_birth, patient.clinic_number) == ("Maya", None, "")


def test_a_date_of_birth_today_is_taken(patient, owner_client):
    today = timezone.localtime(timezone.now(), patient.tz).date()
    response = owner_client.post(settings_url(patient), settings_data(date_of_birth=today))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.date_of_birth == today


def test_report_details_stay_with_the_owner(patient, owner, caregiver_client, viewer_client):
    url = settings_url(patient)
    data = settings_data(date_of_birth="1986-04-17", clinic_number="RX1", paper_size="letter")
    assert caregiver_client.post(url, data).status_code == 403
    assert viewer_client.post(url, data).status_code == 403
    patient.refresh_from_db()
    assert (patient.date_of_birth, patient.clinic_number, patient.paper_size) == (None, "", "")


# --- a new diary's time zone --------------------------------------------------------------------


def test_a_new_diary_starts_in_the_zone_of_my_other_diary(db, client):
    user = UserFactory()
    MembershipFactory(user=user, patient=PatientFactory(time_zone="Asia/Tokyo"), is_self=True)
    client.force_login(user)
    body = client.get(START).content.decode()
    assert selected_option(body, "time_zone") == "Asia/Tokyo"
    # app.js may replace it with this device's zone.
    assert re.search(r'<select name="time_zone"[^>]*data-detect-timezone', body)


def test_an_old_zone_name_of_my_other_diary_becomes_the_real_place(db, client):
    user = UserFactory()
    MembershipFactory(user=user, patient=PatientFactory(time_zone="US/Pacific"), is_self=True)
    client.force_login(user)
    body = client.get(START).content.decode()
    assert selected_option(body, "time_zone") == "America/Los_Angeles"


def test_a_first_diary_starts_in_the_site_zone(db, client, settings):
    settings.TIME_ZONE = "Europe/Paris"
    client.force_login(UserFactory())
    body = client.get(START).content.decode()
    assert selected_option(body, "time_zone") == "Europe/Paris"
    assert 'name="country"' not in body  # asked later, in the settings


def test_a_zone_sent_back_is_never_replaced_by_the_script(db, client):
    client.force_login(UserFactory())
    response = client.post(START, {"for_whom": "me", "name": "", "time_zone": "Asia/Tokyo"})
    body = response.content.decode()
    assert selected_option(body, "time_zone") == "Asia/Tokyo"
    assert "data-detect-timezone" not in body


def test_a_new_diary_name_shows_its_limit(db, client):
    client.force_login(UserFactory())
    body = client.get(START).content.decode()
    assert re.search(r'<input type="text" name="name"[^>]*maxlength="80"[^>]*data-counter', body)
    assert "A nickname is enough. Up to 80 characters." in body


# --- favicon ------------------------------------------------------------------------------------


def test_the_favicon_is_linked_and_answered(client, db):
    body = client.get("/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg" type="image/svg\+xml">', body)
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    svg = finders.find("favicon.svg")
    assert svg and Path(svg).read_text(encoding="utf-8").lstrip().startswith("<svg")
