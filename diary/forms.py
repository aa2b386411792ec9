from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import formats, timezone
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from clinical import scales, symptoms
from patients.formats import (
    hour_minute,
    moment_words,
)
from patients.forms_base import TOO_LONG_AGO, LocalDateTimeField, PlainWordsMixin
from patients.models import EARLIEST_DAY, Patient
from patients.prepared import PreparedQuery

from .models import Measure, Note, SymptomEntry

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# A little slack for clocks that disagree by a few minutes.
FUTURE_GRACE = dt.timedelta(minutes=5)
LB_IN_KG = Decimal("0.45359237")

# Each number with its word ("moderate"), as the quick log shows them: never a number alone.
SEVERITY_RADIO_CHOICES = [
    (n, symptoms.severity_word(n)) for n in range(symptoms.SEVERITY_MIN, symptoms.SEVERITY_MAX + 1)
]


def severity_field(**kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_lazy("How bad is it?"),
        coerce=int,
        choices=SEVERITY_RADIO_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _lazy("Choose how bad it is, from 0 (none) to 10 (worst)."),
            "invalid_choice": _lazy("Choose a number from 0 to 10."),
        },
        **kwargs,
    )


def _no_form_tag() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


def _within_diary_time(moment: dt.datetime | None, future_message: str) -> None:
    """Every moment a diary form takes: not in the future (``future_message``), nor before
    the diary's earliest day (a measure dated 1890 was saved as typed: browser pass)."""
    if moment and moment > timezone.now() + FUTURE_GRACE:
        raise forms.ValidationError(future_message)
    if moment and timezone.localtime(moment).date() < EARLIEST_DAY:
        raise forms.ValidationError(TOO_LONG_AGO)


DETAIL_CHOICES = [
    (option.value, option.label)
    for question in symptoms.QUESTIONS.values()
    for option in question.options
]


class SymptomWordsMixin:
    """The symptom picked or typed, resolved into catalog signs before anything is saved.

    Typed words ("Something else") are matched against every sign's label and synonyms
    (``clinical.symptoms.recognise``) and saved as that sign, the words kept; a sign that needs
    a detail (swelling: where?; leg pain: one leg, swollen or warm?) asks for it first; words
    that match nothing but look like a sign get "Did you mean ...?". After ``is_valid()``:
    ``resolved`` = [(symptom code, detail)], one entry each.
    """

    def add_symptom_fields(self) -> None:
        # Answers to the one-tap questions: the current one as radios, earlier ones hidden.
        self.fields["detail"] = forms.MultipleChoiceField(
            label=_lazy("Where or which?"),
            choices=DETAIL_CHOICES,
            required=False,
            widget=forms.MultipleHiddenInput,
            error_messages={"invalid_choice": _lazy("Choose one of the answers.")},
        )
        self.fields["keep_typed"] = forms.BooleanField(required=False, widget=forms.HiddenInput)
        # The browser suggests signs as the patient types (a <datalist>, no script needed).
        self.fields["custom_symptom"].widget.attrs.update(
            {"list": "symptom-words", "autocomplete": "off"}
        )
        self.question: symptoms.DetailQuestion | None = None
        self.answered: list[str] = []
        self.suggestions: list[tuple[str, str]] = []
        self.resolved: list[tuple[str, str]] = []

    def resolve_symptom(self, cleaned: dict, unchanged_detail: bool = False) -> None:
        code = cleaned.get("symptom")
        typed = (cleaned.get("custom_symptom") or "").strip()
        answers = list(cleaned.get("detail") or [])
        self.answered = answers
        if not code:
            return
        if code != SymptomEntry.OTHER:
            cleaned["custom_symptom"] = ""
            question = symptoms.NEEDS_DETAIL.get(code)
            if question is None or unchanged_detail:
                self.resolved = [(code, "" if question is None else self.instance_detail())]
                return
            self._answer([question], answers, [])
            return
        if not typed:
            self.add_error("custom_symptom", _("Type what you feel, in your own words."))
            return
        found = symptoms.recognise(typed)
        resolved = [(c, dict(found.details).get(c, "")) for c in found.codes]
        if found.questions:
            # One question at a time, each answer kept for the next (hidden).
            self._answer(list(found.questions), answers, resolved)
            return
        if resolved:
            self.resolved = resolved
            return
        suggestions = symptoms.suggest(typed, leaving_out=found.denied)
        if suggestions and not cleaned.get("keep_typed"):
            self.suggestions = [(c, str(symptoms.label(c))) for c in suggestions]
            self.add_error(
                "custom_symptom",
                _("Did you mean %(names)s? Choose one below, or keep what you wrote.")
                % {"names": _(" or ").join(f"“{label}”" for _c, label in self.suggestions)},
            )
            return
        self.resolved = [(SymptomEntry.OTHER, "")]

    def instance_detail(self) -> str:
        instance = getattr(self, "instance", None)
        return getattr(instance, "detail", "") or ""

    def _answer(self, questions, answers: list[str], resolved: list[tuple[str, str]]) -> None:
        for question in questions:
            option = next(filter(None, (question.option(a) for a in answers)), None)
            if option is None:
                self.question = question
                self.add_error("detail", question.prompt)
                return
            resolved = [*resolved, (option.symptom, option.detail)]
        self.resolved = resolved

    @property
    def only_asks(self) -> bool:
        """Whether all that stops the save is a question (where? same one?), not a mistake."""
        return bool(self.errors) and set(self.errors) <= {"detail", "episode"}

    @property
    def symptom_words(self) -> list[str]:
        return symptoms.phrase_list()

    @property
    def question_choices(self):
        return [(o.value, o.label) for o in self.question.options] if self.question else []


# The newest entry of a sign still going, compiled once per process (the quick log's POST asks
# it on every save). Not for "other": its typed words are compared in Python (below).
_STILL_GOING = PreparedQuery(
    lambda patient, symptom: SymptomEntry.objects.filter(
        patient=patient, symptom=symptom, ended_at__isnull=True
    ).order_by("-onset")[:1],
    patient=int,
    symptom=str,
)


def words_key(typed: str) -> str:
    """Words typed for "something else", however spaced or cased: one side effect."""
    return " ".join((typed or "").split()).casefold()


def _same_detail(kept: str, given: str) -> bool:
    """Swelling of the legs and swelling all over are two things; a detail left out is none."""
    return not kept or not given or kept == given


def open_entry_of(
    patient: Patient, code: str, typed: str = "", detail: str = ""
) -> SymptomEntry | None:
    """The newest entry of sign ``code`` (for "other": of the same typed words; for a sign
    with a detail, of the same detail) still going."""
    if code != SymptomEntry.OTHER:
        found = _STILL_GOING(patient=patient.pk, symptom=code)
        if not found or _same_detail(found[0].detail, detail):
            return found[0] if found else None
        others = SymptomEntry.objects.filter(
            patient=patient, symptom=code, ended_at__isnull=True
        ).order_by("-onset")
        return next((e for e in others if _same_detail(e.detail, detail)), None)
    words = words_key(typed)
    # Few entries of one's own words are ever left open: compared here, spacing and case aside.
    candidates = SymptomEntry.objects.filter(
        patient=patient, symptom=code, ended_at__isnull=True
    ).order_by("-onset")
    return next((e for e in candidates if words_key(e.custom_symptom) == words), None)


def last_known_at(entry: SymptomEntry) -> dt.datetime:
    """The last moment an episode is known to have been going: its start, its latest severity
    ("same one"), or its latest "still going" (Today's button, or logged with "Still going"
    ticked). "A new one" may start, and so end it, no earlier."""
    latest = entry.latest_reading
    known = max(entry.onset, latest.at) if latest else entry.onset
    if entry.still_going_at is not None and entry.still_going_at > known:
        known = entry.still_going_at
    return known


def start_after_reading_error(reading) -> str:
    return _(
        "A later severity was noted at %(at)s, so it had begun by then: "
        "the start can’t be after it."
    ) % {"at": formats.date_format(timezone.localtime(reading.at), "D j M H:i")}


def end_before_reading_error(reading) -> str:
    return _(
        "A later severity was noted at %(at)s, so it was still going then: "
        "the end can’t be before it."
    ) % {"at": formats.date_format(timezone.localtime(reading.at), "D j M H:i")}


def _one_line_ending(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _already_says(kept: str, added: str, between: str) -> bool:
    """Whether ``kept`` already holds ``added`` as one of its parts joined by ``between``
    (``added`` may itself hold ``between``: "Paracetamol; rest")."""
    return (
        kept == added
        or kept.startswith(added + between)
        or kept.endswith(between + added)
        or between + added + between in kept
    )


class SameEpisodeMixin:
    """A sign already still going asks whether this is the same episode ("Same one" / "A new
    one"), the same way on the quick log and on the full form; ``diary.views._log_episode``
    saves the answer for both. After ``is_valid()``: ``open_entry``, the entry still going that
    the question was about (None if none was asked), and ``same_episode``.
    """

    SAME, NEW = "same", "new"
    same_one_says = _lazy("Same one: note how bad it is now")
    open_entry: SymptomEntry | None = None  # set by ask_same_episode, on the instance
    open_index: int | None = None  # where in ``resolved`` its sign is
    # The question to ask again ("Same one" / "A new one"): unanswered, or "A new one" refused
    # (``episode_refused``: why, said again beside the buttons).
    episode_question: str = ""
    episode_refused: str = ""
    # Where the start given is before the one still going was last known to go on, "A new one"
    # could never be saved: not offered, and this says why (browser pass: a backdated start
    # offered it, then refused it in words that made no sense for an earlier start).
    episode_new_impossible: str = ""
    # Typed words named several signs still going: [(index in resolved, entry)], one question
    # each, which the form cannot ask at once ("log them one at a time").
    several_going: list = []
    # Whether the severity given belongs to the start given (the full form), rather than to
    # now (the quick log): then "Same one" with an earlier start moves the episode's start back.
    severity_is_at_start = False

    def add_episode_field(self) -> None:
        # Free text, not a choice: a value that is neither answer (a stale or crafted form) is
        # no answer, and the question is asked, rather than an "invalid choice" error shown
        # nowhere, since the question shows only while something is still going.
        self.fields["episode"] = forms.CharField(required=False)

    def ask_same_episode(
        self,
        patient: Patient,
        cleaned: dict,
        ends: dt.datetime | None = None,
        starts: dt.datetime | None = None,
        starts_field: str = "onset",
    ) -> None:
        """Ask about the entry still going of a resolved sign (typed words can name several),
        unless this one ended (``ends``) before that one began: an earlier episode, over by
        then. When several of the signs are still going, one question cannot answer for all:
        the form asks for them one at a time."""
        typed = cleaned.get("custom_symptom") or ""
        going = []  # (index in resolved, entry still going)
        for index, (code, detail) in enumerate(self.resolved):
            found = open_entry_of(patient, code, typed, detail)
            if found is not None and not (ends is not None and ends < found.onset):
                going.append((index, found))
        if not going:
            return
        if len(going) > 1:
            self.several_going = going
            self.add_error(
                "custom_symptom" if "custom_symptom" in self.fields else None,
                _(
                    "%(what)s are still going. Log them one at a time, so that you can say "
                    "whether each is the same one."
                )
                % {"what": get_text_list([str(entry.label) for _i, entry in going], _("and"))},
            )
            return
        self.open_index, found = going[0]
        self.open_entry = found
        # "Chills since Mon 09:00: still going." (no verb to agree with "chills")
        question = _("%(what)s since %(since)s: still going. Is this the same one?") % {
            "what": capfirst(found.label),
            "since": moment_words(found.onset, patient.tz),
        }
        # "A new one: the other has stopped" stops it where this one starts: never before a
        # severity noted for it, or two episodes of one sign would overlap.
        answer = cleaned.get("episode")
        # The latest reading is read only where it can change what is asked or refused: "Same
        # one" answered reads nothing more (the quick log's every save).
        last_known = last_known_at(found) if answer != self.SAME else found.onset
        if starts is not None and starts < last_known:
            self.episode_new_impossible = _(
                "It can’t be a new one: a new %(what)s would start after %(at)s."
            ) % {"what": found.label, "at": moment_words(last_known, patient.tz)}
        if answer not in (self.SAME, self.NEW):
            self.episode_question = question
            self.add_error("episode", question)
        elif answer == self.NEW and self.episode_new_impossible:
            refused = _(
                "%(what)s was still going at %(at)s, so a new one can’t start before "
                "that. Choose “Same one”, or a later start."
            ) % {"what": capfirst(found.label), "at": moment_words(last_known, patient.tz)}
            # Asked again, "Same one" to tap and why this one cannot be new beside it (on a
            # phone the start's own message is below the fold).
            self.episode_question = question
            self.episode_refused = refused
            self.add_error(starts_field, refused)

    def others_resolved(self) -> list[tuple[str, str]]:
        """The signs typed besides the one(s) still going that "Same one" is asked about."""
        asked = {i for i, _entry in self.several_going} or {self.open_index}
        return [r for i, r in enumerate(self.resolved) if i not in asked]

    @property
    def same_episode(self) -> bool:
        return self.open_entry is not None and self.cleaned_data.get("episode") == self.SAME

    def episode_changes(self) -> dict:
        """What else to write on the entry still going, besides the reading ("same one")."""
        return {}


def _quick_log_signs() -> list[tuple[str, object]]:
    """What the quick log offers: the catalog's signs, then "something else"."""
    return [*symptoms.choices(), (SymptomEntry.OTHER, _("Something else"))]


class _SignField(forms.ChoiceField):
    """The quick log's sign: valid when its code is one of ``_quick_log_signs()``. Django's own
    check normalises every choice again on each call, ~60 µs of every quick log for ~35 signs
    (docs/decisions.md, "Speed"); the codes alone say the same."""

    def valid_value(self, value) -> bool:
        text = str(value)
        return any(text == code for code, _label in _quick_log_signs())


class QuickLogForm(PlainWordsMixin, SymptomWordsMixin, SameEpisodeMixin, forms.Form):
    """Symptom, severity, save: three taps from the home page."""

    NOW, THIS_MORNING, LAST_NIGHT = "now", "morning", "night"

    symptom = _SignField(
        label=_lazy("What do you feel?"),
        choices=_quick_log_signs,
        widget=forms.RadioSelect,
        error_messages={"required": _lazy("Choose what you feel.")},
    )
    custom_symptom = forms.CharField(
        label=_lazy("In your own words"),
        max_length=60,
        required=False,
    )
    severity = severity_field()
    when = forms.ChoiceField(
        label=_lazy("Since when?"),
        choices=[
            (NOW, _lazy("Now")),
            (THIS_MORNING, _lazy("This morning")),
            (LAST_NIGHT, _lazy("Last night")),
        ],
        initial=NOW,
        required=False,
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        self.add_symptom_fields()
        self.add_episode_field()

    def clean(self):
        cleaned = super().clean()
        self.resolve_symptom(cleaned)
        zero = cleaned.get("severity") == 0
        if zero:
            # 0 about a sign still going can only mean it has stopped (clinical.md: 0 is "not
            # present"): no "same one?" question, whose "A new one" made an empty episode. A 0
            # from before that one began says only that it was not there then: it is ended at
            # its own time (``ends``), and the one still going is left alone.
            cleaned["episode"] = self.SAME
        self.ask_same_episode(
            self.patient,
            cleaned,
            ends=self.onset() if zero else None,
            starts=self.onset(),
            starts_field="when",
        )
        return cleaned

    def onset(self) -> dt.datetime:
        now = timezone.localtime(timezone.now(), self.patient.tz)
        when = self.cleaned_data.get("when") or self.NOW
        if when == self.THIS_MORNING:
            return min(now, now.replace(hour=8, minute=0, second=0, microsecond=0))
        if when == self.LAST_NIGHT:
            yesterday = now.date() - dt.timedelta(days=1)
            return dt.datetime.combine(yesterday, dt.time(22, 0), tzinfo=self.patient.tz)
        return now


class FollowUpForm(PlainWordsMixin, forms.Form):
    """The warning signs to ask about after a symptom that could be a red flag."""

    BANDS = [(3, _lazy("Mild")), (5, _lazy("Moderate")), (8, _lazy("Severe"))]

    signs = forms.MultipleChoiceField(
        label=_lazy("Do you also have any of these?"),
        choices=symptoms.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _lazy("Tick the signs you have, or close this question.")},
    )
    severity = forms.TypedChoiceField(
        label=_lazy("How bad are they?"),
        coerce=int,
        choices=BANDS,
        initial=5,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, codes: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if codes is not None:  # only these signs may be ticked (none: nothing to answer)
            labels = dict(symptoms.choices())
            self.fields["signs"].choices = [(code, labels[code]) for code in codes]


class SymptomEntryForm(PlainWordsMixin, SymptomWordsMixin, SameEpisodeMixin, forms.ModelForm):
    # Its severity is at the start typed here, not "now" as on the quick log.
    same_one_says = _lazy("Same one: add this to it")
    severity_is_at_start = True
    symptom = forms.ChoiceField(
        label=_lazy("Symptom"),
        choices=lambda: (
            [("", _("Choose"))]
            + list(symptoms.choices())
            + [(SymptomEntry.OTHER, _("Something else (type it below)"))]
        ),
        error_messages={"required": _lazy("Choose the symptom.")},
    )
    severity = severity_field()
    still_going = forms.BooleanField(label=_lazy("Still going"), required=False, initial=True)

    class Meta:
        model = SymptomEntry
        fields = [
            "symptom",
            "custom_symptom",
            "severity",
            "onset",
            "still_going",
            "ended_at",
            "helped",
            "notes",
        ]
        widgets = {
            "onset": DATETIME_INPUT,
            "ended_at": DATETIME_INPUT,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"onset": LocalDateTimeField, "ended_at": LocalDateTimeField}
        error_messages = {
            "onset": {
                "required": _lazy("When did it start?"),
                "invalid": _lazy("Enter a real date and time."),
            },
            "ended_at": {"invalid": _lazy("Enter a real date and time.")},
        }
        help_texts = {
            "ended_at": _lazy("When it stopped. Leave it empty while “Still going” is ticked.")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["still_going"].initial = self.instance.ended_at is None
        elif self.initial.get("onset") is None:  # the model form puts onset=None there
            self.initial["onset"] = timezone.localtime().replace(second=0, microsecond=0)
        self.helper = _no_form_tag()
        self.add_symptom_fields()
        self._readings: list = []  # an edited entry's later ones, oldest first
        if not self.instance.pk:  # an edit corrects its own entry: it asks about no other
            self.add_episode_field()
        self._episode_changes: dict = {}
        # A symptom saved from typed words shows as that sign, with the words kept.
        if self.instance.pk and self.instance.symptom != SymptomEntry.OTHER:
            self.fields["custom_symptom"].help_text = _lazy("Your own words, if you typed them.")
        if self.instance.pk:
            self._say_severity_is_the_first()

    def _say_severity_is_the_first(self) -> None:
        """The severity here is the one the entry began with; later ones ("same one") are
        readings of their own. With readings, say so, so that changing it is not taken for
        changing how bad it is now."""
        readings = list(self.instance.readings.order_by("at", "pk"))
        self._readings = readings
        self.instance.__dict__["latest_reading"] = readings[-1] if readings else None
        if not readings:
            return
        field = self.fields["severity"]
        field.label = _lazy("How bad at the start?")
        # In the zone the form's own fields show (the diary's, active in its views), not the
        # entry's own: after a move the start field and the hint must agree.
        zone = timezone.get_current_timezone()
        onset_day = timezone.localtime(self.instance.onset, zone).date()

        def at(reading) -> str:
            local = timezone.localtime(reading.at, zone)
            if local.date() == onset_day:
                return hour_minute(local.replace(tzinfo=None))
            return moment_words(reading.at, zone)

        if len(readings) <= 3:
            field.help_text = _("Later: %(readings)s.") % {
                "readings": ", ".join(
                    _("%(n)s at %(at)s") % {"n": r.severity, "at": at(r)} for r in readings
                )
            }
        else:
            latest = readings[-1]
            field.help_text = ngettext(
                "Later: %(count)s reading, the latest %(n)s at %(at)s.",
                "Later: %(count)s readings, the latest %(n)s at %(at)s.",
                len(readings),
            ) % {"count": len(readings), "n": latest.severity, "at": at(latest)}

    def clean_onset(self):
        onset = self.cleaned_data["onset"]
        _within_diary_time(onset, _("The start can’t be in the future."))
        return onset

    def clean_ended_at(self):
        ended = self.cleaned_data["ended_at"]
        _within_diary_time(ended, _("The end can’t be in the future. Tick “Still going” instead."))
        return ended

    def clean(self):
        cleaned = super().clean()
        unchanged = bool(self.instance.pk) and cleaned.get("symptom") == self.instance.symptom
        typed_kept = self.instance.custom_symptom if unchanged else ""
        self.resolve_symptom(cleaned, unchanged_detail=unchanged)
        if unchanged and cleaned.get("symptom") != SymptomEntry.OTHER:
            cleaned["custom_symptom"] = typed_kept
        onset, ended = cleaned.get("onset"), cleaned.get("ended_at")
        if cleaned.get("still_going") and ended and ended != self.instance.ended_at:
            # An end typed with "Still going" left ticked (it is ticked for a new entry): never
            # drop the end without a word. (Ticking it on an ended entry, its end unchanged,
            # reopens it.)
            self.add_error(
                "ended_at",
                _(
                    "You gave an end and “Still going” is ticked. Untick “Still going” to "
                    "save the end, or clear the end."
                ),
            )
        elif cleaned.get("still_going"):
            cleaned["ended_at"] = None
            self._refuse_going_at_none(cleaned)
        elif onset and ended and ended < onset:
            self.add_error("ended_at", _("The end is before the start."))
        elif ended and self.instance.pk and self.instance.peak_severity is not None:
            # A later severity ("same one") says it was still going then.
            latest = self.instance.latest_reading
            if latest is not None and ended < latest.at:
                self.add_error("ended_at", end_before_reading_error(latest))
        if onset and self._readings and onset > self._readings[0].at:
            # And that it had begun by the first of them.
            self.add_error("onset", start_after_reading_error(self._readings[0]))
        # An edit corrects its own entry: it asks about no other (nor itself).
        if not self.instance.pk and self.instance.patient_id is not None:
            self.ask_same_episode(
                self.instance.patient,
                cleaned,
                ends=cleaned.get("ended_at"),
                starts=cleaned.get("onset"),
            )
            if self.same_episode:
                self._check_episode_changes(cleaned)
        if not cleaned.get("still_going") and not cleaned.get("ended_at"):
            self._ask_when_it_stopped(cleaned)
        return cleaned

    def _ask_when_it_stopped(self, cleaned: dict) -> None:
        """ "Still going" unticked is "not going any more": with no end, saved, it stayed open
        and showed as still going everywhere (the second browser pass). Ask for the end, unless
        the entry ends by itself: its latest severity is 0, "not there"
        (``diary.entries.end_if_none``), whether typed here or its latest reading, or, on
        "Same one", the latest of the episode it joins with this one."""
        severity, onset = cleaned.get("severity"), cleaned.get("onset")
        if severity is None or onset is None or "ended_at" in self.errors:
            return  # their own messages speak first
        moments = [(onset, severity)]
        if self.instance.pk:
            moments += [(reading.at, reading.severity) for reading in self._readings]
        elif self.same_episode and self.open_entry is not None:
            going = self.open_entry
            moments.append((going.onset, going.severity))
            if going.latest_reading is not None:
                moments.append((going.latest_reading.at, going.latest_reading.severity))
        if max(moments, key=lambda moment: moment[0])[1] == 0:
            return
        self.add_error(
            "ended_at",
            _("When did it stop? Give the end, or tick “Still going” if it has not."),
        )

    def _refuse_going_at_none(self, cleaned: dict) -> None:
        """An edited entry whose latest severity is 0 cannot be "still going": 0 means not
        present (clinical.md), and saving would end it again at that 0 without a word
        (``diary.entries.end_if_none``). Said next to "Still going", with what to do."""
        if not self.instance.pk:
            return
        if self._readings:
            latest = self._readings[-1]
            if latest.severity == 0:
                self.add_error(
                    "still_going",
                    _(
                        "Its latest severity is 0 (none), noted at %(at)s: it had stopped "
                        "then. If it came back, log it again as a new one."
                    )
                    % {"at": formats.date_format(timezone.localtime(latest.at), "D j M H:i")},
                )
        elif cleaned.get("severity") == 0:
            self.add_error(
                "still_going",
                _("0 means it is not there. Choose how bad it is, or untick “Still going”."),
            )

    def _check_episode_changes(self, cleaned: dict) -> None:
        """On "same one", the end typed here ends the episode still going, and what helped
        and the notes are added to its own, if they fit."""
        going = self.open_entry
        changes = {}
        ended = cleaned.get("ended_at")
        if ended:
            latest = going.latest_reading
            if latest is not None and ended < latest.at:
                self.add_error("ended_at", end_before_reading_error(latest))
            else:
                changes["ended_at"] = ended
        for name, between in (("helped", "; "), ("notes", "\n")):
            kept = _one_line_ending(getattr(going, name) or "")
            added = _one_line_ending(cleaned.get(name) or "").strip()
            if not added or _already_says(kept, added, between):
                continue  # nothing new to add (a second tap on "Same one")
            joined = f"{kept}{between}{added}" if kept else added
            limit = SymptomEntry._meta.get_field(name).max_length
            if len(joined) > limit:
                self.add_error(
                    name,
                    _(
                        "With what the earlier entry already says, this is too long: "
                        "keep it to %(n)s characters."
                    )
                    % {"n": max(limit - len(kept) - len(between), 0)},
                )
            else:
                changes[name] = joined
        self._episode_changes = changes

    def episode_changes(self) -> dict:
        return self._episode_changes


class NoteForm(PlainWordsMixin, forms.ModelForm):
    rating = forms.TypedChoiceField(
        label=scales.GLOBAL_CHANGE_QUESTION,
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _lazy("Skip"))] + list(scales.GLOBAL_CHANGE_CHOICES),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Note
        fields = ["text", "rating", "written_at"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4}), "written_at": DATETIME_INPUT}
        field_classes = {"written_at": LocalDateTimeField}
        labels = {"text": _lazy("How are you doing?")}
        error_messages = {"text": {"required": _lazy("Write a few words.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _no_form_tag()

    def clean_written_at(self):
        written = self.cleaned_data["written_at"]
        _within_diary_time(written, _("The date can’t be in the future."))
        return written


class QuestionForm(PlainWordsMixin, forms.ModelForm):
    class Meta:
        model = Note
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": _lazy("Your question")}
        error_messages = {"text": {"required": _lazy("Write your question.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _no_form_tag()


class AnswerForm(PlainWordsMixin, forms.ModelForm):
    class Meta:
        model = Note
        fields = ["answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}
        labels = {"answer": _lazy("The doctor’s answer")}
        error_messages = {"answer": {"required": _lazy("Write the answer, in a few words.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].required = True
        self.helper = _no_form_tag()


# --- measures -----------------------------------------------------------------------------------


class MeasureForm(PlainWordsMixin, forms.ModelForm):
    """Base for the measure forms: a date, plus the value fields of each kind."""

    kind: str = ""

    class Meta:
        model = Measure
        fields = ["measured_at", "notes"]
        widgets = {"measured_at": DATETIME_INPUT}
        field_classes = {"measured_at": LocalDateTimeField}
        error_messages = {"measured_at": {"invalid": _lazy("Enter a real date and time.")}}

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        self.helper = _no_form_tag()
        self.order_fields(
            [f for f in self.fields if f not in {"measured_at", "notes"}] + ["measured_at", "notes"]
        )

    def clean_measured_at(self):
        measured = self.cleaned_data["measured_at"]
        _within_diary_time(measured, _("The date can’t be in the future."))
        return measured

    def fill(self, measure: Measure) -> None:
        """Copy the kind-specific fields onto the measure."""
        raise NotImplementedError

    def save(self, commit=True):
        measure = super().save(commit=False)
        measure.kind = self.kind
        self.fill(measure)
        if commit:
            measure.save()
        return measure


def _bounded_decimal(label, bounds: scales.Bounds, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(str(bounds.low)),
        max_value=Decimal(str(bounds.high)),
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        **kwargs,
    )


class MgAdlForm(MeasureForm):
    kind = Measure.Kind.MGADL

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        answers = self.instance.answers if self.instance.pk else {}
        for item in scales.MGADL_ITEMS:
            self.fields[item.code] = forms.TypedChoiceField(
                label=item.question,
                coerce=int,
                # The item score next to its wording, as on the published form.
                choices=[(score, f"{score} – {text}") for score, text in item.options],
                widget=forms.RadioSelect,
                initial=answers.get(item.code),
                error_messages={"required": _lazy("Answer this question (0 if normal).")},
            )
        self.order_fields([*scales.MGADL_ITEM_CODES, "measured_at", "notes"])

    def fill(self, measure):
        answers = {code: self.cleaned_data[code] for code in scales.MGADL_ITEM_CODES}
        measure.answers = answers
        measure.value = scales.mgadl_total(answers)


class GripForm(MeasureForm):
    kind = Measure.Kind.GRIP
    unit = forms.ChoiceField(
        label=_lazy("Measured in"),
        choices=[
            ("kg", _lazy("kg (hand dynamometer)")),
            ("kPa", _lazy("kPa (Martin vigorimeter)")),
        ],
        widget=forms.RadioSelect,
        initial="kg",
    )
    # Both hands: CIDP home monitoring compares them over time.
    left = forms.DecimalField(
        label=_lazy("Left hand"),
        min_value=0,
        max_digits=6,
        decimal_places=1,
        error_messages={"required": _lazy("Enter the left hand’s grip.")},
    )
    right = forms.DecimalField(
        label=_lazy("Right hand"),
        min_value=0,
        max_digits=6,
        decimal_places=1,
        error_messages={"required": _lazy("Enter the right hand’s grip.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial |= {
                "unit": self.instance.unit,
                "left": self.instance.value,
                "right": self.instance.value_right,
            }
        elif not self.is_bound:
            # A new reading in the unit of this diary's latest one: one quick save must not mix
            # kg and kPa (the trends draw one unit). Without a reading, kg as before.
            latest = (
                Measure.objects.filter(patient=self.patient, kind=self.kind)
                .values_list("unit", flat=True)
                .first()
            )
            if latest in dict(self.fields["unit"].choices):
                self.initial.setdefault("unit", latest)

    def clean(self):
        cleaned = super().clean()
        bounds = scales.GRIP_KPA_BOUNDS if cleaned.get("unit") == "kPa" else scales.GRIP_KG_BOUNDS
        for hand in ("left", "right"):
            value = cleaned.get(hand)
            if value is not None and not bounds.contains(float(value)):
                self.add_error(
                    hand,
                    _("%(value)s %(unit)s is outside what a grip measure shows (up to %(high)s).")
                    % {"value": value, "unit": bounds.unit, "high": bounds.high},
                )
        return cleaned

    def fill(self, measure):
        measure.unit = self.cleaned_data["unit"]
        measure.value = self.cleaned_data["left"]
        measure.value_right = self.cleaned_data["right"]


class PlateletsForm(MeasureForm):
    kind = Measure.Kind.PLATELETS
    count = _bounded_decimal(
        _lazy("Platelet count (× 10⁹/L)"),
        scales.PLATELETS_BOUNDS,
        help_text=_lazy("From your blood test result, e.g. 45 or 150."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["count"] = self.instance.value

    def fill(self, measure):
        measure.value = self.cleaned_data["count"]
        measure.unit = "10^9/L"


class WeightForm(MeasureForm):
    kind = Measure.Kind.WEIGHT
    weight = forms.DecimalField(
        label=_lazy("Weight"),
        max_digits=6,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.in_pounds = self.patient.weight_unit == Patient.WeightUnit.LB
        self.fields["weight"].label = _("Weight (lb)") if self.in_pounds else _("Weight (kg)")
        if self.instance.pk:
            kg = self.instance.value
            self.initial["weight"] = (
                (kg / LB_IN_KG).quantize(Decimal("0.1")) if self.in_pounds else kg
            )

    def clean_weight(self):
        weight = self.cleaned_data["weight"]
        kg = weight * LB_IN_KG if self.in_pounds else weight
        bounds = scales.WEIGHT_KG_BOUNDS
        if not bounds.contains(float(kg)):
            raise forms.ValidationError(
                _("That weight can’t be right. Check the number and the unit.")
            )
        return kg.quantize(Decimal("0.01"))

    def fill(self, measure):
        measure.value = self.cleaned_data["weight"]
        measure.unit = "kg"


class IncatForm(MeasureForm):
    """INCAT disability score (CIDP): one published grade for the arms, one for the legs."""

    kind = Measure.Kind.INCAT
    # The score's two parts, in the order shown; the template renders each grade as one
    # whole-row target, as the MG-ADL items are.
    LIMBS = ("arms", "legs")

    arms = forms.TypedChoiceField(
        label=_lazy("Arms: which describes them best?"),
        coerce=int,
        choices=[(grade, f"{grade} – {text}") for grade, text in scales.INCAT_ARM_GRADES],
        widget=forms.RadioSelect,
        error_messages={"required": _lazy("Choose how your arms are (0 if no problems).")},
    )
    legs = forms.TypedChoiceField(
        label=_lazy("Legs: which describes your walking best?"),
        coerce=int,
        choices=[(grade, f"{grade} – {text}") for grade, text in scales.INCAT_LEG_GRADES],
        widget=forms.RadioSelect,
        error_messages={"required": _lazy("Choose how your walking is (0 if not affected).")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            answers = self.instance.answers or {}
            self.initial |= {limb: answers.get(limb) for limb in self.LIMBS}

    @property
    def limb_fields(self):
        return [self[limb] for limb in self.LIMBS]

    def fill(self, measure):
        score = scales.IncatScore(arms=self.cleaned_data["arms"], legs=self.cleaned_data["legs"])
        measure.answers = {"arms": score.arms, "legs": score.legs}
        measure.value = score.total


class GbsDisabilityForm(MeasureForm):
    kind = Measure.Kind.GBS_DISABILITY
    level = forms.TypedChoiceField(
        label=_lazy("Which describes today best?"),
        coerce=int,
        # Only the grades from MIN to MAX: the published scale's grade 6 is never offered.
        choices=[
            (grade, label)
            for grade, label in scales.GBS_DISABILITY_CHOICES
            if scales.GBS_DISABILITY_MIN <= grade <= scales.GBS_DISABILITY_MAX
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _lazy("Choose the level that fits best.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["level"] = int(self.instance.value)

    def fill(self, measure):
        measure.value = self.cleaned_data["level"]


class CustomMeasureForm(MeasureForm):
    kind = Measure.Kind.CUSTOM
    measure_name = forms.CharField(label=_lazy("What you measured"), max_length=60)
    measure_unit = forms.CharField(label=_lazy("Unit"), max_length=20, required=False)
    number = forms.DecimalField(
        label=_lazy("Value"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial |= {
                "measure_name": self.instance.name,
                "measure_unit": self.instance.unit,
                "number": self.instance.value,
            }

    def fill(self, measure):
        measure.name = self.cleaned_data["measure_name"].strip()
        measure.unit = self.cleaned_data["measure_unit"].strip()
        measure.value = self.cleaned_data["number"]


MEASURE_FORMS: dict[str, type[MeasureForm]] = {
    form.kind: form
    for form in (
        MgAdlForm,
        IncatForm,
        GripForm,
        PlateletsForm,
        WeightForm,
        GbsDisabilityForm,
        CustomMeasureForm,
    )
}
