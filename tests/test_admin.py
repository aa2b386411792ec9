"""The admin signs in through allauth (two-factor, rate limits) and exists only when turned on."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client
from django.urls import reverse

from config import settings as config_settings
from config.urls import build_urlpatterns

from .factories import PASSWORD, UserFactory

ADMIN = "/admin/"
LOGIN = reverse("account_login")


def current_code(secret: str) -> str:
    if 30 - time.time() % 30 < 2:  # the code would change before it is checked
        time.sleep(2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_secret(staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return secret


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_sends_visitors_to_allauths_login(client, staff):
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 200
    last_url = response.redirect_chain[-1][0]
    assert last_url.startswith(LOGIN) and "next=%2Fadmin%2F" in last_url
    # Django's own admin form checks no password: it sends the visitor on too.
    response = client.post(
        reverse("admin:login"), {"username": staff.email, "password": PASSWORD, "next": ADMIN}
    )
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not signed_in(client)


def test_a_staff_user_with_two_factor_is_asked_for_the_code(client, staff, staff_secret):
    login_url = client.get(ADMIN, follow=True).redirect_chain[-1][0]
    response = client.post(login_url, {"login": staff.email, "password": PASSWORD})
    # The password alone does not let anyone in: allauth asks for the code first.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302
    page = client.get(reverse("mfa_authenticate"))
    assert 'name="code"' in page.content.decode()

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert not signed_in(client)

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(staff_secret)})
    assert response.status_code == 302
    assert response["Location"] == ADMIN
    assert signed_in(client)
    assert client.get(ADMIN).status_code == 200


def test_wrong_passwords_through_the_admin_hit_the_login_rate_limit(client, staff):
    login_url = client.get(ADMIN, follow=True).redirect_chain[-1][0]
    for _ in range(5):  # ACCOUNT_RATE_LIMITS["login_failed"]: 5 per 5 minutes
        response = client.post(login_url, {"login": staff.email, "password": "wrong-password-x"})
        assert response.status_code == 200
    response = client.post(login_url, {"login": staff.email, "password": PASSWORD})
    assert response.status_code in {200, 429}
    assert "Too many failed login attempts" in response.content.decode()
    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302


def test_a_signed_in_user_who_is_not_staff_is_refused(client, db):
    client.force_login(UserFactory())
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 403


def test_the_admin_is_not_there_when_turned_off(client, settings, db):
    urlconf = ModuleType("urls_without_admin")
    urlconf.urlpatterns = build_urlpatterns(admin_enabled=False)
    settings.ROOT_URLCONF = urlconf
    assert client.get(ADMIN).status_code == 404
    assert client.get("/admin/login/").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_the_site_mounts_the_admin_as_the_setting_says(settings):
    import config.urls

    routes = [str(p.pattern) for p in config.urls.urlpatterns]
    assert ("admin/" in routes) is settings.ADMIN_ENABLED
    assert "admin/" not in [str(p.pattern) for p in build_urlpatterns(admin_enabled=False)]


def _load_settings(monkeypatch, **env: str):
    """Run config/settings.py afresh as a separate module under `env` (live settings untouched)."""
    for name in ["DJANGO_ENV", "DEBUG", "ADMIN_ENABLED", "CACHE_URL", "REDIS_URL"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "settings_for_admin_test", Path(config_settings.__file__)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, True),
        ({"DJANGO_ENV": "production"}, False),
        ({"DJANGO_ENV": "production", "ADMIN_ENABLED": "true"}, True),
        ({"ADMIN_ENABLED": "off"}, False),
    ],
)
def test_admin_is_on_in_development_and_off_in_production_by_default(monkeypatch, env, enabled):
    if env.get("DJANGO_ENV") == "production":
        env = env | {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "diary.example.org"}
    assert _load_settings(monkeypatch, **env).ADMIN_ENABLED is enabled


@pytest.mark.django_db
def test_a_signed_in_member_who_is_not_staff_is_told_plainly_the_admin_is_not_for_them(client):
    """Not the diary's "you can view this diary but not change it", which explains the wrong
    thing; a viewer's refused write keeps that message."""
    from patients.models import Membership

    from .factories import MembershipFactory

    membership = MembershipFactory(role=Membership.Role.CAREGIVER_VIEWER)
    client.force_login(membership.user)
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 403, response.redirect_chain
    page = response.content.decode()
    assert "This page is not open to you" in page
    assert "You can view this diary" not in page
    refused = client.post(reverse("diary:note-add", args=[membership.patient.public_id]), {})
    assert refused.status_code == 403
    assert "You can view this diary but not change it" in refused.content.decode()
