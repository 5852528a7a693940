from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    name = "mentorship"
    verbose_name = "Mentorship program"

    def ready(self):
        from accounts import personal_data

        from .personal_data import MENTORSHIP

        personal_data.register(MENTORSHIP)
