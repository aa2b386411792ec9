"""The symptom catalog and the 0-10 severity scale (clinical.md, "Side effects to log").

Shared by reactions during an infusion and by the diary's side-effect log; it lives in
``clinical/`` (plain Python, no models), which every app may import.

Plain data, versioned with the code: a clinician reviews it here, not in the database. Entries
store the code; labels are translated at display time. Users may add their own symptoms, which
are not in this catalog and never trigger a red-flag rule.
"""

from __future__ import annotations

import difflib
import re
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


# --- Signs in the patient's own words ----------------------------------------------------------
#
# What a patient types under "Something else" is matched against every sign's label and these
# plain-language synonyms, whole words only, ignoring case, apostrophes, punctuation and spacing.
# A match is saved as that catalog sign (so the red-flag rules see it) with the typed words
# kept. Reviewed here, in one place, with tests (tests/test_symptom_words.py): when a patient's
# wording is missed, add it here. Keep phrases specific: a synonym that matches ordinary words
# ("pain", "sick") would file unrelated text under a sign.

SYNONYMS: dict[str, tuple[str, ...]] = {
    "headache": (
        "head ache",
        "head hurts",
        "head pain",
        "pain in my head",
        "sore head",
        "migraine",
        "pounding head",
        "splitting head",
    ),
    "chills": ("shivering", "shivers", "shivery", "rigors", "rigours", "shaking with cold"),
    "fever": (
        "temperature",
        "high temperature",
        "feverish",
        "febrile",
        "running a temperature",
        "pyrexia",
    ),
    "fatigue": (
        "tired",
        "tiredness",
        "exhausted",
        "exhaustion",
        "worn out",
        "no energy",
        "wiped out",
        "drained",
        "weary",
    ),
    "nausea": (
        "nauseous",
        "nauseated",
        "queasy",
        "feeling sick",
        "feel sick",
        "sick to my stomach",
    ),
    "vomiting": ("vomit", "vomited", "throwing up", "threw up", "throw up", "being sick", "puking"),
    "flushing": ("flushed", "flush", "red face", "face red", "hot flush", "hot flushes"),
    "muscle_aches": (
        "muscle ache",
        "aching muscles",
        "sore muscles",
        "muscle pain",
        "body aches",
        "body ache",
        "aching all over",
        "myalgia",
    ),
    "back_pain": ("backache", "back ache", "sore back", "back hurts", "lower back pain"),
    "rash": ("spots", "red spots", "skin rash", "blotches", "blotchy skin"),
    "hives": ("welts", "urticaria", "itchy bumps", "itchy lumps", "raised itchy", "nettle rash"),
    "swelling": (
        "swollen",
        "swelling",
        "puffy",
        "puffiness",
        "fluid retention",
        "water retention",
        "oedema",
        "edema",
    ),
    "infusion_site_reaction": (
        "site reaction",
        "needle site",
        "injection site",
        "infusion site",
        "where the needle went",
        "lump at the site",
        "sore at the site",
    ),
    "dizziness": ("dizzy", "lightheaded", "light headed", "room spinning", "vertigo", "woozy"),
    "blood_pressure_change": (
        "blood pressure",
        "high blood pressure",
        "low blood pressure",
        "bp high",
        "bp low",
    ),
    "stiff_neck": (
        "neck stiff",
        "neck is stiff",
        "neck stiffness",
        "stiffness in my neck",
        "cant bend my neck",
        "cannot bend my neck",
        "cant move my neck",
    ),
    "light_sensitivity": (
        "light hurts",
        "light hurts my eyes",
        "bright light hurts",
        "sensitive to light",
        "light sensitive",
        "photophobia",
    ),
    "painful_eye_movements": (
        "eyes hurt when i move them",
        "pain moving my eyes",
        "pain moving eyes",
        "hurts to move my eyes",
        "eye movements hurt",
    ),
    "drowsiness": (
        "drowsy",
        "unusually sleepy",
        "abnormally sleepy",
        "cant stay awake",
        "cannot stay awake",
        "hard to wake",
    ),
    "chest_pain": (
        "pain in my chest",
        "pain in chest",
        "chest hurts",
        "chest tightness",
        "tight chest",
        "chest is tight",
        "chest pressure",
        "pressure in my chest",
        "heart pain",
    ),
    "shortness_of_breath": (
        "short of breath",
        "shortness of breath",
        "breathless",
        "out of breath",
        "short winded",
        "cant catch my breath",
        "cannot catch my breath",
        "struggling for breath",
        "gasping for breath",
        "out of puff",
    ),
    "limb_pain_swelling": (
        "hot swollen leg",
        "warm swollen leg",
        "swollen painful leg",
        "swollen and painful leg",
        "swollen calf",
        "red swollen leg",
        "hot swollen arm",
        "warm swollen arm",
        "blood clot",
        "dvt",
    ),
    "one_sided_weakness": (
        "weak on one side",
        "one side weak",
        "weakness on one side",
        "numb on one side",
        "numbness on one side",
        "one side numb",
        "cant lift my arm",
        "cannot lift my arm",
    ),
    "face_drooping": (
        "face droop",
        "face drooping",
        "drooping face",
        "face drooped",
        "droopy face",
        "mouth drooping",
        "face is drooping",
    ),
    "trouble_speaking": (
        "slurred speech",
        "slurring",
        "speech slurred",
        "cant speak",
        "cannot speak",
        "cant talk",
        "cannot talk",
        "words wont come",
        "trouble talking",
        "difficulty speaking",
        "words coming out wrong",
        "words come out wrong",
        "cant get my words out",
        "cant find my words",
        "speech is slurred",
        "talking funny",
    ),
    "less_urine": (
        "not peeing",
        "not urinating",
        "hardly peeing",
        "barely peeing",
        "little urine",
        "no urine",
        "cant pee",
        "cannot pee",
        "less urine",
        "less pee",
        "passing less urine",
        "peeing less",
        "urinating less",
        "weeing less",
        "not weeing",
        "cant wee",
        "havent peed",
        "hasnt peed",
        "not peed",
        "havent urinated",
    ),
    "sudden_weight_gain": ("weight gain", "gained weight", "put on weight", "weight went up"),
    "dark_urine": (
        "dark pee",
        "brown urine",
        "brown pee",
        "cola urine",
        "cola coloured urine",
        "cola coloured pee",
        "coke coloured pee",
        "tea coloured pee",
        "cola colored urine",
        "coke coloured urine",
        "coke colored urine",
        "tea coloured urine",
        "tea colored urine",
        "red urine",
        "red pee",
        "blood in urine",
        "blood in my urine",
        "blood in my pee",
        "urine is dark",
        "pee is dark",
        "urine dark",
        "pee dark",
        "dark wee",
        "wee is dark",
        "dark coloured urine",
        "dark colored urine",
    ),
    "yellow_skin_eyes": (
        "yellow skin",
        "yellow eyes",
        "skin is yellow",
        "eyes are yellow",
        "jaundice",
        "jaundiced",
        "yellowish skin",
        "eyes look yellow",
        "skin looks yellow",
        "whites of my eyes are yellow",
    ),
    "fast_heartbeat": (
        "racing heart",
        "heart racing",
        "heart is racing",
        "palpitations",
        "heart pounding",
        "pounding heart",
        "fast pulse",
        "heart beating fast",
        "fast heart",
    ),
    "trouble_breathing": (
        "cant breathe",
        "cannot breathe",
        "can not breathe",
        "cant breath",
        "unable to breathe",
        "not able to breathe",
        "havent been able to breathe",
        "not getting enough air",
        "cant get enough air",
        "cant get any air",
        "struggling for air",
        "gasping for air",
        "difficulty breathing",
        "hard to breathe",
        "struggling to breathe",
        "breathing problems",
        "trouble breathing",
        "wheezing",
        "wheezy",
        "gasping",
    ),
    "face_throat_swelling": (
        "swollen throat",
        "throat swelling",
        "throat swollen",
        "throat is swollen",
        "throat closing",
        "throat tight",
        "tight throat",
        "throat feels tight",
        "throat feels swollen",
        "lips feel swollen",
        "face feels swollen",
        "swollen lips",
        "lips swelling",
        "lips swollen",
        "swollen lip",
        "swollen face",
        "face swelling",
        "face swollen",
        "swollen tongue",
        "tongue swelling",
        "tongue swollen",
        "swollen eyes",
    ),
    "blue_lips": (
        "blue lips",
        "lips blue",
        "lips are blue",
        "blue fingers",
        "blue fingertips",
        "fingers blue",
        "turning blue",
    ),
    "faintness": (
        "faint",
        "fainted",
        "fainting",
        "feel faint",
        "passed out",
        "passing out",
        "about to faint",
        "blacked out",
        "pass out",
        "going to pass out",
        "about to pass out",
    ),
}


@dataclass(frozen=True)
class DetailOption:
    value: str
    label: Promise
    symptom: str  # the catalog sign this answer is saved as
    detail: str = ""  # kept on the entry (e.g. "legs" for swelling)


@dataclass(frozen=True)
class DetailQuestion:
    """A one-tap question a sign needs before the rules can judge it."""

    code: str
    prompt: Promise
    options: tuple[DetailOption, ...]

    def option(self, value: str) -> DetailOption | None:
        return next((o for o in self.options if o.value == value), None)


SWELLING_WHERE = DetailQuestion(
    "swelling_where",
    _("Where is the swelling?"),
    (
        DetailOption("face_throat", _("Face, lips or throat"), "face_throat_swelling", "face"),
        DetailOption(
            "one_limb", _("One arm or leg, painful or warm"), "limb_pain_swelling", "one_limb"
        ),
        DetailOption("legs", _("Legs or ankles"), "swelling", "legs"),
        DetailOption("all_over", _("All over"), "swelling", "all_over"),
    ),
)

# Plain aching of an arm or leg is common after an infusion; one swollen or warm limb is the
# clot warning sign. Asked for "leg pain" and similar.
ONE_LIMB = DetailQuestion(
    "one_limb",
    _("Is it one leg or arm, and is it swollen or warm?"),
    (
        DetailOption(
            "limb_yes", _("Yes: one leg or arm, swollen or warm"), "limb_pain_swelling", "one_limb"
        ),
        DetailOption("limb_no", _("No: it aches, nothing more"), "muscle_aches", "aching"),
    ),
)

QUESTIONS: dict[str, DetailQuestion] = {q.code: q for q in (SWELLING_WHERE, ONE_LIMB)}

# Catalog signs that need their question answered before they are saved.
NEEDS_DETAIL: dict[str, DetailQuestion] = {"swelling": SWELLING_WHERE}

# Words that need the limb question: pain, aching or swelling of "a leg" could be either.
LIMB_PHRASES: tuple[str, ...] = (
    "leg pain",
    "legs pain",
    "pain in my leg",
    "pain in leg",
    "painful leg",
    "sore leg",
    "leg hurts",
    "leg aches",
    "leg ache",
    "aching leg",
    "calf pain",
    "sore calf",
    "pain in my calf",
    "calf hurts",
    "arm pain",
    "pain in my arm",
    "painful arm",
    "sore arm",
    "arm hurts",
    "swollen leg",
    "leg swollen",
    "leg swelling",
    "swollen arm",
    "arm swollen",
    "arm swelling",
)

# Swelling words that already say where.
SWELLING_LEGS_PHRASES: tuple[str, ...] = (
    "swollen legs",
    "swollen ankles",
    "swollen feet",
    "ankles swollen",
    "legs swollen",
    "feet swollen",
    "puffy ankles",
    "swelling in my legs",
    "swelling in my ankles",
)


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped ("can't" -> "cant"), other punctuation as spaces."""
    text = text.casefold().replace("'", "").replace("\u2019", "").replace("`", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


# Words that change nothing about which sign is meant, left out on both sides of a comparison:
# "my pee is very dark" is "pee is dark", "her chest hurts" is "chest hurts". Not "little" or
# "no": they are part of phrases ("little urine", "no energy").
_FILLERS = frozenset(
    {"my", "the", "a", "an", "his", "her", "their", "your", "our", "very", "really", "so",
     "quite", "extremely", "super", "rather", "too"}
)  # fmt: skip
# A sign denied in so many words ("no chest pain", "not dizzy", "don't have any fever") is not
# that sign: without this, "headache, no chest pain" was saved as chest pain and called for an
# ambulance. Only a denial right before the sign counts, across at most three of the bridging
# words: "no headache but chest pain" and "not sure if it is chest pain" still name chest pain.
# A comparison after it undoes the denial: "haven't had chest pain like this before" and "not
# the chest pain again" are chest pain now. "Never" and "without" are no denials at all ("never
# felt so dizzy", "can't walk without chest pain": code review), nor is a pronoun a bridge
# ("no i have chest pain", typed without its comma).
_DENIALS = frozenset(
    {"no", "not", "nil", "nor", "neither", "dont", "doesnt", "didnt", "havent", "hasnt",
     "hadnt", "isnt", "arent", "wasnt", "werent"}
)  # fmt: skip
_DENIAL_BRIDGES = frozenset(
    {"any", "more", "have", "has", "got", "had", "having", "feel", "feeling", "felt", "get",
     "getting", "been", "sign", "of"}
)  # fmt: skip
_BRIDGES_AT_MOST = 3
_COMPARISONS = frozenset(
    {"like", "before", "until", "till", "ever", "worse", "than", "such", "again", "back"}
)


# Plurals that say something: "swollen legs" (fluid) is not "swollen leg" (one limb: a clot?).
_PLURALS_KEPT = frozenset({"legs", "arms", "ankles", "calves", "hands", "feet"})
_SPELLINGS = {"colored": "coloured", "color": "colour", "urinating": "peeing", "wee": "pee"}


def _stem(word: str) -> str:
    """A plural or third-person "s" dropped ("chest pains", "hurts"), the same way on both
    sides of a comparison, so only consistency matters, not English."""
    word = _SPELLINGS.get(word, word)
    if (
        len(word) >= 4
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
        and word not in _PLURALS_KEPT
    ):
        return word[:-1]
    return word


_CLAUSE_END = re.compile(r"[,.;:!?\n]+")
_BREAK = "|"  # where a clause ended: no phrase spans it, no denial reaches across it


def _tokens(text: str) -> tuple[str, ...]:
    """What typed words and phrases are compared as: normalised, fillers out, plurals in, and
    the end of each clause kept ("No, I have chest pain" denies nothing)."""
    found: list[str] = []
    for clause in _CLAUSE_END.split(text):
        words = [_stem(word) for word in normalise(clause).split() if word not in _FILLERS]
        if words:
            found += [*words, _BREAK]
    return tuple(found[:-1])


@dataclass(frozen=True)
class Recognised:
    """What typed words were recognised as."""

    codes: tuple[str, ...] = ()  # catalog signs, each saved as its own entry
    details: tuple[tuple[str, str], ...] = ()  # (code, detail) already given by the words
    questions: tuple[DetailQuestion, ...] = ()  # to ask before saving
    denied: tuple[str, ...] = ()  # signs named only to say they are not there ("no fever")

    def __bool__(self) -> bool:
        return bool(self.codes or self.questions)


def _phrases() -> list[tuple[tuple[str, ...], str, str]]:
    """(phrase as tokens, kind, value): kind "code", "question" or "legs"."""
    found: list[tuple[str, str, str]] = []
    for symptom in CATALOG:
        label = str(symptom.label)
        found.append((label, "code", symptom.code))
        # "Tiredness (fatigue)": each part on its own too.
        outside = re.sub(r"\(.*?\)", " ", label)
        inside = " ".join(re.findall(r"\((.*?)\)", label))
        found.extend((part, "code", symptom.code) for part in (outside, inside))
    for code, words in SYNONYMS.items():
        found.extend((w, "code", code) for w in words)
    found.extend((w, "question", ONE_LIMB.code) for w in LIMB_PHRASES)
    found.extend((w, "legs", "swelling") for w in SWELLING_LEGS_PHRASES)
    unique: dict[tuple[tuple[str, ...], str, str], None] = {}
    for words, kind, value in found:
        # A label's comma may be typed or left out ("swelling of the face lips or throat").
        for variant in (words, words.replace(",", " ")):
            tokens = _tokens(variant)
            if tokens:
                unique[(tokens, kind, value)] = None
    # Longest first: "swollen throat" wins over "swollen".
    return sorted(unique, key=lambda item: (-len(item[0]), -len(" ".join(item[0]))))


_PHRASES: list[tuple[tuple[str, ...], str, str]] | None = None


def _all_phrases() -> list[tuple[tuple[str, ...], str, str]]:
    global _PHRASES
    if _PHRASES is None:
        _PHRASES = _phrases()
    return _PHRASES


# Signs named by two words in one clause rather than by a phrase: numbness or weakness with a
# side of the body ("numb left side", "my right arm is weak", "weakness down the left") is the
# stroke sign, one-sided weakness or numbness (clinical.md, thrombosis). A side is "left" or
# "right" before a part of the body or after "on" or "down": "weak right now", "weak since I
# left hospital" and "all right but weak" name none (code review: they called an ambulance).
_ONE_SIDE_WORDS = frozenset(
    {"numb", "numbness", "weak", "weakness", "paralysed", "paralyzed", "dead"}
)
_SIDES = frozenset({"left", "right"})
_BODY_SIDE = frozenset(
    {"side", "arm", "leg", "hand", "foot", "face", "body", "half", "cheek", "shoulder",
     "finger", "toe"}
)  # fmt: skip
_TOWARD_SIDE = frozenset({"on", "down", "to"})


def _names_a_side(clause: tuple[str, ...]) -> bool:
    for at, token in enumerate(clause):
        if token not in _SIDES:
            continue
        after = clause[at + 1] if at + 1 < len(clause) else ""
        before = clause[at - 1] if at else ""
        if after in _BODY_SIDE or before in _TOWARD_SIDE:
            return True
    return False


# "can't feel my left arm", "can't move my right leg": numbness or weakness in two words.
_CANT = frozenset({"cant", "cannot", "couldnt"})
_CANT_WHAT = frozenset({"feel", "move", "lift", "use", "grip"})


def _one_side_words(clause: tuple[str, ...]) -> list[int]:
    """Where in ``clause`` numbness or weakness is named, in one word or two."""
    found = []
    for at, token in enumerate(clause):
        if token in _ONE_SIDE_WORDS or (token in _CANT_WHAT and at and clause[at - 1] in _CANT):
            found.append(at)
    return found


def _together(tokens: tuple[str, ...]) -> list[tuple[str, int, bool]]:
    """(code, where, denied) for one-sided weakness or numbness named within one clause: not
    denied if any of its numb or weak words is not ("not numb but my left arm is weak")."""
    found = []
    start = 0
    while start <= len(tokens):
        end = tokens.index(_BREAK, start) if _BREAK in tokens[start:] else len(tokens)
        clause = tokens[start:end]
        words = [start + i for i in _one_side_words(clause)]
        if words and _names_a_side(clause):
            denied = [_denied(tokens, at, at + 1) for at in words]
            plain = [at for at, no in zip(words, denied, strict=True) if not no]
            found.append(("one_sided_weakness", plain[0] if plain else words[0], not plain))
        start = end + 1
    return found


def _denied(tokens: tuple[str, ...], start: int, end: int) -> bool:
    """Whether the phrase at ``start``:``end`` follows a denial ("no", "not", "don't have any")
    and no comparison follows it ("like this before")."""
    at = start - 1
    bridged = 0
    while at >= 0 and tokens[at] in _DENIAL_BRIDGES and bridged < _BRIDGES_AT_MOST:
        at, bridged = at - 1, bridged + 1
    if at < 0 or tokens[at] not in _DENIALS:
        return False
    return not _COMPARISONS.intersection(tokens[end : end + 3])


def recognise(text: str) -> Recognised:
    """The catalog signs named in `text`, whole words only, the most specific wording first;
    a sign denied right before it ("no chest pain") is not one of them."""
    tokens = _tokens(text)
    taken = [False] * len(tokens)
    codes: dict[str, int] = {}  # code -> where it was written, to keep the patient's order
    details: dict[str, str] = {}
    questions: dict[str, DetailQuestion] = {}
    denied: dict[str, int] = {}
    for phrase, kind, value in _all_phrases():
        size = len(phrase)
        for start in range(len(tokens) - size + 1):
            if tokens[start : start + size] != phrase or any(taken[start : start + size]):
                continue
            taken[start : start + size] = [True] * size
            if _denied(tokens, start, start + size):
                denied.setdefault(value, start)
            elif kind == "code":
                if value in NEEDS_DETAIL and value not in details:
                    questions[NEEDS_DETAIL[value].code] = NEEDS_DETAIL[value]
                else:
                    codes.setdefault(value, start)
            elif kind == "legs":
                codes.setdefault(value, start)
                details[value] = "legs"
                questions.pop(SWELLING_WHERE.code, None)
            else:
                questions[value] = QUESTIONS[value]
    for code, where, was_denied in _together(tokens):
        if was_denied:
            denied.setdefault(code, where)
        else:
            codes.setdefault(code, where)
    if "swelling" in codes:
        questions.pop(SWELLING_WHERE.code, None)
    return Recognised(
        codes=tuple(sorted(codes, key=codes.__getitem__)),
        details=tuple(details.items()),
        questions=tuple(questions.values()),
        denied=tuple(c for c in sorted(denied, key=denied.__getitem__) if c not in codes),
    )


def suggest(text: str, limit: int = 4, *, leaving_out: tuple[str, ...] = ()) -> list[str]:
    """Catalog signs whose label or synonym is close to `text` (typos): "Did you mean ...?".
    ``leaving_out``: signs the words deny ("no fever"), never offered."""
    typed = " ".join(token for token in _tokens(text) if token != _BREAK)
    if len(typed) < 3:
        return []
    candidates: dict[str, str] = {}
    for phrase, kind, value in _all_phrases():
        if kind != "question" and value not in leaving_out:
            candidates.setdefault(" ".join(phrase), value)
    close = difflib.get_close_matches(typed, list(candidates), n=limit * 3, cutoff=0.75)
    found: dict[str, None] = {}
    for phrase in close:
        found[candidates[phrase]] = None
    return list(found)[:limit]


def phrase_list() -> list[str]:
    """Labels and synonyms, for the browser's suggestions as the patient types."""
    names: dict[str, None] = {str(s.label): None for s in CATALOG}
    for words in SYNONYMS.values():
        names.update(dict.fromkeys(words))
    return list(names)
