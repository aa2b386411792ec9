from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .access import LAST_PATIENT_SESSION_KEY, PatientRequest, patient_view
from .forms import PatientForm, StartDiaryForm
from .models import Membership, Patient


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
    initial = {"for_whom": StartDiaryForm.FOR_OTHER if has_self else StartDiaryForm.FOR_ME}
    form = StartDiaryForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            patient = form.save()
            Membership.objects.create(
                user=request.user,
                patient=patient,
                role=Membership.Role.OWNER,
                is_self=form.cleaned_data["for_whom"] == StartDiaryForm.FOR_ME,
            )
        return redirect("today", public_id=patient.public_id)
    return render(request, "patients/start.html", {"form": form})


@patient_view(owner_only=True)
@require_http_methods(["GET", "POST"])
def settings_view(request: PatientRequest) -> HttpResponse:
    patient: Patient = request.patient
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        # Only the edited fields: writing the whole row would put back the data_version loaded
        # at the start of the request, undoing a concurrent write's bump.
        patient = form.save(commit=False)
        patient.save(update_fields=form.Meta.fields)
        messages.success(request, _("Saved."))
        return redirect(reverse("patients:settings", args=[patient.public_id]))
    return render(request, "patients/settings.html", {"form": form, "patient": patient})
