from django.contrib import admin
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
]

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    path("favicon.ico", favicon),
    path("p/<str:public_id>/", include(patient_patterns)),
    path("calendar/<str:token>.ics", infusion_views.calendar_feed, name="calendar-feed"),
    path("", include("patients.urls")),
]
