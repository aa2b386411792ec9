"""The sign-in backends: Django's and allauth's, with the signed-in user read by a compiled query.

Every signed-in request loads its user (``django.contrib.auth.get_user`` calls the backend that
signed the session in). The ORM compiled that ``get(pk=...)`` again on each request; here it is
a :class:`~patients.prepared.PreparedQuery`, compiled once per process. Everything else, signing
in included, is the parent classes' own code.

``AUTHENTICATION_BACKENDS`` names these classes, so a session records them as its backend.
Sessions signed in under the parent classes' paths, from before this module, end at their next
request (``get_user`` refuses a backend that is not in the setting) and sign in again.
"""

from __future__ import annotations

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .prepared import PreparedQuery


def _user_by_pk(pk: int):
    model = get_user_model()
    return model._default_manager.filter(pk=pk).order_by()[:1]


_USER = PreparedQuery(_user_by_pk, pk=int)


class _CompiledUserLookup:
    def get_user(self, user_id):
        """As ``ModelBackend.get_user``: the active user with this id, else None."""
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if not isinstance(pk, int) or isinstance(pk, bool) or not -(2**63) <= pk < 2**63:
            return None  # as Django's: an id no row can have is nobody, never an error
        found = _USER(pk=pk)
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_CompiledUserLookup, django_backends.ModelBackend):
    """Django's ``ModelBackend`` (email and password, permissions)."""


class AuthenticationBackend(_CompiledUserLookup, allauth_backends.AuthenticationBackend):
    """allauth's backend (sign-in by email, login codes)."""
