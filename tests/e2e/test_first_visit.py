"""A newcomer signs up, confirms the email, starts a diary and reaches the patient's home."""

import re

from django.core import mail

from tests.factories import PASSWORD


def test_sign_up_start_a_diary_and_reach_home(page, axe, live_server):
    page.goto("/")
    axe(page)
    page.get_by_role("link", name="Start a free diary").click()
    page.get_by_label("Email").fill("ana@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    axe(page)
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()
    axe(page)

    link = re.search(r"https?://[^/]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body).group(1)
    page.goto(link)
    axe(page)
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("heading", name="Start a diary").wait_for()
    axe(page)
    page.get_by_label("For me").check()
    page.get_by_label("Name shown in the app").fill("Ana")
    page.get_by_label("Time zone").select_option("Europe/Madrid")
    page.get_by_label("CIDP (chronic inflammatory demyelinating polyneuropathy)").check()
    page.get_by_role("button", name="Start the diary").click()

    page.get_by_role("heading", name="Today", exact=True).wait_for()
    assert re.search(r"/p/[\w-]+/$", page.url)
    assert page.get_by_text("Chronic inflammatory", exact=False).first.is_visible()
    axe(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    axe(page)


def test_a_bad_start_form_keeps_what_was_typed(page, axe, live_server, django_user_model):
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user("leo@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("leo@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Start a diary").wait_for()
    page.get_by_label("For someone I care for").check()
    page.get_by_label("Myositis").check()
    page.get_by_role("button", name="Start the diary").click()
    page.get_by_text("Please enter a name.").wait_for()
    assert page.get_by_label("Myositis").is_checked()
    assert page.get_by_label("For someone I care for").is_checked()
    axe(page)
