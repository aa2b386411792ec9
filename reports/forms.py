"""The report page's forms: the period and parts chosen, and the PDF asked for.

Rendered by hand in ``templates/reports/report.html`` (plain labelled controls, no crispy
layout: the page is measured for speed). Messages are in plain words.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _lazy

from patients.forms_base import PlainWordsMixin
from patients.models import EARLIEST_DAY, Patient

from . import preferences, sections
from .models import Period

# No diary goes back further; a date before it is a typo.
EARLIEST = EARLIEST_DAY
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportChoiceForm(PlainWordsMixin, forms.Form):
    """What the report covers: a period and the detail parts (page 1 is always there)."""

    period = forms.ChoiceField(
        label=_lazy("Period"),
        choices=Period.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _lazy("Choose a period."),
            "invalid_choice": _lazy("Choose one of the periods shown."),
        },
    )
    custom_from = forms.DateField(
        label=_lazy("From"),
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": _lazy("Enter a date, for example 1 August 2026.")},
    )
    custom_to = forms.DateField(
        label=_lazy("To"),
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": _lazy("Enter a date, for example 31 October 2026.")},
    )
    # What the form showed: its date boxes' days and its period. Dates typed over the days
    # shown choose "Dates I choose" even when its button was not ticked, rather than be
    # ignored; a period ticked other than the one shown is a choice of its own and stays.
    shown_from = forms.DateField(required=False, widget=forms.HiddenInput)
    shown_to = forms.DateField(required=False, widget=forms.HiddenInput)
    shown_period = forms.CharField(required=False, widget=forms.HiddenInput)
    parts = forms.MultipleChoiceField(
        label=_lazy("After the summary page"),
        choices=sections.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _lazy("Choose from the parts shown.")},
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        start, end = cleaned.get("custom_from"), cleaned.get("custom_to")
        left_as_shown = cleaned.get("shown_period") in ("", period)
        if (
            period is not None
            and period != Period.CUSTOM
            and left_as_shown
            and self._dates_typed(cleaned)
        ):
            period = cleaned["period"] = Period.CUSTOM
        for name, day in (("custom_from", start), ("custom_to", end)):
            if day is not None and not EARLIEST <= day <= self.today:
                self.add_error(name, _lazy("Choose a day between 1990 and today."))
        if period == Period.CUSTOM and not self.errors:
            if start is None or end is None:
                self.add_error("custom_to", _lazy("Enter the first and the last day."))
            elif start > end:
                self.add_error("custom_to", _lazy("Enter a last day on or after the first."))
        return cleaned

    def _dates_typed(self, cleaned: dict) -> bool:
        """Whether a date box holds a day other than the one it showed: typed by hand. A box
        made invalid counts too, so that its message shows rather than the other period."""
        if "custom_from" in self.errors or "custom_to" in self.errors:
            return True
        return any(
            cleaned.get(typed) is not None and cleaned.get(typed) != cleaned.get(shown)
            for typed, shown in (("custom_from", "shown_from"), ("custom_to", "shown_to"))
        )

    def chosen(self, patient: Patient) -> tuple[str, dt.date, dt.date, list[str]]:
        """(period, first day, last day, parts) of a valid form."""
        data = self.cleaned_data
        custom = None
        if data["period"] == Period.CUSTOM:
            custom = (data["custom_from"], data["custom_to"])
        since, until = preferences.period_for(patient, self.today, data["period"], custom=custom)
        return data["period"], since, until, sections.in_order(data["parts"])


class PdfForm(ReportChoiceForm):
    """The same choice, and the paper for this one PDF (the diary's own paper by default)."""

    paper = forms.ChoiceField(
        label=_lazy("Paper"),
        choices=Patient.PaperSize.choices,
        error_messages={
            "required": _lazy("Choose A4 or Letter."),
            "invalid_choice": _lazy("Choose A4 or Letter."),
        },
    )
