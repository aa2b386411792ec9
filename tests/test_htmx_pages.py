"""Fragment or page (patients/htmx.py): htmx swaps get fragments, Back gets the whole page."""

import pytest
from django.urls import reverse

HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("diary:timeline", "?until=2026-10-01"),
        ("infusions:list", "?page=1"),
        ("infusions:lot-search", "?q=AB1"),
    ],
)
def test_swaps_get_fragments_and_history_restore_gets_the_page(patient, owner_client, name, query):
    url = reverse(name, args=[patient.public_id]) + query
    fragment = owner_client.get(url, headers={"HX-Request": "true"})
    restored = owner_client.get(url, headers=HISTORY_RESTORE)
    page = owner_client.get(url)
    assert "<html" not in fragment.content.decode()
    for response in (restored, page):
        body = response.content.decode()
        assert "<html" in body and 'class="site-header' in body and "<footer" in body
    for response in (fragment, restored, page):
        assert "HX-Request" in response["Vary"]
        assert "HX-History-Restore-Request" in response["Vary"]
