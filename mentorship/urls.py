from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

# Staff log in to the admin through allauth's login, with its rate limits.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Virtual Mentors Program"
admin.site.site_title = "Virtual Mentors Program"
admin.site.index_title = "Program administration"

mentor_patterns = [
    path("mentors/volunteer/", views.mentor_volunteer, name="mentor_volunteer"),
    path("mentors/profile/", views.mentor_profile, name="mentor_profile"),
    path(
        "mentors/profile/availability/",
        views.mentor_availability,
        name="mentor_availability",
    ),
    path("pairings/", views.pairing_list, name="pairing_list"),
    path("pairings/<int:pk>/", views.pairing_detail, name="pairing_detail"),
    path("pairings/<int:pk>/checkins/", views.checkin_log, name="checkin_log"),
    path(
        "pairings/<int:pk>/checkins/<int:checkin_pk>/answer/",
        views.checkin_answer,
        name="checkin_answer",
    ),
    path("pulse/<str:token>/", views.pulse, name="pulse"),
    path("pairings/<int:pk>/plan/", views.plan, name="plan"),
    path("pairings/<int:pk>/plan/start/", views.plan_start, name="plan_start"),
    path(
        "pairings/<int:pk>/plan/objectives/",
        views.plan_objective_add,
        name="plan_objective_add",
    ),
    path(
        "pairings/<int:pk>/plan/objectives/<int:objective_pk>/",
        views.plan_objective_edit,
        name="plan_objective_edit",
    ),
    path(
        "pairings/<int:pk>/plan/activities/",
        views.plan_activity_add,
        name="plan_activity_add",
    ),
    path(
        "pairings/<int:pk>/plan/activities/<int:activity_pk>/",
        views.plan_activity_edit,
        name="plan_activity_edit",
    ),
    path(
        "pairings/<int:pk>/mentoring-plan.pdf",
        views.plan_download,
        name="plan_pdf",
    ),
    path(
        "pairings/<int:pk>/survey/<str:kind>/",
        views.survey,
        name="survey",
    ),
    path("staff/surveys/", views.survey_results, name="survey_results"),
    path(
        "pairings/<int:pk>/intro-call.ics",
        views.pairing_intro_call_ics,
        name="pairing_intro_call_ics",
    ),
    # Your data, from the account page.
    path("account/data/export/", views.data_export_request, name="data_export_request"),
    path(
        "account/data/exports/<int:pk>/download/",
        views.data_export_download,
        name="data_export_download",
    ),
    path("account/delete/", views.account_delete, name="account_delete"),
    path(
        "account/delete/cancel/",
        views.account_delete_cancel,
        name="account_delete_cancel",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("notify/", views.notification_request, name="notification_request"),
    path(
        "notify/unsubscribe/<str:token>/",
        views.notification_unsubscribe,
        name="notification_unsubscribe",
    ),
    path("", include((mentor_patterns, "mentorship"))),
    path("", include("applications.urls")),
    path("", include("matching.urls")),
    path("account/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_MINIMAL_VIEW:
    urlpatterns.append(
        path("bench/minimal/", views.bench_minimal, name="bench_minimal")
    )
