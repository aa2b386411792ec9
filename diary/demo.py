"""Six months of realistic diary entries for the demo patient (called by ``seed_demo``).

Headaches on days 1-2 after most infusions, tiredness for one to three days after each, one
fever, MG-ADL weekly: better in the weeks after each infusion, worse again in the last week of
the cycle (wear-off). Grip strength (Martin vigorimeter, kPa), measured by Sam, the caregiver,
over the last four cycles: best in the second week, down by more than 8 kPa from day 24. One
warning after course 4 (a severe headache with a stiff neck), dealt with by calling the care
team; the last two courses then went slower and were followed by milder headaches. Questions
for the doctor, open and answered. Every section of the report and of the trends shows
something.
"""

from __future__ import annotations

import datetime as dt
import random

from infusions.models import Course
from patients.models import Patient, User

from . import entries
from .models import Measure, Note, RedFlagEvent, SymptomEntry

# MG-ADL by day of the cycle: better after the infusion, worse again before the next one. Each
# cycle draws its own score from these (a real diary never repeats itself, and
# identical cycles would hide each other under the median on the cycle chart), so the wear-off
# comes on day 20 in some cycles and day 27 in others.
MGADL_BY_CYCLE_DAY = {6: (5, 6), 13: (3, 4, 4), 20: (4, 5, 6), 27: (8, 8, 9)}
# Grip (left, right) in kPa by day of the cycle, over the cycles from GRIP_FROM_COURSE on, each
# give or take 1 kPa: best on day 10, worse by more than 8 kPa (the meaningful change on the
# vigorimeter) from day 24 until the next course. PRE_INFUSION_GRIP is taken at 07:45 on the
# next course's first day, before its infusion: the last reading of the cycle that ends.
GRIP_FROM_COURSE = 3
GRIP_BY_CYCLE_DAY = {3: (60, 66), 10: (64, 70), 17: (61, 67), 24: (53, 58)}
PRE_INFUSION_GRIP = (50, 55)
# Extra days the tiredness after each course lasted (it starts the day after: 13, 37 or 61 h).
FATIGUE_EXTRA_DAYS = (1, 0, 2, 1, 0, 2, 1)
# The course after which a severe headache came with a stiff neck (a red-flag warning).
RED_FLAG_COURSE = 4
# Courses infused more slowly (infusions.demo.SLOWER_FROM_COURSE): milder headaches after them.
MILDER_FROM_COURSE = 5
MGADL_ITEMS_AT = {
    # A plausible item split for each total (double vision and eyelid droop dominate in MG).
    3: {
        "talking": 0,
        "chewing": 0,
        "swallowing": 0,
        "breathing": 0,
        "brush_teeth_comb_hair": 0,
        "rise_from_chair": 1,
        "double_vision": 1,
        "eyelid_droop": 1,
    },
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
    7: {
        "talking": 1,
        "chewing": 1,
        "swallowing": 0,
        "breathing": 0,
        "brush_teeth_comb_hair": 1,
        "rise_from_chair": 1,
        "double_vision": 2,
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
    # For what was added later (grip, the warning): the draws above stay as they were.
    extra = random.Random(11)
    scores = random.Random(17)  # each cycle's MG-ADL scores (MGADL_BY_CYCLE_DAY)
    courses = list(Course.objects.filter(patient=patient).order_by("start_date"))

    def log(record, by: User | None = None):
        if record.when <= now:
            entries.save(record, by or owner)
            return record
        return None

    def symptom(code, severity, onset, ended, by=None, helped="", notes=""):
        return log(
            SymptomEntry(
                patient=patient,
                symptom=code,
                severity=severity,
                onset=onset,
                ended_at=ended if ended <= now else None,
                helped=helped,
                notes=notes,
                logged_by=by or owner,
            ),
            by,
        )

    def grip(moment: dt.datetime, left: int, right: int) -> None:
        shift = extra.choice([-1, 0, 1])
        log(
            Measure(
                patient=patient,
                kind="grip",
                measured_at=moment,
                value=left + shift,
                value_right=right + extra.choice([-1, 0, 1]),
                unit="kPa",
                logged_by=caregiver or owner,
            ),
            caregiver,
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
            if number >= MILDER_FROM_COURSE:
                severity = extra.choice([3, 4])
            headache = symptom(
                "headache",
                severity,
                _at(patient, day1, rng.choice([7, 9, 14])),
                _at(patient, day1 + dt.timedelta(days=1), 20),
                helped="Paracetamol, dark room",
            )
            if headache is not None and number == RED_FLAG_COURSE:
                _red_flag(patient, headache, owner, symptom)
            elif headache is not None and number == 1:
                # Worse later that day: the worst severity is a later reading.
                entries.add_reading(headache, 7, headache.onset + dt.timedelta(hours=5), owner)
        symptom(
            "fatigue",
            rng.choice([4, 5, 6]),
            _at(patient, day1, 8),
            _at(patient, day1 + dt.timedelta(days=FATIGUE_EXTRA_DAYS[number % 7]), 21),
            by=caregiver if number % 2 else owner,
        )
        if number >= GRIP_FROM_COURSE:
            for cycle_day, (left, right) in GRIP_BY_CYCLE_DAY.items():
                grip(
                    _at(patient, course.start_date + dt.timedelta(days=cycle_day), 18), left, right
                )
            if number > GRIP_FROM_COURSE:
                # Before this course's infusion: the last reading of the cycle before.
                grip(_at(patient, course.start_date, 7, 45), *PRE_INFUSION_GRIP)
        if number == 3:
            symptom(
                "fever",
                5,
                _at(patient, day1, 16),
                _at(patient, day1 + dt.timedelta(days=1), 9),
                helped="Paracetamol",
            )
            symptom("chills", 4, _at(patient, day1, 15, 30), _at(patient, day1, 20))
        for cycle_day, totals in MGADL_BY_CYCLE_DAY.items():
            day = course.start_date + dt.timedelta(days=cycle_day)
            rng.choice([0, 0, 1])  # the draw the scores once took: later draws stay as they were
            answers = MGADL_ITEMS_AT[scores.choice(totals)]
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
    if len(courses) > RED_FLAG_COURSE:
        warned = courses[RED_FLAG_COURSE].end_date + dt.timedelta(days=2)
        log(
            Note(
                patient=patient,
                kind=Note.Kind.QUESTION,
                text="After the stiff neck: can I still have my infusions at home?",
                written_at=_at(patient, warned, 10),
                answered_at=_at(patient, warned + dt.timedelta(days=9), 15),
                answer=(
                    "Yes, at no more than 3 mL/kg/h, and call the day unit at once if a severe "
                    "headache comes with a stiff neck again."
                ),
                logged_by=caregiver or owner,
            ),
            caregiver,
        )


def _red_flag(patient: Patient, headache: SymptomEntry, owner: User, symptom) -> None:
    """The headache gets worse (8/10) and a stiff neck follows: the rules warn (aseptic
    meningitis, clinical.red_flags); Maya calls the care team, who check her the same evening."""
    entries.add_reading(headache, 8, headache.onset + dt.timedelta(hours=4), owner)
    neck = symptom(
        "stiff_neck",
        6,
        headache.onset + dt.timedelta(hours=5),
        headache.onset + dt.timedelta(hours=22),
        helped="Called the infusion nurse; checked at the day unit that evening, sent home.",
        notes="Hurt to bend my head forward. Light was fine.",
    )
    if neck is None:
        return
    event = RedFlagEvent.objects.filter(patient=patient, entries=neck).first()
    if event is not None:
        event.handled_at = neck.onset + dt.timedelta(hours=1)
        event.handled_by = owner
        event.handled_how = RedFlagEvent.Handled.CONTACTED
        event.save(update_fields=["handled_at", "handled_by", "handled_how", "updated_at"])
