"""Sending a signed-out request to sign in, so that it comes back to a page and not to a POST URL.

Django's own answer (``login_required``) is a 302 to the login page with ``next`` set to the
requested URL. That is right for a page the user opened, and wrong for the two other ways a
session runs out under a user's hands:

* an htmx request follows the 302 itself, so the whole sign-in page is swapped *into* the part of
  the page being updated (a second header and menu inside the quick log);
* after signing in, ``next`` sends the browser with a GET to a URL that only takes POST (405).

:func:`sign_in_response` answers every signed-out request: htmx requests get ``HX-Redirect``
(a whole-page navigation), writes come back to the page the user was on (``HX-Current-URL`` or
``Referer`` when it is this site, else the diary's Today page, else ``/``), and a refused write
leaves a message on the sign-in page saying it was not saved. A plain GET keeps Django's answer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from .htmx import vary_on_htmx

# Methods that only read: a signed-out GET may come back to the URL it asked for.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def local_path(url: str | None, request: HttpRequest) -> str | None:
    """The path and query of ``url`` if it points at this site, else ``None``.

    Only the path and query are kept, and they are checked again on their own, so a URL such as
    ``http://this-site//elsewhere.example/`` cannot turn into a protocol-relative ``next``.
    """
    if not url:
        return None
    allowed = {request.get_host()}
    secure = request.is_secure()
    if not url_has_allowed_host_and_scheme(url, allowed, require_https=secure):
        return None
    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    if not path.startswith("/") or not url_has_allowed_host_and_scheme(
        path, allowed, require_https=secure
    ):
        return None
    return path


def fallback_page(request: HttpRequest, public_id: str | None = None) -> str:
    """Today of the diary in the request's URL, else the start page."""
    if public_id is None:
        match = getattr(request, "resolver_match", None)
        if match is None:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
        public_id = match.kwargs.get("public_id") if match is not None else None
    if public_id:
        try:
            return reverse("today", args=[public_id])
        except NoReverseMatch:
            pass
    return "/"


def sign_in_response(request: HttpRequest, public_id: str | None = None) -> HttpResponse:
    """Send a signed-out request to sign in, with a ``next`` the browser can open with GET.

    ``public_id`` names the diary of the URL when the caller knows it (the access gate does);
    otherwise it is read from the URL.
    """
    login_url = resolve_url(settings.LOGIN_URL)
    is_write = request.method not in READ_METHODS
    htmx = getattr(request, "htmx", None)
    if not htmx and not is_write:
        # A page the user opened: back to it after signing in, as Django does.
        return vary_on_htmx(redirect_to_login(request.get_full_path(), login_url))
    # htmx (read or write) or a plain form's POST: back to the page the user was on.
    came_from = htmx.current_url if htmx else request.headers.get("Referer")
    next_url = local_path(came_from, request) or fallback_page(request, public_id)
    if is_write:
        messages.warning(
            request, _("You were signed out, so this was not saved. Sign in, then log it again.")
        )
    redirect = redirect_to_login(next_url, login_url)
    if htmx:
        # htmx would follow a 302 and swap the sign-in page into the page; this navigates.
        return vary_on_htmx(HttpResponseClientRedirect(redirect.url))
    return vary_on_htmx(redirect)
