"""No calendar feed token reaches a log (config/redaction.py): not Django's request log, not
runserver's, not gunicorn's access or error log."""

from __future__ import annotations

import datetime as dt
import io
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from config.redaction import RedactSecrets, redact

from .factories import RegimenFactory

REDACTED = "/calendar/[redacted].ics"
UNKNOWN_TOKEN = "Zq9" + "x" * 40  # well-formed, but no such feed


def token_of(feed_url: str) -> str:
    return feed_url.rsplit("/", 1)[1].removesuffix(".ics")


@pytest.fixture
def feed_url(patient, owner_client):
    RegimenFactory(patient=patient, start_date=dt.date(2026, 6, 1))
    response = owner_client.post(reverse("infusions:calendar-create", args=[patient.public_id]))
    return response.context["feed_url"]


def logged_text(caplog) -> str:
    """Everything the records would print: formatted lines and each record's message."""
    return caplog.text + "\n".join(record.getMessage() for record in caplog.records)


def test_feed_requests_log_no_token(patient, owner_client, feed_url, caplog):
    token = token_of(feed_url)
    client = Client()
    with caplog.at_level(logging.INFO):
        assert client.get(feed_url).status_code == 200
        assert client.get(f"/calendar/{UNKNOWN_TOKEN}.ics").status_code == 404
        assert client.get(f"/calendar/{UNKNOWN_TOKEN}").status_code == 404  # mistyped: no .ics
        owner_client.post(reverse("infusions:calendar-revoke", args=[patient.public_id]))
        assert client.get(feed_url).status_code == 404  # a known token, revoked
    text = logged_text(caplog)
    assert token not in text
    assert UNKNOWN_TOKEN not in text
    not_found = [r for r in caplog.records if r.name == "django.request"]
    assert len(not_found) == 3
    assert f"Not Found: {REDACTED}" in text
    assert "Not Found: /calendar/[redacted]\n" in text + "\n"


@pytest.mark.parametrize("suffix", ["/", "/extra", "x/"])
def test_a_mistyped_feed_address_logs_no_token(feed_url, caplog, suffix):
    token = token_of(feed_url)
    with caplog.at_level(logging.INFO):
        assert Client().get(feed_url + suffix).status_code == 404
    text = logged_text(caplog)
    assert token not in text
    assert "Not Found: /calendar/[redacted]" in text


def test_the_settings_put_the_filter_on_the_handlers_and_loggers():
    logging_config = settings.LOGGING
    assert "redact_secrets" in logging_config["handlers"]["console"]["filters"]
    for name in ("django.request", "django.server"):
        assert "redact_secrets" in logging_config["loggers"][name]["filters"]
        assert any(isinstance(f, RedactSecrets) for f in logging.getLogger(name).filters)
    root_handlers = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert any(isinstance(f, RedactSecrets) for h in root_handlers for f in h.filters)


def test_runservers_request_lines_are_redacted():
    logger = logging.getLogger("django.server")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        # As django.core.servers.basehttp.WSGIRequestHandler.log_message logs a request.
        logger.info('"%s" %s %s', f"GET /calendar/{UNKNOWN_TOKEN}.ics HTTP/1.1", "404", "179")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == f'"GET {REDACTED} HTTP/1.1" 404 179\n'


def test_gunicorn_uses_the_redacting_logger():
    from gunicorn.config import Config

    from config.gunicorn_logger import RedactingLogger

    conf = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    assert cfg.logger_class is RedactingLogger


def test_gunicorns_access_and_error_logs_are_redacted():
    from gunicorn.config import Config

    from config.gunicorn_logger import RedactingLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    access = logging.getLogger("gunicorn.access")
    error = logging.getLogger("gunicorn.error")
    saved = {log: (list(log.handlers), list(log.filters)) for log in (access, error)}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    try:
        log = RedactingLogger(cfg)
        for logger in (access, error):
            logger.handlers = [handler]
        path = f"/calendar/{UNKNOWN_TOKEN}.ics"
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": path,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
        }
        response = SimpleNamespace(status="404 Not Found", sent=179, headers=[])
        request = SimpleNamespace(headers=[("USER-AGENT", "Calendar/1.0")])
        log.access(response, request, environ, dt.timedelta(milliseconds=12))
        log.error("Error handling request %s", path)
    finally:
        for logger, (handlers, filters) in saved.items():
            logger.handlers, logger.filters = handlers, filters
    text = stream.getvalue()
    assert UNKNOWN_TOKEN not in text
    assert f'"GET {REDACTED} HTTP/1.1" 404 179' in text
    assert f"Error handling request {REDACTED}" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /calendar/abc_-123.ics HTTP/1.1", f"GET {REDACTED} HTTP/1.1"),
        (
            "https://diary.example.org/calendar/abc.ics?x=1",
            f"https://diary.example.org{REDACTED}?x=1",
        ),
        ("Not Found: /calendar/abc", "Not Found: /calendar/[redacted]"),
        # A diary's own calendar pages hold no secret: left as they are.
        (
            "POST /p/Ab3/infusions/calendar/new/ HTTP/1.1",
            "POST /p/Ab3/infusions/calendar/new/ HTTP/1.1",
        ),
        (
            "POST /p/Ab3/infusions/calendar/revoke/ HTTP/1.1",
            "POST /p/Ab3/infusions/calendar/revoke/ HTTP/1.1",
        ),
        # Mistyped addresses still hold the secret.
        ("GET /calendar/abc.ics/ HTTP/1.1", "GET /calendar/[redacted] HTTP/1.1"),
        ("Not Found: /calendar/abc.ics/extra", "Not Found: /calendar/[redacted]"),
        ("Not Found: /calendar//abc.ics", f"Not Found: {REDACTED}"),
        ("nothing to see", "nothing to see"),
    ],
)
def test_what_is_redacted(text, expected):
    assert redact(text) == expected


def test_the_redaction_matches_the_feeds_route():
    assert reverse("calendar-feed", args=["tok"]) == "/calendar/tok.ics"
    assert redact(reverse("calendar-feed", args=["tok"])) == REDACTED
