"""Scores and measures for "is the treatment working?" (clinical.md, "Improvement").

Plain data, versioned with the code. Published instruments keep their published wording: a
translation must use a validated translation of the instrument, not an ad-hoc one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinical.conditions import Condition

# --- MG-ADL ---

MGADL_CITATION = (
    "MG-ADL: Wolfe GI, Herbelin L, Nations SP, Foster B, Bryan WW, Barohn RJ. Myasthenia gravis "
    "activities of daily living profile. Neurology. 1999;52(7):1487-1489. "
    "doi:10.1212/WNL.52.7.1487. Item wording as in BMC Neurology 2020, "
    "doi:10.1186/s12883-020-01975-y, Table 2."
)
MGADL_RECALL = _("past 7 days")
MGADL_INSTRUCTIONS = _(
    "For each question, choose the answer that best describes you over the past 7 days."
)
MGADL_ITEM_MAX = 3
MGADL_TOTAL_MAX = 24
# A 2-point drop in the total best predicted clinical improvement (Muppidi S et al., MG-ADL:
# still a relevant outcome measure. Muscle Nerve. 2011;44(5):727-731). The same size of rise
# is treated as a meaningful worsening.
MEANINGFUL_CHANGE = 2
# 0-1 is "minimal symptom expression" (clinical.md).
MINIMAL_SYMPTOM_EXPRESSION_MAX = 1


@dataclass(frozen=True)
class MgAdlItem:
    code: str
    question: Promise
    options: tuple[tuple[int, Promise], ...]  # (score 0-3, published wording)


# Wording checked against BMC Neurology 2020 (doi:10.1186/s12883-020-01975-y), Table 2, which
# reproduces Wolfe 1999. That table words grade 0 as "Normal" for every item; some other
# reproductions say "None" for the last four.
_OCCURS = (
    (0, _("Normal")),
    (1, _("Occurs, but not daily")),
    (2, _("Daily, but not constant")),
    (3, _("Constant")),
)
MGADL_ITEMS: tuple[MgAdlItem, ...] = (
    MgAdlItem(
        "talking",
        _("Talking"),
        (
            (0, _("Normal")),
            (1, _("Intermittent slurring or nasal speech")),
            (2, _("Constant slurring or nasal, but can be understood")),
            (3, _("Difficult to understand speech")),
        ),
    ),
    MgAdlItem(
        "chewing",
        _("Chewing"),
        (
            (0, _("Normal")),
            (1, _("Fatigue with solid food")),
            (2, _("Fatigue with soft food")),
            (3, _("Gastric tube")),
        ),
    ),
    MgAdlItem(
        "swallowing",
        _("Swallowing"),
        (
            (0, _("Normal")),
            (1, _("Rare episode of choking")),
            (2, _("Frequent choking necessitating changes in diet")),
            (3, _("Gastric tube")),
        ),
    ),
    MgAdlItem(
        "breathing",
        _("Breathing"),
        (
            (0, _("Normal")),
            (1, _("Shortness of breath with exertion")),
            (2, _("Shortness of breath at rest")),
            (3, _("Ventilator dependence")),
        ),
    ),
    MgAdlItem(
        "brush_teeth_comb_hair",
        _("Impairment of ability to brush teeth or comb hair"),
        (
            (0, _("Normal")),
            (1, _("Extra effort, but no rest periods needed")),
            (2, _("Rest periods needed")),
            (3, _("Cannot do one of these functions")),
        ),
    ),
    MgAdlItem(
        "rise_from_chair",
        _("Impairment of ability to arise from chair"),
        (
            (0, _("Normal")),
            (1, _("Mild, sometimes uses arms")),
            (2, _("Moderate, always uses arms")),
            (3, _("Severe, requires assistance")),
        ),
    ),
    MgAdlItem("double_vision", _("Double vision"), _OCCURS),
    MgAdlItem("eyelid_droop", _("Eyelid droop"), _OCCURS),
)
MGADL_ITEM_CODES: tuple[str, ...] = tuple(item.code for item in MGADL_ITEMS)


def mgadl_total(answers: Mapping[str, int]) -> int:
    """The MG-ADL total (0-24, higher = more symptoms) from {item code: score 0-3}."""
    missing = [code for code in MGADL_ITEM_CODES if code not in answers]
    if missing:
        raise ValueError(f"MG-ADL answers missing for: {', '.join(missing)}.")
    unknown = sorted(set(answers) - set(MGADL_ITEM_CODES))
    if unknown:
        raise ValueError(f"Not MG-ADL items: {', '.join(unknown)}.")
    out_of_range = [
        f"{code}={answers[code]!r}"
        for code in MGADL_ITEM_CODES
        if not _is_int_between(answers[code], 0, MGADL_ITEM_MAX)
    ]
    if out_of_range:
        raise ValueError(f"MG-ADL scores must be 0-3: {', '.join(out_of_range)}.")
    return sum(answers[code] for code in MGADL_ITEM_CODES)


IMPROVED = "improved"
WORSE = "worse"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class MgAdlChange:
    change: int  # current - previous; negative = fewer symptoms
    direction: str  # IMPROVED, WORSE or UNCHANGED
    meaningful: bool  # |change| >= MEANINGFUL_CHANGE


def compare_mgadl(previous_total: int, current_total: int) -> MgAdlChange:
    """Compare two MG-ADL totals. Higher = worse, so a drop is an improvement."""
    for total in (previous_total, current_total):
        _check_mgadl_total(total)
    change = current_total - previous_total
    if change < 0:
        direction = IMPROVED
    elif change > 0:
        direction = WORSE
    else:
        direction = UNCHANGED
    return MgAdlChange(
        change=change, direction=direction, meaningful=abs(change) >= MEANINGFUL_CHANGE
    )


def interpret_mgadl(total: int) -> str:
    """A plain description of a total; describes symptoms, never a diagnosis."""
    _check_mgadl_total(total)
    if total <= MINIMAL_SYMPTOM_EXPRESSION_MAX:
        return _("%(total)s of 24: minimal symptom expression (0-1).") % {"total": total}
    return _(
        "%(total)s of 24: myasthenia symptoms affect daily activities. Higher scores mean more "
        "symptoms; compare with your earlier scores to see the trend."
    ) % {"total": total}


def _check_mgadl_total(total: int) -> None:
    if not _is_int_between(total, 0, MGADL_TOTAL_MAX):
        raise ValueError(f"An MG-ADL total must be 0-24, not {total!r}.")


def _is_int_between(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# --- Global impression of change ---

GLOBAL_CHANGE_QUESTION = _("Compared with before this infusion, how are you now?")
GLOBAL_CHANGE_CHOICES: list[tuple[int, Promise]] = [
    (-3, _("Much worse")),
    (-2, _("Worse")),
    (-1, _("A little worse")),
    (0, _("No change")),
    (1, _("A little better")),
    (2, _("Better")),
    (3, _("Much better")),
]

# --- GBS disability scale (Hughes functional grading) ---

GBS_DISABILITY_CITATION = (
    "Hughes RA, Newsom-Davis JM, Perkin GD, Pierce JM. Controlled trial of prednisolone in acute "
    "polyneuropathy. Lancet. 1978;2(8093):750-753 (GBS disability scale, 10 m version)."
)
# The published scale ends with grade 6, "dead". A diary is kept by the patient or their
# caregiver about a living person, so grade 6 is not offered: it is never a function level to
# track, and seeing it as an option on a self-report form would only distress.
GBS_DISABILITY_CHOICES: list[tuple[int, Promise]] = [
    (0, _("Healthy")),
    (1, _("Minor symptoms, able to run")),
    (2, _("Able to walk 10 metres or more without help, but unable to run")),
    (3, _("Able to walk 10 metres across an open space with help")),
    (4, _("Bedridden or chair-bound")),
    (5, _("Needs help with breathing (assisted ventilation) for at least part of the day")),
]
# The grades the diary's form offers: 0 to 5, never 6 (above).
GBS_DISABILITY_MIN = 0
GBS_DISABILITY_MAX = 5

# --- INCAT disability score (CIDP) ---

INCAT_CITATION = (
    "INCAT disability score: Hughes R, Bensa S, Willison H, et al. Randomized controlled trial of "
    "intravenous immunoglobulin versus oral prednisolone in chronic inflammatory demyelinating "
    "polyradiculoneuropathy. Ann Neurol. 2001;50(2):195-201. doi:10.1002/ana.1088. Adjusted "
    "score (an arm change between 0 and 1 not counted) as in the ICE, PATH and ProCID trials."
)
INCAT_LIMB_MAX = 5
INCAT_TOTAL_MAX = 10
# The published grades (Hughes 2001), arms and legs 0-5 each, total 0-10, higher = worse; the
# wording as published, since a patient's own reading of a paraphrase is not the same scale.
INCAT_ARM_GRADES: tuple[tuple[int, Promise], ...] = (
    (0, _("No upper limb problems")),
    (
        1,
        _(
            "Symptoms, in one or both arms, not affecting the ability to perform any of the "
            "following functions: doing all zips and buttons; washing or brushing hair; using a "
            "knife and fork together; handling small coins"
        ),
    ),
    (
        2,
        _(
            "Symptoms, in one or both arms, affecting but not preventing any of the "
            "above-mentioned functions"
        ),
    ),
    (
        3,
        _("Symptoms, in one or both arms, preventing one or two of the above-mentioned functions"),
    ),
    (
        4,
        _(
            "Symptoms, in one or both arms, preventing three or all of the functions listed, "
            "but some purposeful movements still possible"
        ),
    ),
    (5, _("Inability to use either arm for any purposeful movement")),
)
INCAT_LEG_GRADES: tuple[tuple[int, Promise], ...] = (
    (0, _("Walking not affected")),
    (1, _("Walking affected, but walks independently outdoors")),
    (2, _("Usually uses unilateral support (stick, single crutch, one arm) to walk outdoors")),
    (3, _("Usually uses bilateral support (sticks, crutches, frame, two arms) to walk outdoors")),
    (
        4,
        _(
            "Usually uses wheelchair to travel outdoors, but able to stand and walk a few steps "
            "with help"
        ),
    ),
    (5, _("Restricted to wheelchair, unable to stand and walk a few steps with help")),
)
# A 1-point change of the adjusted score is meaningful: PATH (van Schaik IN et al., Lancet
# Neurol 2018;17:35-46) called a >= 1-point worsening a relapse; ProCID called a >= 1-point
# improvement a response.
INCAT_MEANINGFUL_CHANGE = 1


@dataclass(frozen=True)
class IncatScore:
    arms: int  # 0-5
    legs: int  # 0-5

    def __post_init__(self):
        for limb in (self.arms, self.legs):
            if not _is_int_between(limb, 0, INCAT_LIMB_MAX):
                raise ValueError(f"INCAT arm and leg grades must be 0-5, not {limb!r}.")

    @property
    def total(self) -> int:
        return self.arms + self.legs

    @classmethod
    def from_answers(cls, answers: Mapping[str, int]) -> IncatScore:
        """From a stored measure's answers, ``{"arms": a, "legs": l}``."""
        return cls(arms=answers["arms"], legs=answers["legs"])


def incat_total(arms: int, legs: int) -> int:
    """The INCAT total (0-10, higher = more disability)."""
    return IncatScore(arms, legs).total


def incat_adjusted(before: IncatScore, after: IncatScore) -> int:
    """The *adjusted* INCAT change from ``before`` to ``after`` (positive = worse).

    As the ICE trial defined it (Hughes RA et al., Lancet Neurol 2008;7:136-144) and PATH and
    ProCID used it: a change of the arm grade from 0 to 1 or from 1 to 0 is not counted; every
    other change of either limb counts in full. The rule is about a pair of scores, not one
    score, so it is a change, never a total of its own.
    """
    arms = after.arms - before.arms
    if {before.arms, after.arms} == {0, 1}:
        arms = 0
    return arms + (after.legs - before.legs)


# --- Measures: plausible bounds for form validation ---


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    unit: str

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


# Wide enough for any real reading, narrow enough to catch a typo (an extra 0, g for kg).
GRIP_KG_BOUNDS = Bounds(0, 100, "kg")  # hand dynamometer
GRIP_KPA_BOUNDS = Bounds(0, 200, "kPa")  # Martin vigorimeter
PLATELETS_BOUNDS = Bounds(0, 2000, "10^9/L")
WEIGHT_KG_BOUNDS = Bounds(1, 350, "kg")
# A change of more than 8 kPa on the vigorimeter is meaningful (clinical.md, CIDP).
VIGORIMETER_MEANINGFUL_CHANGE_KPA = 8

# --- Which measures to show by default ---

MGADL = "mgadl"
INCAT = "incat"
GBS_DISABILITY = "gbs_disability"
GRIP = "grip"
PLATELETS = "platelets"
WEIGHT = "weight"
# The order measures appear in, whatever order the conditions were given in. Weight (which
# doses depend on) is shown for everyone, last.
MEASURE_ORDER: tuple[str, ...] = (MGADL, INCAT, GBS_DISABILITY, GRIP, PLATELETS, WEIGHT)

MEASURES_BY_CONDITION: dict[str, tuple[str, ...]] = {
    Condition.MYASTHENIA_GRAVIS.value: (MGADL, WEIGHT),
    # INCAT is the disability score CIDP trials use; grip showed change earlier (clinical.md).
    Condition.CIDP.value: (INCAT, GRIP, WEIGHT),
    Condition.GBS.value: (GBS_DISABILITY, GRIP, WEIGHT),
    Condition.ITP.value: (PLATELETS, WEIGHT),
    Condition.MYOSITIS.value: (GRIP, WEIGHT),
    Condition.PRIMARY_IMMUNODEFICIENCY.value: (WEIGHT,),
    Condition.OTHER.value: (WEIGHT,),
}


def default_measures(conditions: Iterable[str]) -> list[str]:
    """The measures to show for a patient's conditions, once each, in MEASURE_ORDER.

    Unknown codes (say, a condition retired from the list) count as "other": weight only.
    """
    wanted: set[str] = {WEIGHT}
    for condition in conditions:
        wanted.update(MEASURES_BY_CONDITION.get(condition, MEASURES_BY_CONDITION["other"]))
    return [measure for measure in MEASURE_ORDER if measure in wanted]


def citation(measure: str) -> str:
    """The published source of a scale, shown under its form and its results ("" if none)."""
    return {
        MGADL: MGADL_CITATION,
        INCAT: INCAT_CITATION,
        GBS_DISABILITY: GBS_DISABILITY_CITATION,
    }.get(measure, "")


# --- Better or worse: direction and meaningful worsening (clinical.md, "Wear-off") ---

# Whether a higher value means worse. A measure not listed (weight, custom) has no direction the
# diary may assume, so nothing is called its "best" or "worse".
HIGHER_IS_WORSE: dict[str, bool] = {
    MGADL: True,  # more symptoms (Wolfe 1999)
    INCAT: True,  # more disability (Hughes 2001)
    GBS_DISABILITY: True,  # Hughes 1978
    GRIP: False,  # a weaker grip
    PLATELETS: False,  # ITP: fewer platelets, more bleeding
}
# MG-ADL asks about the past 7 days: a score tells the week before it, not the day.
MGADL_RECALL_DAYS = 7


@dataclass(frozen=True)
class MeaningfulWorsening:
    """The smallest worsening from a cycle's best value that counts as meaningful."""

    measure: str
    amount: int
    unit: str  # the unit it holds for ("" for a score)
    inclusive: bool  # True: at least ``amount``; False: more than ``amount``
    source: str

    def is_met(self, worsening) -> bool:
        return worsening >= self.amount if self.inclusive else worsening > self.amount


MEANINGFUL_WORSENING: tuple[MeaningfulWorsening, ...] = (
    # A 2-point change of the total (Muppidi 2011, above); a rise is treated as worsening.
    MeaningfulWorsening(
        MGADL, MEANINGFUL_CHANGE, "", True, "Muppidi S et al. Muscle Nerve. 2011;44(5):727-731."
    ),
    # On the adjusted score (incat_adjusted): PATH's relapse was a >= 1-point worsening.
    MeaningfulWorsening(
        INCAT,
        INCAT_MEANINGFUL_CHANGE,
        "",
        True,
        "van Schaik IN et al. Lancet Neurol. 2018;17:35-46.",
    ),
    # Martin vigorimeter only; grip in kg has no published threshold for this use.
    MeaningfulWorsening(
        GRIP,
        VIGORIMETER_MEANINGFUL_CHANGE_KPA,
        "kPa",
        False,
        "Vanhoutte EK et al. Eur J Neurol. 2013;20:748 (ICE trial).",
    ),
)


def meaningful_worsening(measure: str, unit: str = "") -> MeaningfulWorsening | None:
    """The published meaningful worsening of ``measure`` in ``unit``; None when none is
    published for that use (grip in kg, platelets, weight, custom): show the numbers, make no
    judgement. The unit is matched whatever its case or spaces ("kpa", " kPa "), as the cycle
    view matches the readings it draws as one line."""
    unit = " ".join(unit.split()).casefold()
    for threshold in MEANINGFUL_WORSENING:
        if threshold.measure == measure and threshold.unit.casefold() == (
            unit if threshold.unit else ""
        ):
            return threshold
    return None


def worsening(measure: str, before, after):
    """How much worse ``after`` is than ``before`` (positive = worse, negative = better).

    Numbers for most measures; :class:`IncatScore` pairs for INCAT, whose change is the
    adjusted one. A measure with no known direction has no worsening (ValueError).
    """
    if measure == INCAT:
        return incat_adjusted(before, after)
    if measure not in HIGHER_IS_WORSE:
        raise ValueError(f"{measure!r} has no direction: better and worse are not known.")
    return after - before if HIGHER_IS_WORSE[measure] else before - after
