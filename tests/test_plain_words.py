"""Every form in the project answers bad input in plain words, never in Django's stock wording.

The forms are found by walking the project apps' ``forms`` modules, so a new form is checked the
moment it exists. Each is filled with empty, garbled, too small, too large, too precise and too
long values; none of the messages may read like Django's defaults.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from patients.forms_base import PlainWordsMixin

from .factories import PatientFactory, UserFactory

STOCK_WORDINGS = (
    "Ensure this value",
    "Ensure that",
    "Select a valid choice",
    "This field is required.",
    "Enter a valid",
    "Enter a whole number.",
    "Enter a number.",
    "is not one of the available choices",
)


def project_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class defined in a project app's forms module (not in libraries)."""
    found = []
    for config in apps.get_app_configs():
        if not Path(config.path).is_relative_to(settings.BASE_DIR) or ".venv" in config.path:
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, forms.BaseForm)
                and obj.__module__ == module.__name__
                and not (issubclass(obj, forms.BaseModelForm) and obj._meta.model is None)
            ):
                found.append(obj)
    return found


FORM_CLASSES = project_form_classes()


def test_the_walk_finds_the_forms_of_every_app():
    modules = {cls.__module__ for cls in FORM_CLASSES}
    assert {"patients.forms", "diary.forms", "infusions.forms"} <= modules
    assert len(FORM_CLASSES) >= 20


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda cls: cls.__name__)
def test_every_form_uses_plain_words(form_class):
    assert issubclass(form_class, PlainWordsMixin), (
        f"{form_class.__name__}: add PlainWordsMixin first in its bases"
    )


def bad_values(field: forms.Field) -> list:
    """Values that each break the field one way (the empty value is a round of its own)."""
    if isinstance(field, forms.BooleanField):
        return []
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return [["not-a-choice"], "zzz"]
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return ["not-a-choice", "999999", "-1"]
    if isinstance(field, forms.DecimalField | forms.FloatField | forms.IntegerField):
        return ["zzz", "-999999", "99999999999", "1.23456789", "1e400", "12.5"]
    if isinstance(field, forms.DateTimeField):
        return ["zzz", "2026-02-31T10:00", "2026-03-01T25:61", "0001-01-01T00:00"]
    if isinstance(field, forms.DateField):
        return ["zzz", "2026-02-31", "0001-01-01", "9999-12-31"]
    if isinstance(field, forms.TimeField):
        return ["zzz", "25:61"]
    if isinstance(field, forms.CharField):
        limit = field.max_length or 200
        return ["x" * (limit + 7), "a\x00b", "zzz"]
    return ["zzz"]


def make_form(form_class, data, context):
    kwargs = {}
    for klass in form_class.__mro__:  # each __init__ along the way may ask for its own
        if "__init__" not in vars(klass):
            continue
        for name, param in inspect.signature(klass.__init__).parameters.items():
            if param.kind is param.KEYWORD_ONLY and param.default is param.empty:
                assert name in context, f"{form_class.__name__} needs {name}=: add it to the test"
                kwargs[name] = context[name]
    return form_class(data=data, **kwargs)


@pytest.fixture
def context(db):
    return {
        "patient": PatientFactory(),
        "user": UserFactory(),
        "today": dt.date(2026, 3, 14),
        "now": dt.time(12, 0),
    }


def all_messages(form) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda cls: cls.__name__)
def test_bad_input_gets_plain_words(form_class, context):
    template = make_form(form_class, None, context)
    rounds = [{}]  # everything missing
    depth = max([len(bad_values(f)) for f in template.fields.values()] + [0])
    for i in range(depth):
        data = {}
        for name, field in template.fields.items():
            values = bad_values(field)
            if values:
                data[template.add_prefix(name)] = values[i % len(values)]
        rounds.append(data)
    seen = []
    for data in rounds:
        form = make_form(form_class, data, context)
        form.is_valid()
        seen += all_messages(form)
    stock = [m for m in seen if any(wording in m for wording in STOCK_WORDINGS)]
    assert not stock, f"{form_class.__name__} still speaks Django: {sorted(set(stock))}"
    assert seen, f"{form_class.__name__} found nothing wrong"


def test_limits_are_stated_with_the_numbers(context):
    from diary.forms import CustomMeasureForm

    form = CustomMeasureForm(
        data={"measure_name": "x" * 72, "number": "12.123", "measured_at": "2026-02-31T10:00"},
        patient=context["patient"],
    )
    assert form.errors["measure_name"] == ["Use at most 60 characters (you typed 72)."]
    assert form.errors["number"] == ["Use at most 2 digits after the decimal point."]
    # A message the form set itself is kept.
    assert form.errors["measured_at"] == ["Enter a real date and time."]


def test_model_validators_speak_plainly_too(context):
    from infusions.forms import LotForm

    # vial_size_g has MinValueValidator(0.5) on the model field only.
    form = LotForm(data={"lot_number": "A1", "vial_size_g": "0.1", "vial_count": "0"})
    assert "Enter a number of at least 0.5." in form.errors["vial_size_g"]
    assert "Enter a number of at least 1." in form.errors["vial_count"]


def test_a_message_set_by_the_form_is_kept(context):
    from patients.forms import PatientForm

    form = PatientForm(data={"name": "", "time_zone": "Mars/Olympus"})
    assert form.errors["name"] == ["Please enter a name."]
    assert form.errors["time_zone"] == ["Pick a time zone from the list."]
    assert form.errors["weight_unit"] == ["Choose one."]


def test_text_limits_show_in_the_page_and_the_help_text(context):
    from diary.forms import CustomMeasureForm

    form = CustomMeasureForm(patient=context["patient"])
    html = str(form["measure_name"])
    assert 'maxlength="60"' in html and "data-counter=" in html
    assert "Up to 60 characters." in form["measure_name"].help_text


def test_a_line_break_counts_as_one_character(context):
    from diary.forms import QuestionForm

    limit = QuestionForm.base_fields["text"].max_length
    if limit is None:
        pytest.skip("Note.text has no length limit to count against")
    # The browser sends CR LF for each line break; the counter in the page counts one.
    text = "a\r\n" * (limit // 2)
    form = QuestionForm(data={"text": text})
    assert form.is_valid(), form.errors
    assert "\r" not in form.cleaned_data["text"]


def test_too_long_text_is_refused_and_kept_as_typed(owner_client, patient):
    url = reverse("patients:settings", args=[patient.public_id])
    typed = "Maya " + "x" * 80
    response = owner_client.post(
        url,
        {"name": typed, "time_zone": "Europe/London", "weight_unit": "kg", "temperature_unit": "C"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Use at most 80 characters (you typed 85)." in body
    assert f'value="{typed}"' in body


def test_allauth_forms_still_work(client, db):
    response = client.post(
        reverse("account_signup"), {"email": "", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    assert "form" in response.content.decode()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "newcomer@example.com",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302
