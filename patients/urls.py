from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.index, name="index"),
    path("diaries/", views.patient_list, name="list"),
    path("start/", views.start, name="start"),
    path("p/<str:public_id>/settings/", views.settings_view, name="settings"),
    path("p/<str:public_id>/settings/delete/", views.delete_diary, name="delete"),
]
