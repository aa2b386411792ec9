"""When the next course is due, from the active plan and the last course.

The app reports the plan; it does not suggest changing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import Course, Regimen


@dataclass(frozen=True)
class DueCourse:
    start: dt.date
    days: int

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Schedule:
    regimen: Regimen | None
    last_course: Course | None
    today: dt.date

    @property
    def next_due(self) -> dt.date | None:
        if self.regimen is None:
            return None
        if self.last_course is None:
            return self.regimen.start_date
        # A plan change (a new dose, say) keeps the rhythm, unless the new plan starts later.
        return max(self.last_course.start_date + self.regimen.interval, self.regimen.start_date)

    @property
    def days_until_due(self) -> int | None:
        due = self.next_due
        return None if due is None else (due - self.today).days

    @property
    def is_overdue(self) -> bool:
        days = self.days_until_due
        return days is not None and days < 0

    @property
    def days_overdue(self) -> int:
        days = self.days_until_due
        return -days if days is not None and days < 0 else 0

    def upcoming(self, count: int = 6) -> list[DueCourse]:
        """The next `count` courses as the plan has them, starting with the one due next."""
        due = self.next_due
        if due is None or self.regimen is None:
            return []
        return [
            DueCourse(start=due + self.regimen.interval * n, days=self.regimen.course_days)
            for n in range(count)
        ]


def schedule_for(patient, today: dt.date, last_course: Course | None | bool = False) -> Schedule:
    """The schedule; pass ``last_course`` when the caller already has it (saves a query)."""
    regimen = Regimen.objects.filter(patient=patient).active().select_related("product").first()
    if last_course is False:
        last_course = Course.objects.filter(patient=patient, start_date__lte=today).first()
    return Schedule(regimen=regimen, last_course=last_course, today=today)


@dataclass(frozen=True)
class InfusionStatus:
    """What the home page says about infusions: the last one, and the next one due."""

    last_infusion: object | None  # Infusion
    days_since_last: int | None
    schedule: Schedule


def infusion_status(patient, today: dt.date) -> InfusionStatus:
    from .models import Infusion

    last = (
        Infusion.objects.filter(patient=patient, date__lte=today)
        .select_related("product", "course")
        .first()
    )
    # The last infusion's course is the last course that has started.
    return InfusionStatus(
        last_infusion=last,
        days_since_last=(today - last.date).days if last else None,
        schedule=schedule_for(patient, today, last_course=last.course if last else None),
    )
