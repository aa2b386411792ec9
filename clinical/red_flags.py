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

Signs over time (:func:`find_alerts`)
------------------------------------
The diary feeds the rules *readings*: a sign at a severity from a start to an end (or still
going). Signs felt within any 24 hours count together, not only within one calendar day: every
reading's start is an anchor, and the readings felt in the 24 hours up to it are read as one
"day". The hours since the infusion are counted for every sign from the latest infusion day
that started before that sign (within the 24 hours), so an older entry that is still open never
closes a window. A severity of 0 means "not present".

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

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import symptoms

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
    "If it feels severe or is getting worse, call emergency services. Otherwise contact your "
    "care team now. Do not wait for your next appointment."
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
ADVICE_CLOT_EMERGENCY = _(
    "Call emergency services now: chest pain, sudden breathlessness and signs of a stroke need "
    "help straight away. Do not wait to see if it passes."
)
ADVICE_CLOT_LIMB = _(
    "Contact your care team now about a painful, warm or swollen arm or leg; if you cannot "
    "reach them, or you also have chest pain or breathlessness, call emergency services."
)
ADVICE_MENINGITIS_FEVER = _(
    "Call emergency services now: a severe headache with a stiff neck and a fever needs to be "
    "seen straight away, whatever the cause. Do not wait to see if it passes."
)


HEADING_EMERGENCY = _("Call emergency services now")
HEADING_URGENT = _("Get medical advice now")


def heading(emergency: bool) -> Promise:
    """The warning's heading: the most urgent thing to do, in a few words."""
    return HEADING_EMERGENCY if emergency else HEADING_URGENT


def describe_signs(signs) -> list[dict]:
    """[(code, severity)] as the warning lists them: label and severity word, plain strings."""
    return [
        {
            "code": code,
            "label": str(symptoms.label(code)),
            "severity": severity,
            "word": str(symptoms.severity_word(severity)),
        }
        for code, severity in signs
    ]


def for_display(match: RedFlagMatch, signs: list[dict], **extra) -> dict:
    """What the warning component (templates/components/red_flag_alert.html) shows.

    ``extra``: id, source_text, fresh, and handle_url or today_url.
    """
    return {
        "emergency": match.emergency,
        "heading": heading(match.emergency),
        "advice": match.advice or match.rule.advice,
        "title": match.rule.title,
        "reason": match.rule.reason,
        "signs": signs,
    } | extra


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
    # True: the advice is "call emergency services now", shown before any other.
    emergency: bool = False
    # Advice for this trigger when it differs from the rule's (None = the rule's advice).
    advice: Promise | None = None

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


def each_alone(
    *codes: str,
    min_severity: int = 1,
    any_time: bool = False,
    emergency: bool = False,
    advice: Promise | None = None,
) -> tuple[Trigger, ...]:
    """One trigger per sign: any one of them on its own is enough."""
    return tuple(
        Trigger(
            all_of=(Sign(code, min_severity),),
            any_time=any_time,
            emergency=emergency,
            advice=advice,
        )
        for code in codes
    )


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

    def in_window(self, hours_since_infusion: float | None) -> bool:
        return (
            self.window_hours_after_infusion is None
            or hours_since_infusion is None
            or hours_since_infusion <= self.window_hours_after_infusion
        )

    def matching_triggers(
        self, day_symptoms: Mapping[str, int], hours_since_infusion: float | None
    ) -> list[tuple[Trigger, tuple[str, ...]]]:
        """(trigger, the codes that set it off) for every trigger that matches."""
        in_window = self.in_window(hours_since_infusion)
        found = []
        for trigger in self.triggers:
            if in_window or trigger.any_time:
                codes = trigger.matching_signs(day_symptoms)
                if codes:
                    found.append((trigger, codes))
        return found

    def match(
        self, day_symptoms: Mapping[str, int], hours_since_infusion: float | None
    ) -> tuple[str, ...]:
        """The symptom codes that set this rule off (in rule order), or () for no match."""
        found: dict[str, None] = {}  # ordered set
        for _trigger, codes in self.matching_triggers(day_symptoms, hours_since_infusion):
            found.update(dict.fromkeys(codes))
        return tuple(found)


@dataclass(frozen=True)
class RedFlagMatch:
    rule: RedFlagRule
    symptoms: tuple[str, ...]  # the codes that triggered the rule
    emergency: bool = False
    advice: Promise | None = None


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
        source=(
            f"{SOURCE_GAMUNEX}; {SOURCE_CMAJ}: usually within 48 h, up to 7 days; clinical.md: "
            "with a stiff neck and fever, any time"
        ),
        window_hours_after_infusion=7 * HOURS_PER_DAY,
        triggers=(
            # Meningitis is an emergency whatever its cause, and many patients are
            # immunodeficient: with a stiff neck and a fever, at any time after an infusion.
            Trigger(
                all_of=(Sign("headache", 7), Sign("stiff_neck"), Sign("fever")),
                any_time=True,
                emergency=True,
                advice=ADVICE_MENINGITIS_FEVER,
            ),
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
        triggers=(
            *each_alone(
                "chest_pain",
                "shortness_of_breath",
                "one_sided_weakness",
                "face_drooping",
                "trouble_speaking",
                emergency=True,
                advice=ADVICE_CLOT_EMERGENCY,
            ),
            *each_alone("limb_pain_swelling", advice=ADVICE_CLOT_LIMB),
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
            *each_alone(
                "trouble_breathing",
                "face_throat_swelling",
                "blue_lips",
                any_time=True,
                emergency=True,
            ),
            # Hives or rash with faintness: gated, since hives or a rash alone is common.
            Trigger(all_of=(Sign("faintness"),), any_of=any_of("hives", "rash"), emergency=True),
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
        found = rule.matching_triggers(day_symptoms, hours_since_infusion)
        if found:
            codes: dict[str, None] = {}
            for _trigger, trigger_codes in found:
                codes.update(dict.fromkeys(trigger_codes))
            matches.append(
                RedFlagMatch(
                    rule=rule,
                    symptoms=tuple(codes),
                    emergency=any(t.emergency for t, _codes in found),
                    advice=_advice(rule, [t for t, _codes in found]),
                )
            )
    return matches


def _advice(rule: RedFlagRule, triggers: list[Trigger]) -> Promise:
    """The most urgent advice among the matching triggers (emergency first)."""
    ordered = sorted(triggers, key=lambda t: not t.emergency)
    for trigger in ordered:
        if trigger.advice is not None:
            return trigger.advice
    return rule.advice


# --- Signs over time --------------------------------------------------------------------------

WINDOW = dt.timedelta(hours=24)  # signs felt within any 24 hours count together


@dataclass(frozen=True)
class Reading:
    """A sign at one severity, from ``start`` until ``end`` (None: still going)."""

    code: str
    severity: int
    start: dt.datetime
    end: dt.datetime | None = None
    ref: Hashable = None  # what it came from, e.g. ("entry", 12)


@dataclass(frozen=True)
class Dose:
    """One infusion day, as instants (unknown times already widened by the caller)."""

    start: dt.datetime
    end: dt.datetime
    ref: Hashable = None


@dataclass
class Alert:
    """A rule set off by readings felt within 24 hours of each other (one or more windows)."""

    rule: RedFlagRule
    readings: list[Reading] = field(default_factory=list)
    emergency: bool = False
    advice: Promise | None = None
    hours_since_infusion: float | None = None
    dose: Dose | None = None
    # The start of the 24 hours its first match looked at, when a sign of the match began in
    # them. A sign begun before (a headache logged weeks ago and never closed) does not date
    # the alert: it began with the first sign felt in those hours, when the signs came
    # together, not on the day the oldest of them began. None when every sign began before
    # (a recheck anchored on some other entry): the alert is the one they made back then.
    window_start: dt.datetime | None = None

    @property
    def started_at(self) -> dt.datetime:
        if self.window_start is not None:
            fresh = [r.start for r in self.readings if r.start >= self.window_start]
            if fresh:
                return min(fresh)
        return min(r.start for r in self.readings)

    @property
    def last_at(self) -> dt.datetime:
        return max(r.start for r in self.readings)

    @property
    def refs(self) -> set[Hashable]:
        return {r.ref for r in self.readings}

    def signs(self) -> list[tuple[str, int]]:
        """(code, worst severity among the readings that set it off), in rule order."""
        order = {code: n for n, code in enumerate(_rule_code_order(self.rule))}
        worst: dict[str, int] = {}
        for reading in self.readings:
            worst[reading.code] = max(worst.get(reading.code, 0), reading.severity)
        return sorted(worst.items(), key=lambda item: order.get(item[0], len(order)))

    def as_match(self) -> RedFlagMatch:
        return RedFlagMatch(
            rule=self.rule,
            symptoms=tuple(code for code, _severity in self.signs()),
            emergency=self.emergency,
            advice=self.advice or self.rule.advice,
        )


def _rule_code_order(rule: RedFlagRule) -> list[str]:
    codes: dict[str, None] = {}
    for trigger in rule.triggers:
        codes.update(dict.fromkeys(sign.code for sign in (*trigger.all_of, *trigger.any_of)))
    return list(codes)


def hours_after(doses: list[Dose], start: dt.datetime, end: dt.datetime) -> float | None:
    """Hours from the latest dose that started by ``end`` to ``start`` (0 if it overlaps).

    ``doses`` sorted by start. None when no infusion started before: unknown timing, which
    counts as inside every window.
    """
    latest = None
    for dose in doses:
        if dose.start <= end:
            latest = dose
        else:
            break
    if latest is None:
        return None
    if latest.end >= start:
        return 0.0
    return (start - latest.end).total_seconds() / 3600


def _latest_dose(doses: list[Dose], moment: dt.datetime) -> Dose | None:
    latest = None
    for dose in doses:
        if dose.start <= moment:
            latest = dose
        else:
            break
    return latest


def find_alerts(
    readings: Iterable[Reading],
    doses: Iterable[Dose],
    now: dt.datetime,
    anchors_from: dt.datetime | None = None,
    anchors_to: dt.datetime | None = None,
) -> list[Alert]:
    """Every rule the readings set off, grouped into alerts (most urgent first).

    Every reading's start (between ``anchors_from`` and ``anchors_to`` when given) is an
    anchor; the readings felt in the 24 hours up to it are evaluated together, each sign's
    hours counted from the latest infusion that started before that sign. Matches of one rule
    that share a reading or overlap in time form one alert.
    """
    # Readings below every threshold for their sign can never count: leave them out early.
    # Everything in UTC, so that "24 hours" is 24 real hours across a clock change.
    present = sorted(
        (_utc(r) for r in readings if can_matter(r.code, r.severity)), key=lambda r: r.start
    )
    dose_list = sorted((_utc(d) for d in doses), key=lambda d: d.start)
    anchors = sorted(
        {
            r.start
            for r in present
            if (anchors_from is None or r.start >= anchors_from)
            and (anchors_to is None or r.start <= anchors_to)
        }
    )
    matches: list[Alert] = []
    for anchor in anchors:
        low = anchor - WINDOW
        active = [r for r in present if r.start <= anchor and (r.end or now) >= low]
        worst: dict[str, int] = {}
        for reading in active:
            worst[reading.code] = max(worst.get(reading.code, 0), reading.severity)
        for rule in RULES:
            for trigger in rule.triggers:
                codes = trigger.matching_signs(worst)
                if not codes:
                    continue
                minimum = {
                    sign.code: sign.min_severity
                    for sign in (*trigger.all_of, *trigger.any_of)
                    if sign.code in codes
                }
                matched = [r for r in active if r.code in minimum and r.severity >= minimum[r.code]]
                portions = [(max(r.start, low), min(r.end or now, anchor)) for r in matched]
                hours = [hours_after(dose_list, start, end) for start, end in portions]
                if not (trigger.any_time or any(rule.in_window(h) for h in hours)):
                    continue
                fresh = [h for r, h in zip(matched, hours, strict=True) if r.start >= low]
                if fresh:
                    # Timed from the signs felt in these 24 hours: a headache open since weeks
                    # before was "during the infusion" too, but the warning came with the stiff
                    # neck of this morning, 20 hours after it.
                    timed, met = fresh, anchor
                else:
                    # Every sign began before these 24 hours (a recheck at some later entry):
                    # the alert is the one they made when the last of them came, timed as then,
                    # never by an infusion given since (a review found a warning of 2 Nov
                    # rewritten "during or just after" the infusion of 22 Nov).
                    met = max(r.start for r in matched)
                    timed = [
                        hours_after(dose_list, max(r.start, met - WINDOW), min(r.end or now, met))
                        for r in matched
                    ]
                known = [h for h in timed if h is not None]
                matches.append(
                    Alert(
                        rule=rule,
                        readings=matched,
                        emergency=trigger.emergency,
                        advice=trigger.advice,
                        hours_since_infusion=min(known) if len(known) == len(timed) else None,
                        dose=_latest_dose(dose_list, met),
                        window_start=low if fresh else None,
                    )
                )
    return _merge(matches)


def _utc(item):
    end = item.end.astimezone(dt.UTC) if item.end is not None else None
    return replace(item, start=item.start.astimezone(dt.UTC), end=end)


def near(
    first: tuple[dt.datetime, dt.datetime],
    second: tuple[dt.datetime, dt.datetime],
    slack: dt.timedelta = dt.timedelta(0),
) -> bool:
    """Whether two spans of time (start, last) overlap, or come within ``slack`` of it."""
    return first[0] <= second[1] + slack and second[0] <= first[1] + slack


def _merge(matches: list[Alert]) -> list[Alert]:
    """Matches of one rule form one alert when they overlap in time, or share a reading and
    follow each other within 24 hours. A sign still going for weeks is shared by every match
    it is part of: sharing it alone does not make a match of today one with a match of weeks
    ago, which was dealt with then."""
    alerts: list[Alert] = []
    for match in matches:
        target = None
        span = (match.started_at, match.last_at)
        for alert in alerts:
            if alert.rule is not match.rule:
                continue
            if near((alert.started_at, alert.last_at), span) or (
                alert.refs & match.refs and near((alert.started_at, alert.last_at), span, WINDOW)
            ):
                target = alert
                break
        if target is None:
            alerts.append(match)
            continue
        seen = {(r.ref, r.start) for r in target.readings}
        target.readings.extend(r for r in match.readings if (r.ref, r.start) not in seen)
        if target.window_start is None or match.window_start is None:
            target.window_start = target.window_start or match.window_start
        else:
            target.window_start = min(target.window_start, match.window_start)
        if match.emergency and not target.emergency:
            target.emergency, target.advice = True, match.advice
        elif target.advice is None:
            target.advice = match.advice
        if match.hours_since_infusion is None or target.hours_since_infusion is None:
            target.hours_since_infusion = None
        else:
            target.hours_since_infusion = min(
                target.hours_since_infusion, match.hours_since_infusion
            )
        target.dose = target.dose or match.dose
    order = {rule.code: n for n, rule in enumerate(RULES)}
    alerts.sort(key=lambda a: (not a.emergency, a.started_at, order[a.rule.code]))
    return alerts


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
