"""When the next course is due, from the active plan and the last course.

The app reports the plan; it does not suggest changing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from patients.prepared import PreparedQuery

from .models import Course, Regimen


@dataclass(frozen=True)
class DueCourse:
    """Planned infusion days: a whole course, or the rest of one already begun."""

    start: dt.date
    days: int
    first_day: int = 1  # 2 for the rest of a course whose day 1 is logged

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    @property
    def course_days(self) -> int:
        return self.first_day + self.days - 1

    @property
    def is_rest_of_course(self) -> bool:
        return self.first_day > 1


@dataclass(frozen=True)
class CourseDay:
    """The next day of a course under way: "day `number` of `of`", due on `date`."""

    date: dt.date
    number: int
    of: int


@dataclass(frozen=True)
class Schedule:
    regimen: Regimen | None
    last_course: Course | None
    today: dt.date

    @property
    def next_course_start(self) -> dt.date | None:
        """When the next whole course is due: one interval after the last course began."""
        if self.regimen is None:
            return None
        if self.last_course is None:
            return self.regimen.start_date
        # A plan change (a new dose, say) keeps the rhythm, unless the new plan starts later.
        return max(self.last_course.start_date + self.regimen.interval, self.regimen.start_date)

    @property
    def course_day_due(self) -> CourseDay | None:
        """The next day of the last course, if the plan wants more days than were logged.

        A course left unfinished is dropped once the next course is due: from then on the
        schedule is back to the regular rhythm.
        """
        regimen, course = self.regimen, self.last_course
        if regimen is None or course is None or course.start_date < regimen.start_date:
            return None  # no plan, nothing logged, or the course was given under another plan
        if course.day_count >= regimen.course_days:
            return None
        day = course.end_date + dt.timedelta(days=1)
        regular = self.next_course_start
        if self.today >= regular or day >= regular:
            return None
        return CourseDay(date=day, number=course.day_count + 1, of=regimen.course_days)

    @property
    def next_due(self) -> dt.date | None:
        """The next infusion day: the rest of the course under way, else the next course."""
        day = self.course_day_due
        return day.date if day else self.next_course_start

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
        """The next `count` courses as the plan has them, starting with the one due next.

        While a course is under way, the first is the rest of it ("day 2 of 2").
        """
        start = self.next_course_start
        if start is None or self.regimen is None:
            return []
        planned = []
        if day := self.course_day_due:
            planned.append(
                DueCourse(start=day.date, days=day.of - day.number + 1, first_day=day.number)
            )
        planned += [
            DueCourse(start=start + self.regimen.interval * n, days=self.regimen.course_days)
            for n in range(count - len(planned))
        ]
        return planned


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


def _last_infusion(patient: int, today: dt.date):
    from .models import Infusion

    return (
        Infusion.objects.filter(patient=patient, date__lte=today)
        .select_related("course", "regimen")
        # What the status and the schedule read (a third of the columns: the home page builds
        # this on every change to the diary). Anything else loads on first use.
        .only(
            "date",
            "course__start_date",
            "course__end_date",
            "course__day_count",
            "regimen__start_date",
            "regimen__end_date",
            "regimen__deleted_at",
            "regimen__course_days",
            "regimen__interval_value",
            "regimen__interval_unit",
        )
        # The model's order (latest date, then start time), as first() would use it.
        .order_by(*Infusion._meta.ordering)[:1]
    )


# Compiled once per process (patients.prepared): Today builds this on every change to the diary.
_LAST_INFUSION = PreparedQuery(_last_infusion, patient=int, today=dt.date)


def infusion_status(patient, today: dt.date) -> InfusionStatus:
    """One query when the last infusion was given under the plan in force (the usual case),
    two otherwise."""

    found = _LAST_INFUSION(patient=patient.pk, today=today)
    last = found[0] if found else None
    # The last infusion's course is the last course that has started.
    last_course = last.course if last else None
    plan = last.regimen if last else None
    if plan is not None and plan.is_active and plan.deleted_at is None:
        # Only one plan can be active (regimen_one_active): this is the one schedule_for finds.
        schedule = Schedule(regimen=plan, last_course=last_course, today=today)
    else:
        schedule = schedule_for(patient, today, last_course=last_course)
    return InfusionStatus(
        last_infusion=last,
        days_since_last=(today - last.date).days if last else None,
        schedule=schedule,
    )
