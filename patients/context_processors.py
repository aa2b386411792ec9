from django.utils.functional import SimpleLazyObject

from .models import Membership


def memberships(request):
    """The signed-in user's diaries, for the patient switcher. Queried only if a page uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_memberships": SimpleLazyObject(
            lambda: list(Membership.objects.filter(user=user).select_related("patient"))
        )
    }
