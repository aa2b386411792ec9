"""Keep secret tokens out of every log line.

A calendar feed's address (``/calendar/<token>.ics``) is its only credential: anyone who reads
it in a log can read the diary's schedule. Django (``django.request``: "Not Found: /calendar/…",
``django.server``: the request line) and gunicorn (access and error logs) all print the path,
so :class:`RedactSecrets` rewrites it to ``/calendar/[redacted].ics`` in a record's message and
arguments before any handler formats it. It is installed on those loggers (a logger's filter
runs once, before the record reaches any handler, Django's own default handlers included) and on
our handlers (anything else that reaches them). See ``LOGGING`` in settings and
``config.gunicorn_logger`` for gunicorn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

# The feed's route (config/urls.py: "calendar/<str:token>.ics"; a test ties the two). The token
# is whatever follows up to the end of the path, slashes included, with or without ".ics" (a
# mistyped address, "/calendar//<token>.ics/", still holds the secret); the diary's own
# "infusions/calendar/new/" and ".../revoke/" are left alone.
FEED_PATH = re.compile(r"(?<!/infusions)/calendar/[^?#\s\"'<>]+?(\.ics)?(?=$|[?#\s\"'<>])")
REDACTED = "/calendar/[redacted]"


def _replace(match: re.Match) -> str:
    return REDACTED + (match.group(1) or "")


def redact(text: str) -> str:
    if "/calendar/" not in text:  # the common case, without running the expression
        return text
    return FEED_PATH.sub(_replace, text)


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrite secret addresses in ``record.msg`` and ``record.args``; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redact_value(arg) for arg in args)
        elif isinstance(args, dict):
            # In place: gunicorn's access log passes a dict subclass that answers "-" for a
            # missing key, which a plain dict would lose.
            for key, value in list(args.items()):
                if isinstance(value, str):
                    dict.__setitem__(args, key, redact(value))
        elif isinstance(args, Mapping):
            record.args = {key: _redact_value(value) for key, value in args.items()}
        return True


# One instance, so that installing it again (gunicorn re-runs its logging set-up on a reload)
# does not stack copies: Filterer.addFilter skips a filter it already has.
redact_secrets = RedactSecrets()
