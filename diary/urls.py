from django.urls import path

from . import views

app_name = "diary"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("quick/", views.quick_log, name="quick-log"),
    path("quick/<int:pk>/follow-up/", views.follow_up, name="follow-up"),
    path("same-as-yesterday/", views.same_as_yesterday, name="same-as-yesterday"),
    path("side-effects/new/", views.symptom_form, name="side-effect-add"),
    path("side-effects/<int:pk>/edit/", views.symptom_form, name="side-effect-edit"),
    path("side-effects/<int:pk>/gone/", views.symptom_gone, name="side-effect-gone"),
    path(
        "side-effects/<int:pk>/still-going/",
        views.symptom_still_going,
        name="side-effect-still-going",
    ),
    path("warnings/<int:pk>/dealt-with/", views.red_flag_handled, name="red-flag-handled"),
    path("notes/new/", views.note_form, name="note-add"),
    path("notes/<int:pk>/edit/", views.note_form, name="note-edit"),
    path("questions/", views.questions, name="questions"),
    path("questions/new/", views.question_form, name="question-add"),
    path("questions/<int:pk>/edit/", views.question_form, name="question-edit"),
    path("questions/<int:pk>/answer/", views.question_answer, name="question-answer"),
    path("measures/", views.measures, name="measures"),
    path("measures/<int:pk>/edit/", views.measure_form, name="measure-edit"),
    path("measures/<str:kind>/new/", views.measure_form, name="measure-add"),
    path("<str:kind>/<int:pk>/delete/", views.delete, name="delete"),
    path("<str:kind>/<int:pk>/restore/", views.restore, name="restore"),
    path("<str:kind>/<int:pk>/history/", views.history, name="history"),
]
