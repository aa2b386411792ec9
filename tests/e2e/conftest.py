"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Locally without Chromium they skip and say so; with CI=true a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# WCAG 2.x A and AA rules (axe tags); best-practice rules are reported by ../shared/tools/shoot.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TRANSITIONS_DONE = "() => document.getAnimations().every(a => a.playState !== 'running')"
# Two animation frames: a hover or focus change made by the last step has started its transition.
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                f"CI=true but Chromium is missing at {CHROMIUM}: browser tests must run in CI"
            )
        pytest.skip(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser tests skipped"
        )
    # Playwright's sync API runs an event loop in this thread; the live server and the ORM calls
    # made between browser steps are synchronous and safe here.
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            yield browser
            browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    checker = Axe()

    def check(page) -> None:
        # Bootstrap buttons fade their colours for 0.15 s after a click or a hover; axe must judge
        # the settled page, not a blend halfway through. After an htmx swap the pointer may rest
        # on a new button (a red-flag alert's white-on-red button turns white on hover), so park
        # it in a corner first and let any transition that starts begin before waiting it out.
        page.mouse.move(0, 0)
        page.evaluate(TWO_FRAMES)
        page.wait_for_function(TRANSITIONS_DONE)
        result = checker.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        violations = result.response["violations"]
        assert not violations, f"axe on {page.url}:\n" + result.generate_report()

    return check


@pytest.fixture
def sign_in(page):
    """Sign a user in through the real login form."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    from tests.factories import PASSWORD

    def do(user, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign In").click()
        # Wait for the page after the form, not the form's own finished load:
        # a click into a half-loaded page (Bootstrap not yet run) can be lost.
        # Without the check, a failed sign-in lets a test check the login page instead.
        try:
            page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=10_000)
        except PlaywrightTimeoutError:
            raise AssertionError(f"{user.email} could not sign in") from None
        page.wait_for_load_state("load")

    return do


@pytest.fixture
def nav():
    """Follow a main-menu link, opening the collapsed menu first on a phone."""

    def do(page, name: str) -> None:
        toggler = page.get_by_role("button", name="Menu")
        if toggler.is_visible():
            toggler.click()
        link = page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=name, exact=True
        )
        href = link.get_attribute("href")
        link.click()
        page.wait_for_url(f"**{href}")
        page.wait_for_load_state("load")

    return do
