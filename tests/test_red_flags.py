import datetime as _dt

import pytest

from clinical import red_flags, symptoms
from clinical.red_flags import (
    RULES,
    Dose,
    Reading,
    Sign,
    Trigger,
    evaluate,
    find_alerts,
    follow_ups_for,
)


def _rule_codes(day_symptoms, hours_since_infusion=12):
    return [match.rule.code for match in evaluate(day_symptoms, hours_since_infusion)]


# --- The rule table as data ---


def test_it_uses_only_catalog_symptoms():
    for rule in RULES:
        for code in rule.codes():
            assert symptoms.is_known(code), (rule.code, code)
    for (code, _min_severity), follow_ups in red_flags.FOLLOW_UP_QUESTIONS.items():
        assert symptoms.is_known(code), code
        for follow_up in follow_ups:
            assert symptoms.is_known(follow_up), (code, follow_up)


def test_it_gives_every_rule_a_source_reason_and_advice():
    assert len({rule.code for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.source
        assert str(rule.title)
        assert "rare serious reaction to immunoglobulin" in str(rule.reason)
        assert "emergency services" in str(rule.advice)
        assert rule.triggers


def test_it_never_words_a_reason_as_a_diagnosis():
    for rule in RULES:
        # The advice may say "if you have chest pain"; title and reason never say what you have.
        text = f"{rule.title} {rule.reason}".lower()
        assert "you have" not in text
        assert "diagnos" not in text
        assert "can be a rare serious reaction" in text


def test_it_refuses_an_empty_trigger():
    with pytest.raises(ValueError):
        Trigger()


def test_it_lists_the_red_flag_signs():
    assert "stiff_neck" in red_flags.RED_FLAG_SIGN_CODES
    assert "trouble_breathing" in red_flags.RED_FLAG_SIGN_CODES
    assert "nausea" not in red_flags.RED_FLAG_SIGN_CODES


# --- Aseptic meningitis ---


def test_it_warns_on_severe_headache_with_stiff_neck():
    matches = evaluate({"headache": 7, "stiff_neck": 2}, hours_since_infusion=30)
    assert [m.rule.code for m in matches] == ["aseptic_meningitis"]
    assert matches[0].symptoms == ("headache", "stiff_neck")


@pytest.mark.parametrize(
    "companion",
    ["stiff_neck", "light_sensitivity", "painful_eye_movements", "drowsiness", "fever", "vomiting"],
)
def test_it_warns_on_severe_headache_with_any_companion_sign(companion):
    assert _rule_codes({"headache": 9, companion: 1}) == ["aseptic_meningitis"]


def test_it_does_not_warn_on_severe_headache_alone():
    assert _rule_codes({"headache": 7}) == []


def test_it_does_not_warn_on_moderate_headache_with_stiff_neck():
    assert _rule_codes({"headache": 6, "stiff_neck": 5}) == []


def test_it_does_not_count_nausea_as_a_meningitis_companion():
    assert _rule_codes({"headache": 8, "nausea": 6}) == []


def test_it_does_not_count_a_zero_severity_as_logged():
    assert _rule_codes({"headache": 8, "stiff_neck": 0}) == []


def test_it_warns_on_meningitis_signs_up_to_seven_days():
    assert _rule_codes({"headache": 7, "fever": 3}, 168) == ["aseptic_meningitis"]


def test_it_does_not_warn_on_meningitis_signs_after_seven_days():
    assert _rule_codes({"headache": 7, "fever": 3}, 169) == []


def test_it_warns_when_the_time_since_infusion_is_unknown():
    assert _rule_codes({"headache": 7, "fever": 3}, None) == ["aseptic_meningitis"]


def test_it_returns_every_companion_that_triggered():
    (match,) = evaluate({"headache": 8, "vomiting": 2, "fever": 4, "chills": 3}, 20)
    assert match.symptoms == ("headache", "fever", "vomiting")


# --- Thrombosis ---


@pytest.mark.parametrize(
    "sign",
    [
        "chest_pain",
        "shortness_of_breath",
        "limb_pain_swelling",
        "one_sided_weakness",
        "face_drooping",
        "trouble_speaking",
    ],
)
def test_it_warns_on_any_clot_sign_at_any_severity(sign):
    matches = evaluate({sign: 1}, hours_since_infusion=3)
    assert [m.rule.code for m in matches] == ["thrombosis"]
    assert matches[0].symptoms == (sign,)


def test_it_warns_on_clot_signs_long_after_the_infusion():
    assert _rule_codes({"face_drooping": 2}, 24 * 30) == ["thrombosis"]


def test_it_does_not_warn_on_ordinary_muscle_aches_and_back_pain():
    assert _rule_codes({"muscle_aches": 8, "back_pain": 8, "swelling": 3}) == []


# --- Kidney problems ---


@pytest.mark.parametrize("sign", ["less_urine", "sudden_weight_gain"])
def test_it_warns_on_a_kidney_sign_alone(sign):
    assert _rule_codes({sign: 1}, 36) == ["kidney"]


def test_it_warns_on_much_less_urine_at_any_time():
    # Never an ordinary after-effect: warns even outside the 7-day window.
    assert _rule_codes({"less_urine": 3}, 24 * 20) == ["kidney"]


def test_it_warns_on_severe_swelling_within_seven_days():
    matches = evaluate({"swelling": 7}, 48)
    assert [m.rule.code for m in matches] == ["kidney"]
    assert matches[0].symptoms == ("swelling",)


def test_it_does_not_warn_on_moderate_swelling():
    assert _rule_codes({"swelling": 6}, 48) == []


def test_it_does_not_warn_on_severe_swelling_after_seven_days():
    assert _rule_codes({"swelling": 9}, 169) == []


def test_it_lists_swelling_and_less_urine_together():
    (match,) = evaluate({"swelling": 8, "less_urine": 2}, 30)
    assert match.rule.code == "kidney"
    assert set(match.symptoms) == {"swelling", "less_urine"}


# --- Hemolysis ---


@pytest.mark.parametrize("sign", ["dark_urine", "yellow_skin_eyes"])
def test_it_warns_on_a_hemolysis_sign_alone(sign):
    assert _rule_codes({sign: 1}, 20) == ["hemolysis"]


def test_it_warns_on_dark_urine_outside_the_window():
    assert _rule_codes({"dark_urine": 2}, 24 * 15) == ["hemolysis"]


def test_it_warns_on_fast_heartbeat_with_fatigue():
    matches = evaluate({"fast_heartbeat": 2, "fatigue": 4}, 50)
    assert [m.rule.code for m in matches] == ["hemolysis"]
    assert matches[0].symptoms == ("fast_heartbeat", "fatigue")


def test_it_warns_on_fast_heartbeat_with_fatigue_a_week_later():
    # Hemolysis after high-dose IVIG often shows 5-10 days later (Pavenski 2021).
    assert _rule_codes({"fast_heartbeat": 2, "fatigue": 5}, 24 * 8) == ["hemolysis"]


def test_it_does_not_warn_on_fast_heartbeat_with_mild_fatigue():
    assert _rule_codes({"fast_heartbeat": 5, "fatigue": 3}, 20) == []


def test_it_does_not_warn_on_fatigue_alone():
    assert _rule_codes({"fatigue": 10}, 20) == []


def test_it_does_not_warn_on_fast_heartbeat_with_fatigue_after_ten_days():
    assert _rule_codes({"fast_heartbeat": 5, "fatigue": 8}, 24 * 10 + 1) == []


# --- TRALI / anaphylaxis ---


@pytest.mark.parametrize("sign", ["trouble_breathing", "face_throat_swelling", "blue_lips"])
def test_it_warns_on_a_breathing_or_throat_sign_alone(sign):
    matches = evaluate({sign: 1}, 1)
    assert [m.rule.code for m in matches] == ["trali_anaphylaxis"]
    assert matches[0].symptoms == (sign,)


@pytest.mark.parametrize("sign", ["trouble_breathing", "face_throat_swelling", "blue_lips"])
def test_it_warns_on_a_breathing_or_throat_sign_outside_the_window(sign):
    # An emergency whenever it happens: the 6 h window does not gate single signs.
    assert _rule_codes({sign: 2}, 48) == ["trali_anaphylaxis"]


@pytest.mark.parametrize("skin_sign", ["hives", "rash"])
def test_it_warns_on_hives_or_rash_with_faintness(skin_sign):
    matches = evaluate({skin_sign: 3, "faintness": 2}, 2)
    assert [m.rule.code for m in matches] == ["trali_anaphylaxis"]
    assert matches[0].symptoms == ("faintness", skin_sign)


def test_it_does_not_warn_on_hives_alone():
    assert _rule_codes({"hives": 9}, 1) == []


def test_it_does_not_warn_on_hives_with_dizziness():
    assert _rule_codes({"hives": 5, "dizziness": 5}, 1) == []


def test_it_warns_on_hives_with_faintness_at_six_hours():
    assert _rule_codes({"hives": 3, "faintness": 2}, 6) == ["trali_anaphylaxis"]


def test_it_does_not_warn_on_hives_with_faintness_after_six_hours():
    assert _rule_codes({"hives": 3, "faintness": 2}, 6.5) == []


# --- Several rules, and input the rules ignore ---


def test_it_returns_several_matches_in_rule_order():
    day = {"trouble_breathing": 4, "chest_pain": 3, "headache": 8, "light_sensitivity": 2}
    assert _rule_codes(day, 2) == ["aseptic_meningitis", "thrombosis", "trali_anaphylaxis"]


def test_it_returns_nothing_for_an_ordinary_day():
    day = {"headache": 5, "chills": 4, "fever": 3, "fatigue": 6, "nausea": 2, "flushing": 3}
    assert evaluate(day, 10) == []


def test_it_ignores_custom_symptoms():
    assert evaluate({"my knee hurts": 10}, 1) == []


def test_it_matches_a_sign_at_its_minimum_severity():
    sign = Sign("headache", 7)
    assert sign.present({"headache": 7})
    assert not sign.present({"headache": 6})
    assert not sign.present({})


# --- Follow-up questions ---


def test_it_asks_meningitis_questions_after_a_severe_headache():
    assert follow_ups_for("headache", 7) == [
        "stiff_neck",
        "light_sensitivity",
        "painful_eye_movements",
        "drowsiness",
        "fever",
        "vomiting",
    ]
    assert follow_ups_for("headache", 10) == follow_ups_for("headache", 7)


def test_it_asks_nothing_after_a_moderate_headache():
    assert follow_ups_for("headache", 6) == []


def test_it_asks_kidney_and_clot_questions_after_swelling():
    assert follow_ups_for("swelling", 3) == [
        "less_urine",
        "sudden_weight_gain",
        "limb_pain_swelling",
    ]


def test_it_asks_nothing_after_a_symptom_without_follow_ups():
    assert follow_ups_for("chills", 10) == []
    assert follow_ups_for("my own symptom", 10) == []


def test_it_asks_about_the_other_half_of_every_combination():
    # Whoever logs one part of a combination rule is asked about the other part.
    assert "faintness" in follow_ups_for("hives", 1)
    assert "faintness" in follow_ups_for("rash", 1)
    assert "fatigue" in follow_ups_for("fast_heartbeat", 1)
    assert "fast_heartbeat" in follow_ups_for("fatigue", 4)


def test_it_knows_which_new_entries_cannot_matter():
    assert red_flags.can_matter("headache", 7)
    assert not red_flags.can_matter("headache", 6)  # severe headache only
    assert red_flags.can_matter("stiff_neck", 1)
    assert not red_flags.can_matter("nausea", 10)  # no rule uses nausea
    assert red_flags.can_matter("fatigue", 4) and not red_flags.can_matter("fatigue", 3)


# --- Signs over time (find_alerts) ---------------------------------------------------------------

_T0 = _dt.datetime(2026, 11, 22, 9, 0, tzinfo=_dt.UTC)


def _at(hours: float) -> _dt.datetime:
    return _T0 + _dt.timedelta(hours=hours)


def _rules(readings, doses, now_hours=48):
    return [a.rule.code for a in find_alerts(readings, doses, _at(now_hours))]


def test_an_old_open_reading_does_not_close_the_window():
    dose = Dose(_at(0), _at(4))
    old_fatigue = Reading("fatigue", 4, _at(-17 * 24))  # still going
    headache = Reading("headache", 9, _at(24), _at(26), ref=1)
    neck = Reading("stiff_neck", 8, _at(25), ref=2)
    assert _rules([old_fatigue, headache, neck], [dose]) == ["aseptic_meningitis"]


def test_readings_either_side_of_midnight_combine_but_not_a_day_apart():
    dose = Dose(_at(-24), _at(-20))
    headache = Reading("headache", 9, _at(14.5), _at(14.9), ref=1)  # 23:30-23:55
    neck = Reading("stiff_neck", 5, _at(15.2), _at(15.7), ref=2)  # 00:10-00:40
    assert _rules([headache, neck], [dose]) == ["aseptic_meningitis"]
    late_neck = Reading("stiff_neck", 5, _at(39.5), ref=2)
    assert _rules([headache, late_neck], [dose]) == []


def test_hours_count_from_the_latest_infusion_before_each_sign():
    old = Dose(_at(-30 * 24), _at(-30 * 24 + 4))
    recent = Dose(_at(0), _at(4))
    signs = [Reading("headache", 8, _at(30), ref=1), Reading("vomiting", 5, _at(31), ref=2)]
    assert _rules(signs, [old]) == []
    assert _rules(signs, [old, recent]) == ["aseptic_meningitis"]
    # An infusion after the signs does not count as "before" them.
    later = Dose(_at(40), _at(44))
    assert _rules(signs, [old, later]) == []


def test_one_alert_per_episode_with_the_worst_severity_of_each_sign():
    dose = Dose(_at(0), _at(4))
    readings = [
        Reading("headache", 6, _at(10), _at(12), ref=1),
        Reading("headache", 8, _at(12), ref=1),
        Reading("stiff_neck", 4, _at(13), ref=2),
        Reading("fever", 5, _at(14), ref=3),
    ]
    (alert,) = find_alerts(readings, [dose], _at(20))
    assert alert.rule.code == "aseptic_meningitis" and alert.emergency
    assert alert.signs() == [("headache", 8), ("stiff_neck", 4), ("fever", 5)]


def test_a_severity_of_zero_is_not_present():
    readings = [Reading("chest_pain", 0, _at(1), ref=1)]
    assert _rules(readings, []) == []
