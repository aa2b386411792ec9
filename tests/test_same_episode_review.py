"""What a review of the full form's "Same one?" found next to the cases it was built for."""

import pytest
from django.urls import reverse

from diary import entries
from diary.models import SymptomEntry

from .test_diary_same_episode import _frozen_time, add_url, local, log  # noqa: F401 (fixture)
from .test_diary_same_episode import form_data as filled_in


def quick_url(patient):
    return reverse("diary:quick-log", args=[patient.public_id])


def form_data(**changes):
    """The full form with nothing typed in "What helped" or the notes."""
    return filled_in(helped="", notes="") | changes


def still_going(code):
    return SymptomEntry.objects.filter(symptom=code, ended_at__isnull=True)


# --- several signs typed at once ----------------------------------------------------------------


def test_several_signs_typed_with_one_still_going_asks_about_that_one(patient, owner, owner_client):
    log(patient, owner)
    typed = form_data(symptom="other", custom_symptom="chills and headache")
    response = owner_client.post(add_url(patient), typed)
    assert response.status_code == 200
    assert "Chills since" in response.content.decode()
    assert SymptomEntry.objects.count() == 1  # nothing saved before the answer


def test_same_one_for_one_of_several_signs_adds_a_reading_and_saves_the_others(
    patient, owner, owner_client
):
    chills = log(patient, owner)
    typed = form_data(symptom="other", custom_symptom="chills and headache", episode="same")
    assert owner_client.post(add_url(patient), typed).status_code == 302
    assert still_going("chills").get() == chills
    assert [r.severity for r in chills.readings.all()] == [6]
    assert still_going("headache").get().severity == 6


def test_a_new_one_for_one_of_several_signs_ends_the_old_and_saves_all(
    patient, owner, owner_client
):
    chills = log(patient, owner)
    typed = form_data(symptom="other", custom_symptom="chills and headache", episode="new")
    assert owner_client.post(add_url(patient), typed).status_code == 302
    chills.refresh_from_db()
    assert chills.ended_at == local(2026, 11, 23, 11)
    assert still_going("chills").count() == 1 and still_going("chills").get() != chills
    assert still_going("headache").count() == 1


def test_several_signs_all_still_going_are_logged_one_at_a_time(patient, owner, owner_client):
    log(patient, owner)
    log(patient, owner, symptom="headache")
    typed = form_data(symptom="other", custom_symptom="chills and headache", episode="same")
    response = owner_client.post(add_url(patient), typed)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Log them one at a time" in errors["custom_symptom"][0]
    assert 'value="chills and headache"' in response.content.decode()  # what was typed stays
    assert SymptomEntry.objects.count() == 2
    assert not any(e.readings.exists() for e in SymptomEntry.objects.all())


def test_the_quick_log_asks_the_same_way_for_several_typed_signs(patient, owner, owner_client):
    chills = log(patient, owner)
    typed = {"symptom": "other", "custom_symptom": "chills and headache", "severity": "5"}
    response = owner_client.post(quick_url(patient), typed)
    # The headache needs no answer: saved at once; the question is about the chills alone
    # (test_quick_log_others_first.py), and its answer carries the chills alone.
    assert response.status_code == 200 and SymptomEntry.objects.count() == 2
    answer = {"symptom": "chills", "severity": "5", "episode": "same"}
    owner_client.post(quick_url(patient), answer)
    assert [r.severity for r in chills.readings.all()] == [5]
    assert still_going("headache").count() == 1 and still_going("chills").count() == 1


# --- a detail tells two signs apart ---------------------------------------------------------------


def test_swelling_all_over_is_not_the_same_as_swelling_of_the_legs(patient, owner, owner_client):
    legs = log(patient, owner, symptom="swelling", detail="legs")
    data = form_data(symptom="swelling", detail="all_over")
    assert owner_client.post(add_url(patient), data).status_code == 302
    legs.refresh_from_db()
    assert legs.ended_at is None and not legs.readings.exists()
    assert set(still_going("swelling").values_list("detail", flat=True)) == {"legs", "all_over"}


def test_swelling_of_the_legs_again_asks_about_the_legs(patient, owner, owner_client):
    log(patient, owner, symptom="swelling", detail="all_over")
    legs = log(patient, owner, symptom="swelling", detail="legs", onset=local(2026, 11, 23, 8))
    data = form_data(symptom="swelling", detail="legs", episode="same")
    assert owner_client.post(add_url(patient), data).status_code == 302
    assert [r.severity for r in legs.readings.all()] == [6]


# --- a second tap adds nothing twice --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("notes", "Teeth chattering\r\nthen sweats"),
        ("notes", "Teeth chattering\nthen sweats"),
        ("helped", "Paracetamol; rest"),
        ("helped", "Paracetamol"),
    ],
)
def test_a_second_same_one_adds_the_words_once(patient, owner, owner_client, field, typed):
    first = log(patient, owner, helped="Blanket", notes="Started after lunch")
    owner_client.post(add_url(patient), form_data(episode="same", **{field: typed}))
    first.refresh_from_db()
    once = getattr(first, field)
    assert once.endswith(typed.replace("\r\n", "\n"))
    again = form_data(episode="same", onset="2026-11-23T11:30", **{field: typed})
    owner_client.post(add_url(patient), again)
    first.refresh_from_db()
    assert first.readings.count() == 2
    assert getattr(first, field) == once


def test_words_that_only_begin_like_what_is_kept_are_added(patient, owner, owner_client):
    first = log(patient, owner, helped="Paracetamol; rest")
    owner_client.post(add_url(patient), form_data(episode="same", helped="Paracetamol"))
    first.refresh_from_db()
    assert first.helped == "Paracetamol; rest"  # already one of its parts
    owner_client.post(add_url(patient), form_data(episode="same", helped="rest in bed"))
    first.refresh_from_db()
    assert first.helped == "Paracetamol; rest; rest in bed"


# --- an answer that is neither --------------------------------------------------------------------


@pytest.mark.parametrize("episode", ["bogus", "SAME", "x" * 500])
def test_an_odd_answer_with_nothing_still_going_saves(patient, owner_client, episode):
    response = owner_client.post(add_url(patient), form_data(episode=episode))
    assert response.status_code == 302
    assert SymptomEntry.objects.count() == 1


@pytest.mark.parametrize("episode", ["bogus", "SAME"])
def test_an_odd_answer_with_something_still_going_asks_the_question(
    patient, owner, owner_client, episode
):
    log(patient, owner)
    for url, data in (
        (add_url(patient), form_data(episode=episode)),
        (quick_url(patient), {"symptom": "chills", "severity": "6", "episode": episode}),
    ):
        response = owner_client.post(url, data)
        assert response.status_code == 200
        assert "Is this the same one?" in response.content.decode()
    assert SymptomEntry.objects.count() == 1


def test_the_edit_form_has_no_same_one_question_and_ignores_an_answer(patient, owner, owner_client):
    entry = log(patient, owner)
    log(patient, owner, onset=local(2026, 11, 23, 10))  # another chills still going
    url = reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])
    assert 'name="episode"' not in owner_client.get(url).content.decode()
    data = form_data(episode="bogus", severity="7", onset="2026-11-23T09:00")
    assert owner_client.post(url, data).status_code == 302
    entry.refresh_from_db()
    assert entry.severity == 7


# --- the edit form's hint in the diary's zone -----------------------------------------------------


def test_the_later_readings_hint_uses_the_zone_the_form_shows(patient, owner, owner_client):
    entry = log(patient, owner)  # 09:00 in London
    entries.add_reading(entry, 7, local(2026, 11, 23, 10), owner)
    patient.time_zone = "America/New_York"
    patient.save()
    url = reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])
    body = owner_client.get(url).content.decode()
    assert 'value="2026-11-23T04:00"' in body  # the start, in New York
    assert "Later: 7 at 05:00." in body


def test_an_edit_cannot_move_the_start_after_a_later_severity(patient, owner, owner_client):
    entry = log(patient, owner)  # 09:00
    entries.add_reading(entry, 7, local(2026, 11, 23, 10), owner)
    url = reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])
    response = owner_client.post(url, form_data(onset="2026-11-23T10:30", severity="4"))
    assert response.status_code == 200
    assert "the start can’t be after it" in response.context["form"].errors["onset"][0]
    assert 'value="2026-11-23T10:30"' in response.content.decode()  # what was typed stays
    entry.refresh_from_db()
    assert entry.onset == local(2026, 11, 23, 9)
    # At the reading itself, or earlier, is fine.
    response = owner_client.post(url, form_data(onset="2026-11-23T10:00", severity="4"))
    assert response.status_code == 302


# --- an end typed with "Still going" ticked -----------------------------------------------------


def test_an_end_typed_with_still_going_ticked_is_not_dropped(patient, owner_client):
    data = form_data(symptom="dizziness", onset="2026-11-23T09:30", ended_at="2026-11-23T10:30")
    response = owner_client.post(add_url(patient), data)  # "Still going" left ticked
    assert response.status_code == 200
    assert "Untick “Still going”" in response.context["form"].errors["ended_at"][0]
    assert 'value="2026-11-23T10:30"' in response.content.decode()
    assert not SymptomEntry.objects.exists()
    data["still_going"] = ""
    assert owner_client.post(add_url(patient), data).status_code == 302
    assert SymptomEntry.objects.get().ended_at == local(2026, 11, 23, 10, 30)


def test_ticking_still_going_on_an_ended_entry_reopens_it(patient, owner, owner_client):
    entry = log(patient, owner, ended_at=local(2026, 11, 23, 10))
    url = reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])
    # The form shows the stored end; ticking "Still going" with it unchanged reopens.
    data = form_data(onset="2026-11-23T09:00", severity="4", ended_at="2026-11-23T10:00")
    assert owner_client.post(url, data).status_code == 302
    entry.refresh_from_db()
    assert entry.ended_at is None
    # A new end typed with the box ticked is a contradiction: asked, not guessed.
    data = form_data(onset="2026-11-23T09:00", severity="4", ended_at="2026-11-23T11:00")
    response = owner_client.post(url, data)
    assert response.status_code == 200 and "ended_at" in response.context["form"].errors


def test_the_question_about_ones_own_words_begins_with_a_capital(patient, owner, owner_client):
    log(patient, owner, symptom="other", custom_symptom="tingly toes")
    data = form_data(symptom="other", custom_symptom="tingly toes")
    body = owner_client.post(add_url(patient), data).content.decode()
    assert "Tingly toes since Mon 09:00: still going. Is this the same one?" in body
