"""The measures page shows each measure's newest rows; a diary of years (twice-weekly grip,
weekly scores) made a page of hundreds of rows. The older ones are one tap away, that measure
whole, and the MG-ADL change of the oldest row shown still compares with the score before it."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from diary import entries
from diary.models import Measure
from diary.views import MEASURE_ROWS_SHOWN

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _measure(patient, owner, days_ago, **fields):
    item = Measure(patient=patient, measured_at=NOW - dt.timedelta(days=days_ago), **fields)
    entries.save(item, owner)
    return item


def _rows(body: str, kind: str) -> list[str]:
    start = body.index(f'id="m-{kind}"')
    section = body[start : body.index("</section>", start)]
    return re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1], re.S)


def test_a_long_measure_shows_its_newest_rows_and_the_rest_on_a_tap(
    patient, owner, owner_client, viewer_client
):
    for n in range(40):
        _measure(patient, owner, 2 * n + 1, kind="grip", value=40 + n % 5, value_right=42)
    # MG-ADL: one more than shown, each 1 point higher than the older one.
    for n in range(MEASURE_ROWS_SHOWN + 1):
        _measure(
            patient,
            owner,
            3 * n + 1,
            kind="mgadl",
            value=min(3, n % 4),
        )
    url = reverse("diary:measures", args=[patient.public_id])
    body = owner_client.get(url).content.decode()
    assert len(_rows(body, "grip")) == MEASURE_ROWS_SHOWN
    older = 40 - MEASURE_ROWS_SHOWN
    assert f'href="?all=grip#m-grip">Show the {older} older readings</a>' in body
    assert "Show the 1 older reading<" in body  # MG-ADL: one left out, said in the singular
    # The newest first, as before.
    assert "22 Nov 2026" in _rows(body, "grip")[0]

    whole = owner_client.get(url, {"all": "grip"}).content.decode()
    assert len(_rows(whole, "grip")) == 40
    assert "older readings" not in whole.split('id="m-grip"')[1].split("</section>")[0]
    assert len(_rows(whole, "mgadl")) == MEASURE_ROWS_SHOWN  # the other one stays cut
    # A viewer sees the same rows and the same link.
    assert "Show the 14 older readings" in viewer_client.get(url).content.decode()
    # A made-up kind shows every measure cut, nothing else.
    odd = owner_client.get(url, {"all": "<script>"})
    assert odd.status_code == 200 and len(_rows(odd.content.decode(), "grip")) == 26


def test_the_oldest_score_shown_keeps_its_change_from_the_one_before(patient, owner, owner_client):
    from diary import queries

    for n in range(MEASURE_ROWS_SHOWN + 1):
        value = 3 if n == MEASURE_ROWS_SHOWN else 0  # the oldest: 3 points
        _measure(patient, owner, n + 1, kind="mgadl", value=value)
    (section,) = [s for s in queries.measures(patient) if s.kind == "mgadl"]
    section.shown_newest(MEASURE_ROWS_SHOWN)
    assert section.older == 1
    oldest_shown = section.rows[-1]
    assert oldest_shown.change is not None  # 3 -> 0 compared with the hidden score
