"""The Export page for the demo diary, in a real browser: each export asked for, made in the
background (here at once: no task worker runs beside the live server), downloaded and opened,
then the full export imported as a new diary whose pages show the same entries (issue 10)."""

import io
import json
import re
import zipfile

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from patients.demo import DEMO_EMAIL, DEMO_PASSWORD
from patients.models import Patient, User
from reports.models import ExportJob

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def _settled(page) -> None:
    """After an htmx swap: the swap settled, and time for Chrome to notice that the content
    moved under the pointer (it updates hover on a timer after layout), so a button now under
    it has started the hover transition that axe then waits out (no colour judged mid-fade)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    page.wait_for_timeout(300)


def _download(page, control) -> tuple[str, bytes]:
    with page.expect_download() as waiting:
        control.click()
    download = waiting.value
    with open(download.path(), "rb") as file:
        return download.suggested_filename, file.read()


def _entries(page, patient) -> list[str]:
    """The lines of the diary list (side effects, notes, questions, measures), newest first,
    over every page of it."""
    page.goto(f"/p/{patient.public_id}/diary/")
    lines = page.locator("main li").all_inner_texts()
    return [" ".join(line.split()) for line in lines]


def test_every_export_of_the_demo_diary_and_its_import(
    page, sign_in, nav, axe, settings, transactional_db
):
    settings.TASKS = IMMEDIATE
    call_command("seed_demo")
    user = User.objects.get(email=DEMO_EMAIL)
    maya = Patient.objects.get(name="Maya")
    today = timezone.localtime(timezone.now(), maya.tz).date()
    page.set_viewport_size({"width": 320, "height": 740})
    sign_in(user, DEMO_PASSWORD)
    nav(page, "Export")
    expect(page.get_by_role("heading", name="Export", level=1)).to_be_visible()
    _no_sideways_scroll(page)
    axe(page)

    # CSV for a spreadsheet, the whole diary. Health data leaves the site: the password is asked
    # again first, saying why; allauth then replays the request, the export is made in the
    # background and its page offers the file (and for 5 minutes no more questions).
    page.get_by_role("button", name=re.compile("spreadsheet")).click()
    expect(page.get_by_role("heading", name="Your password, once more")).to_be_visible()
    expect(
        page.get_by_text("You are downloading a copy of the diary’s health data.")
    ).to_be_visible()
    axe(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your export", level=1)).to_be_visible()
    _no_sideways_scroll(page)
    axe(page)
    name, data = _download(page, page.get_by_role("link", name="Download the CSV zip"))
    assert re.fullmatch(rf"diary-maya-\d{{4}}-\d\d-\d\d-{today:%Y-%m-%d}\.zip", name), name
    archive = zipfile.ZipFile(io.BytesIO(data))
    csvs = [n for n in archive.namelist() if n.endswith(".csv")]
    assert len(csvs) >= 5
    for member in csvs:
        text = archive.read(member).decode("utf-8-sig")
        assert text.splitlines()[0], f"{member} has no header row"

    # The user may leave and come back: the Export page lists the export with its download.
    page.get_by_role("link", name="Back to Export").click()
    expect(page.get_by_role("heading", name="Your exports")).to_be_visible()
    expect(page.get_by_role("link", name="Download the CSV zip")).to_be_visible()

    # FHIR for a clinic, a chosen period (htmx: the list comes back with it, here already made):
    # a Bundle named after that period.
    page.get_by_label("From", exact=True).fill("2026-09-01")
    page.get_by_label("To", exact=True).fill("2026-10-31")
    page.get_by_role("button", name=re.compile("clinic system")).click()
    link = page.get_by_role("link", name="Download the FHIR file")
    expect(link).to_be_visible()
    assert page.url.endswith(f"/p/{maya.public_id}/export/")  # no page change: a swap
    _no_sideways_scroll(page)
    _settled(page)
    axe(page)
    name, data = _download(page, link)
    assert name == "diary-maya-2026-09-01-2026-10-31.fhir.json"
    bundle = json.loads(data)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "MedicationAdministration", "AdverseEvent", "Observation"} <= kinds

    # A wrong period is said next to the field, what was typed stays, and nothing is asked.
    page.get_by_label("From", exact=True).fill("2026-10-31")
    page.get_by_label("To", exact=True).fill("2026-09-01")
    page.get_by_role("button", name=re.compile("spreadsheet")).click()
    expect(page.get_by_text("Enter a last day on or after the first.")).to_be_visible()
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-10-31")
    expect(page.get_by_label("To", exact=True)).to_have_value("2026-09-01")
    assert ExportJob.objects.filter(patient=maya).count() == 2
    _no_sideways_scroll(page)
    _settled(page)
    axe(page)

    # The full export, then imported: a new diary of the same user, with the same entries.
    page.get_by_role("button", name=re.compile("full export")).click()
    name, data = _download(page, page.get_by_role("link", name="Download the full export"))
    assert name.startswith("diary-maya-") and name.endswith(".json")
    page.get_by_label("Export file (.json)").set_input_files(
        files=[{"name": name, "mimeType": "application/json", "buffer": data}]
    )
    page.get_by_role("button", name="Import as a new diary").click()
    expect(page.get_by_text("is imported as a new diary")).to_be_visible()
    axe(page)
    imported = Patient.objects.exclude(pk=maya.pk).get(memberships__user=user)
    assert f"/p/{imported.public_id}/" in page.url
    assert _entries(page, imported) == _entries(page, maya)
