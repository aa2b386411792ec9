"""Rows built in Python (diary/templatetags/diary_rows.py, infusions/templatetags/infusion_rows.py,
patients/formats.py) say what the template filters and tags said, escape what people typed, and
cost one query at most however long an episode is."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import time as time_filter
from django.urls import reverse
from django.utils import timezone, translation

from diary import entries
from diary.models import Measure, SymptomEntry, SymptomReading
from diary.templatetags.diary_rows import entry_line
from patients import formats

from .factories import InfusionFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("language", ["en", "de", "en"])
@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kolkata"])
def test_formats_match_the_template_filters(zone, language):
    # Month and weekday names are kept per language: another language, then English again,
    # must each get their own.
    with timezone.override(ZoneInfo(zone)), translation.override(language):
        for hours in range(0, 24 * 400, 37):  # every weekday, month and hour, across DST
            moment = dt.datetime(2025, 12, 30, 23, 30, tzinfo=dt.UTC) + dt.timedelta(hours=hours)
            # Templates hand these filters the time in the current zone.
            local = timezone.localtime(moment)
            assert formats.hour_minute(moment) == time_filter(local, "H:i")
            assert formats.weekday_hour_minute(moment) == date_filter(local, "D H:i")
            assert formats.day_month_year(moment) == date_filter(local, "j M Y")
            day = moment.date()
            assert formats.day_month(day) == date_filter(day, "j M")
            assert formats.weekday_day_month(day) == date_filter(day, "D j M")
            assert formats.weekday_day_month_year(day) == date_filter(day, "D j M Y")


def test_url_for_each_gives_what_reverse_gives(patient):
    url = formats.url_for_each("diary:measure-edit", patient.public_id)
    for pk in (1, 42, 10**9):
        assert url(pk) == reverse("diary:measure-edit", args=[patient.public_id, pk])


@time_machine.travel(NOW, tick=False)
def test_an_entry_line_escapes_what_was_typed_and_says_how_it_goes(patient, owner):
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 21))
    entry = SymptomEntry(
        patient=patient,
        symptom=SymptomEntry.OTHER,
        custom_symptom="<b>tingling</b>",
        severity=3,
        onset=NOW - dt.timedelta(hours=2),
    )
    entries.save(entry, owner)
    entry.author = "<Sam>"
    with timezone.override(LONDON):
        html = str(entry_line(entry))
    assert "&lt;b&gt;tingling&lt;/b&gt;" in html and "<b>" not in html
    assert "· &lt;Sam&gt;" in html
    assert "still going" in html and "day 2 after infusion" in html
    assert '<span class="severity severity-3">' in html
    # Worse later: the line says how bad it is now, not that it is still 3, and the worst in
    # the same word as Today's card.
    entries.add_reading(entry, 8, NOW - dt.timedelta(minutes=30), owner)
    entry.author = "Sam"
    with timezone.override(LONDON):
        html = str(entry_line(entry))
    assert '<span class="severity severity-3">' in html
    assert 'now <span class="severity severity-8">' in html
    assert "· worst 8" in html and "went up to" not in html


@time_machine.travel(NOW, tick=False)
def test_the_latest_reading_is_one_query_however_many_readings(
    patient, owner, django_assert_num_queries
):
    entry = SymptomEntry(patient=patient, symptom="headache", severity=2, onset=NOW)
    entries.save(entry, owner)
    SymptomReading.objects.bulk_create(
        SymptomReading(entry=entry, severity=n % 5, at=NOW + dt.timedelta(minutes=n))
        for n in range(300)
    )
    fresh = SymptomEntry.objects.get(pk=entry.pk)
    with django_assert_num_queries(1):
        assert fresh.current_severity == 299 % 5
        assert fresh.latest_reading.at == NOW + dt.timedelta(minutes=299)
    entries.add_reading(fresh, 4, NOW + dt.timedelta(hours=6), owner)
    assert fresh.current_severity == 4  # the reading just added, not the one remembered


@time_machine.travel(NOW, tick=False)
def test_measure_rows_offer_edit_links_to_writers_only(patient, owner, owner_client, viewer_client):
    measure = Measure(patient=patient, kind="custom", name="Steps <walk>", value=4000, unit="steps")
    measure.measured_at = NOW
    entries.save(measure, owner)
    url = reverse("diary:measures", args=[patient.public_id])
    edit = reverse("diary:measure-edit", args=[patient.public_id, measure.pk])
    body = owner_client.get(url).content.decode()
    assert "Steps &lt;walk&gt;: 4000 steps" in body
    assert (
        f'<td>23 Nov 2026<br><a class="measure-edit" href="{edit}">Edit'
        '<span class="visually-hidden"> 23 Nov 2026</span></a></td>'
    ) in body
    assert edit not in viewer_client.get(url).content.decode()
