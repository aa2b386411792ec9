"""The Export page: every export of a diary, made in the background, and the import of a full
export as a new diary.

* ``export/``: the page, with the diary's recent exports (being made, ready, or failed) and
  their download links. Everyone with a membership sees the exports (a caregiver who may only
  view may take them, as they may print the report); the owner also sees the import.
* ``export/jobs/`` (POST, ``kind`` = ``csv``, ``fhir`` or ``json``): ask for an export. CSV
  and FHIR take ``since`` and ``until`` (the diary's local dates, both included; empty: the whole
  diary); the full export is always the whole diary. The file is made by a task
  (``reports.jobs.request_export``): a 5-year FHIR Bundle takes seconds, which no request
  should hold a worker for (architecture.md, "anything that can exceed ~2 s runs as a task").
  Answers htmx with the export panel (the new job's status polls every 2 s), and a plain form
  post with a redirect to the job's own page.
* ``export/<uuid:pk>/``: how that export is getting on (the fragment htmx polls, 286 once there
  is nothing more to wait for; or a page with "Look again").
* ``export/<uuid:pk>/download/``: the file, as an attachment.
* ``export/import/``: POST a full export; it becomes a new diary of the signed-in user.

Asking for an export and downloading one ask for the password again when the last sign-in is
not recent (allauth's re-authentication, quality.md "Sessions"): health data leaves the site.
allauth keeps the POST and replays it after the password. Every file is named
``diary-<name>-<from>-<to>.<ext>`` and is never cached by a browser or a proxy.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import wraps

from allauth.account.decorators import reauthentication_required
from allauth.account.middleware import AccountMiddleware
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db.models import Min
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from diary.models import Measure, Note, SymptomEntry
from infusions.models import Infusion
from patients.access import PatientRequest, get_for_patient, patient_view
from patients.htmx import vary_on_htmx, wants_fragment
from patients.models import Patient

from . import exports, full_import, jobs
from .forms_export import ExportPeriodForm, ImportForm
from .models import ExportJob
from .views_report import STOP_POLLING

TEMPLATE = "reports/export.html"
PANEL = "export-panel"
JOBS_SHOWN = 6


def first_day(patient: Patient) -> dt.date:
    """The first local date with anything in the diary (else the day it was started): where
    "the whole diary" begins, in the file names too."""
    days = [timezone.localtime(patient.created_at, patient.tz).date()]
    days.append(Infusion.all_objects.filter(patient=patient).aggregate(d=Min("date"))["d"])
    for model in (SymptomEntry, Measure, Note):
        days.append(model.all_objects.filter(patient=patient).aggregate(d=Min("local_date"))["d"])
    return min(day for day in days if day is not None)


def _today(patient: Patient) -> dt.date:
    return timezone.localtime(timezone.now(), patient.tz).date()


def _period_form(request: PatientRequest, data=None) -> ExportPeriodForm:
    patient = request.patient
    return ExportPeriodForm(data, today=_today(patient), first_day=first_day(patient))


def _recent_jobs(patient: Patient) -> list[ExportJob]:
    now = timezone.now()
    return [jobs.for_display(job, now) for job in jobs.export_jobs_for(patient)[:JOBS_SHOWN]]


def _page(
    request: PatientRequest,
    *,
    period_form: ExportPeriodForm | None = None,
    import_form: ImportForm | None = None,
    export_error: str = "",
    status: int = 200,
    fragment: bool = False,
) -> HttpResponse:
    patient = request.patient
    period_form = period_form or _period_form(request)
    context = {
        "patient": patient,
        "period_form": period_form,
        "first_day": period_form.first_day,
        "today": period_form.today,
        "jobs": _recent_jobs(patient),
        "export_error": export_error,
        "import_form": import_form or ImportForm(),
        "can_import": request.membership.is_owner,
        "max_import_mb": full_import.MAX_BYTES // (1024 * 1024),
    }
    template = f"{TEMPLATE}#{PANEL}" if fragment else TEMPLATE
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    return vary_on_htmx(response)


@patient_view
@require_GET
def export_page(request: PatientRequest) -> HttpResponse:
    return _page(request)


def _password_first(view):
    """allauth's ``reauthentication_required``, also for a request htmx sent.

    Without JavaScript allauth does it all: its middleware keeps the POST, shows the password
    page, then replays the POST. htmx would follow that redirect itself and swap the password
    page into the export panel: so for htmx the kept request loses its htmx headers (it is
    replayed as the plain form post it stands for, answered with a page) and htmx is told to
    send the whole window to the password page.
    """
    guarded = reauthentication_required(view)

    @wraps(view)
    def wrapper(request: PatientRequest, *args, **kwargs) -> HttpResponse:
        try:
            return guarded(request, *args, **kwargs)
        except ReauthenticationRequired as needed:
            if not wants_fragment(request):
                raise  # allauth's AccountMiddleware keeps the request and asks
            for key in [key for key in request.META if key.startswith("HTTP_HX_")]:
                del request.META[key]
            request.__dict__.pop("headers", None)  # HttpRequest.headers is cached from META
            # What allauth's middleware answers to the exception: the request kept in the
            # session, and a redirect to the password page that will replay it.
            asked = AccountMiddleware(lambda _request: None).process_exception(request, needed)
            return HttpResponseClientRedirect(asked["Location"])

    return wrapper


@patient_view(viewer_may_post=True)
@require_POST
@_password_first
def export_request(request: PatientRequest) -> HttpResponse:
    """Ask for an export. A caregiver who may only view may ask too: it reads the diary, as
    the report's PDF does (the write is a row of the export queue)."""
    patient = request.patient
    fragment = wants_fragment(request)
    kind = request.POST.get("kind", "")
    if kind not in ExportJob.Kind.values:
        return _page(
            request,
            export_error=_("Choose an export: CSV, FHIR or the full export."),
            status=200 if fragment else 400,
            fragment=fragment,
        )
    form = _period_form(request, request.POST if kind != ExportJob.Kind.JSON else {})
    if not form.is_valid():
        # The choice comes back with its message next to the field, and what was typed. htmx 2
        # swaps no 4xx answer (architecture.md): it gets the panel with a 200.
        return _page(request, period_form=form, status=200 if fragment else 400, fragment=fragment)
    since, until = form.period()
    try:
        job = jobs.request_export(patient, request.user, kind=kind, since=since, until=until)
    except ValidationError as refused:
        return _page(
            request,
            period_form=form,
            export_error=" ".join(refused.messages),
            status=200 if fragment else 409,
            fragment=fragment,
        )
    if fragment:
        # A fresh form (the period typed stays: it is likely the next one wanted too).
        return _page(request, period_form=form, fragment=True)
    return redirect("reports:export-status", patient.public_id, job.pk)


@patient_view
@require_GET
def export_status(request: PatientRequest, pk) -> HttpResponse:
    """How an export is getting on: the status fragment htmx polls (286 once there is nothing
    more to wait for), or a page of its own with a link to look again."""
    try:
        job = jobs.for_display(get_for_patient(request, ExportJob.objects.defer("file"), pk))
    except Http404:
        if not wants_fragment(request):
            raise
        # Deleted while a page still polls it (after 7 days, or with its diary): say so and
        # stop the polling, instead of a 404 htmx ignores and asks again every 2 s for ever.
        gone = HttpResponse(_("This file is no longer kept. Make a new one."), status=STOP_POLLING)
        add_never_cache_headers(gone)
        return vary_on_htmx(gone)
    context = {"patient": request.patient, "job": job}
    if wants_fragment(request):
        response = render(request, "reports/_export_job.html#export-job-status", context)
        if not job.polling:
            response.status_code = STOP_POLLING
    else:
        response = render(request, "reports/export_status.html", context)
    add_never_cache_headers(response)
    return vary_on_htmx(response)


@patient_view
@require_GET
def export_download(request: PatientRequest, pk) -> HttpResponse:
    """The file of a finished export, as an attachment; its page while it is not ready.
    Another diary's id is 404 before any password is asked (nothing learnt about it)."""
    job = get_for_patient(request, ExportJob.objects.defer("file"), pk)
    return _send(request, job)


@reauthentication_required
def _send(request: PatientRequest, job: ExportJob) -> HttpResponse:
    patient = request.patient
    if job.status != ExportJob.Status.DONE:
        return redirect("reports:export-status", patient.public_id, job.pk)
    data = jobs.export_job_for(patient, job.pk).file_bytes()
    kind = jobs.EXPORT_KINDS[job.kind]
    response = FileResponse(io.BytesIO(data), content_type=kind.content_type)
    response["Content-Length"] = str(len(data))
    response["Content-Disposition"] = exports.content_disposition(
        exports.download_name(patient, job.since, job.until, kind.ext)
    )
    add_never_cache_headers(response)  # health data: no copy kept by a browser or a proxy
    return response


# --- the import -----------------------------------------------------------------------------------


class _CappedUpload(FileUploadHandler):
    """Stops reading an upload once it passes the import's cap, so a huge file is refused by
    its size without being written to disk."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The whole request is larger than any file we take: stop at the first chunk.
        self.too_large = bool(content_length and content_length > self.limit + 64 * 1024)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.too_large or self.received > self.limit:
            self.too_large = True
            # The rest is read and dropped (not stored), so the browser gets the answer.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt  # checked below, once the upload handlers are in place (Django's documented way)
@patient_view(owner_only=True)
@require_POST
def import_diary(request: PatientRequest) -> HttpResponse:
    cap = _CappedUpload(request, full_import.MAX_BYTES)
    request.upload_handlers.insert(0, cap)
    return _import(request, cap)


@csrf_protect
def _import(request: PatientRequest, cap: _CappedUpload) -> HttpResponse:
    too_large = _("This file is larger than %(mb)s MB, too large for a diary export.") % {
        "mb": full_import.MAX_BYTES // (1024 * 1024)
    }
    form = ImportForm(request.POST, request.FILES)
    if cap.too_large:
        form.refuse(too_large)
        return _page(request, import_form=form, status=400)
    if not form.is_valid():
        return _page(request, import_form=form, status=400)
    try:
        patient = full_import.import_diary(request.user, form.cleaned_data["file"])
    except full_import.ImportRefused as refused:
        form.add_error("file", str(refused))
        return _page(request, import_form=form, status=400)
    messages.success(
        request,
        _("The export is imported as a new diary, “%(name)s”. You are its owner.")
        % {"name": patient.name},
    )
    return redirect(reverse("today", args=[patient.public_id]))
