"""Plain words for every form in the project: one mixin, by error code.

Django's stock messages ("Ensure this value is greater than or equal to 0.5", "Select a valid
choice. x is not one of the available choices.", "This field is required.") are written for
developers. ``PlainWordsMixin`` gives every field a plain message for each error code it can
raise, using the field's label and limits ("Enter a number of at least 0.5.", "Use at most 60
characters (you typed 72)."). A message a form sets itself, in ``error_messages`` or in
``__init__``, is kept.

It works by code because Django lets a field's ``error_messages`` override its validators'
messages (``Field.run_validators``), and a model form's field override the model's validators'
(``BaseModelForm._update_errors``): one table covers MinValueValidator, MaxLengthValidator,
DecimalValidator and the rest, on the form field or on the model field.

It lives in ``patients``, the lowest app, so every app may import it.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys

from django import forms
from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

TEMPORAL_FIELDS = (forms.DateField, forms.DateTimeField, forms.TimeField)


def _interpolate(message, params: dict) -> str:
    return str(message) % params


# Every message stays lazy until an error is shown: a form is built on every page view, and
# translating some twenty messages per field up front would cost more than the page's queries.
interpolate_lazy = lazy(_interpolate, str)
TEXT_WIDGETS = (forms.TextInput, forms.Textarea)

MAX_LENGTH = ngettext_lazy(
    "Use at most %(limit_value)d character (you typed %(show_value)d).",
    "Use at most %(limit_value)d characters (you typed %(show_value)d).",
    "limit_value",
)
MIN_LENGTH = ngettext_lazy(
    "Use at least %(limit_value)d character (you typed %(show_value)d).",
    "Use at least %(limit_value)d characters (you typed %(show_value)d).",
    "limit_value",
)
MAX_DIGITS = ngettext_lazy("Use at most %(max)s digit.", "Use at most %(max)s digits.", "max")
MAX_DECIMAL_PLACES = ngettext_lazy(
    "Use at most %(max)s digit after the decimal point.",
    "Use at most %(max)s digits after the decimal point.",
    "max",
)
MAX_WHOLE_DIGITS = ngettext_lazy(
    "Use at most %(max)s digit before the decimal point.",
    "Use at most %(max)s digits before the decimal point.",
    "max",
)


@functools.cache
def _stock_messages(field_class: type) -> dict:
    """The messages Django gives a field class (what Field.__init__ merges along the MRO)."""
    messages: dict = {}
    for klass in reversed(field_class.__mro__):
        messages.update(getattr(klass, "default_error_messages", {}))
    return messages


@functools.cache
def _django_validator_ids() -> frozenset[int]:
    # validate_email, validate_slug, ...: Django's own ready-made validators.
    module = sys.modules[django_validators.__name__]
    return frozenset(
        id(v) for v in vars(module).values() if hasattr(v, "code") and not isinstance(v, type)
    )


def _has_custom_message(validator) -> bool:
    """True if a validator was given its own message, which the form must not replace."""
    if id(validator) in _django_validator_ids():
        return False
    if isinstance(validator, django_validators.StepValueValidator) and validator.offset is not None:
        return False  # Django's own wording for steps from an offset
    message = getattr(validator, "message", None)
    if message is None:
        return False  # DecimalValidator and friends: messages come from a class table
    return message is not getattr(type(validator), "message", None)


def _label(field: forms.Field, name: str):
    return field.label if field.label is not None else pretty_name(name)


def _required(field: forms.Field, name: str) -> str:
    if isinstance(field, forms.BooleanField):
        return _("Tick this box to go on.")
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return _("Choose at least one.")
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return _("Choose one.")
    return interpolate_lazy(_("Please fill in “%(label)s”."), {"label": _label(field, name)})


def _invalid(field_class: type) -> str:
    if issubclass(field_class, forms.DecimalField | forms.FloatField):
        return _("Enter a number, for example 2.5.")
    if issubclass(field_class, forms.IntegerField):
        return _("Enter a whole number, for example 3.")
    if issubclass(field_class, forms.DateTimeField):
        return _("Enter a real date and time, for example 2026-03-14 09:30.")
    if issubclass(field_class, forms.DateField):
        return _("Enter a real date, for example 2026-03-14.")
    if issubclass(field_class, forms.TimeField):
        return _("Enter a time, for example 09:30.")
    if issubclass(field_class, forms.DurationField):
        return _("Enter a length of time, for example 1:30:00.")
    if issubclass(field_class, forms.EmailField):
        return _("Enter an email address, for example name@example.com.")
    if issubclass(field_class, forms.URLField):
        return _("Enter a web address, for example https://example.org.")
    return _("This doesn’t look right. Check what you typed.")


def _whole_digits_message(max_digits: int | None, places: int | None):
    if max_digits is not None and places is not None:
        return interpolate_lazy(
            _("Enter a number smaller than %(limit)s."), {"limit": 10 ** (max_digits - places)}
        )
    return MAX_WHOLE_DIGITS


def _max_digits_message(max_digits: int | None, places: int | None):
    if max_digits is None or places is None:
        return MAX_DIGITS
    if places == 0:
        return interpolate_lazy(
            _("Enter a whole number of at most %(digits)s digits."), {"digits": max_digits}
        )
    return interpolate_lazy(
        _("Use at most %(digits)s digits, with at most %(places)s after the decimal point."),
        {"digits": max_digits, "places": places},
    )


@functools.cache
def _messages_by_code(field_class: type, max_digits: int | None, places: int | None) -> dict:
    """Every message but "required", which names the field: the same for each such field."""
    messages = {}
    if "invalid" in _stock_messages(field_class) or issubclass(field_class, forms.EmailField):
        messages["invalid"] = _invalid(field_class)
    if issubclass(field_class, forms.ChoiceField | forms.ModelChoiceField):
        for code in ("invalid_choice", "invalid_list", "invalid_pk_value"):
            messages[code] = _("Choose from the options shown.")
    if issubclass(field_class, forms.SplitDateTimeField):
        messages["invalid_date"] = _("Enter a real date, for example 2026-03-14.")
        messages["invalid_time"] = _("Enter a time, for example 09:30.")
    if issubclass(field_class, TEMPORAL_FIELDS):
        messages["min_value"] = _("Enter %(limit_value)s or later.")
        messages["max_value"] = _("Enter %(limit_value)s or earlier.")
    else:
        messages["min_value"] = _("Enter a number of at least %(limit_value)s.")
        messages["max_value"] = _("Enter a number of at most %(limit_value)s.")
    messages["step_size"] = _("Enter a number in steps of %(limit_value)s.")
    messages["max_length"] = MAX_LENGTH
    messages["min_length"] = MIN_LENGTH
    messages["max_digits"] = _max_digits_message(max_digits, places)
    messages["max_whole_digits"] = _whole_digits_message(max_digits, places)
    if places == 0:
        messages["max_decimal_places"] = _("Enter a whole number.")
    else:
        messages["max_decimal_places"] = MAX_DECIMAL_PLACES
    messages["null_characters_not_allowed"] = _(
        "This text holds an invisible character that can’t be saved. Type it again."
    )
    return messages


def plain_messages(field: forms.Field, name: str) -> dict:
    """The plain message for every error code this field can raise."""
    required = _required(field, name)
    # Model validation reports an empty required value as "blank" or "null".
    messages = {"required": required, "blank": required, "null": required}
    limits = (getattr(field, "max_digits", None), getattr(field, "decimal_places", None))
    messages.update(_messages_by_code(type(field), *limits))
    return messages


def _limit_note(max_length: int):
    return interpolate_lazy(_("Up to %(limit)s characters."), {"limit": max_length})


TOO_LONG_AGO = _("That date is too long ago. Check the year.")  # before models.EARLIEST_DAY
SKIPPED_HOUR = _(
    "The clocks went forward then, so this time did not exist here. "
    "Enter the time your clock showed, for example an hour later."
)


def never_happened(wall: dt.datetime, zone: dt.tzinfo) -> bool:
    """Whether the local time ``wall`` (naive) fell in an hour the clocks skipped in ``zone``."""
    local = wall.replace(tzinfo=zone)
    return local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != wall


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the diary's zone, read as the infusion form reads its separate
    date and time: the hour the clocks go back happened twice, and is taken as its first time
    (Django refuses it as ambiguous, so a headache felt at 01:30 that night could not be
    logged); an hour the clocks skipped never happened, and is refused in plain words."""

    default_error_messages = {"skipped_hour": SKIPPED_HOUR}

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "ambiguous_timezone":
                raise
        zone = timezone.get_current_timezone()
        with timezone.override(dt.UTC):  # never ambiguous: the same wall time, read as UTC
            wall = super().to_python(value).replace(tzinfo=None)
        if never_happened(wall, zone):
            raise ValidationError(self.error_messages["skipped_hour"], code="skipped_hour")
        return wall.replace(tzinfo=zone)  # fold 0: the first of a repeated hour


class PlainWordsMixin:
    """Put first in a form's bases: ``class NoteForm(PlainWordsMixin, forms.ModelForm)``.

    The messages are set when a field is first rendered or validated, so fields that a form
    adds or changes in ``__init__`` are covered too.
    """

    # Length limits stated under text fields, with a live counter. Off for a form whose limits
    # nobody reaches and whose page must stay bare (signing in: "0 of 320 characters" under the
    # email address is noise to a tired patient).
    show_limits = True

    def __getitem__(self, name):
        # Before the bound field exists: it copies the help text when it is made.
        field = self.fields.get(name)
        if field is not None and not field.__dict__.get("_plain_done"):
            self._plain_words(name, field)
        return super().__getitem__(name)

    def full_clean(self):
        for name, field in self.fields.items():
            self._plain_words(name, field)
        self._one_character_per_line_break()
        super().full_clean()

    def _clean_fields(self):
        super()._clean_fields()
        self._keep_moments_not_changed()

    def _keep_moments_not_changed(self) -> None:
        """A date and time sent back as the form showed it keeps the moment it stood for. The
        box shows minutes, not seconds nor which of a repeated hour: re-reading "01:30" on the
        night the clocks go back moved an entry logged in its second 01:30 an hour earlier
        when only its notes were edited (code review)."""
        for name, field in self.fields.items():
            if not isinstance(field, LocalDateTimeField) or name not in self.cleaned_data:
                continue
            initial = self.get_initial_for_field(field, name)
            if not isinstance(initial, dt.datetime) or timezone.is_naive(initial):
                continue
            shown = field.widget.format_value(field.prepare_value(initial))
            if str(self[name].data or "").strip() == shown:
                self.cleaned_data[name] = initial

    def _one_character_per_line_break(self) -> None:
        """Browsers send a line break in a textarea as CR LF, which would count as two
        characters against the limit; the counter in the page (and the user) count one."""
        if not self.is_bound:
            return
        keys = [
            self.add_prefix(name)
            for name, field in self.fields.items()
            if isinstance(field.widget, forms.Textarea)
        ]
        keys = [k for k in keys if any("\r\n" in v for v in _values(self.data, k))]
        if not keys:
            return
        data = self.data.copy()
        for key in keys:
            normalised = [v.replace("\r\n", "\n") for v in _values(self.data, key)]
            if hasattr(data, "setlist"):
                data.setlist(key, normalised)
            else:
                data[key] = normalised[0]
        self.data = data

    def _model_validators(self, name: str) -> list:
        model = getattr(getattr(self, "_meta", None), "model", None)
        if model is None:
            return []
        try:
            return list(model._meta.get_field(name).validators)
        except Exception:  # not a model field (a form-only field), or no such field
            return []

    def _plain_words(self, name: str, field: forms.Field) -> None:
        ours = field.__dict__.get("_plain_codes", frozenset())
        stock = _stock_messages(type(field))
        validators = list(field.validators) + self._model_validators(name)
        custom = {getattr(v, "code", None) for v in validators if _has_custom_message(v)}
        errors, set_now = field.error_messages, []
        for code, message in plain_messages(field, name).items():
            current = errors.get(code)
            # Replace Django's own message (or none) and ours; keep what the form set.
            if code not in custom and (
                current is None or code in ours or current is stock.get(code)
            ):
                errors[code] = message
                set_now.append(code)
        # A frozenset, reassigned: Field.__deepcopy__ shares attributes between copies.
        field._plain_codes = ours.union(set_now)
        field._plain_done = True
        if self.show_limits:
            self._show_limit(field)

    @staticmethod
    def _show_limit(field: forms.Field) -> None:
        """State a text field's length limit in its help text; app.js turns it into a counter."""
        max_length = getattr(field, "max_length", None)
        widget = field.widget
        if not max_length or widget.is_hidden or not isinstance(widget, TEXT_WIDGETS):
            return
        # The counter's wording, for app.js to fill in as the user types.
        widget.attrs.setdefault("data-counter", _("{used} of {limit} characters"))
        widget.attrs.setdefault(
            "data-counter-over", _("{used} of {limit} characters: {over} too many")
        )
        if field.help_text is field.__dict__.get("_limit_help"):
            return  # already stated, and the form has not replaced the help text since
        note = _limit_note(max_length)
        # Tested without evaluating a lazy help text (that would translate it now).
        empty = field.help_text is None or (
            isinstance(field.help_text, str) and not field.help_text
        )
        field.help_text = note if empty else format_lazy("{} {}", field.help_text, note)
        field._limit_help = field.help_text


def _values(data, key: str) -> list[str]:
    values = data.getlist(key) if hasattr(data, "getlist") else [data.get(key)]
    return [v for v in values if isinstance(v, str)]
