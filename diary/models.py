"""The diary: side effects, improvement notes, questions for the doctor, and measures.

Every entry belongs to a patient, remembers who logged it, links itself to the infusion it
follows, and is never lost: edits and deletes leave a ``patients.models.ChangeRecord``, and
deletes are soft (``deleted_at``) so they can be undone.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from clinical import scales, symptoms
from infusions.models import Course, Infusion
from patients.history import LiveManager, LiveQuerySet

# ChangeRecord: the one change history of the project lives in the lowest layer
# (patients.history); it stays importable from here for the diary's code.
from patients.models import (  # noqa: F401
    ChangeRecord,
    Patient,
    StableId,
    author_name_field,
    author_role_field,
)


class DiaryRecord(StableId):
    """What every diary entry has: stable id, owner, author, link to the infusion it follows,
    soft delete."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    logged_by_name = author_name_field()
    logged_by_role = author_role_field()
    infusion = models.ForeignKey(
        Infusion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The latest infusion on or before this entry's day."),
    )
    days_after_infusion = models.PositiveSmallIntegerField(null=True, blank=True)
    # clinical.md "Time and cycles": the course this entry's cycle started with, and local
    # calendar days since its first day (0 = first infusion day). Anything before an infusion's
    # start on an infusion day belongs to the previous cycle.
    course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    day_of_cycle = models.PositiveSmallIntegerField(null=True, blank=True)
    # The local date and zone the entry was logged in: a later change of the diary's zone does
    # not move past entries to other days.
    local_date = models.DateField(null=True, blank=True, editable=False)
    time_zone = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveManager()
    all_objects = LiveQuerySet.as_manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def save(self, *args, **kwargs):
        # The zone is fixed when the entry is first saved; the local date follows its time.
        if not self.time_zone:
            self.time_zone = self.patient.time_zone
        self.local_date = timezone.localtime(self.when, self.tz).date()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "time_zone", "local_date"}
        super().save(*args, **kwargs)

    @property
    def when(self):
        raise NotImplementedError

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The zone the entry was logged in (the diary's zone at the time)."""
        return zoneinfo.ZoneInfo(self.time_zone) if self.time_zone else self.patient.tz


class SymptomEntry(DiaryRecord):
    """A side effect: what, how bad (0-10), since when, until when."""

    OTHER = "other"

    symptom = models.CharField(_("symptom"), max_length=40)
    custom_symptom = models.CharField(_("your own symptom"), max_length=60, blank=True)
    severity = models.PositiveSmallIntegerField(
        _("how bad (0-10)"), validators=[MaxValueValidator(10)]
    )
    onset = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    still_going_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was last confirmed as still going.")
    )
    # Where, for signs that need it (swelling: face/throat, one limb, legs, all over).
    detail = models.CharField(_("where or which"), max_length=20, blank=True)
    # The worst severity over the episode: the first one and every later reading.
    peak_severity = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    helped = models.CharField(_("what helped"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=1000, blank=True)
    red_flags = models.JSONField(default=list, blank=True, editable=False)

    class Meta(DiaryRecord.Meta):
        ordering = ["-onset", "-pk"]
        verbose_name_plural = "symptom entries"
        indexes = [models.Index(fields=["patient", "-onset"], name="symptom_patient_onset")]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=0, severity__lte=10), name="symptom_severity_0_10"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("onset")),
                name="symptom_ends_after_onset",
            ),
            models.CheckConstraint(
                condition=~Q(symptom="other") | ~Q(custom_symptom=""),
                name="symptom_other_has_a_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.severity}/10"

    @property
    def when(self):
        return self.onset

    @property
    def label(self):
        return self.custom_symptom if self.symptom == self.OTHER else symptoms.label(self.symptom)

    @property
    def severity_word(self):
        return symptoms.severity_word(self.severity)

    @cached_property
    def latest_reading(self) -> SymptomReading | None:
        """The latest later reading of the episode, None if there is none: one query (none
        when the readings were prefetched), however many readings the episode has."""
        if not self.pk:
            return None
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("readings")
        if prefetched is not None:
            return max(prefetched, key=lambda r: (r.at, r.pk), default=None)
        return self.readings.order_by("-at", "-pk").first()

    @property
    def current_severity(self) -> int:
        """The latest reading's severity (the first one if there is no later reading)."""
        reading = self.latest_reading
        return reading.severity if reading is not None else self.severity

    @property
    def current_severity_word(self):
        return symptoms.severity_word(self.current_severity)

    @property
    def is_ongoing(self) -> bool:
        return self.ended_at is None


class SymptomReading(StableId):
    """A later severity of the same episode ("my headache is worse now"), with its time.

    The entry's own ``severity`` is its first reading; each reading lasts until the next one
    (or the entry's end). Every reading goes through the red-flag rules.
    """

    entry = models.ForeignKey(SymptomEntry, on_delete=models.CASCADE, related_name="readings")
    severity = models.PositiveSmallIntegerField(
        _("how bad (0-10)"), validators=[MaxValueValidator(10)]
    )
    at = models.DateTimeField(_("when"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    logged_by_name = author_name_field()
    logged_by_role = author_role_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        # An episode's latest reading (Today, the quick log's answer) without sorting all of
        # its readings: a long episode can hold hundreds.
        indexes = [models.Index(fields=["entry", "at", "id"], name="reading_entry_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=0, severity__lte=10), name="reading_severity_0_10"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.severity}/10 at {self.at:%Y-%m-%d %H:%M}"


class RedFlagEvent(StableId):
    """A warning the rules gave: kept, shown on Today until someone marks it as dealt with.

    ``signs`` is a snapshot of what set it off ([{"code", "label", "severity"}]), so the record
    survives later edits; ``entries`` links the diary entries involved, ``infusion`` the infusion
    whose reactions (or after which the signs) were logged.
    """

    class Source(models.TextChoices):
        DIARY = "diary", _("Diary")
        INFUSION = "infusion", _("Reactions during an infusion")

    class Handled(models.TextChoices):
        CONTACTED = "contacted", _("Contacted the care team")
        CHECKED = "checked", _("It was checked")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=40)
    source = models.CharField(max_length=10, choices=Source, default=Source.DIARY)
    started_at = models.DateTimeField(help_text=_("When the first sign involved started."))
    last_at = models.DateTimeField(help_text=_("When the last sign involved started."))
    signs = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    hours_since_infusion = models.FloatField(null=True, blank=True)
    entries = models.ManyToManyField(SymptomEntry, blank=True, related_name="red_flag_events")
    infusion = models.ForeignKey(
        Infusion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    handled_by_name = author_name_field()
    handled_by_role = author_role_field()
    handled_how = models.CharField(max_length=10, choices=Handled, blank=True)
    # Set when the entries behind it were corrected or deleted before anyone dealt with it: the
    # record stays, but Today no longer shows it.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "handled_at", "withdrawn_at"], name="red_flag_open"),
            models.Index(fields=["patient", "-started_at"], name="red_flag_patient_started"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def red_flag_rule(self):
        from clinical import red_flags

        return red_flags.get_rule(self.rule)

    @property
    def is_open(self) -> bool:
        return self.handled_at is None and self.withdrawn_at is None


class Note(DiaryRecord):
    """An improvement note, or a question for the doctor."""

    class Kind(models.TextChoices):
        IMPROVEMENT = "improvement", _("How I'm doing")
        QUESTION = "question", _("Question for my doctor")

    kind = models.CharField(max_length=12, choices=Kind, default=Kind.IMPROVEMENT)
    text = models.TextField(_("note"), max_length=2000)
    rating = models.SmallIntegerField(
        _("compared with before this infusion"),
        null=True,
        blank=True,
        choices=scales.GLOBAL_CHANGE_CHOICES,
        validators=[MinValueValidator(-3), MaxValueValidator(3)],
    )
    written_at = models.DateTimeField(_("date"), default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)

    class Meta(DiaryRecord.Meta):
        ordering = ["-written_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-written_at"], name="note_patient_written")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=-3, rating__lte=3),
                name="note_rating_7_point",
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def when(self):
        return self.written_at

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class Measure(DiaryRecord):
    """A number over time: MG-ADL, INCAT, grip strength, platelets, weight, GBS level, or custom.

    ``answers`` keeps a score's items: MG-ADL {item code: 0-3}, INCAT {"arms": 0-5, "legs": 0-5}.
    """

    class Kind(models.TextChoices):
        MGADL = scales.MGADL, _("MG-ADL score")
        INCAT = scales.INCAT, _("INCAT disability score")
        GRIP = scales.GRIP, _("Grip strength")
        PLATELETS = scales.PLATELETS, _("Platelet count")
        WEIGHT = scales.WEIGHT, _("Weight")
        GBS_DISABILITY = scales.GBS_DISABILITY, _("GBS disability level")
        CUSTOM = "custom", _("Other measure")

    kind = models.CharField(max_length=16, choices=Kind)
    measured_at = models.DateTimeField(_("date"), default=timezone.now)
    # The value in SI units (kg, 10^9/L), the MG-ADL or INCAT total, the GBS level, or grip left
    # hand.
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    # Grip strength, right hand.
    value_right = models.DecimalField(
        _("right hand"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta(DiaryRecord.Meta):
        ordering = ["-measured_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "kind", "-measured_at"], name="measure_patient_kind"),
            # Every kind in a period (trends, the report): read from its start, not the diary's.
            models.Index(fields=["patient", "-measured_at"], name="measure_patient_measured"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="custom") | ~Q(name=""), name="measure_custom_has_a_name"
            ),
            models.CheckConstraint(
                condition=~Q(kind="mgadl") | Q(value__gte=0, value__lte=24),
                name="measure_mgadl_0_24",
            ),
            models.CheckConstraint(
                condition=~Q(kind="incat") | Q(value__gte=0, value__lte=10),
                name="measure_incat_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.value}"

    @property
    def when(self):
        return self.measured_at

    @property
    def title(self) -> str:
        if self.kind == self.Kind.CUSTOM:
            return self.name
        # Not get_kind_display(): it translates every kind's label to find this one.
        try:
            return str(self.Kind(self.kind).label)
        except ValueError:
            return self.kind

    @property
    def total(self) -> int:
        return int(self.value)

    def display_value(self, weight_unit: str = "kg") -> str:
        value = Decimal(self.value)  # an int or float straight from a form, a Decimal from the DB
        if self.kind == self.Kind.WEIGHT and weight_unit == "lb":
            return f"{(value / Decimal('0.45359237')).quantize(Decimal('0.1'))} lb"
        number = f"{value.normalize():f}"
        if self.kind == self.Kind.GRIP:
            right = (
                f"{Decimal(self.value_right).normalize():f}"
                if self.value_right is not None
                else "—"
            )
            return _("left %(left)s, right %(right)s %(unit)s") % {
                "left": number,
                "right": right,
                "unit": self.unit,
            }
        if self.kind == self.Kind.MGADL:
            return f"{self.total} / 24"
        if self.kind == self.Kind.INCAT:
            if {"arms", "legs"} <= set(self.answers or {}):
                return _("%(total)s / 10 (arms %(arms)s, legs %(legs)s)") % {
                    "total": self.total,
                    "arms": self.answers["arms"],
                    "legs": self.answers["legs"],
                }
            return f"{self.total} / 10"
        if self.kind == self.Kind.PLATELETS:
            return f"{number} × 10⁹/L"
        if self.kind == self.Kind.WEIGHT:
            return f"{number} kg"
        if self.kind == self.Kind.GBS_DISABILITY:
            return str(dict(scales.GBS_DISABILITY_CHOICES).get(int(self.value), number))
        return f"{number} {self.unit}".strip()
