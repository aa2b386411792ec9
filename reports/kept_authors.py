"""Authors kept by name (an imported diary's; patients.authors) for the report: its notes, its
warnings and its "who logged how much" name them as the diary they came from did.

Each helper asks the database only when there is something to ask (a row without an account),
so a diary logged here by its members costs no query more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Model

from diary.models import Measure, Note, SymptomEntry
from infusions.models import Infusion
from patients.authors import kept_label
from patients.models import Patient


def kept_labels(model: type[Model], field: str, pks: Iterable[int]) -> dict[int, str]:
    """pk → label of the author ``field`` (``logged_by``…) keeps by name, for those of ``pks``
    that keep one shown by name (one query; none for no ``pks``)."""
    pks = list(pks)
    if not pks:
        return {}
    rows = (
        model._base_manager.filter(pk__in=pks)
        .exclude(**{f"{field}_name": ""})
        .values_list("pk", f"{field}_name", f"{field}_role")
    )
    labels = {pk: kept_label(name, role) for pk, name, role in rows}
    return {pk: label for pk, label in labels.items() if label}


def kept_author_counts(
    patient: Patient, start: dt.datetime, end: dt.datetime, since: dt.date, until: dt.date
) -> dict[str, int]:
    """Label → how many side effects, notes and measures from ``start`` to ``end`` and infusion
    days from ``since`` to ``until`` an author kept by name logged (those shown by name only;
    one query)."""
    per_model = [
        SymptomEntry.objects.filter(patient=patient, onset__gte=start, onset__lt=end),
        Note.objects.filter(patient=patient, written_at__gte=start, written_at__lt=end),
        Measure.objects.filter(patient=patient, measured_at__gte=start, measured_at__lt=end),
        Infusion.objects.filter(patient=patient, date__gte=since, date__lte=until),
    ]
    counted = [
        q.filter(logged_by__isnull=True)
        .exclude(logged_by_name="")
        .order_by()
        .values("logged_by_name", "logged_by_role")
        .annotate(n=Count("pk"))
        .values_list("logged_by_name", "logged_by_role", "n")
        for q in per_model
    ]
    totals: dict[str, int] = {}
    for name, role, n in counted[0].union(*counted[1:], all=True):
        label = kept_label(name, role)
        if label:
            totals[label] = totals.get(label, 0) + n
    return totals
