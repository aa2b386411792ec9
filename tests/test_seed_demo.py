import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from patients import demo
from patients.models import Membership, Patient, User


def _counts():
    return User.objects.count(), Patient.objects.count(), Membership.objects.count()


def test_seed_demo_is_idempotent(db, capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first == (2, 1, 2)
    out = capsys.readouterr().out
    assert f"Sign in as {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}" in out


def test_if_empty_leaves_a_used_database_alone(db, capsys):
    User.objects.create_user("someone@example.com", "correct-horse-battery")
    call_command("seed_demo", if_empty=True)
    assert not User.objects.filter(email=demo.DEMO_EMAIL).exists()
    assert "not loaded" in capsys.readouterr().out


def test_the_demo_login_works(db, client):
    call_command("seed_demo", if_empty=True)
    response = client.post(
        "/accounts/login/", {"login": demo.DEMO_EMAIL, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    maya = Patient.objects.get(name=demo.DEMO_PATIENT_NAME)
    assert client.get("/")["Location"] == f"/p/{maya.public_id}/"
    caregiver = Membership.objects.get(user__email=demo.DEMO_CAREGIVER_EMAIL)
    assert caregiver.role == Membership.Role.CAREGIVER_EDITOR


def test_seed_demo_refuses_to_run_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", if_empty=True)
    assert not User.objects.exists()


# --- every section of the report and of the trends shows something ----------------------------


@pytest.fixture
def demo_diary(db):
    call_command("seed_demo")
    return Patient.objects.get(name=demo.DEMO_PATIENT_NAME)


def _hours(entry) -> float:
    return (entry.ended_at - entry.onset).total_seconds() / 3600


def test_the_demo_report_header_has_a_date_of_birth_and_clinic_number(demo_diary):
    assert demo_diary.date_of_birth == demo.DEMO_DATE_OF_BIRTH
    assert demo_diary.clinic_number == demo.DEMO_CLINIC_NUMBER
    assert demo_diary.report_paper_size == "a4"  # Europe/London


def test_the_demo_has_grip_strength_across_cycles(demo_diary):
    from diary.demo import GRIP_FROM_COURSE
    from diary.models import Measure
    from infusions.models import Course

    grips = list(Measure.objects.filter(patient=demo_diary, kind="grip").order_by("measured_at"))
    assert {g.unit for g in grips} == {"kPa"}
    assert all(g.value_right is not None for g in grips)
    cycles = {g.course_id for g in grips}
    assert len(cycles) >= 3
    # Each complete cycle: best in the second week, down by more than 8 kPa (the meaningful
    # change on the vigorimeter) from day 24 to the end, on both hands.
    complete = Course.objects.filter(patient=demo_diary).order_by("start_date")[
        GRIP_FROM_COURSE : GRIP_FROM_COURSE + 3
    ]
    for course in complete:
        rows = [g for g in grips if g.course_id == course.pk]
        assert [g.day_of_cycle for g in rows] == [3, 10, 17, 24, 28]
        best_left = max(g.value for g in rows)
        best_right = max(g.value_right for g in rows)
        for late in (g for g in rows if g.day_of_cycle >= 24):
            assert best_left - late.value > 8
            assert best_right - late.value_right > 8
    # Sam, the caregiver, measures grip.
    assert {g.logged_by.email for g in grips} == {demo.DEMO_CAREGIVER_EMAIL}


def test_the_demo_side_effects_last_one_to_three_days(demo_diary):
    from diary.models import SymptomEntry

    effects = SymptomEntry.objects.filter(patient=demo_diary)
    assert not effects.filter(ended_at__isnull=True).exists()
    headaches = [_hours(e) for e in effects.filter(symptom="headache")]
    fatigue = [_hours(e) for e in effects.filter(symptom="fatigue")]
    assert all(24 <= h <= 72 for h in headaches)
    assert min(fatigue) < 24 and max(fatigue) > 48 and max(fatigue) <= 72
    # A headache that got worse later: its worst is a later reading.
    assert effects.filter(symptom="headache", peak_severity__gt=models.F("severity")).count() >= 2


def test_the_demo_has_one_red_flag_dealt_with(demo_diary):
    from diary.models import RedFlagEvent

    event = RedFlagEvent.objects.get(patient=demo_diary)
    assert event.rule == "aseptic_meningitis"
    assert event.handled_how == RedFlagEvent.Handled.CONTACTED
    assert event.handled_by.email == demo.DEMO_EMAIL
    assert event.handled_at - event.started_at < dt.timedelta(hours=12)
    assert {e.symptom for e in event.entries.all()} == {"headache", "stiff_neck"}
    neck = event.entries.get(symptom="stiff_neck")
    assert "Called the infusion nurse" in neck.helped
    assert not event.is_open


def test_the_demo_courses_differ_in_rate_and_in_what_followed(demo_diary):
    from diary.demo import MILDER_FROM_COURSE
    from diary.models import SymptomEntry
    from infusions.models import Course, RateStep

    courses = list(Course.objects.filter(patient=demo_diary).order_by("start_date"))
    highest = [
        max(RateStep.objects.filter(infusion__course=c).values_list("rate", flat=True))
        for c in courses
    ]
    assert highest[:MILDER_FROM_COURSE] == [4] * MILDER_FROM_COURSE
    assert set(highest[MILDER_FROM_COURSE:]) == {3}
    worst = [
        max(
            SymptomEntry.objects.filter(course=c, symptom="headache").values_list(
                "peak_severity", flat=True
            ),
            default=0,
        )
        for c in courses
    ]
    assert max(worst[MILDER_FROM_COURSE:]) < min(w for w in worst[:MILDER_FROM_COURSE] if w)


def test_the_demo_has_open_and_answered_questions_and_two_authors(demo_diary):
    from diary.models import Measure, Note, SymptomEntry

    questions = Note.objects.filter(patient=demo_diary, kind="question")
    assert questions.filter(answered_at__isnull=True).count() == 2
    answered = questions.filter(answered_at__isnull=False)
    assert answered.count() == 2
    assert all(q.answer for q in answered)
    authors = set()
    for model in (SymptomEntry, Note, Measure):
        authors |= set(
            model.objects.filter(patient=demo_diary).values_list("logged_by__email", flat=True)
        )
    assert authors == {demo.DEMO_EMAIL, demo.DEMO_CAREGIVER_EMAIL}


def test_demo_mgadl_improves_after_each_infusion_and_worsens_before_the_next(demo_diary):
    from diary.models import Measure

    by_cycle: dict[int, dict[int, int]] = {}
    for score in Measure.objects.filter(patient=demo_diary, kind="mgadl", course__isnull=False):
        by_cycle.setdefault(score.course_id, {})[score.day_of_cycle] = score.total
    complete = [days for days in by_cycle.values() if 27 in days]
    assert len(complete) >= 5
    worse_from = []
    for days in complete:
        best = min(days[6], days[13])
        assert days[27] - best >= 2  # a meaningful change on MG-ADL
        worse_from.append(20 if days[20] - best >= 2 else 27)
    # Cycles differ, as a real diary's do: identical ones would hide under the chart's median.
    assert len({tuple(sorted(days.items())) for days in complete}) > 1
    assert set(worse_from) == {20, 27}


def test_seeding_again_adds_nothing(demo_diary):
    from diary.models import Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading

    def counts():
        return [
            m._base_manager.count()
            for m in (Measure, Note, SymptomEntry, SymptomReading, RedFlagEvent)
        ]

    before = counts()
    call_command("seed_demo")
    assert counts() == before


def test_each_demo_lot_has_one_expiry(demo_diary):
    """A lot number is one batch: the same expiry on each day it was given."""
    from infusions.models import InfusionLot

    expiries: dict[str, set] = {}
    for number, expiry in InfusionLot.objects.filter(infusion__patient=demo_diary).values_list(
        "lot_number", "expiry"
    ):
        expiries.setdefault(number, set()).add(expiry)
    assert expiries and all(len(days) == 1 for days in expiries.values())
