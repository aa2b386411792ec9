"""gunicorn's logger with secret addresses redacted (see :mod:`config.redaction`).

gunicorn sets up its own ``gunicorn.access`` and ``gunicorn.error`` loggers, before Django's
``LOGGING`` is read; ``gunicorn.conf.py`` (read from the working directory, or given with
``-c``) names this class as its ``logger_class``. It turns no log on that was off.

Kept apart from ``config.redaction`` so Django's logging set-up never imports gunicorn.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .redaction import redact_secrets


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # On the loggers, not their handlers: it then covers every handler, including those a
        # logconfig_dict or syslog option adds.
        for log in (self.error_log, self.access_log):
            log.addFilter(redact_secrets)
