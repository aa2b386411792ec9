"""The report's PDF: made by a background task, kept in the database, one diary's only.

Tasks run at once here: either the task's function is called (``jobs.run``), or the
ImmediateBackend runs what ``request_pdf`` queues when its transaction commits. Making a PDF
needs WeasyPrint's system library (Pango): without it these tests skip and say so, except under
CI=true, where they must run.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reports import jobs, pdf, sections
from reports.models import ReportPdfJob, ReportRecord

from .factories import PatientFactory

SINCE, UNTIL = dt.date(2026, 8, 1), dt.date(2026, 10, 31)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
A4_POINTS = (595, 842)
LETTER_POINTS = (612, 792)


@pytest.fixture
def needs_pdf():
    if pdf.available():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"CI=true but WeasyPrint cannot load Pango: apt-get install {pdf.SYSTEM_PACKAGES}"
        )
    pytest.skip(
        f"WeasyPrint cannot load Pango (apt-get install {pdf.SYSTEM_PACKAGES}): PDF tests skipped"
    )


@pytest.fixture
def maya(patient):
    patient.date_of_birth = dt.date(1986, 4, 17)
    patient.clinic_number = "RX1-204518"
    patient.save()
    return patient


def pages_of(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data)).pages


def page_size(page) -> tuple[int, int]:
    return round(float(page.mediabox.width)), round(float(page.mediabox.height))


def queued_job(patient, user=None, **kwargs) -> ReportPdfJob:
    values = {"since": SINCE, "until": UNTIL} | kwargs
    return jobs.request_pdf(patient, user, **values)


# --- made in the background -------------------------------------------------------------------


def test_a_job_makes_a_real_pdf(
    needs_pdf, maya, owner, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        job = queued_job(maya, owner, parts=[sections.NOTES, sections.CYCLES])
    job = jobs.job_for(maya, job.pk)
    assert job.status == ReportPdfJob.Status.DONE
    assert job.error == ""
    assert job.task_id
    assert job.started_at <= job.finished_at
    data = job.pdf_bytes()
    assert data.startswith(b"%PDF-")
    assert job.size_bytes == len(data)
    assert job.filename == "diary-report-2026-08-01-to-2026-10-31.pdf"

    pages = pages_of(data)
    assert len(pages) == 2  # page 1 alone, then the parts chosen, one after another
    assert {page_size(page) for page in pages} == {A4_POINTS}  # Europe/London: A4
    made_on = timezone.localtime(job.created_at, maya.tz).date()
    for number, page in enumerate(pages, start=1):
        text = " ".join(page.extract_text().split())
        # Every page: who, born when, clinic number, the period; the disclaimer, date, page.
        assert "Maya · born 17 Apr 1986 · clinic number RX1-204518" in text
        assert "1 Aug 2026 – 31 Oct 2026" in text
        assert "Not a medical record and not medical advice." in text
        assert f"Made on {made_on:%-d %b %Y}." in text
        assert f"Page {number} of 2" in text
    assert "Cycle by cycle" not in pages[0].extract_text()  # page 1 is the summary alone
    detail = pages[1].extract_text()
    # The parts in the report's order, the second right after the first (no half-empty page).
    assert detail.index("Cycle by cycle") < detail.index("Notes on how I was doing")

    record = ReportRecord.objects.get(patient=maya)
    assert (record.since, record.until, record.made_by, record.made_at) == (
        SINCE,
        UNTIL,
        owner,
        job.created_at,
    )


def test_letter_paper_for_a_diary_in_the_us(needs_pdf, patient):
    patient.country = "US"
    patient.save()
    job = queued_job(patient)
    assert job.paper == "letter"
    assert jobs.run(job.pk)["status"] == "done"
    pages = pages_of(jobs.job_for(patient, job.pk).pdf_bytes())
    assert {page_size(page) for page in pages} == {LETTER_POINTS}
    # Chosen in the request: A4 after all.
    other = queued_job(patient, paper="a4", parts=[])
    jobs.run(other.pk)
    assert page_size(pages_of(jobs.job_for(patient, other.pk).pdf_bytes())[0]) == A4_POINTS


def test_without_a_date_of_birth_or_clinic_number_the_header_has_the_name(needs_pdf, patient):
    job = queued_job(patient, parts=[])
    jobs.run(job.pk)
    text = " ".join(pages_of(jobs.job_for(patient, job.pk).pdf_bytes())[0].extract_text().split())
    assert "1 Aug 2026 – 31 Oct 2026Maya Page 1 of 1" in text  # the header: period, name
    assert "born" not in text and "clinic number" not in text and "·" not in text
    assert "Page 1 of 1" in text


def test_the_queue_holds_only_the_jobs_id(patient, owner, django_capture_on_commit_callbacks):
    # The database backend (the default): the task waits for a worker, with nothing but the id.
    with django_capture_on_commit_callbacks(execute=True):
        job = queued_job(patient, owner)
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [str(job.pk)], "kwargs": {}}
    assert task.task_path == "reports.tasks.render_report_pdf"
    job.refresh_from_db()
    assert (job.status, job.task_id) == (ReportPdfJob.Status.QUEUED, str(task.id))


# Committed for real: the worker closes a connection left inside a transaction, as the test
# transaction would be (on PostgreSQL).
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_queued_job(needs_pdf, patient, owner):
    job = queued_job(patient, owner, parts=[])  # queued when request_pdf's transaction commits
    assert DBTaskResult.objects.count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.status == ReportPdfJob.Status.DONE
    assert job.pdf_bytes().startswith(b"%PDF-")


# --- failures -----------------------------------------------------------------------------------


def test_a_failure_marks_the_job_failed_with_a_message(patient, owner, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(pdf, "render", broken)
    job = queued_job(patient, owner)
    assert jobs.run(job.pk) == {"job": str(job.pk), "status": "failed"}
    job = jobs.job_for(patient, job.pk)
    assert job.status == ReportPdfJob.Status.FAILED
    assert job.error == str(jobs.FAILED_MESSAGE)
    assert job.pdf is None and job.finished_at is not None
    assert not ReportRecord.objects.exists()  # no report was made
    assert "could not be made" in caplog.text
    assert "layout exploded" in caplog.text  # for the operator, in the log only


def test_without_pango_the_job_says_pdfs_cannot_be_made_here(patient, monkeypatch):
    def unavailable(*args, **kwargs):
        raise pdf.PdfUnavailable("no pango")

    monkeypatch.setattr(pdf, "render", unavailable)
    job = queued_job(patient)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", str(jobs.UNAVAILABLE_MESSAGE))


def test_a_pdf_over_the_size_cap_is_not_kept(patient, settings, monkeypatch):
    monkeypatch.setattr(pdf, "render", lambda *args, **kwargs: b"%PDF-" + b"x" * 3_000_000)
    settings.REPORT_PDF_MAX_BYTES = 2_000_000
    job = queued_job(patient)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == ReportPdfJob.Status.FAILED
    assert job.error.startswith("The PDF came out too large (3.0 MB).")
    assert job.pdf is None


def test_a_job_is_made_once(patient, monkeypatch):
    calls = []
    monkeypatch.setattr(pdf, "render", lambda *args, **kwargs: calls.append(1) or b"%PDF-1.7")
    job = queued_job(patient)
    assert jobs.run(job.pk)["status"] == "done"
    assert jobs.run(job.pk) == {"job": str(job.pk), "status": "done"}  # a second delivery
    assert jobs.run("9a1d1a47-0000-4000-8000-000000000000")["status"] == "missing"
    assert len(calls) == 1
    assert ReportRecord.objects.count() == 1


# --- one diary's ------------------------------------------------------------------------------


def test_a_job_belongs_to_one_diary(patient, owner, monkeypatch):
    monkeypatch.setattr(pdf, "render", lambda *args, **kwargs: b"%PDF-1.7 Maya")
    other = PatientFactory(name="Other")
    job = queued_job(patient, owner)
    jobs.run(job.pk)
    theirs = queued_job(other)

    assert list(jobs.jobs_for(patient)) == [job]
    assert list(jobs.jobs_for(other)) == [theirs]
    with pytest.raises(ReportPdfJob.DoesNotExist):
        jobs.job_for(other, job.pk)  # another diary's member cannot fetch it
    with pytest.raises(ReportPdfJob.DoesNotExist):
        jobs.job_for(patient, "../1")
    assert jobs.job_for(patient, str(job.pk)).pdf_bytes() == b"%PDF-1.7 Maya"
    # Listings leave the file in the database.
    assert "pdf" in jobs.jobs_for(patient).get().get_deferred_fields()


def test_asking_twice_gives_the_same_job_and_the_queue_per_diary_is_bounded(patient, owner):
    first = queued_job(patient, owner)
    assert queued_job(patient, owner) == first
    second = queued_job(patient, owner, since=dt.date(2026, 9, 1))
    third = queued_job(patient, owner, paper="letter")
    assert len({first.pk, second.pk, third.pk}) == 3
    with pytest.raises(ValidationError, match="3 PDFs of this diary are being made"):
        queued_job(patient, owner, parts=[])
    # Another diary has a queue of its own.
    queued_job(PatientFactory(), None)
    # A job nobody ran for long (no worker) no longer holds a place.
    ReportPdfJob.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - jobs.STUCK_AFTER - dt.timedelta(minutes=1)
    )
    assert jobs.is_stuck(ReportPdfJob.objects.get(pk=first.pk))
    assert queued_job(patient, owner, parts=[]).status == ReportPdfJob.Status.QUEUED


def test_a_bad_request_is_refused_in_plain_words(patient):
    with pytest.raises(ValidationError, match="last day comes before its first"):
        queued_job(patient, since=UNTIL, until=SINCE)
    with pytest.raises(ValidationError, match="Choose from the parts shown."):
        queued_job(patient, parts=["everything"])
    with pytest.raises(ValidationError, match="Choose A4 or Letter."):
        queued_job(patient, paper="legal")
    assert not ReportPdfJob.objects.exists()


def test_old_pdfs_are_deleted_when_a_new_one_is_asked_for(patient):
    old = queued_job(patient)
    ReportPdfJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - jobs.KEEP_FOR - dt.timedelta(hours=1)
    )
    new = queued_job(patient, parts=[])
    assert list(ReportPdfJob.objects.all()) == [new]


# --- what the PDF may load ------------------------------------------------------------------


def test_only_static_files_and_data_urls_are_fetched(needs_pdf):
    fetcher = pdf._fetcher_class()()
    css = fetcher.fetch(pdf.INTERNAL_BASE_URL + "static/" + pdf.PAGED_CSS)
    assert b"@page" in css.read()
    for refused in (
        "https://example.org/track.png",
        "file:///etc/passwd",
        pdf.INTERNAL_BASE_URL + "static/../config/settings.py",
        pdf.INTERNAL_BASE_URL + "static//etc/passwd",
        pdf.INTERNAL_BASE_URL + "static/%2e%2e/config/settings.py",
        pdf.INTERNAL_BASE_URL + "admin/",
    ):
        with pytest.raises(ValueError, match="not fetched"):
            fetcher.fetch(refused)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"


def test_a_document_with_outside_links_is_made_without_them(needs_pdf):
    html = (
        '<html><head><link rel="stylesheet" href="https://cdn.example.org/x.css"></head>'
        '<body><img src="file:///etc/hostname" alt="x"><p>Fine</p></body></html>'
    )
    data = pdf.write_pdf(html, paper="letter")
    assert data.startswith(b"%PDF-")
    assert page_size(pages_of(data)[0]) == LETTER_POINTS


def test_the_garbage_collector_pauses_while_a_pdf_is_laid_out(needs_pdf, monkeypatch):
    """Laying out a long report made the collector walk its objects over and over (~0.3 s of
    the five-year PDF): it is off for the layout, and on again after, even after a failure."""
    import gc

    seen = []
    real = pdf._lay_out

    def lay_out(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf, "_lay_out", lay_out)
    assert gc.isenabled()
    assert pdf.write_pdf("<p>Fine</p>").startswith(b"%PDF-")
    assert seen == [False] and gc.isenabled()

    def broken(*args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pdf, "_lay_out", broken)
    with pytest.raises(RuntimeError):
        pdf.write_pdf("<p>Fine</p>")
    assert gc.isenabled()
    # Paused by a caller already (a job pauses it around its data too): left off for it.
    gc.disable()
    try:
        with pdf.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_two_pdfs_made_at_once_share_one_pause():
    """Threads of one server can make two PDFs at once, and the collector is one per process:
    it stays off until the last of them is made, then is on again."""
    import gc
    import threading

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with pdf.collector_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second():
        a_in.wait(5)
        with pdf.collector_paused():
            b_in.set()
            a_out.wait(5)
            seen["after the first ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert seen == {"after the first ended": False}
        assert gc.isenabled()
    finally:
        gc.enable()


def _list_items_by_page(html: str) -> list[set[str]]:
    """The ids of the list items each page of ``html``, laid out as the PDF is, shows."""
    weasyprint = pdf._weasyprint()
    laid_out = weasyprint.HTML(
        string=html, base_url=pdf.INTERNAL_BASE_URL, url_fetcher=pdf._fetcher_class()()
    ).render(stylesheets=pdf._stylesheets("a4"))
    pages = []
    for page in laid_out.pages:
        seen, boxes = set(), [page._page_box]
        while boxes:
            box = boxes.pop()
            element = getattr(box, "element", None)
            if element is not None and element.tag == "li" and element.get("id"):
                seen.add(element.get("id"))
            boxes.extend(getattr(box, "children", []))
        pages.append(seen)
    return pages


def test_no_infusion_day_is_split_over_two_pages(needs_pdf):
    """The table kept each day's row on one page; the list it became keeps each day's item so:
    a reaction at the top of a page must not need the page before to say which day it was."""
    note = "Felt tired in the evening; the nurse changed the needle twice. " * 3
    items = "".join(
        f'<li id="d{i}"><strong>{i} Mar 2026</strong>, 09:00–13:00: Privigen 10 % (IV), 35 g, '
        "350 mL, up to 4 mL/kg/h; lot A1 (exp. 1 Jan 2027); premedication Paracetamol 1 g, "
        "Cetirizine 10 mg; At home, nurse Anna. During the infusion: Chills 4 (moderate), "
        "infusion slowed; Headache 3 (mild), nothing needed. "
        f'<span class="report-small">{note}</span></li>'
        for i in range(60)
    )
    html = (
        '<main class="report-document"><section class="report-section-page">'
        f'<h2>Every infusion day</h2><ul class="report-entries report-infusion-days">{items}</ul>'
        "</section></main>"
    )
    pages = _list_items_by_page(html)
    assert len(pages) > 2
    split = [both for a, b in itertools.pairwise(pages) if (both := a & b)]
    assert not split, f"{len(pages)} pages; days on two pages: {split}"


def test_each_page_1_label_sits_beside_its_own_value(needs_pdf):
    """A label on two lines ("During / infusions") beside a value on one: the next value ran
    on beside the label's second line, and every label below sat by the next one's value."""
    from django.templatetags.static import static

    rows = "".join(
        f"<dt>{label}</dt><dd>{value}</dd>"
        for label, value in (
            ("During infusions", "None."),
            ("After infusions", "No side effects logged after the courses of this period."),
            ("Red flags", "None reported in this period."),
            ("Measures", "One reading: 9 on 30 May."),
        )
    )
    html = (
        f'<html><head><link rel="stylesheet" href="{static("reports/report.css")}"></head>'
        '<body class="report-paper"><article class="report-document">'
        f'<dl class="report-summary">{rows}</dl></article></body></html>'
    )
    weasyprint = pdf._weasyprint()
    laid_out = weasyprint.HTML(
        string=html, base_url=pdf.INTERNAL_BASE_URL, url_fetcher=pdf._fetcher_class()()
    ).render(stylesheets=pdf._stylesheets("a4"))
    tops: dict[str, dict[int, float]] = {"dt": {}, "dd": {}}
    boxes = [laid_out.pages[0]._page_box]
    while boxes:  # breadth first: an element's own block box comes before its lines
        box = boxes.pop(0)
        element = getattr(box, "element", None)
        tag = getattr(element, "tag", None)
        if tag in tops:
            tops[tag].setdefault(id(element), box.position_y)
        boxes.extend(getattr(box, "children", []))
    tops = {tag: sorted(found.values()) for tag, found in tops.items()}
    assert len(tops["dt"]) == len(tops["dd"]) == 4
    for label, value in zip(tops["dt"], tops["dd"], strict=True):
        assert abs(label - value) < 8, (tops["dt"], tops["dd"])


def test_the_running_header_and_footer_are_hidden_on_screen(maya):
    context = pdf.report_context(maya, SINCE, UNTIL, [], "a4")
    html = render_to_string("reports/_running.html", context)
    assert '<div class="report-running-header" hidden>' in html
    assert '<div class="report-running-footer" hidden>' in html
    assert "born 17 Apr 1986" in html and "clinic number RX1-204518" in html
    assert 'Page <span class="report-page"></span> of <span class="report-pages"></span>' in html


def test_a_clinic_number_is_escaped_in_the_header(patient):
    patient.clinic_number = "<b>1</b>"  # refused by the settings form; escaped all the same
    html = render_to_string(
        "reports/_running.html", pdf.report_context(patient, SINCE, UNTIL, [], "a4")
    )
    assert "&lt;b&gt;1&lt;/b&gt;" in html


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_demo_s_page_1_fits_one_sheet(needs_pdf, db, paper):
    """F1: page 1 of the demo diary's report fits one sheet of A4 and of Letter, and page 2
    starts the detail parts: the disclaimer is in every footer, whole, and has no page of its
    own (it spilled onto an otherwise empty page 2)."""
    from patients.models import Patient
    from reports import document, preferences

    call_command("seed_demo")
    maya = Patient.objects.get(name="Maya")
    since, until = preferences.period_for(maya, preferences.local_today(maya))
    parts = list(sections.CODES)
    context = document.template_context(maya, since, until, parts, for_pdf=True, paper=paper)
    pages = pages_of(pdf.render(maya, since, until, parts, paper, context=context))
    first, second = (" ".join(page.extract_text().split()) for page in pages[:2])
    assert "Entries" in first and "During infusions" in first  # page 1 ends on page 1
    assert "Cycle by cycle" in second  # page 2 is the first detail part, not the disclaimer
    for text in (first, second):
        assert text.count("it makes no diagnosis and suggests no doses.") == 1  # the footer


@pytest.mark.parametrize("months", [6, 12])
def test_a_page_1_that_runs_over_by_a_few_lines_is_tightened_onto_one_letter_sheet(
    needs_pdf, db, months
):
    """The demo's six- and twelve-month summaries ran two to four lines onto a second Letter
    sheet (Questions, Entries): laid out again a little tighter, page 1 is one sheet."""
    from patients.models import Patient
    from reports import document, preferences

    call_command("seed_demo")
    maya = Patient.objects.get(name="Maya")
    until = preferences.local_today(maya)
    since = until - dt.timedelta(days=round(months * 30.5))
    context = document.template_context(maya, since, until, [], for_pdf=True, paper="letter")
    pages = pages_of(pdf.render(maya, since, until, [], "letter", context=context))
    assert len(pages) == 1
    text = " ".join(pages[0].extract_text().split())
    assert "Questions" in text and "Entries" in text and "Page 1 of 1" in text


def _summary_html(lines: int) -> str:
    items = "".join(
        f"<li>Line {n} of the summary, as long as a measure's line.</li>" for n in range(lines)
    )
    return (
        '<html><body class="report-paper"><section class="report-page-one"><ul>'
        f'{items}</ul><div id="{pdf.PAGE_ONE_END}"></div></section></body></html>'
    )


def test_page_1_is_only_tightened_when_it_runs_over_by_a_little(needs_pdf):
    """An A4 sheet holds 51 of these lines: 50 fit as they are; 58 run 7 lines over and are
    tightened onto one sheet; 80 stay on two sheets in their usual type (no small print)."""
    assert len(pages_of(pdf.write_pdf(_summary_html(50)))) == 1
    assert len(pages_of(pdf.write_pdf(_summary_html(58)))) == 1
    assert len(pages_of(pdf.write_pdf(_summary_html(80)))) == 2


def _styled_summary_html(lines: int) -> str:
    """As :func:`_summary_html`, with the report's own stylesheet, which sets page 1's type."""
    return (
        _summary_html(lines)
        .replace(
            "<html>",
            '<html><head><link rel="stylesheet" href="/static/reports/report.css"></head>',
        )
        .replace(
            '<section class="report-page-one">',
            '<article class="report-document"><section class="report-page-one">',
        )
        .replace("</section>", "</section></article>")
    )


def test_page_1_is_tightened_against_the_report_s_own_stylesheet(needs_pdf):
    """WeasyPrint takes the stylesheets given to it as user stylesheets, which the document's
    own outrank: the tighter type never applied where report.css sets page 1's type (only the
    line height did), and the demo's six-month summary stayed on two Letter sheets. Under
    report.css an A4 sheet holds 57 of these lines; 64 are tightened onto one (with the line
    height alone, 62 at most); 70 stay on two sheets."""
    assert len(pages_of(pdf.write_pdf(_styled_summary_html(57)))) == 1
    assert len(pages_of(pdf.write_pdf(_styled_summary_html(64)))) == 1
    assert len(pages_of(pdf.write_pdf(_styled_summary_html(70)))) == 2


def test_a_pdf_made_before_the_diary_changed_says_so(patient, owner, owner_client, monkeypatch):
    """A patient must not bring an old PDF for a new one: once anything is logged after it was
    made, the list says so; a PDF just made (its own 'report made' record aside) does not."""
    from django.urls import reverse

    from diary import entries
    from diary.models import SymptomEntry

    monkeypatch.setattr(pdf, "render", lambda *args, **kwargs: b"%PDF-1.7")
    job = queued_job(patient, owner)
    assert jobs.run(job.pk)["status"] == "done"
    url = reverse("reports:report", args=[patient.public_id])
    status_url = reverse("reports:report-pdf-status", args=[patient.public_id, job.pk])
    assert "Made before the latest changes" not in owner_client.get(url).content.decode()

    entry = SymptomEntry(patient=patient, symptom="headache", severity=3, onset=timezone.now())
    entries.save(entry, owner)

    assert "Made before the latest changes to the diary" in owner_client.get(url).content.decode()
    polled = owner_client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "Made before the latest changes to the diary" in polled


def test_other_pdfs_and_the_report_s_choice_do_not_make_a_pdf_outdated(patient, owner, monkeypatch):
    """A second PDF (its 'report made' record) and a period chosen on the report page change
    the report page, not what the diary records: the first PDF is not outdated by them."""
    from reports import preferences

    monkeypatch.setattr(pdf, "render", lambda *args, **kwargs: b"%PDF-1.7")
    first = queued_job(patient, owner)
    jobs.run(first.pk)
    second = queued_job(patient, owner, since=SINCE - dt.timedelta(days=30))
    jobs.run(second.pk)
    preferences.remember(patient, owner, period="6m", parts=[])
    patient.refresh_from_db()
    for job in (first, second):
        job.refresh_from_db()
        assert not jobs.is_outdated(job, patient)


def test_a_change_while_the_pdf_is_made_leaves_it_outdated(patient, owner, monkeypatch):
    from diary import entries
    from diary.models import SymptomEntry

    def render_while_logging(*args, **kwargs):
        entry = SymptomEntry(patient=patient, symptom="chills", severity=2, onset=timezone.now())
        entries.save(entry, owner)
        return b"%PDF-1.7"

    monkeypatch.setattr(pdf, "render", render_while_logging)
    job = queued_job(patient, owner)
    jobs.run(job.pk)
    job.refresh_from_db()
    patient.refresh_from_db()
    assert jobs.is_outdated(job, patient)
