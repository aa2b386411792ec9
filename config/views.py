"""Project-level views that belong to no app."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from patients.signin import fallback_page, local_path


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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form's security check failed (``CSRF_FAILURE_VIEW``): its page was opened before the
    browser lost its cookie, or in another session. Say plainly that nothing was saved and
    take the user back to the page, where the form works again.

    For htmx, whose requests answered with an error show nothing at all (the entry would be
    lost without a word), the answer moves the whole page back with the message on it.
    """
    message = _(
        "That was not saved: the page had been open too long or was opened in another "
        "session. Try again now."
    )
    htmx = request.headers.get("HX-Request") == "true"
    came_from = request.headers.get("HX-Current-URL") if htmx else request.headers.get("Referer")
    back = local_path(came_from, request) or fallback_page(request)
    if htmx:
        messages.warning(request, message)
        response = HttpResponseClientRedirect(back)
        response["Vary"] = "HX-Request"
        return response
    return render(request, "403_csrf.html", {"message": message, "back": back}, status=403)
