import json
import time
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

# Tables the large data set fills, counted after each run: the same counts
# on a second run show it is idempotent.
COUNTED = [
    "accounts.User",
    "accounts.MentorProfile",
    "mentorship.Cycle",
    "applications.Application",
    "mentorship.Pairing",
    "mentorship.CheckIn",
    "mentorship.Objective",
    "mentorship.Activity",
    "mentorship.PairingEvent",
    "mentorship.IntroCall",
]


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data: each app's demo.seed(), in layer order; "
        "with --scale large, then each app's demo_large.seed(): a program at "
        "platform size. Safe to run again: the same command leaves the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=["small", "large"],
            default="small",
            help="large adds 100,000 applications over 5 cycles, 10,000 mentors "
            "and 20,000 pairings with their year (bulk inserts).",
        )

    def handle(self, *args, scale, **options):
        started = time.perf_counter()
        # Each app contributes its own demo modules, so this command (in a low
        # layer) never imports the apps above it.
        logins = []
        with transaction.atomic():
            for module in self._modules("demo"):
                logins.extend(module.seed() or [])
        if scale == "large":
            self._seed_large()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Demo logins:"))
        for role, email, password in logins:
            self.stdout.write(f"  {role:<8} {email:<28} password: {password}")
        self.stdout.write(
            "Staff set up two-factor authentication (an authenticator app) "
            "at their first login."
        )
        if scale == "large":
            counts = {label: apps.get_model(label).objects.count() for label in COUNTED}
            for label, count in counts.items():
                self.stdout.write(f"  {label:<26} {count:>9,}")
            seconds = round(time.perf_counter() - started, 1)
            self.stdout.write(f"Took {seconds} s on {connection.vendor}.")
            self.stdout.write(
                json.dumps(
                    {
                        "seed_demo": "large",
                        "database": connection.vendor,
                        "seconds": seconds,
                        "counts": counts,
                    }
                )
            )

    def _modules(self, name):
        for config in apps.get_app_configs():
            module_name = f"{config.name}.{name}"
            if find_spec(module_name) is not None:
                yield import_module(module_name)

    def _seed_large(self):
        for module in self._modules("demo_large"):
            step = time.perf_counter()
            with transaction.atomic():
                summary = module.seed()
            seconds = time.perf_counter() - step
            self.stdout.write(f"  {module.__name__}: {summary} ({seconds:.1f} s)")
        if connection.vendor == "postgresql":
            # After a bulk load, as PostgreSQL's documentation asks: planner
            # statistics and the visibility map for the new rows.
            with connection.cursor() as cursor:
                for label in COUNTED:
                    table = apps.get_model(label)._meta.db_table
                    cursor.execute(f'VACUUM ANALYZE "{table}"')
