"""Background tasks of the report and the exports (django-tasks; run by ``manage.py db_worker``).

On Django 6 the same code runs on ``django.tasks``; on 5.2 the django-tasks backport provides it
(``django-tasks-db[compat]``).
"""

from __future__ import annotations

try:
    from django.tasks import task  # Django >= 6.0
except ImportError:
    from django_tasks import task

from . import jobs


@task()
def render_report_pdf(job_id: str) -> dict:
    """Make the PDF of the report job ``job_id`` (reports.jobs.run)."""
    return jobs.run(job_id)


@task()
def make_export(job_id: str) -> dict:
    """Make the export of the job ``job_id`` (reports.jobs.run_export)."""
    return jobs.run_export(job_id)
