from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Mentee applications"

    def ready(self):
        from accounts import personal_data

        from .personal_data import APPLICATIONS

        personal_data.register(APPLICATIONS)
