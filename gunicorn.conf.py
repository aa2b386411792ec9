"""gunicorn's settings for the diary, read from the working directory (or `gunicorn -c
gunicorn.conf.py config.wsgi`). Command-line options still win over these."""

# Access and error logs with secret addresses (calendar feeds) redacted; see config/redaction.py.
logger_class = "config.gunicorn_logger.RedactingLogger"
