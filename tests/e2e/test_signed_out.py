"""Signed out under the user's hands: the quick log sends the whole page to sign in, then back."""

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from playwright.sync_api import expect

from diary.models import SymptomEntry
from patients.models import Membership
from tests.factories import PASSWORD, MembershipFactory

NOT_SAVED = "You were signed out, so this was not saved. Sign in, then log it again."


def test_a_quick_log_after_the_session_ran_out_goes_to_sign_in_and_back_to_today(
    page, axe, sign_in, transactional_db
):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient, user = membership.patient, membership.user
    today_path = f"/p/{patient.public_id}/"
    sign_in(user)
    page.goto(today_path)
    page.get_by_role("heading", name="Today", exact=True).wait_for()

    # The session runs out (or another tab signed out): the browser no longer has it. Only the
    # session cookie goes: the CSRF cookie outlives a session (a year) and survives signing out,
    # and without it Django refuses the POST before the access gate is reached.
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.locator("label[for='qs-headache']").click()
    page.locator("label[for='sev-6']").click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()

    # The whole page is the sign-in page, not a sign-in page inside the quick-log card.
    page.wait_for_url("**/accounts/login/**")
    url = urlsplit(page.url)
    assert url.path == "/accounts/login/"
    assert parse_qs(url.query)["next"] == [today_path]
    expect(page.locator("header")).to_have_count(1)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(1)
    expect(page.locator("#quick-log")).to_have_count(0)
    expect(page.get_by_text(NOT_SAVED)).to_be_visible()
    axe(page)
    assert not SymptomEntry.objects.exists()

    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"**{today_path}")
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    expect(page.locator("#quick-log")).to_be_visible()
    # The message was shown once, on the sign-in page, not again on Today.
    expect(page.get_by_text(NOT_SAVED)).to_have_count(0)
