from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from clinical import red_flags
from patients.access import PatientRequest, get_for_patient, patient_view
from patients.caching import render_cached
from patients.htmx import render_page_or_fragment, vary_on_htmx, wants_fragment

from . import calendar, courses, plans
from .forms import (
    LOT_SEARCH_MAX,
    InfusionForm,
    ProductForm,
    RegimenForm,
    add_vial_hints,
    build_formsets,
    check_rates,
    hold_judgement,
    split_premedication,
    with_one_more_row,
)
from .models import CalendarFeed, Course, Infusion, InfusionLot, Regimen
from .schedule import schedule_for
from .signals import infusion_recorded

COURSES_PER_PAGE = 10


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


@patient_view
@require_GET
def infusion_list(request: PatientRequest) -> HttpResponse:
    def build_context() -> dict:
        infusions = Infusion.objects.select_related("product").prefetch_related("lots")
        course_qs = Course.objects.filter(patient=request.patient).prefetch_related(
            Prefetch("infusions", queryset=infusions.order_by("date", "pk"))
        )
        page = Paginator(course_qs, COURSES_PER_PAGE).get_page(request.GET.get("page"))
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
    adding_lot = data is not None and "add_lot" in data
    if adding_lot:
        # "Add a lot": show the form again, as typed, with one more lot row; save nothing.
        data, new_lot = with_one_more_row(data, "lots")
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
    if adding_lot:
        hold_judgement(form, formsets)
        if new_lot is not None:
            formsets["lots"].forms[new_lot].fields["lot_number"].widget.attrs["autofocus"] = True
    elif data is not None:
        form_ok = form.is_valid()
        sets_ok = all(fs.is_valid() for fs in formsets.values())
        if form_ok and sets_ok:
            check_rates(form, formsets["rates"])
            sets_ok = formsets["rates"].is_valid() and not any(
                row.errors for row in formsets["rates"].forms
            )
        if form_ok and sets_ok:
            with transaction.atomic():
                infusion = form.save(commit=False)
                infusion.patient = request.patient
                if infusion.pk is None:
                    infusion.logged_by = request.user
                if infusion.pk is None or "date" in form.changed_data:
                    # The plan in force that day, which for a back-dated one may be an old plan.
                    infusion.regimen = plans.plan_on(request.patient, infusion.date)
                infusion.save()
                for formset in formsets.values():
                    formset.instance = infusion
                    formset.save()
                courses.regroup(request.patient)
                infusion_recorded.send(
                    sender=Infusion,
                    patient=request.patient,
                    infusion=infusion,
                    deleted=False,
                    previous_date=previous_date,
                )
            messages.success(
                request,
                _("Infusion of %(date)s saved.") % {"date": infusion.date.strftime("%d %b %Y")},
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


def _get_infusion(request: PatientRequest, pk: int) -> Infusion:
    return get_for_patient(request, Infusion.objects.with_details(), pk)


@patient_view
@require_GET
def infusion_detail(request: PatientRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion(request, pk)
    context = {
        "patient": request.patient,
        "infusion": infusion,
        "red_flag_alerts": _reaction_alerts(request, infusion),
    }
    return render(request, "infusions/detail.html", context)


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
    return _infusion_form_page(request, _get_infusion(request, pk))


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def infusion_delete(request: PatientRequest, pk: int) -> HttpResponse:
    infusion = _get_infusion(request, pk)
    if request.method == "POST":
        with transaction.atomic():
            infusion.delete()
            courses.regroup(request.patient)
            infusion_recorded.send(
                sender=Infusion, patient=request.patient, infusion=infusion, deleted=True
            )
        messages.success(request, _("Infusion deleted."))
        return _redirect(request, reverse("infusions:list", args=[request.patient.public_id]))
    return render(
        request, "infusions/delete.html", {"patient": request.patient, "infusion": infusion}
    )


@patient_view
@require_GET
def lot_search(request: PatientRequest) -> HttpResponse:
    """“Was I given lot X?” — for recalls."""
    query = request.GET.get("q", "").strip()
    too_long = len(query) > LOT_SEARCH_MAX
    lots = []
    if query and not too_long:
        lots = (
            InfusionLot.objects.filter(
                infusion__patient=request.patient, lot_number__icontains=query
            )
            .select_related("infusion__product")
            .order_by("-infusion__date", "lot_number")[:200]
        )
    context = {
        "patient": request.patient,
        "query": query,
        "lots": lots,
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
                current.end_date = start - dt.timedelta(days=1)
                current.save(update_fields=["end_date"])
            new = form.save(commit=False)
            new.patient = patient
            new.save()
            plans.relink(patient)
        messages.success(request, _("Treatment plan saved."))
        return _redirect(request, reverse("infusions:plan", args=[patient.public_id]))
    context = {"patient": patient, "form": form, "current": current}
    return _render(request, "infusions/plan_form.html", "plan-form", context)


@patient_view(for_editors=True)
@require_http_methods(["GET", "POST"])
def plan_edit(request: PatientRequest, pk: int) -> HttpResponse:
    regimen = get_for_patient(request, Regimen, pk)
    form = RegimenForm(request.POST or None, instance=regimen, patient=request.patient)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            if {"start_date", "end_date"} & set(form.changed_data):
                plans.relink(request.patient)
        messages.success(request, _("Treatment plan saved."))
        return _redirect(request, reverse("infusions:plan", args=[request.patient.public_id]))
    context = {"patient": request.patient, "form": form, "regimen": regimen}
    return _render(request, "infusions/plan_form.html", "plan-form", context)


@patient_view
@require_POST
def plan_end(request: PatientRequest, pk: int) -> HttpResponse:
    regimen = get_for_patient(request, Regimen, pk, end_date__isnull=True)
    today = local_now(request).date()
    regimen.end_date = max(today, regimen.start_date)
    regimen.save(update_fields=["end_date"])
    messages.success(request, _("The plan is marked as ended."))
    return _redirect(request, reverse("infusions:plan", args=[request.patient.public_id]))


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
    """The iCal feed. The secret token in the URL is the only credential; never logged."""
    feed = (
        CalendarFeed.objects.filter(token_hash=_hash_token(token), revoked_at__isnull=True)
        .select_related("patient")
        .first()
    )
    # A feed lives only as long as its maker may still see the diary.
    if feed is None or not feed.patient.memberships.filter(user_id=feed.created_by_id).exists():
        raise Http404
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    patient = feed.patient
    today = timezone.localtime(timezone.now(), patient.tz).date()
    body = calendar.build(patient, schedule_for(patient, today), request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="infusions.ics"'
    response["Referrer-Policy"] = "no-referrer"
    return response
