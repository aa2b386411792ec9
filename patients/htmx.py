"""Fragment or whole page: the one rule every app's htmx views follow (architecture.md).

An htmx request that swaps part of a page gets the fragment. Everything else gets the whole
page: a normal request, a boosted navigation, and htmx's *history restore* request (Back after
a swap, when the page is not in htmx's history cache), which would otherwise leave a page with
no header, navigation or footer. Responses that can be either vary on the htmx headers, so no
cache hands a fragment to a browser that asked for a page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

HTMX_HEADERS = ("HX-Request", "HX-History-Restore-Request")


def wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def page_or_fragment(request: HttpRequest, name: str, fragment: str) -> str:
    """``name#fragment`` for an htmx swap, else ``name``."""
    return f"{name}#{fragment}" if wants_fragment(request) else name


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, HTMX_HEADERS)
    return response


def render_page_or_fragment(
    request: HttpRequest, name: str, fragment: str, context: dict
) -> HttpResponse:
    return vary_on_htmx(render(request, page_or_fragment(request, name, fragment), context))
