"""Review: follow-up answers after "Same one" are dated at the old episode's start."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary.models import SymptomEntry

LONDON = ZoneInfo("Europe/London")
MONDAY_9 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=LONDON)
THURSDAY_NOON = dt.datetime(2026, 11, 19, 12, 0, tzinfo=LONDON)


def url(name, patient, *args):
    return reverse(f"diary:{name}", args=[patient.public_id, *args])


@pytest.mark.django_db
def test_a_sign_ticked_after_same_one_starts_now_not_when_the_old_episode_began(
    patient, owner_client
):
    """A headache logged on Monday at 4 is still going; on Thursday it is 8 ("Same one"), and
    the follow-up question asks about a stiff neck. Ticking it creates a stiff-neck entry that
    began on *Monday 09:00*, three days before it was felt (diary/views.py follow_up:
    ``onset=first.onset``, where ``first`` is the episode added to). The timeline, the report
    and the cycle day show it on the wrong day, and the day's follow-up filter looks at Monday."""
    with time_machine.travel(MONDAY_9, tick=False):
        owner_client.post(url("quick-log", patient), {"symptom": "headache", "severity": "4"})
    headache = SymptomEntry.objects.get()
    with time_machine.travel(THURSDAY_NOON, tick=False):
        owner_client.post(
            url("quick-log", patient),
            {"symptom": "headache", "severity": "8", "episode": "same"},
        )
        assert SymptomEntry.objects.count() == 1  # added to the same episode
        owner_client.post(
            url("follow-up", patient, headache.pk), {"signs": ["stiff_neck"], "severity": "5"}
        )
    neck = SymptomEntry.objects.get(symptom="stiff_neck")
    assert neck.onset >= THURSDAY_NOON - dt.timedelta(hours=1), neck.onset
