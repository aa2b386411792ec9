"""The Export page's forms: the period of a CSV or FHIR export, and the file of an import.

Rendered by hand in ``templates/reports/export.html`` (plain labelled controls, like the
report's). Messages are in plain words and sit next to their field.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _lazy

from patients.forms_base import PlainWordsMixin

from .forms import DATE_INPUT, EARLIEST


class ExportPeriodForm(PlainWordsMixin, forms.Form):
    """From and to (both included, the diary's local dates); empty means the whole diary."""

    since = forms.DateField(
        label=_lazy("From"),
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": _lazy("Enter a date, for example 1 August 2026.")},
    )
    until = forms.DateField(
        label=_lazy("To"),
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": _lazy("Enter a date, for example 31 October 2026.")},
    )

    def __init__(self, *args, today: dt.date, first_day: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.first_day = first_day

    def clean(self):
        cleaned = super().clean()
        for name in ("since", "until"):
            day = cleaned.get(name)
            if day is not None and not EARLIEST <= day <= self.today:
                self.add_error(name, _lazy("Choose a day between 1990 and today."))
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until and not self.errors:
            self.add_error("until", _lazy("Enter a last day on or after the first."))
        return cleaned

    def period(self) -> tuple[dt.date, dt.date]:
        """(first day, last day) of a valid form: the whole diary where a day is left empty."""
        data = self.cleaned_data
        return data.get("since") or self.first_day, data.get("until") or self.today


class ImportForm(PlainWordsMixin, forms.Form):
    """A full export (JSON) to restore as a new diary of the signed-in user."""

    file = forms.FileField(
        label=_lazy("Export file (.json)"),
        error_messages={
            "required": _lazy("Choose the file to import."),
            "empty": _lazy("This file is empty. Choose a full export of a diary."),
            "invalid": _lazy("Choose the file to import."),
        },
    )

    def refuse(self, message: str) -> None:
        """Show ``message`` alone next to the file field (a file stopped by its size arrives
        as no file at all: "choose a file" would be wrong)."""
        self.full_clean()
        self._errors.pop("file", None)
        self.add_error("file", message)
