""" "Still going" says since when with the date once the start is more than six days back:
"since Tue 09:00" for a headache left open three weeks read as this morning's (browser pass)."""

import time_machine

from .test_latest_severity import NOW, card_lines, local, make_entry, today_url  # noqa: F401


def test_an_old_start_shows_its_date_a_recent_one_its_weekday(patient, owner, owner_client):
    make_entry(patient, owner, severity=8, onset=local(2026, 11, 3, 9))
    make_entry(patient, owner, symptom="fatigue", severity=4, onset=local(2026, 11, 21, 18))
    with time_machine.travel(NOW, tick=False):
        lines = card_lines(owner_client.get(today_url(patient)).content.decode())
    assert lines == [
        "Tiredness (fatigue) 4 moderate since Sat 18:00",
        "Headache 8 severe since Tue 3 Nov 09:00",
    ]


def test_another_year_says_its_year(patient, owner, owner_client):
    make_entry(patient, owner, severity=5, onset=local(2025, 12, 30, 9))
    with time_machine.travel(NOW, tick=False):
        (line,) = card_lines(owner_client.get(today_url(patient)).content.decode())
    assert line == "Headache 5 moderate since Tue 30 Dec 2025 09:00"


def test_more_still_going_than_shown_says_so_and_shows_all_on_request(patient, owner, owner_client):
    """Second browser pass: Today listed the ten newest side effects still going and hid the
    rest without a word, among them the headache behind a warning."""
    import datetime as dt

    from django.urls import reverse

    from diary import entries
    from diary.models import SymptomEntry

    codes = ["headache", "chills", "fatigue", "nausea", "flushing", "muscle_aches", "rash"]
    codes += ["back_pain", "dizziness", "vomiting", "fever", "hives"]
    base = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    for n, code in enumerate(codes):
        entries.save(
            SymptomEntry(
                patient=patient,
                symptom=code,
                severity=3,
                onset=base + dt.timedelta(hours=n),
            ),
            owner,
        )
    today = reverse("today", args=[patient.public_id])
    body = owner_client.get(today).content.decode()
    assert "2 more still going, begun earlier: show all" in body
    shown = body.split('id="ongoing"')[1].split("</section>")[0]
    assert "Headache" not in shown and "Hives" in shown  # the oldest two are the ones hidden
    everything = owner_client.get(today, {"going": "all"}).content.decode()
    going = everything.split('id="ongoing"')[1].split("</section>")[0]
    assert "Headache" in going and "Chills" in going and "more still going" not in going
