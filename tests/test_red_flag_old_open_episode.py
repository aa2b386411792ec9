"""An episode left open for weeks (a headache quick-logged and never closed) combines with a
new sign as any headache would, but the warning it sets off is a new one, dated when the signs
came together: it is never folded into a warning of weeks ago that someone dealt with, nor
dated to the day the old headache began."""

from __future__ import annotations

import datetime as dt

import pytest

from diary import alerts, entries
from diary.models import RedFlagEvent

from .factories import InfusionFactory
from .test_red_flag_events import NOW, _frozen_time, local, log  # noqa: F401


def _handle(event):
    event.handled_at, event.handled_how = event.started_at, "contacted"
    event.save()


def _open_events(patient):
    return list(RedFlagEvent.objects.filter(patient=patient, handled_at=None, withdrawn_at=None))


def _weeks_old_warning(patient, owner, headache_ended=None, *, dealt_with=True):
    """A headache of 2 Nov, never closed (or ended at ``headache_ended``), with a stiff neck
    that day: a warning, dealt with (unless ``dealt_with`` is false)."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 1))
    headache = log(
        patient,
        owner,
        symptom="headache",
        severity=8,
        onset=local(2026, 11, 2, 9),
        ended_at=headache_ended,
    )
    stiff = log(
        patient,
        owner,
        symptom="stiff_neck",
        severity=6,
        onset=local(2026, 11, 2, 10),
        ended_at=local(2026, 11, 2, 18),
    )
    (old,) = RedFlagEvent.objects.all()
    if dealt_with:
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


def test_a_new_sign_more_than_a_day_after_the_others_is_a_warning_of_its_own(patient, owner):
    """A headache still going, vomiting that morning, eyes sensitive to light the next morning
    (25 hours on): the new sign with the headache is a warning of its own, dated when the new
    sign came, next to the one of the day before; a wide recheck keeps the two as they are."""
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
    first, second = RedFlagEvent.objects.order_by("started_at")
    assert (first.started_at, first.last_at) == (local(2026, 11, 22, 8), local(2026, 11, 22, 9))
    assert (second.started_at, second.last_at) == (local(2026, 11, 23, 10), local(2026, 11, 23, 10))
    assert {s["code"] for s in second.signs} == {"headache", "vomiting", "light_sensitivity"}
    alerts.refresh(patient, local(2026, 11, 20))
    assert list(
        RedFlagEvent.objects.filter(withdrawn_at=None).order_by("started_at").values_list("pk")
    ) == [(first.pk,), (second.pk,)]


def test_signs_left_open_for_weeks_are_not_copied_by_every_later_entry(patient, owner):
    """A headache and a stiff neck never closed (dealt with on the day) are matched again at
    every later entry, a tiredness today among them: that is the warning of back then, found
    through its entries, not a new copy of it at each entry, and never dated after its signs."""
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 1))
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 2, 9))
    log(patient, owner, symptom="stiff_neck", severity=6, onset=local(2026, 11, 2, 10))
    (old,) = RedFlagEvent.objects.all()
    _handle(old)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="fatigue", severity=5, onset=local(2026, 11, 23, 9))
    log(patient, owner, symptom="fatigue", severity=6, onset=local(2026, 11, 23, 11))
    alerts.refresh(patient, local(2026, 11, 23, 8))
    assert list(RedFlagEvent.objects.values_list("pk", flat=True)) == [old.pk]
    assert _open_events(patient) == []
    assert all(e.started_at <= e.last_at for e in RedFlagEvent.objects.all())


def test_a_headache_left_open_and_severe_again_weeks_later_warns(patient, owner):
    """The warning of 2 Nov was dealt with; the headache, never closed, eased to 5; three weeks
    later, a day after an infusion, a stiff neck, then the same headache at 8 again: a new
    warning, not the old one repeated through the headache they share."""
    headache, _stiff, old = _weeks_old_warning(patient, owner)
    entries.add_reading(headache, 5, local(2026, 11, 3, 9), owner)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="stiff_neck", severity=6, onset=local(2026, 11, 23, 8))
    assert _open_events(patient) == []  # the headache is only 5 now
    entries.add_reading(headache, 8, local(2026, 11, 23, 10), owner)
    (new,) = _open_events(patient)
    assert new.pk != old.pk and new.started_at == local(2026, 11, 23, 8)


def test_an_old_headache_reopened_by_an_edit_warns_with_today_s_stiff_neck(patient, owner):
    headache, _stiff, old = _weeks_old_warning(patient, owner, local(2026, 11, 2, 20))
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="stiff_neck", severity=6, onset=local(2026, 11, 23, 8))
    assert _open_events(patient) == []
    headache.ended_at = None  # "still going": it was marked as ended by mistake
    entries.save(headache, owner)
    (new,) = _open_events(patient)
    assert new.pk != old.pk and new.started_at == local(2026, 11, 23, 8)


def test_a_warning_is_timed_from_its_new_sign_not_from_the_old_open_one(patient, owner):
    """A headache open since weeks before was there during yesterday's infusion too; the
    warning came with this morning's stiff neck, 20 hours after it ended (browser pass: it
    said "during or just after an infusion")."""
    InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 22), start_time=dt.time(9), end_time=dt.time(13)
    )
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 3, 9))
    log(patient, owner, symptom="stiff_neck", severity=5, onset=local(2026, 11, 23, 9))
    (event,) = _open_events(patient)
    assert event.started_at == local(2026, 11, 23, 9)
    assert event.hours_since_infusion == 20


# --- a second review's cases: a warning of weeks ago keeps its times and stays itself ---------


def _dark_urine_of_2_nov(patient, owner):
    InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 1), start_time=dt.time(9), end_time=dt.time(13)
    )
    log(patient, owner, symptom="dark_urine", severity=5, onset=local(2026, 11, 2, 13))
    (old,) = RedFlagEvent.objects.all()
    return old


@pytest.mark.parametrize("dealt_with", [True, False])
def test_a_later_entry_does_not_retime_a_warning_of_weeks_ago(patient, owner, dealt_with):
    """Dark urine left open since 2 Nov (24 h after an infusion): a tiredness logged three
    weeks later, after another infusion, matched the same sign again and rewrote the old
    warning as "during or just after" the new infusion, or "500 hours after"."""
    old = _dark_urine_of_2_nov(patient, owner)
    if dealt_with:
        _handle(old)
    before = (old.started_at, old.hours_since_infusion, old.infusion_id)
    assert before[1] == 24
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    log(patient, owner, symptom="fatigue", severity=5, onset=local(2026, 11, 23, 9))
    old.refresh_from_db()
    assert (old.started_at, old.hours_since_infusion, old.infusion_id) == before
    assert RedFlagEvent.objects.count() == 1


def test_signs_open_across_a_later_infusion_keep_their_timing(patient, owner):
    InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 19), start_time=dt.time(9), end_time=dt.time(13)
    )
    log(patient, owner, symptom="headache", severity=8, onset=local(2026, 11, 21, 8))
    log(patient, owner, symptom="stiff_neck", severity=6, onset=local(2026, 11, 21, 9))
    (event,) = RedFlagEvent.objects.all()
    assert event.hours_since_infusion == 43
    InfusionFactory(
        patient=patient, date=dt.date(2026, 11, 22), start_time=dt.time(9), end_time=dt.time(13)
    )
    log(patient, owner, symptom="fatigue", severity=5, onset=local(2026, 11, 22, 14))
    event.refresh_from_db()
    assert event.hours_since_infusion == 43


def test_an_open_warning_of_weeks_ago_is_not_taken_over_nor_lost(patient, owner):
    """Never dealt with: the 2 Nov warning stays as it was when a stiff neck today makes a
    warning of its own, and stays when that stiff neck is deleted, or the old infusion
    rechecked."""
    _headache, _stiff, old = _weeks_old_warning(patient, owner, dealt_with=False)
    times = (old.started_at, old.last_at)
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 22))
    stiff = log(patient, owner, symptom="stiff_neck", severity=5, onset=local(2026, 11, 23, 10))
    old.refresh_from_db()
    assert (old.started_at, old.last_at) == times
    (new,) = RedFlagEvent.objects.exclude(pk=old.pk)
    assert new.started_at == local(2026, 11, 23, 10) and new.withdrawn_at is None
    alerts.refresh_infusion(patient, dt.date(2026, 11, 1), patient.tz)  # that infusion edited
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.started_at, old.last_at) == times and new.withdrawn_at is None
    assert stiff.pk in {e.pk for e in new.entries.all()}
    entries.delete(stiff, owner)  # logged by mistake
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.withdrawn_at is None and (old.started_at, old.last_at) == times
    assert new.withdrawn_at is not None
