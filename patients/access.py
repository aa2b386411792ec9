"""The access gate: the one way into a patient's data.

Every patient-scoped view is wrapped in :func:`patient_view`. It resolves the patient from the
``/p/<public_id>/`` URL through the signed-in user's membership and answers:

* a signed-out visitor is sent to sign in by :func:`patients.signin.sign_in_response`: htmx
  requests get ``HX-Redirect`` (never a sign-in page swapped into part of a page), and a write
  comes back to the page the user was on, never to a URL that only takes POST;
* 404 to anyone without a membership, the same answer as for an id that does not exist, so a
  stranger cannot even learn that a diary exists;
* 403 to a caregiver who may only view, on any write (POST, PUT, PATCH, DELETE);
* otherwise it calls the view with ``request.patient`` and ``request.membership`` set.

Inside a patient URL every object named by an id is fetched with :func:`get_for_patient`, which
scopes the lookup by ``request.patient`` and answers 404 otherwise; no view filters by hand
(tests/test_access.py calls every object route with another patient's objects).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Manager, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from .models import Membership, Patient
from .prepared import PreparedQuery
from .signin import sign_in_response

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from .models import User

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LAST_PATIENT_SESSION_KEY = "last_patient"
# Why a member was refused, for the 403 page's wording (Django hands it over as `exception`).
OWNER_ONLY = "owner-only"
VIEW_ONLY = "view-only"


class PatientRequest(HttpRequest):
    """What a patient-scoped view receives (for type checkers and readers)."""

    user: User
    patient: Patient
    membership: Membership
    htmx: HtmxDetails


# Compiled once per process: every patient page runs it. At most one row can match
# (membership_unique_user_patient); a second row, were the constraint ever lost, is an error as
# with get(). No ORDER BY: none is needed for at most one row.
_MEMBERSHIP = PreparedQuery(
    lambda user, public_id: (
        Membership.objects.select_related("patient")
        .filter(user=user, patient__public_id=public_id)
        .order_by()[:2]
    ),
    user=int,
    public_id=str,
)


def get_membership(user, public_id: str) -> Membership:
    """The user's membership of the patient, or 404 (also for a patient that does not exist)."""
    if not user.is_authenticated or not isinstance(public_id, str):
        raise Http404
    found = _MEMBERSHIP(user=user.pk, public_id=public_id)
    if not found:
        raise Http404
    if len(found) > 1:
        raise Membership.MultipleObjectsReturned("two memberships of one user in one diary")
    return found[0]


M = TypeVar("M", bound=Model)


def get_for_patient(
    request: HttpRequest, model: type[M] | Manager[M] | QuerySet[M], pk: object, **filters
) -> M:
    """The object ``pk`` of the request's patient, or 404 (also for another patient's object).

    ``model`` may be a model (its default manager: soft-deleted rows hidden), a manager such as
    ``all_objects`` or a queryset with its ``select_related``; ``filters`` narrow it further
    (``kind=Note.Kind.QUESTION``). The patient filter is always added here, never by the caller.
    """
    patient = getattr(request, "patient", None)
    if patient is None:
        raise RuntimeError("get_for_patient is for views wrapped in patient_view")
    if any(key == "patient" or key.startswith("patient_") for key in filters):
        raise TypeError("get_for_patient adds the patient filter itself")
    if isinstance(model, type):
        queryset = model._default_manager.all()
    elif isinstance(model, Manager):
        queryset = model.all()
    else:
        queryset = model
    try:
        return queryset.get(pk=pk, patient=patient, **filters)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def patient_view(
    view: Callable[..., HttpResponse] | None = None,
    *,
    owner_only: bool = False,
    for_editors: bool = False,
    viewer_may_post: bool = False,
):
    """Decorate a view whose URL starts with ``p/<str:public_id>/``.

    ``owner_only``: only the patient's owner may use the view at all (others with a membership
    get 403). ``for_editors``: the whole view is for writing (a form page), so viewers get 403
    on GET too. ``viewer_may_post``: the one write a caregiver who may only view may make,
    marking a red-flag warning as dealt with (tests/test_access.py keeps the list of such routes).
    Any other POST, PUT, PATCH or DELETE is a write: viewers get 403.
    """

    def decorator(func: Callable[..., HttpResponse]):
        @wraps(func)
        def wrapper(request: HttpRequest, public_id: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                # Not login_required: its 302 is followed by htmx (the sign-in page lands inside
                # the page) and its next= can be a URL that only takes POST.
                return sign_in_response(request, public_id)
            membership = get_membership(request.user, public_id)
            if owner_only and not membership.is_owner:
                raise PermissionDenied(OWNER_ONLY)
            is_write = for_editors or (request.method in WRITE_METHODS and not viewer_may_post)
            if is_write and not membership.can_write:
                raise PermissionDenied(VIEW_ONLY)
            request.membership = membership
            request.patient = membership.patient
            if request.session.get(LAST_PATIENT_SESSION_KEY) != public_id:
                request.session[LAST_PATIENT_SESSION_KEY] = public_id
            # Forms read and pages show times in the patient's own time zone.
            with timezone.override(membership.patient.tz):
                return func(request, *args, **kwargs)

        # The URL-walking test uses this mark to prove every patient route is gated.
        wrapper.patient_scoped = True
        wrapper.viewer_may_post = viewer_may_post
        return wrapper

    if view is not None:
        return decorator(view)
    return decorator
