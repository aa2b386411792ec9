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
GBS_DISABILITY = "gbs_disability"
GRIP = "grip"
PLATELETS = "platelets"
WEIGHT = "weight"
# The order measures appear in, whatever order the conditions were given in. Weight (which
# doses depend on) is shown for everyone, last.
MEASURE_ORDER: tuple[str, ...] = (MGADL, GBS_DISABILITY, GRIP, PLATELETS, WEIGHT)

MEASURES_BY_CONDITION: dict[str, tuple[str, ...]] = {
    Condition.MYASTHENIA_GRAVIS.value: (MGADL, WEIGHT),
    Condition.CIDP.value: (GRIP, WEIGHT),
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
    return {MGADL: MGADL_CITATION, GBS_DISABILITY: GBS_DISABILITY_CITATION}.get(measure, "")
