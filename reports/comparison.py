"""Side effects per course, side by side: by product, by highest rate and by premedication.

What the doctor weighs when changing product, rate or premedication. The numbers say what was
observed after which courses, never why: a group with more headaches says only that. Templates
word it so ("after 5 of 6 courses"), as :func:`summary_sentence` does.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinical import symptoms as symptom_catalog
from patients.models import Patient

from .cycles import CycleSummary, SideEffectSummary, cycles_for


@dataclass(frozen=True)
class RateBand:
    """A range of highest rates, in mL/kg/h: ``low`` included, ``high`` not."""

    key: str
    low: Decimal | None
    high: Decimal | None

    def contains(self, rate: Decimal) -> bool:
        return (self.low is None or rate >= self.low) and (self.high is None or rate < self.high)

    @property
    def label(self) -> str:
        if self.low is None:
            return _("highest rate under %(high)s mL/kg/h") % {"high": self.high}
        if self.high is None:
            return _("highest rate %(low)s mL/kg/h or more") % {"low": self.low}
        return _("highest rate %(low)s to under %(high)s mL/kg/h") % {
            "low": self.low,
            "high": self.high,
        }


# Fixed bands of 2 mL/kg/h: labels start at about 0.5-1 and step up to 4-8 (clinical.md), so
# these split the usual steps and stay comparable across products. The catalog does not hold
# each label's maximum, so bands relative to it are not possible yet.
RATE_BANDS: tuple[RateBand, ...] = (
    RateBand("under-2", None, Decimal(2)),
    RateBand("2-4", Decimal(2), Decimal(4)),
    RateBand("4-6", Decimal(4), Decimal(6)),
    RateBand("6-up", Decimal(6), None),
)
# Side effects of a course show within about three days (clinical.md: headache often delayed
# 6-72 h, fatigue the day after): a current course younger than that with nothing logged is
# left out of "after N of M courses".
SIDE_EFFECTS_WITHIN = dt.timedelta(hours=72)
NO_RATE = "no-rate"
NO_PREMEDICATION = "none"


def rate_band(rate: Decimal | None) -> RateBand | None:
    """The band of a highest rate; None when no rate was recorded."""
    if rate is None:
        return None
    return next(band for band in RATE_BANDS if band.contains(rate))


@dataclass(frozen=True)
class SymptomOverview:
    """One side effect over a set of courses."""

    key: str  # as reports.cycles.symptom_key
    label: str
    # Courses in the set; a current one too recent to tell (too_recent) only if it has it
    courses: int
    with_it: int  # courses after which it was logged
    worst: int  # worst severity after any of them
    # The median over the courses with a finished episode of it (``timed``) of the longest
    # finished one's hours: an episode still open says nothing yet of how long it lasts, and
    # does not hide the course's finished ones. None if none finished.
    typical_hours: float | None
    # The median over the courses whose episodes of it were all closed (``closed``) of the day
    # of the cycle the last one ended on. None if none was closed.
    typical_gone_by_day: float | None
    closed: int
    open: int  # courses where an episode of it was never closed
    timed: int = 0  # courses with a finished episode of it (what typical_hours rests on)


@dataclass(frozen=True)
class ReactionOverview:
    """A reaction felt during the infusions of a group's courses (InfusionReaction)."""

    symptom: str
    label: str
    courses: int  # in the group
    with_it: int  # courses with it on any of their infusion days
    worst: int


@dataclass(frozen=True)
class ComparisonGroup:
    key: str
    label: str
    course_ids: tuple[int, ...]
    side_effects: list[SymptomOverview]  # the most frequent first
    # During the infusions, the most frequent first: what the rate most often goes with.
    reactions: list[ReactionOverview] = field(default_factory=list)

    @property
    def courses(self) -> int:
        return len(self.course_ids)


@dataclass(frozen=True)
class Comparison:
    courses: int
    by_product: list[ComparisonGroup]
    by_rate: list[ComparisonGroup]  # in band order, "not recorded" last
    by_premedication: list[ComparisonGroup]


def too_recent(cycle: CycleSummary, now: dt.datetime) -> bool:
    """Whether the current cycle is too young to say which side effects it had: its last
    infusion ended less than SIDE_EFFECTS_WITHIN ago. A course given this morning is not yet
    a course "without a headache", even when something else (chills) was logged after it."""
    if not cycle.is_current or not cycle.infusions:
        return False
    return now < max(infusion.ends_at for infusion in cycle.infusions) + SIDE_EFFECTS_WITHIN


def side_effect_overview(
    cycles: Sequence[CycleSummary], now: dt.datetime | None = None
) -> list[SymptomOverview]:
    """Each side effect logged after any of ``cycles``: after how many, how bad at worst, and
    how long it typically lasted. The most frequent first, then the worst. A current course
    too recent to tell (:func:`too_recent`, at ``now``) counts only for what it already had."""
    return _side_effect_overview(cycles, now or timezone.now(), {})


def _longest_finished(effect: SideEffectSummary) -> float | None:
    """The hours of the longest of ``effect``'s episodes that finished; None if none did."""
    finished = [episode.hours for episode in effect.episodes if not episode.open]
    return max(finished) if finished else None


def _side_effect_overview(
    cycles: Sequence[CycleSummary],
    now: dt.datetime,
    longest_of: dict[int, float | None],
) -> list[SymptomOverview]:
    """:func:`side_effect_overview`. ``longest_of``: :func:`_longest_finished` by the id of each
    side effect already asked, shared by the three groupings of :func:`compare` (five years
    hold ~400 of them, with 5,000 episodes)."""
    recent = [cycle for cycle in cycles if too_recent(cycle, now)]
    settled = len(cycles) - len(recent)
    found: dict[str, list] = {}
    for cycle in cycles:
        for effect in cycle.side_effects:
            found.setdefault(effect.key, []).append(effect)
    overview = []
    for key, effects in found.items():
        closed = [e for e in effects if not e.open]
        gone = [e.gone_by_day for e in closed if e.gone_by_day is not None]
        longest = []
        for e in effects:
            hours = longest_of.get(id(e), False)
            if hours is False:
                hours = longest_of[id(e)] = _longest_finished(e)
            if hours is not None:
                longest.append(hours)
        overview.append(
            SymptomOverview(
                key=key,
                label=effects[0].label,
                courses=settled
                + sum(1 for c in recent if any(e.key == key for e in c.side_effects)),
                with_it=len(effects),
                worst=max(e.worst for e in effects),
                typical_hours=statistics.median(longest) if longest else None,
                typical_gone_by_day=float(statistics.median(gone)) if gone else None,
                closed=len(closed),
                open=len(effects) - len(closed),
                timed=len(longest),
            )
        )
    return sorted(overview, key=lambda o: (-o.with_it, -o.worst, o.label.casefold()))


def reaction_overview(cycles: Sequence[CycleSummary]) -> list[ReactionOverview]:
    """Each reaction felt during the infusions of ``cycles`` (severity above 0): during how many
    of the courses, how bad at worst. The most frequent first, then the worst."""
    found: dict[str, list[int]] = {}  # symptom: the worst of each course that had it
    for cycle in cycles:
        worst: dict[str, int] = {}
        for infusion in cycle.infusions:
            for reaction in infusion.details.reactions:
                if reaction.severity > 0:
                    worst[reaction.symptom] = max(worst.get(reaction.symptom, 0), reaction.severity)
        for symptom, severity in worst.items():
            found.setdefault(symptom, []).append(severity)
    overview = [
        ReactionOverview(
            symptom=symptom,
            label=str(symptom_catalog.label(symptom)),
            courses=len(cycles),
            with_it=len(worsts),
            worst=max(worsts),
        )
        for symptom, worsts in found.items()
    ]
    return sorted(overview, key=lambda o: (-o.with_it, -o.worst, o.label.casefold()))


def _groups(
    cycles: Sequence[CycleSummary],
    key_of: Callable[[CycleSummary], str],
    label_of: Callable[[CycleSummary], str],
    now: dt.datetime,
    longest_of: dict[int, float | None],
) -> list[ComparisonGroup]:
    """``cycles`` grouped by ``key_of``, each group labelled by ``label_of`` of its first
    cycle (once per group: a label is a translation)."""
    grouped: dict[str, tuple[str, list[CycleSummary]]] = {}
    for cycle in cycles:
        key = key_of(cycle)
        found = grouped.get(key)
        if found is None:
            found = grouped[key] = (label_of(cycle), [])
        found[1].append(cycle)
    return [
        ComparisonGroup(
            key=key,
            label=label,
            course_ids=tuple(c.course_id for c in members),
            side_effects=_side_effect_overview(members, now, longest_of),
            reactions=reaction_overview(members),
        )
        for key, (label, members) in grouped.items()
    ]


def _by_product(cycle: CycleSummary) -> str:
    """The key and the label of a course's group by product."""
    # A course given with two products is a group of its own: it is neither one alone.
    return " + ".join(sorted(cycle.products)) or _("product not recorded")


def _rate_key(cycle: CycleSummary) -> str:
    band = rate_band(_rate_of(cycle))
    return band.key if band else NO_RATE


def _rate_of(cycle: CycleSummary) -> Decimal | None:
    """The course's highest rate as it is banded: unrounded, so that 1.985 mL/kg/h is under 2."""
    if cycle.highest_rate_exact is not None:
        return cycle.highest_rate_exact
    return cycle.highest_rate_ml_per_kg_h


def _rate_label(cycle: CycleSummary) -> str:
    band = rate_band(_rate_of(cycle))
    return band.label if band else _("highest rate not recorded")


def _premedication_key(cycle: CycleSummary) -> str:
    return " + ".join(cycle.premedication) if cycle.premedication else NO_PREMEDICATION


def _premedication_label(cycle: CycleSummary) -> str:
    if not cycle.premedication:
        return _("no premedication recorded")
    return " + ".join(cycle.premedication)


def compare(cycles: Sequence[CycleSummary]) -> Comparison:
    """Group ``cycles`` three ways. Groups by product and premedication in the order first
    seen; rate bands in band order, "not recorded" last."""
    order = {band.key: i for i, band in enumerate(RATE_BANDS)}
    now = timezone.now()
    longest_of: dict[int, float | None] = {}
    return Comparison(
        courses=len(cycles),
        by_product=_groups(cycles, _by_product, _by_product, now, longest_of),
        by_rate=sorted(
            _groups(cycles, _rate_key, _rate_label, now, longest_of),
            key=lambda g: order.get(g.key, len(order)),
        ),
        by_premedication=_groups(cycles, _premedication_key, _premedication_label, now, longest_of),
    )


def comparison_for(patient: Patient, since: dt.date, until: dt.date) -> Comparison:
    """The comparison of the courses given in the period (local dates, both included); a
    course given before it, whose cycle reaches into it, is left out. Queries as
    :func:`reports.cycles.cycles_for`."""
    return compare([c for c in cycles_for(patient, since, until) if c.course_in_period])


def summary_sentence(
    overview: SymptomOverview,
    *,
    gettext: Callable[[str], str] = _,
    ngettext: Callable[[str, str, int], str] = ngettext,
) -> str:
    """One sentence of what was observed: "Headache after 5 of 6 courses, typically lasting
    until day 2". Never a cause.

    The day is the day of the cycle the last episode *ended* on, so the side effect may still be
    felt that day: "until day 2", never "gone by day 2". "Typically" only for a median of two or
    more courses; one course's episode is an observation: "Stiff neck after 1 of 3 courses,
    until day 3".

    ``gettext`` and ``ngettext``: Django's, or a page's own that translate each message once
    (the trends page writes dozens of these sentences)."""
    text = ngettext(
        "%(what)s after %(n)s of %(total)s course",
        "%(what)s after %(n)s of %(total)s courses",
        overview.courses,
    ) % {"what": overview.label, "n": overview.with_it, "total": overview.courses}
    if overview.typical_gone_by_day is not None:
        # A median halfway between two days lasts until the later one.
        day = math.ceil(overview.typical_gone_by_day)
        if overview.closed > 1:
            text += gettext(", typically lasting until day %(day)s") % {"day": day}
        else:
            text += gettext(", until day %(day)s") % {"day": day}
    return text
