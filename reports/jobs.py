"""Files made in the background so a long period never blocks the site: PDFs of the report and
exports of the diary (CSV zip, FHIR Bundle, full JSON).

A member asks (:func:`request_pdf`): a :class:`ReportPdfJob` row is written and, once that is
committed, the task ``reports.tasks.render_report_pdf`` is queued with the job's id (nothing
else: no diary data sits in the task tables). A worker (``manage.py db_worker``) runs it
(:func:`run`): the job goes queued -> running -> done, with the PDF in the row, or failed, with a
message in plain words. The page polls the job and offers the download; the user may leave
and come back (:func:`jobs_for`).

How many PDFs are made at once is bounded by the number of workers (one task at a time each);
a diary has at most :data:`MAX_UNFINISHED` PDFs waiting, and asking twice for the same one
gives back the one already on its way.

Exports (:func:`request_export`, :func:`run_export`, :func:`export_jobs_for`) live the same
life in an :class:`ExportJob` row and task ``reports.tasks.make_export``, which runs the very
builders a download used to run in the request (``csv_export.build_zip``, ``fhir.bundle_json``,
``full_export.export_json``). The lifecycle (taking a queued job once, finishing, failing,
pruning, "stuck") is shared below; only what is made differs.

Every lookup takes the patient: a job belongs to one diary.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patients.models import Patient, User

from . import csv_export, document, fhir, full_export, pdf, preferences, sections
from .models import ExportJob, ReportPdfJob

logger = logging.getLogger(__name__)

MAX_UNFINISHED = 3
# A PDF (health data) is kept this long, then deleted: ask again for a newer one.
KEEP_FOR = dt.timedelta(days=7)
# A job not finished by then is taken as lost (its worker stopped): the page can say so.
STUCK_AFTER = dt.timedelta(minutes=15)
# Still waiting to start after this: the page says it is slow and that one may leave and come
# back (browser pass: "Waiting to start…" and nothing else for minutes, with no worker).
SLOW_AFTER = dt.timedelta(minutes=1)

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


def for_display(job, now: dt.datetime | None = None):
    """Mark a job (PDF or export) for its status fragment: ``stuck``, and ``polling`` while
    there is something to wait for."""
    now = now or timezone.now()
    job.stuck = is_stuck(job, now)
    job.polling = not job.is_finished and not job.stuck
    job.slow = job.polling and job.created_at < now - SLOW_AFTER
    return job


def prune(now: dt.datetime | None = None) -> int:
    """Delete every diary's PDFs older than :data:`KEEP_FOR`. Returns how many went."""
    return _prune(ReportPdfJob, now)


def _prune(model, now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _counts = model.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _unfinished(queryset: QuerySet, now: dt.datetime) -> list:
    """The queued or running jobs of ``queryset`` that are not stuck (a stuck one no longer
    counts against the diary's bound)."""
    model = queryset.model
    return [
        job
        for job in queryset.filter(status__in=[model.Status.QUEUED, model.Status.RUNNING])
        if not is_stuck(job, now)
    ]


def _take(model, job_id) -> bool:
    """Mark a queued job running; False when it is not queued (already taken, or gone)."""
    return bool(
        model.objects.filter(pk=job_id, status=model.Status.QUEUED).update(
            status=model.Status.RUNNING, started_at=timezone.now()
        )
    )


def _status_of(model, job_id) -> dict:
    status = model.objects.filter(pk=job_id).values_list("status", flat=True).first()
    return {"job": str(job_id), "status": status or "missing"}


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
        unfinished = _unfinished(jobs_for(patient), now)
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
    if not _take(ReportPdfJob, job_id):
        return _status_of(ReportPdfJob, job_id)
    job = ReportPdfJob.objects.select_related("patient", "requested_by").defer("pdf").get(pk=job_id)
    made_from = _content_version(job.patient_id)
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
        preferences.record_made(
            job.patient, job.since, job.until, job.requested_by, made_at=job.created_at
        )
        ReportPdfJob.objects.filter(pk=job.pk).update(
            status=ReportPdfJob.Status.DONE,
            pdf=data,
            size_bytes=len(data),
            finished_at=timezone.now(),
            error="",
            content_version=made_from,
        )
    return {"job": str(job.pk), "status": ReportPdfJob.Status.DONE, "bytes": len(data)}


def _content_version(patient_id: int) -> int:
    return Patient.objects.values_list("content_version", flat=True).get(pk=patient_id)


def is_outdated(job: ReportPdfJob, patient: Patient) -> bool:
    """A PDF made, from an older state of the diary than ``patient``'s (as just loaded)."""
    return (
        job.status == ReportPdfJob.Status.DONE
        and job.content_version is not None
        and job.content_version != patient.content_version
    )


@functools.cache
def settle_worker() -> None:
    """Once per task worker, when its first task starts (``reports.apps``): load WeasyPrint,
    then move everything loaded so far out of the garbage collector's sight (``gc.freeze``, as
    gunicorn.conf.py does for the web workers). Laying out a long report makes hundreds of
    thousands of small objects, and each full collection walked every module, model and font
    object again: the five-year PDF took ~4.3-5.9 s before and ~3.4 s after (docs/decisions.md,
    "Speed"). Objects made later, by each PDF, are collected once it is made: the collector
    pauses while a PDF is made (``pdf.collector_paused``).

    Never inside a web request (the immediate backend runs tasks there): what the request holds
    would be frozen with the rest."""
    pdf.available()
    gc.collect()
    gc.freeze()


def _render(job: ReportPdfJob) -> bytes:
    """The same document as the report page, laid out on paper, with its dates and times in the
    diary's zone (as the page shows them: the access gate sets the zone for a request). The
    garbage collector pauses for the whole of it, the report's data included (pdf.py)."""
    with timezone.override(job.patient.tz), pdf.collector_paused():
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


def _fail(job: ReportPdfJob | ExportJob, message: str) -> dict:
    model = type(job)
    model.objects.filter(pk=job.pk).update(
        status=model.Status.FAILED, error=str(message)[:300], finished_at=timezone.now()
    )
    return {"job": str(job.pk), "status": model.Status.FAILED}


# --- exports of the diary -------------------------------------------------------------------

# At most this many exports of one diary waiting or being made (one of each kind, or the same
# kind for three periods); asking again for one on its way gives that one back.
MAX_UNFINISHED_EXPORTS = 3
# Finished exports kept per diary (besides the 7 days): older ones go when a new one is asked.
EXPORTS_KEPT = 6
# A 5-year diary makes a 25 MB FHIR Bundle; a file past the cap is not kept (settings may raise
# or lower it with EXPORT_MAX_BYTES).
EXPORT_MAX_BYTES = 100 * 1024 * 1024

EXPORT_FAILED_MESSAGE = gettext_lazy(
    "The export could not be made. Try again; if it fails again, choose a shorter period."
)


@dataclass(frozen=True)
class ExportKind:
    """What one kind of export makes: the builder (the one the Export page always used), the
    file's extension and its media type."""

    ext: str
    content_type: str
    build: Callable[[Patient, dt.date, dt.date], bytes]


def _full_export(patient: Patient, since: dt.date, until: dt.date) -> bytes:
    return full_export.export_json(patient)  # always the whole diary: since/until name the file


EXPORT_KINDS: dict[str, ExportKind] = {
    ExportJob.Kind.CSV: ExportKind("zip", "application/zip", csv_export.build_zip),
    # ".fhir.json": the FHIR bundle and the full export would otherwise share a name.
    ExportJob.Kind.FHIR: ExportKind("fhir.json", "application/fhir+json", fhir.bundle_json),
    ExportJob.Kind.JSON: ExportKind("json", "application/json", _full_export),
}


def export_max_bytes() -> int:
    return getattr(settings, "EXPORT_MAX_BYTES", EXPORT_MAX_BYTES)


def export_jobs_for(patient: Patient) -> QuerySet[ExportJob]:
    """The diary's export jobs, newest first, without the files (load one with
    :func:`export_job_for`)."""
    return ExportJob.objects.filter(patient=patient).defer("file").order_by("-created_at")


def export_job_for(patient: Patient, job_id) -> ExportJob:
    """One export of the diary, file included; ``ExportJob.DoesNotExist`` for another diary's
    job or an id that is not one."""
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError:
        raise ExportJob.DoesNotExist from None
    return ExportJob.objects.get(patient=patient, pk=job_id)


def prune_exports(patient: Patient | None = None, now: dt.datetime | None = None) -> int:
    """Delete every diary's exports older than :data:`KEEP_FOR` and, for ``patient``, its
    finished ones past the newest :data:`EXPORTS_KEPT`. Returns how many went."""
    deleted = _prune(ExportJob, now)
    if patient is not None:
        finished = export_jobs_for(patient).filter(
            status__in=[ExportJob.Status.DONE, ExportJob.Status.FAILED]
        )
        old = list(finished.values_list("pk", flat=True)[EXPORTS_KEPT:])
        if old:
            deleted += ExportJob.objects.filter(pk__in=old).delete()[0]
    return deleted


def request_export(
    patient: Patient, user: User | None, *, kind: str, since: dt.date, until: dt.date
) -> ExportJob:
    """Ask for an export of the diary; returns the job (queued, or the same one already on its
    way). ValidationError, in plain words, for an unknown kind, a period in the wrong order or
    too many exports waiting. The period is checked by the form first
    (``forms_export.ExportPeriodForm``); here only what must hold for any caller."""
    if kind not in EXPORT_KINDS:
        raise ValidationError(_("Choose an export: CSV, FHIR or the full export."))
    if since > until:
        raise ValidationError(_("The period’s last day comes before its first."))
    now = timezone.now()
    with transaction.atomic():
        prune_exports(patient, now)
        unfinished = _unfinished(export_jobs_for(patient), now)
        for job in unfinished:
            if (job.kind, job.since, job.until) == (kind, since, until):
                return job  # asked twice (a double tap, a second tab): the same export
        if len(unfinished) >= MAX_UNFINISHED_EXPORTS:
            raise ValidationError(
                _("%(count)s exports of this diary are being made. Wait for one to be ready.")
                % {"count": len(unfinished)}
            )
        job = ExportJob.objects.create(
            patient=patient,
            requested_by=user,
            kind=kind,
            since=since,
            until=until,
            created_at=now,
        )
        # After the commit: a worker must find the row, and a rolled-back request queues nothing.
        transaction.on_commit(lambda: enqueue_export(job))
    return job


def enqueue_export(job: ExportJob) -> None:
    from .tasks import make_export

    result = make_export.enqueue(str(job.pk))
    ExportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def run_export(job_id) -> dict:
    """Make the file of one export job (what the task does). Safe to run twice: only a queued
    job is taken, by one worker. Never raises for a failed export: the job records it."""
    if not _take(ExportJob, job_id):
        return _status_of(ExportJob, job_id)
    job = ExportJob.objects.select_related("patient").defer("file").get(pk=job_id)
    started = timezone.now()
    try:
        with timezone.override(job.patient.tz):
            data = EXPORT_KINDS[job.kind].build(job.patient, job.since, job.until)
    except Exception:
        logger.exception("Export %s (%s) could not be made", job.pk, job.kind)
        return _fail(job, EXPORT_FAILED_MESSAGE)
    if len(data) > export_max_bytes():
        return _fail(
            job,
            _("The export came out too large (%(size)s MB). Choose a shorter period.")
            % {"size": round(len(data) / 1_000_000, 1)},
        )
    finished = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        file=data,
        size_bytes=len(data),
        finished_at=finished,
        error="",
    )
    logger.info(
        "Export %s (%s) made: %s bytes in %.2f s",
        job.pk,
        job.kind,
        len(data),
        (finished - started).total_seconds(),
    )
    return {"job": str(job.pk), "status": ExportJob.Status.DONE, "bytes": len(data)}
