from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self):
        from accounts import personal_data

        from .personal_data import MATCHING

        personal_data.register(MATCHING)
