from __future__ import annotations

import datetime as dt
import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinical import emergency
from clinical.conditions import Condition

from . import places


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


class StableId(models.Model):
    """A record of a diary with a stable id: ``uid``, a random UUID given when the row is made.

    It never changes (an edit, a soft delete or a restore keeps it) and is what exports, FHIR
    resource ids and change records point at, never the database's integer key. A copy of a
    row must get a fresh one: make a new instance (the default draws a new UUID), never
    ``pk = None`` on a loaded one without setting ``uid = uuid.uuid4()`` too.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


def _new_public_id() -> str:
    # 72 random bits, URL-safe: unguessable enough that ids leak nothing, short enough to read.
    return secrets.token_urlsafe(9)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class PatientQuerySet(models.QuerySet):
    def delete(self):
        """Each diary through :meth:`Patient.delete`, all in one transaction."""
        total, per_model = 0, {}
        with transaction.atomic(using=self.db):
            for patient in self:
                count, counts = patient.delete(using=self.db)
                total += count
                for label, n in counts.items():
                    per_model[label] = per_model.get(label, 0) + n
        return total, per_model

    delete.alters_data = True
    delete.queryset_only = True


# Nothing in a diary is older than this: every form refuses an earlier date as a typo of the
# year, a full import refuses it, and "all" on trends starts there.
EARLIEST_DAY = dt.date(1990, 1, 1)


class Patient(StableId):
    """The person whose diary this is. Every piece of health data belongs to a patient.

    ``public_id`` names the diary in addresses (short, URL-safe, but with ``_`` it is no valid
    FHIR id); ``uid`` is its stable id in exports, like every record of the diary.
    """

    class WeightUnit(models.TextChoices):
        KG = "kg", _("kilograms (kg)")
        LB = "lb", _("pounds (lb)")

    class TemperatureUnit(models.TextChoices):
        CELSIUS = "C", _("Celsius (°C)")
        FAHRENHEIT = "F", _("Fahrenheit (°F)")

    class PaperSize(models.TextChoices):
        A4 = places.PAPER_A4, _("A4")
        LETTER = places.PAPER_LETTER, _("Letter")

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
    # For the report a doctor reads: both optional, printed in its header when given.
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    clinic_number = models.CharField(_("clinic or hospital number"), max_length=30, blank=True)
    # Empty: the usual paper where the diary's country is (``report_paper_size``).
    paper_size = models.CharField(
        _("paper size for the report"), max_length=6, choices=PaperSize, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every write to the patient's data (patients.signals); page fragments are cached
    # under it, so a cached page can never outlive a change.
    data_version = models.PositiveBigIntegerField(default=0, editable=False)
    # Bumped with it, but only by what the diary records (not a report made or the report's
    # saved choice: models with ``is_diary_content = False``). A PDF made from an older one is
    # shown as made before the latest changes (reports.jobs.is_outdated).
    content_version = models.PositiveBigIntegerField(default=0, editable=False)

    objects = PatientQuerySet.as_manager()

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
        usual one for the diary's country (with no country set, the country of its time zone,
        as for the paper: a London diary said "Call 112" to a patient who expects 999), else
        112 (emergency services from most mobiles)."""
        return (
            self.emergency_number
            or emergency.number_for(self.country_or_zones)
            or emergency.FALLBACK
        )

    @property
    def country_or_zones(self) -> str:
        """The diary's country, else that of its time zone ("" for UTC and the like)."""
        return self.country or places.country_for_zone(self.time_zone)

    @property
    def report_paper_size(self) -> str:
        """The report's paper ("a4" or "letter"): the one chosen in diary settings, else the
        usual one in the diary's country (with no country set, the country of its time zone)."""
        if self.paper_size:
            return self.paper_size
        return places.paper_size_for(self.country_or_zones)

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

    def delete(self, using=None, keep_parents=False):
        """Delete the diary and every row of it, in one transaction (see patients.deletion:
        its infusions and plans go first, as they may use the diary's own products)."""
        from .deletion import delete_protecting_rows

        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            first, first_counts = delete_protecting_rows(self, using)
            count, counts = super().delete(using=using, keep_parents=keep_parents)
        for label, n in first_counts.items():
            counts[label] = counts.get(label, 0) + n
        return first + count, counts


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

    def save(self, *args, **kwargs):
        """Refuses (ValidationError) to leave a diary without an owner: the last owner cannot
        be given another role (removing one is guarded in patients.owners)."""
        if self._state.adding:
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            before = (
                type(self)
                ._base_manager.using(using)
                .filter(pk=self.pk)
                .values_list("role", "patient_id")
                .first()
            )
            super().save(*args, **kwargs)
            took_away_an_owner = (
                before is not None
                and before[0] == self.Role.OWNER
                and (self.role != self.Role.OWNER or self.patient_id != before[1])
            )
            if took_away_an_owner:
                ensure_an_owner_remains(before[1], using)
        return None

    def delete(self, using=None, keep_parents=False):
        # In a block of its own, like save(): refusing to remove the last owner
        # (patients.owners) undoes only this delete, and a caller inside a transaction may
        # catch the ValidationError and go on. (QuerySet.delete() needs the caller's own
        # atomic block for that, as for an IntegrityError.)
        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            return super().delete(using=using, keep_parents=keep_parents)

    @property
    def can_write(self) -> bool:
        return self.role != self.Role.CAREGIVER_VIEWER

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


def last_owner_message(patient: Patient) -> str:
    return _(
        "“%(name)s” needs an owner. Make someone else an owner of this diary first, "
        "or delete the diary."
    ) % {"name": patient.name}


def ensure_an_owner_remains(patient_id: int, using: str = "default") -> None:
    """Raise ValidationError if the diary has no owner left. Call it after the write, inside
    the write's transaction: the exception then undoes the write.

    The diary's row is locked first, so two requests each taking away one of two owners wait for
    each other and the second sees the first's change (PostgreSQL; SQLite writes one at a time).
    """
    patient = Patient.objects.using(using).select_for_update().filter(pk=patient_id).first()
    if patient is None:
        return  # the diary itself is gone
    owners = Membership.objects.using(using).filter(
        patient_id=patient_id, role=Membership.Role.OWNER
    )
    if not owners.exists():
        raise ValidationError(last_owner_message(patient), code="last_owner")


def author_name_field():
    """An author's name kept as text, for a record whose author is no account of this diary
    (a diary imported from a full export: docs/export-format.md, "People"). Set by the import
    only; empty when the author is the account in the foreign key next to it."""
    return models.CharField(max_length=254, blank=True, default="", editable=False)


def author_role_field():
    """The role the author named in ``…_name`` had in the diary the record came from
    (a :class:`Membership.Role` value), or empty: no longer a member there."""
    return models.CharField(max_length=20, blank=True, default="", editable=False)


class ChangeRecord(StableId):
    """Who changed what in a patient's data, when, with the values before and after.

    One history for every app (diary entries, infusions with their rows, plans), written by
    :mod:`patients.history`. ``model`` is the model's ``app_label.model_name``, ``object_id``
    the object's integer key (what the pages look it up by), ``object_uid`` its stable id (what
    an export points at). Never edited.
    """

    # Written alongside every write it records, which already bumps the patient's data version.
    bumps_patient_data_version = False

    class Action(models.TextChoices):
        CREATED = "created", _("Added")
        UPDATED = "updated", _("Changed")
        DELETED = "deleted", _("Deleted")
        RESTORED = "restored", _("Restored")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    # The changed object's stable id (its ``uid``), so an exported history can point at the
    # exported record. Empty for a record written before objects had one whose object was gone
    # by then, and for a model without a ``uid``.
    object_uid = models.UUIDField(null=True, blank=True, editable=False)
    action = models.CharField(max_length=10, choices=Action)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_by_name = author_name_field()
    changed_by_role = author_role_field()
    changed_at = models.DateTimeField(default=timezone.now)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "model", "object_id"], name="change_patient_object")
        ]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_id} {self.action}"
