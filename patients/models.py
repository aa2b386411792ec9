from __future__ import annotations

import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinical import emergency
from clinical.conditions import Condition


class EmailUserManager(UserManager):
    """Users sign in by email; there is no username."""

    def _create_user_object(self, username, email, password, **extra_fields):
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password is not None:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    """An account. Health data never hangs off a user, only off a Patient (via Membership)."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("your name"),
        max_length=80,
        blank=True,
        help_text=_("Shown next to what you log, e.g. “logged by Sam”."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = EmailUserManager()

    def __str__(self) -> str:
        return self.display_name or self.email.split("@")[0]


def _new_public_id() -> str:
    # 72 random bits, URL-safe: unguessable enough that ids leak nothing, short enough to read.
    return secrets.token_urlsafe(9)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class Patient(models.Model):
    """The person whose diary this is. Every piece of health data belongs to a patient."""

    class WeightUnit(models.TextChoices):
        KG = "kg", _("kilograms (kg)")
        LB = "lb", _("pounds (lb)")

    class TemperatureUnit(models.TextChoices):
        CELSIUS = "C", _("Celsius (°C)")
        FAHRENHEIT = "F", _("Fahrenheit (°F)")

    public_id = models.CharField(max_length=16, unique=True, default=_new_public_id, editable=False)
    name = models.CharField(
        _("name shown in the app"),
        max_length=80,
        help_text=_("A first name or nickname is enough."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    conditions = models.JSONField(
        _("conditions"),
        default=list,
        blank=True,
        help_text=_("What the immunoglobulin treats. Pick all that apply."),
    )
    weight_unit = models.CharField(
        _("weight unit"), max_length=2, choices=WeightUnit, default=WeightUnit.KG
    )
    temperature_unit = models.CharField(
        _("temperature unit"),
        max_length=1,
        choices=TemperatureUnit,
        default=TemperatureUnit.CELSIUS,
    )
    # Where the patient lives: suggests the emergency number and the report's paper size.
    country = models.CharField(_("country"), max_length=2, blank=True)
    emergency_number = models.CharField(
        _("emergency number"),
        max_length=15,
        blank=True,
        help_text=_("The number for an ambulance where you live, e.g. 999, 911, 112 or 000."),
    )
    care_team_phone = models.CharField(
        _("care team phone"),
        max_length=30,
        blank=True,
        help_text=_("The number to call about a reaction, e.g. your infusion nurse or clinic."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every write to the patient's data (patients.signals); page fragments are cached
    # under it, so a cached page can never outlive a change.
    data_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so a save can tell whether the time zone changed (diary re-counts days).
        instance._loaded_time_zone = instance.time_zone
        return instance

    @property
    def emergency_call_number(self) -> str:
        """The number the warning's call button dials: the one set in diary settings, else the
        usual one for the diary's country, else 112 (emergency services from most mobiles)."""
        return self.emergency_number or emergency.number_for(self.country) or emergency.FALLBACK

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)  # ZoneInfo caches its instances

    def clean(self) -> None:
        unknown = [c for c in self.conditions if c not in Condition.values]
        if unknown:
            raise ValidationError({"conditions": _("Unknown condition.")})

    def condition_labels(self) -> list[str]:
        labels = dict(Condition.choices)
        return [str(labels[c]) for c in self.conditions if c in labels]


class Membership(models.Model):
    """Who may see or write a patient's diary, and how."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        CAREGIVER_EDITOR = "caregiver_editor", _("Caregiver who may log")
        CAREGIVER_VIEWER = "caregiver_viewer", _("Caregiver who may only view")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role)
    is_self = models.BooleanField(
        default=False, help_text=_("The user keeps this diary about themselves.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "patient"], name="membership_unique_user_patient"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_self=True),
                name="membership_one_self_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "caregiver_editor", "caregiver_viewer"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role != self.Role.CAREGIVER_VIEWER

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER
