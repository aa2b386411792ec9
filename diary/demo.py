"""Six months of realistic diary entries for the demo patient (called by ``seed_demo``).

Headaches on days 1-2 after most infusions, tiredness the day after, one fever, MG-ADL weekly:
better in the weeks after each infusion, worse again in the last week of the cycle (wear-off).
"""

from __future__ import annotations

import datetime as dt
import random

from infusions.models import Course
from patients.models import Patient, User

from . import entries
from .models import Measure, Note, SymptomEntry

# MG-ADL by day of the cycle: better after the infusion, worse again before the next one.
MGADL_BY_CYCLE_DAY = {6: 5, 13: 4, 20: 5, 27: 8}
MGADL_ITEMS_AT = {
    # A plausible item split for each total (double vision and eyelid droop dominate in MG).
    4: {
        "talking": 0,
        "chewing": 1,
        "swallowing": 0,
        "breathing": 0,
        "brush_teeth_comb_hair": 0,
        "rise_from_chair": 1,
        "double_vision": 1,
        "eyelid_droop": 1,
    },
    5: {
        "talking": 0,
        "chewing": 1,
        "swallowing": 0,
        "breathing": 0,
        "brush_teeth_comb_hair": 1,
        "rise_from_chair": 1,
        "double_vision": 1,
        "eyelid_droop": 1,
    },
    6: {
        "talking": 1,
        "chewing": 1,
        "swallowing": 0,
        "breathing": 0,
        "brush_teeth_comb_hair": 1,
        "rise_from_chair": 1,
        "double_vision": 1,
        "eyelid_droop": 1,
    },
    8: {
        "talking": 1,
        "chewing": 1,
        "swallowing": 1,
        "breathing": 0,
        "brush_teeth_comb_hair": 1,
        "rise_from_chair": 1,
        "double_vision": 2,
        "eyelid_droop": 1,
    },
    9: {
        "talking": 1,
        "chewing": 1,
        "swallowing": 1,
        "breathing": 0,
        "brush_teeth_comb_hair": 1,
        "rise_from_chair": 1,
        "double_vision": 2,
        "eyelid_droop": 2,
    },
}


def _at(patient: Patient, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=patient.tz)


def seed(patient: Patient, owner: User, caregiver: User | None, now: dt.datetime) -> None:
    if SymptomEntry.all_objects.filter(patient=patient).exists():
        return
    rng = random.Random(3)
    courses = list(Course.objects.filter(patient=patient).order_by("start_date"))

    def log(record, by: User | None = None) -> None:
        if record.when <= now:
            entries.save(record, by or owner)

    def symptom(code, severity, onset, ended, by=None, helped=""):
        log(
            SymptomEntry(
                patient=patient,
                symptom=code,
                severity=severity,
                onset=onset,
                ended_at=ended if ended <= now else None,
                helped=helped,
                logged_by=by or owner,
            ),
            by,
        )

    first = courses[0].start_date
    baseline = MGADL_ITEMS_AT[9]
    log(
        Measure(
            patient=patient,
            kind="mgadl",
            measured_at=_at(patient, first - dt.timedelta(days=1), 19),
            value=9,
            answers=baseline,
            logged_by=owner,
        )
    )
    for number, course in enumerate(courses):
        day1 = course.end_date + dt.timedelta(days=1)
        if number != 2:  # most infusions, not all
            severity = rng.choice([5, 6, 6, 7])
            symptom(
                "headache",
                severity,
                _at(patient, day1, rng.choice([7, 9, 14])),
                _at(patient, day1 + dt.timedelta(days=1), 20),
                helped="Paracetamol, dark room",
            )
        symptom(
            "fatigue",
            rng.choice([4, 5, 6]),
            _at(patient, day1, 8),
            _at(patient, day1, 21),
            by=caregiver if number % 2 else owner,
        )
        if number == 3:
            symptom(
                "fever",
                5,
                _at(patient, day1, 16),
                _at(patient, day1 + dt.timedelta(days=1), 9),
                helped="Paracetamol",
            )
            symptom("chills", 4, _at(patient, day1, 15, 30), _at(patient, day1, 20))
        for cycle_day, total in MGADL_BY_CYCLE_DAY.items():
            day = course.start_date + dt.timedelta(days=cycle_day)
            total = max(4, min(9, total + rng.choice([0, 0, 1]) * (1 if cycle_day == 27 else 0)))
            answers = MGADL_ITEMS_AT.get(total, MGADL_ITEMS_AT[8])
            log(
                Measure(
                    patient=patient,
                    kind="mgadl",
                    measured_at=_at(patient, day, 19),
                    value=sum(answers.values()),
                    answers=answers,
                    logged_by=owner,
                )
            )
        log(
            Measure(
                patient=patient,
                kind="weight",
                measured_at=_at(patient, course.start_date, 8),
                value=68,
                unit="kg",
                logged_by=owner,
            )
        )
        log(
            Note(
                patient=patient,
                kind=Note.Kind.IMPROVEMENT,
                text=rng.choice(
                    [
                        "Stairs are easier again, eyelids better in the evening.",
                        "Much less double vision since the weekend.",
                        "Could walk to the shops and back without resting.",
                    ]
                ),
                rating=rng.choice([1, 2, 2, 3]),
                written_at=_at(patient, course.start_date + dt.timedelta(days=5), 20),
                logged_by=owner,
            )
        )
        log(
            Note(
                patient=patient,
                kind=Note.Kind.IMPROVEMENT,
                text=(
                    "Tired again, double vision back when reading. "
                    "Feels like the infusion is wearing off."
                ),
                rating=-1,
                written_at=_at(patient, course.start_date + dt.timedelta(days=25), 21),
                logged_by=owner,
            )
        )
    for text in [
        "Could the interval be 3 weeks instead of 4?",
        "Is the headache after infusions a reason to slow the rate?",
    ]:
        log(
            Note(
                patient=patient,
                kind=Note.Kind.QUESTION,
                text=text,
                written_at=now - dt.timedelta(days=rng.randint(3, 20)),
                logged_by=owner,
            )
        )
    answered = Note(
        patient=patient,
        kind=Note.Kind.QUESTION,
        text="Should I drink more before the infusion?",
        written_at=now - dt.timedelta(days=70),
        answered_at=now - dt.timedelta(days=60),
        answer="Yes: about 500 mL of water before and during, as the nurse suggested.",
        logged_by=owner,
    )
    log(answered)
