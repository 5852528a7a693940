from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and mentors"

    def ready(self):
        from . import personal_data

        personal_data.register(personal_data.ACCOUNTS)


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose default site is the project's (see
    ``accounts.admin_site``)."""

    default_site = "accounts.admin_site.AdminSite"
    # "accounts" alone in INSTALLED_APPS still means AccountsConfig.
    default = False
