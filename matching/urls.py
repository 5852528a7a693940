from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("pairings/<int:pk>/respond/", views.pairing_respond, name="respond"),
    path("mentors/choose/", views.mentor_preferences, name="preferences"),
]
