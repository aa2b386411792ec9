"""Guards from the review of bddbb6f ("signs of one rule felt at the same time make one
warning", reverted): merging by felt spans reached further than the signs felt together.

1. A new chest pain the next day, 24.5 h after the first one ended, is folded into a warning
   already dealt with through a leg pain still going (updated that evening): no new warning.
   Before bddbb6f it made a new one.
2. A drooping face logged after a chest-pain warning was dealt with makes a new warning that
   carries the chest pain too; deleting the drooping face (logged by mistake) leaves that new
   warning open with the chest pain alone, a copy of the one already dealt with. Before
   bddbb6f it was withdrawn.
"""

from __future__ import annotations

import time_machine

from diary import entries
from diary.models import RedFlagEvent

from .test_red_flag_events import _frozen_time, local, log  # noqa: F401


def _open(patient):
    return list(RedFlagEvent.objects.filter(patient=patient, handled_at=None, withdrawn_at=None))


def _handle_all(patient, at):
    for event in RedFlagEvent.objects.filter(patient=patient, handled_at=None):
        event.handled_at, event.handled_how = at, "contacted"
        event.save()


def test_chest_pain_again_the_next_day_is_a_new_warning(patient, owner):
    with time_machine.travel(local(2026, 11, 23, 8, 10), tick=False) as clock:
        limb = log(
            patient, owner, symptom="limb_pain_swelling", severity=5, onset=local(2026, 11, 23, 8)
        )
        log(
            patient,
            owner,
            symptom="chest_pain",
            severity=6,
            onset=local(2026, 11, 23, 8, 5),
            ended_at=local(2026, 11, 23, 8, 30),
        )
        clock.move_to(local(2026, 11, 23, 9))
        _handle_all(patient, local(2026, 11, 23, 9))
        # The leg pain is still going, a little better, that evening.
        clock.move_to(local(2026, 11, 23, 20))
        entries.add_reading(limb, 4, local(2026, 11, 23, 20), owner)
        assert _open(patient) == []
        # Next morning, 24.5 hours after the first chest pain ended: chest pain again.
        clock.move_to(local(2026, 11, 24, 9, 1))
        chest = log(patient, owner, symptom="chest_pain", severity=6, onset=local(2026, 11, 24, 9))
        (new,) = _open(patient)
        assert new.rule == "thrombosis"
        assert chest.pk in {e.pk for e in new.entries.all()}


def test_deleting_the_new_sign_withdraws_the_warning_it_made(patient, owner):
    with time_machine.travel(local(2026, 11, 23, 10, 1), tick=False) as clock:
        log(patient, owner, symptom="chest_pain", severity=6, onset=local(2026, 11, 23, 10))
        _handle_all(patient, local(2026, 11, 23, 10, 5))
        clock.move_to(local(2026, 11, 23, 10, 11))
        face = log(
            patient, owner, symptom="face_drooping", severity=6, onset=local(2026, 11, 23, 10, 10)
        )
        assert len(_open(patient)) == 1  # the new sign warns again: right
        entries.delete(face, owner)  # logged by mistake
        # Only the chest pain is left, and its warning was already dealt with.
        assert _open(patient) == []
