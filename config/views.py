"""Project-level views that belong to no app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.utils.cache import patch_cache_control


def healthz(request: HttpRequest) -> HttpResponse:
    """Answer "ok" without touching the database or the session.

    Load balancers and ``make bench`` use it: for the bench it is the baseline, the cost of the
    middleware stack and gunicorn alone, so every page's throughput is read as a ratio to it.
    """
    return HttpResponse("ok", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and bookmark tools ask for /favicon.ico whatever the page links: point them to
    the SVG. Not permanent, as the static file's hashed name changes with its content."""
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response
