import pytest

from clinical import scales, symptoms
from clinical.conditions import Condition
from clinical.scales import compare_mgadl, default_measures, interpret_mgadl, mgadl_total
from clinical.symptoms import severity_word

ALL_ONES = dict.fromkeys(scales.MGADL_ITEM_CODES, 1)


# --- Symptom catalog and severity ---


def test_it_keeps_quick_log_codes_in_the_catalog():
    assert len(symptoms.QUICK_LOG_CODES) == 8
    for code in symptoms.QUICK_LOG_CODES:
        assert symptoms.get(code).is_common


def test_it_has_unique_symptom_codes():
    codes = [symptom.code for symptom in symptoms.CATALOG]
    assert len(codes) == len(set(codes))


def test_it_finds_a_symptom_by_code():
    assert str(symptoms.get("swelling").label) == "Swelling (fluid retention)"
    with pytest.raises(KeyError, match="nope"):
        symptoms.get("nope")


def test_it_labels_catalog_and_custom_symptoms():
    assert str(symptoms.label("muscle_aches")) == "Muscle aches"
    assert symptoms.label("Sore knee") == "Sore knee"


def test_it_offers_choices_in_catalog_order():
    choices = symptoms.choices()
    assert choices[0][0] == "headache"
    assert [code for code, _label in choices] == [s.code for s in symptoms.CATALOG]


@pytest.mark.parametrize(
    ("severity", "word"),
    [
        (0, "none"),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_it_names_severity_bands_at_their_edges(severity, word):
    assert str(severity_word(severity)) == word


@pytest.mark.parametrize("severity", [-1, 11, 5.5, True, None])
def test_it_refuses_a_severity_outside_0_to_10(severity):
    with pytest.raises(ValueError):
        severity_word(severity)


def test_it_labels_severity_choices_with_their_band():
    assert len(symptoms.SEVERITY_CHOICES) == 11
    value, label = symptoms.SEVERITY_CHOICES[6]
    assert value == 6
    assert str(label) == "6 – moderate"
    assert str(symptoms.SEVERITY_CHOICES[0][1]) == "0 – none"


# --- MG-ADL ---


def test_it_has_eight_mgadl_items_scored_0_to_3():
    assert scales.MGADL_ITEM_CODES == (
        "talking",
        "chewing",
        "swallowing",
        "breathing",
        "brush_teeth_comb_hair",
        "rise_from_chair",
        "double_vision",
        "eyelid_droop",
    )
    for item in scales.MGADL_ITEMS:
        assert [score for score, _wording in item.options] == [0, 1, 2, 3]


def test_it_uses_the_published_mgadl_wording():
    options = {item.code: [str(w) for _s, w in item.options] for item in scales.MGADL_ITEMS}
    assert options["swallowing"][2] == "Frequent choking necessitating changes in diet"
    assert options["rise_from_chair"][1] == "Mild, sometimes uses arms"
    assert options["breathing"][3] == "Ventilator dependence"
    assert options["eyelid_droop"][1:] == [
        "Occurs, but not daily",
        "Daily, but not constant",
        "Constant",
    ]
    assert str(scales.MGADL_RECALL) == "past 7 days"
    assert "10.1212/WNL.52.7.1487" in scales.MGADL_CITATION
    assert "10.1186/s12883-020-01975-y" in scales.MGADL_CITATION


def test_it_totals_mgadl_answers():
    assert mgadl_total(ALL_ONES) == 8
    assert mgadl_total(dict.fromkeys(scales.MGADL_ITEM_CODES, 0)) == 0
    assert mgadl_total(dict.fromkeys(scales.MGADL_ITEM_CODES, 3)) == 24
    assert mgadl_total({**ALL_ONES, "breathing": 3, "eyelid_droop": 0}) == 9


def test_it_names_the_missing_mgadl_item():
    answers = {code: 1 for code in scales.MGADL_ITEM_CODES if code != "chewing"}
    with pytest.raises(ValueError, match="chewing"):
        mgadl_total(answers)


def test_it_names_every_missing_mgadl_item():
    with pytest.raises(ValueError, match="double_vision, eyelid_droop"):
        mgadl_total(dict.fromkeys(scales.MGADL_ITEM_CODES[:6], 0))


@pytest.mark.parametrize("bad", [4, -1, 1.5, True, "2", None])
def test_it_refuses_an_out_of_range_mgadl_score(bad):
    with pytest.raises(ValueError, match="swallowing"):
        mgadl_total({**ALL_ONES, "swallowing": bad})


def test_it_refuses_an_unknown_mgadl_item():
    with pytest.raises(ValueError, match="walking"):
        mgadl_total({**ALL_ONES, "walking": 1})


def test_it_calls_a_two_point_drop_a_meaningful_improvement():
    result = compare_mgadl(8, 6)
    assert result.change == -2
    assert result.direction == scales.IMPROVED
    assert result.meaningful


def test_it_calls_a_one_point_drop_not_meaningful():
    result = compare_mgadl(8, 7)
    assert result.change == -1
    assert result.direction == "improved"
    assert not result.meaningful


def test_it_calls_a_two_point_rise_a_meaningful_worsening():
    result = compare_mgadl(6, 8)
    assert result.change == 2
    assert result.direction == scales.WORSE
    assert result.meaningful


def test_it_calls_a_one_point_rise_not_meaningful():
    result = compare_mgadl(6, 7)
    assert (result.change, result.direction, result.meaningful) == (1, "worse", False)


def test_it_calls_the_same_total_unchanged():
    result = compare_mgadl(5, 5)
    assert (result.change, result.direction, result.meaningful) == (0, "unchanged", False)


@pytest.mark.parametrize(("previous", "current"), [(-1, 3), (3, 25)])
def test_it_refuses_to_compare_impossible_totals(previous, current):
    with pytest.raises(ValueError):
        compare_mgadl(previous, current)


@pytest.mark.parametrize("total", [0, 1])
def test_it_describes_0_and_1_as_minimal_symptom_expression(total):
    assert "minimal symptom expression" in interpret_mgadl(total)


def test_it_describes_higher_totals_without_a_diagnosis():
    text = interpret_mgadl(2)
    assert text.startswith("2 of 24")
    assert "minimal symptom expression" not in text
    with pytest.raises(ValueError):
        interpret_mgadl(25)


# --- Other scales and measures ---


def test_it_rates_global_change_from_much_worse_to_much_better():
    assert [value for value, _label in scales.GLOBAL_CHANGE_CHOICES] == list(range(-3, 4))
    labels = dict(scales.GLOBAL_CHANGE_CHOICES)
    assert str(labels[-3]) == "Much worse"
    assert str(labels[0]) == "No change"
    assert str(labels[3]) == "Much better"
    assert "before this infusion" in str(scales.GLOBAL_CHANGE_QUESTION)


def test_it_offers_gbs_disability_grades_0_to_5():
    assert [value for value, _label in scales.GBS_DISABILITY_CHOICES] == [0, 1, 2, 3, 4, 5]
    assert scales.GBS_DISABILITY_MAX == 5


def test_it_bounds_measures_for_validation():
    assert scales.GRIP_KG_BOUNDS.contains(0)
    assert scales.GRIP_KG_BOUNDS.contains(100)
    assert not scales.GRIP_KG_BOUNDS.contains(101)
    assert scales.GRIP_KPA_BOUNDS.contains(200)
    assert not scales.PLATELETS_BOUNDS.contains(2001)
    assert not scales.WEIGHT_KG_BOUNDS.contains(0.5)
    assert scales.WEIGHT_KG_BOUNDS.contains(350)
    assert scales.VIGORIMETER_MEANINGFUL_CHANGE_KPA == 8


def test_it_knows_the_measures_of_every_condition():
    assert set(scales.MEASURES_BY_CONDITION) == set(Condition.values)
    for measures in scales.MEASURES_BY_CONDITION.values():
        assert set(measures) <= set(scales.MEASURE_ORDER)


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (["mg"], ["mgadl", "weight"]),
        (["cidp"], ["incat", "grip", "weight"]),
        (["gbs"], ["gbs_disability", "grip", "weight"]),
        (["itp"], ["platelets", "weight"]),
        (["myositis"], ["grip", "weight"]),
        (["pid"], ["weight"]),
        (["other"], ["weight"]),
        ([], ["weight"]),
    ],
)
def test_it_picks_default_measures_per_condition(conditions, expected):
    assert default_measures(conditions) == expected


def test_it_keeps_a_stable_order_whatever_the_condition_order():
    expected = ["mgadl", "incat", "grip", "platelets", "weight"]
    assert default_measures(["itp", "cidp", "mg"]) == expected
    assert default_measures(["mg", "itp", "cidp"]) == expected


def test_it_lists_each_measure_once():
    assert default_measures(["cidp", "gbs", "myositis", "cidp"]) == [
        "incat",
        "gbs_disability",
        "grip",
        "weight",
    ]


def test_it_treats_an_unknown_condition_as_other():
    assert default_measures(["retired-code"]) == ["weight"]
