"""Every main page fits a 320 px wide phone (no sideways scrolling) and passes axe there."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from diary import entries
from diary.models import SymptomEntry
from infusions.models import Infusion
from patients.demo import DEMO_EMAIL, DEMO_PASSWORD
from patients.models import Patient, User

# A side effect in the patient's own words, one long word (the field takes 60 characters): it
# widened the report page at 320 px, whose stacked tables are no scrolling region.
LONG_WORD = "pinsandneedlesinbothhandsandfeetallthedaylong"


def test_main_pages_fit_320_px_and_pass_axe(page, axe, sign_in, transactional_db):
    call_command("seed_demo")
    patient = Patient.objects.get()
    infusion = Infusion.objects.filter(patient=patient).first()
    user = User.objects.get(email=DEMO_EMAIL)
    typed = SymptomEntry(
        patient=patient,
        symptom=SymptomEntry.OTHER,
        custom_symptom=LONG_WORD,
        severity=5,
        onset=timezone.now() - dt.timedelta(days=2),
    )
    typed.ended_at = typed.onset + dt.timedelta(hours=3)
    entries.save(typed, user)
    sign_in(user, DEMO_PASSWORD)
    page.set_viewport_size({"width": 320, "height": 800})
    base = f"/p/{patient.public_id}"
    paths = [
        f"{base}/",
        f"{base}/diary/",
        f"{base}/diary/measures/",
        f"{base}/diary/measures/mgadl/new/",
        f"{base}/diary/side-effects/new/",
        f"{base}/diary/questions/",
        f"{base}/infusions/",
        f"{base}/infusions/log/",
        f"{base}/infusions/{infusion.pk}/",
        f"{base}/infusions/plan/",
        f"{base}/settings/",
        f"{base}/settings/delete/",
        f"{base}/report/",
        f"{base}/trends/",
        f"{base}/trends/?period=3&show=effect:other:{LONG_WORD}",
        "/diaries/",
    ]
    for path in paths:
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320 px"
        axe(page)


def test_dark_mode_follows_the_os_and_keeps_contrast(page, axe, sign_in, transactional_db):
    call_command("seed_demo")
    patient = Patient.objects.get()
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    page.emulate_media(color_scheme="dark")
    for path in [
        f"/p/{patient.public_id}/",
        f"/p/{patient.public_id}/infusions/log/",
        "/accounts/email/",
    ]:
        page.goto(path)
        assert page.evaluate("document.documentElement.dataset.bsTheme") == "dark"
        axe(page)


def test_on_paper_a_page_prints_its_content_without_the_menu(page, sign_in, transactional_db):
    """Printed, the menu squeezed into narrow columns ("To/da/y") above the trends chart."""
    call_command("seed_demo")
    patient = Patient.objects.get()
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    page.emulate_media(media="print")
    for path in (f"/p/{patient.public_id}/trends/", f"/p/{patient.public_id}/diary/"):
        page.goto(path)
        assert page.locator(".site-header").is_hidden(), path
        assert page.get_by_role("heading", level=1).is_visible(), path
        assert page.locator(".site-footer").is_visible(), f"{path}: the disclaimer is kept"
    # The trends page's period links and "Show" picker are for the screen.
    page.goto(f"/p/{patient.public_id}/trends/")
    assert page.locator(".trends-pick").is_hidden() and page.locator(".trends-periods").is_hidden()
    # Its tables of numbers print unfolded (the text alternative of each chart).
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator(".trends-chart details:not([open])").count() == 0
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator(".trends-chart details[open]").count() == 0


def test_the_menu_button_and_a_lone_link_are_big_enough(page, sign_in, transactional_db):
    call_command("seed_demo")
    patient = Patient.objects.get()
    sign_in(User.objects.get(email=DEMO_EMAIL), DEMO_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/p/{patient.public_id}/infusions/")
    for target in (
        page.get_by_role("button", name="Menu"),
        page.get_by_role("link", name="Deleted infusions"),
    ):
        box = target.bounding_box()
        assert box["height"] >= 44, (target, box)
