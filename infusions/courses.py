"""Grouping infusion days into courses (cycles)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from patients.models import Patient

from .models import Course, Infusion

# Days further apart than this start a new course: a course is consecutive days.
MAX_GAP_DAYS = 1


def _joins(group: list[Infusion], infusion: Infusion) -> bool:
    """Whether an infusion continues a course: the next day, or a late day of a course its
    plan says is not complete yet (day 2 given two days after day 1 is still day 2), as long
    as it comes before the next course would be due."""
    gap = infusion.date - group[-1].date
    if gap <= dt.timedelta(days=MAX_GAP_DAYS):
        return True
    plan = group[0].regimen
    if plan is None or len({i.date for i in group}) >= plan.course_days:
        return False
    return infusion.date - group[0].date < plan.interval / 2


@transaction.atomic
def regroup(patient: Patient) -> None:
    """Recompute the patient's courses from their infusion dates.

    Runs after every save or delete of an infusion. A patient has tens of infusions a year, so
    recomputing from scratch is cheap and can never drift, unlike patching groups in place.
    Existing course rows are reused (earliest first) so links from diary entries stay stable.
    """
    infusions = list(
        Infusion.objects.filter(patient=patient)
        .order_by("date", "pk")
        .select_related("regimen")
        .only(
            "pk",
            "date",
            "course",
            "regimen__course_days",
            "regimen__interval_value",
            "regimen__interval_unit",
        )
    )
    groups: list[list[Infusion]] = []
    for infusion in infusions:
        if groups and _joins(groups[-1], infusion):
            groups[-1].append(infusion)
        else:
            groups.append([infusion])

    existing = {c.pk: c for c in Course.objects.filter(patient=patient).order_by("start_date")}
    used: set[int] = set()
    for group in groups:
        # Keep the course most of the group already points at, if it is still free.
        candidates = [
            i.course_id for i in group if i.course_id in existing and i.course_id not in used
        ]
        if candidates:
            course = existing[max(set(candidates), key=candidates.count)]
        else:
            course = Course(patient=patient)
        course.start_date, course.end_date = group[0].date, group[-1].date
        course.day_count = len({i.date for i in group})
        course.save()
        used.add(course.pk)
        stale = [i.pk for i in group if i.course_id != course.pk]
        if stale:
            Infusion.objects.filter(pk__in=stale).update(course=course)
    Course.objects.filter(patient=patient).exclude(pk__in=used).delete()
