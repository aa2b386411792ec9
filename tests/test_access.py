"""The access gate, proven for every patient-scoped route by walking the URL resolver.

New views are covered without anyone remembering: a route under ``p/<public_id>/`` that is not
wrapped in ``patient_view`` fails here, and so does one that answers a stranger with anything
but 404 or changes anything for them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
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
    url = url_for(route, patient.public_id)
    response = client.get(url)
    assert response.status_code == 302
    # A page they opened: back to it after signing in, and nothing was refused.
    assert next_of(response["Location"]) == url
    assert not_saved_messages(response) == []


# --- Signed out under the user's hands (session ran out, or signed out in another tab) --------

HOST = "http://testserver"
NOT_SAVED = "You were signed out, so this was not saved. Sign in, then log it again."
# A valid quick log: a signed-in owner's POST of it saves an entry (checked below), so "nothing
# changed" means the gate stopped it. The other fields are for the settings forms.
WRITE = {
    "symptom": "headache",
    "severity": "6",
    "when": "now",
    "name": "Changed",
    "time_zone": "UTC",
}


def next_of(location: str) -> str:
    """The ``next`` of a URL that must be the login page."""
    url = urlsplit(location)
    assert url.path == reverse("account_login"), location
    (next_url,) = parse_qs(url.query)["next"]
    return next_url


def not_saved_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if str(m) == NOT_SAVED]


def today_of(patient) -> str:
    return reverse("today", args=[patient.public_id])


def a_page_of(patient) -> str:
    """A page the user could have been on when the write was sent (not Today, not the POST URL)."""
    return reverse("diary:timeline", args=[patient.public_id]) + "?kind=symptom"


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
@pytest.mark.parametrize("came_from", ["a page", "nowhere"])
def test_a_signed_out_htmx_write_sends_the_whole_page_to_sign_in(
    route, pattern, came_from, patient, owner, client, owner_client
):
    url = url_for(route, patient.public_id)
    headers = {"HX-Request": "true"}
    if came_from == "a page":
        headers["HX-Current-URL"] = HOST + a_page_of(patient)
    before = database_fingerprint()
    response = client.post(url, WRITE, headers=headers)
    # Not a 302: htmx would follow it and swap the sign-in page into the part of the page.
    assert response.status_code == 200, url
    assert "Location" not in response
    next_url = next_of(response["HX-Redirect"])
    assert next_url == (a_page_of(patient) if came_from == "a page" else today_of(patient))
    # Never the URL that was posted to (Today itself is the one page that also takes a POST).
    assert next_url != url or url == today_of(patient)
    assert owner_client.get(next_url).status_code == 200, f"{next_url} is not a page"
    assert database_fingerprint() == before
    assert not_saved_messages(response) == [NOT_SAVED]


@pytest.mark.parametrize(("route", "pattern"), patient_routes(), ids=lambda v: str(v))
@pytest.mark.parametrize("came_from", ["a page", "nowhere"])
def test_a_signed_out_form_post_comes_back_to_a_page_not_to_the_post_url(
    route, pattern, came_from, patient, owner, client, owner_client
):
    url = url_for(route, patient.public_id)
    headers = {"Referer": HOST + a_page_of(patient)} if came_from == "a page" else {}
    before = database_fingerprint()
    response = client.post(url, WRITE, headers=headers)
    assert response.status_code == 302, url
    assert "HX-Redirect" not in response
    next_url = next_of(response["Location"])
    assert next_url == (a_page_of(patient) if came_from == "a page" else today_of(patient))
    # Never the URL that was posted to (Today itself is the one page that also takes a POST).
    assert next_url != url or url == today_of(patient)
    assert owner_client.get(next_url).status_code == 200, f"{next_url} is not a page"
    assert database_fingerprint() == before
    assert not_saved_messages(response) == [NOT_SAVED]


HOSTILE = [
    "https://evil.example/p/abc/",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)//",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/p/abc/",
    "http://testserver.evil.example/p/abc/",
    "http://evil.example@testserver.evil.example/",
    "http://testserver//evil.example/",
    "http://testserver/\\evil.example/",
    "not a url",
]


@pytest.mark.parametrize("came_from", HOSTILE)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "form"])
def test_a_hostile_current_url_or_referer_is_never_the_next_page(
    came_from, htmx, patient, owner, client
):
    url = reverse("diary:quick-log", args=[patient.public_id])
    if htmx:
        headers = {"HX-Request": "true", "HX-Current-URL": came_from}
    else:
        headers = {"Referer": came_from}
    response = client.post(url, WRITE, headers=headers)
    next_url = next_of(response["HX-Redirect"] if htmx else response["Location"])
    assert next_url == today_of(patient)


def test_a_plain_http_page_is_not_trusted_on_https(patient, owner, client):
    url = reverse("diary:quick-log", args=[patient.public_id])
    headers = {"HX-Request": "true", "HX-Current-URL": HOST + a_page_of(patient)}
    response = client.post(url, WRITE, headers=headers, secure=True)
    assert next_of(response["HX-Redirect"]) == today_of(patient)
    headers["HX-Current-URL"] = "https://testserver" + a_page_of(patient)
    response = client.post(url, WRITE, headers=headers, secure=True)
    assert next_of(response["HX-Redirect"]) == a_page_of(patient)


def test_the_quick_log_body_used_above_saves_when_signed_in(patient, owner_client):
    from diary.models import SymptomEntry

    url = reverse("diary:quick-log", args=[patient.public_id])
    owner_client.post(url, WRITE, headers={"HX-Request": "true"})
    assert SymptomEntry.objects.filter(patient=patient).count() == 1


def test_a_signed_out_htmx_read_navigates_to_sign_in_without_a_message(patient, client):
    # The export page polls its job's status every 2 s: signed out, the page goes to sign in
    # instead of the sign-in page appearing inside the status line. Nothing was refused.
    url = reverse(
        "reports:export-status", args=[patient.public_id, "00000000-0000-4000-8000-000000000001"]
    )
    page = reverse("reports:export", args=[patient.public_id])
    response = client.get(url, headers={"HX-Request": "true", "HX-Current-URL": HOST + page})
    assert response.status_code == 200
    assert next_of(response["HX-Redirect"]) == page
    assert not_saved_messages(response) == []
    assert "HX-Request" in response["Vary"]


def test_the_sign_in_page_says_the_write_was_not_saved_once(patient, owner, client):
    url = reverse("diary:quick-log", args=[patient.public_id])
    headers = {"HX-Request": "true", "HX-Current-URL": HOST + today_of(patient)}
    response = client.post(url, WRITE, headers=headers)
    sign_in = client.get(response["HX-Redirect"])
    assert sign_in.status_code == 200
    html = sign_in.content.decode()
    assert NOT_SAVED in html
    assert html.count('class="site-header') == 1
    assert NOT_SAVED not in client.get(response["HX-Redirect"]).content.decode()


def test_signing_in_from_there_lands_on_the_page_the_user_was_on(patient, owner, client):
    from tests.factories import PASSWORD

    url = reverse("diary:quick-log", args=[patient.public_id])
    headers = {"HX-Request": "true", "HX-Current-URL": HOST + today_of(patient)}
    login_url = client.post(url, WRITE, headers=headers)["HX-Redirect"]
    response = client.post(login_url, {"login": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == today_of(patient)
    assert client.get(response["Location"]).status_code == 200


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


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/p/abc123/diary/", "/p/abc123/"), ("/accounts/email/", "/"), ("/no/such/page/", "/")],
)
def test_without_a_page_to_return_to_it_is_today_of_the_urls_diary_else_the_start(path, expected):
    # What a caller outside the gate (middleware) gets: the diary is read from the URL.
    from django.test import RequestFactory
    from django_htmx.middleware import HtmxDetails

    from patients.signin import sign_in_response

    request = RequestFactory().get(path, headers={"HX-Request": "true"})
    request.htmx = HtmxDetails(request)
    assert next_of(sign_in_response(request)["HX-Redirect"]) == expected
