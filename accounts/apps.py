from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and mentors"

    def ready(self):
        from . import personal_data

        personal_data.register(personal_data.ACCOUNTS)
