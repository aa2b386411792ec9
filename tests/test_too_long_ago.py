"""Nothing in a diary is dated before 1990 (browser pass: platelets dated 1 Jan 1890 were
saved): the side-effect, note and measure forms refuse it next to the field, as the infusion
form and a full import already did, and keep what was typed."""

import pytest
from django.urls import reverse

from diary.models import Measure, Note, SymptomEntry

TOO_OLD = "That date is too long ago. Check the year."


@pytest.mark.parametrize(
    ("name", "args", "data", "field", "model"),
    [
        (
            "measure-add",
            ["platelets"],
            {"count": "45", "measured_at": "1890-01-01T10:00"},
            "measured_at",
            Measure,
        ),
        (
            "side-effect-add",
            [],
            {"symptom": "headache", "severity": "4", "onset": "1989-12-31T23:00"},
            "onset",
            SymptomEntry,
        ),
        ("note-add", [], {"text": "Better", "written_at": "1899-05-01T09:00"}, "written_at", Note),
    ],
)
def test_a_date_before_1990_is_refused_next_to_its_field(
    patient, owner_client, name, args, data, field, model
):
    response = owner_client.post(reverse(f"diary:{name}", args=[patient.public_id, *args]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [TOO_OLD]
    assert f'value="{data[field]}"' in response.content.decode()
    assert not model.objects.exists()


def test_the_first_day_of_1990_is_taken(patient, owner_client):
    response = owner_client.post(
        reverse("diary:measure-add", args=[patient.public_id, "platelets"]),
        {"count": "45", "measured_at": "1990-01-01T10:00"},
    )
    assert response.status_code == 302 and Measure.objects.count() == 1
