"""The small scripts of app.js in a real browser: the device's time zone for a new diary, length
counters that never cut what was typed, and the emergency number that follows the country."""

from patients.models import Patient
from tests.factories import MembershipFactory, PatientFactory, UserFactory


def test_a_new_diary_starts_in_the_device_time_zone(browser, live_server, transactional_db):
    user = UserFactory()
    MembershipFactory(user=user, patient=PatientFactory(time_zone="Europe/London"), is_self=True)
    # Chromium reports India as "Asia/Calcutta", an old name the list does not hold.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, timezone_id="Asia/Kolkata"
    )
    page = context.new_page()
    try:
        _sign_in(page, user)
        page.goto("/start/")
        assert page.get_by_label("Time zone").input_value() == "Asia/Kolkata"
        # A zone picked by hand and sent back is never replaced.
        page.get_by_label("Time zone").select_option("Asia/Tokyo")
        page.get_by_role("button", name="Start the diary").click()
        page.get_by_text("Please enter a name.").wait_for()
        assert page.get_by_label("Time zone").input_value() == "Asia/Tokyo"
    finally:
        context.close()


def test_counters_show_the_limit_and_never_cut_a_paste(page, axe, sign_in, transactional_db):
    user = UserFactory()
    patient = MembershipFactory(user=user, patient=PatientFactory(name="Maya")).patient
    sign_in(user)
    page.goto(f"/p/{patient.public_id}/settings/")
    name = page.get_by_label("Name shown in the app")
    counter = page.locator("#id_name_counter")
    assert counter.inner_text() == "4 of 80 characters"
    long_name = "Maya " + "x" * 85
    name.fill(long_name)  # as a paste: all at once
    assert name.input_value() == long_name  # nothing cut by the browser
    assert counter.inner_text() == "90 of 80 characters: 10 too many"
    axe(page)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Use at most 80 characters (you typed 90).").wait_for()
    assert page.get_by_label("Name shown in the app").input_value() == long_name
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_the_emergency_suggestion_follows_the_country(page, axe, sign_in, transactional_db):
    user = UserFactory()
    patient = MembershipFactory(
        user=user, patient=PatientFactory(time_zone="Europe/London")
    ).patient
    sign_in(user)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"/p/{patient.public_id}/settings/")
    box = page.locator("#emergency-suggestion")
    assert "Suggested for United Kingdom: 999" in box.inner_text()
    page.get_by_label("Country where you live").select_option("AU")
    assert "Suggested for Australia: 000" in box.inner_text()
    button = box.get_by_role("button")
    height = button.bounding_box()["height"]
    assert height >= 44
    axe(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    button.click()
    page.get_by_text("The emergency number is 000.").wait_for()
    patient = Patient.objects.get(pk=patient.pk)
    assert (patient.country, patient.emergency_number) == ("AU", "000")
    assert page.locator("#emergency-suggestion").is_hidden()


def _sign_in(page, user) -> None:
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
