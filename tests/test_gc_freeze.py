"""Web workers (gunicorn.conf.py) and the PDF worker (reports.jobs) freeze what they built while
loading: full garbage collections then skip those long-lived objects (docs/decisions.md,
"Speed")."""

from __future__ import annotations

import gc
import runpy
import sys
from pathlib import Path
from unittest import mock

from django.conf import settings
from gunicorn.config import Config


def _conf() -> dict:
    return runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))


def test_gunicorn_takes_the_hook():
    hook = _conf()["post_worker_init"]
    cfg = Config()
    cfg.set("post_worker_init", hook)  # gunicorn checks that it takes the worker
    assert cfg.post_worker_init is hook


def test_a_worker_freezes_the_loaded_site():
    gc.unfreeze()
    try:
        _conf()["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 10_000
        assert "reports.views" in sys.modules  # the views were imported before freezing
        assert gc.isenabled()  # later objects are still collected
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def _task_started(backend) -> None:
    """What the worker's ``task_started`` signal calls for the reports app."""
    try:
        from django.tasks.signals import task_started
    except ImportError:
        from django_tasks.signals import task_started
    from reports.apps import _settle_worker

    assert any("reports.settle_worker" in str(key) for key, *_rest in task_started.receivers)
    _settle_worker(sender=backend, task_result=None)


def test_the_task_worker_freezes_once_when_its_first_task_starts():
    from django_tasks_db import DatabaseBackend

    from reports import jobs

    gc.unfreeze()
    jobs.settle_worker.cache_clear()
    try:
        with mock.patch.object(gc, "freeze", wraps=gc.freeze) as freeze:
            _task_started(DatabaseBackend)  # as db_worker sends it before each task
            assert gc.get_freeze_count() > 10_000
            # Not again: what a PDF left alive stays collectable. (Counted by calls: the
            # frozen count itself can drop by one when a frozen object is freed meanwhile.)
            _task_started(DatabaseBackend)
        assert freeze.call_count == 1
    finally:
        gc.unfreeze()
        jobs.settle_worker.cache_clear()


def test_a_task_run_inside_a_request_freezes_nothing():
    """The immediate backend runs a task inside the web request (or a test): freezing there
    would keep that request's objects out of the collector's sight for good."""
    from django_tasks.backends.immediate import ImmediateBackend

    from reports import jobs

    gc.unfreeze()
    jobs.settle_worker.cache_clear()
    _task_started(ImmediateBackend)
    assert gc.get_freeze_count() == 0
