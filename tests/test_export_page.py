"""The Export page: who sees what, exports asked for and made in the background, their
downloads and names, the period's checks, the password asked again, and the import of a full
export as a new diary (issue 10 §5).

What each file holds is tested with its module (test_csv_export.py, test_fhir.py,
test_full_export.py); here, the page, the jobs and the views around them. Tasks run at once
here (the ImmediateBackend runs what a request queues when its transaction commits), as in
test_report_pdf.py; the page's own tests keep the database backend, where nothing runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import zipfile

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from diary.models import SymptomEntry
from patients.models import Membership, Patient
from reports import csv_export, fhir, full_export, jobs
from reports.models import ExportJob

from .factories import PASSWORD, InfusionFactory, MembershipFactory, PatientFactory

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def immediate(settings, django_capture_on_commit_callbacks):
    """Tasks run as soon as the request's transaction commits: ``with immediate(): ...``."""
    settings.TASKS = IMMEDIATE
    return lambda: django_capture_on_commit_callbacks(execute=True)


def url(patient, name="reports:export", *args):
    return reverse(name, args=[patient.public_id, *args])


def signed_in_now(user) -> Client:
    """A client whose user just gave their password (as after signing in), so exports go
    through without asking for it again."""
    client = Client()
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    return client


def ask(client, patient, kind, since="", until="", **extra):
    data = {"kind": kind, "since": since, "until": until}
    return client.post(url(patient, "reports:export-request"), data, **extra)


def made(client, patient, immediate, kind, since="", until=""):
    """Ask for an export (no JavaScript), let the task make it, and download it."""
    with immediate():
        response = ask(client, patient, kind, since, until)
    assert response.status_code == 302, response.content.decode()[:500]
    job = ExportJob.objects.get(patient=patient, kind=kind, status=ExportJob.Status.DONE)
    assert response["Location"] == url(patient, "reports:export-status", job.pk)
    return client.get(url(patient, "reports:export-download", job.pk))


@pytest.fixture
def diary(patient):
    """Maya's diary, started on 1 Nov 2026 with an infusion on 2 Nov and a headache on 3 Nov."""
    Patient.objects.filter(pk=patient.pk).update(
        created_at=dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
    )
    patient.refresh_from_db()
    InfusionFactory(patient=patient, date=dt.date(2026, 11, 2))
    SymptomEntry.objects.create(
        patient=patient,
        symptom="headache",
        severity=5,
        onset=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC),
    )
    return patient


def test_the_owner_sees_every_export_and_the_import(diary, owner):
    body = signed_in_now(owner).get(url(diary)).content.decode()
    assert url(diary, "reports:export-request") in body
    for kind in ("csv", "fhir", "json"):
        assert f'name="kind" value="{kind}"' in body
    assert url(diary, "reports:export-import") in body
    assert "Leave both empty for the whole diary (1 Nov 2026 to 23 Nov 2026)." in body
    assert 'name="csrfmiddlewaretoken"' in body


@pytest.mark.parametrize("who", ["caregiver", "viewer"])
def test_caregivers_get_the_exports_but_not_the_import(diary, who, request, immediate):
    client = signed_in_now(request.getfixturevalue(who))
    page = client.get(url(diary))
    assert page.status_code == 200
    body = page.content.decode()
    assert url(diary, "reports:export-request") in body
    assert url(diary, "reports:export-import") not in body
    # A caregiver who may only view may ask for an export, as for the report's PDF.
    response = made(client, diary, immediate, "json")
    assert response.status_code == 200
    # The import is the owner's: a caregiver's POST is refused and writes nothing.
    before = Patient.objects.count()
    refused = client.post(url(diary, "reports:export-import"), {})
    assert refused.status_code == 403
    assert Patient.objects.count() == before


def test_a_stranger_learns_nothing(diary, owner, stranger):
    job = ExportJob.objects.create(
        patient=diary, kind="json", since=NOW.date(), until=NOW.date(), status="done", file=b"{}"
    )
    client = signed_in_now(stranger)
    assert client.get(url(diary)).status_code == 404
    assert ask(client, diary, "csv").status_code == 404
    assert client.get(url(diary, "reports:export-status", job.pk)).status_code == 404
    assert client.get(url(diary, "reports:export-download", job.pk)).status_code == 404
    assert ExportJob.objects.count() == 1


# --- asking, the task, the download ---------------------------------------------------------------


def test_the_csv_zip_is_named_after_the_diary_and_the_period(diary, owner, immediate):
    response = made(signed_in_now(owner), diary, immediate, "csv", "2026-11-02", "2026-11-20")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == exports_header(
        diary, dt.date(2026, 11, 2), dt.date(2026, 11, 20), "zip"
    )
    assert "diary-maya-2026-11-02-2026-11-20.zip" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert any(name.endswith(".csv") for name in names)


def exports_header(patient, since, until, ext):
    from reports import exports

    return exports.content_disposition(exports.download_name(patient, since, until, ext))


def test_the_task_runs_the_same_builders_as_ever(diary, owner, immediate):
    """No second implementation: the stored file is byte for byte what the builder makes."""
    client = signed_in_now(owner)
    since, until = dt.date(2026, 11, 1), dt.date(2026, 11, 23)
    for kind, expected in (
        ("csv", csv_export.build_zip(diary, since, until)),
        ("json", full_export.export_json(diary)),
    ):
        response = made(client, diary, immediate, kind)
        assert b"".join(response.streaming_content) == expected, kind
    # A Bundle has an id of its own, new each time it is made: the rest is the same.
    response = made(client, diary, immediate, "fhir")
    made_here = json.loads(fhir.bundle_json(diary, since, until))
    from_the_task = json.loads(b"".join(response.streaming_content))
    made_here.pop("id"), from_the_task.pop("id")
    assert from_the_task == made_here


def test_left_empty_the_period_is_the_whole_diary(diary, owner, immediate):
    client = signed_in_now(owner)
    response = made(client, diary, immediate, "fhir")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    # ".fhir.json", so it is not taken for the full export in a downloads folder.
    assert (
        'filename="diary-maya-2026-11-01-2026-11-23.fhir.json"' in response["Content-Disposition"]
    )
    bundle = json.loads(b"".join(response.streaming_content))
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    full = made(client, diary, immediate, "json", since="2026-11-05")  # the period is ignored
    assert full["Content-Type"] == "application/json"
    assert 'filename="diary-maya-2026-11-01-2026-11-23.json"' in full["Content-Disposition"]
    assert "no-store" in full["Cache-Control"]


def test_asking_queues_only_the_jobs_id_after_the_commit(
    diary, owner, django_capture_on_commit_callbacks
):
    client = signed_in_now(owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = ask(client, diary, "csv", "2026-11-02", "2026-11-20")
    assert len(callbacks) == 1
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert (job.kind, job.since, job.until, job.requested_by) == (
        "csv",
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 20),
        owner,
    )
    assert job.status == ExportJob.Status.QUEUED  # no worker here: it waits
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [str(job.pk)], "kwargs": {}}
    assert task.task_path == "reports.tasks.make_export"
    assert job.task_id and str(task.id) == ExportJob.objects.get().task_id
    # The worker (db_worker) runs the task: the job is done, once.
    assert jobs.run_export(job.pk)["status"] == "done"
    assert jobs.run_export(job.pk)["status"] == "done"
    assert ExportJob.objects.get().file_bytes()[:2] == b"PK"


def test_with_htmx_the_panel_comes_back_and_the_job_is_polled_until_ready(diary, owner):
    client = signed_in_now(owner)
    response = ask(client, diary, "fhir", "2026-11-02", "", **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="export-panel">')
    assert "<html" not in body
    job = ExportJob.objects.get()
    status_url = url(diary, "reports:export-status", job.pk)
    assert f'hx-get="{status_url}" hx-trigger="every 2s"' in body
    assert 'role="status"' in body
    assert 'value="2026-11-02"' in body  # the period typed stays for the next one
    assert "HX-Request" in response["Vary"]
    polled = client.get(status_url, **HTMX)
    assert polled.status_code == 200
    assert "Waiting to start" in polled.content.decode()
    jobs.run_export(job.pk)
    polled = client.get(status_url, **HTMX)
    assert polled.status_code == 286  # htmx stops polling, and swaps the download in
    assert url(diary, "reports:export-download", job.pk) in polled.content.decode()
    # Without JavaScript, the job's own page, and the Export page lists it.
    page = client.get(status_url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    listed = client.get(url(diary)).content.decode()
    assert url(diary, "reports:export-download", job.pk) in listed
    assert "hx-get" not in listed.split('id="export-jobs"')[1]  # nothing left to poll


def test_a_job_deleted_while_its_page_polls_stops_the_polling(diary, owner, stranger):
    client = signed_in_now(owner)
    ask(client, diary, "csv", **HTMX)
    job = ExportJob.objects.get()
    status_url = url(diary, "reports:export-status", job.pk)
    job.delete()  # pruned after 7 days, say
    polled = client.get(status_url, **HTMX)
    assert polled.status_code == 286  # not a 404, which htmx would ask again every 2 s
    assert "no longer kept" in polled.content.decode()
    assert client.get(status_url).status_code == 404  # without htmx, a plain 404
    # A stranger still learns nothing: the gate answers 404 before the view.
    assert signed_in_now(stranger).get(status_url, **HTMX).status_code == 404


def test_a_job_not_ready_is_not_downloaded(diary, owner):
    client = signed_in_now(owner)
    ask(client, diary, "json")
    job = ExportJob.objects.get()
    response = client.get(url(diary, "reports:export-download", job.pk))
    assert response.status_code == 302
    assert response["Location"] == url(diary, "reports:export-status", job.pk)


def test_a_failure_is_said_in_plain_words(diary, owner, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        jobs.EXPORT_KINDS, "csv", dataclasses.replace(jobs.EXPORT_KINDS["csv"], build=broken)
    )
    job = jobs.request_export(diary, owner, kind="csv", since=NOW.date(), until=NOW.date())
    assert jobs.run_export(job.pk)["status"] == "failed"
    job.refresh_from_db()
    assert job.error == str(jobs.EXPORT_FAILED_MESSAGE)
    assert "boom" in caplog.text
    page = signed_in_now(owner).get(url(diary, "reports:export-status", job.pk))
    assert "The export could not be made" in page.content.decode()


def test_a_file_over_the_cap_is_not_kept(diary, owner, settings):
    settings.EXPORT_MAX_BYTES = 10
    job = jobs.request_export(diary, owner, kind="json", since=NOW.date(), until=NOW.date())
    assert jobs.run_export(job.pk)["status"] == "failed"
    job.refresh_from_db()
    assert job.file is None and "too large" in job.error


def test_asking_twice_gives_the_same_job_and_the_queue_per_diary_is_bounded(diary, owner):
    client = signed_in_now(owner)
    ask(client, diary, "csv", "2026-11-01", "2026-11-10")
    ask(client, diary, "csv", "2026-11-01", "2026-11-10")  # a double tap
    assert ExportJob.objects.count() == 1
    ask(client, diary, "fhir")
    ask(client, diary, "json")
    assert ExportJob.objects.count() == 3
    refused = ask(client, diary, "csv", "2026-11-02", "2026-11-10")
    assert refused.status_code == 409
    assert "3 exports of this diary are being made" in refused.content.decode()
    assert ExportJob.objects.count() == 3
    on_htmx = ask(client, diary, "csv", "2026-11-03", "2026-11-10", **HTMX)
    assert on_htmx.status_code == 200
    assert "3 exports of this diary are being made" in on_htmx.content.decode()
    # Another diary's queue is its own.
    other = MembershipFactory(patient=PatientFactory(name="Jo"))
    jobs.request_export(other.patient, other.user, kind="json", since=NOW.date(), until=NOW.date())
    # A job stuck for long (no worker) no longer holds the diary's place.
    with time_machine.travel(NOW + jobs.STUCK_AFTER + dt.timedelta(minutes=1), tick=False):
        assert (
            ask(signed_in_now(owner), diary, "csv", "2026-11-02", "2026-11-10").status_code == 302
        )


def test_old_exports_are_deleted(diary, owner):
    old = ExportJob.objects.create(
        patient=diary,
        kind="json",
        since=NOW.date(),
        until=NOW.date(),
        status="done",
        file=b"{}",
        created_at=NOW - jobs.KEEP_FOR - dt.timedelta(minutes=1),
    )
    finished = [
        ExportJob.objects.create(
            patient=diary,
            kind="json",
            since=NOW.date(),
            until=NOW.date(),
            status="done",
            file=b"{}",
            created_at=NOW - dt.timedelta(hours=n + 1),
        )
        for n in range(jobs.EXPORTS_KEPT)
    ]
    jobs.request_export(diary, owner, kind="csv", since=NOW.date(), until=NOW.date())
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    # The newest few finished ones are kept (and the new one): the oldest beyond them goes.
    kept = set(ExportJob.objects.filter(status="done").values_list("pk", flat=True))
    assert kept == {job.pk for job in finished}
    ExportJob.objects.create(
        patient=diary, kind="json", since=NOW.date(), until=NOW.date(), status="done"
    )
    jobs.request_export(diary, owner, kind="fhir", since=NOW.date(), until=NOW.date())
    assert ExportJob.objects.filter(status="done").count() == jobs.EXPORTS_KEPT
    assert not ExportJob.objects.filter(pk=finished[-1].pk).exists()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2026-11-20", "until": "2026-11-02"}, "until", "on or after the first"),
        ({"since": "2026-13-45", "until": ""}, "since", "Enter a date"),
        ({"since": "", "until": "2027-01-01"}, "until", "between 1990 and today"),
        ({"since": "\x00", "until": "9999-99-99"}, "since", "Enter a date"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "fhir"])
def test_a_wrong_period_is_said_next_to_the_field_and_kept(
    diary, owner, query, field, message, kind
):
    client = signed_in_now(owner)
    response = ask(client, diary, kind, **query)
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    body = response.content.decode()
    assert f'id="id_{field}-error"' in body
    assert message in body
    assert 'aria-invalid="true"' in body
    if query["until"] == "2026-11-02":
        assert 'value="2026-11-20"' in body and 'value="2026-11-02"' in body
    # With htmx, the same panel with a 200 (htmx 2 swaps no 4xx answer).
    swapped = ask(client, diary, kind, **query, **HTMX)
    assert swapped.status_code == 200
    assert f'id="id_{field}-error"' in swapped.content.decode()
    assert not ExportJob.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize("kind", ["", "pdf", "../../etc"])
def test_an_unknown_kind_is_refused(diary, owner, kind):
    response = ask(signed_in_now(owner), diary, kind)
    assert response.status_code == 400
    assert "Choose an export" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_asking_checks_the_csrf_token(diary, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert ask(client, diary, "json").status_code == 403
    assert not ExportJob.objects.exists()


def test_only_post_asks(diary, owner):
    client = signed_in_now(owner)
    assert client.get(url(diary, "reports:export-request"), {"kind": "json"}).status_code == 405
    assert not ExportJob.objects.exists()


# --- the password, asked again ----------------------------------------------------------------


def test_asking_needs_the_password_again_and_allauth_replays_the_post(diary, owner, immediate):
    client = Client()
    client.force_login(owner)  # signed in long ago: no recent password
    response = ask(client, diary, "csv", "2026-11-02", "2026-11-20")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not ExportJob.objects.exists()  # nothing asked before the password
    # After the password, allauth replays the kept POST: the export is asked for and made.
    with immediate():
        replayed = client.post(response["Location"], {"password": PASSWORD})
    job = ExportJob.objects.get()
    assert (job.kind, job.since, job.until, job.status) == (
        "csv",
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 20),
        "done",
    )
    assert replayed.status_code == 302
    assert replayed["Location"] == url(diary, "reports:export-status", job.pk)
    page = client.get(replayed["Location"]).content.decode()
    assert url(diary, "reports:export-download", job.pk) in page


def test_asking_through_htmx_sends_the_whole_window_to_the_password(diary, owner, immediate):
    client = Client()
    client.force_login(owner)
    response = ask(client, diary, "json", **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_reauthenticate"))
    assert not ExportJob.objects.exists()
    # The password page is a whole page; the kept POST is replayed as a plain form post.
    with immediate():
        replayed = client.post(response["HX-Redirect"], {"password": PASSWORD})
    job = ExportJob.objects.get()
    assert replayed.status_code == 302
    assert replayed["Location"] == url(diary, "reports:export-status", job.pk)


def test_downloads_ask_for_the_password_again_after_a_while(diary, owner, immediate):
    client = signed_in_now(owner)
    with immediate():
        ask(client, diary, "json")
    job = ExportJob.objects.get(status="done")
    download = url(diary, "reports:export-download", job.pk)
    with time_machine.travel(NOW + dt.timedelta(minutes=10), tick=False):
        response = client.get(download)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        # After the password, allauth sends the kept request on: the file comes.
        response = client.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


def test_the_page_itself_needs_no_password(diary, owner_client):
    assert owner_client.get(url(diary)).status_code == 200


# --- the import ---------------------------------------------------------------------------------


def test_the_full_export_comes_back_as_a_new_diary_of_the_importer(diary, owner, immediate):
    client = signed_in_now(owner)
    exported = b"".join(made(client, diary, immediate, "json").streaming_content)
    before = set(Patient.objects.values_list("pk", flat=True))
    upload = io.BytesIO(exported)
    upload.name = "diary-maya.json"
    response = client.post(url(diary, "reports:export-import"), {"file": upload})
    assert response.status_code == 302
    (new_pk,) = set(Patient.objects.values_list("pk", flat=True)) - before
    new = Patient.objects.get(pk=new_pk)
    assert response["Location"] == reverse("today", args=[new.public_id])
    assert Membership.objects.get(patient=new).user == owner
    assert Membership.objects.get(patient=new).is_owner
    assert SymptomEntry.objects.filter(patient=new, symptom="headache").count() == 1
    page = client.get(response["Location"])
    assert "is imported as a new diary" in page.content.decode()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.json"),
        (b"not json at all", "notes.txt"),
        (b"PK\x03\x04" + b"\x00" * 200, "export.zip"),
        (b"[" * 100_000, "bomb.json"),
        (json.dumps({"format": "something-else", "version": 1}).encode(), "other.json"),
    ],
    ids=["empty", "text", "zip", "deep", "not-an-export"],
)
def test_a_file_that_is_not_an_export_is_refused_next_to_the_field(diary, owner, content, name):
    client = signed_in_now(owner)
    before = Patient.objects.count()
    upload = io.BytesIO(content)
    upload.name = name
    response = client.post(url(diary, "reports:export-import"), {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_file-error"' in body
    assert Patient.objects.count() == before


def test_a_file_too_large_is_refused_by_its_size(diary, owner, settings):
    from reports import full_import

    client = signed_in_now(owner)
    upload = io.BytesIO(b" " * (full_import.MAX_BYTES + 1))
    upload.name = "huge.json"
    before = Patient.objects.count()
    response = client.post(url(diary, "reports:export-import"), {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "too large for a diary export" in body
    assert 'id="id_file-error"' in body
    assert Patient.objects.count() == before


def test_no_file_is_asked_for(diary, owner):
    response = signed_in_now(owner).post(url(diary, "reports:export-import"), {})
    assert response.status_code == 400
    assert "Choose the file to import." in response.content.decode()


def test_the_import_checks_the_csrf_token(diary, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    upload = io.BytesIO(b"{}")
    upload.name = "export.json"
    before = Patient.objects.count()
    assert client.post(url(diary, "reports:export-import"), {"file": upload}).status_code == 403
    assert Patient.objects.count() == before


def test_another_owner_s_import_lands_in_their_own_account(diary, owner, immediate):
    """The import makes a diary of the signed-in user, whoever's export the file was."""
    other_owner = MembershipFactory(patient=PatientFactory(name="Jo")).user
    exported = b"".join(made(signed_in_now(owner), diary, immediate, "json").streaming_content)
    client = signed_in_now(other_owner)
    jo = Patient.objects.get(name="Jo")
    upload = io.BytesIO(exported)
    upload.name = "maya.json"
    response = client.post(url(jo, "reports:export-import"), {"file": upload})
    assert response.status_code == 302
    new = Patient.objects.exclude(pk__in=[diary.pk, jo.pk]).get()
    assert list(new.memberships.values_list("user", flat=True)) == [other_owner.pk]
