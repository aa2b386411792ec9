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
