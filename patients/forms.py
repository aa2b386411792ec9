from __future__ import annotations

import datetime as dt
import re

from allauth.account.forms import LoginForm
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinical import emergency
from clinical.conditions import Condition

from . import places
from .forms_base import PlainWordsMixin
from .models import Patient

PHONE_CHARACTERS = re.compile(r"[0-9 +\-()]*")
# A clinic's or hospital's patient number: letters, digits and the separators they print.
CLINIC_NUMBER_CHARACTERS = re.compile(r"[A-Za-z0-9 ./\-]*")
# The oldest date of birth taken: older is a typo in the year (1889 for 1989).
OLDEST_AGE_YEARS = 120


class TelInput(forms.TextInput):
    input_type = "tel"  # the phone keypad on a phone


def clean_phone(value: str, *, min_digits: int, max_digits: int) -> str:
    """A phone number in plain words: digits, spaces, +, - and brackets; so many digits."""
    value = " ".join(value.split())
    if not value:
        return ""
    if not PHONE_CHARACTERS.fullmatch(value):
        raise forms.ValidationError(
            gettext("Use only digits, spaces, +, - and brackets, for example +44 20 7946 0000.")
        )
    digits = sum(c in "0123456789" for c in value)
    if digits < min_digits:
        raise forms.ValidationError(
            gettext("A phone number needs at least %(count)s digits.") % {"count": min_digits}
        )
    if digits > max_digits:
        raise forms.ValidationError(
            gettext("That is %(typed)s digits; a phone number has at most %(count)s.")
            % {"typed": digits, "count": max_digits}
        )
    return value


class PatientForm(PlainWordsMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=places.time_zone_choices,
        help_text=_("Days after an infusion are counted in this time zone."),
    )
    country = forms.ChoiceField(
        label=_("Country where you live"),
        choices=lambda: [("", _("Not set"))] + places.country_choices(),
        required=False,
        help_text=_("Used to suggest the emergency number."),
    )
    conditions = forms.MultipleChoiceField(
        label=_("Condition(s) treated with immunoglobulin"),
        choices=Condition.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Pick all that apply. This decides which measures the diary offers."),
    )
    paper_size = forms.ChoiceField(
        label=_("Paper size"),
        choices=[("", _("The usual size where you live"))] + Patient.PaperSize.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_(
            "For printing the report and its PDF. Letter in North America, A4 in most other places."
        ),
    )

    class Meta:
        model = Patient
        fields = [
            "name",
            "time_zone",
            "conditions",
            "weight_unit",
            "temperature_unit",
            "country",
            "emergency_number",
            "care_team_phone",
            "date_of_birth",
            "clinic_number",
            "paper_size",
        ]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            # Not autocomplete="bday": the diary may be someone else's than the browser's user.
            "date_of_birth": forms.DateInput(
                attrs={"type": "date", "autocomplete": "off"}, format="%Y-%m-%d"
            ),
            "clinic_number": forms.TextInput(
                attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
            ),
            "weight_unit": forms.RadioSelect,
            "temperature_unit": forms.RadioSelect,
            # Not autocomplete="tel": the browser would offer the user's own number.
            "emergency_number": TelInput(attrs={"autocomplete": "off"}),
            "care_team_phone": TelInput(attrs={"autocomplete": "off"}),
        }
        labels = {
            "emergency_number": _("Emergency number (ambulance)"),
            "date_of_birth": _("Date of birth (optional)"),
            "clinic_number": _("Clinic or hospital number (optional)"),
        }
        help_texts = {
            "date_of_birth": _("Printed on the report, so the clinic can match it to its records."),
            "clinic_number": _("The patient number on clinic letters, e.g. RX1-123456."),
        }

    submit_label = _("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Please enter a name.")
        self.fields["time_zone"].error_messages["invalid_choice"] = _(
            "Pick a time zone from the list."
        )
        zone = self.instance.time_zone
        if self.instance.pk and zone not in places.listed_zones():
            # An old name ("US/Pacific") chosen before the list held only real places: keep it.
            same_as = places.canonical_zone(zone)
            label = (
                gettext("%(zone)s (old name for %(place)s)")
                % {"zone": zone, "place": places.zone_label(same_as)}
                if same_as
                else zone
            )
            self.fields["time_zone"].choices = [(zone, label), *places.time_zone_choices()]
        self.suggested_country = ""
        if "country" in self.fields and self.instance.pk and not self.instance.country:
            self.suggested_country = places.country_for_zone(zone)
            if self.suggested_country:
                self.initial["country"] = self.suggested_country
                self.fields["country"].help_text = _(
                    "Suggested from the time zone. Change it if it is not where you live."
                )
        if "date_of_birth" in self.fields:
            # The date picker offers no day after today.
            self.fields["date_of_birth"].widget.attrs["max"] = self._today().isoformat()
        if "paper_size" in self.fields:
            usual = places.paper_size_for(
                self.instance.country or places.country_for_zone(self.instance.time_zone)
            )
            self.fields["paper_size"].choices = [
                (
                    "",
                    gettext("The usual size where you live (now %(size)s)")
                    % {"size": Patient.PaperSize(usual).label},
                ),
                *Patient.PaperSize.choices,
            ]
        self.helper = FormHelper()
        # Server-side messages, next to the field and in plain words, for every browser.
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(Submit("submit", self.submit_label, css_class="btn-lg"))

    def clean_emergency_number(self) -> str:
        return clean_phone(self.cleaned_data["emergency_number"], min_digits=2, max_digits=15)

    def clean_care_team_phone(self) -> str:
        return clean_phone(self.cleaned_data["care_team_phone"], min_digits=3, max_digits=20)

    def _today(self) -> dt.date:
        return timezone.localtime(timezone.now(), self.instance.tz).date()

    def clean_date_of_birth(self) -> dt.date | None:
        born = self.cleaned_data["date_of_birth"]
        if born is None:
            return None
        today = self._today()
        if born > today:
            raise forms.ValidationError(
                gettext("A date of birth can’t be in the future. Check the year.")
            )
        if (today.year - born.year) - ((today.month, today.day) < (born.month, born.day)) > (
            OLDEST_AGE_YEARS
        ):
            raise forms.ValidationError(
                gettext("That is more than %(years)s years ago. Check the year.")
                % {"years": OLDEST_AGE_YEARS}
            )
        return born

    def clean_clinic_number(self) -> str:
        value = " ".join(self.cleaned_data["clinic_number"].split())
        if not CLINIC_NUMBER_CHARACTERS.fullmatch(value):
            raise forms.ValidationError(
                gettext(
                    "Use only letters, digits, spaces, dashes, dots and slashes, "
                    "for example RX1-123456."
                )
            )
        return value

    def emergency_suggestion(self) -> dict:
        """The usual ambulance number for the country in the form, if it differs from the one
        in the form: for the owner to confirm, never saved by itself."""
        country = self["country"].value() or ""
        number = emergency.number_for(country)
        typed = (self["emergency_number"].value() or "").strip()
        return {
            "number": number or "",
            "country": country,
            "country_name": places.country_names().get(country, ""),
            "show": bool(number) and typed != number,
        }


class StartDiaryForm(PatientForm):
    """Create a diary for oneself or for someone one cares for."""

    FOR_ME = "me"
    FOR_OTHER = "other"

    for_whom = forms.ChoiceField(
        label=_("Who is this diary for?"),
        choices=[(FOR_ME, _("For me")), (FOR_OTHER, _("For someone I care for"))],
        widget=forms.RadioSelect,
        initial=FOR_ME,
    )
    submit_label = _("Start the diary")
    country = None  # asked later, in the settings, with the emergency numbers

    class Meta(PatientForm.Meta):
        fields = ["name", "time_zone", "conditions", "weight_unit", "temperature_unit"]

    field_order = ["for_whom", "name", "time_zone", "conditions", "weight_unit", "temperature_unit"]

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = _(
            "Your first name, or the name of the person you care for. A nickname is enough."
        )
        if not self.is_bound:
            # app.js replaces the server's guess with this device's time zone; never a choice
            # the user made and sent back.
            self.fields["time_zone"].widget.attrs["data-detect-timezone"] = ""

    def clean_for_whom(self) -> str:
        for_whom = self.cleaned_data["for_whom"]
        if for_whom == self.FOR_ME and self.user.memberships.filter(is_self=True).exists():
            raise forms.ValidationError(
                _("You already have a diary for yourself. Pick “For someone I care for”.")
            )
        return for_whom


class DeleteDiaryForm(PlainWordsMixin, forms.Form):
    """Deleting a diary is confirmed by typing its name (not a tap that can slip)."""

    confirm_name = forms.CharField(max_length=Patient._meta.get_field("name").max_length)

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        field = self.fields["confirm_name"]
        field.label = _("Type the diary’s name, “%(name)s”, to confirm") % {"name": patient.name}
        field.widget.attrs.update({"autocomplete": "off", "autocapitalize": "off"})

    @staticmethod
    def _plain(text: str) -> str:
        # Spaces and capitals don't count: a phone's keyboard capitalises the first letter.
        return " ".join(text.split()).casefold()

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"]
        if self._plain(typed) != self._plain(self.patient.name):
            raise forms.ValidationError(
                _("That is not this diary’s name. Type “%(name)s” to delete it.")
                % {"name": self.patient.name},
                code="mismatch",
            )
        return typed


class SignInForm(PlainWordsMixin, LoginForm):
    """allauth's sign-in form, its "Remember Me" said for what it does: a session kept for 30
    days instead of one that ends when the browser closes and after 30 idle minutes. Errors in
    plain words; no length counters under the email address and password."""

    show_limits = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = _(
                "Keep me signed in on this device (not on a shared computer)"
            )
