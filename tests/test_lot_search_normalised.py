"""The lot search ignores case, spaces, dashes and other separators, on both sides.

A recall notice, the vial's label and what was typed into the diary need not agree on how a lot
number is spaced ("AB-12 345", "ab12345"): a "No" because of a space is a false all-clear. The
search stays a "contains" search, and only ever looks at this diary.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from infusions.models import InfusionLot
from infusions.views import lot_key
from patients.models import ChangeRecord

from .factories import InfusionFactory, PatientFactory
from .test_infusion_history import edit_data, form_data

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
NO = "No: no infusion in this diary has a lot matching"


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, patient, *args):
    return reverse(f"infusions:{name}", args=[patient.public_id, *args])


def search(client, patient, query):
    return client.get(url("lot-search", patient), {"q": query})


def given(patient, number, **infusion):
    """A lot stored as it is, without the form's clean-up (old or imported rows)."""
    return InfusionLot.objects.create(
        infusion=InfusionFactory(patient=patient, **infusion), lot_number=number
    )


def log(client, patient, number):
    """An infusion logged through the form, with one lot typed as ``number``."""
    response = client.post(url("log", patient), form_data(**{"lots-0-lot_number": number}))
    assert response.status_code == 302, response.context["form"].errors
    return InfusionLot.objects.get(lot_number=number.strip().upper()).infusion


def test_the_reported_case_a_lot_given_today_is_found_with_a_space(patient, owner_client):
    log(owner_client, patient, "AB12345")
    response = search(owner_client, patient, "ab 12345")
    page = response.content.decode()
    assert response.context["found"] == 1
    assert "Yes: lot “ab 12345” matches 1 record." in page
    assert NO not in page


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("AB-12 345", "ab12345"),
        ("AB-12 345", "AB12345"),
        ("AB12345", "ab-12 345"),
        ("AB12345", "AB 12-345"),
        ("AB-12 345", "ab 12-345"),
        ("ab-12 345", "AB12345"),  # a stored number in lower case
        ("AB.12/345", "ab-12 345"),  # dots and slashes
        ("AB_12345", "ab12345"),
        ("AB\u201312\u00a0345", "ab-12 345"),  # an en dash and a no-break space (a copied PDF)
        ("AB-12 345", "ab\u201112345"),  # a non-breaking hyphen typed or pasted
    ],
)
def test_separators_and_case_are_ignored_on_both_sides(patient, owner_client, stored, query):
    given(patient, stored)
    response = search(owner_client, patient, query)
    assert response.context["found"] == 1, (stored, query)
    assert [lot.lot_number for lot in response.context["lots"]] == [stored]


def test_a_lot_typed_with_separators_is_kept_as_typed_and_found_without(patient, owner_client):
    infusion = log(owner_client, patient, " ab-12 345 ")
    lot = infusion.lots.get()
    assert lot.lot_number == "AB-12 345"  # what the vial says, only upper-cased and trimmed
    page = search(owner_client, patient, "ab12345").content.decode()
    assert "matches 1 record" in page and "AB-12 345" in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("12 3", True),  # any part of the number, as before
        ("b1", True),
        ("2-345", True),
        ("AB-12 345", True),
        ("ab12346", False),
        ("ab 12 345 6", False),
        ("ba12", False),
    ],
)
def test_the_search_still_matches_any_part(patient, owner_client, query, found):
    given(patient, "AB-12 345")
    response = search(owner_client, patient, query)
    assert bool(response.context["found"]) is found, query
    assert (NO in response.content.decode()) is not found


def test_another_diarys_lot_never_matches(patient, owner_client):
    other = PatientFactory(name="Other")
    given(other, "AB-12 345")
    given(other, "AB12345")
    # And one an edit took off another diary's infusion.
    theirs = InfusionFactory(patient=other)
    ChangeRecord.objects.create(
        patient=other,
        model="infusions.infusion",
        object_id=theirs.pk,
        action="updated",
        before={"date": "2026-11-02", "lots": [{"id": 1, "lot_number": "AB 12-345"}]},
        after={"date": "2026-11-02", "lots": []},
    )
    given(patient, "CD-99 999")
    for query in ["ab12345", "AB-12 345", "ab 12 345", "12345"]:
        response = search(owner_client, patient, query)
        assert response.context["found"] == 0, query
        assert not response.context["lots"] and not response.context["removed"]
        assert NO in response.content.decode()


def test_the_search_shown_back_is_what_was_typed(patient, owner_client):
    given(patient, "AB12345")
    response = search(owner_client, patient, "  ab 12-345 ")
    page = response.content.decode()
    assert response.context["query"] == "ab 12-345"
    assert 'value="ab 12-345"' in page
    assert "Yes: lot “ab 12-345” matches 1 record." in page
    none = search(owner_client, patient, "zz-9 9")
    assert none.context["query"] == "zz-9 9"
    assert f"{NO} “zz-9 9”." in none.content.decode()


def test_a_deleted_infusions_lot_is_found_with_other_separators(patient, owner_client):
    infusion = log(owner_client, patient, "AB-12 345")
    owner_client.post(url("delete", patient, infusion.pk))
    page = search(owner_client, patient, "ab12345").content.decode()
    assert "matches 1 record" in page and "infusion deleted" in page
    assert url("restore", patient, infusion.pk) in page


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("AB-12 345", "ab12345"),
        ("AB12345", "ab 12-345"),
        ("AB\u201312 345", "AB-12345"),  # an en dash: JSON keeps it escaped on SQLite
        ("AB.12/345", "b12345"),
    ],
)
def test_a_lot_an_edit_took_away_is_a_maybe_with_other_separators(
    patient, owner_client, typed, query
):
    infusion = log(owner_client, patient, typed)
    data = edit_data(infusion, **{"lots-0-lot_number": "XY999"})  # a wrong lot corrected
    assert owner_client.post(url("edit", patient, infusion.pk), data).status_code == 302
    response = search(owner_client, patient, query)
    page = response.content.decode()
    assert not response.context["lots"]
    assert [lot.lot_number for lot in response.context["removed"]] == [typed]
    assert f"Maybe: a lot matching “{escape(query)}” was entered for an infusion" in page
    assert NO not in page


def test_a_lot_put_back_with_other_separators_is_not_a_maybe_twice(patient, owner_client):
    infusion = log(owner_client, patient, "AB-12 345")
    removed = edit_data(infusion, **{"lots-0-DELETE": "on"})
    assert owner_client.post(url("edit", patient, infusion.pk), removed).status_code == 302
    infusion.refresh_from_db()
    back = edit_data(infusion, **{"lots-TOTAL_FORMS": "1", "lots-0-lot_number": "AB-12 345"})
    assert owner_client.post(url("edit", patient, infusion.pk), back).status_code == 302
    response = search(owner_client, patient, "ab12345")
    assert response.context["found"] == 1 and not response.context["removed"]


def test_a_search_of_separators_only_answers_nothing(patient, owner_client):
    given(patient, "AB-12 345")
    for query in ["-", " / ", "--."]:
        response = search(owner_client, patient, query)
        page = response.content.decode()
        assert response.context["found"] == 0 and not response.context["query"]
        assert NO not in page and "Yes: lot" not in page and "Maybe:" not in page


def test_the_length_limit_counts_the_number_without_separators(patient, owner_client):
    number = "A1" * 20  # 40 characters: the longest a lot number can be
    given(patient, number)
    spaced = " ".join(number[i : i + 4] for i in range(0, 40, 4))  # 49 characters
    response = search(owner_client, patient, spaced)
    assert not response.context["too_long"] and response.context["found"] == 1
    too_long = search(owner_client, patient, number + "A")
    assert too_long.context["too_long"] and too_long.context["found"] == 0


def test_lot_key():
    assert lot_key(" ab-12 345 ") == "AB12345"
    assert lot_key("AB.12/345_6") == "AB123456"
    assert lot_key("ab\u201312\u00a0345") == "AB12345"
    assert lot_key("-/ .") == ""
