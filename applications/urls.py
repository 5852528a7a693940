from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("apply/check/", views.check, name="check"),
    path("apply/form/", views.application_form, name="form"),
    path("applications/", views.my_applications, name="list"),
    path("applications/<int:pk>/", views.application_detail, name="detail"),
    path(
        "applications/<int:pk>/withdraw/", views.application_withdraw, name="withdraw"
    ),
    path("applications/<int:pk>/cv/", views.cv_download, name="cv"),
]
