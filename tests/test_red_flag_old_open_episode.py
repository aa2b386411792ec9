"""An episode left open for weeks (a headache quick-logged and never closed) combines with a
new sign as any headache would, but the warning it sets off is a new one, dated when the signs
came together: it is never folded into a warning of weeks ago that someone dealt with, nor
dated to the day the old headache began."""

from __future__ import annotations

import datetime as dt

from diary import alerts, entries
from diary.models import RedFlagEvent

from .factories import InfusionFactory
from .test_red_flag_events import NOW, _frozen_time, local, log  # noqa: F401


def _handle(event):
    event.handled_at, event.handled_how = event.started_at, "contacted"
    event.save()


def _open_events(patient):
    return list(RedFlagEvent.objects.filter(patient=patient, handled_at=None, withdrawn_at=None))


def _weeks_old_warning(patient, owner):
    """A headache of 2 Nov, never closed, with a stiff neck that day: a warning, dealt with."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 1))
    headache = log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 2, 9))
    stiff = log(
        patient,
        owner,
        symptom="stiff_neck",
        severity=6,
        onset=local(2026, 11, 2, 10),
        ended_at=local(2026, 11, 2, 18),
    )
    (old,) = RedFlagEvent.objects.all()
    _handle(old)
    return headache, stiff, old


def test_a_new_sign_weeks_later_is_a_new_warning_dated_now(patient, owner):
    headache, _stiff, old = _weeks_old_warning(patient, owner)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    new_stiff = log(patient, owner, symptom="stiff_neck", severity=5, onset=local(2026, 11, 23, 10))

    (new,) = _open_events(patient)
    assert new.pk != old.pk and new.rule == "aseptic_meningitis"
    # Dated when the signs came together: the headache counts from 24 hours before the neck.
    assert new.started_at >= local(2026, 11, 22, 10)
    assert new.last_at == local(2026, 11, 23, 10)
    assert {e.pk for e in new.entries.all()} == {headache.pk, new_stiff.pk}
    old.refresh_from_db()
    assert old.started_at == local(2026, 11, 2, 9)  # the old one kept as it was


def test_a_wider_recheck_keeps_the_two_warnings_apart(patient, owner):
    """A recheck from the old warning's day on (an infusion of then edited) finds both times
    the rule was met: two warnings, not one from 2 to 23 November."""
    _headache, _stiff, old = _weeks_old_warning(patient, owner)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="stiff_neck", severity=5, onset=local(2026, 11, 23, 10))
    alerts.refresh(patient, local(2026, 11, 1))
    (new,) = _open_events(patient)
    assert new.started_at >= local(2026, 11, 22, 10)
    old.refresh_from_db()
    assert (old.started_at, old.last_at) == (local(2026, 11, 2, 9), local(2026, 11, 2, 10))
    assert old.withdrawn_at is None
    assert RedFlagEvent.objects.count() == 2


def test_the_same_signs_again_in_one_episode_still_warn_once(patient, owner):
    """Near miss: a stiff neck noted again the same morning is the same warning."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 23, 8))
    stiff = log(patient, owner, symptom="stiff_neck", severity=5, onset=local(2026, 11, 23, 9))
    entries.add_reading(stiff, 6, local(2026, 11, 23, 11), owner)
    assert len(_open_events(patient)) == 1


def test_signs_a_little_more_than_a_day_apart_through_one_headache_stay_one_warning(patient, owner):
    """Near miss: a headache still going, vomiting that morning, eyes sensitive to light the
    next morning (25 hours on). One warning that grew, not two."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 21))
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 22, 8))
    log(
        patient,
        owner,
        symptom="vomiting",
        severity=5,
        onset=local(2026, 11, 22, 9),
        ended_at=local(2026, 11, 22, 10),
    )
    log(patient, owner, symptom="light_sensitivity", severity=5, onset=local(2026, 11, 23, 10))
    (event,) = RedFlagEvent.objects.all()
    assert event.started_at == local(2026, 11, 22, 8)
    assert {s["code"] for s in event.signs} == {"headache", "vomiting", "light_sensitivity"}
    alerts.refresh(patient, local(2026, 11, 20))
    assert RedFlagEvent.objects.filter(withdrawn_at=None).count() == 1
