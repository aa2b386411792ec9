from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from clinical import red_flags
from patients import history
from patients.access import PatientRequest, get_for_patient, patient_view
from patients.caching import render_cached
from patients.htmx import render_page_or_fragment, vary_on_htmx, wants_fragment
from patients.prepared import PreparedQuery

from . import calendar, changes, plans, records
from .feeds import maker_may_read
from .forms import (
    FORMSETS,
    LOT_SEARCH_MAX,
    InfusionForm,
    ProductForm,
    RegimenForm,
    add_vial_hints,
    build_formsets,
    check_lot_expiry,
    check_rates,
    hold_judgement,
    split_premedication,
    with_one_more_row,
)
from .lots import lot_key, lot_key_sql, removed_lots
from .models import CalendarFeed, Course, Infusion, InfusionLot, Regimen
from .schedule import schedule_for

COURSES_PER_PAGE = 10
LOT_SEARCH_ROWS = 200
LOT_SEARCH_REMOVED_ROWS = 50
DELETED_SHOWN = 10  # recently deleted plans, offered for restoring on the plan page
DELETED_LIST_MAX = 100  # deleted infusions listed on their page


def local_now(request: PatientRequest) -> dt.datetime:
    return timezone.localtime(timezone.now(), request.patient.tz)


def _redirect(request: PatientRequest, url: str) -> HttpResponse:
    """After a write: htmx navigates the whole page; plain forms get a 302."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _render(request: PatientRequest, name: str, fragment: str, context: dict) -> HttpResponse:
    return render_page_or_fragment(request, name, fragment, context)


def _date_param(request: PatientRequest) -> dt.date | None:
    """A ``?date=YYYY-MM-DD`` asked for in a link (e.g. "Log day 2" of a course)."""
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return None


# The list's queries, compiled once per process (patients.caching.PreparedQuery): they cost
# more to compile than to run, on every first render after a change to the diary. Every course's
# id and start, newest first (as Course orders them), to page through; then the page's courses,
# their infusions and the infusions' lots, found by the courses' starts.
_COURSE_STARTS = PreparedQuery(
    lambda patient: Course.objects.filter(patient=patient).values_list("pk", "start_date"),
    patient=int,
)
_COURSES_BETWEEN = PreparedQuery(
    lambda patient, first, last: Course.objects.filter(
        patient=patient, start_date__gte=first, start_date__lte=last
    ),
    patient=int,
    first=dt.date,
    last=dt.date,
)
# Only what the rows show (infusions/templatetags/infusion_rows.py): a third of the columns.
_INFUSIONS_BETWEEN = PreparedQuery(
    lambda patient, first, last: (
        Infusion.objects.filter(
            course__patient=patient, course__start_date__gte=first, course__start_date__lte=last
        )
        .select_related("product")
        .only(
            "course",
            "date",
            "dose_g",
            "weight_kg",
            "product__name",
            "product__route",
            "product__concentration_percent",
        )
        .order_by("date", "pk")
    ),
    patient=int,
    first=dt.date,
    last=dt.date,
)
_LOTS_BETWEEN = PreparedQuery(
    lambda patient, first, last: (
        InfusionLot.objects.filter(
            infusion__course__patient=patient,
            infusion__course__start_date__gte=first,
            infusion__course__start_date__lte=last,
        )
        .only("infusion", "lot_number")
        .order_by("pk")
    ),
    patient=int,
    first=dt.date,
    last=dt.date,
)


def _set_prefetched(obj, name: str, model, rows: list) -> None:
    """``obj.<name>.all()`` answers ``rows`` without a query, as after ``prefetch_related``."""
    queryset = QuerySet(model)  # not a manager's: its filters would cost more than the rows
    queryset._result_cache = rows
    queryset._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def _courses_with_infusions(patient: int, ids: list[int], first: dt.date, last: dt.date):
    """The courses ``ids`` (starting from ``first`` to ``last``), in that order, each with its
    infusions and their lots, as ``prefetch_related`` would give them: three queries."""
    courses = {c.pk: c for c in _COURSES_BETWEEN(patient=patient, first=first, last=last)}
    infusions: dict[int, list[Infusion]] = {pk: [] for pk in courses}
    lots: dict[int, list[InfusionLot]] = {}
    for infusion in _INFUSIONS_BETWEEN(patient=patient, first=first, last=last):
        if infusion.course_id in courses:
            infusion.course = courses[infusion.course_id]
            infusions[infusion.course_id].append(infusion)
            lots[infusion.pk] = []
    for lot in _LOTS_BETWEEN(patient=patient, first=first, last=last):
        if lot.infusion_id in lots:
            lots[lot.infusion_id].append(lot)
    for course_id, rows in infusions.items():
        _set_prefetched(courses[course_id], "infusions", Infusion, rows)
        for infusion in rows:
            _set_prefetched(infusion, "lots", InfusionLot, lots[infusion.pk])
    # In the order paged through (courses starting on the same day stay apart).
    return [courses[pk] for pk in ids if pk in courses]


@patient_view
@require_GET
def infusion_list(request: PatientRequest) -> HttpResponse:
    def build_context() -> dict:
        patient = request.patient.pk
        starts = _COURSE_STARTS(patient=patient)
        page = Paginator(starts, COURSES_PER_PAGE).get_page(request.GET.get("page"))
        if page.object_list:
            ids = [pk for pk, _start in page.object_list]
            dates = [start for _pk, start in page.object_list]
            page.object_list = _courses_with_infusions(patient, ids, min(dates), max(dates))
        return {"patient": request.patient, "page": page}

    html = render_cached(request, "infusions/list.html#infusion-list", build_context)
    if wants_fragment(request):
        return vary_on_htmx(HttpResponse(html))
    context = {"patient": request.patient, "list_html": html}
    return vary_on_htmx(render(request, "infusions/list.html", context))


def _initial_from_plan(
    request: PatientRequest, date: dt.date
) -> tuple[dict, dict[str, list[dict]]]:
    """Pre-fill a new infusion from the plan in force on `date` and the infusion before it."""
    patient = request.patient
    plan = plans.plan_on(patient, date)
    last = Infusion.objects.filter(patient=patient, date__lte=date).with_details().first()
    initial: dict = {"date": date}
    children: dict[str, list[dict]] = {}
    weight = (last.weight_kg if last else None) or (plan.dosing_weight_kg if plan else None)
    product = plan.product if plan else (last.product if last else None)
    if weight:
        initial["weight_kg"] = weight
    if product:
        initial["product"] = product.pk
    if plan:
        initial["site"] = plan.usual_site
        if last and last.regimen_id == plan.pk and last.product_id == plan.product_id:
            # What was actually given under this plan (doses are rounded to whole vials).
            initial.update(dose_g=last.dose_g, volume_ml=last.volume_ml)
        elif dose := plan.daily_dose_g(weight):
            initial["dose_g"] = dose
            initial["volume_ml"] = (dose * 1000 / product.mg_per_ml).quantize(1)
        children["premeds"] = [split_premedication(line) for line in plan.premedication_lines()]
    elif last:
        initial.update(site=last.site, dose_g=last.dose_g, volume_ml=last.volume_ml)
    if last:
        initial["nurse"] = last.nurse
        initial["hydration"] = last.hydration
        if last.product_id == (product.pk if product else None):
            children["rates"] = [
                {"minutes_from_start": s.minutes_from_start, "rate": s.rate, "unit": s.unit}
                for s in last.rate_steps.all()
            ]
        if "premeds" not in children:
            children["premeds"] = [
                {"name": p.name, "dose": p.dose} for p in last.premedications.all()
            ]
    return initial, children


def _infusion_form_page(
    request: PatientRequest,
    infusion: Infusion,
    initial: dict | None = None,
    children: dict[str, list[dict]] | None = None,
) -> HttpResponse:
    now = local_now(request)
    previous_date = infusion.date if infusion.pk else None  # the form changes the instance
    data = request.POST if request.method == "POST" else None
    # "Add a lot" (or a reaction, a medicine, a rate step): show the form again, as typed,
    # with one more row there; save nothing. Two reactions at once (hives, then feeling faint)
    # are what make a warning: one row only let the second in after saving (browser pass).
    adding = None
    if data is not None:
        adding = "lots" if "add_lot" in data else data.get("add_row")
        adding = adding if adding in FORMSETS else None
    if adding:
        data, new_row = with_one_more_row(data, adding)
    form = InfusionForm(
        data,
        instance=infusion,
        initial=initial,
        patient=request.patient,
        today=now.date(),
        now=now.time(),
    )
    extra = {"lots": 1, "rates": 2, "premeds": 1, "reactions": 1}
    formsets = build_formsets(data, infusion, children or {}, extra)
    if adding:
        hold_judgement(form, formsets)
        if new_row is not None:
            row = formsets[adding].forms[new_row]
            row.fields[next(iter(row.fields))].widget.attrs["autofocus"] = True
    elif data is not None:
        form_ok = form.is_valid()
        sets_ok = all(fs.is_valid() for fs in formsets.values())
        if form_ok and sets_ok:
            check_rates(form, formsets["rates"])
            check_lot_expiry(form, formsets["lots"])
            sets_ok = all(
                formsets[name].is_valid() and not any(row.errors for row in formsets[name].forms)
                for name in ("rates", "lots")
            )
        if form_ok and sets_ok:
            # Saved with its rows, courses regrouped, the diary told, the change kept.
            infusion = records.save_infusion(
                form, formsets, request.patient, request.user, previous_date
            )
            messages.success(
                request,
                _("Infusion of %(date)s saved.") % {"date": infusion.date.strftime("%d %b %Y")},
            )
            for mismatch in records.expiry_mismatches(infusion):
                messages.warning(
                    request,
                    _(
                        "Lot %(lot)s has the expiry %(expiry)s here, but %(other)s on the "
                        "infusion of %(other_date)s. Check the label on the vial and correct the "
                        "one that is wrong: a recall goes by lot and expiry."
                    )
                    % {
                        "lot": mismatch.lot_number,
                        "expiry": date_format(mismatch.expiry, "j M Y"),
                        "other": date_format(mismatch.other_expiry, "j M Y"),
                        "other_date": date_format(mismatch.other_date, "j M Y"),
                    },
                )
            return _redirect(
                request, reverse("infusions:detail", args=[request.patient.public_id, infusion.pk])
            )
    add_vial_hints(form, formsets["lots"])
    plan_date = infusion.date or (initial or {}).get("date") or now.date()
    context = {
        "patient": request.patient,
        "form": form,
        "formsets": formsets,
        "infusion": infusion,
        "plan": plans.plan_on(request.patient, plan_date),
        "adding": adding,
    }
    return _render(request, "infusions/form.html", "infusion-form", context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def log_infusion(request: PatientRequest) -> HttpResponse:
    initial, children = {}, {}
    if request.method == "GET":
        date = _date_param(request) or local_now(request).date()
        initial, children = _initial_from_plan(request, date)
    return _infusion_form_page(request, Infusion(patient=request.patient), initial, children)


def _get_infusion(request: PatientRequest, pk: int) -> Infusion | HttpResponse:
    """The live infusion, or, for one of the patient's deleted ones (Back after Delete, an old
    bookmark), its history page, which says when it was deleted and offers Restore."""
    try:
        return get_for_patient(request, Infusion.objects.with_details(), pk)
    except Http404:
        deleted = get_for_patient(request, Infusion.all_objects, pk, deleted_at__isnull=False)
    messages.info(request, _("This infusion was deleted. You can restore it here."))
    return redirect(reverse("infusions:history", args=[request.patient.public_id, deleted.pk]))


@patient_view
@require_GET
def infusion_detail(request: PatientRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion(request, pk)
    if isinstance(infusion, HttpResponse):
        return infusion
    context = {
        "patient": request.patient,
        "infusion": infusion,
        "red_flag_alerts": _reaction_alerts(request, infusion),
        "changes": changes.infusion_changes(infusion),
    }
    return render(request, "infusions/detail.html", context)


@patient_view
@require_GET
def infusion_history(request: PatientRequest, pk: int) -> HttpResponse:
    """An infusion's changes, also once it is deleted (with a button to restore it)."""
    infusion = get_for_patient(request, Infusion.all_objects.select_related("product"), pk)
    context = {
        "patient": request.patient,
        "infusion": infusion,
        "changes": changes.infusion_changes(infusion),
    }
    return render(request, "infusions/history.html", context)


def _reaction_alerts(request: PatientRequest, infusion: Infusion) -> list[dict]:
    """The warnings its reactions set off, for the warning component. They are recorded by the
    diary too (which shows them on Today, where they can be marked as dealt with)."""
    today = reverse("today", args=[request.patient.public_id])
    return [
        red_flags.for_display(
            alert.as_match(),
            red_flags.describe_signs(alert.signs()),
            id=f"reaction-{n}",
            source_text=_("Logged during this infusion."),
            today_url=today,
            fresh=True,
        )
        for n, alert in enumerate(infusion.reaction_alerts(), start=1)
    ]


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def infusion_edit(request: PatientRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion(request, pk)
    if isinstance(infusion, HttpResponse):
        return infusion
    return _infusion_form_page(request, infusion)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def infusion_delete(request: PatientRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion(request, pk)
    if isinstance(infusion, HttpResponse):
        return infusion
    if request.method == "POST":
        # Soft: courses, schedule and diary go on as without it; Undo brings it all back.
        records.delete_infusion(infusion, request.user)
        restore_url = reverse("infusions:restore", args=[request.patient.public_id, pk])
        messages.success(
            request,
            _("Infusion of %(date)s deleted.") % {"date": date_format(infusion.date, "j M Y")},
            extra_tags=f"undo:{restore_url}",
        )
        return _redirect(request, reverse("infusions:list", args=[request.patient.public_id]))
    return render(
        request, "infusions/delete.html", {"patient": request.patient, "infusion": infusion}
    )


@patient_view
@require_GET
def infusion_deleted(request: PatientRequest) -> HttpResponse:
    """Deleted infusions, newest deletion first, each with its history and a Restore button."""
    deleted = (
        Infusion.all_objects.filter(patient=request.patient, deleted_at__isnull=False)
        .select_related("product")
        .prefetch_related("lots")
        .order_by("-deleted_at", "-pk")[:DELETED_LIST_MAX]
    )
    context = {"patient": request.patient, "deleted": deleted, "limit": DELETED_LIST_MAX}
    return render(request, "infusions/deleted.html", context)


@patient_view
@require_POST
def infusion_restore(request: PatientRequest, pk: int) -> HttpResponse:
    infusion = get_for_patient(request, Infusion.all_objects, pk, deleted_at__isnull=False)
    records.restore_infusion(infusion, request.user)
    messages.success(request, _("Restored."))
    if (
        Infusion.objects.filter(patient=request.patient, date=infusion.date)
        .exclude(pk=infusion.pk)
        .exists()
    ):
        messages.warning(
            request,
            _(
                "Another infusion is logged on %(date)s too. If it is the same one, delete "
                "one of them."
            )
            % {"date": date_format(infusion.date, "j M Y")},
        )
    return _redirect(request, reverse("infusions:detail", args=[request.patient.public_id, pk]))


@patient_view
@require_GET
def lot_search(request: PatientRequest) -> HttpResponse:
    """“Was I given lot X?” — for recalls."""
    # Control characters (a NUL byte cannot even reach PostgreSQL) are never part of a lot.
    query = "".join(ch for ch in request.GET.get("q", "") if ch.isprintable()).strip()
    key = lot_key(query)
    if not key:
        # Only separators ("-", "/"): nothing to look for, as for an empty search; a "No" for
        # it would be an answer to a question nobody asked.
        query = ""
    # No lot is longer than this, without its separators either.
    too_long = len(key) > LOT_SEARCH_MAX
    lots, removed, more = [], [], False
    if key and not too_long:
        # Lots of deleted infusions too (marked, with Undo): a recall must not miss one.
        lots = list(
            InfusionLot.objects.filter(infusion__patient=request.patient)
            .alias(search_key=lot_key_sql("lot_number"))
            .filter(search_key__contains=key)
            .select_related("infusion__product")
            .order_by("-infusion__date", "lot_number")[: LOT_SEARCH_ROWS + 1]
        )
        # And numbers an edit took off an infusion, from its change history.
        removed = removed_lots(request.patient, key)
        # Never cut silently: the page says when there are more than it shows.
        more = len(lots) > LOT_SEARCH_ROWS or len(removed) > LOT_SEARCH_REMOVED_ROWS
        lots, removed = lots[:LOT_SEARCH_ROWS], removed[:LOT_SEARCH_REMOVED_ROWS]
    context = {
        "patient": request.patient,
        "query": query,
        "lots": lots,
        "removed": removed,
        "found": len(lots) + len(removed),
        "more": more,
        "too_long": too_long,
        "max_length": LOT_SEARCH_MAX,
    }
    return _render(request, "infusions/lots.html", "lot-results", context)


@patient_view
@require_GET
def plan(request: PatientRequest) -> HttpResponse:
    patient = request.patient
    regimens = list(Regimen.objects.filter(patient=patient).select_related("product"))
    now = local_now(request)
    context = {
        "patient": patient,
        "active": next((p for p in regimens if p.is_active), None),
        "past": [p for p in regimens if not p.is_active],
        # Deleted plans stay restorable from here (and from their history page).
        "deleted": Regimen.all_objects.filter(patient=patient, deleted_at__isnull=False)
        .select_related("product")
        .order_by("-deleted_at")[:DELETED_SHOWN],
        "schedule": schedule_for(patient, now.date()),
        "feed": CalendarFeed.objects.filter(patient=patient, revoked_at__isnull=True).first(),
    }
    return render(request, "infusions/plan.html", context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def plan_new(request: PatientRequest) -> HttpResponse:
    """A new plan (product switch, dose change) ends the active one the day before it starts."""
    patient = request.patient
    current = Regimen.objects.filter(patient=patient).active().first()
    initial = {"start_date": local_now(request).date()}
    if current:
        initial |= {
            f: getattr(current, f)
            for f in RegimenForm.Meta.fields
            if f not in {"start_date", "end_date", "notes", "product"}
        } | {"product": current.product_id}
    elif len(patient.conditions) == 1:
        initial["indication"] = patient.conditions[0]
    # The form checks the new plan starts after the current one and overlaps no other plan.
    form = RegimenForm(request.POST or None, initial=initial, patient=patient, replaces=current)
    if request.method == "POST" and form.is_valid():
        start = form.cleaned_data["start_date"]
        with transaction.atomic():
            if current:
                records.end_plan(current, start - dt.timedelta(days=1), request.user, relink=False)
            new = form.save(commit=False)
            new.patient = patient
            records.save_plan(new, request.user)
        messages.success(request, _("Treatment plan saved."))
        return _redirect(request, reverse("infusions:plan", args=[patient.public_id]))
    context = {"patient": patient, "form": form, "current": current}
    return _render(request, "infusions/plan_form.html", "plan-form", context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def plan_edit(request: PatientRequest, pk: int) -> HttpResponse:
    regimen = get_for_patient(request, Regimen, pk)
    before = history.snapshot(regimen)  # the form changes the instance as it checks it
    form = RegimenForm(request.POST or None, instance=regimen, patient=request.patient)
    if request.method == "POST" and form.is_valid():
        # Relinked and regrouped even when only the course length or interval changed:
        # they decide whether a late day joins its course.
        records.save_plan(form.save(commit=False), request.user, before=before)
        messages.success(request, _("Treatment plan saved."))
        return _redirect(request, reverse("infusions:plan", args=[request.patient.public_id]))
    context = {"patient": request.patient, "form": form, "regimen": regimen}
    return _render(request, "infusions/plan_form.html", "plan-form", context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def plan_end(request: PatientRequest, pk: int) -> HttpResponse:
    """“Treatment stopped”: asked once more, then ended today, with Undo (reopen)."""
    regimen = get_for_patient(
        request, Regimen.objects.select_related("product"), pk, end_date__isnull=True
    )
    end_date = max(local_now(request).date(), regimen.start_date)
    if request.method == "POST":
        records.end_plan(regimen, end_date, request.user)
        reopen_url = reverse("infusions:plan-reopen", args=[request.patient.public_id, pk])
        messages.success(
            request, _("The plan is marked as ended."), extra_tags=f"undo:{reopen_url}"
        )
        return _redirect(request, reverse("infusions:plan", args=[request.patient.public_id]))
    context = {"patient": request.patient, "regimen": regimen, "end_date": end_date}
    return render(request, "infusions/plan_end.html", context)


@patient_view
@require_POST
def plan_reopen(request: PatientRequest, pk: int) -> HttpResponse:
    """Undo “Treatment stopped”: the plan goes on, unless another plan has begun since."""
    regimen = get_for_patient(
        request, Regimen.objects.select_related("product"), pk, end_date__isnull=False
    )
    plan_url = reverse("infusions:plan", args=[request.patient.public_id])
    other = plans.overlapping(request.patient, regimen.start_date, None, exclude=regimen)
    if other is not None:
        messages.error(
            request,
            _(
                "This plan cannot go on: another plan (%(other)s, %(other_span)s) follows it. "
                "Correct that plan instead."
            )
            % {"other": other.product, "other_span": plans.span_text(other)},
        )
        return _redirect(request, plan_url)
    before = history.snapshot(regimen)
    regimen.end_date = None
    records.save_plan(regimen, request.user, before=before)
    messages.success(request, _("The plan goes on."))
    return _redirect(request, plan_url)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def plan_delete(request: PatientRequest, pk: int) -> HttpResponse:
    """Delete a plan (after a confirmation page): infusions given under it are relinked as if
    it had never existed; Undo brings it back."""
    regimen = get_for_patient(request, Regimen.objects.select_related("product"), pk)
    if request.method == "POST":
        records.delete_plan(regimen, request.user)
        restore_url = reverse("infusions:plan-restore", args=[request.patient.public_id, pk])
        messages.success(
            request,
            _("Plan %(plan)s (%(span)s) deleted.")
            % {"plan": regimen.product, "span": plans.span_text(regimen)},
            extra_tags=f"undo:{restore_url}",
        )
        return _redirect(request, reverse("infusions:plan", args=[request.patient.public_id]))
    context = {
        "patient": request.patient,
        "regimen": regimen,
        "infusion_count": regimen.infusions.count(),
    }
    return render(request, "infusions/plan_delete.html", context)


@patient_view
@require_POST
def plan_restore(request: PatientRequest, pk: int) -> HttpResponse:
    regimen = get_for_patient(
        request, Regimen.all_objects.select_related("product"), pk, deleted_at__isnull=False
    )
    plan_url = reverse("infusions:plan", args=[request.patient.public_id])
    try:
        records.restore_plan(regimen, request.user)
    except records.PlanOverlaps as refused:
        messages.error(
            request,
            _(
                "This plan (%(plan)s, %(span)s) cannot be restored: its dates overlap another "
                "plan (%(other)s, %(other_span)s), and a day can be under one plan only. End or "
                "correct that plan first, then restore this one."
            )
            % {
                "plan": regimen.product,
                "span": plans.span_text(regimen),
                "other": refused.other.product,
                "other_span": plans.span_text(refused.other),
            },
        )
        return _redirect(request, plan_url)
    messages.success(request, _("Restored."))
    return _redirect(request, plan_url)


@patient_view
@require_GET
def plan_history(request: PatientRequest, pk: int) -> HttpResponse:
    """A plan's changes (dates, dose, ending it), also once it is deleted."""
    regimen = get_for_patient(request, Regimen.all_objects.select_related("product"), pk)
    context = {
        "patient": request.patient,
        "regimen": regimen,
        "changes": changes.plan_changes(regimen),
    }
    return render(request, "infusions/plan_history.html", context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def product_new(request: PatientRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, patient=request.patient)
    if request.method == "POST" and form.is_valid():
        product = form.save(commit=False)
        product.patient = request.patient
        product.save()
        messages.success(request, _("%(product)s added to your products.") % {"product": product})
        next_url = request.POST.get("next", "")
        allowed = reverse("infusions:log", args=[request.patient.public_id])
        return _redirect(
            request,
            allowed
            if next_url == allowed
            else reverse("infusions:plan", args=[request.patient.public_id]),
        )
    next_url = request.GET.get("next") or request.POST.get("next", "")
    context = {"patient": request.patient, "form": form, "next": next_url}
    return render(request, "infusions/product_form.html", context)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@patient_view(owner_only=True)
@require_POST
def calendar_create(request: PatientRequest) -> HttpResponse:
    """Make a new secret feed address (the old one stops working) and show it once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.filter(patient=request.patient, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        CalendarFeed.objects.create(
            patient=request.patient, token_hash=_hash_token(token), created_by=request.user
        )
    feed_url = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
    response = render(
        request,
        "infusions/calendar_created.html",
        {"patient": request.patient, "feed_url": feed_url},
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@patient_view(owner_only=True)
@require_POST
def calendar_revoke(request: PatientRequest) -> HttpResponse:
    CalendarFeed.objects.filter(patient=request.patient, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    messages.success(request, _("The calendar address no longer works."))
    return _redirect(request, reverse("infusions:plan", args=[request.patient.public_id]))


@never_cache
@require_GET
def calendar_feed(request, token: str) -> HttpResponse:
    """The iCal feed. The secret token in the URL is the only credential; never logged
    (config/redaction.py takes it out of every log line)."""

    feed = (
        CalendarFeed.objects.filter(token_hash=_hash_token(token), revoked_at__isnull=True)
        .select_related("patient")
        .first()
    )
    if feed is None:
        raise Http404
    # A feed lives only while its maker is an active owner of the diary. The signals in
    # infusions.feeds revoke it when that ends; this catches what they cannot see.
    if not maker_may_read(feed):
        CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        raise Http404
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    patient = feed.patient
    today = timezone.localtime(timezone.now(), patient.tz).date()
    body = calendar.build(patient, schedule_for(patient, today), request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="infusions.ics"'
    response["Referrer-Policy"] = "no-referrer"
    return response
