"""Project-wide middleware: idle sign-out and no caching of pages with health data."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import ngettext

from patients.signin import READ_METHODS, sign_in_response

_LAST_SEEN = "_last_seen"
# Write the timestamp at most this often: a session save on every request would cost a write
# per page view for no gain in accuracy that matters to a 30-minute timeout.
_TOUCH_EVERY = 60


class IdleTimeoutMiddleware:
    """Sign out a session that was not "kept signed in" after SESSION_IDLE_TIMEOUT quiet seconds.

    allauth marks a session without "Remember me" to expire at browser close; those sessions are
    the ones on shared or unknown devices, and they also get the idle timeout.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = int(time.time())
            last_seen = session.get(_LAST_SEEN)
            idle = last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT
            if idle and session.get_expire_at_browser_close():
                logout(request)
                if request.method in READ_METHODS:
                    # A write gets its own message: it was not saved (sign_in_response).
                    minutes = max(1, settings.SESSION_IDLE_TIMEOUT // 60)
                    messages.info(
                        request,
                        ngettext(
                            "You were signed out after %(minutes)s minute without using the "
                            "diary, so that no one else can read it on this device.",
                            "You were signed out after %(minutes)s minutes without using the "
                            "diary, so that no one else can read it on this device.",
                            minutes,
                        )
                        % {"minutes": minutes},
                    )
                return sign_in_response(request)
            if last_seen is None or now - last_seen >= _TOUCH_EVERY:
                session[_LAST_SEEN] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Keep signed-in pages out of browser and proxy caches (shared computers, back button)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
