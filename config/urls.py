from types import MethodType

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import include, path

from diary import views as diary_views
from infusions import views as infusion_views

from .views import favicon, healthz

# Everything about one patient lives under p/<public_id>/ and goes through patients.access.
patient_patterns = [
    # The "today" page is built by the highest layer that contributes to it.
    path("", diary_views.today, name="today"),
    path("diary/", include("diary.urls")),
    path("infusions/", include("infusions.urls")),
    # Trends (trends/) and the doctor's report, each route named in reports/urls.py.
    path("", include("reports.urls")),
]

# The admin signs in through allauth (two-factor, login rate limits) instead of its own password
# form: secure_admin_login sends a signed-out visitor to allauth's login. It wraps AdminSite's
# own view, so importing this module again (a reload) does not wrap it twice.
admin.site.login = secure_admin_login(MethodType(AdminSite.login, admin.site))


def build_urlpatterns(*, admin_enabled: bool) -> list:
    """The site's URLs; /admin/ only when ``settings.ADMIN_ENABLED`` (off in production)."""
    return [
        path("accounts/", include("allauth.urls")),
        *([path("admin/", admin.site.urls)] if admin_enabled else []),
        path("healthz", healthz),
        path("favicon.ico", favicon),
        path("p/<str:public_id>/", include(patient_patterns)),
        path("calendar/<str:token>.ics", infusion_views.calendar_feed, name="calendar-feed"),
        path("", include("patients.urls")),
    ]


urlpatterns = build_urlpatterns(admin_enabled=settings.ADMIN_ENABLED)
