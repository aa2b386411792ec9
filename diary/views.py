from __future__ import annotations

import dataclasses
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
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from clinical import red_flags, scales, symptoms
from patients.access import PatientRequest, get_for_patient, patient_view
from patients.caching import render_cached
from patients.formats import day_month, moment_words
from patients.htmx import render_page_or_fragment, vary_on_htmx, wants_fragment
from patients.models import EARLIEST_DAY

from . import entries, queries
from . import history as change_history  # this module's view is named history
from .forms import (
    MEASURE_FORMS,
    AnswerForm,
    FollowUpForm,
    NoteForm,
    QuestionForm,
    QuickLogForm,
    SymptomEntryForm,
    last_known_at,
)
from .history import changes_for
from .models import Measure, Note, RedFlagEvent, SymptomEntry

MODELS_BY_KIND = {"symptoms": SymptomEntry, "notes": Note, "measures": Measure}
TIMELINE_DAYS = 14
SAVED_ID = re.compile(r"[0-9]{1,12}")
TIMELINE_KINDS = [
    ("", _lazy("Everything")),
    ("symptoms", _lazy("Side effects")),
    ("notes", _lazy("Notes")),
    ("measures", _lazy("Measures")),
    ("infusions", _lazy("Infusions")),
]


def _fields(data) -> dict:
    """A query's dataclass as template context (shallow: the rows stay model instances)."""
    return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}


def _now(request: PatientRequest) -> dt.datetime:
    return timezone.localtime(timezone.now(), request.patient.tz)


def _after_write(request: PatientRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _today_url(request: PatientRequest) -> str:
    return reverse("today", args=[request.patient.public_id])


def _alerts_context(request: PatientRequest, fresh: Iterable[int] = ()) -> dict:
    """The red-flag warnings nobody has dealt with yet (any age), and those dealt with lately.

    A warning must show the moment it exists and go the moment it is dealt with: cached pages
    hold it only because every change to a warning bumps the diary's data version.
    """
    patient = request.patient
    found = queries.warnings(
        patient,
        handled_since=timezone.now() - dt.timedelta(days=queries.RECENT_DAYS),
        fresh=fresh,
        handle_url=lambda event: reverse(
            "diary:red-flag-handled", args=[patient.public_id, event.pk]
        ),
    )
    return {"patient": patient, "red_flag_alerts": found.open, "red_flags_handled": found.handled}


def _result_context(
    request: PatientRequest,
    saved: list[SymptomEntry],
    events: Iterable[RedFlagEvent] = (),
    known: Iterable = (),
) -> dict:
    """What to show right after logging: the warnings it set off, else follow-up questions.
    ``known``: the day's lists, read after the write (``queries.with_latest_readings``)."""
    if not saved:
        return {}
    saved = queries.with_latest_readings(saved, known)  # before the follow-up: it reads them
    codes = queries.follow_up_codes(request.patient, saved)
    return {
        "saved": saved,
        # A warning sign no warning counts (alone, or late after the infusion): advice, not
        # silence.
        "unwarned_signs": [e.label for e in queries.unwarned_signs(request.patient, saved)],
        # Asked even after a warning: another sign can make it an emergency.
        "follow_up_form": FollowUpForm(codes=codes) if codes else None,
        "follow_up_for": saved[0],
    } | _alerts_context(request, {event.pk for event in events})


def _today_context(
    request: PatientRequest,
    quick_form: QuickLogForm | None = None,
    *,
    status: bool = True,
    all_going: bool = False,
) -> dict:
    """Everything on the home page: the day's summary, plus the quick log's form and buttons.
    ``status=False`` leaves out the infusion status, for answers that do not show it.

    The unfilled form is made only if the template renders it: its HTML is cached per session
    (today.html), and on a hit nothing reads the form (making one took ~0.2 ms a request)."""
    patient = request.patient
    return {
        "patient": patient,
        **_fields(
            queries.today_summary(
                patient,
                timezone.now(),
                status=status,
                signed_in=(request.membership, request.user),
                all_going=all_going,
            )
        ),
        "quick_form": quick_form or SimpleLazyObject(lambda: QuickLogForm(patient=patient)),
        "quick_form_bound": quick_form is not None and quick_form.is_bound,
        "quick_symptoms": [(code, symptoms.label(code)) for code in symptoms.QUICK_LOG_CODES],
        "severities": [(n, symptoms.severity_word(n)) for n in range(11)],
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
    if request.GET.get("going") == "all":  # every side effect still going, not the newest
        context = _today_context(request, all_going=True) | _alerts_context(request)
        return render(request, "diary/today.html", context)
    main = render_cached(request, "diary/today.html#today-main", lambda: _today_context(request))
    # Cached like the rest: every change to a warning bumps the diary's data version.
    alerts_html = render_cached(
        request, "components/red_flag_alerts.html", lambda: _alerts_context(request)
    )
    context = {"patient": request.patient, "today_main": main, "alerts_html": alerts_html}
    return render(request, "diary/today.html", context)


def _render_after_log(
    request: PatientRequest,
    saved: list[SymptomEntry],
    events: Iterable[RedFlagEvent] = (),
    asking: QuickLogForm | None = None,
) -> HttpResponse:
    """What was saved, with its warnings and questions; ``asking``: the quick log's form still
    asking about a sign (``_save_the_others_then_ask``), shown in place of a fresh one."""
    if not request.htmx:
        if asking is not None:  # the page itself: a redirect would lose the question
            context = _today_context(request, quick_form=asking)
            return render(
                request, "diary/today.html", context | _result_context(request, saved, events)
            )
        ids = ",".join(str(e.pk) for e in saved)
        return redirect(f"{_today_url(request)}?saved={ids}")
    # The answer swaps the quick log, the lists and the warnings: not the infusion status.
    context = _today_context(request, quick_form=asking, status=False)
    # The lists were read after the write: an episode just added to takes its latest reading
    # from there (a second query for it sorted all of its readings again).
    known = chain(context["ongoing"], context["todays"])
    context |= _result_context(request, saved, events, known)
    response = render(request, "diary/today.html#after-log", context)
    return trigger_client_event(response, "entry-saved")


@patient_view
@require_POST
def quick_log(request: PatientRequest) -> HttpResponse:
    form = QuickLogForm(request.POST, patient=request.patient)
    if not form.is_valid():
        if _waits_only_on_signs_going(form):
            return _save_the_others_then_ask(request, form)
        context = _today_context(request, quick_form=form)
        return render_page_or_fragment(request, "diary/today.html", "quick-log", context)
    # The answer is rendered after the commit: on SQLite the transaction holds the one write
    # lock, and every other diary's write would wait for this page to render.
    with transaction.atomic():
        saved, events = _log_episode(
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


def _waits_only_on_signs_going(form: QuickLogForm) -> bool:
    """Typed words named several signs, and all that stops the save is "Same one?" about one
    of them (or "log them one at a time" about several still going): the others need no
    answer."""
    if form.several_going:
        waiting = set(form.errors) <= {"custom_symptom"} and not form.question
        going = [entry for _i, entry in form.several_going]
    else:
        waiting = form.only_asks and bool(form.episode_question) and not form.question
        going = [form.open_entry] if form.open_index is not None else []
    return (
        waiting
        and bool(going)
        and all(entry.symptom != SymptomEntry.OTHER for entry in going)  # asked by their signs
        and bool(form.others_resolved())
    )


def _save_the_others_then_ask(request: PatientRequest, form: QuickLogForm) -> HttpResponse:
    """Save the signs the words named besides the one still going, and ask "Same one?" about
    that one alone (a second browser pass: "headache and can't breathe", with a headache still
    going, saved nothing and warned of nothing until the headache question was answered; a
    patient who cannot breathe does not stay for it)."""
    entry = SymptomEntry(
        patient=request.patient,
        severity=form.cleaned_data["severity"],
        onset=form.onset(),
        custom_symptom=form.cleaned_data.get("custom_symptom", "").strip(),
    )
    resolved, others = list(form.resolved), form.others_resolved()
    with transaction.atomic():
        form.resolved = others
        saved, events = _save_resolved(request, form, entry)
    data = request.POST.copy()
    for name in ("custom_symptom", "episode", "keep_typed", "detail"):
        data.pop(name, None)
    # The question is about the sign(s) still going alone now: its button, or their names as
    # words (several, or a sign the quick log has no button for); a place the words gave
    # (swollen ankles: the legs) is kept as its answer, not asked again.
    asked = form.several_going or [(form.open_index, form.open_entry)]
    codes = [resolved[i][0] for i, _entry in asked]
    details = [resolved[i][1] for i, _entry in asked]
    if len(codes) == 1 and codes[0] in symptoms.QUICK_LOG_CODES:
        data["symptom"] = codes[0]
    else:
        words = " and ".join(str(symptoms.label(code)) for code in codes)
        data["symptom"], data["custom_symptom"] = SymptomEntry.OTHER, words
    data.setlist(
        "detail",
        [d for code, d in zip(codes, details, strict=True) if d and code in symptoms.NEEDS_DETAIL],
    )
    asking = QuickLogForm(data, patient=request.patient)
    asking.is_valid()  # asks "Same one?" again, about that sign alone
    return _render_after_log(request, saved, events, asking)


def _log_episode(request: PatientRequest, form, entry: SymptomEntry):
    """Save a side effect just logged, from the quick log or the full form alike (one helper,
    so the two cannot drift): on "Same one" as a reading of the entry still going (with what
    else the form gives it: an end, notes), else as new entries like ``entry``, the one still
    going ended where the new one starts ("A new one: the other has stopped")."""
    going = form.open_entry
    if form.same_episode:
        if form.severity_is_at_start and entry.onset < going.onset:
            # It began earlier than first logged: the start moves back with the severity given
            # for it, and the first one logged becomes a later severity, at its own time.
            events = entries.add_reading(going, going.severity, going.onset, request.user)
            going.onset, going.severity = entry.onset, entry.severity
            events += entries.save(going, request.user)
        else:
            events = entries.add_reading(going, entry.severity, entry.onset, request.user)
        changes = form.episode_changes()
        ended = changes.get("ended_at")
        if ended is not None and going.still_going_at and ended < going.still_going_at:
            changes = changes | {"still_going_at": None}  # the end typed is the latest word
        confirmed = entry.still_going_at
        newer = confirmed and (going.still_going_at is None or going.still_going_at < confirmed)
        if newer and "ended_at" not in changes and going.ended_at is None:
            changes = changes | {"still_going_at": confirmed}  # still going now, too
        if changes:
            for name, value in changes.items():
                setattr(going, name, value)
            events += entries.save(going, request.user)
        # "chills and headache" with chills still going: the headache is new.
        return _with_more(request, form, form.others_resolved(), entry, [going], events)
    if going is not None:
        # The form let it start no earlier than the one still going is known to have gone on.
        going.ended_at = max(entry.onset, last_known_at(going))
        entries.save(going, request.user)
    return _save_resolved(request, form, entry)


def _with_more(request: PatientRequest, form, more: list, template: SymptomEntry, saved, events):
    """``saved`` and ``events``, plus an entry like ``template`` for each further sign
    (``more``) the typed words named."""
    if more:
        form.resolved = more
        extra, extra_events = _save_resolved(request, form, template)
        saved, events = saved + extra, events + extra_events
    return saved, events


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
            still_going_at=template.still_going_at,
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
    codes = red_flags.follow_ups_for(first.symptom, queries.worst_severity(first))
    form = FollowUpForm(request.POST, codes=codes)
    if not form.is_valid():
        context = _today_context(request) | {
            "saved": [first],
            "follow_up_form": form,
            "follow_up_for": first,
        }
        return render_page_or_fragment(request, "diary/today.html", "quick-log", context)
    saved, events = [first], []
    felt = queries.felt_at(first)
    for code in form.cleaned_data["signs"]:
        entry = SymptomEntry(
            patient=request.patient,
            symptom=code,
            severity=form.cleaned_data["severity"],
            onset=felt,
        )
        entry.notes = _("Answered a follow-up question.")
        events += entries.save(entry, request.user)
        saved.append(entry)
    return _render_after_log(request, saved, events)


@patient_view
@require_POST
def same_as_yesterday(request: PatientRequest) -> HttpResponse:
    """Log again what was felt yesterday (the worst of each, later readings included), except a
    side effect that is still going (an open entry: add to it instead) or was already logged
    today (so a second tap, or one after logging it by hand, copies nothing twice)."""
    patient = request.patient
    now = _now(request)
    today_start, _ignored = entries.day_bounds(patient, now.date())
    start, end = entries.day_bounds(patient, now.date() - dt.timedelta(days=1))

    def key(entry: SymptomEntry) -> tuple[str, str]:
        # Words typed for "something else", however spaced or cased, are one side effect.
        return entry.symptom, " ".join(entry.custom_symptom.split()).casefold()

    worst: dict[tuple[str, str], SymptomEntry] = {}
    severity: dict[tuple[str, str], int] = {}
    for entry in SymptomEntry.objects.filter(
        patient=patient, onset__gte=start, onset__lt=end, ended_at__isnull=False
    ):
        felt = max(entry.severity, entry.peak_severity or 0)
        if felt == 0:
            continue  # logged at 0: it was not there (clinical.md), nothing to copy
        if felt > severity.get(key(entry), -1):
            worst[key(entry)], severity[key(entry)] = entry, felt
    if worst:
        taken = SymptomEntry.objects.filter(
            Q(onset__gte=today_start) | Q(ended_at__isnull=True), patient=patient
        ).only("symptom", "custom_symptom")
        for entry in taken:
            worst.pop(key(entry), None)
    saved, events = [], []
    for found_key, entry in worst.items():
        copy = SymptomEntry(
            patient=patient,
            symptom=entry.symptom,
            custom_symptom=entry.custom_symptom,
            severity=severity[found_key],
            onset=now,
        )
        events += entries.save(copy, request.user)
        saved.append(copy)
    if not saved:
        messages.info(
            request,
            _(
                "Nothing to copy: yesterday’s symptoms are still going, already logged today, "
                "or none were logged."
            ),
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
    if _already_ended(request, entry):
        return _after_write(request, _today_url(request))
    entry.ended_at = max(timezone.now(), entry.onset)
    entries.save(entry, request.user)
    messages.success(request, _("%(symptom)s marked as gone.") % {"symptom": entry.label})
    return _after_write(request, _today_url(request))


def _already_ended(request: PatientRequest, entry: SymptomEntry) -> bool:
    """An end already given is kept: "Gone now" from a page opened before someone else ended it
    (or the Back button, or a second tap) overwrote a caregiver's 10:00 with now, and made a
    headache of 17 Nov, ended the next day, last a week (second browser pass)."""
    if entry.ended_at is None:
        return False
    messages.info(
        request,
        _("%(symptom)s was already marked as gone at %(at)s.")
        % {"symptom": entry.label, "at": moment_words(entry.ended_at, request.patient.tz)},
    )
    return True


@patient_view
@require_POST
def symptom_still_going(request: PatientRequest, pk: int) -> HttpResponse:
    entry = _get_entry(request, pk)
    if _already_ended(request, entry):
        return _after_write(request, _today_url(request))
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


# A start given only this long before the save (the form's own "now", minutes spent filling it
# in) says nothing a "still going at" would add: "since 14:35 · still going at 14:38" is noise.
STILL_GOING_NOTED_AFTER = dt.timedelta(minutes=15)


def _note_still_going(form, entry: SymptomEntry, *, edited: bool) -> None:
    """ "Still going" ticked on a new entry (or on an ended one, reopening it) says it is still
    going now, as the Today page's "Still going" does: without that, one logged the next
    morning as still going counted as over at its start ("no end logged", severity 0 the next
    day in the trends; the browser pass). An edit of an entry already open says nothing new
    about now (it may correct a typo days after), so its confirmation is left as it was."""
    if entry.still_going_at is not None and (
        entry.still_going_at <= entry.onset
        or (entry.ended_at is not None and entry.ended_at < entry.still_going_at)
    ):
        # Its start moved to after the last "still going", or an end was given before it: the
        # person's latest word is the start or end typed ("15:00 ... still going at 14:58", the
        # second browser pass; an end before it, the third review).
        entry.still_going_at = None
    if entry.ended_at is not None or not form.cleaned_data.get("still_going"):
        return
    if edited and form.initial.get("ended_at") is None:
        return
    now = timezone.now()
    if now - entry.onset >= STILL_GOING_NOTED_AFTER:
        entry.still_going_at = now


def _save_edit(request: PatientRequest, form, entry: SymptomEntry):
    """An edited entry: the sign it now names, and an entry more for each further sign its
    typed words name."""
    (code, detail), *more = form.resolved
    entry.symptom, entry.detail = code, detail
    events = entries.save(entry, request.user)
    return _with_more(request, form, more, entry, [entry], events)


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
        _note_still_going(form, entry, edited=bool(pk))
        with transaction.atomic():
            if pk:
                saved, events = _save_edit(request, form, entry)
            else:  # a new log asks about the same sign still going, as the quick log does
                saved, events = _log_episode(request, form, entry)
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
    context = {
        "patient": request.patient,
        **_fields(queries.questions(request.patient)),
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
        if measure.kind == Measure.Kind.MGADL:
            # Against the score before this one in time, not the newest: a score back-filled
            # for 18 Oct was told "5 points higher than last time" against one of 21 Nov.
            # In the list's own order (newest first, then the later saved): a score typed for
            # the same minute as another is compared with the one just below it.
            scores = Measure.objects.filter(patient=request.patient, kind=Measure.Kind.MGADL)
            at = measure.measured_at
            before = (
                scores.filter(Q(measured_at__lt=at) | Q(measured_at=at, pk__lt=measure.pk))
                .order_by("-measured_at", "-pk")
                .first()
            )
            if before is not None:
                change = scales.compare_mgadl(before.total, measure.total)
                later = scores.filter(Q(measured_at__gt=at) | Q(measured_at=at, pk__gt=measure.pk))
                newest = not later.exists()
                message += " " + _mgadl_change_text(change, None if newest else before)
        messages.success(request, message)
        return _after_write(request, reverse("diary:measures", args=[request.patient.public_id]))

    context = {
        "measure": measure,
        "kind_label": Measure.Kind(form_class.kind).label,
        "previous": previous,
        "citation": scales.citation(form_class.kind),
        "recall": scales.MGADL_RECALL,
    }
    return _form_page(request, form, "diary/measure_form.html", context, save)


def _mgadl_change_text(change: scales.MgAdlChange, before: Measure | None = None) -> str:
    """The change from the score before, "last time" when the new one is the newest; for one
    logged between others, the one before it by its date."""
    points = abs(change.change)
    if before is not None:
        on = {"date": day_month(before.measured_at)}
        if change.direction == scales.UNCHANGED:
            return _("Same as the score before it, on %(date)s.") % on
        if change.direction == scales.IMPROVED:
            text = ngettext(
                "%(n)s point lower than the score before it, on %(date)s (fewer symptoms).",
                "%(n)s points lower than the score before it, on %(date)s (fewer symptoms).",
                points,
            ) % ({"n": points} | on)
        else:
            text = ngettext(
                "%(n)s point higher than the score before it, on %(date)s (more symptoms).",
                "%(n)s points higher than the score before it, on %(date)s (more symptoms).",
                points,
            ) % ({"n": points} | on)
    elif change.direction == scales.UNCHANGED:
        return _("Same as last time.")
    elif change.direction == scales.IMPROVED:
        text = ngettext(
            "%(n)s point lower than last time (fewer symptoms).",
            "%(n)s points lower than last time (fewer symptoms).",
            points,
        ) % {"n": points}
    else:
        text = ngettext(
            "%(n)s point higher than last time (more symptoms).",
            "%(n)s points higher than last time (more symptoms).",
            points,
        ) % {"n": points}
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


# Rows a measure shows before "Show the N older": about six months of weekly scores.
MEASURE_ROWS_SHOWN = 26


def _measures_context(request: PatientRequest) -> dict:
    """Each measure's newest rows; ``?all=<kind>`` shows every row of that one."""
    patient = request.patient
    shown = scales.default_measures(patient.conditions)
    whole = request.GET.get("all", "")
    sections = queries.measures(patient)
    for section in sections:
        if section.kind != whole:
            section.shown_newest(MEASURE_ROWS_SHOWN)
    return {
        "patient": patient,
        "sections": sections,
        "other_kinds": [(k, Measure.Kind(k).label) for k in MEASURE_FORMS if k not in shown],
    }


@patient_view
@require_GET
def timeline(request: PatientRequest) -> HttpResponse:
    """The diary, one block per day, newest first, two weeks a page."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in queries.TIMELINE_KINDS else ""
    html = render_cached(
        request, "diary/timeline.html#timeline", lambda: _timeline_context(request, kind)
    )
    if wants_fragment(request):
        return vary_on_htmx(HttpResponse(html))
    context = {"patient": request.patient, "timeline": html, "kind": kind, "kinds": TIMELINE_KINDS}
    return vary_on_htmx(render(request, "diary/timeline.html", context))


def _timeline_context(request: PatientRequest, kind: str) -> dict:
    patient = request.patient
    today = _now(request).date()
    try:
        until = dt.date.fromisoformat(request.GET.get("until") or today.isoformat())
    except ValueError:
        until = today
    until = min(max(until, EARLIEST_DAY), today)  # a crafted date cannot overflow
    since = until - dt.timedelta(days=TIMELINE_DAYS - 1)
    found = queries.timeline(patient, since, until, kind)
    return {
        "patient": patient,
        "days": found.days,
        "kind": kind,
        "since": since,
        "until": until,
        "older_until": queries.last_day_before(patient, since, kind),
        "newer_until": until + dt.timedelta(days=TIMELINE_DAYS) if until < today else None,
    }


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
    # Each change in plain words (diary.history.describe), never the stored internals.
    patient = request.patient
    context = {
        "patient": patient,
        "record": record,
        "kind": kind,
        "subject": change_history.subject(record, patient.weight_unit),
        "changes": change_history.describe(record, changes_for(record), patient),
    }
    return render(request, "diary/history.html", context)
