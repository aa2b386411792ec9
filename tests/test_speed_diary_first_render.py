"""The measures page and the quick log's answer, as first rendered, say what they said before
the speed pass that rewrote them (docs/decisions.md, "Speed ... measures page and quick log"):

* the measures page's sections are written in Python (``{% measure_sections %}``), its rows read
  as plain values (``queries.MeasureRow``): the same markup as the template that wrote them, and
  the same wording as ``Measure.display_value``;
* the quick log's answer takes the latest reading of the episode it added to from the day's lists
  (read after the write) rather than asking again, builds no unfilled form when the cached one is
  shown, and names the signed-in member's own entries without reading every member;
* the quick log checks the sign by its code.
"""

import datetime as dt
import html
import re
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinical import symptoms
from diary import entries, queries, views
from diary.forms import QuickLogForm
from diary.models import Measure, SymptomEntry
from patients.caching import first_render
from patients.models import Membership

from .factories import MembershipFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=LONDON)  # a Monday morning
MEMBERS_QUERY = 'FROM "patients_membership" INNER JOIN "patients_user"'


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def section(body: str, dom_id: str) -> str:
    start = body.rindex("<section", 0, body.index(f'id="{dom_id}"'))
    return body[start : body.index("</section>", start)]


def quick_log(client, patient, **data):
    return client.post(
        reverse("diary:quick-log", args=[patient.public_id]), data, HTTP_HX_REQUEST="true"
    )


# --- the measures page ----------------------------------------------------------------------------

# What measures.html's partial was before it moved to Python, whitespace and all.
OLD_SECTIONS = """
{% for section in sections %}
  <section class="card mb-3 measures-section" aria-labelledby="m-{{ section.kind }}">
    <div class="card-body">
      <div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-2">
        <h2 class="h5 mb-0" id="m-{{ section.kind }}">{{ section.label }}</h2>
        {% if request.membership.can_write %}<a class="btn btn-outline-primary" href="{% url 'diary:measure-add' patient.public_id section.kind %}">{% blocktranslate with what=section.label %}Add {{ what }}{% endblocktranslate %}</a>{% endif %}
      </div>
      {% if section.rows %}
        {% if section.kind == "mgadl" %}<p class="mgadl-latest mb-2">{% blocktranslate with meaning=section.rows.0.total|mgadl_meaning date=section.rows.0.measured_at|date:"j M" %}Latest ({{ date }}): {{ meaning }}{% endblocktranslate %}</p>{% endif %}
        <div class="table-responsive"><table class="table table-sm align-middle mb-0 measures-table">
          <thead><tr><th scope="col">{% translate "Date" %}</th><th scope="col">{% translate "Value" %}</th>{% if section.kind == "mgadl" %}<th scope="col">{% translate "Change" %}</th>{% endif %}<th scope="col">{% translate "Day after infusion" %}</th></tr></thead>
          <tbody>
            {% measure_rows section %}
          </tbody>
        </table></div>
        {% if section.kind == "mgadl" %}<p class="small text-body-secondary mt-2 mb-0">{% translate "Higher = more symptoms (0-24). A drop of 2 points or more is a meaningful improvement." %} {{ section.citation }}</p>
        {% elif section.citation %}<p class="small text-body-secondary mt-2 mb-0">{{ section.citation }}</p>{% endif %}
      {% else %}
        <p class="text-body-secondary mb-0">{% translate "Nothing recorded yet." %}</p>
      {% endif %}
    </div>
  </section>
{% endfor %}
{% if request.membership.can_write and other_kinds %}
  <section class="mt-4" aria-labelledby="other-measures">
    <h2 class="h6" id="other-measures">{% translate "Other measures" %}</h2>
    <div class="d-flex flex-wrap gap-2">
      {% for kind, label in other_kinds %}<a class="btn btn-outline-secondary" href="{% url 'diary:measure-add' patient.public_id kind %}">{{ label }}</a>{% endfor %}
    </div>
  </section>
{% endif %}
"""  # noqa: E501


def measure(patient, user, days: int, **fields) -> Measure:
    row = Measure(patient=patient, measured_at=NOW - dt.timedelta(days=days, hours=days), **fields)
    entries.save(row, user)
    return row


@pytest.fixture
def measures_of_every_kind(patient, owner):
    patient.conditions = ["mg", "cidp", "gbs", "itp"]
    patient.weight_unit = "lb"
    patient.save()
    for days, total in enumerate([6, 4, 4, 1, 0, 3]):
        measure(patient, owner, days * 3, kind="mgadl", value=total)
    measure(patient, owner, 1, kind="custom", name="Steps <walk> & 'x'", value=4000, unit="st<")
    measure(patient, owner, 2, kind="grip", value=Decimal("25.5"), unit="kg")
    measure(patient, owner, 3, kind="grip", value=30, value_right=Decimal("31.25"), unit="lb")
    measure(patient, owner, 4, kind="incat", value=3, answers={"arms": 1, "legs": 2})
    measure(patient, owner, 5, kind="gbs_disability", value=2)
    measure(patient, owner, 6, kind="weight", value=Decimal("70.30"))
    # platelets: a usual measure with nothing recorded


@pytest.mark.parametrize("who", ["owner", "viewer"])
def test_the_sections_are_what_the_template_wrote(patient, owner, viewer, who, request):
    request.getfixturevalue("measures_of_every_kind")
    user = owner if who == "owner" else viewer
    page = RequestFactory().get("/")
    page.user = user
    page.patient = patient
    page.membership = Membership.objects.get(user=user, patient=patient)
    with timezone.override(patient.tz):
        context = views._measures_context(page)
        old = engines["django"].from_string("{% load i18n mgadl diary_rows %}" + OLD_SECTIONS)
        new = engines["django"].from_string(
            "{% load diary_rows %}{% measure_sections sections other_kinds %}"
        )
        reference = old.render(context, page)
        assert new.render(context, page) == reference
    assert "Nothing recorded yet." in reference  # platelets
    assert ("Add MG-ADL score" in reference) == (who == "owner")
    assert "Steps &lt;walk&gt; &amp; &#x27;x&#x27;: 4000 st&lt;" in reference


def test_rows_are_worded_by_the_model(patient, owner, measures_of_every_kind):
    rows = [row for section in queries.measures(patient) for row in section.rows]
    models = {m.pk: m for m in Measure.objects.filter(patient=patient)}
    assert len(rows) == len(models) == 12
    for row in rows:
        model = models[row.pk]
        assert row.shown_value == model.display_value("lb")
        assert (row.kind, row.measured_at, row.total) == (
            model.kind,
            model.measured_at,
            model.total,
        )
        assert (row.days_after_infusion, row.day_of_cycle) == (
            model.days_after_infusion,
            model.day_of_cycle,
        )


# --- the quick log's answer -----------------------------------------------------------------------


def test_same_one_answers_with_the_latest_reading_without_asking_it(patient, owner, owner_client):
    """A "this morning" severity added to an episode whose later reading is newer: the answer
    says the newer one (read with the day's lists), and no query looks for it again."""
    with time_machine.travel(NOW - dt.timedelta(hours=4), tick=False):  # 07:00
        going = SymptomEntry(patient=patient, symptom="headache", severity=4, onset=timezone.now())
        entries.save(going, owner)
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):  # 10:00
        entries.add_reading(going, 7, timezone.now(), owner)
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries_run:
        response = quick_log(
            owner_client, patient, symptom="headache", severity="3", when="morning", episode="same"
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Added to the same Headache (since Mon 07:00): now 7 (severe), worst so far 7." in text(
        body
    )
    assert going.readings.count() == 2  # 08:00 (3) and 10:00 (7)
    latest_asked = 'FROM "diary_symptomreading" WHERE "diary_symptomreading"."entry_id" = '
    assert not [q for q in queries_run if latest_asked in q["sql"] and "DESC" in q["sql"]]


def test_the_unfilled_quick_log_is_built_only_when_rendered(patient, owner, owner_client):
    url = reverse("today", args=[patient.public_id])
    owner_client.get(url)  # the CSRF cookie, part of the cached form's key
    built = []
    real_init = QuickLogForm.__init__

    def counting_init(self, *args, **kwargs):
        built.append(args)
        real_init(self, *args, **kwargs)

    with mock.patch.object(QuickLogForm, "__init__", counting_init), first_render():
        first = owner_client.get(url).content.decode()  # the form's HTML is cached now
        assert len(built) == 1
        again = owner_client.get(url).content.decode()
        assert len(built) == 1  # Today's main part built again, the cached form shown
    cut = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert cut.sub("", first) == cut.sub("", again)
    assert 'name="when"' in again


def test_the_answer_names_the_signed_in_members_entries_without_reading_members(
    patient, owner, owner_client
):
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries_run:
        body = quick_log(owner_client, patient, symptom="nausea", severity="2").content.decode()
    assert text(section(body, "today-entries")).endswith(f"· {owner}")
    assert not [q for q in queries_run if MEMBERS_QUERY in q["sql"]]


def test_entries_of_other_members_are_named_as_before(patient, owner, caregiver, client):
    """Signed in as the owner or as a caregiver, each entry names who logged it, and a "same
    one" reading today names who noted it."""
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        begun = SymptomEntry(patient=patient, symptom="fatigue", severity=3, onset=timezone.now())
        entries.save(begun, owner)  # yesterday, still going
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        entries.add_reading(begun, 5, timezone.now(), caregiver)  # today, by the caregiver
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        entries.save(
            SymptomEntry(patient=patient, symptom="nausea", severity=2, onset=timezone.now()),
            owner,
        )
    helper = MembershipFactory(patient=patient, role=Membership.Role.CAREGIVER_EDITOR).user
    for user, expected in [
        (owner, [f"{owner}", f"{caregiver} (caregiver)"]),
        (caregiver, [f"{owner}", f"{caregiver} (caregiver)"]),
        (helper, [f"{owner}", f"{caregiver} (caregiver)"]),
    ]:
        client.force_login(user)
        with time_machine.travel(NOW, tick=False), first_render():
            body = client.get(reverse("today", args=[patient.public_id])).content.decode()
        items = re.findall(r"<li>(.*?)</li>", section(body, "today-entries"), re.S)
        assert [text(item).rsplit("· ", 1)[1] for item in items] == expected, user


def test_a_caregiver_who_logged_everything_is_named_as_a_caregiver(
    patient, owner, caregiver, caregiver_client
):
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries_run:
        body = quick_log(caregiver_client, patient, symptom="nausea", severity="2")
        body = body.content.decode()
    assert text(section(body, "today-entries")).endswith(f"· {caregiver} (caregiver)")
    assert not [q for q in queries_run if MEMBERS_QUERY in q["sql"]]


# --- the sign -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [code for code, _label in symptoms.choices()])
def test_every_sign_of_the_catalog_is_a_valid_choice(patient, code):
    field = QuickLogForm(patient=patient).fields["symptom"]
    assert field.valid_value(code)
    assert field.clean(code) == code


def test_a_sign_outside_the_catalog_is_refused_as_before(patient):
    form = QuickLogForm({"symptom": "bogus", "severity": "3"}, patient=patient)
    assert not form.is_valid()
    assert form.errors["symptom"] == ["Choose from the options shown."]
    assert QuickLogForm(patient=patient).fields["symptom"].valid_value(SymptomEntry.OTHER)
    assert not QuickLogForm(patient=patient).fields["symptom"].valid_value("")
