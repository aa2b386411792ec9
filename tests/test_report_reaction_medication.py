"""The medication given for a reaction during an infusion is on the report and the trends
cards, next to what was done: "medication given" alone left the doctor asking which."""

from __future__ import annotations

import re

from infusions.models import Infusion

from .test_report_page import _frozen_time, diary, named, text_of, url  # noqa: F401


def test_the_medication_given_is_said_where_the_reaction_is(
    diary,  # noqa: F811
    owner_client,
):
    first, second = Infusion.objects.filter(patient=diary).order_by("date")[:2]
    second.reactions.create(
        symptom="headache", severity=6, action="medication", medication="Cetirizine 10 mg"
    )
    first.reactions.create(
        symptom="chills",
        severity=4,
        action="slowed",
        minutes_from_start=100,
        medication="Paracetamol <1 g>",
    )
    first.reactions.create(symptom="flushing", severity=2, action="none", medication="Water")
    first.reactions.create(symptom="nausea", severity=3, action="medication")  # none named

    page = owner_client.get(url(diary), {"period": "3m", "parts": ["infusions"]})
    text = text_of(page)
    during = text[text.index("During infusions") : text.index("After infusions")]
    assert (
        "Headache 6 (moderate) during the infusion of 20 Sep, medication given: Cetirizine 10 mg."
    ) in during
    assert (
        "Chills 4 (moderate) during the infusion of 19 Sep, 100 min in, infusion slowed, "
        "Paracetamol &lt;1 g&gt; given."
    ) in during
    assert (
        "Feeling sick (nausea) 3 (mild) during the infusion of 19 Sep, medication given." in during
    )
    # Every infusion day says it too.
    assert "Headache 6 (moderate), medication given: Cetirizine 10 mg" in text
    assert "Flushing 2 (mild), Water given" in text
    # Typed words are text, never markup.
    body = page.content.decode()
    assert "Paracetamol &lt;1 g&gt; given" in body and "<1 g>" not in body

    trends = owner_client.get(reverse_trends(diary), {"period": "6"}).content.decode()
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", trends))
    assert "medication given: Cetirizine 10 mg" in words
    assert "Paracetamol &lt;1 g&gt; given" in trends


def reverse_trends(patient):
    from django.urls import reverse

    return reverse("reports:trends", args=[patient.public_id])
