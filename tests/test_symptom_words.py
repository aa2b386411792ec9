"""Signs in the patient's own words (clinical.symptoms): the synonym list, reviewed here."""

import pytest

from clinical import red_flags, symptoms


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("chest pain", ("chest_pain",)),
        ("Chest  PAIN", ("chest_pain",)),
        ("pain in my chest", ("chest_pain",)),
        ("dark urine", ("dark_urine",)),
        ("cola-coloured urine", ("dark_urine",)),
        ("my pee is dark", ("dark_urine",)),
        ("can't breathe", ("trouble_breathing",)),
        ("cant breathe", ("trouble_breathing",)),
        ("I can’t breathe", ("trouble_breathing",)),
        ("swollen throat", ("face_throat_swelling",)),
        ("throat feels tight", ("face_throat_swelling",)),
        ("blue lips", ("blue_lips",)),
        ("yellow eyes", ("yellow_skin_eyes",)),
        ("slurred speech", ("trouble_speaking",)),
        ("tiredness", ("fatigue",)),
        ("I feel so tired", ("fatigue",)),
        ("headache and a stiff neck", ("headache", "stiff_neck")),
        ("swollen ankles", ("swelling",)),
    ],
)
def test_typed_words_are_recognised(typed, codes):
    assert symptoms.recognise(typed).codes == codes


@pytest.mark.parametrize("typed", ["pain", "sick", "tingling toes", "itchy scalp", "breathe"])
def test_ordinary_words_name_no_sign(typed):
    assert not symptoms.recognise(typed)


def test_leg_pain_asks_the_limb_question():
    found = symptoms.recognise("leg pain")
    assert found.codes == () and found.questions == (symptoms.ONE_LIMB,)
    assert {o.symptom for o in symptoms.ONE_LIMB.options} == {"limb_pain_swelling", "muscle_aches"}


def test_swelling_without_a_place_asks_where():
    assert symptoms.recognise("swelling").questions == (symptoms.SWELLING_WHERE,)
    found = symptoms.recognise("swollen ankles")
    assert found.questions == () and dict(found.details) == {"swelling": "legs"}


def test_swelling_answers_go_to_the_signs_the_rules_read():
    by_value = {o.value: o.symptom for o in symptoms.SWELLING_WHERE.options}
    assert by_value == {
        "face_throat": "face_throat_swelling",
        "one_limb": "limb_pain_swelling",
        "legs": "swelling",
        "all_over": "swelling",
    }


def test_typos_get_suggestions():
    assert symptoms.suggest("chest pian") == ["chest_pain"]
    assert "headache" in symptoms.suggest("hedache")
    assert symptoms.suggest("xy") == []


def test_every_synonym_belongs_to_a_catalog_sign_and_names_only_it():
    for code, words in symptoms.SYNONYMS.items():
        assert symptoms.is_known(code), code
        for words_ in words:
            assert (
                symptoms.recognise(words_).codes == (code,) or symptoms.recognise(words_).questions
            ), (code, words_)


def test_every_warning_sign_can_be_typed():
    """Each sign a rule reads has plain-language words a patient might type."""
    for code in red_flags.RED_FLAG_SIGN_CODES:
        assert symptoms.SYNONYMS.get(code), code


# --- the words around a sign (code review): plurals, fillers, denials ----------------------------


@pytest.mark.parametrize(
    ("typed", "codes", "denied"),
    [
        # A plural, or a word between, used to drop the sign beside a recognised one.
        ("headache and chest pains", ("headache", "chest_pain"), ()),
        ("Headache, my pee is very dark", ("headache", "dark_urine"), ()),
        ("tired and can't catch my breath", ("fatigue", "shortness_of_breath"), ()),
        ("her lips are blue", ("blue_lips",), ()),
        ("throat feels swollen", ("face_throat_swelling",), ()),
        ("cola colored pee", ("dark_urine",), ()),
        ("weeing less", ("less_urine",), ()),
        # Denied in so many words: not that sign.
        ("headache, no chest pain", ("headache",), ("chest_pain",)),
        ("stiff neck no fever", ("stiff_neck",), ("fever",)),
        ("dizzy, not chest pain", ("dizziness",), ("chest_pain",)),
        ("I don't have any fever", (), ("fever",)),
        ("no more chest pain", (), ("chest_pain",)),
        # Not a denial of the sign: it is there.
        ("no headache but chest pain", ("chest_pain",), ("headache",)),
        ("I haven't had chest pain like this before", ("chest_pain",), ()),
        ("never had chest pain like this", ("chest_pain",), ()),
        ("not sure if it is chest pain", ("chest_pain",), ()),
        ("No, I have chest pain", ("chest_pain",), ()),
        ("neither fever nor chills", (), ("fever", "chills")),
        ("cola-coloured urine; no fever.", ("dark_urine",), ("fever",)),
        ("not the chest pain again", ("chest_pain",), ()),  # it is back
        ("Swelling of the face lips or throat", ("face_throat_swelling",), ()),  # no comma
        ("no i have chest pain", ("chest_pain",), ()),  # a pronoun bridges no denial
        ("I can't walk without chest pain", ("chest_pain",), ()),  # "without" denies nothing
        ("chest pain without fever", ("chest_pain", "fever"), ()),  # erring toward a warning
        ("no energy", ("fatigue",), ()),  # the phrase itself begins with "no"
        ("no urine", ("less_urine",), ()),
        # Second browser pass: everyday words for warning signs.
        ("haven't been able to breathe properly", ("trouble_breathing",), ()),
        ("not getting enough air", ("trouble_breathing",), ()),
        ("I can't feel my left arm", ("one_sided_weakness",), ()),
        ("can't move my right arm", ("one_sided_weakness",), ()),
        ("words coming out wrong", ("trouble_speaking",), ()),
        ("feel like I'm going to pass out", ("faintness",), ()),
        ("haven't peed all day", ("less_urine",), ()),
        ("eyes look yellow", ("yellow_skin_eyes",), ()),
        # Numbness or weakness with a side, anywhere in a clause: the stroke sign.
        ("numb left side", ("one_sided_weakness",), ()),
        ("headache, my right arm is weak", ("headache", "one_sided_weakness"), ()),
        ("no numbness on the left", (), ("one_sided_weakness",)),
        ("feel weak and tired", ("fatigue",), ()),  # weak, but no side
        ("weak right now", (), ()),  # a time, not a side
        ("weakness down the left", ("one_sided_weakness",), ()),
        ("not numb but my left arm is weak", ("one_sided_weakness",), ()),
        # Singular and plural legs say different things: one limb (a clot?) or fluid.
        ("swollen legs", ("swelling",), ()),
    ],
)
def test_the_words_around_a_sign(typed, codes, denied):
    found = symptoms.recognise(typed)
    assert (found.codes, found.denied) == (codes, denied)


def test_one_swollen_leg_still_asks_the_limb_question():
    assert symptoms.recognise("swollen leg").questions == (symptoms.ONE_LIMB,)
    assert symptoms.recognise("my leg is swollen").questions == (symptoms.SWELLING_WHERE,)


def test_a_denied_sign_is_never_suggested():
    assert "fever" in symptoms.suggest("fevr")
    assert "fever" not in symptoms.suggest("fevr", leaving_out=("fever",))
