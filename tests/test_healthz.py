"""/healthz is the bench's baseline and a load balancer's probe: open, cheap, and "ok"."""

import pytest


@pytest.mark.django_db
def test_healthz_says_ok_without_login_or_queries(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
