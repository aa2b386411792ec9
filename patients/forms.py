from __future__ import annotations

import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from clinical.conditions import Condition

from .models import Patient

TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones())]


class PatientForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONE_CHOICES,
        help_text=_("Days after an infusion are counted in this time zone."),
        widget=forms.Select(attrs={"data-detect-timezone": ""}),
    )
    conditions = forms.MultipleChoiceField(
        label=_("Condition(s) treated with immunoglobulin"),
        choices=Condition.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Pick all that apply. This decides which measures the diary offers."),
    )

    class Meta:
        model = Patient
        fields = ["name", "time_zone", "conditions", "weight_unit", "temperature_unit"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "weight_unit": forms.RadioSelect,
            "temperature_unit": forms.RadioSelect,
        }

    submit_label = _("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Please enter a name.")
        self.fields["time_zone"].error_messages["invalid_choice"] = _(
            "Pick a time zone from the list."
        )
        self.helper = FormHelper()
        # Server-side messages, next to the field and in plain words, for every browser.
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(Submit("submit", self.submit_label, css_class="btn-lg"))


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

    class Meta(PatientForm.Meta):
        fields = ["name", "time_zone", "conditions", "weight_unit", "temperature_unit"]

    field_order = ["for_whom", "name", "time_zone", "conditions", "weight_unit", "temperature_unit"]

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = _(
            "Your first name, or the name of the person you care for. A nickname is enough."
        )

    def clean_for_whom(self) -> str:
        for_whom = self.cleaned_data["for_whom"]
        if for_whom == self.FOR_ME and self.user.memberships.filter(is_self=True).exists():
            raise forms.ValidationError(
                _("You already have a diary for yourself. Pick “For someone I care for”.")
            )
        return for_whom
