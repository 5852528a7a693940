from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and mentors"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import personal_data
        from .middleware import session_refreshed_at_login

        personal_data.register(personal_data.ACCOUNTS)
        user_logged_in.connect(session_refreshed_at_login)
