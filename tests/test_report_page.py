"""The report page for the doctor: who may see it, the period and parts, page 1 on crafted data,
the PDF made in the background, answers given at the visit, and a bounded number of queries.

Monday 23 Nov 2026, 12:00 in London (GMT). With no report made yet the period is the last three
months: 24 Aug - 23 Nov 2026.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary import entries
from diary.models import Measure, Note, RedFlagEvent, SymptomEntry
from infusions.models import Infusion
from patients.caching import first_render
from reports import bench_data, document, jobs, pdf, preferences, sections
from reports.models import ReportPdfJob, ReportPreference, ReportRecord

from .factories import InfusionFactory, MembershipFactory, PatientFactory, RegimenFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SINCE, UNTIL = dt.date(2026, 8, 24), dt.date(2026, 11, 23)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def needs_pdf():
    if not pdf.available():
        pytest.skip(f"WeasyPrint cannot load Pango (apt-get install {pdf.SYSTEM_PACKAGES})")


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def url(patient, name="reports:report", *args):
    return reverse(name, args=[patient.public_id, *args])


def text_of(response) -> str:
    """The page's words, tags out and spaces squeezed, to look for sentences."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" .", ".").replace(" ,", ",")


def course(patient, user, first_day, days=2, **fields):
    made = [
        InfusionFactory(
            patient=patient,
            logged_by=user,
            date=first_day + dt.timedelta(days=n),
            start_time=dt.time(9),
            end_time=dt.time(13),
            dose_g="34",
            **fields,
        )
        for n in range(days)
    ]
    for infusion in made:
        infusion.refresh_from_db()
    return made


def symptom(patient, user, onset, code="headache", severity=5, **fields):
    entry = SymptomEntry(patient=patient, symptom=code, severity=severity, onset=onset, **fields)
    entries.save(entry, user)
    return entry


def mgadl(patient, user, at, total):
    item = Measure(patient=patient, kind="mgadl", value=total, measured_at=at)
    entries.save(item, user)
    return item


def question(patient, user, text, **fields):
    note = Note(patient=patient, kind=Note.Kind.QUESTION, text=text, written_at=NOW, **fields)
    entries.save(note, user)
    return note


@pytest.fixture
def named(owner, caregiver):
    owner.display_name = "Maya"
    owner.save()
    caregiver.display_name = "Sam"
    caregiver.save()
    return owner, caregiver


@pytest.fixture
def diary(patient, named):
    """Two courses of 2 days in the period; MG-ADL 9 before the first and 6 on its day 5
    (3 points better: meaningful); a severe headache with a stiff neck the day after it (a
    red-flag warning), dealt with by Maya that evening; two open questions, one answered."""
    owner, caregiver = named
    patient.date_of_birth = dt.date(1986, 4, 17)
    patient.clinic_number = "RX1-204518"
    patient.save()
    RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    first, _day2 = course(patient, owner, dt.date(2026, 9, 19))
    first.lots.create(lot_number="A1234", expiry=dt.date(2027, 9, 1))
    course(patient, owner, dt.date(2026, 10, 17))
    mgadl(patient, owner, local(2026, 9, 19, 7), 9)  # before the infusion: the trough
    mgadl(patient, owner, local(2026, 9, 24, 10), 6)  # day 5
    symptom(patient, owner, local(2026, 9, 20, 20), severity=8, ended_at=local(2026, 9, 21, 8))
    symptom(patient, owner, local(2026, 9, 20, 21), code="stiff_neck", severity=6)
    event = RedFlagEvent.objects.get(patient=patient)
    event.handled_at = local(2026, 9, 20, 22, 15)
    event.handled_by = owner
    event.handled_how = RedFlagEvent.Handled.CONTACTED
    event.save()
    symptom(patient, caregiver, local(2026, 9, 22, 9), code="fatigue", severity=4)
    question(patient, owner, "Could the interval be 3 weeks?")
    question(patient, owner, "Is the headache a reason to slow the rate?")
    question(
        patient,
        caregiver,
        "Should I drink more before the infusion?",
        answered_at=local(2026, 10, 1, 10),
        answer="Yes, 500 mL of water.",
    )
    # Another diary on the same days: none of it may show.
    other = PatientFactory(name="Other")
    other_owner = MembershipFactory(patient=other).user
    course(other, other_owner, dt.date(2026, 9, 19))
    question(other, other_owner, "Their own question")
    return patient


# --- who may see it ---------------------------------------------------------------------------


def test_a_stranger_gets_404(diary, stranger_client):
    assert stranger_client.get(url(diary)).status_code == 404
    assert stranger_client.post(url(diary, "reports:report-pdf")).status_code == 404


def test_a_viewer_reads_the_report_and_makes_the_pdf(
    needs_pdf, diary, viewer_client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    page = viewer_client.get(url(diary))
    assert page.status_code == 200
    assert "Infusion diary summary – Maya" in text_of(page)
    assert "Give the doctor’s answer" not in text_of(page)  # answering is for editors
    with django_capture_on_commit_callbacks(execute=True):
        made = viewer_client.post(url(diary, "reports:report-pdf"), _pdf_post())
    job = ReportPdfJob.objects.get(patient=diary)
    assert made.status_code == 302
    assert made["Location"] == url(diary, "reports:report-pdf-status", job.pk)
    download = viewer_client.get(url(diary, "reports:report-pdf-download", job.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_viewer_may_not_save_the_choice_nor_answer(diary, viewer_client):
    chosen = viewer_client.get(url(diary), {"period": "1m", "parts": ["notes"]})
    assert chosen.status_code == 200
    assert "24 Oct 2026 – 23 Nov 2026" in text_of(chosen)
    assert not ReportPreference.objects.filter(patient=diary).exists()
    assert viewer_client.post(url(diary), {"period": "1m"}).status_code == 403
    open_question = Note.objects.filter(patient=diary, answered_at=None).first()
    answer_url = url(diary, "reports:report-answer", open_question.pk)
    assert viewer_client.post(answer_url, {"answer": "No"}).status_code == 403


# --- the period and the parts -----------------------------------------------------------------


def test_the_default_period_is_three_months_then_since_the_last_report(diary, owner_client):
    page = owner_client.get(url(diary))
    assert "24 Aug 2026 – 23 Nov 2026" in text_of(page)
    assert page.context["parts"] == list(sections.CODES)
    preferences.record_made(diary, SINCE, dt.date(2026, 10, 30), None, made_at=local(2026, 10, 30))
    page = owner_client.get(url(diary))
    assert "30 Oct 2026 – 23 Nov 2026" in text_of(page)


def test_an_editor_s_choice_is_remembered_for_the_diary(diary, caregiver_client, owner_client):
    answer = caregiver_client.post(url(diary), {"period": "6m", "parts": ["notes", "cycles"]})
    assert answer.status_code == 302 and answer["Location"] == url(diary)
    saved = ReportPreference.objects.get(patient=diary)
    assert (saved.period, saved.sections) == ("6m", ["cycles", "notes"])
    page = owner_client.get(url(diary))  # anyone opening the report starts from it
    assert "24 May 2026 – 23 Nov 2026" in text_of(page)
    assert page.context["parts"] == ["cycles", "notes"]
    html = page.content.decode()
    assert 'id="report-cycles"' in html and 'id="report-notes"' in html
    assert 'id="report-infusions"' not in html

    owner_client.post(
        url(diary),
        {"period": "custom", "custom_from": "2026-09-01", "custom_to": "2026-09-30"},
    )
    page = owner_client.get(url(diary))
    assert "1 Sep 2026 – 30 Sep 2026" in text_of(page)
    assert page.context["parts"] == []


def test_a_period_of_one_course_gives_its_cycle_not_courses_apart(diary, owner_client):
    """A tester read "1 course ..., courses 28 days apart" for a month with one course."""
    page = owner_client.get(
        url(diary), {"period": "custom", "custom_from": "2026-09-01", "custom_to": "2026-09-30"}
    )
    text = text_of(page)
    assert "1 course, 2 days, 68 g in all" in text, text
    assert "cycles of 28 days" in text
    assert "days apart" not in text


def test_an_episode_left_open_is_said_plainly(diary, owner, owner_client):
    """ "(after 1 course never marked as ended)" read as if the course never ended."""
    symptom(diary, owner, local(2026, 10, 18, 20), code="chills", severity=4)  # never ended
    text = text_of(owner_client.get(url(diary)))
    assert "; not marked as ended after 1 course." in text, text
    assert "never marked" not in text
    # Its detail says it once, not "no end logged, not marked as ended".
    assert "Chills 4 (1 entry, no end logged)" in text, text


def test_an_htmx_choice_answers_with_the_report_and_its_address(diary, owner_client):
    answer = owner_client.get(url(diary), {"period": "12m"}, headers=HTMX)
    assert answer.status_code == 200
    assert b"<html" not in answer.content and b'id="report-body"' in answer.content
    assert answer["HX-Push-Url"] == url(diary) + "?period=12m"
    assert "HX-Request" in answer["Vary"]


@pytest.mark.parametrize(
    "params",
    [
        {"period": "forever"},
        {"period": "custom"},
        {"period": "custom", "custom_from": "2026-13-45", "custom_to": "yesterday"},
        {"period": "custom", "custom_from": "2026-10-01", "custom_to": "2026-09-01"},
        {"period": "custom", "custom_from": "1066-10-14", "custom_to": "9999-12-31"},
        {"period": "1m", "parts": ["everything", "<script>"]},
        {"period": "\x00", "custom_from": "%" * 300},
    ],
)
def test_bad_choices_never_give_a_server_error(diary, owner_client, params):
    page = owner_client.get(url(diary), params)
    assert page.status_code == 200
    assert page.context["form"].errors
    # The report still shows, for the diary's own choice.
    assert "24 Aug 2026 – 23 Nov 2026" in text_of(page)
    saved = owner_client.post(url(diary), params)
    assert saved.status_code == 200 and saved.context["form"].errors
    assert not ReportPreference.objects.filter(patient=diary).exists()
    pdf_asked = owner_client.post(url(diary, "reports:report-pdf"), params, headers=HTMX)
    assert pdf_asked.status_code == 200
    assert "could not be asked for" in pdf_asked.content.decode()
    assert not ReportPdfJob.objects.exists()


# --- page 1 -----------------------------------------------------------------------------------


def test_page_one_says_what_the_doctor_reads_in_a_minute(diary, owner_client):
    text = text_of(owner_client.get(url(diary)))
    # The header.
    assert "Infusion diary summary – Maya" in text
    assert "Born 17 Apr 1986, clinic number RX1-204518, Myasthenia gravis" in text
    assert "24 Aug 2026 – 23 Nov 2026 (92 days). Made on 23 Nov 2026." in text
    # The plan in force, and what was given.
    assert "Privigen 10 % (IV), 1 g/kg (68 g) over 2 days every 28 days, at home" in text
    assert "premedication Paracetamol 1 g, Cetirizine 10 mg" in text
    assert (
        "2 courses, 4 days, 136 g in all, 68 g (1 g/kg) per course, courses 28 days apart" in text
    )
    assert "lots A1234" in text
    # Side effects per course, as observations.
    # The day its episode ended on ("until", not "gone by"); one episode is not "typically".
    assert (
        "Headache after 1 of 2 courses, until day 2; worst 8 (severe), longest episode 12 h."
        in text
    )
    assert "No reaction logged during the infusions of this period." in text
    # The red flag and what was done about it.
    assert (
        "20 Sep 20:00: Severe headache with other warning signs (Headache 8, Stiff neck 6; 7 h"
        in text
    )
    assert "Done: contacted the care team, by Maya on 20 Sep 22:15." in text
    # MG-ADL 9 -> 6: 3 points, but the 9 was taken before a course and the 6 at that cycle's
    # best: the cycle alone can make that difference, so it is not flagged; the per-course
    # sentence below judges the response like with like.
    assert "9 on 19 Sep → 6 on 24 Sep (2 readings, range 6 to 9): 3 points lower" in text
    assert "(at different points of the cycle: not judged)" in text
    assert "3 points lower (fewer symptoms). Meaningful change" not in text
    # Per course: only the courses of the period, as "2 courses" above; the one of 17 Oct has
    # no reading after it, so it cannot show a response, and the sentence says so.
    assert (
        "1 of the 2 courses of this period has readings before and after it: 9 before it, at "
        "best 6 on day 5. Better by ≥ 2 points after it" in text
    )
    # The chart of the main measure and how the wear-off estimate was worked out.
    assert "MG-ADL score by day of the cycle" in text
    assert "Not enough data to estimate when the benefit wears off" in text
    # The open questions, oldest first; the answered one and another diary's are not there.
    questions = text[text.index("Questions") : text.index("Entries")]
    assert questions.index("Could the interval be 3 weeks?") < questions.index(
        "Is the headache a reason to slow the rate?"
    )
    assert "Should I drink more" not in questions and "Their own question" not in text
    # Who logged how much: 4 infusion days, 2 side effects, 2 scores, 2 questions by Maya;
    # the tiredness and the answered question by Sam.
    assert "12 in this period: 10 by Maya, 2 by Sam (caregiver)." in text
    assert "Not a medical record and not medical advice." in text


def test_page_one_tells_the_reactions_during_the_infusions(diary, owner_client):
    """F10: what made the nurse slow down is on page 1: which, how bad, when, what was done;
    the worst first, and bounded like the other lists."""
    first, second = Infusion.objects.filter(patient=diary).order_by("date")[:2]
    first.reactions.create(symptom="chills", severity=4, action="slowed", minutes_from_start=100)
    second.reactions.create(symptom="headache", severity=6, action="medication")
    for n in range(4):
        second.reactions.create(symptom="flushing", severity=2 + n % 2, action="none")
    text = text_of(owner_client.get(url(diary)))
    during = text[text.index("During infusions") : text.index("After infusions")]
    assert "Headache 6 (moderate) during the infusion of 20 Sep, medication given." in during
    assert (
        "Chills 4 (moderate) during the infusion of 19 Sep, 100 min in, infusion slowed." in during
    )
    assert during.index("Headache 6") < during.index("Chills 4") < during.index("Flushing 3")
    assert during.count("during the infusion of") == document.REACTIONS_ON_PAGE_ONE
    assert "And 2 more, less severe: see every infusion day." in during


def test_page_one_counts_only_the_courses_it_names(patient, named, owner_client):
    """F2: "Better by 2 points" counts the courses of the period, as "Infusions: 2 courses"
    does: not the course given before the period, whose cycle reaches in."""
    owner, _caregiver = named
    RegimenFactory(patient=patient, start_date=dt.date(2026, 1, 1))
    for day in (dt.date(2026, 8, 10), dt.date(2026, 9, 7), dt.date(2026, 10, 5)):
        course(patient, owner, day)
    for at, total in (
        (local(2026, 8, 10, 7), 9),
        (local(2026, 8, 20, 10), 5),  # the course before the period: 4 better
        (local(2026, 9, 7, 7), 9),
        (local(2026, 9, 15, 10), 5),  # 4 better
        (local(2026, 10, 5, 7), 8),
        (local(2026, 10, 12, 10), 8),  # no better
    ):
        mgadl(patient, owner, at, total)
    text = text_of(owner_client.get(url(patient)))
    assert "2 courses, 4 days" in text
    assert (
        "Each of the 2 courses of this period: typically 8.5 before the course, at best 6.5 on "
        "day 8. Better by ≥ 2 points after 1 of 2 courses" in text  # days 8 and 7: a whole day
    )
    assert "of 3 cycles" not in text


def test_a_cycle_with_one_reading_has_no_best(diary, owner_client):
    """F9: one reading is what it is, not "the cycle's best"."""
    mgadl(diary, diary.memberships.first().user, local(2026, 11, 13, 9), 8)  # day 27
    page = owner_client.get(url(diary))
    row = page.context["document_html"]
    assert "one reading: 8 on day 27" in text_of(page)
    assert "8 → 8, day 27" not in str(row)


def test_a_new_diary_says_its_period_is_the_last_3_months(patient, owner_client):
    """F11: no report was made yet, so the period is not "since the last report made"."""
    text = text_of(owner_client.get(url(patient)))
    assert "24 Aug 2026 – 23 Nov 2026 (the last 3 months)." in text
    assert "since the last report" not in text.split("Change the period")[0]
    preferences.record_made(
        patient, SINCE, dt.date(2026, 10, 30), None, made_at=local(2026, 10, 30)
    )
    text = text_of(owner_client.get(url(patient)))
    assert "30 Oct 2026 – 23 Nov 2026 (since the last report made)." in text


def test_a_saved_choice_replaces_the_address_it_is_already_at(diary, owner_client):
    """F8: the POST, redirect, GET of the page the browser is on must not push a second history
    entry for the same address (Back would seem to do nothing): it replaces it."""
    here = "http://testserver" + url(diary)
    saved = owner_client.post(
        url(diary),
        {"period": "6m", "parts": ["cycles"]},
        headers=HTMX | {"HX-Current-URL": here},
        follow=True,
    )
    assert saved.redirect_chain == [(url(diary), 302)]
    assert saved["HX-Replace-Url"] == url(diary)
    assert "HX-Push-Url" not in saved
    # From another address (a shared ?period= link), the saved choice is a new entry.
    moved = owner_client.post(
        url(diary),
        {"period": "6m", "parts": ["cycles"]},
        headers=HTMX | {"HX-Current-URL": here + "?period=12m"},
        follow=True,
    )
    assert moved["HX-Push-Url"] == url(diary)
    assert "HX-Replace-Url" not in moved


def test_the_red_flag_not_dealt_with_says_so(diary, owner_client):
    RedFlagEvent.objects.filter(patient=diary).update(handled_at=None, handled_how="")
    assert "Not marked as dealt with." in text_of(owner_client.get(url(diary)))


def test_an_empty_diary_has_a_calm_report(patient, owner_client):
    text = text_of(owner_client.get(url(patient)))
    for words in (
        "No treatment plan recorded for this period.",
        "No infusion logged in this period.",
        "None reported in this period.",
        "No measures in this period.",
        "No open questions.",
        "Nothing logged in this period.",
    ):
        assert words in text


def test_the_detail_pages_follow_in_the_report_s_order(diary, owner_client):
    text = text_of(owner_client.get(url(diary)))
    titles = [str(title) for _code, title in sections.CHOICES]
    assert [text.index(title) for title in titles] == sorted(text.index(t) for t in titles)
    assert "Should I drink more before the infusion? Answer: Yes, 500 mL of water." in text


# --- the PDF ----------------------------------------------------------------------------------


def _pdf_post(paper="a4", since=SINCE, until=UNTIL, parts=None):
    return {
        "period": "custom",
        "custom_from": since.isoformat(),
        "custom_to": until.isoformat(),
        "parts": list(sections.CODES) if parts is None else parts,
        "paper": paper,
    }


def test_the_pdf_is_made_in_the_background_and_downloaded(
    needs_pdf, diary, owner, owner_client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        listed = owner_client.post(
            url(diary, "reports:report-pdf"), _pdf_post(paper="letter"), headers=HTMX
        )
    job = ReportPdfJob.objects.get(patient=diary)
    assert (job.since, job.until, job.paper, job.requested_by) == (SINCE, UNTIL, "letter", owner)
    assert job.sections == list(sections.CODES)
    assert listed.status_code == 200 and f'id="pdf-job-{job.pk}"' in listed.content.decode()

    status = owner_client.get(url(diary, "reports:report-pdf-status", job.pk), headers=HTMX)
    assert status.status_code == 286  # ready: htmx stops polling
    assert "Download the PDF" in status.content.decode()

    download = owner_client.get(url(diary, "reports:report-pdf-download", job.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        'attachment; filename="diary-maya-2026-08-24-2026-11-23.pdf"'
    )
    data = b"".join(download.streaming_content)
    assert data.startswith(b"%PDF")

    # The same document as the page: page 1 with its summary, then the parts.
    import io

    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(data)).pages
    first = " ".join(pages[0].extract_text().split())
    assert "Infusion diary summary – Maya" in first
    assert "Severe headache with other warning signs" in first
    assert "20 Sep 20:00" in first  # the diary's own time, as on the page
    assert "Better by ≥ 2 points after it" in first
    assert "Could the interval be 3 weeks?" in first
    # The disclaimer, in full, in the footer only: no page of its own after page 1.
    assert first.endswith(
        "It records what the patient and their caregivers entered; it makes no diagnosis and "
        "suggests no doses. Made on 23 Nov 2026."
    )
    # Page 1 alone; the parts follow from page 2 in the report's order, each right after the
    # one before (a page per part left most pages half empty).
    titles = [str(label) for _code, label in sections.CHOICES]
    assert not any(title in first for title in titles)
    rest = " ".join(" ".join(page.extract_text().split()) for page in pages[1:])
    assert " ".join(pages[1].extract_text().split()).count(titles[0]) == 1
    assert [rest.index(title) for title in titles] == sorted(rest.index(t) for t in titles)
    assert len(pages) < 1 + len(sections.CODES)
    assert ReportRecord.objects.filter(patient=diary, since=SINCE, until=UNTIL).exists()


def test_the_report_page_lists_the_diary_s_pdfs(diary, owner, owner_client):
    queued = jobs.request_pdf(diary, owner, since=SINCE, until=UNTIL)
    page = owner_client.get(url(diary)).content.decode()
    status_url = url(diary, "reports:report-pdf-status", queued.pk)
    assert f'hx-get="{status_url}" hx-trigger="every 2s"' in page
    assert "Waiting to start" in page
    # Still waiting: htmx goes on polling (200), a plain request gets a page to look again.
    assert owner_client.get(status_url, headers=HTMX).status_code == 200
    plain = owner_client.get(status_url)
    assert plain.status_code == 200 and "Look again" in plain.content.decode()
    # Not ready yet: the download address leads back to it.
    download = owner_client.get(url(diary, "reports:report-pdf-download", queued.pk))
    assert download.status_code == 302 and download["Location"] == status_url


def test_a_pdf_waiting_a_while_says_it_is_slow_and_goes_on_polling(diary, owner, owner_client):
    """Browser pass: with no worker running, "Waiting to start…" and nothing else for minutes."""
    queued = jobs.request_pdf(diary, owner, since=SINCE, until=UNTIL)
    status = url(diary, "reports:report-pdf-status", queued.pk)
    assert "taking longer than usual" not in owner_client.get(status).content.decode()
    ReportPdfJob.objects.filter(pk=queued.pk).update(
        created_at=NOW - jobs.SLOW_AFTER - dt.timedelta(seconds=5)
    )
    answer = owner_client.get(status, headers=HTMX)
    assert answer.status_code == 200  # still polling
    assert "This is taking longer than usual. You can leave this page" in answer.content.decode()


def test_a_pdf_nobody_made_for_long_stops_polling_and_says_so(diary, owner, owner_client):
    queued = jobs.request_pdf(diary, owner, since=SINCE, until=UNTIL)
    ReportPdfJob.objects.filter(pk=queued.pk).update(
        created_at=NOW - jobs.STUCK_AFTER - dt.timedelta(minutes=1)
    )
    answer = owner_client.get(url(diary, "reports:report-pdf-status", queued.pk), headers=HTMX)
    assert answer.status_code == 286
    assert "far longer than it should" in answer.content.decode()


def test_without_javascript_asking_for_a_pdf_leads_to_its_page(diary, owner_client):
    answer = owner_client.post(url(diary, "reports:report-pdf"), _pdf_post())
    job = ReportPdfJob.objects.get(patient=diary)
    assert answer.status_code == 302
    assert answer["Location"] == url(diary, "reports:report-pdf-status", job.pk)


def test_too_many_pdfs_waiting_are_refused_in_plain_words(diary, owner_client):
    for day in (1, 2, 3):
        owner_client.post(url(diary, "reports:report-pdf"), _pdf_post(since=dt.date(2026, 9, day)))
    refused = owner_client.post(url(diary, "reports:report-pdf"), _pdf_post(), headers=HTMX)
    assert refused.status_code == 200
    assert "3 PDFs of this diary are being made" in refused.content.decode()
    assert ReportPdfJob.objects.count() == 3


def test_another_diarys_pdf_is_404(diary, owner_client):
    other = PatientFactory(name="Other")
    theirs = ReportPdfJob.objects.create(
        patient=other, since=SINCE, until=UNTIL, paper="a4", status="done", pdf=b"%PDF theirs"
    )
    for name in ("reports:report-pdf-status", "reports:report-pdf-download"):
        assert owner_client.get(url(diary, name, theirs.pk)).status_code == 404
    assert owner_client.get(f"{url(diary)}pdf/not-a-uuid/").status_code == 404


# --- answers given at the visit ---------------------------------------------------------------


def test_an_editor_gives_the_doctor_s_answer_from_the_report(diary, caregiver_client):
    asked = Note.objects.get(patient=diary, text="Could the interval be 3 weeks?")
    answer_url = url(diary, "reports:report-answer", asked.pk)
    diary.refresh_from_db()
    made = ReportPdfJob.objects.create(
        patient=diary,
        since=SINCE,
        until=UNTIL,
        paper="a4",
        status="done",
        pdf=b"%PDF made before the answer",
        content_version=diary.content_version,
    )
    empty = caregiver_client.post(answer_url, {"answer": "  "}, headers=HTMX)
    assert empty.status_code == 200
    assert "Write the answer, in a few words." in empty.content.decode()
    saved = caregiver_client.post(answer_url, {"answer": "Not yet: keep 4 weeks."}, headers=HTMX)
    assert saved.status_code == 200
    content = saved.content.decode()
    questions = content.split('<div id="report-answered-list"', 1)[0]
    assert (
        "Answer saved" in questions
        and "Could the interval be 3 weeks?" not in questions.split("</p>", 1)[1]
    )
    asked.refresh_from_db()
    assert asked.answer == "Not yet: keep 4 weeks." and asked.answered_at is not None
    # The answered questions and the PDFs come out of band: the answer is where it is said to be.
    assert "It is under “Questions already answered”." in content
    oob = content[content.index('id="report-answered-list" hx-swap-oob="true"') :]
    assert "Not yet: keep 4 weeks." in oob
    assert 'id="report-pdf-jobs" hx-swap-oob="true"' in content
    jobs_list = content[content.index('id="report-pdf-jobs"') :]
    assert str(made.pk) in jobs_list and "Made before the latest changes" in jobs_list
    # A page without that part (its address says so): the confirmation says no more.
    other_page = {"HX-Current-URL": f"http://testserver{url(diary)}?period=3m&parts=cycles"}
    third = Note.objects.create(patient=diary, kind=Note.Kind.QUESTION, text="IgG level?")
    leaner = caregiver_client.post(
        url(diary, "reports:report-answer", third.pk),
        {"answer": "Next visit."},
        headers=HTMX | other_page,
    ).content.decode()
    assert "Answer saved: “IgG level?”.</p>" in leaner
    assert "report-answered-list" not in leaner and 'id="report-pdf-jobs"' in leaner
    # Without JavaScript: back to the report, where the answer is among those answered.
    other = Note.objects.get(patient=diary, text="Is the headache a reason to slow the rate?")
    plain = caregiver_client.post(
        url(diary, "reports:report-answer", other.pk), {"answer": "Slow the last step."}
    )
    assert plain.status_code == 302 and plain["Location"] == url(diary) + "#report-questions"
    text = text_of(caregiver_client.get(url(diary)))
    assert "No open questions." in text
    assert "Answer: Slow the last step." in text


# --- speed: a fixed number of queries ---------------------------------------------------------


def _queries_for(client, address) -> int:
    """The page's queries as first rendered (every fragment built again, as after a change)."""
    client.get(address)  # the session learns the last diary seen: one write, once
    with CaptureQueriesContext(connection) as captured, first_render():
        assert client.get(address).status_code == 200
    return len(captured)


ALL_PARTS = "".join(f"&parts={code}" for code in sections.CODES)


def test_the_report_runs_as_many_queries_for_5_years_as_for_1(owner, owner_client):
    one = bench_data.create_diary(owner, "One year", years=1, now=NOW)
    five = bench_data.create_diary(owner, "Five years", years=5, now=NOW)
    for params in (
        "",  # the saved choice: since the last report, the last 3 months before any
        "?period=3m" + ALL_PARTS,
        "?period=12m",
        "?period=custom&custom_from=2021-11-01&custom_to=2026-11-23" + ALL_PARTS,
    ):
        counts = [_queries_for(owner_client, url(p) + params) for p in (one, five)]
        assert counts[0] == counts[1], params
        # Session, user, membership; the saved choice with the last report's end; the cycles
        # (reports.cycles.load: 4); the members' names; notes and warnings; the plan; the PDFs.
        assert counts[0] <= 12, params


@pytest.mark.parametrize(
    ("days", "flagged"),
    [
        ((13, 13), True),  # the same day of two cycles: a real change
        ((12, 15), True),  # within 3 days of each other
        ((13, 6), False),  # a cycle's best against early in the next: the cycle alone
        ((27, 13), False),  # before a course against a cycle's best
    ],
)
def test_the_period_change_is_flagged_only_between_like_points_of_the_cycle(
    owner_client, days, flagged
):
    membership = MembershipFactory(role="owner", is_self=True)
    patient, owner = membership.patient, membership.user
    patient.conditions = ["mg"]
    patient.save()
    owner_client.force_login(owner)
    firsts = [dt.date(2026, 9, 7), dt.date(2026, 10, 5), dt.date(2026, 11, 2)]
    for first in firsts:
        course(patient, owner, first, days=1)
    for first, day, value in ((firsts[0], days[0], 4), (firsts[1], days[1], 7)):
        entries.save(
            Measure(
                patient=patient,
                kind=Measure.Kind.MGADL,
                value=value,
                measured_at=local(*(first + dt.timedelta(days=day)).timetuple()[:3], 10),
            ),
            owner,
        )
    text = text_of(
        owner_client.get(
            url(patient) + "?period=custom&custom_from=2026-09-01&custom_to=2026-11-23"
        )
    )
    assert "3 points higher (more symptoms)" in text
    assert ("Meaningful change (≥ 2 points)" in text) is flagged
    assert ("at different points of the cycle: not judged" in text) is not flagged


@pytest.mark.parametrize(
    ("hours", "still_open", "words"),
    [
        (36.2, False, "36 h"),
        (0.2, False, "under 1 h"),
        (20.4, True, "at least 20 h"),
        (0.0, True, "no end logged"),  # only its start: never "at least 0 h"
        # Never marked as ended: only what is known, rounded down (not "at least 24 h").
        (23.6, True, "at least 23 h"),
        (23.6, False, "24 h"),
        (0.6, True, "no end logged"),
        (None, False, "—"),
        # Half hours round up, as days do (Python's round() made 2.5 h "2 h", 3.5 h "4 h").
        (2.5, False, "3 h"),
        (35.5, False, "36 h"),
        (36.5, False, "37 h"),
        (0.5, False, "1 h"),
    ],
)
def test_how_long_a_side_effect_lasted_is_worded_one_way(hours, still_open, words):
    """Page 1, the side effects per course and the trends cards all use this wording."""
    from reports import views

    assert document.hours_text(hours, still_open) == words
    if hours is not None:
        assert views._hours(hours, still_open) == words


def test_a_cycle_summary_with_one_median_value_says_so_plainly():
    """Not "lowest on day 28 (68) and highest on day 28 (68)"."""
    from reports import views

    text = views._cycle_summary(1, [(28, 68)], None, None)
    assert text == "1 cycle: the median was 68 on every day with readings (1 day)."
    text = views._cycle_summary(3, [(2, 5), (9, 5)], True, None)
    assert text == (
        "3 cycles: the median was 5 on every day with readings in two or more of them (2 days)."
    )
    assert "best on day 9" in views._cycle_summary(3, [(2, 6), (9, 5)], True, None)
