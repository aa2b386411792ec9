"""gunicorn's settings for the diary, read from the working directory (or `gunicorn -c
gunicorn.conf.py config.wsgi`). Command-line options still win over these."""

# Access and error logs with secret addresses (calendar feeds) redacted; see config/redaction.py.
logger_class = "config.gunicorn_logger.RedactingLogger"


def post_worker_init(worker):
    """Once a worker has loaded the site, import every view (the URL patterns) and move what
    was built so far out of the garbage collector's sight (``gc.freeze``).

    Those ~100,000 long-lived objects (modules, models, URL patterns) never become garbage, yet
    every full collection walked them all again: a five-year report, which makes tens of
    thousands of small objects, took 25-30 % longer for it (measured in docs/decisions.md).
    Objects made later are still collected as usual.
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the views)
    gc.collect()
    gc.freeze()
