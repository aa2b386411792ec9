from __future__ import annotations

import json

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinical import emergency

from . import places
from .access import LAST_PATIENT_SESSION_KEY, PatientRequest, patient_view
from .forms import DeleteDiaryForm, PatientForm, StartDiaryForm
from .models import Membership, Patient, User

# The name of the "Use 999" button on the settings page.
USE_EMERGENCY_NUMBER = "use_emergency_number"


def index(request: HttpRequest) -> HttpResponse:
    """Signed out: what the app is. Signed in: straight to the diary last used."""
    if not request.user.is_authenticated:
        return render(request, "patients/landing.html")
    memberships = list(
        Membership.objects.filter(user=request.user).values_list("patient__public_id", flat=True)
    )
    if not memberships:
        return redirect("patients:start")
    last = request.session.get(LAST_PATIENT_SESSION_KEY)
    if last in memberships:
        return redirect("today", public_id=last)
    if len(memberships) == 1:
        return redirect("today", public_id=memberships[0])
    return redirect("patients:list")


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("patient")
    return render(request, "patients/list.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    has_self = request.user.memberships.filter(is_self=True).exists()
    initial = {
        "for_whom": StartDiaryForm.FOR_OTHER if has_self else StartDiaryForm.FOR_ME,
        "time_zone": _starting_time_zone(request.user),
    }
    form = StartDiaryForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        for_me = form.cleaned_data["for_whom"] == StartDiaryForm.FOR_ME
        with transaction.atomic():
            patient = form.save()
            Membership.objects.create(
                user=request.user,
                patient=patient,
                role=Membership.Role.OWNER,
                is_self=for_me,
            )
            if for_me and not request.user.display_name:
                # One's own diary names its keeper: "logged by Tess", not by the start of an
                # email address ("tester1", browser pass), on entries and on the report.
                request.user.display_name = patient.name[: User.display_name.field.max_length]
                request.user.save(update_fields=["display_name"])
        return redirect("today", public_id=patient.public_id)
    return render(request, "patients/start.html", {"form": form})


def _starting_time_zone(user) -> str:
    """A new diary's time zone without JavaScript: that of the user's latest diary, else the
    site's. (app.js puts the device's own zone in its place.)"""
    latest = (
        Membership.objects.filter(user=user)
        .order_by("-created_at")
        .values_list("patient__time_zone", flat=True)
        .first()
    )
    for zone in (latest, settings.TIME_ZONE):
        if zone and (listed := places.canonical_zone(zone)):
            return listed
    return places.UTC


@patient_view(owner_only=True)
@require_http_methods(["GET", "POST"])
def settings_view(request: PatientRequest) -> HttpResponse:
    patient: Patient = request.patient
    data = request.POST or None
    suggestion_changed = False
    if data is not None and (wanted := data.get(USE_EMERGENCY_NUMBER)):
        # The one-tap "Use 999": take it only if it is still the number for the country sent
        # (without JavaScript the button cannot follow a change of country).
        if emergency.number_for(data.get("country")) == wanted:
            data = data.copy()
            data["emergency_number"] = wanted
        else:
            suggestion_changed = True
    form = PatientForm(data, instance=patient)
    if request.method == "POST" and form.is_valid() and not suggestion_changed:
        # Only the edited fields: writing the whole row would put back the data_version loaded
        # at the start of the request, undoing a concurrent write's bump.
        patient = form.save(commit=False)
        patient.save(update_fields=form.Meta.fields)
        if wanted := request.POST.get(USE_EMERGENCY_NUMBER):
            messages.success(
                request, _("Saved. The emergency number is %(number)s.") % {"number": wanted}
            )
        else:
            messages.success(request, _("Saved."))
        return redirect(reverse("patients:settings", args=[patient.public_id]))
    context = {
        "form": form,
        "patient": patient,
        "suggestion": form.emergency_suggestion(),
        "suggestion_changed": suggestion_changed,
        "use_emergency_number": USE_EMERGENCY_NUMBER,
        "emergency_numbers_json": json.dumps(emergency.NUMBERS, separators=(",", ":")),
    }
    return render(request, "patients/settings.html", context)


@patient_view(owner_only=True)
@require_http_methods(["GET", "POST"])
def delete_diary(request: PatientRequest) -> HttpResponse:
    """The owner deletes the whole diary, confirmed by typing its name."""
    form = DeleteDiaryForm(request.POST or None, patient=request.patient)
    if request.method == "POST" and form.is_valid():
        return _delete_diary_now(request)
    return render(request, "patients/delete.html", {"form": form, "patient": request.patient})


@reauthentication_required
def _delete_diary_now(request: PatientRequest) -> HttpResponse:
    # Asked only once the name matches: allauth keeps this POST while the password is asked
    # again, then sends it through delete_diary (and the gate) once more.
    patient = request.patient
    name = patient.name
    patient.delete()  # everything in it, in one transaction (Patient.delete)
    if request.session.get(LAST_PATIENT_SESSION_KEY) == patient.public_id:
        del request.session[LAST_PATIENT_SESSION_KEY]
    messages.success(
        request, _("The diary “%(name)s” is deleted, with everything in it.") % {"name": name}
    )
    return redirect("patients:list")
