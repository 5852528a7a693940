from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("pairings/<int:pk>/respond/", views.pairing_respond, name="respond"),
    path("mentors/choose/", views.mentor_preferences, name="preferences"),
    path("staff/progress/", views.progress, name="progress"),
    path("staff/progress/pairings.csv", views.progress_export, name="progress_export"),
    path(
        "staff/progress/pairings/<int:pk>/nudge/",
        views.progress_nudge,
        name="progress_nudge",
    ),
    path(
        "staff/progress/pairings/<int:pk>/check-in/",
        views.progress_check_in,
        name="progress_check_in",
    ),
]
