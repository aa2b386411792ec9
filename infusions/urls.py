from django.urls import path

from . import views

app_name = "infusions"

urlpatterns = [
    path("", views.infusion_list, name="list"),
    path("log/", views.log_infusion, name="log"),
    path("lots/", views.lot_search, name="lot-search"),
    path("deleted/", views.infusion_deleted, name="deleted"),
    path("<int:pk>/", views.infusion_detail, name="detail"),
    path("<int:pk>/edit/", views.infusion_edit, name="edit"),
    path("<int:pk>/delete/", views.infusion_delete, name="delete"),
    path("<int:pk>/restore/", views.infusion_restore, name="restore"),
    path("<int:pk>/history/", views.infusion_history, name="history"),
    path("plan/", views.plan, name="plan"),
    path("plan/new/", views.plan_new, name="plan-new"),
    path("plan/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("plan/<int:pk>/end/", views.plan_end, name="plan-end"),
    path("plan/<int:pk>/reopen/", views.plan_reopen, name="plan-reopen"),
    path("plan/<int:pk>/delete/", views.plan_delete, name="plan-delete"),
    path("plan/<int:pk>/restore/", views.plan_restore, name="plan-restore"),
    path("plan/<int:pk>/history/", views.plan_history, name="plan-history"),
    path("products/new/", views.product_new, name="product-new"),
    path("calendar/new/", views.calendar_create, name="calendar-create"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar-revoke"),
]
