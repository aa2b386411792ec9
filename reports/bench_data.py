"""A diary of several years, built in seconds, for ``make bench`` and the query-count tests.

Five years is the size issue 9 measures the report and the pages against: 65 courses (two-day
courses every four weeks, 130 infusions), 5,000 side-effect entries and 1,500 measures, plus a
note after every course. ``manage.py seed_bench`` builds it for a user; ``bench/run.py`` builds it
for the demo user (``{five_years}`` in a target's path).

Rows are bulk-created, but every field the real save paths derive is the same as theirs:

* infusions belong to the plan, courses come from ``infusions.courses.regroup``;
* every diary row is linked by ``diary.entries.link`` (local date and zone, the infusion it
  follows, days after it, its course and day of the cycle), with one ``InfusionIndex`` built
  after the courses exist, exactly what ``entries.save`` and ``entries.relink`` compute;
* a side effect's ``peak_severity`` is the worst of its first severity and its later readings;
* bulk-created side effects stay below every red-flag threshold
  (``clinical.red_flags.can_matter``), so their empty ``red_flags`` is right; once a year a
  severe headache with a stiff neck goes through ``diary.entries.save``, which opens a real
  warning, marked as dealt with a day later;
* every row has its "added" change record, and the diary's data version moves once at the end.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinical import red_flags, scales
from diary import entries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry, SymptomReading
from infusions import courses
from infusions.catalog import load_catalog
from infusions.models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    Product,
    RateStep,
    Regimen,
    Site,
)
from infusions.units import RateUnit
from patients import history
from patients.models import ChangeRecord, Membership, Patient, User

COURSES_PER_YEAR = 13  # every four weeks
SIDE_EFFECTS_PER_YEAR = 1_000
MEASURES_PER_YEAR = 300
INTERVAL_DAYS = 28
COURSE_DAYS = 2
# The latest course began this many days ago, so the diary is mid-cycle, as a patient's is.
LAST_COURSE_DAYS_AGO = 9
WEIGHT_KG = Decimal("68")
BATCH = 500

# What people log after immunoglobulin, and how bad it gets here: each stays below the level at
# which any red-flag rule looks at it (checked at import, so a rule change cannot slip by).
SIDE_EFFECTS: dict[str, int] = {
    "headache": 6,
    "fatigue": 3,
    "chills": 6,
    "nausea": 5,
    "flushing": 4,
    "muscle_aches": 6,
}
assert not any(red_flags.can_matter(code, worst) for code, worst in SIDE_EFFECTS.items())
# Side effects cluster in the days after a course; later days of the cycle are quieter.
DAY_WEIGHTS = [1, 10, 9, 6, 4, 3, 2, *([1] * (INTERVAL_DAYS - 7))]
# One warning a year, through the real save path: the headache and stiff neck of aseptic
# meningitis, on the day after a course.
WARNING_SIGNS = (("headache", 8), ("stiff_neck", 5))
# The measures one cycle has (kind, day of the cycle): MG-ADL weekly, grip three times a week,
# weight twice, platelets once, and the patient's own step count twice a week.
MEASURE_DAYS: tuple[tuple[str, int], ...] = (
    *((scales.MGADL, day) for day in (6, 13, 20, 27)),
    *((scales.GRIP, day) for day in range(1, INTERVAL_DAYS, 2)),
    (scales.WEIGHT, 0),
    (scales.WEIGHT, 14),
    (scales.PLATELETS, 3),
    *(("custom", day) for day in (2, 5, 9, 12, 16, 19, 23, 26)),
)
MGADL_BY_CYCLE_DAY = {6: 5, 13: 4, 20: 5, 27: 8}  # better after the course, worse before the next


@dataclass(frozen=True)
class Built:
    courses: int
    infusions: int
    side_effects: int
    measures: int
    notes: int


def sizes(years: int) -> tuple[int, int, int]:
    """Courses, side-effect entries and measures in ``years`` of diary."""
    return COURSES_PER_YEAR * years, SIDE_EFFECTS_PER_YEAR * years, MEASURES_PER_YEAR * years


def create_diary(user: User, name: str, *, years: int, now: dt.datetime | None = None) -> Patient:
    """A new diary owned by ``user`` (not their own: ``is_self`` stays theirs), filled."""
    patient = Patient.objects.create(name=name, time_zone="Europe/London", conditions=["mg"])
    Membership.objects.create(user=user, patient=patient, role=Membership.Role.OWNER)
    build(patient, user, years=years, now=now)
    return patient


@transaction.atomic
def build(
    patient: Patient, owner: User, *, years: int = 5, now: dt.datetime | None = None, seed: int = 9
) -> Built:
    """Fill an empty diary with ``years`` of infusions, side effects, measures and notes."""
    if years < 1:
        raise ValueError("years must be at least 1")
    if Infusion.all_objects.filter(patient=patient).exists():
        raise ValueError("the diary already has infusions")
    now = now or timezone.now()
    rng = random.Random(seed)
    course_count, side_effect_count, measure_count = sizes(years)
    today = timezone.localtime(now, patient.tz).date()
    first_start = today - dt.timedelta(
        days=LAST_COURSE_DAYS_AGO + INTERVAL_DAYS * (course_count - 1)
    )
    starts = [first_start + dt.timedelta(days=INTERVAL_DAYS * n) for n in range(course_count)]

    infusions = _infusions(patient, owner, starts, rng)
    courses.regroup(patient)
    index = entries.InfusionIndex(patient)

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=patient.tz)

    warnings = _warnings(patient, owner, starts, years, at, now)
    side_effects = _side_effects(
        patient, owner, starts, side_effect_count - len(warnings), index, at, now, rng
    )
    measures = _measures(patient, owner, starts, measure_count, index, at, now, rng)
    notes = _notes(patient, owner, starts, index, at, now, rng)
    for rows in (side_effects, measures, notes):
        _record_created(rows, owner)
    Patient.objects.filter(pk=patient.pk).update(data_version=F("data_version") + 1)
    return Built(
        courses=course_count,
        infusions=len(infusions),
        side_effects=len(side_effects) + len(warnings),
        measures=len(measures),
        notes=len(notes),
    )


def _infusions(patient: Patient, owner: User, starts: list[dt.date], rng) -> list[Infusion]:
    load_catalog(Product)  # there from the migration, but not after a test database flush
    product = Product.objects.get(patient=None, name="Privigen", concentration_percent=10)
    plan = Regimen.objects.create(
        patient=patient,
        product=product,
        indication="mg",
        dose_g_per_kg=Decimal("1"),
        course_days=COURSE_DAYS,
        interval_value=INTERVAL_DAYS // 7,
        interval_unit="weeks",
        usual_site=Site.HOME,
        usual_premedication="Paracetamol 1 g\nCetirizine 10 mg",
        dosing_weight_kg=WEIGHT_KG,
        start_date=starts[0] - dt.timedelta(days=30),
    )
    infusions = [
        Infusion(
            patient=patient,
            regimen=plan,
            date=start + dt.timedelta(days=day),
            start_time=dt.time(9, rng.choice([0, 15, 30])),
            end_time=dt.time(12 + rng.choice([0, 1]), rng.choice([10, 25, 40])),
            time_zone=patient.time_zone,
            product=product,
            dose_g=Decimal("35"),
            weight_kg=WEIGHT_KG,
            volume_ml=Decimal("350"),
            site=Site.HOME,
            nurse=rng.choice(["Jo", "Priya"]),
            logged_by=owner,
        )
        for start in starts
        for day in range(COURSE_DAYS)
    ]
    Infusion.objects.bulk_create(infusions, batch_size=BATCH)
    lots, steps, premeds, reactions = [], [], [], []
    serial = 412_000
    for n, infusion in enumerate(infusions):
        if n % COURSE_DAYS == 0:
            serial += rng.randint(40, 400)  # a new batch of vials each course
        lots += [
            InfusionLot(
                infusion=infusion,
                lot_number=f"P{serial}",
                expiry=infusion.date + dt.timedelta(days=400),
                vial_size_g=Decimal("10"),
                vial_count=3,
            ),
            InfusionLot(
                infusion=infusion,
                lot_number=f"P{serial + 17}",
                expiry=infusion.date + dt.timedelta(days=380),
                vial_size_g=Decimal("5"),
                vial_count=1,
            ),
        ]
        steps += [
            RateStep(
                infusion=infusion,
                minutes_from_start=minutes,
                rate=Decimal(rate),
                unit=RateUnit.ML_PER_KG_H,
            )
            for minutes, rate in ((0, "0.5"), (30, "1"), (60, "2"), (90, "4"))
        ]
        taken = dt.datetime.combine(infusion.date, infusion.start_time) - dt.timedelta(minutes=30)
        premeds += [
            Premedication(infusion=infusion, name="Paracetamol", dose="1 g", taken_at=taken.time()),
            Premedication(
                infusion=infusion, name="Cetirizine", dose="10 mg", taken_at=taken.time()
            ),
        ]
        if rng.random() < 0.1:  # chills are no red flag: nothing for the rules to re-check
            reactions.append(
                InfusionReaction(
                    infusion=infusion,
                    symptom="chills",
                    severity=4,
                    action="slowed",
                    minutes_from_start=100,
                )
            )
    for model, rows in (
        (InfusionLot, lots),
        (RateStep, steps),
        (Premedication, premeds),
        (InfusionReaction, reactions),
    ):
        model.objects.bulk_create(rows, batch_size=BATCH)
    _record_created(infusions, owner)
    return infusions


def _warnings(patient, owner, starts, years, at, now) -> list[SymptomEntry]:
    """One warning a year through ``diary.entries.save``, dealt with the next day."""
    saved = []
    for year in range(years):
        day = starts[year * COURSES_PER_YEAR + COURSES_PER_YEAR // 2] + dt.timedelta(
            days=COURSE_DAYS
        )
        for code, severity in WARNING_SIGNS:
            entry = SymptomEntry(
                patient=patient,
                symptom=code,
                severity=severity,
                onset=at(day, 15),
                ended_at=at(day + dt.timedelta(days=1), 10),
                logged_by=owner,
            )
            entries.save(entry, owner)
            saved.append(entry)
    RedFlagEvent.objects.filter(patient=patient, handled_at__isnull=True).update(
        handled_at=F("last_at") + dt.timedelta(days=1),
        handled_by=owner,
        handled_how=RedFlagEvent.Handled.CHECKED,
    )
    return saved


def _pick(candidates: list, count: int, rng) -> list:
    """``count`` of the candidates, spread over the whole period, in time order."""
    if len(candidates) < count:
        raise ValueError(f"only {len(candidates)} slots for {count} rows")
    return sorted(rng.sample(candidates, count), key=lambda c: c[0])


def _link_all(rows: list, patient: Patient, index: entries.InfusionIndex) -> None:
    for row in rows:
        entries.link(row, patient, index)


def _side_effects(patient, owner, starts, count, index, at, now, rng) -> list[SymptomEntry]:
    days = list(range(INTERVAL_DAYS))
    candidates = []
    for start in starts:
        # About 90 a cycle to choose from: more than the 77 a cycle that five years need.
        for cycle_day in rng.choices(days, weights=DAY_WEIGHTS, k=90):
            onset = at(start + dt.timedelta(days=cycle_day), rng.randint(6, 22), rng.randint(0, 59))
            if onset <= now:
                candidates.append((onset, rng.choice(list(SIDE_EFFECTS))))
    rows, readings = [], []
    for onset, code in _pick(candidates, count, rng):
        worst = SIDE_EFFECTS[code]
        severity = rng.randint(1, worst)
        ended = onset + dt.timedelta(hours=rng.choice([1, 2, 4, 8, 12, 24, 36, 48]))
        entry = SymptomEntry(
            patient=patient,
            symptom=code,
            severity=severity,
            onset=onset,
            ended_at=ended if ended <= now else None,
            helped=rng.choice(["", "", "Rest", "Paracetamol", "Water"]),
            logged_by=owner,
        )
        later = []
        if rng.random() < 0.1:  # "worse now" or "better now", a few hours on
            later = [
                SymptomReading(
                    entry=entry,
                    severity=rng.randint(1, worst),
                    at=min(onset + dt.timedelta(hours=hours), ended, now),
                    logged_by=owner,
                )
                for hours in sorted(rng.sample(range(1, 8), rng.randint(1, 2)))
            ]
        entry.peak_severity = max([severity, *(r.severity for r in later)])
        rows.append(entry)
        readings += later
    _link_all(rows, patient, index)
    SymptomEntry.objects.bulk_create(rows, batch_size=BATCH)
    for reading in readings:
        reading.entry_id = reading.entry.pk
    SymptomReading.objects.bulk_create(readings, batch_size=BATCH)
    return rows


def _mgadl_answers(total: int) -> dict[str, int]:
    """Item scores (0-3 each) that add up to ``total``, double vision and eyelids first."""
    codes = list(reversed(scales.MGADL_ITEM_CODES))
    answers = dict.fromkeys(scales.MGADL_ITEM_CODES, 0)
    for n in range(total):
        code = codes[n % len(codes)]
        answers[code] += 1
    return answers


def _measures(patient, owner, starts, count, index, at, now, rng) -> list[Measure]:
    candidates = []
    for start in starts:
        for kind, cycle_day in MEASURE_DAYS:
            hour = 19 if kind == scales.MGADL else rng.choice([8, 12, 18])
            moment = at(start + dt.timedelta(days=cycle_day), hour)
            if moment <= now:
                candidates.append((moment, kind, cycle_day))
    rows = []
    for moment, kind, cycle_day in _pick(candidates, count, rng):
        measure = Measure(patient=patient, kind=kind, measured_at=moment, logged_by=owner)
        if kind == scales.MGADL:
            total = MGADL_BY_CYCLE_DAY[cycle_day] + rng.choice([-1, 0, 0, 1])
            measure.answers = _mgadl_answers(total)
            measure.value = Decimal(total)
        elif kind == scales.GRIP:
            strength = 30 - abs(cycle_day - 10) // 3  # strongest mid-cycle
            measure.value = Decimal(strength + rng.randint(-2, 2))
            measure.value_right = Decimal(strength + 2 + rng.randint(-2, 2))
            measure.unit = "kg"
        elif kind == scales.WEIGHT:
            measure.value = WEIGHT_KG + Decimal(rng.randint(-10, 10)) / 10
            measure.unit = "kg"
        elif kind == scales.PLATELETS:
            measure.value = Decimal(rng.randint(180, 320))
            measure.unit = "10^9/L"
        else:
            measure.name = "Steps"
            measure.value = Decimal(rng.randint(2_000, 9_000))
            measure.unit = "steps"
        rows.append(measure)
    _link_all(rows, patient, index)
    Measure.objects.bulk_create(rows, batch_size=BATCH)
    return rows


def _notes(patient, owner, starts, index, at, now, rng) -> list[Note]:
    rows = [
        Note(
            patient=patient,
            kind=Note.Kind.IMPROVEMENT,
            text=rng.choice(
                [
                    "Stairs are easier again, eyelids better in the evening.",
                    "Much less double vision since the weekend.",
                    "Tired again, double vision back when reading.",
                ]
            ),
            rating=rng.choice([-1, 1, 2, 2, 3]),
            written_at=at(start + dt.timedelta(days=5), 20),
            logged_by=owner,
        )
        for start in starts
        if at(start + dt.timedelta(days=5), 20) <= now
    ]
    _link_all(rows, patient, index)
    Note.objects.bulk_create(rows, batch_size=BATCH)
    return rows


def _record_created(rows: list, owner: User) -> None:
    """The "added" change record each row would have had from its save path."""
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                patient_id=row.patient_id,
                model=history.model_key(type(row)),
                object_id=row.pk,
                object_uid=row.uid,
                action=ChangeRecord.Action.CREATED,
                changed_by=owner,
                after=history.snapshot(row),
            )
            for row in rows
        ],
        batch_size=BATCH,
    )
