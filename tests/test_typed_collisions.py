"""Review 2: everyday words that ``clinical.symptoms._together`` now reads as the stroke sign
(one-sided weakness or numbness: the thrombosis rule, an emergency on its own).

Any weak/numb word with "left" or "right" anywhere in the clause counts, so "right now",
"right after" and "left (the hospital)" turn ordinary weakness, common in CIDP and myasthenia,
into "call emergency services". None of these were read as a warning sign before the change.
"""

import pytest

from clinical import symptoms


@pytest.mark.parametrize(
    "typed",
    [
        "feeling weak right now",
        "weak and tired right now",
        "numb right now",
        "felt weak right after the infusion",
        "weak since I left the hospital",
        "all right but weak",
    ],
)
def test_a_time_word_is_not_a_side(typed):
    assert "one_sided_weakness" not in symptoms.recognise(typed).codes


@pytest.mark.parametrize(
    "typed",
    ["my right arm is weak", "numb left side", "weakness down the left", "left arm numb"],
)
def test_a_side_still_is(typed):
    """What the change was for, kept."""
    assert "one_sided_weakness" in symptoms.recognise(typed).codes


@pytest.mark.parametrize("typed", ["a bit sleepy", "sleepy after the infusion"])
def test_plain_sleepiness_is_not_unusual_drowsiness(typed):
    """The synonym "very sleepy" loses "very" (a filler) and becomes "sleepy": a little
    sleepiness, common after an infusion, is saved as "Unusual drowsiness" (a meningitis
    sign) and answered with the safety net's "call emergency services" line."""
    assert "drowsiness" not in symptoms.recognise(typed).codes


def test_weak_right_now_on_the_quick_log_sets_off_no_stroke_warning(patient, owner_client):
    import datetime as dt

    import time_machine
    from django.urls import reverse

    from diary.models import RedFlagEvent, SymptomEntry

    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC), tick=False):
        owner_client.post(
            reverse("diary:quick-log", args=[patient.public_id]),
            {"symptom": "other", "custom_symptom": "feeling weak right now", "severity": "5"},
            headers={"HX-Request": "true"},
        )
    assert not SymptomEntry.objects.filter(symptom="one_sided_weakness").exists()
    assert not RedFlagEvent.objects.exists(), "an emergency (clot/stroke) warning for 'right now'"
