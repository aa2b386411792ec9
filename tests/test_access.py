"""The access gate, proven for every patient-scoped route by walking the URL resolver.

New views are covered without anyone remembering: a route under ``p/<public_id>/`` that is not
wrapped in ``patient_view`` fails here, and so does one that answers a stranger with anything
but 404 or changes anything for them.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from patients.models import Membership

PATIENT_PREFIX = "p/<str:public_id>/"
# The writes a caregiver who may only view may make: marking a red-flag warning as dealt with,
# and asking for a PDF of the report (it reads the diary, as printing the page does).
VIEWER_WRITES = {
    PATIENT_PREFIX + "diary/warnings/<int:pk>/dealt-with/",
    PATIENT_PREFIX + "report/pdf/",
    # Asking for an export: it reads the diary, as the PDF does; the write is a row of the export
    # queue (tested in test_export_page.py).
    PATIENT_PREFIX + "export/jobs/",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def patient_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, p) for route, p in _walk(get_resolver().url_patterns) if "<str:public_id>" in route
    ]


def _sample_value(converter_name: str) -> str:
    # Any well-formed value will do: the gate answers before the view looks anything up.
    return {"int": "1", "uuid": "00000000-0000-4000-8000-000000000001", "path": "x"}.get(
        converter_name, "x"
    )


def url_for(route: str, public_id: str) -> str:
    import re

    def replace(match):
        converter, name = match.group(1) or "str", match.group(2)
        return public_id if name == "public_id" else _sample_value(converter)

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def database_fingerprint() -> dict[str, int | list]:
    """Row counts of every model, plus every patient-facing row's content, to detect changes."""
    fingerprint: dict[str, int | list] = {}
    for model in apps.get_models():
        if model._meta.label in {"sessions.Session"}:
            continue
        fingerprint[model._meta.label] = model.objects.count()
    fingerprint["patients"] = list(
        apps.get_model("patients", "Patient").objects.order_by("pk").values()
    )
    return fingerprint


def test_it_finds_patient_routes():
    routes = [route for route, _ in patient_routes()]
    assert PATIENT_PREFIX in routes
    assert PATIENT_PREFIX + "settings/" in routes


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
def test_every_patient_route_goes_through_the_gate(route, pattern):
    assert route.startswith(PATIENT_PREFIX), f"{route}: patient URLs live under /p/<public_id>/"
    assert getattr(pattern.callback, "patient_scoped", False), (
        f"{route} is not wrapped in patients.access.patient_view"
    )


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_stranger_gets_404_and_changes_nothing(
    route, pattern, method, patient, owner, stranger_client
):
    url = url_for(route, patient.public_id)
    before = database_fingerprint()
    response = getattr(stranger_client, method)(url, {"name": "Hacked", "time_zone": "UTC"})
    assert response.status_code == 404, f"{method.upper()} {url}"
    assert database_fingerprint() == before


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
def test_a_missing_patient_looks_the_same_as_someone_elses(route, pattern, stranger_client):
    response = stranger_client.get(url_for(route, "no-such-id"))
    assert response.status_code == 404


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
def test_a_viewer_gets_403_on_every_write(route, pattern, patient, viewer_client):
    if route in VIEWER_WRITES:
        pytest.skip(
            "a write a viewer may make (tested in test_red_flag_events.py, test_report_page.py)"
        )
    url = url_for(route, patient.public_id)
    before = database_fingerprint()
    response = viewer_client.post(url, {"name": "Changed", "time_zone": "UTC"})
    assert response.status_code == 403, url
    assert database_fingerprint() == before


def test_only_the_listed_routes_let_a_viewer_write():
    allowed = {
        route
        for route, pattern in patient_routes()
        if getattr(pattern.callback, "viewer_may_post", False)
    }
    assert allowed == VIEWER_WRITES


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
def test_signed_out_visitors_are_sent_to_sign_in(route, pattern, patient, client):
    response = client.get(url_for(route, patient.public_id))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_lets_the_owner_in(patient, owner_client):
    response = owner_client.get(reverse("today", args=[patient.public_id]))
    assert response.status_code == 200
    assert response.wsgi_request.patient == patient
    assert response.wsgi_request.membership.role == Membership.Role.OWNER


def test_a_revoked_caregiver_is_out_on_the_next_request(patient, caregiver, caregiver_client):
    url = reverse("today", args=[patient.public_id])
    assert caregiver_client.get(url).status_code == 200
    Membership.objects.filter(user=caregiver, patient=patient).delete()
    assert caregiver_client.get(url).status_code == 404


def test_the_gate_lets_a_viewer_read(patient, viewer_client):
    response = viewer_client.get(reverse("today", args=[patient.public_id]))
    assert response.status_code == 200
    assert b"You can view this diary" in response.content


def test_owner_only_views_refuse_caregivers(patient, caregiver_client, owner_client):
    url = reverse("patients:settings", args=[patient.public_id])
    refused = caregiver_client.get(url)
    assert refused.status_code == 403
    # A caregiver who may log is told it is for the owner, not that they may only view.
    assert "Only the diary" in refused.content.decode()
    assert "view this diary but not change it" not in refused.content.decode()
    assert owner_client.get(url).status_code == 200


def test_a_viewer_refused_a_write_is_told_they_may_only_view(patient, viewer_client):
    response = viewer_client.get(reverse("infusions:log", args=[patient.public_id]))
    assert response.status_code == 403
    assert "view this diary but not change it" in response.content.decode()


def test_the_gate_costs_one_query(patient, owner, django_assert_num_queries):
    from patients.access import get_membership

    with django_assert_num_queries(1):
        membership = get_membership(owner, patient.public_id)
        assert membership.patient.name == "Maya"


JUNK = {
    "name": "x" * 5000,
    "time_zone": "Not/AZone",
    "date": "31/31/31",
    "dose_g": "1e309",
    "weight_kg": "NaN",
    "severity": "999999999999999999999",
    "symptom": "<script>alert(1)</script>",
    "onset": "yesterday-ish",
    "measured_at": "\x00",
    "q": "%" * 100,
    "lots-TOTAL_FORMS": "banana",
    "rates-TOTAL_FORMS": "100000",
    "signs": ["stiff_neck", "nope"],
    "page": "-1",
    "until": "9999-99-99",
}


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
@pytest.mark.parametrize("method", ["get", "post"])
def test_junk_input_never_gives_a_server_error(route, pattern, method, patient, owner_client):
    url = url_for(route, patient.public_id).replace("/x/", "/mgadl/")
    response = getattr(owner_client, method)(url, JUNK)
    assert response.status_code < 500, f"{method.upper()} {url}: {response.status_code}"
