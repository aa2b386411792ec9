"""Infusions: the product catalog, the treatment plan, and every infusion as a full record."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinical import red_flags, symptoms
from clinical.conditions import Condition
from patients.history import LiveManager, LiveQuerySet
from patients.models import Patient, StableId, author_name_field, author_role_field

from .units import RateUnit, highest_rate


class Route(models.TextChoices):
    IV = "IV", _("Intravenous (IVIG)")
    SC = "SC", _("Subcutaneous (SCIG)")


class Site(models.TextChoices):
    HOME = "home", _("At home")
    CENTRE = "centre", _("Infusion centre")
    HOSPITAL = "hospital", _("Hospital")


class ProductQuerySet(models.QuerySet):
    def available_to(self, patient: Patient):
        """The shared catalog plus the patient's own products."""
        return self.filter(Q(patient__isnull=True) | Q(patient=patient))


class Product(StableId):
    """An immunoglobulin brand at one concentration. Never free text on an infusion.

    Catalog products have a ``uid`` too (an export's Medication points at it), but it is drawn
    when each installation loads the catalog: across installations the same catalog product is
    found by name, route and concentration, never by ``uid``.
    """

    patient = models.ForeignKey(
        Patient,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="custom_products",
        help_text=_("Empty for the shared catalog; set for a patient's own product."),
    )
    name = models.CharField(_("brand name"), max_length=80)
    route = models.CharField(_("route"), max_length=2, choices=Route)
    concentration_percent = models.DecimalField(
        _("concentration (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("30"))],
        help_text=_("For example 10 for a 10 % product (100 mg/mL)."),
    )
    with_hyaluronidase = models.BooleanField(_("given with hyaluronidase"), default=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name", "concentration_percent"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "route", "concentration_percent"],
                condition=Q(patient__isnull=True),
                name="product_catalog_unique",
            ),
            models.UniqueConstraint(
                fields=["patient", "name", "route", "concentration_percent"],
                name="product_custom_unique",
            ),
            models.CheckConstraint(
                condition=Q(concentration_percent__gte=1, concentration_percent__lte=30),
                name="product_concentration_plausible",
            ),
        ]

    def __str__(self) -> str:
        concentration = f"{self.concentration_percent.normalize():f}"
        return f"{self.name} {concentration} % ({self.route})"

    @property
    def mg_per_ml(self) -> Decimal:
        return self.concentration_percent * 10


class IntervalUnit(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")


class RegimenQuerySet(LiveQuerySet):
    def delete(self):
        """Soft, recorded, and the infusions relinked, as the plan page's Delete does."""
        from . import records

        return records.soft_delete_queryset(self, records.delete_plan)

    def active(self):
        return self.filter(end_date__isnull=True)

    def in_force_on(self, date: dt.date):
        """The plans covering ``date`` (plans do not overlap, so at most one per patient)."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=date), start_date__lte=date)


class Regimen(StableId):
    """A treatment plan: what is given, how much, and how often. One is active at a time.

    Deleting one is soft (``deleted_at``, undone by a restore); every change is kept in the
    patient's change history (:mod:`infusions.records`).
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="regimens")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name=_("product"))
    indication = models.CharField(
        _("treated condition"), max_length=10, choices=Condition, blank=True
    )
    dose_g_per_kg = models.DecimalField(
        _("dose per course (g/kg)"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("5"))],
        help_text=_("The total for one course, e.g. 2 for 2 g/kg split over several days."),
    )
    course_days = models.PositiveSmallIntegerField(
        _("days per course"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    interval_value = models.PositiveSmallIntegerField(
        _("every"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    interval_unit = models.CharField(
        _("interval unit"), max_length=5, choices=IntervalUnit, default=IntervalUnit.WEEKS
    )
    usual_site = models.CharField(_("usual place"), max_length=10, choices=Site, default=Site.HOME)
    usual_premedication = models.TextField(
        _("usual premedication"),
        blank=True,
        max_length=500,
        help_text=_("One per line, e.g. “Paracetamol 1 g”."),
    )
    dosing_weight_kg = models.DecimalField(
        _("dosing weight (kg)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("350"))],
        help_text=_("The weight the dose is worked out from, if your team gave you one."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("ended on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveManager.from_queryset(RegimenQuerySet)()
    all_objects = RegimenQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(end_date__isnull=True, deleted_at__isnull=True),
                name="regimen_one_active",
            ),
            models.CheckConstraint(
                condition=Q(course_days__gte=1, course_days__lte=5), name="regimen_course_days_1_5"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="regimen_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.dose_g_per_kg} g/kg"

    @property
    def is_active(self) -> bool:
        return self.end_date is None

    @property
    def interval_days(self) -> int:
        return self.interval_value * (7 if self.interval_unit == IntervalUnit.WEEKS else 1)

    @property
    def interval(self) -> dt.timedelta:
        return dt.timedelta(days=self.interval_days)

    def daily_dose_g(self, weight_kg: Decimal | None) -> Decimal | None:
        """Grams per infusion day for this weight, rounded to 0.5 g (vials are whole grams)."""
        if not weight_kg:
            return None
        grams = self.dose_g_per_kg * Decimal(weight_kg) / self.course_days
        return (grams * 2).quantize(Decimal("1"), ROUND_HALF_UP) / 2

    def premedication_lines(self) -> list[str]:
        return [line.strip() for line in self.usual_premedication.splitlines() if line.strip()]


class Course(models.Model):
    """Consecutive infusion days that make one treatment cycle (e.g. 2 g/kg over 2 days).

    A day given late (day 2 two days after day 1) still belongs to its course, so ``day_count``
    (the infusion days given) can be less than the span from start to end.

    Maintained by :func:`infusions.courses.regroup`, never edited by hand. No ``uid``: it is
    worked out from the infusions' dates (and regrouped after every change), not recorded.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="courses")
    start_date = models.DateField()
    end_date = models.DateField()
    day_count = models.PositiveSmallIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["patient", "-start_date"], name="course_patient_start")]

    def __str__(self) -> str:
        return f"Course from {self.start_date}"


class InfusionQuerySet(LiveQuerySet):
    def delete(self):
        """Soft, recorded, courses regrouped and the diary told, as the Delete button does."""
        from . import records

        return records.soft_delete_queryset(self, records.delete_infusion)

    def with_details(self):
        return self.select_related("product", "logged_by").prefetch_related(
            "lots", "rate_steps", "premedications", "reactions"
        )


class Infusion(StableId):
    """One infusion day, as given.

    Deleting one is soft (``deleted_at``): it leaves courses, the schedule, diary links and
    warnings as if it had never been given, and a restore puts it all back. Its lots stay, so a
    recall search still finds them. Every change, with its child rows, is kept in the patient's
    change history (:mod:`infusions.records`).
    """

    # What the change history keeps besides its own fields, and what it leaves out: courses
    # and the plan link are worked out from the date (courses.regroup, plans.relink).
    history_children = ("lots", "rate_steps", "premedications", "reactions")
    history_exclude = ("course", "regimen", "time_zone")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="infusions")
    course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="infusions"
    )
    regimen = models.ForeignKey(
        Regimen, on_delete=models.SET_NULL, null=True, blank=True, related_name="infusions"
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    # The zone the date and times were given in (the diary's zone when logged), so that a later
    # change of the diary's zone does not move the infusion to another instant.
    time_zone = models.CharField(max_length=64, blank=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name=_("product"))
    dose_g = models.DecimalField(
        _("dose (g)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("500"))],
    )
    weight_kg = models.DecimalField(
        _("weight used (kg)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("350"))],
    )
    volume_ml = models.DecimalField(
        _("volume (mL)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5000"))],
    )
    site = models.CharField(_("place"), max_length=10, choices=Site, default=Site.HOME)
    nurse = models.CharField(_("nurse"), max_length=80, blank=True)
    hydration = models.CharField(
        _("hydration"),
        max_length=200,
        blank=True,
        help_text=_("What was drunk or given before and during, e.g. “1 L water”."),
    )
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    logged_by_name = author_name_field()
    logged_by_role = author_role_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveManager.from_queryset(InfusionQuerySet)()
    all_objects = InfusionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-start_time", "-pk"]
        base_manager_name = "all_objects"
        indexes = [models.Index(fields=["patient", "-date"], name="infusion_patient_date")]
        constraints = [
            models.CheckConstraint(condition=Q(dose_g__gt=0), name="infusion_dose_positive"),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gte=models.F("start_time")),
                name="infusion_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} on {self.date}"

    def save(self, *args, **kwargs):
        if not self.time_zone:
            self.time_zone = self.patient.time_zone
        super().save(*args, **kwargs)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone) if self.time_zone else self.patient.tz

    @property
    def starts_at(self) -> dt.datetime:
        """When it started; an unknown start time counts as the start of its day."""
        return dt.datetime.combine(self.date, self.start_time or dt.time.min, tzinfo=self.tz)

    @property
    def ends_at(self) -> dt.datetime:
        """When it ended; an unknown end time counts as the end of its day.

        Both err towards "during or just after the infusion", which keeps every red-flag
        window open for signs felt that day.
        """
        if self.end_time is not None:
            return dt.datetime.combine(self.date, self.end_time, tzinfo=self.tz)
        return dt.datetime.combine(self.date + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)

    def as_dose(self) -> red_flags.Dose:
        return red_flags.Dose(self.starts_at, self.ends_at, ref=self.pk)

    def reaction_alerts(self) -> list[red_flags.Alert]:
        """The red-flag rules its reactions set off on their own (uses prefetched reactions)."""
        readings = [r.as_reading(self) for r in self.reactions.all()]
        if not readings:
            return []
        return red_flags.find_alerts(readings, [self.as_dose()], now=self.ends_at)

    @property
    def dose_g_per_kg(self) -> Decimal | None:
        if not self.weight_kg:
            return None
        return (self.dose_g / self.weight_kg).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def max_rate_ml_per_kg_h(self) -> Decimal | None:
        """The highest rate reached, in mL/kg/h (uses prefetched rate steps)."""
        steps = [(step.rate, step.unit) for step in self.rate_steps.all()]
        if not steps:
            return None
        return highest_rate(
            steps,
            RateUnit.ML_PER_KG_H,
            concentration_percent=self.product.concentration_percent,
            weight_kg=self.weight_kg,
            places=Decimal("0.1"),
        )


class InfusionLot(StableId):
    """A batch given: EU and FDA rules want reactions traceable to product and lot."""

    infusion = models.ForeignKey(Infusion, on_delete=models.CASCADE, related_name="lots")
    lot_number = models.CharField(_("lot number"), max_length=40)
    expiry = models.DateField(_("expiry"), null=True, blank=True)
    vial_size_g = models.DecimalField(
        _("vial size (g)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("100"))],
    )
    vial_count = models.PositiveSmallIntegerField(
        _("vials"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["lot_number"], name="lot_number")]

    def __str__(self) -> str:
        return self.lot_number


class RateStep(StableId):
    """One step of the rate, usually raised every ~30 minutes when tolerated."""

    infusion = models.ForeignKey(Infusion, on_delete=models.CASCADE, related_name="rate_steps")
    minutes_from_start = models.PositiveSmallIntegerField(
        _("minutes from start"), validators=[MaxValueValidator(24 * 60)]
    )
    rate = models.DecimalField(
        _("rate"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(
        _("unit"), max_length=10, choices=RateUnit, default=RateUnit.ML_PER_KG_H
    )

    class Meta:
        ordering = ["minutes_from_start", "pk"]
        constraints = [models.CheckConstraint(condition=Q(rate__gt=0), name="rate_step_positive")]

    def __str__(self) -> str:
        return f"{self.rate} {self.unit} at +{self.minutes_from_start} min"


class Premedication(StableId):
    infusion = models.ForeignKey(Infusion, on_delete=models.CASCADE, related_name="premedications")
    name = models.CharField(_("what"), max_length=80)
    dose = models.CharField(_("dose"), max_length=40, blank=True)
    taken_at = models.TimeField(_("taken at"), null=True, blank=True)

    class Meta:
        ordering = ["taken_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()


class ReactionAction(models.TextChoices):
    NONE = "none", _("Nothing needed")
    SLOWED = "slowed", _("Infusion slowed")
    PAUSED = "paused", _("Infusion paused")
    STOPPED = "stopped", _("Infusion stopped")
    MEDICATION = "medication", _("Medication given")


class InfusionReaction(StableId):
    """Something felt during the infusion, from the same symptom list the diary uses."""

    infusion = models.ForeignKey(Infusion, on_delete=models.CASCADE, related_name="reactions")
    symptom = models.CharField(_("symptom"), max_length=40)
    severity = models.PositiveSmallIntegerField(
        _("how bad (0-10)"), validators=[MaxValueValidator(10)]
    )
    action = models.CharField(
        _("what was done"), max_length=12, choices=ReactionAction, default=ReactionAction.NONE
    )
    medication = models.CharField(_("medication given"), max_length=80, blank=True)
    minutes_from_start = models.PositiveSmallIntegerField(
        _("minutes from start"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )

    class Meta:
        ordering = ["minutes_from_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=0, severity__lte=10), name="reaction_severity_0_10"
            )
        ]

    def __str__(self) -> str:
        return f"{self.symptom} {self.severity}/10"

    @property
    def symptom_label(self) -> str:
        return symptoms.label(self.symptom)

    def as_reading(self, infusion: Infusion | None = None) -> red_flags.Reading:
        """This reaction as a reading for the red-flag rules: at its minute of the infusion
        (else at the infusion's start), lasting up to an hour within the infusion."""
        infusion = infusion or self.infusion
        at = infusion.starts_at
        if self.minutes_from_start is not None and infusion.start_time is not None:
            at = at + dt.timedelta(minutes=self.minutes_from_start)
        return red_flags.Reading(
            code=self.symptom,
            severity=self.severity,
            start=at,
            end=max(at, min(infusion.ends_at, at + dt.timedelta(hours=1))),
            ref=("reaction", self.pk),
        )

    @property
    def severity_word(self) -> str:
        return symptoms.severity_word(self.severity)


class CalendarFeed(models.Model):
    """A secret, revocable address for subscribing to the schedule from a phone's calendar.

    No ``uid``: it is a credential, not something the diary records, and is never exported (an
    imported diary makes its own addresses).

    Only the SHA-256 of the token is stored; the address is shown once, when it is made.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed for {self.patient}"
