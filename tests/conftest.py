import pytest
from django.test import Client

from patients.models import Membership

from .factories import MembershipFactory, PatientFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that check the production hasher ask for it directly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def patient(db):
    return PatientFactory(name="Maya")


@pytest.fixture
def owner(patient):
    membership = MembershipFactory(patient=patient, role=Membership.Role.OWNER, is_self=True)
    return membership.user


@pytest.fixture
def caregiver(patient):
    """A caregiver who may log for the patient."""
    return MembershipFactory(patient=patient, role=Membership.Role.CAREGIVER_EDITOR).user


@pytest.fixture
def viewer(patient):
    """A caregiver who may only view."""
    return MembershipFactory(patient=patient, role=Membership.Role.CAREGIVER_VIEWER).user


@pytest.fixture
def stranger(db):
    """Signed in, with a diary of their own, but no membership of `patient`."""
    return MembershipFactory(patient=PatientFactory(name="Other")).user


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return _client_for(owner)


@pytest.fixture
def caregiver_client(caregiver):
    return _client_for(caregiver)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def stranger_client(stranger):
    return _client_for(stranger)


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits live in the cache; each test starts with a clean slate.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
