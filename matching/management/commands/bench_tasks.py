"""Time the periodic tasks over a cycle of many pairings under way.

Builds (afresh each run: the tasks change it) a cycle of ``--pairings``
pairings seven months into their year, their people in time zones around
the world, then runs, each as the beat would: the monthly reminders at
07:05 UTC on the first day of a month (morning from Lagos to Kolkata, so the
reminders due there are written), the same hour again (nothing new may be
written: the scan alone), the weekly digests, the outbox sweep, the expiry
of unanswered proposals, the close of the year on the day after it ends
(every pair at once), the follow-up surveys six months later, and the
daily retention purge on the day ``--applications`` applications of last
year's cycle, declined or withdrawn, fall due. Emails are written to the
outbox as usual; handing them to a worker is left out (a
worker's sending is timed by nothing here). Prints each task's time,
queries and work done, ending with one JSON line.
"""

import json
import time
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from applications import services as application_services
from matching import bench
from matching import services as matching_services
from mentorship import services
from mentorship.models import OutboundEmail, Pairing
from mentorship.months import add_months

NAME = "tasks"
MONTHS_IN = 7


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--pairings", type=int, default=20_000)
        parser.add_argument(
            "--applications",
            type=int,
            default=20_000,
            help="declined or withdrawn a year ago, due for the retention purge",
        )

    def handle(self, *args, pairings, applications, **options):
        bench.reset(NAME)
        cycle = bench.bench_cycle(NAME, months_in=MONTHS_IN)
        bench.fill(cycle, pairings, name=NAME, log=self.stdout.write)
        purge_day = timezone.now()
        bench.fill_decided(
            # Decided in the weeks before last year's cycle began.
            bench.bench_cycle(f"{NAME}, last year", months_in=MONTHS_IN + 3),
            applications,
            name=NAME,
            decided_before=application_services.retention_cutoff(purge_day),
            log=self.stdout.write,
        )
        under_way = Pairing.objects.filter(
            cycle=cycle, status__in=Pairing.UNDER_WAY
        ).count()
        month_start = add_months(cycle.program_starts_on, MONTHS_IN)
        morning = datetime.combine(month_start, datetime.min.time(), tzinfo=UTC)
        morning += timedelta(hours=7, minutes=5)
        year_over = datetime.combine(
            add_months(cycle.program_starts_on, 12) + timedelta(days=2),
            datetime.min.time(),
            tzinfo=UTC,
        ) + timedelta(hours=3)
        runs = [
            ("reminders", lambda: services.reminders_send(now=morning)),
            ("reminders again", lambda: services.reminders_send(now=morning)),
            (
                "digests",
                lambda: services.reminder_digests_send(
                    now=morning + timedelta(days=(7 - morning.weekday()) % 7)
                ),
            ),
            ("outbox sweep", lambda: len(services.outbox_sweep())),
            (
                "expire unanswered",
                lambda: matching_services.pairings_expire_unanswered(now=morning),
            ),
            ("close the year", lambda: services.pairings_close_due(now=year_over)),
            (
                "close again",
                lambda: services.pairings_close_due(now=year_over),
            ),
            (
                "follow-up surveys",
                lambda: services.surveys_send_follow_ups(
                    now=add_months_dt(year_over, 6) + timedelta(days=1)
                ),
            ),
            (
                "retention purge",
                lambda: application_services.applications_purge_due(now=purge_day),
            ),
        ]
        results = {}
        self.stdout.write(
            f"{connection.vendor}: {under_way} pairings under way of {pairings}"
        )
        # The sweep hands due emails to a worker; here nothing is handed on,
        # so what is timed is the task's own work.
        with (
            patch.object(services, "_send_in_background"),
            patch("mentorship.tasks.send_email.delay"),
        ):
            for name, run in runs:
                emails = OutboundEmail.objects.count()
                queries = QueryCounter()
                with connection.execute_wrapper(queries):
                    start = time.perf_counter()
                    done = run()
                    seconds = time.perf_counter() - start
                results[name] = {
                    "seconds": round(seconds, 2),
                    "queries": queries.count,
                    "result": done,
                    "emails_written": OutboundEmail.objects.count() - emails,
                }
                self.stdout.write(
                    f"  {name:<18} {seconds:7.2f} s  {queries.count:>7} queries  "
                    f"returned {done}, {results[name]['emails_written']} emails"
                )
        self.stdout.write(
            json.dumps(
                {
                    "benchmark": "periodic_tasks",
                    "database": connection.vendor,
                    "pairings": pairings,
                    "under_way": under_way,
                    "applications_due": applications,
                    "tasks": results,
                }
            )
        )


class QueryCounter:
    """Counts the queries run, however many (Django's own log keeps 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def add_months_dt(moment: datetime, months: int) -> datetime:
    return datetime.combine(
        add_months(moment.date(), months), moment.timetz(), tzinfo=moment.tzinfo
    )
