from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views

# Staff log in to the admin through allauth's login, with its rate limits.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Virtual Mentors Program"
admin.site.site_title = "Virtual Mentors Program"
admin.site.index_title = "Program administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("notify/", views.notification_request, name="notification_request"),
    path(
        "notify/unsubscribe/<str:token>/",
        views.notification_unsubscribe,
        name="notification_unsubscribe",
    ),
    path("", include("applications.urls")),
    path("account/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
