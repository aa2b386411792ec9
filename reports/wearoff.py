"""When the benefit of a course fades: the wear-off estimate (clinical.md, "Wear-off").

Per cycle: the cycle's best reading, then the first day after it on which the measure is worse
than that best by at least the meaningful change and *stays* worse, every later reading of the
cycle included (up to the next course, so the score taken before the next infusion counts).
"Typical" is the median over all the finished cycles with enough readings, a cycle in which the
benefit held until the next course counting as later than any day. So there is a typical day only
when more than half of those cycles wore off; otherwise the estimate says the benefit held in most
(or half) of them, and on which days it wore off in the others (docs/decisions.md).

What counts as meaningful, and which way is worse, is clinical knowledge and lives in
``clinical.scales`` with its sources: MG-ADL 2 points, adjusted INCAT 1 point, grip more than
8 kPa on the vigorimeter. Any other measure (grip in kg, platelets, ...) gets its numbers and
no judgement. No validated wear-off method exists (clinical.md): the estimate says how it was
worked out and on how many cycles, and says "not enough data" rather than guess.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinical import scales
from patients.models import Patient

from .cycles import CyclePoint, CycleSeries, cycle_series

# A cycle counts towards "typical" when it is finished (the next course has started) and has
# at least this many readings, one of them after its best: two readings cannot show a worsening
# that *stays*, and a cycle whose best is its last reading shows nothing after it.
ENOUGH_READINGS = 3
# "Typical" needs at least this many such cycles: one cycle is an observation, not a pattern.
ENOUGH_CYCLES = 2
# With no typical day, the days the other cycles wore off on are listed up to this many;
# more are given as a range.
DAYS_LISTED = 3

# What happened in one cycle.
WORE_OFF = "wore_off"  # worse by the meaningful change from a day on, to the next course
NO_WEAR_OFF = "no_wear_off"  # enough readings, and no lasting meaningful worsening
TOO_FEW_READINGS = "too_few_readings"  # fewer than ENOUGH_READINGS, or none after the best
NO_JUDGEMENT = "no_judgement"  # no published threshold for this measure: numbers only


@dataclass(frozen=True)
class CycleWearOff:
    course_id: int
    start_date: dt.date
    cycle_end: dt.date | None
    complete: bool  # False for the current cycle: shown "so far", never counted in typical
    readings: int
    before: Decimal | None  # the reading just before the course (the last of the cycle before)
    best: Decimal | None  # the cycle's best value (None when the measure has no direction)
    best_day: int | None  # the first day of the cycle it was reached on
    wear_off_day: int | None  # the day of the cycle the lasting worsening began, if it did
    status: str  # WORE_OFF, NO_WEAR_OFF, TOO_FEW_READINGS or NO_JUDGEMENT

    @property
    def counted(self) -> bool:
        """Whether this cycle is one of those "typical" rests on."""
        return self.complete and self.status in (WORE_OFF, NO_WEAR_OFF)


@dataclass(frozen=True)
class WearOffEstimate:
    measure: str
    side: str | None  # grip: "left" or "right"
    unit: str
    threshold: scales.MeaningfulWorsening | None  # None: no judgement, numbers only
    cycles: list[CycleWearOff]  # oldest first
    cycles_counted: int  # finished cycles with enough readings: what "typical" rests on
    cycles_worn_off: int  # of those, how many wore off
    enough_data: bool  # at least ENOUGH_CYCLES counted; otherwise nothing is estimated
    # The median over the counted cycles, a cycle that held counting as later than any day:
    # None when that median is "held" or halfway between a day and "held", i.e. unless more
    # than half the counted cycles wore off (see held_sentence for what to say then).
    typical_day: float | None
    how: str  # one line: how this was worked out, or why nothing was

    @property
    def worn_days(self) -> list[int]:
        """The wear-off days of the counted cycles that wore off, earliest day first."""
        return sorted(c.wear_off_day for c in self.cycles if c.counted and c.status == WORE_OFF)

    @property
    def cycles_held(self) -> int:
        """Counted cycles in which the benefit held until the next course."""
        return self.cycles_counted - self.cycles_worn_off

    @property
    def held(self) -> bool:
        """Enough data was judged and there is no typical day: the benefit held until the next
        course in at least half the counted cycles. Say :func:`held_sentence`, never "typical"."""
        return self.threshold is not None and self.enough_data and self.typical_day is None

    @property
    def typical_whole_day(self) -> int | None:
        """:attr:`typical_day` as it is shown: a whole day (the median of an even number of
        days may fall halfway), the half rounded up. MG-ADL recalls a week, so a half day
        would claim a precision the estimate does not have; the stored value stays exact."""
        return whole_day(self.typical_day)


def typical_day(worn: Sequence[int], held: int) -> float | None:
    """The median over all counted cycles, each one that held (``held`` of them) counting as
    later than any day. None when that median is "held", or falls halfway between a day and
    "held" (as many held as wore off): "day 20" and "held until the next course" have no
    middle, and a typical day should rest on most of the cycles, not on half or fewer."""
    if len(worn) <= held:
        return None
    return float(statistics.median(sorted(worn) + [math.inf] * held))


def held_sentence(estimate: WearOffEstimate) -> str:
    """What to say when there is no typical day (:attr:`WearOffEstimate.held`): in how many
    cycles the benefit held until the next course, in how many it wore off and on which days.
    "" when the estimate has a typical day or judged nothing."""
    if not estimate.held:
        return ""
    n, worn, held = estimate.cycles_counted, estimate.cycles_worn_off, estimate.cycles_held
    if worn == 0:
        return ngettext(
            "In the %(n)s finished cycle the benefit held until the next course.",
            "In all %(n)s finished cycles the benefit held until the next course.",
            n,
        ) % {"n": n}
    days = _days_words(estimate.worn_days)
    if held > worn:
        return _(
            "In most finished cycles (%(held)s of %(n)s) the benefit held until the next "
            "course; it wore off in %(worn)s, %(days)s."
        ) % {"held": held, "n": n, "worn": worn, "days": days}
    return _(
        "In half the finished cycles (%(held)s of %(n)s) the benefit held until the next "
        "course and in the other %(worn)s it wore off, %(days)s, so no day is typical."
    ) % {"held": held, "n": n, "worn": worn, "days": days}


def _days_words(days: Sequence[int]) -> str:
    """The days in words: "on day 20", "on days 18 and 20", or "between day 14 and day 25"."""
    days = sorted(set(days))  # two cycles that wore off on day 20: "on day 20"
    if len(days) > DAYS_LISTED:
        return _("between day %(first)s and day %(last)s") % {"first": days[0], "last": days[-1]}
    listed = [str(day) for day in days]
    if len(listed) > 1:
        listed = [", ".join(listed[:-1]) + _(" and ") + listed[-1]]
    return ngettext("on day %(days)s", "on days %(days)s", len(days)) % {"days": listed[0]}


def whole_day(day: float | None) -> int | None:
    """A day of the cycle to show: 23.5 -> 24, 23.4 -> 23 (half up, never to even)."""
    if day is None:
        return None
    return math.floor(day + 0.5)


def wear_off(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    measure_kind: str,
    side: str | None = None,
    *,
    name: str = "",
    unit: str | None = None,
) -> WearOffEstimate:
    """The wear-off estimate of a measure over the cycles overlapping the period (two
    queries, as :func:`reports.cycles.cycle_series`)."""
    series = cycle_series(patient, since, until, measure_kind, side, name=name, unit=unit)
    found_unit = series[0].unit if series else (unit or "")
    return estimate(series, measure_kind, side=side, unit=found_unit)


def estimate(
    series: Sequence[CycleSeries], measure_kind: str, *, side: str | None = None, unit: str = ""
) -> WearOffEstimate:
    """The estimate from cycle series already built (no query)."""
    threshold = scales.meaningful_worsening(measure_kind, unit)
    cycles = [_cycle(one, measure_kind, threshold) for one in series]
    counted = [c for c in cycles if c.counted]
    worn = [c.wear_off_day for c in counted if c.status == WORE_OFF]
    enough = threshold is not None and len(counted) >= ENOUGH_CYCLES
    typical = typical_day(worn, len(counted) - len(worn)) if enough else None
    return WearOffEstimate(
        measure=measure_kind,
        side=side,
        unit=unit,
        threshold=threshold,
        cycles=cycles,
        cycles_counted=len(counted),
        cycles_worn_off=len(worn),
        enough_data=enough,
        typical_day=typical,
        how=_how(measure_kind, unit, threshold, len(counted), enough),
    )


def _judged(point: CyclePoint, measure_kind: str):
    """What the threshold compares: the arm and leg grades for INCAT, else the value."""
    return point.incat if measure_kind == scales.INCAT else point.value


def best_index(points: Sequence[CyclePoint], measure_kind: str) -> int:
    """Where in ``points`` (a cycle's readings, in time order) the cycle's best value is: the
    first reading that no other one is better than, compared as the threshold compares them.

    For a plain number that is the first lowest (or highest) value. For INCAT the comparison is
    the adjusted change, which does not count an arm step between 0 and 1: arms 1, legs 1 is a
    point better than arms 0, legs 2 although both total 2, so it is the best, whichever came
    first. Only readings of the best total can be better than one another that way (the
    adjusted change differs from the change of the total by at most that one arm step), so
    only those are compared. ``measure_kind`` must have a direction
    (``scales.HIGHER_IS_WORSE``); INCAT readings must have their grades."""
    choose = min if scales.HIGHER_IS_WORSE[measure_kind] else max
    top = choose(p.value for p in points)
    tied = [i for i, p in enumerate(points) if p.value == top]
    if measure_kind == scales.INCAT:
        for i in tied:
            if not any(
                scales.worsening(measure_kind, points[i].incat, points[j].incat) < 0 for j in tied
            ):
                return i
    return tied[0]


def _cycle(
    series: CycleSeries, measure_kind: str, threshold: scales.MeaningfulWorsening | None
) -> CycleWearOff:
    points = series.points
    if measure_kind == scales.INCAT:
        points = [p for p in points if p.incat is not None]  # a score without its grades
    result = {
        "course_id": series.course_id,
        "start_date": series.start_date,
        "cycle_end": series.cycle_end,
        "complete": series.complete,
        "readings": len(points),
        "before": series.before.value if series.before else None,
        "best": None,
        "best_day": None,
        "wear_off_day": None,
    }
    if not points:
        return CycleWearOff(**result, status=TOO_FEW_READINGS)
    if measure_kind not in scales.HIGHER_IS_WORSE:
        return CycleWearOff(**result, status=NO_JUDGEMENT)
    best_at = best_index(points, measure_kind)
    best = points[best_at]
    result |= {"best": best.value, "best_day": best.day}
    if threshold is None:
        return CycleWearOff(**result, status=NO_JUDGEMENT)
    later = points[best_at + 1 :]
    if len(points) < ENOUGH_READINGS or not later:
        return CycleWearOff(**result, status=TOO_FEW_READINGS)
    best_judged = _judged(best, measure_kind)
    worse = [
        threshold.is_met(scales.worsening(measure_kind, best_judged, _judged(p, measure_kind)))
        for p in later
    ]
    # The first reading from which every later one is worse too: walk back from the end.
    start = None
    for i in range(len(later) - 1, -1, -1):
        if not worse[i]:
            break
        start = i
    if start is None:
        return CycleWearOff(**result, status=NO_WEAR_OFF)
    return CycleWearOff(**result | {"wear_off_day": later[start].day}, status=WORE_OFF)


def _threshold_words(measure_kind: str, threshold: scales.MeaningfulWorsening) -> str:
    amount = threshold.amount
    if measure_kind == scales.MGADL:
        return ngettext(
            "the MG-ADL score was %(n)s point or more above the cycle’s best",
            "the MG-ADL score was %(n)s points or more above the cycle’s best",
            amount,
        ) % {"n": amount}
    if measure_kind == scales.INCAT:
        return ngettext(
            "the adjusted INCAT score (an arm change between 0 and 1 not counted) was %(n)s "
            "point or more worse than the cycle’s best",
            "the adjusted INCAT score (an arm change between 0 and 1 not counted) was %(n)s "
            "points or more worse than the cycle’s best",
            amount,
        ) % {"n": amount}
    return _("grip was more than %(n)s %(unit)s weaker than the cycle’s best") % {
        "n": amount,
        "unit": threshold.unit,
    }


def _how(
    measure_kind: str,
    unit: str,
    threshold: scales.MeaningfulWorsening | None,
    counted: int,
    enough: bool,
) -> str:
    if threshold is None:
        if measure_kind == scales.GRIP and not unit:
            return _("No grip readings in this period, so nothing is estimated.")
        if measure_kind == scales.GRIP:
            return _(
                "No change in grip measured in %(unit)s has been shown to be meaningful for "
                "this, so the numbers are shown and no wear-off is judged."
            ) % {"unit": unit or "?"}
        return _(
            "No published change of this measure is known to be meaningful for this, so the "
            "numbers are shown and no wear-off is judged."
        )
    if not enough:
        return ngettext(
            "Not enough data to estimate when the benefit wears off: that needs %(need)s "
            "finished cycles with %(readings)s or more readings each, one after the cycle’s "
            "best, and there is %(n)s.",
            "Not enough data to estimate when the benefit wears off: that needs %(need)s "
            "finished cycles with %(readings)s or more readings each, one after the cycle’s "
            "best, and there are %(n)s.",
            counted,
        ) % {"need": ENOUGH_CYCLES, "readings": ENOUGH_READINGS, "n": counted}
    text = ngettext(
        "From %(n)s finished cycle with %(readings)s or more readings: in each, the first day "
        "on which %(rule)s and stayed so until the next course; typical is the median over all "
        "of them, a cycle in which the benefit held counting as later than any day, so there "
        "is a typical day only when more than half wore off.",
        "From %(n)s finished cycles with %(readings)s or more readings each: in each, the first "
        "day on which %(rule)s and stayed so until the next course; typical is the median over "
        "all of them, a cycle in which the benefit held counting as later than any day, so "
        "there is a typical day only when more than half wore off.",
        counted,
    ) % {
        "n": counted,
        "readings": ENOUGH_READINGS,
        "rule": _threshold_words(measure_kind, threshold),
    }
    if measure_kind == scales.MGADL:
        text += " " + _(
            "Each MG-ADL score covers the past %(days)s days, so the day is accurate to about "
            "a week."
        ) % {"days": scales.MGADL_RECALL_DAYS}
    return text
