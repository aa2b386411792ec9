import pytest
from django.core.management import CommandError, call_command

from patients import demo
from patients.models import Membership, Patient, User


def _counts():
    return User.objects.count(), Patient.objects.count(), Membership.objects.count()


def test_seed_demo_is_idempotent(db, capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first == (2, 1, 2)
    out = capsys.readouterr().out
    assert f"Sign in as {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}" in out


def test_if_empty_leaves_a_used_database_alone(db, capsys):
    User.objects.create_user("someone@example.com", "correct-horse-battery")
    call_command("seed_demo", if_empty=True)
    assert not User.objects.filter(email=demo.DEMO_EMAIL).exists()
    assert "not loaded" in capsys.readouterr().out


def test_the_demo_login_works(db, client):
    call_command("seed_demo", if_empty=True)
    response = client.post(
        "/accounts/login/", {"login": demo.DEMO_EMAIL, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    maya = Patient.objects.get(name=demo.DEMO_PATIENT_NAME)
    assert client.get("/")["Location"] == f"/p/{maya.public_id}/"
    caregiver = Membership.objects.get(user__email=demo.DEMO_CAREGIVER_EMAIL)
    assert caregiver.role == Membership.Role.CAREGIVER_EDITOR


def test_seed_demo_refuses_to_run_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", if_empty=True)
    assert not User.objects.exists()
