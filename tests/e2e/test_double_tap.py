"""A second tap on Save while the first is on its way saves nothing more (weak hands, tremor,
a slow phone): on an htmx form (a note) and on the infusion form."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from diary.models import Note
from infusions.models import Infusion
from patients.models import Membership
from tests.factories import MembershipFactory, RegimenFactory


def _posts_sent(page, path_part: str) -> list[str]:
    """The POSTs the page sends to ``path_part`` from now on: a second tap must send none (on
    a slow network the server would get both, whatever the browser does with the answers)."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and path_part in request.url
            else None
        ),
    )
    return sent


def test_a_double_tap_on_save_writes_one_note(page, sign_in, transactional_db):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    sign_in(membership.user)
    page.goto(reverse("diary:note-add", args=[patient.public_id]))
    page.get_by_label("How are you doing?").fill("Legs stronger on the stairs")
    sent = _posts_sent(page, "/notes/new/")
    page.get_by_role("button", name="Save", exact=True).dblclick()
    page.wait_for_url(lambda url: "/notes/new/" not in url)
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1, sent
    assert Note.objects.filter(patient=patient).count() == 1


def test_a_double_tap_on_save_infusion_writes_one_infusion(page, sign_in, transactional_db):
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    today = timezone.localtime(timezone.now(), patient.tz).date()
    RegimenFactory(patient=patient, start_date=today - dt.timedelta(days=90))
    sign_in(membership.user)
    page.goto(reverse("infusions:log", args=[patient.public_id]))
    page.get_by_label("Lot number").first.fill("P555111")
    sent = _posts_sent(page, "/infusions/")
    page.get_by_role("button", name="Save infusion").dblclick()
    page.get_by_role("heading", name="Infusion of").wait_for()
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1, sent
    assert Infusion.objects.filter(patient=patient).count() == 1


def test_the_form_takes_a_second_save_after_an_answer(page, sign_in, transactional_db):
    """Blocking the second tap never blocks the next real try: a form sent back with an error
    can be corrected and saved."""
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    sign_in(membership.user)
    page.goto(reverse("diary:note-add", args=[patient.public_id]))
    sent = _posts_sent(page, "/notes/new/")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Write a few words.").wait_for()
    page.get_by_label("How are you doing?").fill("Better")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(lambda url: "/notes/new/" not in url)
    assert len(sent) == 2, sent
    assert Note.objects.filter(patient=patient).count() == 1


def test_a_tap_while_the_next_page_loads_sends_nothing(page, sign_in, transactional_db):
    """Saved: the server answers "go to the diary" (HX-Redirect), and the old page stays on
    screen, tappable, until the new one has loaded. A tap on Save then sends nothing."""
    membership = MembershipFactory(role=Membership.Role.OWNER, is_self=True)
    patient = membership.patient
    sign_in(membership.user)
    page.goto(reverse("diary:note-add", args=[patient.public_id]))
    page.get_by_label("How are you doing?").fill("Stairs easier")
    sent = _posts_sent(page, "/notes/new/")
    held = []

    def hold_the_next_page(route):
        if route.request.is_navigation_request() and route.request.method == "GET":
            held.append(route)  # the new page does not load until the test lets it
        else:
            route.continue_()

    page.route("**/*", hold_the_next_page)
    save = page.get_by_role("button", name="Save", exact=True)
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # The mouse, not the locator: a locator's click waits for the navigation it starts, which
    # this test holds (on a loaded machine the click then timed out).
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.mouse.click(*middle)
    page.wait_for_timeout(300)  # htmx reads the answer and asks for the next page
    assert held, "the next page was asked for"
    # A finger on the same spot (the mouse does not wait for the navigation, as a locator does).
    page.mouse.click(*middle)
    page.wait_for_timeout(300)
    assert len(sent) == 1, sent
    held.pop().continue_()
    page.wait_for_url(lambda url: "/notes/new/" not in url)
    assert Note.objects.filter(patient=patient).count() == 1
