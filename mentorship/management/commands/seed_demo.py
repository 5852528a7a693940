from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data: each app's demo.seed(), in layer order. "
        "Safe to run again: the same command leaves the same data."
    )

    def handle(self, *args, **options):
        # Each app contributes its own demo module, so this command (in a low
        # layer) never imports the apps above it.
        logins = []
        with transaction.atomic():
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if find_spec(module_name) is None:
                    continue
                logins.extend(import_module(module_name).seed() or [])
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Demo logins:"))
        for role, email, password in logins:
            self.stdout.write(f"  {role:<8} {email:<28} password: {password}")
        self.stdout.write(
            "Staff set up two-factor authentication (an authenticator app) "
            "at their first login."
        )
