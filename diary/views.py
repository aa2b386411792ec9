from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from itertools import chain

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from clinical import red_flags, scales, symptoms
from infusions.models import Infusion
from infusions.schedule import infusion_status
from patients.access import PatientRequest, get_for_patient, patient_view
from patients.caching import render_cached
from patients.htmx import render_page_or_fragment, vary_on_htmx, wants_fragment
from patients.models import Membership

from . import alerts, entries
from .forms import (
    MEASURE_FORMS,
    AnswerForm,
    FollowUpForm,
    NoteForm,
    QuestionForm,
    QuickLogForm,
    SymptomEntryForm,
)
from .history import changes_for
from .models import Measure, Note, RedFlagEvent, SymptomEntry

MODELS_BY_KIND = {"symptoms": SymptomEntry, "notes": Note, "measures": Measure}
TIMELINE_DAYS = 14
SAVED_ID = re.compile(r"[0-9]{1,12}")
EARLIEST_DAY = dt.date(1990, 1, 1)
# The home page shows the last week; a diary with more than this many entries in a week (or
# symptoms never closed) shows the newest ones, so the page stays fast whatever happens.
TODAY_MAX_ROWS = 200
TIMELINE_KINDS = [
    ("", _lazy("Everything")),
    ("symptoms", _lazy("Side effects")),
    ("notes", _lazy("Notes")),
    ("measures", _lazy("Measures")),
    ("infusions", _lazy("Infusions")),
]
RED_FLAG_DAYS = 7


def _now(request: PatientRequest) -> dt.datetime:
    return timezone.localtime(timezone.now(), request.patient.tz)


def _after_write(request: PatientRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _today_url(request: PatientRequest) -> str:
    return reverse("today", args=[request.patient.public_id])


def _authors(patient) -> dict[int, str]:
    """How each member is named next to what they logged: “Sam (caregiver)”."""
    names = {}
    for membership in Membership.objects.filter(patient=patient).select_related("user"):
        name = str(membership.user)
        names[membership.user_id] = (
            name if membership.is_owner else _("%(name)s (caregiver)") % {"name": name}
        )
    return names


def _with_authors(items, authors: dict[int, str], weight_unit: str = "kg"):
    """Name who logged each item; measures also get their value in the patient's units."""
    for item in items:
        item.author = authors.get(item.logged_by_id, _("a former member"))
        if isinstance(item, Measure):
            item.shown_value = item.display_value(weight_unit)
    return items


def _alerts_context(request: PatientRequest, fresh: Iterable[int] = ()) -> dict:
    """The red-flag warnings nobody has dealt with yet (any age), and those dealt with lately.

    Never cached: a warning must show the moment it exists, and go the moment it is dealt with.
    """
    patient = request.patient
    fresh = set(fresh)
    alerts_shown = [
        alerts.as_alert(
            event,
            patient.tz,
            fresh=event.pk in fresh,
            handle_url=reverse("diary:red-flag-handled", args=[patient.public_id, event.pk]),
        )
        for event in alerts.open_events(patient)
    ]
    handled = alerts.recently_handled(patient, timezone.now() - dt.timedelta(days=RED_FLAG_DAYS))
    authors = _authors(patient) if handled else {}
    for event in handled:
        event.title = red_flags.get_rule(event.rule).title
        event.handled_by_name = authors.get(event.handled_by_id, _("a former member"))
    return {"patient": patient, "red_flag_alerts": alerts_shown, "red_flags_handled": handled}


def _worst(entry: SymptomEntry) -> int:
    """The entry's worst severity so far: its first one or any later reading."""
    return max(entry.severity, entry.peak_severity or 0)


def _result_context(
    request: PatientRequest, saved: list[SymptomEntry], events: Iterable[RedFlagEvent] = ()
) -> dict:
    """What to show right after logging: the warnings it set off, else follow-up questions."""
    if not saved:
        return {}
    patient = request.patient
    fresh = {event.pk for event in events}
    day = timezone.localtime(saved[0].onset, patient.tz).date()
    start, end = entries.day_bounds(patient, day)
    logged_today = {e.symptom for e in saved}
    logged_today |= set(
        SymptomEntry.objects.filter(patient=patient, onset__gte=start, onset__lt=end).values_list(
            "symptom", flat=True
        )
    )
    follow_ups: dict[str, None] = {}
    for entry in saved:
        follow_ups.update(
            dict.fromkeys(
                c
                for c in red_flags.follow_ups_for(entry.symptom, _worst(entry))
                if c not in logged_today
            )
        )
    return {
        "saved": saved,
        # Asked even after a warning: another sign can make it an emergency.
        "follow_up_form": FollowUpForm(codes=list(follow_ups)) if follow_ups else None,
        "follow_up_for": saved[0],
    } | _alerts_context(request, fresh)


def _today_context(request: PatientRequest, quick_form: QuickLogForm | None = None) -> dict:
    """Everything on the home page, in a fixed handful of queries whatever the diary's size."""
    patient = request.patient
    now = _now(request)
    today = now.date()
    start, end = entries.day_bounds(patient, today)
    yesterday_start, _ignored = entries.day_bounds(patient, today - dt.timedelta(days=1))
    week_ago = now - dt.timedelta(days=RED_FLAG_DAYS)
    # One query each for side effects, notes and measures; split up in Python below.
    recent_symptoms = list(
        SymptomEntry.objects.filter(
            Q(onset__gte=min(yesterday_start, week_ago)) | Q(ended_at__isnull=True), patient=patient
        )[:TODAY_MAX_ROWS]
    )
    notes = list(
        Note.objects.filter(
            Q(written_at__gte=start, written_at__lt=end)
            | Q(kind=Note.Kind.QUESTION, answered_at__isnull=True),
            patient=patient,
        )
    )
    recent_measures = list(
        Measure.objects.filter(patient=patient, measured_at__gte=week_ago)[:TODAY_MAX_ROWS]
    )
    todays = sorted(
        chain(
            (e for e in recent_symptoms if start <= e.onset < end),
            (n for n in notes if start <= n.written_at < end),
            (m for m in recent_measures if start <= m.measured_at < end),
        ),
        key=lambda item: item.when,
        reverse=True,
    )
    authors = _authors(patient) if todays else {}
    mgadl_relevant = scales.MGADL in scales.default_measures(patient.conditions)
    return {
        "patient": patient,
        "status": infusion_status(patient, today),
        "quick_form": quick_form or QuickLogForm(patient=patient),
        "quick_symptoms": [(code, symptoms.label(code)) for code in symptoms.QUICK_LOG_CODES],
        "severities": [(n, symptoms.severity_word(n)) for n in range(11)],
        "ongoing": sorted(
            (e for e in recent_symptoms if e.ended_at is None), key=lambda e: e.onset, reverse=True
        )[:10],
        "todays": _with_authors(todays, authors, patient.weight_unit),
        "has_yesterday": any(yesterday_start <= e.onset < start for e in recent_symptoms),
        "mgadl_due": mgadl_relevant
        and not any(m.kind == Measure.Kind.MGADL for m in recent_measures),
        "open_questions": sum(
            1 for n in notes if n.kind == Note.Kind.QUESTION and n.answered_at is None
        ),
    }


@patient_view
@require_GET
def today(request: PatientRequest) -> HttpResponse:
    """The home page: infusion status, the quick log, what is still going, today's entries."""
    saved_ids = [
        int(pk) for pk in request.GET.get("saved", "").split(",") if SAVED_ID.fullmatch(pk)
    ][:10]
    if saved_ids:
        saved = list(SymptomEntry.objects.filter(patient=request.patient, pk__in=saved_ids))
        # Without JavaScript the warnings these entries set off are marked as new here.
        events = RedFlagEvent.objects.filter(
            patient=request.patient, entries__in=saved, handled_at__isnull=True
        ).distinct()
        context = _today_context(request) | _result_context(request, saved, events)
        return render(request, "diary/today.html", context)
    main = render_cached(request, "diary/today.html#today-main", lambda: _today_context(request))
    # Cached like the rest: every change to a warning bumps the diary's data version.
    alerts_html = render_cached(
        request, "components/red_flag_alerts.html", lambda: _alerts_context(request)
    )
    context = {"patient": request.patient, "today_main": main, "alerts_html": alerts_html}
    return render(request, "diary/today.html", context)


def _render_after_log(
    request: PatientRequest, saved: list[SymptomEntry], events: Iterable[RedFlagEvent] = ()
) -> HttpResponse:
    if not request.htmx:
        ids = ",".join(str(e.pk) for e in saved)
        return redirect(f"{_today_url(request)}?saved={ids}")
    context = _today_context(request) | _result_context(request, saved, events)
    response = render(request, "diary/_today_after_log.html", context)
    return trigger_client_event(response, "entry-saved")


@patient_view
@require_POST
def quick_log(request: PatientRequest) -> HttpResponse:
    form = QuickLogForm(request.POST, patient=request.patient)
    if not form.is_valid():
        context = _today_context(request, quick_form=form)
        return render_page_or_fragment(request, "diary/today.html", "quick-log", context)
    with transaction.atomic():
        if form.open_entry is not None and form.cleaned_data["episode"] == form.SAME:
            entry = form.open_entry
            events = entries.add_reading(
                entry, form.cleaned_data["severity"], form.onset(), request.user
            )
            return _render_after_log(request, [entry], events)
        if form.open_entry is not None:  # a new episode: the one still going has stopped
            old = form.open_entry
            old.ended_at = max(form.onset(), old.onset)
            entries.save(old, request.user)
        saved, events = _save_resolved(
            request,
            form,
            SymptomEntry(
                patient=request.patient,
                severity=form.cleaned_data["severity"],
                onset=form.onset(),
                custom_symptom=form.cleaned_data.get("custom_symptom", "").strip(),
            ),
        )
    return _render_after_log(request, saved, events)


def _save_resolved(request: PatientRequest, form, template: SymptomEntry):
    """One entry per sign the form resolved (typed words can name several), like `template`."""
    saved, events = [], []
    for code, detail in form.resolved:
        entry = SymptomEntry(
            patient=request.patient,
            symptom=code,
            detail=detail,
            custom_symptom=template.custom_symptom,
            severity=template.severity,
            onset=template.onset,
            ended_at=template.ended_at,
            helped=template.helped,
            notes=template.notes,
        )
        events += entries.save(entry, request.user)
        saved.append(entry)
    return saved, events


@patient_view
@require_POST
def follow_up(request: PatientRequest, pk: int) -> HttpResponse:
    """Answers to the follow-up questions: each sign ticked becomes an entry of its own."""
    first = get_for_patient(request, SymptomEntry, pk)
    codes = red_flags.follow_ups_for(first.symptom, _worst(first))
    form = FollowUpForm(request.POST, codes=codes)
    if not form.is_valid():
        context = _today_context(request) | {
            "saved": [first],
            "follow_up_form": form,
            "follow_up_for": first,
        }
        return render_page_or_fragment(request, "diary/today.html", "quick-log", context)
    saved, events = [first], []
    for code in form.cleaned_data["signs"]:
        entry = SymptomEntry(
            patient=request.patient,
            symptom=code,
            severity=form.cleaned_data["severity"],
            onset=first.onset,
        )
        entry.notes = _("Answered a follow-up question.")
        events += entries.save(entry, request.user)
        saved.append(entry)
    return _render_after_log(request, saved, events)


@patient_view
@require_POST
def same_as_yesterday(request: PatientRequest) -> HttpResponse:
    """Log again what was felt yesterday (the worst of each), except what is still going."""
    patient = request.patient
    now = _now(request)
    start, end = entries.day_bounds(patient, now.date() - dt.timedelta(days=1))
    worst: dict[tuple[str, str], int] = {}
    for entry in SymptomEntry.objects.filter(
        patient=patient, onset__gte=start, onset__lt=end, ended_at__isnull=False
    ):
        key = (entry.symptom, entry.custom_symptom)
        worst[key] = max(worst.get(key, 0), entry.severity)
    saved, events = [], []
    for (code, custom), severity in worst.items():
        entry = SymptomEntry(
            patient=patient, symptom=code, custom_symptom=custom, severity=severity, onset=now
        )
        events += entries.save(entry, request.user)
        saved.append(entry)
    if not saved:
        messages.info(
            request, _("Nothing to copy: yesterday’s symptoms are still going or none were logged.")
        )
        return _after_write(request, _today_url(request))
    return _render_after_log(request, saved, events)


@patient_view(viewer_may_post=True)
@require_POST
def red_flag_handled(request: PatientRequest, pk: int) -> HttpResponse:
    """Mark a warning as dealt with: the one write a caregiver who may only view may make."""
    event = get_for_patient(request, RedFlagEvent, pk)
    how = request.POST.get("how")
    if how not in RedFlagEvent.Handled.values:
        messages.error(request, _("Choose how the warning was dealt with."))
        return _after_write(request, _today_url(request))
    if event.handled_at is None:
        event.handled_at = timezone.now()
        event.handled_by = request.user
        event.handled_how = how
        event.save(update_fields=["handled_at", "handled_by", "handled_how", "updated_at"])
        messages.success(request, _("Marked as dealt with. It stays on the report."))
    return _after_write(request, _today_url(request))


def _get_entry(request: PatientRequest, pk: int) -> SymptomEntry:
    return get_for_patient(request, SymptomEntry, pk)


@patient_view
@require_POST
def symptom_gone(request: PatientRequest, pk: int) -> HttpResponse:
    entry = _get_entry(request, pk)
    entry.ended_at = max(timezone.now(), entry.onset)
    entries.save(entry, request.user)
    messages.success(request, _("%(symptom)s marked as gone.") % {"symptom": entry.label})
    return _after_write(request, _today_url(request))


@patient_view
@require_POST
def symptom_still_going(request: PatientRequest, pk: int) -> HttpResponse:
    entry = _get_entry(request, pk)
    entry.still_going_at = timezone.now()
    entries.save(entry, request.user)
    messages.success(request, _("Noted: %(symptom)s is still going.") % {"symptom": entry.label})
    return _after_write(request, _today_url(request))


def _form_page(request, form, template: str, context: dict, on_valid) -> HttpResponse:
    """The diary's form pages, always rendered whole: the form carries ``hx-select``, because
    these pages extend one base and a partial cannot be picked out through ``extends``."""
    if request.method == "POST" and form.is_valid():
        return on_valid(form)
    return render(request, template, {"patient": request.patient, "form": form} | context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def symptom_form(request: PatientRequest, pk: int | None = None) -> HttpResponse:
    """The full side-effect form: any symptom or one's own, backdated, with an end and notes."""
    entry = _get_entry(request, pk) if pk else SymptomEntry(patient=request.patient)
    initial = {}
    if not pk and request.GET.get("symptom") in dict(symptoms.choices()):
        initial["symptom"] = request.GET["symptom"]
    form = SymptomEntryForm(request.POST or None, instance=entry, initial=initial)

    def save(form):
        entry = form.save(commit=False)
        entry.ended_at = form.cleaned_data["ended_at"]
        (code, detail), *more = form.resolved
        entry.symptom, entry.detail = code, detail
        events = entries.save(entry, request.user)
        saved = [entry]
        if more:  # typed words that named several signs: one entry each
            form.resolved = more
            extra, extra_events = _save_resolved(request, form, entry)
            saved += extra
            events += extra_events
        if pk and not events:
            messages.success(request, _("Saved."))
            return _after_write(
                request, reverse("diary:timeline", args=[request.patient.public_id])
            )
        # The home page confirms it and shows any warning or follow-up question at the top.
        ids = ",".join(str(e.pk) for e in saved)
        return _after_write(request, f"{_today_url(request)}?saved={ids}")

    return _form_page(request, form, "diary/symptom_form.html", {"entry": entry}, save)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def note_form(request: PatientRequest, pk: int | None = None) -> HttpResponse:
    note = (
        get_for_patient(request, Note, pk, kind=Note.Kind.IMPROVEMENT)
        if pk
        else Note(patient=request.patient, kind=Note.Kind.IMPROVEMENT)
    )
    form = NoteForm(
        request.POST or None,
        instance=note,
        initial={} if pk else {"written_at": _now(request).replace(second=0, microsecond=0)},
    )

    def save(form):
        entries.save(form.save(commit=False), request.user)
        messages.success(request, _("Note saved."))
        return _after_write(request, reverse("diary:timeline", args=[request.patient.public_id]))

    return _form_page(request, form, "diary/note_form.html", {"note": note}, save)


@patient_view
@require_GET
def questions(request: PatientRequest) -> HttpResponse:
    items = _with_authors(
        list(
            Note.objects.filter(patient=request.patient, kind=Note.Kind.QUESTION).order_by(
                "answered_at", "-written_at"
            )
        ),
        _authors(request.patient),
    )
    context = {
        "patient": request.patient,
        "open": [q for q in items if not q.is_answered],
        "answered": [q for q in items if q.is_answered],
        "form": QuestionForm(),
    }
    return render(request, "diary/questions.html", context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def question_form(request: PatientRequest, pk: int | None = None) -> HttpResponse:
    question = (
        get_for_patient(request, Note, pk, kind=Note.Kind.QUESTION)
        if pk
        else Note(patient=request.patient, kind=Note.Kind.QUESTION)
    )
    form = QuestionForm(request.POST or None, instance=question)

    def save(form):
        entries.save(form.save(commit=False), request.user)
        messages.success(request, _("Question saved. It will be on the report for your doctor."))
        return _after_write(request, reverse("diary:questions", args=[request.patient.public_id]))

    return _form_page(request, form, "diary/question_form.html", {"question": question}, save)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def question_answer(request: PatientRequest, pk: int) -> HttpResponse:
    question = get_for_patient(request, Note, pk, kind=Note.Kind.QUESTION)
    form = AnswerForm(request.POST or None, instance=question)

    def save(form):
        question = form.save(commit=False)
        question.answered_at = question.answered_at or timezone.now()
        entries.save(question, request.user)
        messages.success(request, _("Marked as answered."))
        return _after_write(request, reverse("diary:questions", args=[request.patient.public_id]))

    return _form_page(request, form, "diary/answer_form.html", {"question": question}, save)


def _measure_form_class(kind: str):
    try:
        return MEASURE_FORMS[kind]
    except KeyError:
        raise Http404 from None


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def measure_form(
    request: PatientRequest, kind: str | None = None, pk: int | None = None
) -> HttpResponse:
    measure = get_for_patient(request, Measure, pk) if pk else Measure(patient=request.patient)
    form_class = _measure_form_class(measure.kind if pk else kind)
    initial = {} if pk else {"measured_at": _now(request).replace(second=0, microsecond=0)}
    form = form_class(
        request.POST or None, instance=measure, initial=initial, patient=request.patient
    )
    previous = None
    if form_class.kind == Measure.Kind.MGADL:
        previous = (
            Measure.objects.filter(patient=request.patient, kind=Measure.Kind.MGADL)
            .exclude(pk=measure.pk)
            .first()
        )

    def save(form):
        measure = form.save(commit=False)
        entries.save(measure, request.user)
        message = _("%(measure)s saved: %(value)s.") % {
            "measure": measure.title,
            "value": measure.display_value(request.patient.weight_unit),
        }
        if measure.kind == Measure.Kind.MGADL and previous is not None:
            change = scales.compare_mgadl(previous.total, measure.total)
            message += " " + _mgadl_change_text(change)
        messages.success(request, message)
        return _after_write(request, reverse("diary:measures", args=[request.patient.public_id]))

    context = {
        "measure": measure,
        "kind_label": Measure.Kind(form_class.kind).label,
        "previous": previous,
        "citation": scales.MGADL_CITATION if form_class.kind == Measure.Kind.MGADL else "",
        "recall": scales.MGADL_RECALL,
    }
    return _form_page(request, form, "diary/measure_form.html", context, save)


def _mgadl_change_text(change: scales.MgAdlChange) -> str:
    if change.direction == scales.UNCHANGED:
        return _("Same as last time.")
    points = abs(change.change)
    if change.direction == scales.IMPROVED:
        text = _("%(n)s point(s) lower than last time (fewer symptoms).") % {"n": points}
    else:
        text = _("%(n)s point(s) higher than last time (more symptoms).") % {"n": points}
    if change.meaningful:
        text += " " + _("A change of 2 points or more is considered meaningful.")
    return text


@patient_view
@require_GET
def measures(request: PatientRequest) -> HttpResponse:
    """Each measure over time; MG-ADL with the change from one score to the next."""
    html = render_cached(
        request, "diary/measures.html#measure-sections", lambda: _measures_context(request)
    )
    context = {"patient": request.patient, "sections_html": html}
    return render(request, "diary/measures.html", context)


def _measures_context(request: PatientRequest) -> dict:
    patient = request.patient
    shown = scales.default_measures(patient.conditions)
    rows = list(Measure.objects.filter(patient=patient).order_by("kind", "measured_at", "pk"))
    by_kind: dict[str, list[Measure]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for kind_rows in by_kind.values():
        previous = None
        for row in kind_rows:
            row.change = None
            if row.kind == Measure.Kind.MGADL and previous is not None:
                row.change = scales.compare_mgadl(previous.total, row.total)
            row.shown_value = row.display_value(patient.weight_unit)
            previous = row
        kind_rows.reverse()  # newest first on the page
    kinds_with_data = [k for k in Measure.Kind.values if k in by_kind]
    sections = [
        {"kind": kind, "label": Measure.Kind(kind).label, "rows": by_kind.get(kind, [])}
        for kind in dict.fromkeys([*shown, *kinds_with_data])
    ]
    others = [k for k in MEASURE_FORMS if k not in shown]
    return {
        "patient": patient,
        "sections": sections,
        "other_kinds": [(k, Measure.Kind(k).label) for k in others],
        "citation": scales.MGADL_CITATION,
    }


@patient_view
@require_GET
def timeline(request: PatientRequest) -> HttpResponse:
    """The diary, one block per day, newest first, two weeks a page."""
    html = render_cached(
        request, "diary/timeline.html#timeline", lambda: _timeline_context(request)
    )
    if wants_fragment(request):
        return vary_on_htmx(HttpResponse(html))
    kind = request.GET.get("kind", "")
    context = {"patient": request.patient, "timeline": html, "kind": kind, "kinds": TIMELINE_KINDS}
    return vary_on_htmx(render(request, "diary/timeline.html", context))


def _timeline_context(request: PatientRequest) -> dict:
    patient = request.patient
    kinds = {"symptoms", "notes", "measures", "infusions"}
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    today = _now(request).date()
    try:
        until = (
            dt.date.fromisoformat(request.GET.get("until", ""))
            if request.GET.get("until")
            else today
        )
    except ValueError:
        until = today
    until = min(max(until, EARLIEST_DAY), today)  # a crafted date cannot overflow
    since = until - dt.timedelta(days=TIMELINE_DAYS - 1)
    start, _ignored = entries.day_bounds(patient, since)
    _ignored, end = entries.day_bounds(patient, until)

    querysets = {
        "symptoms": SymptomEntry.objects.filter(
            patient=patient, onset__gte=start, onset__lt=end
        ).select_related("infusion"),
        "notes": Note.objects.filter(patient=patient, written_at__gte=start, written_at__lt=end),
        "measures": Measure.objects.filter(
            patient=patient, measured_at__gte=start, measured_at__lt=end
        ),
    }
    selected = [kind] if kind else sorted(kinds)
    items = []
    for name in selected:
        if name == "infusions":
            continue
        items.extend(querysets[name])
    _with_authors(items, _authors(patient), patient.weight_unit)
    days: dict[dt.date, dict] = {}
    for item in items:
        day = item.local_date or entries.local_date(patient, item.when)  # its own zone
        days.setdefault(day, {"date": day, "items": [], "infusions": []})["items"].append(item)
    if "infusions" in selected:
        for infusion in Infusion.objects.filter(
            patient=patient, date__gte=since, date__lte=until
        ).select_related("product"):
            days.setdefault(infusion.date, {"date": infusion.date, "items": [], "infusions": []})[
                "infusions"
            ].append(infusion)
    for day in days.values():
        day["items"].sort(key=lambda item: item.when, reverse=True)
    older = _older_than(patient, since, selected)
    context = {
        "patient": patient,
        "days": [days[d] for d in sorted(days, reverse=True)],
        "kind": kind,
        "since": since,
        "until": until,
        "older_until": older,
        "newer_until": until + dt.timedelta(days=TIMELINE_DAYS) if until < today else None,
    }
    return context


def _older_than(patient, since: dt.date, selected: list[str]) -> dt.date | None:
    """The last day before this page that has anything, so the “Older” link skips empty weeks."""
    start, _ignored = entries.day_bounds(patient, since)
    candidates = []
    if "symptoms" in selected:
        candidates.append(
            SymptomEntry.objects.filter(patient=patient, onset__lt=start)
            .values_list("onset", flat=True)
            .first()
        )
    if "notes" in selected:
        candidates.append(
            Note.objects.filter(patient=patient, written_at__lt=start)
            .values_list("written_at", flat=True)
            .first()
        )
    if "measures" in selected:
        candidates.append(
            Measure.objects.filter(patient=patient, measured_at__lt=start)
            .values_list("measured_at", flat=True)
            .first()
        )
    days = [entries.local_date(patient, c) for c in candidates if c]
    if "infusions" in selected:
        last = (
            Infusion.objects.filter(patient=patient, date__lt=since)
            .values_list("date", flat=True)
            .first()
        )
        if last:
            days.append(last)
    return max(days) if days else None


def _get_record(request: PatientRequest, kind: str, pk: int, *, deleted: bool = False):
    model = MODELS_BY_KIND.get(kind)
    if model is None:
        raise Http404
    return get_for_patient(request, model.all_objects, pk, deleted_at__isnull=not deleted)


@patient_view
@require_POST
def delete(request: PatientRequest, kind: str, pk: int) -> HttpResponse:
    record = _get_record(request, kind, pk)
    entries.delete(record, request.user)
    # The message carries the restore address, so it can offer “Undo” wherever it shows.
    restore_url = reverse("diary:restore", args=[request.patient.public_id, kind, pk])
    messages.success(request, _("Deleted."), extra_tags=f"undo:{restore_url}")
    return _after_write(
        request,
        request.POST.get("next")
        if _safe_next(request)
        else reverse("diary:timeline", args=[request.patient.public_id]),
    )


@patient_view
@require_POST
def restore(request: PatientRequest, kind: str, pk: int) -> HttpResponse:
    record = _get_record(request, kind, pk, deleted=True)
    entries.restore(record, request.user)
    messages.success(request, _("Restored."))
    return _after_write(request, reverse("diary:timeline", args=[request.patient.public_id]))


def _safe_next(request: PatientRequest) -> bool:
    next_url = request.POST.get("next", "")
    return next_url.startswith(f"/p/{request.patient.public_id}/") and "//" not in next_url


@patient_view
@require_GET
def history(request: PatientRequest, kind: str, pk: int) -> HttpResponse:
    model = MODELS_BY_KIND.get(kind)
    if model is None:
        raise Http404
    record = get_for_patient(request, model.all_objects, pk)
    changes = list(changes_for(record))
    for change in changes:
        before, after = change.before or {}, change.after or {}
        change.diff = [
            (field.replace("_id", ""), before.get(field), after.get(field))
            for field in dict.fromkeys([*before, *after])
            if before and after and before.get(field) != after.get(field)
        ]
    context = {"patient": request.patient, "record": record, "kind": kind, "changes": changes}
    return render(request, "diary/history.html", context)
