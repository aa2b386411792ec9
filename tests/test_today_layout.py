"""Logging for weak hands and tired eyes (issue 7 §4), as the server renders it.

Today: a short status above the quick log, "Something else…" in the symptom group, and words
for the caregiver ("How is Maya feeling?"). MG-ADL: instructions and citation on the form, the
total and its meaning shown once saved, without JavaScript.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from clinical import scales
from diary.models import Measure

from .factories import InfusionFactory, RegimenFactory

# Monday 23 Nov 2026, 12:00 in London.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
MGADL_ITEMS = list(scales.MGADL_ITEM_CODES)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def today_url(patient):
    return reverse("today", args=[patient.public_id])


def diary_url(name, patient, *args):
    return reverse(f"diary:{name}", args=[patient.public_id, *args])


def mgadl_data(scores, when="2026-11-23T09:00"):
    return dict(zip(MGADL_ITEMS, map(str, scores), strict=True)) | {"measured_at": when}


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


# --- Today: the quick log comes first ----------------------------------------------------------


def test_the_quick_log_follows_a_short_status_strip(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1), course_days=1)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 20))
    body = owner_client.get(today_url(patient)).content.decode()
    start = body.index('id="infusion-status"')
    status = body[start : body.index("</section>", start)]
    # Last and next infusion in one strip (no cards with headings of their own) ...
    assert "Day 3 after the infusion" in status and "Fri 20 Nov 2026" in status
    assert "Next:" in status and "Fri 18 Dec" in status
    assert "<h2" not in status and "card" not in status
    # ... and nothing else between the page heading and the quick log.
    heading_to_log = body[body.index("<h1") : body.index('id="quick-log"')]
    assert heading_to_log.count("<section") == 2  # the strip, and the quick log's own tag


def test_something_else_is_a_choice_of_the_symptom_group(patient, owner_client):
    body = owner_client.get(today_url(patient)).content.decode()
    choices = body[body.index('id="quick-log-title"') : body.index("severity-step")]
    other = re.search(r'<input type="radio"[^>]*id="qs-other"[^>]*>', choices).group(0)
    assert 'name="symptom"' in other and 'value="other"' in other
    assert 'for="qs-other"' in choices and "Something else…" in choices
    words = re.search(r'<input type="text" name="custom_symptom"[^>]*>', choices).group(0)
    assert 'maxlength="60"' in words
    assert '<label for="id_custom_symptom"' in _squash(choices)
    assert "In your own words" in choices
    # Without CSS :has the field is simply there: no hidden attribute, no inline style.
    wrapper = re.search(r'<div class="custom-symptom[^"]*"[^>]*>', choices).group(0)
    assert "hidden" not in wrapper and "style" not in wrapper


def test_words_for_something_else_are_checked_next_to_the_field(patient, owner_client):
    response = owner_client.post(
        diary_url("quick-log", patient),
        {"symptom": "other", "custom_symptom": "x" * 61, "severity": "4"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = _squash(response.content.decode())
    field = body[body.index('id="div_id_custom_symptom"') :]
    field = field[: field.index("severity-step")]
    assert "Use at most 60 characters (you typed 61)." in field
    assert 'value="' + "x" * 61 + '"' in field  # what was typed is kept
    assert re.search(r'id="qs-other"[^>]*checked', body)
    assert re.search(r'id="sev-4"[^>]*checked', body)


# --- Words for the reader: patient or caregiver ------------------------------------------------


def test_the_patient_reads_first_person_words(patient, owner_client):
    body = owner_client.get(today_url(patient)).content.decode()
    assert "How are you feeling?" in body
    assert "+ How I’m doing" in body
    assert "Question for my doctor" in body
    assert "How is Maya feeling?" not in body
    note = owner_client.get(diary_url("note-add", patient)).content.decode()
    assert re.search(r"<h1[^>]*>How I’m doing</h1>", note)
    question = owner_client.get(diary_url("question-add", patient)).content.decode()
    assert re.search(r"<h1[^>]*>Question for my doctor</h1>", question)


def test_a_caregiver_reads_words_about_the_patient(patient, owner_client, caregiver_client):
    # The owner's visit fills the cached quick-log buttons first: the caregiver gets their own.
    owner_client.get(today_url(patient))
    body = caregiver_client.get(today_url(patient)).content.decode()
    assert "How is Maya feeling?" in body
    assert "+ How Maya is doing" in body
    assert "+ Question for Maya’s doctor" in body
    for first_person in ("How are you feeling?", "How I’m doing", "my doctor"):
        assert first_person not in body, first_person
    note = caregiver_client.get(diary_url("note-add", patient)).content.decode()
    assert re.search(r"<h1[^>]*>How Maya is doing</h1>", note)
    assert "how Maya feels" in note and "how you feel" not in note
    question = caregiver_client.get(diary_url("question-add", patient)).content.decode()
    assert re.search(r"<h1[^>]*>Question for Maya’s doctor</h1>", question)
    symptom = caregiver_client.get(diary_url("side-effect-add", patient)).content.decode()
    assert "Any symptom Maya has" in symptom
    questions = caregiver_client.get(diary_url("questions", patient)).content.decode()
    assert re.search(r"<h1[^>]*>Questions for Maya’s doctor</h1>", questions)
    # And back: the owner still reads their own words.
    assert "How are you feeling?" in owner_client.get(today_url(patient)).content.decode()


# --- MG-ADL ------------------------------------------------------------------------------------


def test_the_mgadl_form_shows_instructions_citation_and_whole_row_answers(patient, owner_client):
    body = owner_client.get(diary_url("measure-add", patient, "mgadl")).content.decode()
    assert str(scales.MGADL_INSTRUCTIONS) in body
    assert scales.MGADL_CITATION in body
    # Each answer: one label wrapping its radio button, so the whole row is the target.
    rows = re.findall(r'<label class="mgadl-option"[^>]*>\s*<input type="radio"[^>]*>', body)
    assert len(rows) == len(scales.MGADL_ITEMS) * 4
    # The running total's words, for app.js: the meaning of every total, from clinical.scales.
    assert 'aria-live="polite"' in body
    assert "minimal symptom expression" in body
    assert "A change of" not in body  # no earlier score yet


def test_the_mgadl_form_says_what_change_is_meaningful_after_a_first_score(patient, owner_client):
    owner_client.post(
        diary_url("measure-add", patient, "mgadl"), mgadl_data([1] * 8, "2026-11-16T09:00")
    )
    body = owner_client.get(diary_url("measure-add", patient, "mgadl")).content.decode()
    assert "Last score: 8 on 16 Nov." in body
    assert f"A change of {scales.MEANINGFUL_CHANGE} points or more is meaningful." in body


def test_the_saved_total_and_its_meaning_show_without_javascript(patient, owner_client):
    owner_client.post(
        diary_url("measure-add", patient, "mgadl"),
        mgadl_data([1, 1, 1, 0, 1, 1, 1, 1], "2026-11-16T09:00"),
    )
    response = owner_client.post(
        diary_url("measure-add", patient, "mgadl"),
        mgadl_data([0, 0, 0, 0, 0, 0, 1, 0]),
        follow=True,
    )
    assert [m.total for m in Measure.objects.all()] == [1, 7]
    body = _squash(response.content.decode())
    assert "Latest (23 Nov): " + scales.interpret_mgadl(1) in body
    assert "minimal symptom expression (0-1)" in body
    assert "6 points lower than last time" in body  # the saved message


def test_editing_a_score_shows_its_saved_total(patient, owner_client):
    owner_client.post(diary_url("measure-add", patient, "mgadl"), mgadl_data([2] * 8))
    measure = Measure.objects.get()
    body = owner_client.get(diary_url("measure-edit", patient, measure.pk)).content.decode()
    assert "Saved score: " + scales.interpret_mgadl(16) in body
    assert re.search(r'id="id_talking_2"[^>]*checked', body)
