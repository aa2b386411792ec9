"""The doctor's report: what each diary chose for it, the reports made, and PDFs being made.

* :class:`ReportPreference`: the period and sections last chosen, one row per diary, so the next
  report starts from them.
* :class:`ReportRecord`: one row per report made (a PDF today), for "since the last report".
* :class:`ReportPdfJob`: a PDF asked for and made in the background (``reports.tasks``), with
  the file itself kept in the database, so no app server keeps state on its disk.

Each belongs to one diary; look them up through ``reports.preferences`` and ``reports.jobs``,
which always filter by the patient.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import Patient, StableId, author_name_field, author_role_field

from . import sections


class Period(models.TextChoices):
    SINCE_LAST = "since_last", _("Since the last report made")
    ONE_MONTH = "1m", _("The last month")
    THREE_MONTHS = "3m", _("The last 3 months")
    SIX_MONTHS = "6m", _("The last 6 months")
    TWELVE_MONTHS = "12m", _("The last 12 months")
    CUSTOM = "custom", _("Dates I choose")


class ReportPreference(models.Model):
    """The period and sections the diary's report was last made with (one row per diary).

    No ``uid``: a setting of the diary (one row, found by its diary), not a record of it.
    """

    # Choosing a period changes the report page (data_version), not what the diary records.
    is_diary_content = False

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=10, choices=Period, default=Period.SINCE_LAST)
    custom_from = models.DateField(_("from"), null=True, blank=True)
    custom_to = models.DateField(_("to"), null=True, blank=True)
    sections = models.JSONField(
        _("parts to include"),
        default=sections.default_sections,
        blank=True,
        validators=[sections.validate_sections],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_by_name = author_name_field()
    updated_by_role = author_role_field()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(period__in=Period.values), name="report_pref_period_valid"
            ),
            models.CheckConstraint(
                condition=~Q(period=Period.CUSTOM)
                | Q(custom_from__isnull=False, custom_to__isnull=False),
                name="report_pref_custom_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(custom_from__isnull=True)
                | Q(custom_to__isnull=True)
                | Q(custom_from__lte=models.F("custom_to")),
                name="report_pref_custom_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.period}"


class ReportRecord(StableId):
    """A report made: the period it covered, when and by whom. Never edited.

    Part of the diary's record (its dates start "since the last report"), so it has a ``uid``.
    """

    # It moves the report's default period (data_version), but a PDF made is not outdated by
    # the record of itself or of another PDF (content_version).
    is_diary_content = False

    class Kind(models.TextChoices):
        PDF = "pdf", _("PDF")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    since = models.DateField()
    until = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.PDF)
    made_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    made_by_name = author_name_field()
    made_by_role = author_role_field()

    class Meta:
        ordering = ["-made_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-made_at"], name="report_record_patient_made")]
        constraints = [
            models.CheckConstraint(
                condition=Q(since__lte=models.F("until")), name="report_record_period_in_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.since} – {self.until}"


class ReportPdfJob(models.Model):
    """A PDF of the report, asked for by a member of the diary and made by a task worker.

    ``status`` goes queued -> running -> done (``pdf`` holds the file) or failed (``error``
    says why, in plain words). Its id is a random UUID, for the download address. No ``uid``:
    a file being made, not a record of the diary (a report made is a ``ReportRecord``).
    """

    # Its status changes as the worker goes: nothing on the diary's cached pages depends on it.
    bumps_patient_data_version = False

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Could not be made")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    since = models.DateField()
    until = models.DateField()
    sections = models.JSONField(default=list, blank=True, validators=[sections.validate_sections])
    paper = models.CharField(max_length=6, choices=Patient.PaperSize)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The file, kept in the database (capped by settings.REPORT_PDF_MAX_BYTES): any app process
    # can serve it. Deferred by every listing (reports.jobs.jobs_for).
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # The django-tasks result id, for an operator following the job in the task tables.
    task_id = models.CharField(max_length=64, blank=True)
    # The diary's content version the PDF was made from (reports.jobs.run): once the diary has
    # changed since, the list says so, and a patient does not bring an old PDF for a new one.
    content_version = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="report_pdf_patient_made")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="report_pdf_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(paper__in=Patient.PaperSize.values), name="report_pdf_paper_valid"
            ),
            models.CheckConstraint(
                condition=Q(since__lte=models.F("until")), name="report_pdf_period_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.since} – {self.until} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def filename(self) -> str:
        return f"diary-report-{self.since:%Y-%m-%d}-to-{self.until:%Y-%m-%d}.pdf"

    def pdf_bytes(self) -> bytes:
        """The file as bytes (PostgreSQL hands a BinaryField back as a memoryview)."""
        return bytes(self.pdf) if self.pdf is not None else b""


class ExportJob(models.Model):
    """An export of the diary (CSV zip, FHIR Bundle or full JSON), asked for on the Export page
    and made by a task worker with the same builders a direct download used.

    The sibling of :class:`ReportPdfJob`, with the same life (``Status``: queued -> running ->
    done with ``file``, or failed with ``error``), the same bounds and the same helpers in
    ``reports.jobs``; a model of its own because a PDF has parts and a paper size, an export a
    kind, and each keeps its own checks. No ``uid``: a file being made, not a record of the diary.
    """

    bumps_patient_data_version = False

    Status = ReportPdfJob.Status

    class Kind(models.TextChoices):
        CSV = "csv", _("Spreadsheet (CSV zip)")
        FHIR = "fhir", _("Clinic system (FHIR)")
        JSON = "json", _("Full export (JSON)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=4, choices=Kind)
    # The period exported (the full JSON: the whole diary as it stood when asked), which also
    # names the file: diary-<name>-<since>-<until>.<ext>.
    since = models.DateField()
    until = models.DateField()
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The file, in the database (capped by reports.jobs.export_max_bytes()): any app process can
    # serve it. Deferred by every listing (reports.jobs.export_jobs_for).
    file = models.BinaryField(null=True, blank=True, editable=False)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="export_job_patient_made")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="export_job_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["csv", "fhir", "json"]), name="export_job_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(since__lte=models.F("until")), name="export_job_period_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.kind} {self.since} – {self.until} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    def file_bytes(self) -> bytes:
        """The file as bytes (PostgreSQL hands a BinaryField back as a memoryview)."""
        return bytes(self.file) if self.file is not None else b""
