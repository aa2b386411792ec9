"""Red-flag rules: signs after immunoglobulin that mean "get care now" (clinical.md).

Plain data, versioned with the code, so a clinician can review every rule in one place. The
app never diagnoses: a match tells the user that these signs *can be* a rare serious reaction
and to contact their care team or emergency services now.

How a rule matches
------------------
Input is one day's symptoms as {symptom code: highest severity that day (0-10)} plus the hours
since the last infusion ended (0 while it is still running; None if unknown).

A rule matches when any of its triggers matches. A trigger matches when

* every sign in ``all_of`` was logged at or above its minimum severity, and
* if ``any_of`` is not empty, at least one of its signs was too,
* and the time since the infusion is inside the rule's window, unless the trigger is marked
  ``any_time``.

Choices that err on the side of warning (a safety app should):

* Unknown time since infusion (None) counts as inside every window.
* Windows gate only triggers built on common after-effects (a severe headache, tiredness, hives
  or a rash, severe swelling): outside the window these are far more likely to be something else.
* A single sign that is never an ordinary after-effect and needs prompt care whatever its cause
  (trouble breathing, throat swelling, blue lips, dark urine, yellow skin or eyes, much less
  urine, sudden weight gain) warns at any time (``any_time=True``). Breathing trouble or throat
  swelling is an emergency whenever it happens and whatever its cause, and IVIG hemolysis often
  shows 5-10 days after the infusion, later than the table's "3 days" (Pavenski et al.,
  Transfusion 2021;61(4), a prospective study of high-dose IVIG).
* Severities outside 0-10 are not rejected here: a crash on this path would hide a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SOURCE_GAMUNEX = (
    "GAMUNEX-C prescribing information, section 17 Patient Counseling Information "
    "(signs to report immediately)"
)
SOURCE_CMAJ = "CMAJ review of IVIG adverse effects, Table 2 (adverse events, timing)"
SOURCE_FDA_THROMBOSIS = "FDA boxed warning for all immune globulin products, 2013: thrombosis"
SOURCE_FDA_RENAL = (
    "FDA boxed warning for IV immune globulin: renal dysfunction, acute renal failure"
)
SOURCE_PAVENSKI = (
    "Pavenski K et al., Transfusion 2021;61(4): after high-dose IVIG, hemolysis (graded on "
    "blood tests) was first apparent 5-10 days after the infusion in 84 % of cases"
)

ADVICE_CARE_TEAM_NOW = _(
    "Contact your care team now, or call emergency services if it feels severe or is getting "
    "worse. Do not wait for your next appointment."
)
ADVICE_EMERGENCY = _(
    "Call emergency services now. If a nurse is with you, tell them straight away. "
    "Do not wait to see if it passes."
)
ADVICE_CLOT = _(
    "Call emergency services now if you have chest pain, sudden shortness of breath, weakness "
    "or numbness on one side, a drooping face or trouble speaking. If the only sign is a painful, "
    "warm or swollen arm or leg, contact your care team now; if you cannot reach them, call "
    "emergency services."
)


@dataclass(frozen=True)
class Sign:
    """A logged symptom at or above a minimum severity (1 = logged at all)."""

    code: str
    min_severity: int = 1

    def present(self, day_symptoms: Mapping[str, int]) -> bool:
        return day_symptoms.get(self.code, 0) >= self.min_severity


@dataclass(frozen=True)
class Trigger:
    all_of: tuple[Sign, ...] = ()
    any_of: tuple[Sign, ...] = ()
    # True: warn even outside the rule's window (see the module docstring).
    any_time: bool = False

    def __post_init__(self):
        if not self.all_of and not self.any_of:
            raise ValueError("A trigger needs at least one sign.")

    def matching_signs(self, day_symptoms: Mapping[str, int]) -> tuple[str, ...]:
        """The codes that make this trigger match, or () when it does not match."""
        if not all(sign.present(day_symptoms) for sign in self.all_of):
            return ()
        present_any = [sign.code for sign in self.any_of if sign.present(day_symptoms)]
        if self.any_of and not present_any:
            return ()
        return tuple(sign.code for sign in self.all_of) + tuple(present_any)


def any_of(*codes: str, min_severity: int = 1) -> tuple[Sign, ...]:
    return tuple(Sign(code, min_severity) for code in codes)


def each_alone(*codes: str, min_severity: int = 1, any_time: bool = False) -> tuple[Trigger, ...]:
    """One trigger per sign: any one of them on its own is enough."""
    return tuple(Trigger(all_of=(Sign(code, min_severity),), any_time=any_time) for code in codes)


@dataclass(frozen=True)
class RedFlagRule:
    code: str
    title: Promise  # what the user reported, in plain words (never a diagnosis)
    reason: Promise  # why it matters: "can be a rare serious reaction ..."
    advice: Promise
    source: str
    # Hours after the infusion during which the rule's triggers apply; None = any time.
    window_hours_after_infusion: float | None
    triggers: tuple[Trigger, ...]

    def codes(self) -> frozenset[str]:
        return frozenset(sign.code for t in self.triggers for sign in (*t.all_of, *t.any_of))

    def match(
        self, day_symptoms: Mapping[str, int], hours_since_infusion: float | None
    ) -> tuple[str, ...]:
        """The symptom codes that set this rule off (in rule order), or () for no match."""
        in_window = (
            self.window_hours_after_infusion is None
            or hours_since_infusion is None
            or hours_since_infusion <= self.window_hours_after_infusion
        )
        found: dict[str, None] = {}  # ordered set
        for trigger in self.triggers:
            if in_window or trigger.any_time:
                found.update(dict.fromkeys(trigger.matching_signs(day_symptoms)))
        return tuple(found)


@dataclass(frozen=True)
class RedFlagMatch:
    rule: RedFlagRule
    symptoms: tuple[str, ...]  # the codes that triggered the rule


HOURS_PER_DAY = 24

RULES: tuple[RedFlagRule, ...] = (
    RedFlagRule(
        code="aseptic_meningitis",
        title=_("Severe headache with other warning signs"),
        reason=_(
            "A severe headache together with a stiff neck, eyes sensitive to light, painful eye "
            "movements, drowsiness, fever or vomiting can be a rare serious reaction to "
            "immunoglobulin (aseptic meningitis, an irritation of the lining of the brain)."
        ),
        advice=ADVICE_CARE_TEAM_NOW,
        source=f"{SOURCE_GAMUNEX}; {SOURCE_CMAJ}: usually within 48 h, up to 7 days",
        window_hours_after_infusion=7 * HOURS_PER_DAY,
        triggers=(
            Trigger(
                all_of=(Sign("headache", 7),),
                any_of=any_of(
                    "stiff_neck",
                    "light_sensitivity",
                    "painful_eye_movements",
                    "drowsiness",
                    "fever",
                    "vomiting",
                ),
            ),
        ),
    ),
    RedFlagRule(
        code="thrombosis",
        title=_("Chest pain, sudden breathlessness, a painful warm limb or stroke-like signs"),
        reason=_(
            "These signs can be a rare serious reaction to immunoglobulin (a blood clot, "
            "which can lead to a stroke or heart attack)."
        ),
        advice=ADVICE_CLOT,
        # Often within 24 h (CMAJ), but clots can happen at any time: no window.
        source=f"{SOURCE_FDA_THROMBOSIS}; {SOURCE_GAMUNEX}; {SOURCE_CMAJ}: often within 24 h",
        window_hours_after_infusion=None,
        triggers=each_alone(
            "chest_pain",
            "shortness_of_breath",
            "limb_pain_swelling",
            "one_sided_weakness",
            "face_drooping",
            "trouble_speaking",
        ),
    ),
    RedFlagRule(
        code="kidney",
        title=_("Much less urine, sudden weight gain or severe swelling"),
        reason=_("These signs can be a rare serious reaction to immunoglobulin (kidney problems)."),
        advice=ADVICE_CARE_TEAM_NOW,
        source=f"{SOURCE_FDA_RENAL}; {SOURCE_GAMUNEX}; clinical.md: typically 1-2 days after",
        window_hours_after_infusion=7 * HOURS_PER_DAY,
        triggers=(
            *each_alone("less_urine", "sudden_weight_gain", any_time=True),
            # Mild or moderate swelling is a common after-effect (clinical.md); severe swelling
            # soon after an infusion is treated as a kidney warning sign on its own. Milder
            # swelling asks the follow-up questions below instead.
            Trigger(all_of=(Sign("swelling", 7),)),
        ),
    ),
    RedFlagRule(
        code="hemolysis",
        title=_("Dark urine, yellow skin or eyes, or a racing heart with tiredness"),
        reason=_(
            "These signs can be a rare serious reaction to immunoglobulin (hemolysis, a "
            "breakdown of red blood cells)."
        ),
        advice=ADVICE_CARE_TEAM_NOW,
        # clinical.md and CMAJ give "during to 3 days after"; the window is 10 days because
        # hemolysis after high-dose IVIG often shows 5-10 days later (Pavenski 2021).
        source=f"{SOURCE_GAMUNEX}; {SOURCE_CMAJ}: during to 3 days after; {SOURCE_PAVENSKI}",
        window_hours_after_infusion=10 * HOURS_PER_DAY,
        triggers=(
            *each_alone("dark_urine", "yellow_skin_eyes", any_time=True),
            Trigger(all_of=(Sign("fast_heartbeat"), Sign("fatigue", 4))),
        ),
    ),
    RedFlagRule(
        code="trali_anaphylaxis",
        title=_(
            "Trouble breathing, swelling of the face or throat, blue lips, or hives with faintness"
        ),
        reason=_(
            "These signs can be a rare serious reaction to immunoglobulin (a severe allergic "
            "reaction, anaphylaxis, or a lung reaction called TRALI)."
        ),
        advice=ADVICE_EMERGENCY,
        source=f"{SOURCE_GAMUNEX}; {SOURCE_CMAJ}; clinical.md: during to 6 h after",
        window_hours_after_infusion=6,
        triggers=(
            # Emergencies whenever they happen: not gated by the 6 h window.
            *each_alone("trouble_breathing", "face_throat_swelling", "blue_lips", any_time=True),
            # Hives or rash with faintness: gated, since hives or a rash alone is common.
            Trigger(all_of=(Sign("faintness"),), any_of=any_of("hives", "rash")),
        ),
    ),
)

_RULES_BY_CODE = {rule.code: rule for rule in RULES}

# Every symptom code any rule looks at.
RED_FLAG_SIGN_CODES: frozenset[str] = frozenset().union(*(rule.codes() for rule in RULES))


# The lowest severity at which each sign counts for any rule.
_LOWEST_SEVERITY: dict[str, int] = {}
for _rule in RULES:
    for _trigger in _rule.triggers:
        for _sign in (*_trigger.all_of, *_trigger.any_of):
            _LOWEST_SEVERITY[_sign.code] = min(
                _LOWEST_SEVERITY.get(_sign.code, _sign.min_severity), _sign.min_severity
            )


def can_matter(code: str, severity: int) -> bool:
    """Whether a new entry of this symptom and severity could change any rule's outcome.

    Rules only look at the worst severity of each sign on a day, so an entry below every
    threshold for its symptom (or of a symptom no rule uses) cannot set anything off.
    """
    lowest = _LOWEST_SEVERITY.get(code)
    return lowest is not None and severity >= lowest


def lowest_severities() -> dict[str, int]:
    """{sign code: the lowest severity at which it counts for some rule}."""
    return dict(_LOWEST_SEVERITY)


def get_rule(code: str) -> RedFlagRule:
    return _RULES_BY_CODE[code]


def evaluate(
    day_symptoms: Mapping[str, int], hours_since_infusion: float | None
) -> list[RedFlagMatch]:
    """The rules that one day's symptoms set off, in RULES order.

    `day_symptoms`: symptom code -> highest severity logged that day; codes outside the
    catalog (custom symptoms) are ignored. `hours_since_infusion`: hours since the last infusion
    ended, 0 while it runs, None if unknown. When the day's entries span several hours, pass the
    smallest value so that no window closes too early.
    """
    matches = []
    for rule in RULES:
        symptoms = rule.match(day_symptoms, hours_since_infusion)
        if symptoms:
            matches.append(RedFlagMatch(rule=rule, symptoms=symptoms))
    return matches


# Questions to ask after a symptom is logged: (symptom code, minimum severity) -> the warning
# signs to ask about. They make sure the red-flag rules see the whole picture.
FOLLOW_UP_QUESTIONS: dict[tuple[str, int], tuple[str, ...]] = {
    ("headache", 7): (
        "stiff_neck",
        "light_sensitivity",
        "painful_eye_movements",
        "drowsiness",
        "fever",
        "vomiting",
    ),
    ("swelling", 1): ("less_urine", "sudden_weight_gain", "limb_pain_swelling"),
    ("chest_pain", 1): ("shortness_of_breath", "trouble_breathing", "fast_heartbeat"),
    ("shortness_of_breath", 1): ("chest_pain", "trouble_breathing", "blue_lips", "fast_heartbeat"),
    ("fast_heartbeat", 1): ("fatigue", "dark_urine", "yellow_skin_eyes", "chest_pain", "faintness"),
    ("fatigue", 4): ("fast_heartbeat", "dark_urine", "yellow_skin_eyes"),
    ("hives", 1): ("faintness", "trouble_breathing", "face_throat_swelling"),
    ("rash", 1): ("faintness", "trouble_breathing", "face_throat_swelling"),
    ("dizziness", 7): ("faintness", "one_sided_weakness", "trouble_speaking", "trouble_breathing"),
}


def follow_ups_for(code: str, severity: int) -> list[str]:
    """Warning signs to ask about after `code` was logged at `severity`, without repeats."""
    found: dict[str, None] = {}
    for (trigger_code, min_severity), follow_ups in FOLLOW_UP_QUESTIONS.items():
        if trigger_code == code and severity >= min_severity:
            found.update(dict.fromkeys(c for c in follow_ups if c != code))
    return list(found)
