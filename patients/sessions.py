"""The session store: Django's database sessions, the session read by a compiled query.

Every request with a session cookie loads its session. The ORM compiled that
``get(session_key=..., expire_date__gt=now)`` again on each request; here it is a
:class:`~patients.prepared.PreparedQuery`, compiled once per process. Saving, expiry, key
rotation at sign-in and ``clearsessions`` are Django's own code.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from .prepared import PreparedQuery

_SESSION = PreparedQuery(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now).order_by()[:1],
    key=str,
    now=dt.datetime,
)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        """As Django's: the unexpired session with this key, else None and no key (so that a
        new session gets a new key, never the one the browser sent)."""
        found = _SESSION(key=self.session_key, now=timezone.now())
        if found:
            return found[0]
        self._session_key = None
        return None
