"""The INCAT disability score (CIDP; Hughes et al., Ann Neurol 2001): the scale, its adjusted
rule, the form and where it shows."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinical import scales
from clinical.scales import IncatScore, incat_adjusted, incat_total
from diary.forms import MEASURE_FORMS, IncatForm
from diary.models import Measure

from .factories import MembershipFactory, PatientFactory
from .test_plain_words import FORM_CLASSES

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, patient, *args):
    return reverse(f"diary:{name}", args=[patient.public_id, *args])


# --- the scale ------------------------------------------------------------------------------------


def test_it_has_six_published_grades_per_limb():
    assert [g for g, _text in scales.INCAT_ARM_GRADES] == list(range(6))
    assert [g for g, _text in scales.INCAT_LEG_GRADES] == list(range(6))
    assert str(scales.INCAT_LEG_GRADES[2][1]).startswith("Usually uses unilateral support")
    assert "knife and fork together" in str(scales.INCAT_ARM_GRADES[1][1])


def test_the_total_is_arms_plus_legs():
    assert incat_total(0, 0) == 0
    assert incat_total(2, 3) == 5
    assert incat_total(5, 5) == scales.INCAT_TOTAL_MAX
    for bad in [(-1, 0), (6, 0), (0, 6), (1.5, 0), (True, 0), ("1", 0)]:
        with pytest.raises(ValueError):
            incat_total(*bad)


@pytest.mark.parametrize(
    ("before", "after", "adjusted"),
    [
        ((0, 2), (1, 2), 0),  # arms 0 -> 1: not counted
        ((1, 2), (0, 2), 0),  # arms 1 -> 0: not counted
        ((0, 0), (1, 1), 1),  # the arm step is dropped, the leg step counts
        ((1, 1), (2, 1), 1),  # arms 1 -> 2 counts
        ((0, 1), (2, 1), 2),  # arms 0 -> 2 is not a change between 0 and 1: counts in full
        ((2, 1), (1, 1), -1),  # arms 2 -> 1 counts (an improvement)
        ((0, 3), (1, 2), -1),  # legs better by 1, the arm step dropped
        ((3, 4), (3, 4), 0),
    ],
)
def test_the_adjusted_change_drops_an_arm_step_between_0_and_1(before, after, adjusted):
    assert incat_adjusted(IncatScore(*before), IncatScore(*after)) == adjusted


def test_a_one_point_adjusted_worsening_is_meaningful():
    threshold = scales.meaningful_worsening(scales.INCAT)
    assert threshold.amount == 1 and threshold.inclusive
    worse = scales.worsening(scales.INCAT, IncatScore(0, 2), IncatScore(1, 3))
    assert worse == 1 and threshold.is_met(worse)
    assert not threshold.is_met(scales.worsening(scales.INCAT, IncatScore(0, 2), IncatScore(1, 2)))


def test_it_is_shown_for_cidp_with_its_citation():
    assert scales.default_measures(["cidp"]) == ["incat", "grip", "weight"]
    assert scales.INCAT not in scales.default_measures(["mg"])
    assert scales.citation(scales.INCAT).startswith("INCAT disability score: Hughes R")
    assert "Ann Neurol. 2001;50(2):195-201" in scales.citation(scales.INCAT)


# --- the form -------------------------------------------------------------------------------------


def test_the_form_is_a_measure_form_in_plain_words():
    assert MEASURE_FORMS["incat"] is IncatForm
    assert IncatForm in FORM_CLASSES  # the plain-words walk checks it too


def test_the_form_stores_both_grades_and_the_total(db):
    patient = PatientFactory(conditions=["cidp"])
    form = IncatForm(
        data={"arms": "1", "legs": "2", "measured_at": "2026-11-23T09:00", "notes": ""},
        instance=Measure(patient=patient),
        patient=patient,
    )
    assert form.is_valid(), form.errors
    measure = form.save()
    assert (measure.kind, measure.value, measure.answers) == ("incat", 3, {"arms": 1, "legs": 2})
    assert measure.display_value() == "3 / 10 (arms 1, legs 2)"
    again = IncatForm(instance=measure, patient=patient)
    assert (again.initial["arms"], again.initial["legs"]) == (1, 2)


def test_the_form_asks_in_plain_words(db):
    patient = PatientFactory()
    form = IncatForm(data={"measured_at": "2026-11-23T09:00"}, patient=patient)
    assert not form.is_valid()
    assert form.errors["arms"] == ["Choose how your arms are (0 if no problems)."]
    assert form.errors["legs"] == ["Choose how your walking is (0 if not affected)."]


def test_the_database_refuses_a_total_above_10(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Measure.objects.create(patient=patient, kind="incat", value=11, measured_at=NOW)


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def cidp(db, client):
    membership = MembershipFactory(patient=PatientFactory(conditions=["cidp"]))
    client.force_login(membership.user)
    return membership.patient


def test_each_grade_is_one_big_target(cidp, client):
    page = client.get(url("measure-add", cidp, "incat")).content.decode()
    # Twelve whole-row targets: the label wraps its radio button, as MG-ADL's answers do.
    options = re.findall(r'<label class="mgadl-option" for="id_(arms|legs)_\d">', page)
    assert options.count("arms") == 6 and options.count("legs") == 6
    assert "Restricted to wheelchair" in page
    assert "Hughes R, Bensa S" in page  # the citation under the form


def test_logging_it_and_seeing_it_on_the_measures_page(cidp, client):
    response = client.post(
        url("measure-add", cidp, "incat"),
        {"arms": "0", "legs": "2", "measured_at": "2026-11-23T09:00", "notes": ""},
        follow=True,
    )
    assert response.status_code == 200
    measure = Measure.objects.get(patient=cidp)
    assert (measure.value, measure.answers) == (2, {"arms": 0, "legs": 2})
    page = client.get(url("measures", cidp)).content.decode()
    usual = page.split("Other measures")[0]
    assert "INCAT disability score" in usual and "2 / 10 (arms 0, legs 2)" in usual
    assert usual.index("INCAT disability score") < usual.index("Grip strength")


def test_a_wrong_grade_is_refused(cidp, client):
    response = client.post(
        url("measure-add", cidp, "incat"),
        {"arms": "6", "legs": "2", "measured_at": "2026-11-23T09:00", "notes": ""},
    )
    assert response.status_code == 200
    assert not Measure.objects.filter(patient=cidp).exists()
