"""The doctor's report: the page, its PDF made in the background, and answers given at the visit.

* ``report/``: the report for a period, with the parts chosen. A GET with ``?period=...``
  shows that choice without saving it (a caregiver who may only view does this, and anyone
  can share such a link); a POST (editors) remembers the choice for the diary and shows it.
* ``report/pdf/``: ask for a PDF of the report as shown (``reports.jobs``); a caregiver who
  may only view may too, as they may print the page. Answers with the list of the diary's
  recent PDFs (htmx) or the job's own page (no JavaScript).
* ``report/pdf/<uuid:pk>/``: how that PDF is getting on; htmx polls it every 2 s.
* ``report/pdf/<uuid:pk>/download/``: the file, as an attachment.
* ``report/questions/<int:pk>/answer/``: the doctor's answer to an open question (editors).

The document itself (``reports.document``, ``templates/reports/_document.html``) is the same
one the PDF lays out, cached under the diary's data version.
"""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diary import entries
from diary.forms import AnswerForm
from diary.models import Note
from patients.access import PatientRequest, get_for_patient, patient_view
from patients.caching import render_cached
from patients.htmx import vary_on_htmx, wants_fragment
from patients.models import Patient

from . import document, jobs, preferences, sections
from .forms import PdfForm, ReportChoiceForm
from .models import Period, ReportPdfJob

REPORT_TEMPLATE = "reports/report.html"
REPORT_FRAGMENT = "report-body"
DOCUMENT_TEMPLATE = "reports/_document.html"
JOBS_SHOWN = 5
# Answered with this status, htmx stops polling a job (and still swaps the answer in).
STOP_POLLING = 286

# --- the page ---------------------------------------------------------------------------------


def _report_url(request: PatientRequest) -> str:
    return reverse("reports:report", args=[request.patient.public_id])


def _saved_choice(patient, today: dt.date, *, with_last_until: bool = False):
    """(preference, period, first day, last day, parts) the diary last chose (the default when
    it never chose); and the last day of the latest report made before today (None: none was
    made) when ``with_last_until``."""
    choice = preferences.saved_choice(patient, today)  # one query
    saved = choice.preference
    custom = (saved.custom_from, saved.custom_to) if saved.custom_from and saved.custom_to else None
    since, until = preferences.period_for(
        patient, today, saved.period, custom=custom, last_until=choice.last_until
    )
    found = (saved, saved.period, since, until, sections.in_order(saved.sections))
    return (*found, choice.last_until) if with_last_until else found


@patient_view
@require_http_methods(["GET", "POST"])
def report(request: PatientRequest) -> HttpResponse:
    """The report for the doctor. Without ``?period=``, the diary's saved choice: its period
    (by default since the last report made, else the last 3 months) and parts."""
    patient = request.patient
    today = preferences.local_today(patient)
    saved, period, since, until, parts, last_until = _saved_choice(
        patient, today, with_last_until=True
    )
    if request.method == "POST":  # the gate lets only the owner and editors write
        form = ReportChoiceForm(request.POST, today=today)
        if form.is_valid():
            data = form.cleaned_data
            preferences.remember(
                patient,
                request.user,
                period=data["period"],
                parts=sections.in_order(data["parts"]),
                custom_from=data["custom_from"],
                custom_to=data["custom_to"],
            )
            # A GET of the page now shows the saved choice (and htmx follows the redirect).
            return redirect(_report_url(request))
    elif "period" in request.GET:
        form = ReportChoiceForm(request.GET, today=today)
        if form.is_valid():
            period, since, until, parts = form.chosen(patient)
    else:
        # The date boxes show the period shown, unless it is the dates chosen: an old custom
        # choice left there after switching to "the last 3 months" looked like the period.
        custom = period == Period.CUSTOM and saved.custom_from and saved.custom_to
        initial = {
            "period": period,
            "custom_from": saved.custom_from if custom else since,
            "custom_to": saved.custom_to if custom else until,
            "parts": parts,
        }
        form = ReportChoiceForm(initial=initial, today=today)

    def build_document() -> dict:
        values = document.template_context(patient, since, until, parts, for_pdf=False)
        values["can_answer"] = request.membership.can_write
        return values

    context = {
        "patient": patient,
        "form": form,
        "period": period,
        "period_label": preferences.period_label(period, last_until),
        "since": since,
        "until": until,
        "parts": parts,
        "titles": dict(sections.CHOICES),
        "report_url": _report_url(request),
        "document_html": render_cached(request, DOCUMENT_TEMPLATE, build_document),
        **_pdf_panel(request, since, until, parts),
    }
    if wants_fragment(request):
        response = render(request, f"{REPORT_TEMPLATE}#{REPORT_FRAGMENT}", context)
        # The address bar follows the choice, so Back and a reload show the same report. When
        # the address stays the same (a saved choice: POST, then a GET of the page itself), a
        # push would add a second history entry for it and Back would seem to do nothing:
        # replace the entry instead.
        address = request.get_full_path()
        header = "HX-Replace-Url" if _same_address(request, address) else "HX-Push-Url"
        response[header] = address
        return vary_on_htmx(response)
    return vary_on_htmx(render(request, REPORT_TEMPLATE, context))


def _same_address(request: PatientRequest, address: str) -> bool:
    """Whether the page htmx swaps into (its ``HX-Current-URL``) is already at ``address``
    (a path with its query)."""
    current = request.htmx.current_url_abs_path if request.htmx else None
    return current == address


# --- the PDF ----------------------------------------------------------------------------------


def _pdf_panel(request: PatientRequest, since, until, parts, error: str = "") -> dict:
    patient = request.patient
    return {
        "patient": patient,
        "pdf_fields": {
            "period": Period.CUSTOM,
            "custom_from": since.isoformat(),
            "custom_to": until.isoformat(),
        },
        "pdf_parts": parts,
        "paper_choices": patient.PaperSize.choices,
        "paper": patient.report_paper_size,
        "jobs": _jobs(request),
        "pdf_error": error,
    }


def _jobs(request: PatientRequest) -> list[ReportPdfJob]:
    now = timezone.now()
    shown = list(jobs.jobs_for(request.patient)[:JOBS_SHOWN])
    for job in shown:
        _decorate(job, request.patient, now)
    return shown


def _decorate(job: ReportPdfJob, patient: Patient, now: dt.datetime | None = None) -> ReportPdfJob:
    jobs.for_display(job, now)  # stuck, polling, slow: as every job's status says them
    job.outdated = jobs.is_outdated(job, patient)
    return job


def download_filename(job: ReportPdfJob, patient) -> str:
    """diary-<name>-<first day>-<last day>.pdf, in plain ASCII letters."""
    name = slugify(patient.name) or "report"
    return f"diary-{name}-{job.since:%Y-%m-%d}-{job.until:%Y-%m-%d}.pdf"


def _jobs_fragment(request: PatientRequest, since, until, parts, error: str = "") -> HttpResponse:
    context = _pdf_panel(request, since, until, parts, error)
    return vary_on_htmx(render(request, "reports/_pdf_jobs.html", context))


@patient_view(viewer_may_post=True)
@require_POST
def report_pdf(request: PatientRequest) -> HttpResponse:
    """Ask for a PDF of the report as shown. A caregiver who may only view may ask too: it
    reads the diary, as printing the page does (it is the one diary write a viewer makes here,
    a row of the PDF queue and, once made, of the reports made)."""
    patient = request.patient
    today = preferences.local_today(patient)
    form = PdfForm(request.POST, today=today)
    _saved, _period, since, until, parts = _saved_choice(patient, today)
    error = ""
    job = None
    if form.is_valid():
        _period, since, until, parts = form.chosen(patient)
        try:
            job = jobs.request_pdf(
                patient,
                request.user,
                since=since,
                until=until,
                parts=parts,
                paper=form.cleaned_data["paper"],
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
    else:
        error = _("The PDF could not be asked for: %(why)s") % {
            "why": " ".join(str(m) for messages_ in form.errors.values() for m in messages_)
        }
    if wants_fragment(request):
        return _jobs_fragment(request, since, until, parts, error)
    if job is None:
        messages.error(request, error)
        return redirect(_report_url(request))
    return redirect("reports:report-pdf-status", request.patient.public_id, job.pk)


@patient_view
@require_GET
def report_pdf_status(request: PatientRequest, pk) -> HttpResponse:
    """How a PDF is getting on: the status fragment htmx polls (with 286 once there is nothing
    more to wait for), or a page of its own with a link to look again."""
    job = _decorate(
        get_for_patient(request, ReportPdfJob.objects.defer("pdf"), pk), request.patient
    )
    context = {"patient": request.patient, "job": job}
    if wants_fragment(request):
        response = render(request, "reports/_pdf_job.html#job-status", context)
        if not job.polling:
            response.status_code = STOP_POLLING
        return vary_on_htmx(response)
    context["report_url"] = _report_url(request)
    return vary_on_htmx(render(request, "reports/pdf_status.html", context))


@patient_view
@require_GET
def report_pdf_download(request: PatientRequest, pk) -> HttpResponse:
    job = get_for_patient(request, ReportPdfJob, pk)
    if job.status != ReportPdfJob.Status.DONE:
        return redirect("reports:report-pdf-status", request.patient.public_id, job.pk)
    return FileResponse(
        io.BytesIO(job.pdf_bytes()),
        as_attachment=True,
        filename=download_filename(job, request.patient),
        content_type="application/pdf",
    )


# --- answers given at the visit ---------------------------------------------------------------


@patient_view
@require_POST
def report_answer(request: PatientRequest, pk: int) -> HttpResponse:
    """The doctor's answer to an open question, given from page 1 of the report."""
    patient = request.patient
    question = get_for_patient(request, Note, pk, kind=Note.Kind.QUESTION)
    form = AnswerForm(request.POST, instance=question)
    errors, values, answered = {}, {}, None
    if form.is_valid():
        question = form.save(commit=False)
        question.answered_at = question.answered_at or timezone.now()
        entries.save(question, request.user)
        answered = question
    else:
        errors[question.pk] = " ".join(form.errors.get("answer", [])) or _(
            "Write the answer, in a few words."
        )
        values[question.pk] = request.POST.get("answer", "")[:2000]
    if not wants_fragment(request):
        if answered:
            messages.success(request, _("Answer saved."))
        else:
            messages.error(request, errors[question.pk])
        back = request.POST.get("back", "")
        query = back if back.startswith("?") and len(back) < 500 else ""
        return redirect(f"{_report_url(request)}{query}#report-questions")
    open_questions = sorted(
        Note.objects.filter(patient=patient, kind=Note.Kind.QUESTION, answered_at__isnull=True),
        key=lambda n: (n.written_at, n.pk),
    )
    context = {
        "doc": {"open_questions": open_questions},
        "patient": patient,
        "for_pdf": False,
        "can_answer": True,
        "answered": answered,
        "answer_errors": errors,
        "answer_values": values,
    }
    more = ""
    if answered:
        # The rest of the page the answer changed, out of band: the answered questions of the
        # page's period (the confirmation says the answer is there), and the PDFs made before
        # it, now out of date. Without them the answer showed only after a reload.
        listed = _answered_on_the_page(request)
        context["answered_listed"] = listed is not None and answered in listed
        if listed is not None:
            more += render_to_string(
                "reports/_answered.html", {"answered_questions": listed, "oob": True}, request
            )
        # The diary's version as the answer left it: the one loaded with the request is older,
        # and a PDF made just before would not have been marked out of date.
        patient.refresh_from_db(fields=["content_version"])
        panel = {"patient": patient, "jobs": _jobs(request), "pdf_error": "", "oob": True}
        more += render_to_string("reports/_pdf_jobs.html", panel, request)
    html = render_to_string("reports/_questions.html", context, request=request) + more
    return vary_on_htmx(HttpResponse(html))


def _answered_on_the_page(request: PatientRequest) -> list[Note] | None:
    """The questions answered in the period of the report page the answer was given on (its
    ``HX-Current-URL``: a choice in the address, else the diary's saved one), as its "Questions
    already answered" lists them; None when the page leaves that part out."""
    patient = request.patient
    today = preferences.local_today(patient)
    _saved, _period, since, until, parts = _saved_choice(patient, today)
    current = request.htmx.current_url_abs_path if request.htmx else None
    query = QueryDict(urlsplit(current).query) if current else QueryDict()
    if "period" in query:
        form = ReportChoiceForm(query, today=today)
        if form.is_valid():
            _period, since, until, parts = form.chosen(patient)
    if sections.ANSWERED_QUESTIONS not in parts:
        return None
    start, _ignored = entries.day_bounds(patient, since)
    _ignored, end = entries.day_bounds(patient, until)
    return list(
        Note.objects.filter(
            patient=patient,
            kind=Note.Kind.QUESTION,
            answered_at__gte=start,
            answered_at__lt=end,
        ).order_by("answered_at", "pk")
    )


def report_query(period: str, since: dt.date, until: dt.date, parts: list[str]) -> str:
    """The page's address for a choice, as a query string."""
    params = [("period", period)]
    if period == Period.CUSTOM:
        params += [("custom_from", since.isoformat()), ("custom_to", until.isoformat())]
    params += [("parts", part) for part in parts]
    return "?" + urlencode(params)
