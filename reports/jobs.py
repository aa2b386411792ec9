"""PDFs of the report, made in the background so a long period never blocks the site.

A member asks (:func:`request_pdf`): a :class:`ReportPdfJob` row is written and, once that is
committed, the task ``reports.tasks.render_report_pdf`` is queued with the job's id (nothing
else: no diary data sits in the task tables). A worker (``manage.py db_worker``) runs it
(:func:`run`): the job goes queued -> running -> done, with the PDF in the row, or failed, with a
message in plain words. The page polls the job and offers the download; the user may leave
and come back (:func:`jobs_for`).

How many PDFs are made at once is bounded by the number of workers (one task at a time each);
a diary has at most :data:`MAX_UNFINISHED` PDFs waiting, and asking twice for the same one
gives back the one already on its way.

Every lookup takes the patient: a job belongs to one diary.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patients.models import Patient, User

from . import document, pdf, preferences, sections
from .models import ReportPdfJob

logger = logging.getLogger(__name__)

MAX_UNFINISHED = 3
# A PDF (health data) is kept this long, then deleted: ask again for a newer one.
KEEP_FOR = dt.timedelta(days=7)
# A job not finished by then is taken as lost (its worker stopped): the page can say so.
STUCK_AFTER = dt.timedelta(minutes=15)

FAILED_MESSAGE = gettext_lazy(
    "The PDF could not be made. Try again; if it fails again, choose a shorter period."
)
UNAVAILABLE_MESSAGE = gettext_lazy(
    "PDFs cannot be made on this server at the moment. Print the report page instead."
)


def jobs_for(patient: Patient) -> QuerySet[ReportPdfJob]:
    """The diary's PDF jobs, newest first, without the files (load one with :func:`job_for`)."""
    return ReportPdfJob.objects.filter(patient=patient).defer("pdf").order_by("-created_at")


def job_for(patient: Patient, job_id) -> ReportPdfJob:
    """One job of the diary, file included; ``ReportPdfJob.DoesNotExist`` for another diary's
    job or an id that is not one."""
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError:
        raise ReportPdfJob.DoesNotExist from None
    return ReportPdfJob.objects.get(patient=patient, pk=job_id)


def is_stuck(job: ReportPdfJob, now: dt.datetime | None = None) -> bool:
    """Unfinished long after it was asked for: no worker is running, or it stopped mid-way."""
    return not job.is_finished and job.created_at < (now or timezone.now()) - STUCK_AFTER


def prune(now: dt.datetime | None = None) -> int:
    """Delete every diary's PDFs older than :data:`KEEP_FOR`. Returns how many went."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _counts = ReportPdfJob.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def request_pdf(
    patient: Patient,
    user: User | None,
    *,
    since: dt.date,
    until: dt.date,
    parts: list[str] | None = None,
    paper: str | None = None,
) -> ReportPdfJob:
    """Ask for a PDF of the diary's report; returns the job (queued, or the same one already
    on its way). ``parts`` default to the diary's saved choice, ``paper`` to its paper size.
    ValidationError, in plain words, for a period in the wrong order or too many PDFs waiting.
    """
    if since > until:
        raise ValidationError(_("The period’s last day comes before its first."))
    if parts is None:
        parts = preferences.preference_for(patient).sections
    sections.validate_sections(parts)
    parts = sections.in_order(parts)
    paper = paper or patient.report_paper_size
    if paper not in Patient.PaperSize.values:
        raise ValidationError(_("Choose A4 or Letter."))
    now = timezone.now()
    with transaction.atomic():
        prune(now)
        unfinished = [
            job
            for job in jobs_for(patient).filter(
                status__in=[ReportPdfJob.Status.QUEUED, ReportPdfJob.Status.RUNNING]
            )
            if not is_stuck(job, now)
        ]
        for job in unfinished:
            if (job.since, job.until, job.sections, job.paper) == (since, until, parts, paper):
                return job  # asked twice (a double tap, a second tab): the same PDF
        if len(unfinished) >= MAX_UNFINISHED:
            raise ValidationError(
                _("%(count)s PDFs of this diary are being made. Wait for one to be ready.")
                % {"count": len(unfinished)}
            )
        job = ReportPdfJob.objects.create(
            patient=patient,
            requested_by=user,
            since=since,
            until=until,
            sections=parts,
            paper=paper,
            created_at=now,
        )
        # After the commit: a worker must find the row, and a rolled-back request queues nothing.
        transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job: ReportPdfJob) -> None:
    from .tasks import render_report_pdf

    result = render_report_pdf.enqueue(str(job.pk))
    ReportPdfJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def run(job_id) -> dict:
    """Make the PDF of one job (what the task does). Safe to run twice: only a queued job is
    taken, and by one worker only. Never raises for a failed PDF: the job records it."""
    now = timezone.now()
    taken = ReportPdfJob.objects.filter(pk=job_id, status=ReportPdfJob.Status.QUEUED).update(
        status=ReportPdfJob.Status.RUNNING, started_at=now
    )
    if not taken:
        status = ReportPdfJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return {"job": str(job_id), "status": status or "missing"}
    job = ReportPdfJob.objects.select_related("patient", "requested_by").defer("pdf").get(pk=job_id)
    try:
        data = _render(job)
    except pdf.PdfUnavailable:
        logger.exception("Report PDF %s: WeasyPrint is not available", job.pk)
        return _fail(job, UNAVAILABLE_MESSAGE)
    except Exception:
        logger.exception("Report PDF %s could not be made", job.pk)
        return _fail(job, FAILED_MESSAGE)
    if len(data) > settings.REPORT_PDF_MAX_BYTES:
        return _fail(
            job,
            _("The PDF came out too large (%(size)s MB). Choose a shorter period or fewer parts.")
            % {"size": round(len(data) / 1_000_000, 1)},
        )
    with transaction.atomic():
        ReportPdfJob.objects.filter(pk=job.pk).update(
            status=ReportPdfJob.Status.DONE,
            pdf=data,
            size_bytes=len(data),
            finished_at=timezone.now(),
            error="",
        )
        preferences.record_made(
            job.patient, job.since, job.until, job.requested_by, made_at=job.created_at
        )
    return {"job": str(job.pk), "status": ReportPdfJob.Status.DONE, "bytes": len(data)}


def _render(job: ReportPdfJob) -> bytes:
    """The same document as the report page, laid out on paper, with its dates and times in the
    diary's zone (as the page shows them: the access gate sets the zone for a request)."""
    with timezone.override(job.patient.tz):
        context = document.template_context(
            job.patient,
            job.since,
            job.until,
            job.sections,
            for_pdf=True,
            made_at=job.created_at,
            paper=job.paper,
        )
        return pdf.render(
            job.patient,
            job.since,
            job.until,
            job.sections,
            job.paper,
            made_at=job.created_at,
            context=context,
        )


def _fail(job: ReportPdfJob, message: str) -> dict:
    ReportPdfJob.objects.filter(pk=job.pk).update(
        status=ReportPdfJob.Status.FAILED, error=str(message)[:300], finished_at=timezone.now()
    )
    return {"job": str(job.pk), "status": ReportPdfJob.Status.FAILED}
