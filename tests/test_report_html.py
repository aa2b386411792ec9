"""The report's long lists written in Python (``reports.report_html``) against the template
loops they replaced (kept below as they were): the same HTML, byte for byte, on the demo diary
with hostile text in every field a person types (escaped exactly as autoescape escapes it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import timezone, translation

from diary.models import Note, SymptomEntry
from infusions.models import Infusion, InfusionLot, Premedication, Product
from patients.models import Patient
from reports import document, report_html, sections

pytestmark = pytest.mark.django_db

# The template loops as they were in templates/reports/_document.html, each with the words it
# uses (tests/data/report_loops_before.html).
_BEFORE = (Path(__file__).parent / "data" / "report_loops_before.html").read_text()
LOOPS = {
    part.split("\n", 1)[0]: part.split("\n", 1)[1].removesuffix("\n")
    for part in _BEFORE.split("=== ")[1:]
}


HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


@pytest.fixture
def demo() -> Patient:
    call_command("seed_demo")
    patient = Patient.objects.get(memberships__is_self=True)
    # Typed text everywhere the long lists show it, hostile.
    Infusion.objects.filter(patient=patient).update(nurse=HOSTILE, notes=HOSTILE + "x" * 250)
    InfusionLot.objects.filter(infusion__patient=patient).update(lot_number="L<1>&")
    Premedication.objects.filter(infusion__patient=patient).update(name="Para<cet>&amol")
    Product.objects.filter(infusion__patient=patient).update(name="Priv<igen> & Co")
    SymptomEntry.objects.filter(patient=patient, symptom="fatigue").update(
        symptom=SymptomEntry.OTHER, custom_symptom='aching <legs> & "arms"'
    )
    Note.objects.filter(patient=patient).update(text=HOSTILE + "\nsecond line\r\nthird")
    return patient


def _loop(name: str, context: Context) -> str:
    return Template("{% load i18n %}" + LOOPS[name]).render(context)


@pytest.mark.parametrize("days", [400, 60, 1])
def test_the_lists_equal_the_template_loops(demo, days):
    today = timezone.localdate()
    since = today - dt.timedelta(days=days)
    parts = [code for code, _title in sections.CHOICES]
    with translation.override("en"), timezone.override(demo.tz):
        doc = document.build(demo, since, today, parts)
        written = report_html.sections(doc)
        context = Context({"doc": doc})
        # The every-infusion-day list has had no template loop since it stopped being a table:
        # its escaping is checked below, its wording by the tests after this one.
        assert set(LOOPS) == {"cycle_rows", "course_effects", "notes"}
        for name in LOOPS:
            if not getattr(doc, name) and name != "course_effects":
                assert name not in written
                continue
            assert written[name] == _loop(name, context), name
    if days == 400:
        assert doc.cycle_rows and doc.infusion_rows and doc.course_effects and doc.notes
        days = written["infusion_rows"]
        assert "&lt;script&gt;" in days
        for typed in ("Priv&lt;igen&gt; &amp; Co", "L&lt;1&gt;&amp;", "Para&lt;cet&gt;&amp;amol"):
            assert typed in days
        assert "&amp;amp;" not in days and "&amp;lt;" not in days  # escaped once only
        assert "<script>" not in "".join(written.values())
        assert "Aching &lt;legs&gt; &amp; &quot;arms&quot;" in written["course_effects"]
        assert "<br>second line<br>third" in written["notes"]


def test_no_course_says_so():
    with translation.override("en"):
        assert report_html.course_effects([]) == "\n    <li>No course in this period.</li>\n  "


def test_the_reports_kept_translations_are_of_literals_only():
    """reports.document keeps each ``_`` message per language and process: only text written in
    the code may go through it (text that varies would be kept for ever)."""
    import ast

    source = (Path(__file__).parent.parent / "reports" / "document.py").read_text()
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
    ]
    assert len(calls) > 40
    for call in calls:
        assert len(call.args) == 1 and isinstance(call.args[0], ast.Constant), call.lineno
        assert isinstance(call.args[0].value, str), call.lineno


def test_the_reports_kept_translations_follow_the_language():
    with translation.override("en"):
        assert document._("Plan") == "Plan"
    assert ("en", "Plan") in document._TRANSLATED


def _one_day(demo, **changes):
    """The list item of the demo's first infusion day in the last 400 days, with ``changes``
    made to its row (``nurse``, ``notes``, ``site``, ``start_time``, ``end_time``,
    ``hydration``: to the infusion)."""
    today = timezone.localdate()
    with translation.override("en"), timezone.override(demo.tz):
        doc = document.build(demo, today - dt.timedelta(days=400), today, ["infusions"])
        row = doc.infusion_rows[0]
        for name, value in changes.items():
            on_infusion = name in {"nurse", "notes", "site", "start_time", "end_time", "hydration"}
            target = row.infusion if on_infusion else row
            setattr(target, name, value)
        return report_html.infusion_rows([row]).strip()


def test_an_infusion_day_reads_as_one_item_in_a_fixed_order(demo):
    """Every infusion day is a list item (a table was too slow to lay out over five years):
    day and times, product, dose, rate; lots; premedication; place and nurse; what happened
    during it. What was not recorded is said, not left blank."""
    plain = _one_day(
        demo,
        rate="",
        premedication=[],
        lots=[],
        reactions=[],
        notes="",
        nurse="",
        end_time=None,
        hydration="",
    )
    assert plain.startswith("<li><strong>")
    assert "lot not recorded; premedication none recorded; At home." in plain
    assert ", rate not recorded; " in plain
    assert plain.endswith("During the infusion: nothing logged.</li>")
    full = _one_day(
        demo,
        rate="up to 4 mL/kg/h",
        premedication=["Cetirizine 10 mg"],
        lots=["A1 (exp. 1 Jan 2027)", "B2"],
        reactions=["Chills 4 (moderate), infusion slowed", "Headache 3 (mild), nothing needed"],
        nurse="Anna B.",
        notes="",
        hydration="",
    )
    assert (
        ", up to 4 mL/kg/h; lots A1 (exp. 1 Jan 2027), B2; premedication Cetirizine 10 mg; "
        "At home, nurse Anna B. During the infusion: Chills 4 (moderate), infusion slowed; "
        "Headache 3 (mild), nothing needed.</li>" in full
    )
    one_lot = _one_day(demo, lots=["A1"], site="", nurse="", notes="", hydration="")
    assert "; lot A1; premedication " in one_lot
    assert "; ," not in one_lot and "; ." not in one_lot  # no place: nothing for it
    ended = _one_day(demo, start_time=None, end_time=dt.time(11, 30))
    assert "</strong>, until 11:30: " in ended
    noted = _one_day(demo, reactions=[], notes="Cannula at the\nsecond try.", hydration="1 L water")
    assert (
        "; hydration 1 L water. During the infusion: nothing logged. "
        '<span class="report-small">Notes: Cannula at the second try.</span></li>' in noted
    )
    medication = _one_day(demo, reactions=["Headache 6 (moderate), medication given: cetirizine."])
    assert "medication given: cetirizine.</li>" in medication or "cetirizine. <span" in medication


def test_a_rate_logged_in_ml_per_hour_without_a_weight_is_shown_as_logged():
    """mL/h on a day logged without a weight cannot be put per kg: the report gives the
    fastest step as the pump showed it, and says "rate not recorded" only with no step."""
    from decimal import Decimal

    from infusions.models import RateStep

    from .factories import InfusionFactory, PatientFactory

    patient = PatientFactory()
    infusion = InfusionFactory(patient=patient, weight_kg=None)
    RateStep.objects.filter(infusion=infusion).delete()
    for minutes, rate in ((0, "50"), (30, "200"), (60, "120")):
        RateStep.objects.create(
            infusion=infusion, minutes_from_start=minutes, rate=Decimal(rate), unit="mL/h"
        )
    with translation.override("en"), timezone.override(patient.tz):
        doc = document.build(patient, infusion.date, infusion.date, ["infusions"])
        assert [row.rate for row in doc.infusion_rows] == ["up to 200 mL/h"]
        item = report_html.infusion_rows(doc.infusion_rows)
    assert "up to 200 mL/h; " in item and "rate not recorded" not in item
    RateStep.objects.filter(infusion=infusion).delete()
    with translation.override("en"), timezone.override(patient.tz):
        doc = document.build(patient, infusion.date, infusion.date, ["infusions"])
        assert [row.rate for row in doc.infusion_rows] == [""]
        assert ", rate not recorded; " in report_html.infusion_rows(doc.infusion_rows)


def test_a_rate_never_recorded_is_worded_one_way_in_the_whole_report(client):
    """The day's item, the cycle's row and page 1 all say "not recorded" (the row said "—"
    and page 1 nothing, beside the day's "rate not recorded")."""
    from infusions.models import RateStep

    from .factories import InfusionFactory, MembershipFactory, PatientFactory

    patient = PatientFactory()
    membership = MembershipFactory(patient=patient, is_self=True)
    infusion = InfusionFactory(patient=patient)
    RateStep.objects.filter(infusion=infusion).delete()
    client.force_login(membership.user)
    page = client.get(
        f"/p/{patient.public_id}/report/",
        {
            "period": "custom",
            "custom_from": infusion.date.isoformat(),
            "custom_to": infusion.date.isoformat(),
            "parts": ["cycles", "infusions"],
        },
    )
    text = " ".join(page.content.decode().split())
    assert "; highest rate not recorded." in text  # page 1
    assert "highest rate not recorded; premedication" in text  # the cycle's row
    assert ", rate not recorded; " in text  # the day
    assert "highest rate —" not in text


@pytest.mark.parametrize(
    ("dose", "shown"),
    [("1.03", "1.03"), ("1.00", "1"), ("0.50", "0.5"), ("0.51", "0.51"), ("10.00", "10")],
)
def test_a_dose_per_kg_shows_two_decimals_as_the_other_pages_do(dose, shown):
    """70 g at 68 kg is 1.03 g/kg: "1.0" beside a plan of 1 g/kg hid the difference."""
    from decimal import Decimal

    with translation.override("en"):
        assert document.per_kg(Decimal(dose)) == shown
