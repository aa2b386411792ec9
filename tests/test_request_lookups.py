"""What every request reads, compiled once (patients/prepared.py): the session, the signed-in
user, the membership behind the access gate and Today's infusion status. Each must answer what
the ORM query it replaced answered, including in the cases next to the usual one."""

import datetime as dt
import gc
import threading

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from infusions.models import Infusion
from infusions.schedule import infusion_status
from patients.access import get_membership
from patients.auth import AuthenticationBackend, ModelBackend
from patients.models import Membership
from patients.sessions import SessionStore

from .factories import PASSWORD, InfusionFactory, MembershipFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


# --- The session -------------------------------------------------------------------------------


def test_a_saved_session_loads_with_its_values():
    store = SessionStore()
    store["colour"] = "blue"
    store.create()
    again = SessionStore(session_key=store.session_key)
    assert again["colour"] == "blue"
    assert again.session_key == store.session_key


def test_an_expired_session_loads_empty_and_drops_its_key():
    store = SessionStore()
    store["colour"] = "blue"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    again = SessionStore(session_key=store.session_key)
    assert "colour" not in again
    # As Django's own store: the browser's old key is never reused for a new session.
    assert again.session_key is None


def test_an_unknown_session_key_loads_empty():
    again = SessionStore(session_key="x" * 32)
    assert dict(again.items()) == {}
    assert again.session_key is None


def test_signed_in_requests_keep_their_session_between_requests(client):
    user = UserFactory()
    assert client.post(LOGIN, {"login": user.email, "password": PASSWORD}).status_code == 302
    key = client.session.session_key
    assert client.get(reverse("patients:start")).status_code in (200, 302)
    assert client.session.session_key == key
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[BACKEND_SESSION_KEY].startswith("patients.auth.")


# --- The signed-in user ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_the_backend_finds_the_user_as_the_orm_does(backend):
    user = UserFactory()
    found = backend().get_user(str(user.pk))
    assert found == user
    assert found.email == user.email
    assert backend().get_user(user.pk) == user


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
@pytest.mark.parametrize("user_id", ["abc", "", "1.5", None, "99999999"])
def test_a_bad_or_unknown_user_id_is_nobody(backend, user_id):
    UserFactory()
    assert backend().get_user(user_id) is None


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
@pytest.mark.parametrize("user_id", [str(2**63), str(-(2**63) - 1), 2**70])
def test_an_id_out_of_any_rows_range_is_nobody_not_an_error(backend, user_id):
    """SQLite refuses such a number (OverflowError) where Django's own backend finds nobody."""
    UserFactory()
    assert backend().get_user(user_id) is None


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_a_deactivated_user_is_nobody(backend):
    user = UserFactory(is_active=False)
    assert backend().get_user(str(user.pk)) is None


def test_a_session_of_a_deactivated_user_is_signed_out(client):
    user = UserFactory()
    client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    membership = MembershipFactory(user=user)
    page = reverse("today", args=[membership.patient.public_id])
    assert client.get(page).status_code == 200
    user.is_active = False
    user.save()
    response = client.get(page)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_session_from_before_the_backends_were_renamed_signs_in_again(owner):
    """Django refuses a session whose backend is no longer in AUTHENTICATION_BACKENDS: the
    visitor is signed out, never someone else, and never a 500."""
    client = Client()
    store = SessionStore()
    store[SESSION_KEY] = str(owner.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store.create()
    client.cookies["sessionid"] = store.session_key
    membership = Membership.objects.get(user=owner)
    response = client.get(reverse("today", args=[membership.patient.public_id]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- The membership behind the access gate -----------------------------------------------------


def test_the_gate_finds_the_users_own_membership_with_its_patient():
    mine = MembershipFactory()
    other = MembershipFactory()
    MembershipFactory(user=mine.user, patient=other.patient, role=Membership.Role.CAREGIVER_VIEWER)
    found = get_membership(mine.user, mine.patient.public_id)
    assert found == mine
    assert found.patient == mine.patient
    assert found.patient.name == mine.patient.name
    viewer = get_membership(mine.user, other.patient.public_id)
    assert viewer.role == Membership.Role.CAREGIVER_VIEWER
    assert viewer.user_id == mine.user.pk


@pytest.mark.parametrize("public_id", ["", "nope", "0" * 40])
def test_an_unknown_diary_is_404(public_id):
    mine = MembershipFactory()
    with pytest.raises(Http404):
        get_membership(mine.user, public_id)


def test_another_users_diary_is_404():
    mine, theirs = MembershipFactory(), MembershipFactory()
    with pytest.raises(Http404):
        get_membership(mine.user, theirs.patient.public_id)


def test_a_revoked_membership_is_404_on_the_next_request():
    mine = MembershipFactory(role=Membership.Role.CAREGIVER_EDITOR)
    public_id = mine.patient.public_id
    assert get_membership(mine.user, public_id) == mine
    mine.delete()
    with pytest.raises(Http404):
        get_membership(mine.user, public_id)


# --- Today's infusion status -------------------------------------------------------------------


def test_the_status_reads_the_latest_infusion_up_to_today():
    patient = PatientFactory()
    today = dt.date(2026, 11, 23)
    InfusionFactory(patient=patient, date=today - dt.timedelta(days=30))
    latest = InfusionFactory(patient=patient, date=today - dt.timedelta(days=2))
    InfusionFactory(patient=patient, date=today + dt.timedelta(days=5))  # planned ahead
    other = PatientFactory()
    InfusionFactory(patient=other, date=today - dt.timedelta(days=1))
    status = infusion_status(patient, today)
    assert status.last_infusion == latest
    assert status.days_since_last == 2
    assert infusion_status(other, today).days_since_last == 1
    assert infusion_status(PatientFactory(), today).last_infusion is None


def test_the_status_takes_the_model_order_on_a_day_of_two_infusions():
    patient = PatientFactory()
    today = dt.date(2026, 11, 23)
    morning = InfusionFactory(patient=patient, date=today, start_time=dt.time(8, 0))
    evening = InfusionFactory(patient=patient, date=today, start_time=dt.time(18, 0))
    expected = Infusion.objects.filter(patient=patient, date__lte=today).first()
    assert expected == evening
    assert infusion_status(patient, today).last_infusion == evening != morning


def test_a_deleted_infusion_is_not_the_last_one():
    patient = PatientFactory()
    today = dt.date(2026, 11, 23)
    kept = InfusionFactory(patient=patient, date=today - dt.timedelta(days=10))
    gone = InfusionFactory(patient=patient, date=today - dt.timedelta(days=1))
    gone.delete()
    assert infusion_status(patient, today).last_infusion == kept


# --- Compiled queries and threads --------------------------------------------------------------


def _live_connections() -> int:
    gc.collect()
    return sum(1 for found in gc.get_objects() if isinstance(found, BaseDatabaseWrapper))


@pytest.mark.django_db(transaction=True)
def test_threads_that_ran_compiled_queries_leave_no_connection_behind():
    """Each query's row converters are kept per connection; SQLite's are bound to it, so keeping
    them in a table keyed by the connection kept every thread's connection alive (a reviewer's
    finding: runserver and threaded workers make a thread per request)."""
    SessionStore(session_key="x" * 32).load()
    before = _live_connections()

    def request_in_a_thread():
        SessionStore(session_key="x" * 32).load()
        connections.close_all()

    for _ in range(20):
        thread = threading.Thread(target=request_in_a_thread)
        thread.start()
        thread.join()
    assert _live_connections() - before < 3
