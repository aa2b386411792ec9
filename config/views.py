"""Project-level views that belong to no app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    """Answer "ok" without touching the database or the session.

    Load balancers and ``make bench`` use it: for the bench it is the baseline, the cost of the
    middleware stack and gunicorn alone, so every page's throughput is read as a ratio to it.
    """
    return HttpResponse("ok", content_type="text/plain")
