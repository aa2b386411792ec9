from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal, DecimalException

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.forms.utils import ErrorDict, ErrorList
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clinical import symptoms
from patients.forms_base import SKIPPED_HOUR, TOO_LONG_AGO, PlainWordsMixin, never_happened
from patients.models import EARLIEST_DAY, Patient

from .models import (
    Infusion,
    InfusionLot,
    InfusionReaction,
    Premedication,
    Product,
    RateStep,
    Regimen,
)
from .units import (
    RATE_IMPOSSIBLE_ML_PER_KG_H,
    RATE_UNUSUAL_ML_PER_KG_H,
    RateUnit,
    to_ml_per_kg_h,
)

# Plausibility bounds for one infusion day (clinical.md: maintenance 0.4-1 g/kg per course,
# induction 2 g/kg over 2-5 days). Above "unusual" we ask for confirmation, since it can be
# right; above "impossible" we refuse.
DOSE_UNUSUAL_G_PER_KG_DAY = Decimal("2")
DOSE_IMPOSSIBLE_G_PER_KG_DAY = Decimal("4")
DOSE_UNUSUAL_G_WITHOUT_WEIGHT = Decimal("160")
VOLUME_TOLERANCE = Decimal("0.2")

# A lot number is at most 40 characters (InfusionLot.lot_number), so a search is too.
LOT_SEARCH_MAX = 40
MAX_ROWS = 20  # per child formset of an infusion

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DECIMAL_INPUT = {"inputmode": "decimal"}


def _no_form_tag() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class PatientScopedForm(PlainWordsMixin, forms.ModelForm):
    """A form whose product choices are the catalog plus this patient's own products."""

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        if "product" in self.fields:
            self.fields["product"].queryset = Product.objects.available_to(patient)
            self.fields["product"].empty_label = _("Choose the product")
        self.helper = _no_form_tag()


class RegimenForm(PatientScopedForm):
    class Meta:
        model = Regimen
        fields = [
            "product",
            "indication",
            "dose_g_per_kg",
            "course_days",
            "interval_value",
            "interval_unit",
            "usual_site",
            "dosing_weight_kg",
            "usual_premedication",
            "start_date",
            "end_date",
            "notes",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "usual_premedication": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "dose_g_per_kg": forms.NumberInput(attrs={"step": "0.05", **DECIMAL_INPUT}),
            "dosing_weight_kg": forms.NumberInput(attrs={"step": "0.1", **DECIMAL_INPUT}),
        }

    def __init__(self, *args, replaces: Regimen | None = None, **kwargs):
        """``replaces``: the active plan a new plan ends (the day before the new one starts)."""
        self.replaces = replaces
        super().__init__(*args, **kwargs)
        self.fields["indication"].choices = [("", _("Not specified"))] + [
            (code, label)
            for code, label in self.fields["indication"].choices
            if code and (code in self.patient.conditions or not self.patient.conditions)
        ]
        if self.instance.pk and self.instance.end_date:
            # An ended plan: its end date may be corrected, not removed (one plan is active).
            self.fields["end_date"].required = True
            self.fields["end_date"].help_text = _("The last day of this plan.")
        else:
            del self.fields["end_date"]

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start_date")
        has_end = "end_date" in self.fields
        end = cleaned.get("end_date") if has_end else self.instance.end_date
        if start is None or (has_end and end is None):
            return cleaned
        if end is not None and start > end:
            if has_end:
                self.add_error("end_date", _("The end date is before the start date."))
            else:
                self.add_error("start_date", _("The start date is after the date this plan ended."))
            return cleaned
        others = Regimen.objects.filter(patient=self.patient).select_related("product")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if self.replaces is not None:
            if start <= self.replaces.start_date:
                self.add_error(
                    "start_date",
                    _("A new plan must start after the current one started (%(date)s).")
                    % {"date": self.replaces.start_date},
                )
                return cleaned
            others = others.exclude(pk=self.replaces.pk)  # it will end the day before `start`
        for other in others:
            if _overlap(start, end, other.start_date, other.end_date):
                later = other.start_date > start
                self.add_error(
                    "end_date" if later and has_end else "start_date", _overlap_message(other)
                )
                break
        return cleaned


def _overlap(start: dt.date, end: dt.date | None, other_start: dt.date, other_end: dt.date | None):
    """Whether two date ranges share a day (no end: still going)."""
    return (end is None or other_start <= end) and (other_end is None or start <= other_end)


def _overlap_message(other: Regimen) -> str:
    start = date_format(other.start_date, "j M Y")
    if other.end_date is None:
        span = _("from %(start)s, still going") % {"start": start}
    else:
        span = _("%(start)s to %(end)s") % {
            "start": start,
            "end": date_format(other.end_date, "j M Y"),
        }
    return _(
        "These dates overlap another plan (%(plan)s, %(span)s). A day can be under one plan "
        "only: change the dates so that one plan ends before the other starts."
    ) % {"plan": other.product, "span": span}


class ProductForm(PlainWordsMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "route", "concentration_percent", "with_hyaluronidase"]
        widgets = {
            "concentration_percent": forms.NumberInput(attrs={"step": "0.5", **DECIMAL_INPUT})
        }

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        self.helper = _no_form_tag()

    def clean(self):
        cleaned = super().clean()
        key = {k: cleaned.get(k) for k in ("name", "route", "concentration_percent")}
        if (
            all(key.values())
            and Product.objects.available_to(self.patient)
            .filter(
                name__iexact=key["name"],
                route=key["route"],
                concentration_percent=key["concentration_percent"],
            )
            .exists()
        ):
            raise forms.ValidationError(_("This product is already in the list."))
        return cleaned


class InfusionForm(PatientScopedForm):
    """One infusion day. Unusual but possible numbers need a tick to confirm, not a refusal."""

    dose_g_per_kg = forms.DecimalField(
        label=_lazy("or dose (g/kg)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", **DECIMAL_INPUT}),
        help_text=_lazy("Leave grams empty to work them out from g/kg and the weight."),
    )
    confirm_unusual = forms.BooleanField(label=_lazy("Yes, this is right, save it"), required=False)

    class Meta:
        model = Infusion
        fields = [
            "date",
            "start_time",
            "end_time",
            "product",
            "dose_g",
            "weight_kg",
            "volume_ml",
            "site",
            "nurse",
            "hydration",
            "notes",
        ]
        widgets = {
            "date": DATE_INPUT,
            "start_time": TIME_INPUT,
            "end_time": TIME_INPUT,
            "dose_g": forms.NumberInput(attrs={"step": "0.5", **DECIMAL_INPUT}),
            "weight_kg": forms.NumberInput(attrs={"step": "0.1", **DECIMAL_INPUT}),
            "volume_ml": forms.NumberInput(attrs={"step": "1", **DECIMAL_INPUT}),
            "site": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "date": {"invalid": _lazy("Enter a real date, for example 2026-03-14.")},
            "start_time": {"invalid": _lazy("Enter a time like 09:30.")},
            "end_time": {"invalid": _lazy("Enter a time like 13:45.")},
            "product": {"required": _lazy("Choose the product that was given.")},
        }

    def __init__(self, *args, today: dt.date, now: dt.time, **kwargs):
        self.today, self.now = today, now
        super().__init__(*args, **kwargs)
        self.fields["dose_g"].required = False
        self.warnings: list[str] = []

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings) or bool(self.data.get(self.add_prefix("confirm_unusual")))

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > self.today:
            raise forms.ValidationError(
                _(
                    "An infusion logged as given can’t be in the future. "
                    "Planned ones are in the schedule."
                )
            )
        if date < EARLIEST_DAY:
            raise forms.ValidationError(TOO_LONG_AGO)
        return date

    def clean(self):
        cleaned = super().clean()
        date, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end < start:
            self.add_error("end_time", _("The end time is before the start time."))
        if date == self.today and start and start > self.now:
            self.add_error("start_time", _("This start time is later than now."))
        # A time the clocks skipped is refused as the diary's other forms refuse it: the
        # red-flag hours count from the start (second browser pass).
        zone = self.instance.tz if self.instance.time_zone else self.patient.tz
        for name, moment in (("start_time", start), ("end_time", end)):
            if date and moment and never_happened(dt.datetime.combine(date, moment), zone):
                self.add_error(name, SKIPPED_HOUR)

        weight = cleaned.get("weight_kg")
        dose_g, per_kg = cleaned.get("dose_g"), cleaned.get("dose_g_per_kg")
        if dose_g is None and per_kg is not None:
            if weight is None:
                self.add_error(
                    "weight_kg", _("Enter the weight used, so the dose in grams can be worked out.")
                )
            else:
                dose_g = (per_kg * weight).quantize(Decimal("0.1"), ROUND_HALF_UP)
                cleaned["dose_g"] = dose_g
        if dose_g is None and "dose_g" not in self.errors and "weight_kg" not in self.errors:
            self.add_error("dose_g", _("Enter the dose in grams (or in g/kg with the weight)."))
        # A value its field refuses (a dose of -5 g) already has its message: no "about -50 mL,
        # tick if it is right" beside it. The model's bounds run after clean(), so check here.
        if dose_g is not None and self._within_bounds("dose_g", dose_g):
            self._check_dose(dose_g, weight)
            volume = cleaned.get("volume_ml")
            if volume is None or self._within_bounds("volume_ml", volume):
                self._check_volume(volume, dose_g, cleaned.get("product"))
        if date and "date" not in self.errors:
            self._check_same_day(date)
        return cleaned

    def _check_same_day(self, date: dt.date) -> None:
        """Another infusion logged that day asks first: the same one sent twice counted twice
        on the report ("1 day, 240 g", browser pass), and page 1's grams feed dosing talk."""
        others = Infusion.objects.filter(patient=self.patient, date=date)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        other = others.order_by("start_time").first()
        if other is None:
            return
        when = date_format(date, "j M Y")
        if other.start_time:
            when += " " + other.start_time.strftime("%H:%M")
            if other.end_time:
                when += "–" + other.end_time.strftime("%H:%M")
        self.warn(
            "date",
            _("An infusion of %(when)s is already logged. Is this another one that day?")
            % {"when": when},
        )

    def _within_bounds(self, name: str, value) -> bool:
        try:
            Infusion._meta.get_field(name).run_validators(value)
        except ValidationError:
            return False
        return True

    def _check_dose(self, dose_g: Decimal, weight: Decimal | None) -> None:
        if weight:
            per_kg = dose_g / weight
            if per_kg > DOSE_IMPOSSIBLE_G_PER_KG_DAY:
                self.add_error(
                    "dose_g",
                    _(
                        "%(dose)s g for %(weight)s kg is %(per_kg)s g/kg in one day, "
                        "which can’t be right."
                    )
                    % {
                        "dose": dose_g,
                        "weight": weight,
                        "per_kg": per_kg.quantize(Decimal("0.01")),
                    },
                )
            elif per_kg > DOSE_UNUSUAL_G_PER_KG_DAY:
                self.warn(
                    "dose_g",
                    _("%(per_kg)s g/kg in one day is more than usual.")
                    % {"per_kg": per_kg.quantize(Decimal("0.01"))},
                )
        elif dose_g > DOSE_UNUSUAL_G_WITHOUT_WEIGHT:
            self.warn("dose_g", _("%(dose)s g in one day is more than usual.") % {"dose": dose_g})

    def _check_volume(self, volume: Decimal | None, dose_g: Decimal | None, product) -> None:
        if not (volume and dose_g and product):
            return
        expected = dose_g * 1000 / product.mg_per_ml
        if abs(volume - expected) > expected * VOLUME_TOLERANCE:
            self.warn(
                "volume_ml",
                _("%(dose)s g of a %(pct)s %% product is about %(expected)s mL.")
                % {
                    "dose": dose_g,
                    "pct": f"{product.concentration_percent.normalize():f}",
                    "expected": expected.quantize(Decimal("1")),
                },
            )

    def warn(self, field: str, message: str) -> None:
        """Record an unusual value; it blocks saving only until the user confirms it."""
        self.warnings.append(message)
        if not self.cleaned_data.get("confirm_unusual"):
            self.add_error(
                field,
                message
                + " "
                + _("If it is right, tick “Yes, this is right, save it” above the Save button."),
            )


class LotForm(PlainWordsMixin, forms.ModelForm):
    class Meta:
        model = InfusionLot
        fields = ["lot_number", "expiry", "vial_size_g", "vial_count"]
        widgets = {
            "expiry": DATE_INPUT,
            "vial_size_g": forms.NumberInput(attrs={"step": "0.5", **DECIMAL_INPUT}),
            "lot_number": forms.TextInput(
                attrs={"autocapitalize": "characters", "autocomplete": "off"}
            ),
        }

    def clean_lot_number(self):
        return self.cleaned_data["lot_number"].strip().upper()


class RateStepForm(PlainWordsMixin, forms.ModelForm):
    class Meta:
        model = RateStep
        fields = ["minutes_from_start", "rate", "unit"]
        widgets = {"rate": forms.NumberInput(attrs={"step": "0.01", **DECIMAL_INPUT})}


class PremedicationForm(PlainWordsMixin, forms.ModelForm):
    class Meta:
        model = Premedication
        fields = ["name", "dose", "taken_at"]
        widgets = {"taken_at": TIME_INPUT}


class ReactionForm(PlainWordsMixin, forms.ModelForm):
    symptom = forms.ChoiceField(label=_lazy("Symptom"), choices=())
    severity = forms.TypedChoiceField(
        label=_lazy("How bad (0-10)"),
        coerce=int,
        # An empty first choice, so an untouched extra row stays empty and is ignored.
        choices=[("", _lazy("Choose"))] + list(symptoms.SEVERITY_CHOICES),
    )

    class Meta:
        model = InfusionReaction
        fields = ["symptom", "severity", "action", "medication", "minutes_from_start"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["symptom"].choices = [("", _("Choose"))] + list(symptoms.choices())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "medication" and not cleaned.get("medication"):
            self.add_error("medication", _("Which medication was given?"))
        return cleaned


def _formset(model, form, extra):
    return inlineformset_factory(
        Infusion,
        model,
        form=form,
        extra=extra,
        can_delete=True,
        max_num=MAX_ROWS,
        validate_max=True,
    )


FORMSETS = {
    "lots": (InfusionLot, LotForm),
    "rates": (RateStep, RateStepForm),
    "premeds": (Premedication, PremedicationForm),
    "reactions": (InfusionReaction, ReactionForm),
}


def build_formsets(data, instance: Infusion, initial: dict[str, list[dict]], extra: dict[str, int]):
    """The four child formsets of an infusion, keyed by prefix."""
    formsets = {}
    for prefix, (model, form) in FORMSETS.items():
        rows = initial.get(prefix, [])
        cls = _formset(model, form, extra=len(rows) + extra.get(prefix, 1))
        formsets[prefix] = cls(data, instance=instance, prefix=prefix, initial=rows or None)
    return formsets


def with_one_more_row(data, prefix: str):
    """POST data as typed plus one empty row in formset `prefix`, and that row's index.

    The index is None (and the data unchanged) when the formset is full or its counts were
    tampered with: the form is then judged as usual, which reports the problem.
    """
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", ""))
    except ValueError:
        return data, None
    if not 0 <= total < MAX_ROWS:
        return data, None
    data = data.copy()
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    # The new row starts like an empty row of a fresh form (e.g. 1 vial).
    for name, field in FORMSETS[prefix][1].base_fields.items():
        if field.initial is not None and not callable(field.initial):
            data[f"{prefix}-{total}-{name}"] = str(field.initial)
    return data, total


def hold_judgement(form: forms.BaseForm, formsets: dict) -> None:
    """Show bound forms as typed but without errors: the user has not asked to save yet."""
    form._errors = ErrorDict()
    for formset in formsets.values():
        formset._errors = []
        formset._non_form_errors = ErrorList()
        for row in formset.forms:
            row._errors = ErrorDict()


VIAL_HINT = _lazy("Suggested: %(count)s, for %(grams)s g in %(size)s g vials.")


def _positive(value) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
        # Hints only: beyond the fields' own limits there is nothing sensible to suggest.
        if not number.is_finite() or not Decimal("0.01") <= number <= Decimal("1000"):
            return None
    except (DecimalException, ValueError):
        return None
    return number


def _grams(number: Decimal) -> str:
    return f"{number.normalize():f}"


def vials_needed(dose_g: Decimal, vial_size_g: Decimal) -> int:
    return math.ceil(dose_g / vial_size_g)


def add_vial_hints(form: InfusionForm, lots) -> None:
    """Suggest each lot's vial count from the dose and its vial size, as a hint next to it.

    The dose still to cover is the dose less what the other lots already hold, so with one lot
    this is ceil(dose / vial size). It is only a hint and a placeholder: what was typed stays.
    static/js/app.js does the same sum in the browser as the numbers are typed.
    """
    lots.vial_hint_template = VIAL_HINT % {"count": "{count}", "grams": "{grams}", "size": "{size}"}
    dose = _positive(form["dose_g"].value())
    if dose is None:
        per_kg, weight = (
            _positive(form["dose_g_per_kg"].value()),
            _positive(form["weight_kg"].value()),
        )
        if per_kg and weight:
            dose = (per_kg * weight).quantize(Decimal("0.1"), ROUND_HALF_UP)
    rows = []
    for row in lots.forms:
        deleted = "DELETE" in row.fields and bool(row["DELETE"].value())
        size = None if deleted else _positive(row["vial_size_g"].value())
        count = _positive(row["vial_count"].value())
        rows.append((row, size, count if count and count == count.to_integral_value() else None))
    for row, size, _count in rows:
        text = ""
        if dose and size:
            rest = dose - sum((s * c for r, s, c in rows if r is not row and s and c), Decimal(0))
            if rest > 0:
                count = vials_needed(rest, size)
                text = VIAL_HINT % {"count": count, "grams": _grams(rest), "size": _grams(size)}
                row.fields["vial_count"].widget.attrs["placeholder"] = str(count)
        hint = format_html("<span data-vial-hint>{}</span>", text)
        # The bound field copied the help text when it was first used (above): set both.
        row.fields["vial_count"].help_text = row["vial_count"].help_text = hint


PREMED_DOSE = re.compile(r"^(?P<name>.*?)\s+(?P<dose>\d+(?:[.,]\d+)?\s*(?:mg|g|mcg|µg|ml|mL|IU))$")


def split_premedication(line: str) -> dict[str, str]:
    """“Paracetamol 1 g” -> name “Paracetamol”, dose “1 g” (whole line as name otherwise)."""
    match = PREMED_DOSE.match(line.strip())
    if match:
        return {"name": match["name"], "dose": match["dose"]}
    return {"name": line.strip(), "dose": ""}


def check_lot_expiry(form: InfusionForm, lots_formset) -> None:
    """A lot whose expiry is before the infusion's day had expired when it was given: a typo in
    the date, or a vial to report. It needs confirming, like an unusual dose."""
    day = form.cleaned_data.get("date")
    if day is None or form.cleaned_data.get("confirm_unusual"):
        return
    for row in lots_formset.forms:
        data = getattr(row, "cleaned_data", None) or {}
        expiry = data.get("expiry")
        if data.get("DELETE") or expiry is None or expiry >= day:
            continue
        form.warnings.append(str(expiry))
        row.add_error(
            "expiry",
            _("This lot had expired on the day of the infusion (%(expiry)s).")
            % {"expiry": date_format(expiry, "j M Y")}
            + " "
            + _("Check the label on the vial.")
            + " "
            + _("If it is right, tick “Yes, this is right, save it” above the Save button."),
        )


def check_rates(form: InfusionForm, rates_formset) -> None:
    """Rates above what labels allow need confirming; impossible ones are refused."""
    product, weight = form.cleaned_data.get("product"), form.cleaned_data.get("weight_kg")
    if product is None:
        return
    for row in rates_formset.forms:
        data = getattr(row, "cleaned_data", None) or {}
        if data.get("DELETE") or data.get("rate") is None or not data.get("unit"):
            continue
        if data["unit"] == RateUnit.ML_PER_H and not weight:
            continue  # cannot tell per kg without a weight; mL/h is what the pump showed
        per_kg = to_ml_per_kg_h(
            data["rate"],
            data["unit"],
            concentration_percent=product.concentration_percent,
            weight_kg=weight,
        )
        shown = per_kg.quantize(Decimal("0.1"))
        if per_kg > RATE_IMPOSSIBLE_ML_PER_KG_H:
            row.add_error(
                "rate",
                _("%(rate)s mL/kg/h can’t be right. Check the number and unit.") % {"rate": shown},
            )
        elif per_kg > RATE_UNUSUAL_ML_PER_KG_H and not form.cleaned_data.get("confirm_unusual"):
            form.warnings.append(str(shown))
            row.add_error(
                "rate",
                _("%(rate)s mL/kg/h is faster than labels usually allow.") % {"rate": shown}
                + " "
                + _("If it is right, tick “Yes, this is right, save it” above the Save button."),
            )
