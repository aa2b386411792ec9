"""Six months of realistic infusions for the demo patient (called by ``seed_demo``)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from patients.models import Patient, User

from . import courses
from .catalog import load_catalog
from .models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    Product,
    RateStep,
    Regimen,
    Site,
)
from .units import RateUnit

WEIGHT_KG = Decimal("68")
COURSE_COUNT = 7
INTERVAL_DAYS = 28
# The latest course started this many days ago, so the demo opens mid-cycle.
LAST_COURSE_DAYS_AGO = 9
RATE_STEPS = [(0, "0.5"), (30, "1"), (60, "2"), (90, "4")]
# After the stiff-neck warning that followed course 4 (diary.demo), the last courses went no
# faster than 3 mL/kg/h: the report's comparison by highest rate then has two groups.
SLOWER_FROM_COURSE = 5
SLOWER_RATE_STEPS = [(0, "0.5"), (30, "1"), (60, "2"), (90, "3")]


def seed(patient: Patient, logged_by: User) -> None:
    if Infusion.objects.filter(patient=patient).exists():
        return
    rng = random.Random(20261123)
    today = timezone.localtime(timezone.now(), patient.tz).date()
    first_start = today - dt.timedelta(
        days=LAST_COURSE_DAYS_AGO + INTERVAL_DAYS * (COURSE_COUNT - 1)
    )
    load_catalog(Product)  # normally there from the migration; not after a test database flush
    privigen = Product.objects.get(patient=None, name="Privigen")
    plan = Regimen.objects.create(
        patient=patient,
        product=privigen,
        indication="mg",
        dose_g_per_kg=Decimal("1"),
        course_days=2,
        interval_value=4,
        interval_unit="weeks",
        usual_site=Site.HOME,
        usual_premedication="Paracetamol 1 g\nCetirizine 10 mg",
        dosing_weight_kg=WEIGHT_KG,
        start_date=first_start - dt.timedelta(days=60),
        notes="Maintenance after induction in spring.",
    )
    lot_serial = 412000
    for course_no in range(COURSE_COUNT):
        start = first_start + dt.timedelta(days=INTERVAL_DAYS * course_no)
        lot_serial += rng.randint(40, 400)
        for day in range(2):
            date = start + dt.timedelta(days=day)
            begin = dt.time(9, rng.choice([0, 15, 30]))
            infusion = Infusion.objects.create(
                patient=patient,
                regimen=plan,
                date=date,
                start_time=begin,
                end_time=dt.time(12 + rng.choice([0, 1]), rng.choice([10, 25, 40])),
                product=privigen,
                dose_g=Decimal("35"),
                weight_kg=WEIGHT_KG,
                volume_ml=Decimal("350"),
                site=Site.HOME,
                nurse=rng.choice(["Jo", "Priya"]),
                hydration="500 mL water before, 500 mL during",
                logged_by=logged_by,
            )
            InfusionLot.objects.create(
                infusion=infusion,
                lot_number=f"P{lot_serial}",
                expiry=start + dt.timedelta(days=400),  # one lot, one expiry on both days
                vial_size_g=Decimal("10"),
                vial_count=3,
            )
            InfusionLot.objects.create(
                infusion=infusion,
                lot_number=f"P{lot_serial + 17}",
                expiry=start + dt.timedelta(days=380),
                vial_size_g=Decimal("5"),
                vial_count=1,
            )
            steps = SLOWER_RATE_STEPS if course_no >= SLOWER_FROM_COURSE else RATE_STEPS
            for minutes, rate in steps:
                RateStep.objects.create(
                    infusion=infusion,
                    minutes_from_start=minutes,
                    rate=Decimal(rate),
                    unit=RateUnit.ML_PER_KG_H,
                )
            premed_time = (dt.datetime.combine(date, begin) - dt.timedelta(minutes=30)).time()
            Premedication.objects.create(
                infusion=infusion, name="Paracetamol", dose="1 g", taken_at=premed_time
            )
            Premedication.objects.create(
                infusion=infusion, name="Cetirizine", dose="10 mg", taken_at=premed_time
            )
            if (course_no, day) in {(1, 0), (4, 1)}:
                InfusionReaction.objects.create(
                    infusion=infusion,
                    symptom="chills",
                    severity=4,
                    action="slowed",
                    minutes_from_start=100,
                )
            if (course_no, day) == (5, 0):
                InfusionReaction.objects.create(
                    infusion=infusion,
                    symptom="headache",
                    severity=5,
                    action="medication",
                    medication="Ibuprofen 400 mg",
                    minutes_from_start=150,
                )
    courses.regroup(patient)
