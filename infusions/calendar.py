"""The schedule as an iCalendar (RFC 5545) feed, for a phone's calendar app."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .models import Course
from .schedule import Schedule

PAST_COURSES = 12
UPCOMING_COURSES = 6


def build(patient, schedule: Schedule, site_url: str) -> bytes:
    """Past courses as given and the next ones as planned, as all-day events.

    Titles stay neutral ("Infusion"): a phone calendar often syncs to a third party, so the
    product and condition are left out.
    """
    cal = Calendar()
    cal.add("prodid", "-//Infusion diary//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("Infusions"))
    stamp = timezone.now()
    for course in Course.objects.filter(patient=patient)[:PAST_COURSES]:
        cal.add_component(
            _event(
                uid=f"course-{course.pk}@{patient.public_id}",
                start=course.start_date,
                days=course.day_count,
                summary=_("Infusion"),
                stamp=stamp,
                description=_("Logged in your infusion diary."),
            )
        )
    # While a course is under way, the first one is the rest of it (e.g. day 2 of 2).
    for n, due in enumerate(schedule.upcoming(UPCOMING_COURSES)):
        if due.is_rest_of_course and due.days == 1:
            summary = _("Infusion due, day %(n)s of %(total)s") % {
                "n": due.first_day,
                "total": due.course_days,
            }
        elif due.is_rest_of_course:
            summary = _("Infusion due, days %(first)s to %(total)s of %(total)s") % {
                "first": due.first_day,
                "total": due.course_days,
            }
        else:
            summary = _("Infusion due") if n == 0 else _("Infusion planned")
        cal.add_component(
            _event(
                uid=f"due-{due.start.isoformat()}@{patient.public_id}",
                start=due.start,
                days=due.days,
                summary=summary,
                stamp=stamp,
                description=_("From the treatment plan in your infusion diary: %(url)s")
                % {"url": site_url},
            )
        )
    return cal.to_ical()


def _event(*, uid: str, start: dt.date, days: int, summary: str, stamp, description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(days=days))  # all-day: DTEND is exclusive
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event
