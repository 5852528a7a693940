"""Time the staff progress dashboard and the pairings export at scale.

Creates (once) a cycle of its own with ``--pairings`` pairings whose year
began seven months ago, a contact in most of their months, pulse answers,
disputes, pairs needing attention, staff nudges and the applications behind
them; then requests the dashboard and the CSV export through Django's test
client as a staff member and prints timings and query counts, ending with
one JSON line. Running it again reuses the data.
"""

import json
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import User
from accounts.testing import Client, activate_two_factor, totp_secret
from matching import bench
from mentorship.models import CheckIn, Pairing

STAFF_EMAIL = "bench-progress-staff@bench.invalid"
MONTHS_IN = 7


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--pairings", type=int, default=10_000)
        parser.add_argument("--repeat", type=int, default=20)

    def handle(self, *args, pairings, repeat, **options):
        cycle = bench.bench_cycle("progress", months_in=MONTHS_IN)
        staff = self._staff()
        created = bench.fill(cycle, pairings, name="progress", log=self.stdout.write)
        total = Pairing.objects.filter(cycle=cycle).count()
        self.stdout.write(
            f"{connection.vendor}: {total} pairings in “{cycle}” ({created} created "
            f"now), {CheckIn.objects.filter(pairing__cycle=cycle).count()} contacts"
        )
        client = Client()
        client.force_login(staff)
        pages = {
            "dashboard": (reverse("matching:progress"), {"cycle": cycle.pk}),
            "dashboard, page 5": (
                reverse("matching:progress"),
                {"cycle": cycle.pk, "page": "5"},
            ),
        }
        results = {}
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            for name, (url, params) in pages.items():
                results[name] = self._time(client, url, params, repeat)
            results["CSV export"] = self._time(
                client,
                reverse("matching:progress_export"),
                {"cycle": cycle.pk},
                max(3, repeat // 5),
            )
        self.stdout.write(f"{repeat} requests each (the export fewer):")
        for name, figures in results.items():
            self.stdout.write(
                f"  {name:<20} p50 {figures['p50_ms']:7.1f} ms   "
                f"p95 {figures['p95_ms']:7.1f} ms   "
                f"max {figures['max_ms']:7.1f} ms   {figures['queries']} queries"
            )
        self.stdout.write(
            json.dumps(
                {
                    "benchmark": "progress_dashboard",
                    "database": connection.vendor,
                    "pairings": total,
                    "repeat": repeat,
                    "debug": settings.DEBUG,
                    "pages": results,
                }
            )
        )

    def _time(self, client, url, params, repeat) -> dict:
        for _ in range(2):  # warm caches: templates, content types, the plan
            _read(client.get(url, params), url)
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            _read(client.get(url, params), url)
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            _read(client.get(url, params), url)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        return {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, round(0.95 * len(timings)) - 1)], 1),
            "max_ms": round(timings[-1], 1),
            "queries": len(queries),
        }

    def _staff(self) -> User:
        user, created = User.objects.get_or_create(
            email=STAFF_EMAIL,
            defaults={
                "full_name": "Benchmark Staff",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if not totp_secret(user):
            activate_two_factor(user)  # staff pages need it
        return user


def _read(response, url):
    if response.status_code != 200:
        raise CommandError(
            f"{url} answered {response.status_code} {response.get('Location', '')}"
        )
    if response.streaming:
        b"".join(response.streaming_content)
    else:
        response.content  # noqa: B018 (the body is what is being timed)
