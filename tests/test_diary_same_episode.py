"""The full "Log a side effect" form asks "Is this the same one?" as the quick log does.

A patient who logged chills on the full form while an earlier chills entry was still going got a
second open entry of the same side effect. The form now asks the quick log's question next to the
field (keeping everything typed), and saves the answer the quick log's way: "Same one" is a timed
reading of the entry still going, "A new one" ends that entry where the new one starts. Around it:
typed words naming the same sign, one's own words, a backdated log, an entry left open for weeks,
editing, a warning sign, a caregiver, and htmx.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.forms import QuickLogForm, SymptomEntryForm
from diary.history import changes_for, describe
from diary.models import RedFlagEvent, SymptomEntry

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
# Monday 23 Nov 2026, 12:00 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
QUESTION = "Chills since Mon 09:00: still going. Is this the same one?"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def add_url(patient):
    return reverse("diary:side-effect-add", args=[patient.public_id])


def edit_url(patient, entry):
    return reverse("diary:side-effect-edit", args=[patient.public_id, entry.pk])


def today_url(patient):
    return reverse("today", args=[patient.public_id])


def log(patient, user, **fields):
    entry = SymptomEntry(
        patient=patient,
        **({"symptom": "chills", "severity": 4, "onset": local(2026, 11, 23, 9)} | fields),
    )
    entries.save(entry, user)
    return entry


def form_data(**overrides):
    """The full form as a patient fills it: chills at 11:00, still going."""
    return {
        "symptom": "chills",
        "custom_symptom": "",
        "severity": "6",
        "onset": "2026-11-23T11:00",
        "still_going": "on",
        "ended_at": "",
        "helped": "Hot water bottle",
        "notes": "Teeth chattering",
    } | overrides


def open_entries(code="chills"):
    return SymptomEntry.objects.filter(symptom=code, ended_at__isnull=True)


# --- the question --------------------------------------------------------------------------------


def test_the_full_form_asks_and_keeps_everything_typed(patient, owner, owner_client):
    log(patient, owner)
    response = owner_client.post(add_url(patient), form_data())
    body = response.content.decode()
    assert response.status_code == 200
    assert QUESTION in body
    assert 'name="episode" value="same"' in body and 'name="episode" value="new"' in body
    assert "Same one: add this to it" in body and "A new one: the other has stopped" in body
    # Asked next to the symptom, before the severity; everything typed is still there.
    assert body.index(QUESTION) < body.index('name="severity"')
    assert 'value="Hot water bottle"' in body and "Teeth chattering" in body
    assert 'value="2026-11-23T11:00"' in body
    assert 'value="6" checked' in body
    # A question, not a mistake: "Not saved yet", no red box.
    assert "Not saved yet: one more tap" in body
    assert "Please check the fields marked below" not in body
    assert SymptomEntry.objects.count() == 1


def test_same_one_adds_a_reading_to_the_entry_still_going(patient, owner, owner_client):
    first = log(patient, owner)
    response = owner_client.post(add_url(patient), form_data(episode="same"))
    assert response.status_code == 302
    assert response["Location"] == f"{today_url(patient)}?saved={first.pk}"
    assert SymptomEntry.objects.count() == 1
    first.refresh_from_db()
    assert list(first.readings.values_list("severity", "at")) == [(6, local(2026, 11, 23, 11))]
    assert (first.severity, first.peak_severity, first.ended_at) == (4, 6, None)
    # What helped and the notes typed on the form are kept, on the entry they belong to.
    assert (first.helped, first.notes) == ("Hot water bottle", "Teeth chattering")
    page = owner_client.get(response["Location"]).content.decode()
    assert "Added to the same Chills (since Mon 09:00): now 6 (moderate), worst so far 6." in page


def test_same_one_keeps_what_the_entry_already_says(patient, owner, owner_client):
    first = log(patient, owner, helped="Blanket", notes="Started after lunch")
    owner_client.post(add_url(patient), form_data(episode="same"))
    first.refresh_from_db()
    assert first.helped == "Blanket; Hot water bottle"
    assert first.notes == "Started after lunch\nTeeth chattering"
    # Sent again (a second tap), nothing is added twice.
    owner_client.post(add_url(patient), form_data(episode="same", onset="2026-11-23T11:30"))
    first.refresh_from_db()
    assert first.helped == "Blanket; Hot water bottle"
    assert first.readings.count() == 2


def test_same_one_refuses_notes_that_no_longer_fit(patient, owner, owner_client):
    first = log(patient, owner, helped="x" * 190)
    response = owner_client.post(add_url(patient), form_data(episode="same"))
    assert response.status_code == 200
    assert "keep it to 8 characters" in response.context["form"].errors["helped"][0]
    assert not first.readings.exists()


def test_same_one_with_an_end_ends_that_episode(patient, owner, owner_client):
    first = log(patient, owner)
    data = form_data(episode="same", still_going="", ended_at="2026-11-23T11:45")
    assert owner_client.post(add_url(patient), data).status_code == 302
    first.refresh_from_db()
    assert first.ended_at == local(2026, 11, 23, 11, 45)
    assert first.readings.get().at == local(2026, 11, 23, 11)
    assert not open_entries().exists() and SymptomEntry.objects.count() == 1
    # The history says both: the later severity, then the end.
    changes = describe(first, changes_for(first), patient)
    said = [line for change in changes for line in change.lines]
    assert any(line.startswith("Later severity 6 (moderate) at 11:00") for line in said), said
    assert any(line.startswith("Ended: still going →") for line in said), said
    page = owner_client.get(f"{today_url(patient)}?saved={first.pk}").content.decode()
    assert (
        "Added to the same Chills (since Mon 09:00): 6 (moderate), worst 6, ended Mon 11:45."
        in page
    )


def test_same_one_cannot_end_before_a_later_severity(patient, owner, owner_client):
    first = log(patient, owner)
    entries.add_reading(first, 5, local(2026, 11, 23, 11, 50), owner)
    data = form_data(episode="same", still_going="", ended_at="2026-11-23T11:30")
    response = owner_client.post(add_url(patient), data)
    assert response.status_code == 200
    error = response.context["form"].errors["ended_at"][0]
    assert "A later severity was noted at Mon 23 Nov 11:50" in error
    assert 'value="Hot water bottle"' in response.content.decode()
    first.refresh_from_db()
    assert first.ended_at is None and first.readings.count() == 1


def test_a_new_one_ends_the_old_where_the_new_one_starts(patient, owner, owner_client):
    first = log(patient, owner)
    response = owner_client.post(add_url(patient), form_data(episode="new"))
    new = open_entries().get()
    assert response["Location"] == f"{today_url(patient)}?saved={new.pk}"
    first.refresh_from_db()
    assert first.ended_at == local(2026, 11, 23, 11)
    assert (new.severity, new.onset, new.helped, new.notes) == (
        6,
        local(2026, 11, 23, 11),
        "Hot water bottle",
        "Teeth chattering",
    )
    assert not first.readings.exists()


def test_a_new_one_never_starts_before_the_old_ones_later_severity(patient, owner, owner_client):
    """The old episode was noted as going at 11:30: a new one from 11:00 would overlap it, so
    it is refused next to the start (not ended at 11:30 with both logged for 11:00-11:30)."""
    first = log(patient, owner)
    entries.add_reading(first, 5, local(2026, 11, 23, 11, 30), owner)
    response = owner_client.post(add_url(patient), form_data(episode="new"))
    assert response.status_code == 200
    assert "was still going at Mon 11:30" in response.context["form"].errors["onset"][0]
    assert 'name="episode" value="same"' in response.content.decode()
    first.refresh_from_db()
    assert first.ended_at is None and SymptomEntry.objects.count() == 1
    owner_client.post(add_url(patient), form_data(episode="new", onset="2026-11-23T11:45"))
    first.refresh_from_db()
    assert first.ended_at == local(2026, 11, 23, 11, 45)


def test_the_quick_log_follows_the_same_rule(patient, owner, owner_client):
    first = log(patient, owner)
    entries.add_reading(first, 5, local(2026, 11, 23, 10), owner)
    quick = reverse("diary:quick-log", args=[patient.public_id])
    owner_client.post(quick, {"symptom": "chills", "severity": "6", "when": "morning"})
    assert SymptomEntry.objects.count() == 1  # asked first
    response = owner_client.post(
        quick, {"symptom": "chills", "severity": "6", "when": "morning", "episode": "new"}
    )
    body = response.content.decode()
    assert 'id="qs-when-error"' in body and "a new one can’t start before that" in body
    # The question is asked again, not left as an error alone; "A new one" cannot be saved
    # for a start before 10:00, so it is not offered again (browser pass).
    assert 'name="episode" value="same"' in body and 'name="episode" value="new"' not in body
    assert "Chills since Mon 09:00: still going. Is this the same one?" in body
    # Why, beside the buttons too: on a phone the start's own message is below the fold.
    pending = body[body.index("Not saved yet") : body.index('name="episode" value="same"')]
    assert 'role="alert">Chills was still going at Mon 10:00' in pending
    first.refresh_from_db()
    assert first.ended_at is None and SymptomEntry.objects.count() == 1
    owner_client.post(quick, {"symptom": "chills", "severity": "6", "episode": "new"})  # now
    first.refresh_from_db()
    assert first.ended_at == NOW


def test_both_forms_ask_through_one_mixin():
    """One question, one lookup, one way to save: the two paths cannot drift apart."""
    from diary.forms import SameEpisodeMixin

    assert issubclass(QuickLogForm, SameEpisodeMixin)
    assert issubclass(SymptomEntryForm, SameEpisodeMixin)
    assert "ask_same_episode" not in vars(QuickLogForm)
    assert "ask_same_episode" not in vars(SymptomEntryForm)


# --- which side effect is "the same" -------------------------------------------------------------


def test_words_that_name_the_same_sign_ask_too(patient, owner, owner_client):
    first = log(patient, owner)
    data = form_data(symptom="other", custom_symptom="shivering")
    assert QUESTION in owner_client.post(add_url(patient), data).content.decode()
    owner_client.post(add_url(patient), data | {"episode": "same"})
    assert SymptomEntry.objects.count() == 1
    assert first.readings.get().severity == 6


def test_an_entry_saved_from_words_is_found_by_its_sign(patient, owner, owner_client):
    log(patient, owner, custom_symptom="shivers")
    body = owner_client.post(add_url(patient), form_data()).content.decode()
    assert QUESTION in body


def test_ones_own_words_ask_when_they_are_the_same_words(patient, owner, owner_client):
    first = log(patient, owner, symptom="other", custom_symptom="Tingling toes")
    data = form_data(symptom="other", custom_symptom="  tingling   TOES ")
    body = owner_client.post(add_url(patient), data).content.decode()
    assert "Tingling toes since Mon 09:00: still going. Is this the same one?" in body
    owner_client.post(add_url(patient), data | {"episode": "same"})
    assert SymptomEntry.objects.count() == 1 and first.readings.count() == 1


def test_other_words_or_another_sign_ask_nothing(patient, owner, owner_client):
    log(patient, owner, symptom="other", custom_symptom="Tingling toes")
    log(patient, owner, symptom="headache")
    data = form_data(symptom="other", custom_symptom="Tingling fingers", keep_typed="on")
    assert owner_client.post(add_url(patient), data).status_code == 302
    assert owner_client.post(add_url(patient), form_data()).status_code == 302
    assert SymptomEntry.objects.count() == 4


def test_an_entry_that_has_ended_asks_nothing(patient, owner, owner_client):
    log(patient, owner, ended_at=local(2026, 11, 23, 10))
    assert owner_client.post(add_url(patient), form_data()).status_code == 302
    assert SymptomEntry.objects.count() == 2


# --- a backdated log, an entry left open for weeks ---------------------------------------------


def test_an_earlier_episode_over_before_the_open_one_began_asks_nothing(
    patient, owner, owner_client
):
    """Logged for the record: chills on Saturday evening, over by Saturday night."""
    first = log(patient, owner)
    data = form_data(onset="2026-11-21T18:00", still_going="", ended_at="2026-11-21T22:00")
    assert owner_client.post(add_url(patient), data).status_code == 302
    first.refresh_from_db()
    assert first.ended_at is None and SymptomEntry.objects.count() == 2


def test_a_backdated_same_one_moves_the_start_back(patient, owner, owner_client):
    """Chills "since Sunday 20:00, 6" while an entry says since Monday 09:00, 4: asked. "Same
    one" says it began earlier: the start moves back with the severity given for it, and the
    first one logged (4 at 09:00) becomes a later severity, in the order they were felt."""
    first = log(patient, owner)
    data = form_data(onset="2026-11-22T20:00")
    assert QUESTION in owner_client.post(add_url(patient), data).content.decode()
    owner_client.post(add_url(patient), data | {"episode": "same"})
    first.refresh_from_db()
    assert (first.onset, first.severity) == (local(2026, 11, 22, 20), 6)
    reading = first.readings.get()
    assert (reading.at, reading.severity) == (local(2026, 11, 23, 9), 4)
    assert SymptomEntry.objects.count() == 1


def test_the_quick_logs_same_one_keeps_the_start(patient, owner, owner_client):
    """On the quick log the severity is how bad it is now: "since last night" for an episode
    begun this morning keeps its start, and the reading is never before it."""
    first = log(patient, owner)
    quick = reverse("diary:quick-log", args=[patient.public_id])
    owner_client.post(
        quick, {"symptom": "chills", "severity": "6", "when": "night", "episode": "same"}
    )
    first.refresh_from_db()
    assert first.onset == local(2026, 11, 23, 9)
    assert first.readings.get().at == local(2026, 11, 23, 9)


def test_a_backdated_new_one_before_the_old_began_is_refused(patient, owner, owner_client):
    first = log(patient, owner)
    response = owner_client.post(
        add_url(patient), form_data(onset="2026-11-22T20:00", episode="new")
    )
    assert response.status_code == 200 and "onset" in response.context["form"].errors
    first.refresh_from_db()
    assert first.ended_at is None and SymptomEntry.objects.count() == 1


def test_a_backdated_start_is_not_offered_a_new_one_it_could_never_be(patient, owner, owner_client):
    """Browser pass: chills still going since Mon 09:00, the full form with a start on Sunday
    evening. "A new one: the other has stopped" was offered, then refused in words that made
    no sense for an earlier start. Now only "Same one" is offered, with why; it moves the start
    back, and the answer says since when."""
    first = log(patient, owner)
    body = owner_client.post(add_url(patient), form_data(onset="2026-11-22T20:00")).content.decode()
    assert "Chills since Mon 09:00: still going. Is this the same one?" in body
    assert 'name="episode" value="same"' in body and 'name="episode" value="new"' not in body
    assert "It can’t be a new one: a new Chills would start after Mon 09:00." in body
    # The next later start is new-able again.
    body = owner_client.post(add_url(patient), form_data(onset="2026-11-23T11:00")).content.decode()
    assert 'name="episode" value="new"' in body and "It can’t be a new one" not in body
    response = owner_client.post(
        add_url(patient), form_data(onset="2026-11-22T20:00", episode="same")
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.onset == local(2026, 11, 22, 20)
    page = owner_client.get(response["Location"]).content.decode()
    assert "Added to the same Chills (since Sun 20:00): now 4 (moderate), worst so far 6." in page


def test_an_entry_left_open_for_weeks_is_named_with_its_date(patient, owner, owner_client):
    log(patient, owner, onset=local(2026, 11, 2, 9))
    body = owner_client.post(add_url(patient), form_data()).content.decode()
    assert "Chills since Mon 2 Nov 09:00: still going. Is this the same one?" in body
    # From another year, the year too; on the quick log as on the full form.
    SymptomEntry.objects.update(onset=local(2025, 12, 30, 9))
    quick = reverse("diary:quick-log", args=[patient.public_id])
    body = owner_client.post(quick, {"symptom": "chills", "severity": "6"}).content.decode()
    assert "Chills since Tue 30 Dec 2025 09:00: still going." in body


def test_within_the_week_the_weekday_is_enough(patient, owner, owner_client):
    log(patient, owner, onset=local(2026, 11, 17, 12, 30))  # last Tuesday
    body = owner_client.post(add_url(patient), form_data()).content.decode()
    assert "Chills since Tue 12:30: still going." in body


# --- editing -------------------------------------------------------------------------------------


def test_editing_the_entry_still_going_never_asks_about_itself(patient, owner, owner_client):
    first = log(patient, owner)
    data = form_data(onset="2026-11-23T09:00", severity="5")
    response = owner_client.post(edit_url(patient, first), data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.severity, first.ended_at) == (5, None)
    assert not first.readings.exists()


def test_editing_another_entry_of_the_same_sign_asks_nothing(patient, owner, owner_client):
    """An edit corrects one entry: merging two episodes is not what it does."""
    log(patient, owner)
    older = log(patient, owner, onset=local(2026, 11, 20, 9), ended_at=local(2026, 11, 20, 12))
    data = form_data(onset="2026-11-20T09:00", still_going="", ended_at="2026-11-20T13:00")
    assert owner_client.post(edit_url(patient, older), data).status_code == 302
    older.refresh_from_db()
    assert older.ended_at == local(2026, 11, 20, 13)


# --- warning signs, caregivers, htmx --------------------------------------------------------------


@pytest.mark.parametrize("episode", ["same", "new"])
def test_a_worse_severity_still_warns_whichever_the_answer(patient, owner, owner_client, episode):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 21))
    log(patient, owner, symptom="headache", severity=5, onset=local(2026, 11, 22, 20))
    log(patient, owner, symptom="fever", severity=5, onset=local(2026, 11, 23, 8))
    data = form_data(symptom="headache", severity="8")
    body = owner_client.post(add_url(patient), data).content.decode()
    assert "Headache since Sun 20:00: still going. Is this the same one?" in body
    assert not RedFlagEvent.objects.exists()  # nothing saved yet, nothing set off
    response = owner_client.post(add_url(patient), data | {"episode": episode}, follow=True)
    page = response.content.decode()
    assert "Get medical advice now" in page
    assert 'data-fresh="true"' in page  # the new warning comes first, focused
    assert RedFlagEvent.objects.get(handled_at=None).rule == "aseptic_meningitis"
    assert open_entries("headache").count() == 1


def test_a_warning_sign_logged_again_keeps_its_warning(patient, owner, owner_client):
    log(patient, owner, symptom="chest_pain", severity=5)
    assert RedFlagEvent.objects.filter(handled_at=None).exists()
    data = form_data(symptom="chest_pain", severity="7", episode="same")
    page = owner_client.post(add_url(patient), data, follow=True).content.decode()
    assert "red-flag-alert" in page
    assert SymptomEntry.objects.get().peak_severity == 7


def test_a_caregiver_is_asked_and_their_reading_is_theirs(
    patient, owner, caregiver, caregiver_client
):
    first = log(patient, owner)
    assert QUESTION in caregiver_client.post(add_url(patient), form_data()).content.decode()
    caregiver_client.post(add_url(patient), form_data(episode="same"))
    reading = first.readings.get()
    assert reading.logged_by == caregiver
    assert SymptomEntry.objects.count() == 1


def test_with_htmx_the_question_swaps_into_the_form(patient, owner, owner_client):
    first = log(patient, owner)
    response = owner_client.post(add_url(patient), form_data(), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200  # htmx 2 swaps no 4xx answer
    assert 'id="entry-form"' in body and QUESTION in body
    assert 'data-focus-on-load="true"' in body
    response = owner_client.post(add_url(patient), form_data(episode="same"), headers=HTMX)
    assert response["HX-Redirect"] == f"{today_url(patient)}?saved={first.pk}"


def test_a_viewer_cannot_answer_the_question(patient, owner, viewer_client):
    log(patient, owner)
    response = viewer_client.post(add_url(patient), form_data(episode="same"))
    assert response.status_code == 403
    assert not SymptomEntry.objects.get().readings.exists()
