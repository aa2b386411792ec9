"""The side-effect diary in a phone browser: quick log, red flags, keyboard use, corrections."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import SymptomEntry
from patients.models import Membership
from tests.factories import PASSWORD, InfusionFactory, MembershipFactory

# Focusing the page from the address bar, then Tab: the quick log is well within this many stops.
MAX_TABS = 60
PHONE = {"width": 390, "height": 844}


def _owner():
    return MembershipFactory(role=Membership.Role.OWNER, is_self=True)


def _local_now(patient) -> dt.datetime:
    return timezone.localtime(timezone.now(), patient.tz)


def _label(page, input_id: str):
    return page.locator(f"label[for='{input_id}']")


def _active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _tab_until(page, predicate_js: str) -> None:
    """Press Tab until `predicate_js` (a JS expression on `el`) holds for the focused element."""
    test = f"(() => {{ const el = document.activeElement; return !!el && ({predicate_js}); }})()"
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(test):
            return
    raise AssertionError(f"Tab never reached an element where {predicate_js}")


def test_a_headache_takes_three_clicks_without_a_reload(page, axe, nav, sign_in, transactional_db):
    membership = _owner()
    patient, user = membership.patient, membership.user
    today = _local_now(patient).date()
    infusion = InfusionFactory(patient=patient, date=today - dt.timedelta(days=1))
    sign_in(user)
    page.goto(f"/p/{patient.public_id}/")
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    axe(page)

    url = page.url
    page.evaluate("window.__marker = 1")
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    click(_label(page, "qs-headache"))
    expect(page.get_by_role("group", name="How bad?")).to_be_visible()
    axe(page)
    click(_label(page, "sev-6"))
    click(page.locator("#quick-log").get_by_role("button", name="Save", exact=True))

    status = page.locator("#quick-log").get_by_role("status")
    expect(status).to_have_text("Saved: Headache 6 (moderate).")
    assert clicks == 3
    logged_today = page.locator("#today-entries")
    expect(logged_today.locator("li")).to_have_count(1)
    expect(logged_today.locator("li")).to_contain_text(re.compile(r"Headache\s+6\s+moderate"))
    # htmx swapped the panel in place: same URL, and the page's JavaScript state survived.
    assert page.url == url
    assert page.evaluate("window.__marker") == 1
    # The form is ready for the next entry.
    expect(page.locator("#qs-headache")).not_to_be_checked()
    axe(page)

    entry = SymptomEntry.objects.get()
    assert entry.symptom == "headache"
    assert entry.severity == 6
    assert entry.logged_by == user
    assert entry.infusion == infusion
    assert entry.days_after_infusion == 1

    nav(page, "Diary")
    page.get_by_role("heading", name="Diary", exact=True).wait_for()
    day = page.get_by_role("region", name=f"{today:%A} {today.day} {today:%B}", exact=True)
    line = day.locator("li", has_text="Headache")
    expect(line).to_contain_text(re.compile(r"Headache\s+6\s+moderate"))
    expect(line).to_contain_text("day 1 after infusion")
    axe(page)


def _sign_in_on(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def test_a_severe_headache_with_a_stiff_neck_warns_everyone(
    page, axe, sign_in, browser, live_server, transactional_db
):
    membership = _owner()
    patient = membership.patient
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/")
    _label(page, "qs-headache").click()
    _label(page, "sev-8").click()
    page.locator("#quick-log").get_by_role("button", name="Save", exact=True).click()

    follow_up = page.get_by_role("group", name="Do you also have any of these?")
    expect(follow_up).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    axe(page)
    follow_up.locator("label", has_text="Stiff neck").click()
    expect(page.locator("#fu-stiff_neck")).to_be_checked()
    page.get_by_role("button", name="Save answers").click()

    alert = page.get_by_role("alert").filter(has_text="Get medical advice now")
    expect(alert).to_be_visible()
    expect(alert.get_by_role("heading", name="Get medical advice now")).to_be_visible()
    expect(alert).to_contain_text("Severe headache with other warning signs")
    expect(alert).to_contain_text("contact your care team now")
    expect(alert.get_by_role("link", name=re.compile("Call 999"))).to_be_in_viewport()
    axe(page)

    rows = {e.symptom: e for e in SymptomEntry.objects.all()}
    assert set(rows) == {"headache", "stiff_neck"}
    assert rows["headache"].red_flags == ["aseptic_meningitis"]
    assert rows["stiff_neck"].red_flags == ["aseptic_meningitis"]

    page.reload()
    panel = page.get_by_role("alert").filter(has_text="Get medical advice now")
    expect(panel).to_be_visible()
    expect(panel.locator("li")).to_have_count(2)
    expect(panel).to_contain_text("Headache 8/10 severe")
    expect(panel).to_contain_text("Stiff neck 5/10 moderate")
    expect(panel).to_contain_text("Severe headache with other warning signs")
    axe(page)

    viewer = MembershipFactory(patient=patient, role=Membership.Role.CAREGIVER_VIEWER)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    try:
        other = context.new_page()
        other.set_default_timeout(10_000)
        _sign_in_on(other, viewer.user)
        other.goto(f"/p/{patient.public_id}/")
        other.get_by_role("heading", name=f"Today for {patient.name}").wait_for()
        seen = other.get_by_role("alert").filter(has_text="Get medical advice now")
        expect(seen).to_be_visible()
        expect(seen).to_contain_text("Severe headache with other warning signs")
        expect(other.locator("#quick-log")).to_have_count(0)
        expect(other.locator("form.quick-log")).to_have_count(0)
        expect(other.get_by_role("button", name="Gone now")).to_have_count(0)
        expect(other.get_by_text("You can view this diary.")).to_be_visible()
        axe(other)
        # The one write a viewer may make: the warning was dealt with.
        seen.get_by_role("button", name="It was checked").click()
        expect(other.get_by_role("alert").filter(has_text="Get medical advice now")).to_have_count(
            0
        )
        expect(other.get_by_text("1 warning dealt with lately")).to_be_visible()
    finally:
        context.close()


def test_the_quick_log_works_with_the_keyboard_alone(page, axe, sign_in, transactional_db):
    membership = _owner()
    patient = membership.patient
    sign_in(membership.user)
    page.goto(f"/p/{patient.public_id}/")
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    axe(page)

    _tab_until(page, "el.id === 'qs-headache'")
    # The hidden radio's label draws the focus ring (.btn-check:focus-visible + .btn).
    ring = _label(page, "qs-headache").evaluate(
        "label => { const s = getComputedStyle(label);"
        " return {outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow}; }"
    )
    outlined = ring["outline"] != "none" and ring["width"] != "0px"
    assert outlined or ring["shadow"] != "none", ring

    page.keyboard.press("ArrowRight")  # arrow keys move the selection within a radio group
    assert _active_id(page) == "qs-fatigue"
    expect(page.locator("#qs-fatigue")).to_be_checked()
    expect(page.get_by_role("group", name="How bad?")).to_be_visible()

    page.keyboard.press("Tab")
    assert _active_id(page) == "sev-0"
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert _active_id(page) == "sev-4"
    expect(page.locator("#sev-4")).to_be_checked()

    _tab_until(page, "el.type === 'submit' && el.textContent.trim() === 'Save'")
    page.keyboard.press("Enter")

    expect(page.locator("#quick-log").get_by_role("status")).to_have_text(
        "Saved: Tiredness (fatigue) 4 (moderate)."
    )
    entry = SymptomEntry.objects.get()
    assert (entry.symptom, entry.severity) == ("fatigue", 4)
    axe(page)


def test_same_as_yesterday_and_gone_now_are_one_tap_each(page, axe, sign_in, transactional_db):
    membership = _owner()
    patient, user = membership.patient, membership.user
    now = _local_now(patient)
    today = now.date()
    yesterday = today - dt.timedelta(days=1)

    def local(day, hour, minute=0):
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=patient.tz)

    SymptomEntry.objects.create(
        patient=patient,
        logged_by=user,
        symptom="fatigue",
        severity=5,
        onset=local(yesterday, 10),
        ended_at=local(yesterday, 18),
    )
    headache = SymptomEntry.objects.create(
        patient=patient,
        logged_by=user,
        symptom="headache",
        severity=4,
        onset=max(local(today, 0, 0), now - dt.timedelta(hours=1)),
    )
    sign_in(user)
    page.goto(f"/p/{patient.public_id}/")

    still_going = page.get_by_role("region", name="Still going")
    expect(still_going).to_be_visible()
    line = still_going.locator("li", has_text="Headache")
    expect(line).to_contain_text(re.compile(r"Headache\s+4\s+moderate"))
    axe(page)
    line.get_by_role("button", name="Gone now").click()

    expect(page.get_by_text("Headache marked as gone.")).to_be_visible()
    headache.refresh_from_db()
    assert headache.ended_at is not None
    expect(still_going.locator("li", has_text="Headache")).to_have_count(0)
    axe(page)

    page.get_by_role("button", name="Same as yesterday").click()
    expect(page.get_by_text("Saved: Tiredness (fatigue) 5 (moderate).")).to_be_visible()
    copied = SymptomEntry.objects.filter(symptom="fatigue", onset__gte=local(today, 0))
    assert copied.count() == 1
    entry = copied.get()
    assert entry.severity == 5
    assert timezone.localtime(entry.onset, patient.tz).date() == today
    assert entry.logged_by == user
    assert SymptomEntry.objects.filter(symptom="fatigue").count() == 2
    axe(page)


@pytest.mark.parametrize(
    "with_htmx",
    [
        pytest.param(True, id="htmx"),
        # htmx blocked: the plain form post, as without JavaScript.
        pytest.param(False, id="full-page"),
    ],
)
def test_a_bad_side_effect_form_keeps_what_was_typed(
    with_htmx, page, axe, sign_in, transactional_db
):
    membership = _owner()
    patient = membership.patient
    sign_in(membership.user)
    if not with_htmx:
        page.route("**/django_htmx/htmx*.js", lambda route: route.abort())
    page.goto(f"/p/{patient.public_id}/")
    page.get_by_role("link", name="Something else, or a different time…").click()
    page.get_by_role("heading", name="Log a side effect").wait_for()
    assert page.evaluate("typeof window.htmx") == ("object" if with_htmx else "undefined")
    axe(page)

    symptom = page.get_by_label("Symptom*", exact=True)
    symptom.select_option(label="Something else (type it below)")
    _label(page, "sev-7").click()
    page.get_by_label("Started").fill("2099-01-01T10:00")
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/side-effects/new/" in r.url
    ) as answer:
        page.get_by_role("button", name="Save", exact=True).click()
    assert answer.value.status == 200, f"the form answered {answer.value.status}"

    expect(page.locator("#div_id_custom_symptom")).to_contain_text(
        "Type what you feel, in your own words."
    )
    expect(page.locator("#div_id_onset")).to_contain_text("The start can’t be in the future.")
    expect(page.get_by_role("alert")).to_contain_text("Everything you typed is still here.")
    expect(symptom).to_have_value(SymptomEntry.OTHER)
    expect(page.get_by_label("Your own symptom")).to_have_value("")
    expect(page.locator("#sev-7")).to_be_checked()
    expect(page.get_by_label("Started")).to_have_value("2099-01-01T10:00")
    assert not SymptomEntry.objects.exists()
    axe(page)
