"""The symptom catalog and the 0-10 severity scale (clinical.md, "Side effects to log").

Shared by reactions during an infusion and by the diary's side-effect log, so it lives in the
lowest app that needs it (layers import downward only: diary -> infusions).

Plain data, versioned with the code: a clinician reviews it here, not in the database. Entries
store the code; labels are translated at display time. Users may add their own symptoms, which
are not in this catalog and never trigger a red-flag rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Symptom:
    code: str
    label: Promise
    # Common after-effects of immunoglobulin (clinical.md: 5-15 % of infusions). The others are
    # warning signs, logged mostly as answers to follow-up questions.
    is_common: bool


CATALOG: tuple[Symptom, ...] = (
    # Common after-effects.
    Symptom("headache", _("Headache"), True),
    Symptom("chills", _("Chills"), True),
    Symptom("fever", _("Fever"), True),
    Symptom("fatigue", _("Tiredness (fatigue)"), True),
    Symptom("nausea", _("Feeling sick (nausea)"), True),
    Symptom("vomiting", _("Vomiting"), True),
    Symptom("flushing", _("Flushing"), True),
    Symptom("muscle_aches", _("Muscle aches"), True),
    Symptom("back_pain", _("Back pain"), True),
    Symptom("rash", _("Rash"), True),
    Symptom("hives", _("Hives (itchy raised patches)"), True),
    Symptom("swelling", _("Swelling (fluid retention)"), True),
    # Redness, swelling or itching where the needle went in: the most common SCIG after-effect.
    # Its own entry keeps it apart from "swelling" (fluid retention), which asks kidney questions.
    Symptom("infusion_site_reaction", _("Reaction at the infusion site"), True),
    Symptom("dizziness", _("Dizziness"), True),
    Symptom("blood_pressure_change", _("Blood pressure change"), True),
    # Warning signs (red_flags.py), in the order of clinical.md's red-flag table.
    Symptom("stiff_neck", _("Stiff neck"), False),
    Symptom("light_sensitivity", _("Eyes sensitive to light"), False),
    Symptom("painful_eye_movements", _("Pain when moving the eyes"), False),
    Symptom("drowsiness", _("Unusual drowsiness"), False),
    Symptom("chest_pain", _("Chest pain"), False),
    Symptom("shortness_of_breath", _("Sudden shortness of breath"), False),
    Symptom("limb_pain_swelling", _("Arm or leg pain or swelling, with warmth"), False),
    Symptom("one_sided_weakness", _("Weakness or numbness on one side of the body"), False),
    Symptom("face_drooping", _("Face drooping"), False),
    Symptom("trouble_speaking", _("Trouble speaking"), False),
    Symptom("less_urine", _("Much less urine than usual"), False),
    Symptom("sudden_weight_gain", _("Sudden weight gain"), False),
    Symptom("dark_urine", _("Dark urine"), False),
    Symptom("yellow_skin_eyes", _("Yellow skin or eyes"), False),
    Symptom("fast_heartbeat", _("Fast heartbeat"), False),
    Symptom("trouble_breathing", _("Trouble breathing"), False),
    Symptom("face_throat_swelling", _("Swelling of the face, lips or throat"), False),
    Symptom("blue_lips", _("Blue lips or fingertips"), False),
    Symptom("faintness", _("Feeling faint"), False),
)

_BY_CODE: dict[str, Symptom] = {symptom.code: symptom for symptom in CATALOG}

# One-tap buttons on the home screen: the after-effects people log most.
QUICK_LOG_CODES: tuple[str, ...] = (
    "headache",
    "fatigue",
    "chills",
    "fever",
    "nausea",
    "flushing",
    "muscle_aches",
    "rash",
)


def get(code: str) -> Symptom:
    """The catalog entry for `code`; KeyError for codes not in the catalog (custom symptoms)."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"Unknown symptom code: {code!r}") from None


def is_known(code: str) -> bool:
    return code in _BY_CODE


def label(code: str) -> Promise | str:
    """The catalog label, or the text itself for a symptom the user named."""
    symptom = _BY_CODE.get(code)
    return symptom.label if symptom else code


def choices() -> list[tuple[str, Promise]]:
    """(code, label) pairs in catalog order, for form fields."""
    return [(symptom.code, symptom.label) for symptom in CATALOG]


# Severity: 0-10 numeric rating. Bands per clinical.md ("Side effects to log": 0 none, 1-3 mild,
# 4-6 moderate, 7-10 severe; a 2-point change is meaningful). clinical.md gives no citation of
# its own for the bands; they are the usual banding of a 0-10 numeric rating scale. PRO-CTCAE
# wording is deliberately not used (its terms forbid modified or electronic use without an NCI
# agreement).
SEVERITY_MIN = 0
SEVERITY_MAX = 10
SEVERITY_MEANINGFUL_CHANGE = 2

_SEVERITY_BANDS: tuple[tuple[int, int, Promise], ...] = (
    (0, 0, _("none")),
    (1, 3, _("mild")),
    (4, 6, _("moderate")),
    (7, 10, _("severe")),
)


def severity_word(n: int) -> Promise:
    """The band name for a 0-10 severity: "none", "mild", "moderate" or "severe"."""
    if isinstance(n, bool) or not isinstance(n, int) or not SEVERITY_MIN <= n <= SEVERITY_MAX:
        raise ValueError(f"Severity must be a whole number from 0 to 10, not {n!r}.")
    for low, high, word in _SEVERITY_BANDS:
        if low <= n <= high:
            return word
    raise AssertionError("unreachable: the bands cover 0-10")  # pragma: no cover


# For forms: (6, "6 – moderate").
SEVERITY_CHOICES: list[tuple[int, Promise]] = [
    (n, format_lazy("{} – {}", n, severity_word(n))) for n in range(SEVERITY_MIN, SEVERITY_MAX + 1)
]
