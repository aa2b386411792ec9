import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.urls import reverse

from config import settings as project_settings
from patients.models import User

from .factories import PASSWORD, UserFactory

LOGIN = reverse("account_login")
SIGNUP = reverse("account_signup")


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert make_password("correct-horse-battery").startswith("argon2")


@pytest.mark.django_db
def test_sign_up_requires_email_verification(client):
    response = client.post(
        SIGNUP, {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    # Not signed in until the address is confirmed.
    assert client.get(reverse("patients:start")).status_code == 302
    (message,) = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/confirm-email/\S+)", message.body).group(1)
    client.post(link)
    assert EmailAddress.objects.get(user=user).verified
    response = client.get(reverse("patients:index"))
    assert response["Location"] == reverse("patients:start")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short-9ch", False),
        ("password123", False),
        ("1234567890123", False),
        ("x" * 40 + "Yz9!" * 6, True),
    ],
)
def test_password_rules(client, password, ok):
    response = client.post(
        SIGNUP, {"email": "p@example.com", "password1": password, "password2": password}
    )
    assert User.objects.filter(email="p@example.com").exists() is ok
    if not ok:
        assert response.status_code == 200
        assert 'value="p@example.com"' in response.content.decode()


@pytest.mark.django_db
def test_login_is_rate_limited_after_failures(client):
    user = UserFactory()
    for _ in range(5):
        client.post(LOGIN, {"login": user.email, "password": "wrong-password-x"})
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert response.status_code in {200, 429}
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_by_email_and_password(client):
    user = UserFactory()
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_password_reset_sends_a_link(client):
    user = UserFactory()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
def test_changing_email_asks_for_the_password_again(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="new@example.com").exists()


def _login(client: Client, user, remember: bool):
    data = {"login": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    assert client.post(LOGIN, data).status_code == 302


def _age_session(client: Client, seconds: int):
    session = client.session
    session["_last_seen"] = int(time.time()) - seconds
    session.save()


@pytest.mark.django_db
def test_an_idle_session_is_signed_out_after_30_minutes(client):
    _login(client, UserFactory(), remember=False)
    _age_session(client, 29 * 60)
    assert client.get(reverse("patients:start")).status_code == 200
    _age_session(client, 31 * 60)
    response = client.get(reverse("patients:start"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    # The sign-in page says why (a tester was left wondering), and what the box does.
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 30 minutes without using the diary" in page
    assert "Keep me signed in on this device (not on a shared computer)" in page
    assert "data-counter" not in page and "320 characters" not in page  # no noise there


@pytest.mark.django_db
def test_an_idle_sign_out_during_a_quick_log_moves_the_whole_page_to_sign_in(client):
    """Idle for over 30 minutes, then Save on the quick log (htmx): the answer is a whole-page
    move to sign-in (not the sign-in page inside the quick log), back to Today afterwards,
    with a message that nothing was saved; nothing is written."""
    from diary.models import SymptomEntry

    from .factories import MembershipFactory

    membership = MembershipFactory(role="owner", is_self=True)
    _login(client, membership.user, remember=False)
    _age_session(client, 31 * 60)
    today = reverse("today", args=[membership.patient.public_id])
    response = client.post(
        reverse("diary:quick-log", args=[membership.patient.public_id]),
        {"symptom": "chills", "severity": "4"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{today}",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(LOGIN)
    assert response["HX-Redirect"].endswith("next=" + today)
    assert "_auth_user_id" not in client.session
    assert not SymptomEntry.objects.exists()
    page = client.get(response["HX-Redirect"]).content.decode()
    assert "You were signed out, so this was not saved." in page


@pytest.mark.django_db
def test_keep_me_signed_in_skips_the_idle_timeout(client):
    _login(client, UserFactory(), remember=True)
    _age_session(client, 3 * 60 * 60)
    assert client.get(reverse("patients:start")).status_code == 200


@pytest.mark.django_db
def test_login_gives_a_new_session_key(client):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    _login(client, UserFactory(), remember=False)
    assert client.session.session_key != before


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_account_pages_use_the_site_layout(client, name):
    body = client.get(reverse(name)).content.decode()
    assert "Skip to main content" in body
    assert "form-control" in body
    assert "does not give medical advice" in body


@pytest.mark.django_db
def test_two_factor_can_be_set_up(client):
    user = UserFactory()
    _login(client, user, remember=False)
    response = client.get(reverse("mfa_activate_totp"))
    # Security-sensitive changes ask for the password again first.
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200, response.get("Location")
    body = response.content.decode()
    assert 'src="data:image/svg+xml' in body
    assert "Skip to main content" in body


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(owner_client, patient):
    response = owner_client.get(reverse("today", args=[patient.public_id]))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    # No inline script anywhere: every <script> has a src.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_nothing_loads_from_another_origin(client):
    body = client.get("/").content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', body)


@pytest.mark.django_db
def test_csrf_is_enforced(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(reverse("patients:start"), {"name": "X"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_failed_security_check_says_nothing_was_saved_and_goes_back_to_the_page():
    """The browser lost its CSRF cookie (or the page was opened in another session): htmx,
    which shows nothing for an error answer, gets a whole-page move back to the page with a
    message; a plain form a page that says so. Nothing is written."""
    from diary.models import SymptomEntry

    from .factories import MembershipFactory

    membership = MembershipFactory(role="owner", is_self=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.user)
    today = reverse("today", args=[membership.patient.public_id])
    quick = reverse("diary:quick-log", args=[membership.patient.public_id])
    data = {"symptom": "chills", "severity": "4"}
    response = client.post(
        quick, data, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{today}"
    )
    assert response["HX-Redirect"] == today
    assert "That was not saved" in client.get(today).content.decode()
    # Another site as the page it came from: never sent there.
    response = client.post(
        quick, data, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/p/"
    )
    assert response["HX-Redirect"] == today
    response = client.post(quick, data, HTTP_REFERER=f"http://testserver{today}")
    assert response.status_code == 403
    page = response.content.decode()
    assert "That was not saved" in page and f'href="{today}"' in page
    assert not SymptomEntry.objects.exists()
