"""Back after htmx swaps brings back the whole page, header and navigation included."""

from django.core.management import call_command
from playwright.sync_api import expect

from patients.demo import DEMO_EMAIL, DEMO_PASSWORD
from patients.models import Patient, User


def test_back_after_older_twice_keeps_the_navigation(page, sign_in, transactional_db):
    call_command("seed_demo")
    patient = Patient.objects.get()
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    page.goto(f"/p/{patient.public_id}/diary/")
    for _ in range(2):
        with page.expect_response(lambda r: "until=" in r.url):
            page.get_by_role("link", name="Older").first.click()
    # htmx restores from its own cache when it can; without it, it asks the server.
    page.evaluate("localStorage.removeItem('htmx-history-cache')")
    with page.expect_response(lambda r: r.request.headers.get("hx-history-restore-request")):
        page.go_back()
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.locator("footer")).to_be_visible()
    expect(page.get_by_role("link", name="Older").first).to_be_visible()
