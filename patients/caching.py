"""Cache the expensive part of a patient's page until anything in the diary changes.

A fragment is stored under the patient's ``data_version`` (bumped by every write), the user's
session (so the CSRF tokens inside stay theirs), their role, the language, the exact URL and the
hour in the patient's time zone (pages say "today" and "in 3 days"). A write, a new login or the
next hour each give a new key; stale entries simply age out.

Names of members (“Sam (caregiver)”) live on users and memberships, outside the patient row:
``patients.signals`` bumps the ``data_version`` of every diary a user belongs to when their name
or email changes, and a membership's own writes bump it like any diary write.

The key is short (a name and a SHA-256) and the value a plain string, so any backend takes it:
the per-process memory cache, or Redis shared by every app process (``REDIS_URL``), where all
processes agree because the version is read from the patient row on each request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from .access import PatientRequest
from .htmx import wants_fragment

FRAGMENT_SECONDS = 3600

# True while rendering as if the diary had just changed (see ``first_render``).
_first_render: ContextVar[bool] = ContextVar("first_render", default=False)


@contextmanager
def first_render() -> Iterator[None]:
    """Serve every fragment inside as its first render after a change: built again and stored,
    whatever the cache holds, at the cost of a real miss (a lookup, the build, a store).

    ``make bench`` measures pages this way (a request header turns it on there), because a
    patient usually sees a page right after logging something, when its version is new.
    """
    token = _first_render.set(True)
    try:
        yield
    finally:
        _first_render.reset(token)


def render_cached(
    request: PatientRequest, template_name: str, build_context: Callable[[], dict]
) -> str:
    """Render a template (usually a ``page.html#fragment`` partial), or reuse the cached HTML.

    ``build_context`` runs only on a miss, so the page's queries are skipped on a hit.
    """
    return cached_fragment(
        request,
        template_name,
        lambda: render_to_string(template_name, build_context(), request=request),
    )


def cached_fragment(request: PatientRequest, name: str, build: Callable[[], str]) -> str:
    patient = request.patient
    hour = timezone.localtime(timezone.now(), patient.tz).strftime("%Y%m%d%H")
    parts = ":".join(
        [
            "fragment",
            name,
            str(patient.pk),
            str(patient.data_version),
            request.session.session_key or "-",
            request.membership.role,
            get_language() or "-",
            hour,
            "fragment" if wants_fragment(request) else "page",
            request.get_full_path(),
        ]
    )
    key = f"fragment:{name}:{hashlib.sha256(parts.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None or _first_render.get():
        html = build()
        cache.set(key, html, FRAGMENT_SECONDS)
    return html
