"""Red-flag warnings that fire every time (issue 7 §1) and cannot be missed (§2).

Each case below was tried as a new user would and once gave no warning. Near misses next to
each case must stay quiet: a warning that cries wolf gets ignored.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import RedFlagEvent, SymptomEntry
from infusions.models import Infusion, InfusionReaction

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


def log(patient, user=None, **fields):
    entry = SymptomEntry(patient=patient, **({"severity": 5, "onset": NOW} | fields))
    entries.save(entry, user)
    return entry


def open_rules(patient):
    return sorted(
        RedFlagEvent.objects.filter(
            patient=patient, handled_at=None, withdrawn_at=None
        ).values_list("rule", flat=True)
    )


def quick_url(patient):
    return reverse("diary:quick-log", args=[patient.public_id])


def today_url(patient):
    return reverse("today", args=[patient.public_id])


# --- §1 An old entry still open never closes the window ------------------------------------------


@pytest.mark.parametrize("with_old_entry", [True, False])
def test_an_old_open_entry_does_not_close_the_window(patient, owner, with_old_entry):
    if with_old_entry:
        # Quick-logged 17 days ago and never closed.
        log(patient, owner, symptom="fatigue", severity=4, onset=NOW - dt.timedelta(days=17))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="headache", severity=9, onset=local(2026, 11, 23, 10))
    log(patient, owner, symptom="stiff_neck", severity=8, onset=local(2026, 11, 23, 10, 30))
    assert open_rules(patient) == ["aseptic_meningitis"]


def test_the_hours_count_from_the_latest_infusion_before_the_signs(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 10, 1))  # long ago: outside 7 days
    log(patient, owner, symptom="headache", severity=9, onset=local(2026, 11, 23, 10))
    log(patient, owner, symptom="stiff_neck", severity=8, onset=local(2026, 11, 23, 10, 30))
    assert open_rules(patient) == []  # near miss: 53 days after the infusion
    # An infusion the day before is logged afterwards: the warning appears.
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    assert open_rules(patient) == ["aseptic_meningitis"]


# --- §1 Signs either side of midnight ------------------------------------------------------------


def test_signs_either_side_of_midnight_count_together(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 21))
    log(
        patient,
        owner,
        symptom="headache",
        severity=9,
        onset=local(2026, 11, 22, 23, 30),
        ended_at=local(2026, 11, 22, 23, 55),
    )
    log(
        patient,
        owner,
        symptom="stiff_neck",
        severity=6,
        onset=local(2026, 11, 23, 0, 10),
        ended_at=local(2026, 11, 23, 0, 40),
    )
    assert open_rules(patient) == ["aseptic_meningitis"]
    event = RedFlagEvent.objects.get()
    assert set(event.entries.values_list("symptom", flat=True)) == {"headache", "stiff_neck"}


def test_signs_more_than_24_hours_apart_do_not_combine(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 20))
    log(
        patient,
        owner,
        symptom="headache",
        severity=9,
        onset=local(2026, 11, 21, 8),
        ended_at=local(2026, 11, 21, 9),
    )
    log(patient, owner, symptom="stiff_neck", severity=6, onset=local(2026, 11, 22, 9, 30))
    assert open_rules(patient) == []


# --- §1 Signs typed in the patient's own words ---------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "saved_as", "rule"),
    [
        ("chest pain", "chest_pain", "thrombosis"),
        ("Dark urine", "dark_urine", "hemolysis"),
        ("can't breathe", "trouble_breathing", "trali_anaphylaxis"),
        ("I CAN’T  breathe!", "trouble_breathing", "trali_anaphylaxis"),
        ("swollen throat", "face_throat_swelling", "trali_anaphylaxis"),
        ("cola-coloured urine", "dark_urine", "hemolysis"),
        ("my lips are blue", "blue_lips", "trali_anaphylaxis"),
    ],
)
def test_typed_words_are_saved_as_the_sign_and_checked(
    patient, owner_client, typed, saved_as, rule
):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    response = owner_client.post(
        quick_url(patient), {"symptom": "other", "custom_symptom": typed, "severity": "6"}
    )
    assert response.status_code == 302
    entry = SymptomEntry.objects.get()
    assert (entry.symptom, entry.custom_symptom) == (saved_as, typed)
    assert open_rules(patient) == [rule]
    page = owner_client.get(response["Location"]).content.decode()
    assert "Saved as: " in page
    assert "red-flag-alert" in page


def test_typed_words_naming_two_signs_save_both(patient, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    owner_client.post(
        quick_url(patient),
        {"symptom": "other", "custom_symptom": "bad headache and stiff neck", "severity": "8"},
    )
    assert sorted(SymptomEntry.objects.values_list("symptom", flat=True)) == [
        "headache",
        "stiff_neck",
    ]
    assert open_rules(patient) == ["aseptic_meningitis"]


def test_leg_pain_asks_about_one_swollen_or_warm_leg(patient, owner_client):
    data = {"symptom": "other", "custom_symptom": "leg pain", "severity": "5"}
    response = owner_client.post(quick_url(patient), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Is it one leg or arm, and is it swollen or warm?" in body
    assert 'value="leg pain"' in body  # what was typed is kept
    assert not SymptomEntry.objects.exists()

    owner_client.post(quick_url(patient), data | {"detail": "limb_yes"})
    entry = SymptomEntry.objects.get()
    assert (entry.symptom, entry.custom_symptom) == ("limb_pain_swelling", "leg pain")
    assert open_rules(patient) == ["thrombosis"]


def test_plain_aching_of_a_leg_does_not_warn(patient, owner_client):
    data = {"symptom": "other", "custom_symptom": "leg pain", "severity": "5", "detail": "limb_no"}
    owner_client.post(quick_url(patient), data)
    assert SymptomEntry.objects.get().symptom == "muscle_aches"
    assert open_rules(patient) == []


def test_a_typo_gets_did_you_mean_without_javascript(patient, owner_client):
    data = {"symptom": "other", "custom_symptom": "chest pian", "severity": "7"}
    body = owner_client.post(quick_url(patient), data).content.decode()
    assert "Did you mean" in body and "Chest pain" in body
    assert not SymptomEntry.objects.exists()
    # Tapping the suggestion sends the sign's code with everything else typed.
    owner_client.post(quick_url(patient), data | {"symptom": "chest_pain"})
    assert SymptomEntry.objects.get().symptom == "chest_pain"
    assert open_rules(patient) == ["thrombosis"]


def test_keeping_the_typed_words_saves_them_as_they_are(patient, owner_client):
    data = {"symptom": "other", "custom_symptom": "chest pian", "severity": "7"}
    owner_client.post(quick_url(patient), data | {"keep_typed": "on"})
    assert SymptomEntry.objects.get().label == "chest pian"


def test_words_that_name_no_sign_are_saved_as_typed(patient, owner_client):
    data = {"symptom": "other", "custom_symptom": "Tingling toes", "severity": "3"}
    assert owner_client.post(quick_url(patient), data).status_code == 302
    entry = SymptomEntry.objects.get()
    assert (entry.symptom, entry.label) == ("other", "Tingling toes")


def test_the_full_form_matches_typed_words_too(patient, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    response = owner_client.post(
        reverse("diary:side-effect-add", args=[patient.public_id]),
        {
            "symptom": "other",
            "custom_symptom": "dark pee",
            "severity": "4",
            "onset": "2026-11-23T09:00",
            "still_going": "on",
        },
    )
    assert response.status_code == 302
    assert SymptomEntry.objects.get().symptom == "dark_urine"
    assert open_rules(patient) == ["hemolysis"]


# --- §1 Swelling asks where ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "saved_as", "rules"),
    [
        ("face_throat", "face_throat_swelling", ["trali_anaphylaxis"]),
        ("one_limb", "limb_pain_swelling", ["thrombosis"]),
        ("legs", "swelling", []),
        ("all_over", "swelling", []),
    ],
)
def test_swelling_asks_where_and_the_answer_goes_through_the_rules(
    patient, owner_client, where, saved_as, rules
):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    data = {"symptom": "swelling", "severity": "4"}
    body = owner_client.post(quick_url(patient), data).content.decode()
    assert "Where is the swelling?" in body
    assert not SymptomEntry.objects.exists()
    owner_client.post(quick_url(patient), data | {"detail": where})
    assert SymptomEntry.objects.get().symptom == saved_as
    assert open_rules(patient) == rules


# --- §1 Severe headache + stiff neck + fever: any time -------------------------------------------


def test_meningitis_signs_with_fever_warn_at_any_time(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 1))  # 22 days ago
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 23, 9))
    log(patient, owner, symptom="stiff_neck", severity=5, onset=local(2026, 11, 23, 9))
    assert open_rules(patient) == []  # near miss: outside 7 days, no fever
    log(patient, owner, symptom="fever", severity=5, onset=local(2026, 11, 23, 10))
    assert open_rules(patient) == ["aseptic_meningitis"]
    alert = RedFlagEvent.objects.get()
    assert {s["code"] for s in alert.signs} == {"headache", "stiff_neck", "fever"}


def test_meningitis_near_miss_a_moderate_headache(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="headache", severity=6)
    log(patient, owner, symptom="stiff_neck", severity=5)
    log(patient, owner, symptom="fever", severity=5)
    assert open_rules(patient) == []


# --- §1 Reactions during an infusion -------------------------------------------------------------


def infusion_data(**overrides):
    data = {
        "date": "2026-11-23",
        "start_time": "09:30",
        "end_time": "11:30",
        "product": catalog_product().pk,
        "dose_g": "35",
        "weight_kg": "68",
        "site": "home",
    }
    for prefix in ["lots", "rates", "premeds", "reactions"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {"lots-TOTAL_FORMS": "1", "lots-0-lot_number": "P1", "lots-0-vial_count": "4"}
    return data | overrides


def test_reactions_logged_during_an_infusion_warn_and_are_recorded(
    patient, owner_client, viewer_client
):
    data = infusion_data(
        **{
            "reactions-TOTAL_FORMS": "1",
            "reactions-0-symptom": "trouble_breathing",
            "reactions-0-severity": "6",
            "reactions-0-action": "stopped",
            "reactions-0-minutes_from_start": "40",
        }
    )
    response = owner_client.post(reverse("infusions:log", args=[patient.public_id]), data)
    assert response.status_code == 302
    infusion = Infusion.objects.get()
    event = RedFlagEvent.objects.get()
    assert (event.rule, event.source, event.infusion) == ("trali_anaphylaxis", "infusion", infusion)
    assert event.started_at == local(2026, 11, 23, 10, 10)
    # On the infusion's page, right after saving ...
    detail = owner_client.get(response["Location"]).content.decode()
    assert "Call emergency services now" in detail and 'role="alert"' in detail
    # ... and on Today, for every member.
    today = viewer_client.get(today_url(patient)).content.decode()
    assert "Call emergency services now" in today and "Trouble breathing" in today


def test_a_mild_reaction_does_not_warn(patient, owner_client):
    data = infusion_data(
        **{
            "reactions-TOTAL_FORMS": "1",
            "reactions-0-symptom": "chills",
            "reactions-0-severity": "4",
            "reactions-0-action": "slowed",
        }
    )
    owner_client.post(reverse("infusions:log", args=[patient.public_id]), data)
    assert InfusionReaction.objects.count() == 1
    assert not RedFlagEvent.objects.exists()


def test_a_reaction_and_a_diary_sign_combine(patient, owner, owner_client):
    data = infusion_data(
        **{
            "reactions-TOTAL_FORMS": "1",
            "reactions-0-symptom": "headache",
            "reactions-0-severity": "8",
            "reactions-0-action": "medication",
            "reactions-0-medication": "Paracetamol",
        }
    )
    owner_client.post(reverse("infusions:log", args=[patient.public_id]), data)
    assert open_rules(patient) == []
    log(patient, owner, symptom="vomiting", severity=5, onset=local(2026, 11, 23, 11, 45))
    assert open_rules(patient) == ["aseptic_meningitis"]


# --- §2 A warning nobody can miss ----------------------------------------------------------------


def test_the_warning_names_each_entry_with_its_real_severity(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="headache", severity=6, onset=local(2026, 11, 23, 8))
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 23, 10))
    log(patient, owner, symptom="stiff_neck", severity=5, onset=local(2026, 11, 23, 10))
    event = RedFlagEvent.objects.get()
    assert [(s["code"], s["severity"], s["word"]) for s in event.signs] == [
        ("headache", 8, "severe"),
        ("stiff_neck", 5, "moderate"),
    ]
    # The moderate headache is not part of the warning.
    moderate = SymptomEntry.objects.get(symptom="headache", severity=6)
    assert moderate.red_flags == []
    body = owner_client.get(today_url(patient)).content.decode()
    assert "Headache</strong> 8/10 severe" in body
    assert "Headache</strong> 6/10" not in body


def test_the_most_urgent_advice_comes_first(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="dark_urine", severity=5, onset=local(2026, 11, 23, 8))
    log(patient, owner, symptom="chest_pain", severity=5, onset=local(2026, 11, 23, 9))
    body = owner_client.get(today_url(patient)).content.decode()
    emergency = body.index("Call emergency services now")
    care = body.index("Get medical advice now")
    assert emergency < care
    # The first advice line of an ordinary warning still puts emergency services first.
    advice = body[care:]
    assert advice.index("call emergency services") < advice.index("contact your")


def test_call_buttons_default_to_112_with_an_explanation(patient, owner, owner_client):
    patient.time_zone = "UTC"  # no country set, and none from the zone
    patient.save()
    log(patient, owner, symptom="chest_pain", severity=5)
    body = owner_client.get(today_url(patient)).content.decode()
    assert 'href="tel:112"' in body
    assert "112 reaches emergency services from most mobile phones" in body
    assert "diary settings" in body


def test_with_no_country_set_the_time_zones_country_gives_the_number(patient, owner, owner_client):
    """Browser pass: a London diary with no country chosen said "Call 112"; a patient in a
    panic there expects 999 (and a landline may not reach 112)."""
    assert (patient.country, patient.time_zone) == ("", "Europe/London")
    log(patient, owner, symptom="chest_pain", severity=5)
    body = owner_client.get(today_url(patient)).content.decode()
    assert 'href="tel:999"' in body and "999 is the usual emergency number" in body
    patient.country = "FR"  # a country chosen wins over the zone's
    patient.save()
    assert patient.emergency_call_number == "112"


def test_call_buttons_use_the_numbers_from_diary_settings(patient, owner, owner_client):
    patient.emergency_number = "999"
    patient.care_team_phone = "+44 20 7946 0000"
    patient.save()
    log(patient, owner, symptom="less_urine", severity=5)
    body = owner_client.get(today_url(patient)).content.decode()
    assert 'href="tel:999"' in body and 'href="tel:+442079460000"' in body
    assert "112 reaches" not in body
    # Not an emergency trigger: the care team comes first.
    assert body.index("tel:+442079460000") < body.index("tel:999")


def test_a_viewer_may_mark_a_warning_as_dealt_with(patient, owner, viewer, viewer_client):
    log(patient, owner, symptom="chest_pain", severity=5)
    event = RedFlagEvent.objects.get()
    handled = reverse("diary:red-flag-handled", args=[patient.public_id, event.pk])
    response = viewer_client.post(handled, {"how": "checked"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.handled_by, event.handled_how, event.handled_at) == (viewer, "checked", NOW)
    body = viewer_client.get(today_url(patient)).content.decode()
    assert "red-flag-alert" not in body
    assert "1 warning dealt with lately" in body and "it was checked" in body
    # One line on Today, opened on request (browser pass: the list filled a phone's screen).
    assert '<details class="red-flag-handled' in body
    # The viewer still cannot write anything else.
    quick = viewer_client.post(quick_url(patient), {"symptom": "headache", "severity": "3"})
    assert quick.status_code == 403


def test_marking_needs_a_known_answer_and_stays_in_its_diary(
    patient, owner, owner_client, stranger_client
):
    log(patient, owner, symptom="chest_pain", severity=5)
    event = RedFlagEvent.objects.get()
    handled = reverse("diary:red-flag-handled", args=[patient.public_id, event.pk])
    assert stranger_client.post(handled, {"how": "checked"}).status_code == 404
    owner_client.post(handled, {"how": "whatever"})
    event.refresh_from_db()
    assert event.handled_at is None


def test_a_warning_stays_on_today_until_dealt_with_however_old(patient, owner, owner_client):
    log(patient, owner, symptom="chest_pain", severity=5, onset=NOW - dt.timedelta(days=20))
    with time_machine.travel(NOW + dt.timedelta(days=30), tick=False):
        owner_client.force_login(owner)  # sessions expire; the warning does not
        body = owner_client.get(today_url(patient)).content.decode()
    assert "red-flag-alert" in body


def test_deleting_the_sign_withdraws_the_warning_and_undo_brings_it_back(
    patient, owner, owner_client
):
    entry = log(patient, owner, symptom="chest_pain", severity=5)
    entries.delete(entry, owner)
    event = RedFlagEvent.objects.get()
    assert event.withdrawn_at is not None
    assert "red-flag-alert" not in owner_client.get(today_url(patient)).content.decode()
    entries.restore(entry, owner)
    event.refresh_from_db()
    assert event.withdrawn_at is None


def test_a_new_warning_after_a_quick_log_is_swapped_in_at_the_top(patient, owner_client):
    response = owner_client.post(
        quick_url(patient),
        {"symptom": "other", "custom_symptom": "chest pain", "severity": "6"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert '<div id="alerts" hx-swap-oob="true">' in body
    assert 'data-fresh="true"' in body


# --- §4 The same episode gets a reading, not a second open entry ---------------------------------


def test_logging_a_sign_still_going_asks_if_it_is_the_same_episode(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    first = log(patient, owner, symptom="headache", severity=5, onset=local(2026, 11, 23, 8))
    data = {"symptom": "headache", "severity": "8"}
    body = owner_client.post(quick_url(patient), data).content.decode()
    assert "Headache since Mon 08:00: still going. Is this the same one?" in body
    assert SymptomEntry.objects.count() == 1

    owner_client.post(quick_url(patient), data | {"episode": "same"})
    assert SymptomEntry.objects.count() == 1
    first.refresh_from_db()
    assert (first.severity, first.peak_severity, first.current_severity) == (5, 8, 8)
    assert list(first.readings.values_list("severity", "at")) == [(8, NOW)]
    # The new reading goes through the rules: a severe headache with a stiff neck now warns.
    assert open_rules(patient) == []
    log(patient, owner, symptom="stiff_neck", severity=4, onset=NOW)
    assert open_rules(patient) == ["aseptic_meningitis"]
    event = RedFlagEvent.objects.get()
    assert ("headache", 8) in [(s["code"], s["severity"]) for s in event.signs]


def test_a_new_episode_closes_the_one_still_going(patient, owner, owner_client):
    first = log(patient, owner, symptom="fatigue", severity=3, onset=local(2026, 11, 20, 8))
    owner_client.post(quick_url(patient), {"symptom": "fatigue", "severity": "6", "episode": "new"})
    first.refresh_from_db()
    assert first.ended_at == NOW
    assert SymptomEntry.objects.filter(ended_at__isnull=True).get().severity == 6


def test_a_reading_below_the_threshold_earlier_does_not_count_later(patient, owner):
    """Readings last until the next one: a headache that fell from 8 to 3 yesterday morning
    no longer combines with a stiff neck that starts a day later."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 21))
    first = log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 22, 6))
    entries.add_reading(first, 3, local(2026, 11, 22, 7), owner)
    log(patient, owner, symptom="stiff_neck", severity=4, onset=local(2026, 11, 23, 9))
    assert open_rules(patient) == []


# --- Review findings: the cases next to the ones above --------------------------------------------


def test_a_warning_dealt_with_never_swallows_a_worse_one(patient, owner, owner_client):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 23, 8))
    log(patient, owner, symptom="vomiting", severity=5, onset=local(2026, 11, 23, 8, 30))
    first = RedFlagEvent.objects.get()
    first.handled_at, first.handled_how = NOW, "contacted"
    first.save()
    signs_then = first.signs
    # Two hours later: stiff neck and fever make it an emergency.
    log(patient, owner, symptom="stiff_neck", severity=6, onset=local(2026, 11, 23, 10))
    log(patient, owner, symptom="fever", severity=6, onset=local(2026, 11, 23, 10, 5))
    first.refresh_from_db()
    assert first.signs == signs_then  # the record of what was dealt with is not rewritten
    new = RedFlagEvent.objects.get(handled_at=None)
    assert {s["code"] for s in new.signs} >= {"stiff_neck", "fever"}
    assert "Call emergency services now" in owner_client.get(today_url(patient)).content.decode()


def test_the_same_signs_again_after_dealing_with_them_do_not_warn_twice(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    headache = log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 23, 8))
    log(patient, owner, symptom="vomiting", severity=5, onset=local(2026, 11, 23, 8, 30))
    RedFlagEvent.objects.update(handled_at=NOW, handled_how="checked")
    headache.notes = "Took paracetamol"
    entries.save(headache, owner)
    assert open_rules(patient) == []


def test_a_worse_reading_asks_the_follow_up_questions(patient, owner, owner_client):
    log(patient, owner, symptom="headache", severity=4, onset=local(2026, 11, 23, 8))
    body = owner_client.post(
        quick_url(patient),
        {"symptom": "headache", "severity": "9", "episode": "same"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Do you also have any of these?" in body and "Stiff neck" in body


def test_follow_up_answers_only_for_the_signs_asked(patient, owner, owner_client):
    nausea = log(patient, owner, symptom="nausea", severity=3)
    url = reverse("diary:follow-up", args=[patient.public_id, nausea.pk])
    owner_client.post(url, {"signs": ["chest_pain"], "severity": "5"})
    assert SymptomEntry.objects.count() == 1


def test_a_diary_with_infusions_and_warnings_can_be_deleted(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="chest_pain", severity=5)
    from django.db import transaction

    with transaction.atomic():
        patient.delete()
    assert not RedFlagEvent.objects.exists() and not SymptomEntry.all_objects.exists()


def test_moving_an_infusion_away_withdraws_its_warning(patient, owner, owner_client):
    infusion = InfusionFactory(patient=patient, date=dt.date(2026, 11, 20))
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 23, 8))
    log(patient, owner, symptom="vomiting", severity=5, onset=local(2026, 11, 23, 8))
    assert open_rules(patient) == ["aseptic_meningitis"]
    data = infusion_data(date="2026-10-01")
    data["lots-TOTAL_FORMS"] = "0"
    response = owner_client.post(
        reverse("infusions:edit", args=[patient.public_id, infusion.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert open_rules(patient) == []


def test_editing_an_infusion_does_not_repeat_a_reaction_warning_dealt_with(patient, owner_client):
    data = infusion_data(
        **{
            "reactions-TOTAL_FORMS": "1",
            "reactions-0-symptom": "blue_lips",
            "reactions-0-severity": "5",
            "reactions-0-action": "stopped",
            "reactions-0-minutes_from_start": "30",
        }
    )
    owner_client.post(reverse("infusions:log", args=[patient.public_id]), data)
    RedFlagEvent.objects.update(handled_at=NOW, handled_how="checked")
    infusion = Infusion.objects.get()
    reaction = infusion.reactions.get()
    edit = data | {
        "start_time": "08:00",
        "lots-TOTAL_FORMS": "1",
        "lots-INITIAL_FORMS": "1",
        "lots-0-id": str(infusion.lots.get().pk),
        "reactions-INITIAL_FORMS": "1",
        "reactions-0-id": str(reaction.pk),
    }
    response = owner_client.post(
        reverse("infusions:edit", args=[patient.public_id, infusion.pk]), edit
    )
    assert response.status_code == 302
    assert RedFlagEvent.objects.count() == 1 and open_rules(patient) == []


def test_typed_words_needing_two_answers_ask_both(patient, owner_client):
    data = {"symptom": "other", "custom_symptom": "leg pain, swollen", "severity": "4"}
    first = owner_client.post(quick_url(patient), data).content.decode()
    assert "Is it one leg or arm" in first
    second = owner_client.post(quick_url(patient), data | {"detail": ["limb_no"]})
    body = second.content.decode()
    assert "Where is the swelling?" in body and 'name="detail" value="limb_no"' in body
    owner_client.post(quick_url(patient), data | {"detail": ["limb_no", "face_throat"]})
    assert sorted(SymptomEntry.objects.values_list("symptom", flat=True)) == [
        "face_throat_swelling",
        "muscle_aches",
    ]
    assert open_rules(patient) == ["trali_anaphylaxis"]


def test_a_reading_is_never_before_its_episode_began(patient, owner, owner_client):
    entry = log(patient, owner, symptom="headache", severity=3, onset=local(2026, 11, 23, 9))
    owner_client.post(
        quick_url(patient),
        {"symptom": "headache", "severity": "6", "episode": "same", "when": "night"},
    )
    assert entry.readings.get().at == local(2026, 11, 23, 9)


def test_without_a_number_set_the_call_button_uses_the_countrys(patient, owner, owner_client):
    patient.country = "US"
    patient.save()
    log(patient, owner, symptom="chest_pain", severity=5)
    body = owner_client.get(today_url(patient)).content.decode()
    assert 'href="tel:911"' in body and "usual emergency number" in body
    assert "Add your care team" in body


def test_a_worse_reading_shows_on_the_entry(patient, owner, owner_client):
    entry = log(patient, owner, symptom="fatigue", severity=3, onset=local(2026, 11, 23, 8))
    entries.add_reading(entry, 6, local(2026, 11, 23, 11), owner)
    body = owner_client.get(today_url(patient)).content.decode()
    assert "worst 6" in body


def test_a_question_before_saving_comes_first_and_says_nothing_is_saved(patient, owner_client):
    body = owner_client.post(
        quick_url(patient), {"symptom": "swelling", "severity": "4"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Not saved yet" in body
    assert body.index("Where is the swelling?") < body.index('id="qs-headache"')


def test_a_warning_dealt_with_is_retimed_when_that_morning_s_infusion_is_logged(patient, owner):
    """Chest pain at 10:30 warns at once, someone marks it checked, then the infusion of 8:00-
    10:00 that morning is logged: the warning (and the report) say 0.5 h after an infusion,
    not the week since the one before; its signs and what was done stay as they were."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 15))
    log(patient, owner, symptom="chest_pain", severity=6, onset=local(2026, 11, 23, 10, 30))
    event = RedFlagEvent.objects.get(patient=patient)
    assert event.hours_since_infusion > 7 * 24
    event.handled_at, event.handled_how, event.handled_by = NOW, "checked", owner
    event.save()
    signs = event.signs

    morning = InfusionFactory(
        patient=patient,
        date=dt.date(2026, 11, 23),
        start_time=dt.time(8),
        end_time=dt.time(10),
    )

    event.refresh_from_db()
    assert event.hours_since_infusion == pytest.approx(0.5)
    assert event.infusion == morning
    assert (event.handled_how, event.handled_by, event.signs) == ("checked", owner, signs)
    assert RedFlagEvent.objects.filter(patient=patient).count() == 1  # no second warning
