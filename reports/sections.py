"""The parts of the doctor's report a patient may leave out, by code.

Page 1 (the summary a doctor reads in a minute) is always there; these are the detail pages
after it. The codes are stored in ``ReportPreference.sections`` and ``ReportPdfJob.sections``:
rename one only with a data migration.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CYCLES = "cycles"
INFUSIONS = "infusions"
SIDE_EFFECTS = "side_effects"
NOTES = "notes"
ANSWERED_QUESTIONS = "answered_questions"

# In the order the report prints them.
CHOICES: list[tuple[str, str]] = [
    (CYCLES, _("Cycle by cycle: a table of every course")),
    (INFUSIONS, _("Every infusion day")),
    (SIDE_EFFECTS, _("Side effects, grouped by course")),
    (NOTES, _("Notes on how I was doing")),
    (ANSWERED_QUESTIONS, _("Questions already answered")),
]
CODES: tuple[str, ...] = tuple(code for code, _label in CHOICES)


def default_sections() -> list[str]:
    """Everything, for a diary that never chose (a callable: a model default must not share)."""
    return list(CODES)


def in_order(codes) -> list[str]:
    """The known codes among ``codes``, once each, in the report's order."""
    wanted = set(codes)
    return [code for code in CODES if code in wanted]


def validate_sections(value) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Choose from the parts shown."), code="invalid")
    unknown = sorted(set(value) - set(CODES))
    if unknown:
        raise ValidationError(_("Choose from the parts shown."), code="invalid_choice")
    if len(set(value)) != len(value):
        raise ValidationError(_("Each part is listed once."), code="duplicate")
