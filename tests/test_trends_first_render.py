"""What the faster first render of the trends page and the quick log must keep (issue 9 §3).

``reports.cycles.load`` reads its four queries compiled once per process (``PreparedQuery``), the
infusion details bounded by course dates instead of a list of ids; the trends page writes its
repeated parts (course cards, links, options, comparison) in Python; the quick log's "still
going?" check is compiled once. The pages themselves were compared byte for byte with the
template versions; these tests pin what a later change could break: deleted days and other
diaries stay out, every value is escaped, and the same-episode check stays within the diary.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from diary import entries
from diary.models import SymptomEntry
from infusions.models import Infusion, InfusionLot, Premedication
from reports import cycles

from .factories import InfusionFactory, MembershipFactory, PatientFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _course(patient, first: dt.date, lots: tuple[str, str]) -> list[Infusion]:
    days = []
    for offset, lot in enumerate(lots):
        infusion = InfusionFactory(patient=patient, date=first + dt.timedelta(days=offset))
        InfusionLot.objects.create(infusion=infusion, lot_number=lot)
        days.append(infusion)
    return days


def test_details_leave_out_a_deleted_day_and_other_diaries(db, patient):
    _first, second = _course(patient, dt.date(2026, 11, 2), ("LOT-A", "LOT-B"))
    Infusion.all_objects.filter(pk=second.pk).update(deleted_at=timezone.now())
    other = PatientFactory(name="Other")
    _course(other, dt.date(2026, 11, 2), ("NOT-YOURS", "NOT-YOURS-2"))

    rows = cycles.load(patient, dt.date(2026, 11, 1), dt.date(2026, 11, 23))

    days = [i for day in rows.infusions.values() for i in day]
    assert [i.date for i in days] == [dt.date(2026, 11, 2)]
    assert [lot.number for lot in days[0].details.lots] == ["LOT-A"]
    summary = cycles.summarise(patient, rows)
    assert [lot.number for c in summary for lot in c.lots] == ["LOT-A"]


def test_the_same_load_twice_gives_the_same_rows(db, patient, owner):
    """The second call runs the stored SQL: it must read exactly what the first read."""
    _course(patient, dt.date(2026, 10, 5), ("LOT-1", "LOT-2"))
    _course(patient, dt.date(2026, 11, 2), ("LOT-3", "LOT-4"))
    entry = SymptomEntry(
        patient=patient,
        symptom="headache",
        severity=5,
        onset=dt.datetime(2026, 11, 3, 10, tzinfo=LONDON),
    )
    entries.save(entry, owner)
    first = cycles.load(patient, dt.date(2026, 10, 1), dt.date(2026, 11, 23))
    again = cycles.load(patient, dt.date(2026, 10, 1), dt.date(2026, 11, 23))
    assert [s.course_id for s in first.spans] == [s.course_id for s in again.spans]
    assert {k: [r.pk for r in v] for k, v in first.symptoms.items()} == {
        k: [r.pk for r in v] for k, v in again.symptoms.items()
    }
    shorter = cycles.load(patient, dt.date(2026, 11, 10), dt.date(2026, 11, 23))
    assert len(shorter.spans) == 1
    with pytest.raises(ValueError):
        cycles.load(patient, dt.date(2026, 11, 23), dt.date(2026, 11, 1))


def test_course_cards_escape_what_the_diary_holds(owner_client, patient, owner):
    first, _second = _course(patient, dt.date(2026, 11, 2), ("<b>LOT</b>", "L&2"))
    Premedication.objects.create(infusion=first, name="<i>drug</i>", dose="1 g")
    # A side effect in the patient's words (the timeline needs one series to draw).
    entries.save(
        SymptomEntry(
            patient=patient,
            symptom=SymptomEntry.OTHER,
            custom_symptom="<script>x</script>",
            severity=5,
            onset=dt.datetime(2026, 11, 3, 10, tzinfo=LONDON),
        ),
        owner,
    )
    page = owner_client.get(reverse("reports:trends", args=[patient.public_id])).content.decode()
    assert "&lt;b&gt;LOT&lt;/b&gt;, L&amp;2" in page
    assert "&lt;i&gt;drug&lt;/i&gt;" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<b>LOT</b>" not in page and "<i>drug</i>" not in page
    assert "<script>x</script>" not in page


def test_the_still_going_check_stays_within_the_diary(owner_client, patient):
    """Another diary's open headache never makes this one ask "the same one?"."""
    other = PatientFactory(name="Other")
    stranger = MembershipFactory(patient=other).user
    entries.save(
        SymptomEntry(
            patient=other,
            symptom="headache",
            severity=5,
            onset=dt.datetime(2026, 11, 23, 8, tzinfo=LONDON),
        ),
        stranger,
    )
    url = reverse("diary:quick-log", args=[patient.public_id])
    body = owner_client.post(url, {"symptom": "headache", "severity": "4"}).content.decode()
    assert "Is this the same one?" not in body
    assert SymptomEntry.objects.filter(patient=patient).count() == 1
    # Now this diary has one still going: the next save asks.
    body = owner_client.post(url, {"symptom": "headache", "severity": "6"}).content.decode()
    assert "Is this the same one?" in body
    assert SymptomEntry.objects.filter(patient=patient).count() == 1
