"""Review: a warning sign logged a few minutes "in the future" (a phone clock ahead of the
server's, which the forms allow on purpose: FUTURE_GRACE) never warns."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from diary.models import RedFlagEvent, SymptomEntry

from .factories import InfusionFactory

# Monday 23 Nov 2026, 12:00:20 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 23, 12, 0, 20, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_chest_pain_typed_at_the_next_minute_still_warns(patient, owner_client):
    """The phone shows 12:03 while the server's clock says 12:00:20. The form accepts the start
    (diary/forms.py FUTURE_GRACE = 5 minutes, "for clocks that disagree"), but
    diary/alerts.py refresh caps the anchors at ``now`` (``anchors_to=min(until + WINDOW,
    now)``, ``until = min(until, now)``), so the reading whose start is after ``now`` is never
    an anchor: no warning, and nothing re-checks it later."""
    response = owner_client.post(
        reverse("diary:side-effect-add", args=[patient.public_id]),
        {
            "symptom": "chest_pain",
            "severity": "6",
            "onset": "2026-11-23T12:03",
            "still_going": "on",
        },
    )
    assert response.status_code == 302
    entry = SymptomEntry.objects.get()
    assert RedFlagEvent.objects.filter(rule="thrombosis").exists()
    assert entry.red_flags == ["thrombosis"]


def test_a_reaction_logged_a_few_minutes_ahead_during_an_infusion_still_warns(
    patient, owner, owner_client
):
    """Same cause for reactions during an infusion: logged at 12:00 while the infusion is
    running, "trouble breathing at about 125 min" from a 10:00 start (12:05) never warns."""
    from infusions.models import Infusion, InfusionReaction
    from infusions.signals import infusion_recorded

    infusion = InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 23), start_time=dt.time(10, 0), end_time=None
    )
    InfusionReaction.objects.create(
        infusion=infusion, symptom="trouble_breathing", severity=6, minutes_from_start=125
    )
    infusion_recorded.send(sender=Infusion, patient=patient, infusion=infusion, deleted=False)
    assert RedFlagEvent.objects.filter(rule="trali_anaphylaxis").exists()
