"""Dates typed into the report's date boxes choose "Dates I choose" even when its button was
not ticked: a tester typed September, pressed "Show the report" and got the last 3 months
again, without a word. Dates left as they were shown keep the period ticked."""

from __future__ import annotations

import re

from reports.models import ReportPreference

from .test_report_page import (  # noqa: F401
    _frozen_time,
    diary,
    named,
    text_of,
    url,
)


def _shown(page: str) -> dict:
    """The hidden "shown" period and dates of the choice form, as the page sent them."""
    return dict(re.findall(r'name="(shown_period|shown_from|shown_to)" value="([^"]*)"', page))


def test_typed_dates_choose_the_dates_typed(
    diary,  # noqa: F811
    owner_client,
):
    page = owner_client.get(url(diary)).content.decode()
    shown = _shown(page)
    # No report made yet: "since the last report" shows the last 3 months.
    assert shown == {
        "shown_period": "since_last",
        "shown_from": "2026-08-24",
        "shown_to": "2026-11-23",
    }
    # That period stays ticked; September is typed over the dates shown.
    answer = owner_client.post(
        url(diary),
        {"period": "since_last", "custom_from": "2026-09-01", "custom_to": "2026-09-30", **shown},
    )
    assert answer.status_code == 302
    saved = ReportPreference.objects.get(patient=diary)
    assert (saved.period, saved.custom_from.isoformat()) == ("custom", "2026-09-01")
    assert "1 Sep 2026 – 30 Sep 2026" in text_of(owner_client.get(url(diary)))


def test_only_the_last_day_typed_counts_too(
    diary,  # noqa: F811
    owner_client,
):
    shown = _shown(owner_client.get(url(diary)).content.decode())
    owner_client.post(
        url(diary),
        {"period": "since_last", "custom_from": "2026-08-24", "custom_to": "2026-10-31", **shown},
    )
    assert "24 Aug 2026 – 31 Oct 2026" in text_of(owner_client.get(url(diary)))


def test_dates_left_as_shown_keep_the_period_ticked(
    diary,  # noqa: F811
    owner_client,
):
    shown = _shown(owner_client.get(url(diary)).content.decode())
    owner_client.post(
        url(diary),
        {"period": "6m", "custom_from": "2026-08-24", "custom_to": "2026-11-23", **shown},
    )
    assert ReportPreference.objects.get(patient=diary).period == "6m"
    assert "24 May 2026 – 23 Nov 2026" in text_of(owner_client.get(url(diary)))


def test_a_bad_date_typed_says_so_next_to_it(
    diary,  # noqa: F811
    owner_client,
):
    shown = _shown(owner_client.get(url(diary)).content.decode())
    answer = owner_client.post(
        url(diary),
        {"period": "since_last", "custom_from": "2026-10-01", "custom_to": "2026-09-01", **shown},
    )
    assert answer.status_code == 200
    assert answer.context["form"].errors["custom_to"] == ["Enter a last day on or after the first."]
    assert not ReportPreference.objects.filter(patient=diary).exists()
    # What was typed stays in the boxes.
    body = answer.content.decode()
    assert 'value="2026-10-01"' in body and 'value="2026-09-01"' in body


def test_a_viewer_choosing_by_address_gets_the_same(
    diary,  # noqa: F811
    viewer_client,
):
    page = viewer_client.get(
        url(diary),
        {
            "period": "3m",
            "custom_from": "2026-09-01",
            "custom_to": "2026-09-30",
            "shown_from": "2026-08-24",
            "shown_to": "2026-11-23",
        },
    )
    assert "1 Sep 2026 – 30 Sep 2026" in text_of(page)


def test_a_period_ticked_after_dates_were_chosen_is_that_period(
    diary,  # noqa: F811
    viewer_client,
):
    """The boxes show the dates chosen; ticking "The last 6 months" then is a choice of its
    own, not dates typed (a reviewer found the old shown dates kept, forcing the dates back)."""
    first = viewer_client.get(
        url(diary), {"period": "custom", "custom_from": "2026-01-01", "custom_to": "2026-03-31"}
    )
    assert "1 Jan 2026 – 31 Mar 2026" in text_of(first)
    shown = _shown(first.content.decode())
    assert shown == {"shown_period": "custom", "shown_from": "2026-01-01", "shown_to": "2026-03-31"}
    second = viewer_client.get(
        url(diary),
        {"period": "6m", "custom_from": "2026-01-01", "custom_to": "2026-03-31", **shown},
    )
    assert "24 May 2026 – 23 Nov 2026" in text_of(second)


def test_a_date_typed_then_another_period_ticked_keeps_the_period_ticked(
    diary,  # noqa: F811
    owner_client,
):
    shown = _shown(owner_client.get(url(diary)).content.decode())
    owner_client.post(
        url(diary),
        {"period": "6m", "custom_from": "2026-09-01", "custom_to": "2026-11-23", **shown},
    )
    assert ReportPreference.objects.get(patient=diary).period == "6m"


def test_after_a_refused_choice_the_form_shows_what_was_typed_as_shown(
    diary,  # noqa: F811
    owner_client,
):
    shown = _shown(owner_client.get(url(diary)).content.decode())
    refused = owner_client.post(
        url(diary),
        {"period": "custom", "custom_from": "2026-10-01", "custom_to": "2026-09-01", **shown},
    )
    again = _shown(refused.content.decode())
    assert again == {"shown_period": "custom", "shown_from": "2026-10-01", "shown_to": "2026-09-01"}
    owner_client.post(
        url(diary),
        {"period": "12m", "custom_from": "2026-10-01", "custom_to": "2026-09-01", **again},
    )
    assert ReportPreference.objects.get(patient=diary).period == "12m"
