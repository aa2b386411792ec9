"""Web workers (gunicorn.conf.py) and the PDF worker (reports.jobs) freeze what they built while
loading: full garbage collections then skip those long-lived objects (docs/decisions.md,
"Speed")."""

from __future__ import annotations

import gc
import runpy
import sys
from pathlib import Path

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


def test_the_pdf_worker_freezes_once_before_its_first_pdf():
    from reports import jobs

    gc.unfreeze()
    jobs._freeze_the_loaded_worker.cache_clear()
    try:
        jobs._freeze_the_loaded_worker()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000
        jobs._freeze_the_loaded_worker()  # not again: what a PDF left alive stays collectable
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
