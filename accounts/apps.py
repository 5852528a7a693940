from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and mentors"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import personal_data
        from .middleware import session_refreshed_at_login

        personal_data.register(personal_data.ACCOUNTS)
        user_logged_in.connect(session_refreshed_at_login)


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose default site is the project's (see
    ``accounts.admin_site``)."""

    default_site = "accounts.admin_site.AdminSite"
    # "accounts" alone in INSTALLED_APPS still means AccountsConfig.
    default = False
