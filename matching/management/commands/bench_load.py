"""The data for the load test (bench/load.sh), and its verdict afterwards.

``prepare`` builds the people the virtual users act as, afresh each run:
``--applicants`` mentees with verified email addresses and no application
yet (each virtual applicant takes one and fills the application form as that
person: the load is on the form, not on signing up), and ``--pairings``
pairings some months into their year (their mentors and mentees open the
pairing pages). Each gets a logged-in session, so no virtual user goes
through the login page (whose rate limits count per address, and every
virtual user has 127.0.0.1). Writes ``accounts.json`` in ``--dir``.

``report`` reads what locust wrote in ``--dir`` (its statistics, the status
codes seen, the applicants whose submission got a success response), counts
the rows in the database, waits for the worker to send the confirmation
emails, prints p50/p95 and requests per second per page and a final JSON
line, and fails when a response was a 5xx or a submission that got a
success response has no submitted application.
"""

import csv
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.demo_large import mentee_place
from accounts.models import Interest, User
from applications.models import Application
from matching import bench
from mentorship.models import OutboundEmail, Pairing
from mentorship.selectors import cycle_status
from mentorship.services import outbox_sweep

NAME = "load"
APPLICANT = "bench-load-applicant-{number:05d}@bench.invalid"
BACKEND = "django.contrib.auth.backends.ModelBackend"
BATCH = 1000


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("step", choices=["prepare", "report"])
        parser.add_argument("--dir", type=Path, required=True)
        parser.add_argument("--applicants", type=int, default=2000)
        parser.add_argument("--pairings", type=int, default=200)
        parser.add_argument(
            "--drain-seconds",
            type=int,
            default=90,
            help="how long the report waits for the worker to send the emails",
        )

    def handle(self, *args, step, **options):
        options["dir"].mkdir(parents=True, exist_ok=True)
        if step == "prepare":
            self.prepare(**options)
        else:
            self.report(**options)

    # prepare

    def prepare(self, *, dir, applicants, pairings, **options):
        cycle = cycle_status().open_cycle
        if cycle is None:
            raise CommandError("No cycle is open: run `manage.py seed_demo` first.")
        started = time.perf_counter()
        bench.reset(NAME)
        program = bench.bench_cycle(NAME, months_in=4)
        bench.fill(program, pairings, name=NAME, log=lambda line: None)
        made = self._applicants(applicants)
        sessions = self._sessions(made)
        paired = []
        for pairing in Pairing.objects.filter(cycle=program).exclude(
            status=Pairing.Status.PROPOSED
        ):
            for person in (pairing.mentee_id, pairing.mentor_id):
                paired.append({"session": sessions[person], "pairing": pairing.pk})
        accounts = {
            "prepared_at": timezone.now().isoformat(),
            "cycle": cycle.pk,
            "applicants": [
                {"email": email, "session": sessions[pk]} for pk, email in made
            ],
            "paired": paired,
            "interests": list(
                Interest.objects.filter(kind=Interest.Kind.AREA).values_list(
                    "pk", flat=True
                )[:3]
            ),
            "goals": list(
                Interest.objects.filter(kind=Interest.Kind.GOAL).values_list(
                    "pk", flat=True
                )[:2]
            ),
        }
        (dir / "accounts.json").write_text(json.dumps(accounts))
        self.stdout.write(
            f"{connection.vendor}: {len(made)} applicants, "
            f"{len(paired)} people in {pairings} pairings, open cycle "
            f"“{cycle.name}”, in {time.perf_counter() - started:.1f} s"
        )

    def _applicants(self, count: int) -> list[tuple[int, str]]:
        password = make_password(None)  # nobody logs in with one
        emails = [APPLICANT.format(number=n) for n in range(count)]
        User.objects.bulk_create(
            [
                User(
                    email=email,
                    full_name=f"Load Applicant {n}",
                    country=mentee_place(n)[0],
                    time_zone=mentee_place(n)[1],
                    password=password,
                )
                for n, email in enumerate(emails)
            ],
            batch_size=BATCH,
        )
        made = list(
            User.objects.filter(email__in=emails)
            .order_by("email")
            .values_list("pk", "email")
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user_id=pk, email=email, verified=True, primary=True)
                for pk, email in made
            ],
            batch_size=BATCH,
        )
        return made

    def _sessions(self, applicants) -> dict[int, str]:
        """A logged-in session for each applicant and each paired person,
        as Django's login() leaves one."""
        people = {pk for pk, _ in applicants}
        for mentee, mentor in Pairing.objects.filter(
            cycle__name=f"Benchmark: {NAME}"
        ).values_list("mentee_id", "mentor_id"):
            people |= {mentee, mentor}
        expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        store = SessionStore()
        keys, rows = {}, []
        for user in User.objects.filter(pk__in=people).only("pk", "password"):
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            keys[user.pk] = key
            data = {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": BACKEND,
                "_auth_user_hash": user.get_session_auth_hash(),
            }
            rows.append(
                Session(
                    session_key=key,
                    session_data=store.encode(data),
                    expire_date=expires,
                )
            )
        Session.objects.bulk_create(rows, batch_size=BATCH)
        return keys

    # report

    def report(self, *, dir, drain_seconds, **options):
        accounts = json.loads((dir / "accounts.json").read_text())
        codes = json.loads((dir / "codes.json").read_text())
        succeeded = set((dir / "submitted.txt").read_text().split())
        emails = [account["email"] for account in accounts["applicants"]]
        submitted = set(
            Application.objects.filter(
                cycle_id=accounts["cycle"],
                applicant__email__in=emails,
                status=Application.Status.SUBMITTED,
                submitted_at__isnull=False,
            ).values_list("applicant__email", flat=True)
        )
        started = set(
            Application.objects.filter(
                cycle_id=accounts["cycle"], applicant__email__in=emails
            ).values_list("applicant__email", flat=True)
        )
        lost = sorted(succeeded - submitted)
        confirmations = OutboundEmail.objects.filter(
            event="application.submitted",
            to__in=submitted,
            created_at__gte=datetime.fromisoformat(accounts["prepared_at"]),
        )
        # The worker sends them as they come; what it missed, the beat's sweep
        # would hand over again within five minutes: here, once, halfway.
        started_draining = time.monotonic()
        requeued = None
        while confirmations.exclude(status=OutboundEmail.Status.SENT).exists():
            waited = time.monotonic() - started_draining
            if waited > drain_seconds:
                break
            if requeued is None and waited > drain_seconds / 2:
                requeued = len(outbox_sweep())
            time.sleep(1)
        sent = confirmations.filter(status=OutboundEmail.Status.SENT).count()

        pages = read_locust_stats(dir / "locust_stats.csv")
        total = pages.pop("Aggregated")
        self.stdout.write(
            f"{'page':<34} {'requests':>8} {'failed':>6} {'p50 ms':>7} "
            f"{'p95 ms':>7} {'req/s':>6}"
        )
        for name, row in sorted(pages.items()):
            self.stdout.write(
                f"{name:<34} {row['requests']:>8} {row['failures']:>6} "
                f"{row['p50_ms']:>7} {row['p95_ms']:>7} {row['rps']:>6}"
            )
        self.stdout.write(
            f"{'all':<34} {total['requests']:>8} {total['failures']:>6} "
            f"{total['p50_ms']:>7} {total['p95_ms']:>7} {total['rps']:>6}"
        )
        server = {}
        if (dir / "server.json").exists():
            server = json.loads((dir / "server.json").read_text())
            per_request = 1000 * server["gunicorn_cpu_seconds"] / total["requests"]
            server["gunicorn_cpu_ms_per_request"] = round(per_request, 1)
            self.stdout.write(
                f"gunicorn used {server['gunicorn_cpu_seconds']} s of CPU "
                f"({per_request:.0f} ms a request), the worker "
                f"{server['worker_cpu_seconds']} s; {server['cores']} cores, "
                f"load average {server['load_average_before']} before, "
                f"{server['load_average_after']} after (others share the machine)"
            )
        server_errors = sum(n for code, n in codes.items() if code.startswith("5"))
        self.stdout.write(
            f"status codes: {dict(sorted(codes.items()))}; "
            f"submissions answered with success: {len(succeeded)}, "
            f"submitted applications: {len(submitted)} "
            f"(of {len(started)} started), lost: {len(lost)}; "
            f"confirmation emails sent: {sent} of {confirmations.count()}"
            f"{f' ({requeued} handed over again by the sweep)' if requeued else ''}"
        )
        verdict = {
            "benchmark": "load",
            "database": connection.vendor,
            "pages": pages,
            "all": total,
            "server": server,
            "status_codes": codes,
            "server_errors": server_errors,
            "submissions_succeeded": len(succeeded),
            "applications_submitted": len(submitted),
            "applications_started": len(started),
            "lost_submissions": lost,
            "confirmations_sent": sent,
            "confirmations_written": confirmations.count(),
            "confirmations_requeued_by_sweep": requeued or 0,
        }
        self.stdout.write(json.dumps(verdict))
        problems = []
        if server_errors:
            problems.append(f"{server_errors} responses were 5xx")
        if lost:
            problems.append(f"{len(lost)} successful submissions have no row")
        if not succeeded:
            problems.append("no submission succeeded")
        if problems:
            raise CommandError("; ".join(problems))


def read_locust_stats(path: Path) -> dict[str, dict]:
    """Locust's --csv statistics, per request name."""
    pages = {}
    with path.open(newline="") as file:
        for row in csv.DictReader(file):
            pages[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "rps": round(float(row["Requests/s"]), 1),
            }
    return pages


def _number(value: str) -> int | None:
    return None if value in ("", "N/A") else int(float(value))
