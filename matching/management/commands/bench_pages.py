"""Serve the site with gunicorn on the large demo data and time its key pages.

Migrates the database and loads the large demo (``seed_demo --scale
large``) if it is not there yet, runs ANALYZE, then starts gunicorn on
127.0.0.1 as production runs it (DEBUG off, static files collected and
served by WhiteNoise, the same database, ``2 x cores`` sync workers), with
the do-nothing page /bench/minimal/ mounted (BENCH_MINIMAL_VIEW=1), which
is also requested signed in, as a reference. The people each page is for
are signed in through real sessions written to the session store (staff
with the second factor recorded, as allauth's login leaves it). Every page
is warmed, then requested ``--requests`` times by ``--concurrency``
threads, each request on a new connection as a browser's first one is
(gunicorn's sync workers close it after each response). The requests are
made in ``--rounds`` rounds through all the pages, the minimal page first
in each, so that a change in the machine's load (other work on it) falls
on every page alike. Prints p50 and p95 latency, throughput, the ratio of
each page's throughput to the minimal page's and the goals each misses,
then a profile of the slowest page in this process (through Django's test
client, DEBUG off), and last one JSON line of the figures. With ``--in-process`` it
serves nothing: it times each page one request at a time in this process.

The client shares the machine with the server: on a small machine the
threads' own work and anything else running are part of every figure.
"""

import cProfile
import http.client
import io
import json
import os
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.db.models import Count
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.demo_large import LARGE
from accounts.models import User
from accounts.testing import (
    Client,
    activate_two_factor,
    record_two_factor_login,
    totp_secret,
)
from applications.models import Application
from mentorship.demo_large import cycles
from mentorship.models import Pairing

STAFF_EMAIL = "bench-pages-staff@bench.invalid"
MINIMAL = "/bench/minimal/"
# The goals of the "Scale" issue, at concurrency 8 on the large data set.
GOAL_P50_MS = 100
GOAL_P95_MS = 250
GOAL_RATIO = 1 / 3


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    user: User | None  # None: a visitor, not signed in


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=200, help="per page")
        parser.add_argument("--concurrency", type=int, default=8)
        parser.add_argument(
            "--rounds",
            type=int,
            default=4,
            help="each page's requests are split over this many rounds through "
            "all the pages, so a change in the machine's load falls on all alike",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2 * (os.cpu_count() or 1),
            help="gunicorn workers (default: 2 x cores)",
        )
        parser.add_argument("--port", type=int, default=0, help="default: any free")
        parser.add_argument(
            "--no-profile", action="store_true", help="skip the slowest page's profile"
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="no server: time each page one request at a time in this "
            "process (DEBUG off), with its queries, and stop",
        )

    def handle(
        self,
        *args,
        requests,
        concurrency,
        rounds,
        workers,
        port,
        no_profile,
        in_process,
        **kw,
    ):
        if connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"):
            raise CommandError(
                "bench_pages measures the site on PostgreSQL: set DATABASE_URL."
            )
        self._ensure_large_data()
        # Planner statistics as a running database has them (autovacuum
        # keeps them), whatever loaded the data last.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        pages = self._pages()
        if in_process:
            self._in_process(pages, repeat=max(requests // 10, 5))
            return
        sessions = {
            page.user.pk: _session_for(page.user) for page in pages if page.user
        }
        port = port or _free_port()
        load_before = os.getloadavg()
        # The do-nothing page twice: as a visitor (what the ratios are to),
        # and signed in, which adds what every signed-in page pays before
        # its view runs (the session and the person read, the middleware).
        order = [
            Page("minimal view", MINIMAL, None),
            Page("minimal, signed in", MINIMAL, _user_of(pages, "apply")),
            *pages,
        ]
        cookies = {
            page.name: _cookie(sessions[page.user.pk]) if page.user else ""
            for page in order
        }
        samples = {page.name: [] for page in order}
        with _Server(port, workers, self.stdout) as server:
            for page in order:
                # Each worker renders the page a few times before timing.
                _run(server.port, page.path, cookies[page.name], 5 * workers, 8)
            for round_ in range(1, rounds + 1):
                share = requests // rounds + (round_ <= requests % rounds)
                for page in order:
                    samples[page.name].append(
                        _run(
                            server.port,
                            page.path,
                            cookies[page.name],
                            share,
                            concurrency,
                        )
                    )
                self.stdout.write(f"  round {round_} of {rounds} done")
        load_after = os.getloadavg()
        engine = import_module(settings.SESSION_ENGINE)
        for key in sessions.values():
            engine.SessionStore(session_key=key).delete()

        results = {name: _figures(runs) for name, runs in samples.items()}
        minimal_rps = results["minimal view"]["rps"]
        for figures in results.values():
            figures["ratio"] = round(figures["rps"] / minimal_rps, 3)
            figures["goals_missed"] = goals_missed(figures)
            figures["goals_met"] = not figures["goals_missed"]
        self._table(results, requests, concurrency, workers, load_before, load_after)
        slowest = max(pages, key=lambda page: results[page.name]["p50_ms"])
        bad = {name: f["statuses"] for name, f in results.items() if f["errors"]}
        if not no_profile and not bad:
            self._profile(slowest)
        # Last, so that a script reads the figures from the last line.
        self.stdout.write(
            json.dumps(
                {
                    "benchmark": "pages",
                    "database": connection.vendor,
                    "server": f"gunicorn, {workers} sync workers, DEBUG off",
                    "requests": requests,
                    "rounds": rounds,
                    "concurrency": concurrency,
                    "cores": os.cpu_count(),
                    "load_before": [round(n, 2) for n in load_before],
                    "load_after": [round(n, 2) for n in load_after],
                    "minimal_rps": round(minimal_rps, 1),
                    "slowest": slowest.name,
                    "all_goals_met": all(
                        results[page.name]["goals_met"] for page in pages
                    ),
                    "pages": {
                        name: {k: v for k, v in figures.items() if k != "statuses"}
                        for name, figures in results.items()
                    },
                }
            )
        )
        if bad:
            raise CommandError(f"Some requests did not answer 200: {bad}")

    def _ensure_large_data(self):
        call_command("migrate", interactive=False, verbosity=0)
        ready = (
            Application.objects.filter(applicant__email__startswith="large.").count()
            >= LARGE.applications
            and Pairing.objects.filter(mentee__email__startswith="large.").exists()
        )
        if not ready:
            self.stdout.write("The large demo data is missing: loading it (once).")
            call_command("seed_demo", scale="large", stdout=self.stdout)

    def _pages(self) -> list[Page]:
        every = cycles()
        open_cycle, under_way = every[-1], every[-2]
        application = (
            Application.objects.filter(
                cycle=open_cycle,
                status=Application.Status.UNDER_REVIEW,
                applicant__email__startswith="large.",
            )
            .select_related("applicant")
            .order_by("pk")
            .first()
        )
        # The pair with the most contacts logged in the year under way.
        pairing = (
            Pairing.objects.filter(
                cycle=under_way,
                status=Pairing.Status.ACTIVE,
                mentee__email__startswith="large.",
            )
            .annotate(contacts=Count("checkins"))
            .select_related("mentee", "mentor")
            .order_by("-contacts", "pk")
            .first()
        )
        staff = _staff()
        applicant = application.applicant
        return [
            Page("home", reverse("home"), None),
            Page("apply", reverse("applications:apply"), applicant),
            Page(
                "applicant status",
                reverse("applications:detail", args=[application.pk]),
                applicant,
            ),
            Page(
                "pairing, mentee",
                reverse("mentorship:pairing_detail", args=[pairing.pk]),
                pairing.mentee,
            ),
            Page(
                "pairing, mentor",
                reverse("mentorship:pairing_detail", args=[pairing.pk]),
                pairing.mentor,
            ),
            Page("staff dashboard", reverse("matching:progress"), staff),
            Page(
                "admin applications",
                reverse("admin:applications_application_changelist"),
                staff,
            ),
            Page(
                "admin application",
                reverse("admin:applications_application_change", args=[application.pk]),
                staff,
            ),
        ]

    def _table(self, results, requests, concurrency, workers, before, after):
        self.stdout.write(
            f"\n{requests} requests a page in rounds through all the pages, "
            f"{concurrency} at a time, gunicorn "
            f"with {workers} workers on {os.cpu_count()} cores; load average "
            f"{before[0]:.2f} before, {after[0]:.2f} after "
            f"(PostgreSQL {connection.pg_version // 10000}, "
            f"Python {platform.python_version()})"
        )
        header = (
            f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}"
            f"{'ratio':>8}{'KB':>7}  goals"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, f in results.items():
            goals = (
                "—"
                if name.startswith("minimal")
                else (
                    "met"
                    if f["goals_met"]
                    else f"MISSED: {', '.join(f['goals_missed'])}"
                )
            )
            self.stdout.write(
                f"{name:<22}{f['p50_ms']:>9.1f}{f['p95_ms']:>9.1f}{f['rps']:>9.1f}"
                f"{f['ratio']:>8.2f}{f['kb']:>7.1f}  {goals}"
            )
        self.stdout.write(
            f"Goals: p50 under {GOAL_P50_MS} ms, p95 under {GOAL_P95_MS} ms, "
            f"at least {GOAL_RATIO:.2f} of the minimal view's throughput. The "
            "minimal view's requests a second, round by round: "
            + ", ".join(f"{rps:.0f}" for rps in results["minimal view"]["rps_by_round"])
            + "."
        )

    def _in_process(self, pages: list[Page], repeat: int):
        """Each page's time for one request at a time, in this process: the
        median of ``repeat`` requests after three to warm up, and the
        queries of one of them."""
        self.stdout.write(
            f"One request at a time in this process, DEBUG off, the median of {repeat}:"
        )
        header = f"{'page':<22}{'median ms':>11}{'min ms':>9}{'queries':>9}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        results = {}
        with override_settings(
            DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
        ):
            for page in pages:
                client, _, count, _ = _warmed_up(page)
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    _read(client.get(page.path, secure=True))
                    times.append((time.perf_counter() - started) * 1000)
                results[page.name] = {
                    "median_ms": round(statistics.median(times), 1),
                    "min_ms": round(min(times), 1),
                    "queries": count,
                }
                figures = results[page.name]
                self.stdout.write(
                    f"{page.name:<22}{figures['median_ms']:>11.1f}"
                    f"{figures['min_ms']:>9.1f}{figures['queries']:>9}"
                )
        self.stdout.write(
            json.dumps(
                {
                    "benchmark": "pages in process",
                    "database": connection.vendor,
                    "repeat": repeat,
                    "pages": results,
                }
            )
        )

    def _profile(self, page: Page, repeat: int = 20):
        """Where the time of one request to ``page`` goes, in this process."""
        with override_settings(
            DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
        ):
            client, one, count, sql_ms = _warmed_up(page)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(repeat):
                _read(client.get(page.path, secure=True))
            profiler.disable()
        self.stdout.write(
            f"\nProfile of the slowest page, {page.name} ({page.path}), in this "
            f"process: one request {one:.0f} ms, of which {count} "
            f"queries {sql_ms:.0f} ms. {repeat} requests under cProfile "
            "(its overhead inflates the times), by cumulative time:"
        )
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(
            r"(mentorship|accounts|applications|matching)/|template/(base|loader_tags"
            r"|defaulttags)|db/models/(query|sql/compiler)|contrib/admin",
            30,
        )
        self.stdout.write(out.getvalue())


def goals_missed(figures: dict) -> list[str]:
    """The goals a page's figures miss: ``p50``, ``p95``, ``ratio`` (to the
    minimal view's requests a second)."""
    return [
        goal
        for goal, met in [
            ("p50", figures["p50_ms"] < GOAL_P50_MS),
            ("p95", figures["p95_ms"] < GOAL_P95_MS),
            ("ratio", figures["ratio"] >= GOAL_RATIO),
        ]
        if not met
    ]


def _warmed_up(page: Page) -> tuple[Client, float, int, float]:
    """A client signed in as the page's person, after three requests to warm
    up, and one more request's milliseconds, queries and their
    milliseconds. Requests go as through the TLS-terminating proxy
    (production redirects plain HTTP)."""
    client = Client()
    if page.user:
        client.force_login(page.user)
    for _ in range(3):
        _read(client.get(page.path, secure=True))
    reset_queries()  # a full query log would capture nothing
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        _read(client.get(page.path, secure=True))
        one = (time.perf_counter() - started) * 1000
    # Read now: the next request empties the log they are read from.
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return client, one, len(queries), sql_ms


def _user_of(pages: list[Page], name: str) -> User:
    return next(page.user for page in pages if page.name == name)


def _staff() -> User:
    user, created = User.objects.get_or_create(
        email=STAFF_EMAIL,
        defaults={
            "full_name": "Benchmark Staff",
            "is_staff": True,
            "is_superuser": True,
            "time_zone": "America/New_York",
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not totp_secret(user):
        activate_two_factor(user)  # staff pages need it
    return user


def _session_for(user: User) -> str:
    """A session in the store, as logging in leaves it: the user, and for
    staff the code from their authenticator. Returns its key."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    record_two_factor_login(session, user)  # saves the session
    return session.session_key


def _cookie(session_key: str) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={session_key}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fetch(port: int, path: str, cookie: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "GET",
            path,
            headers={
                "Host": "127.0.0.1",
                "Cookie": cookie,
                # As the TLS-terminating proxy in front of it says.
                "X-Forwarded-Proto": "https",
                "Accept-Encoding": "gzip",
            },
        )
        response = conn.getresponse()
        body = response.read()
        status = response.status
    finally:
        conn.close()
    return status, (time.perf_counter() - started) * 1000, len(body)


def _run(port, path, cookie, requests, concurrency) -> tuple[list, float]:
    """``requests`` requests, ``concurrency`` at a time: the answers
    (status, milliseconds, bytes) and the seconds they took together."""
    with ThreadPoolExecutor(concurrency) as pool:
        started = time.perf_counter()
        answers = list(pool.map(lambda _: _fetch(port, path, cookie), range(requests)))
        return answers, time.perf_counter() - started


def _figures(runs) -> dict:
    """One page's figures over its rounds: the latencies of all its requests,
    and its requests a second over the time spent on it."""
    answers = [answer for run, _ in runs for answer in run]
    seconds = sum(seconds for _, seconds in runs)
    latencies = sorted(ms for _, ms, _ in answers)
    statuses = Counter(status for status, _, _ in answers)
    return {
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[max(0, round(0.95 * len(latencies)) - 1)], 1),
        "max_ms": round(latencies[-1], 1),
        "rps": round(len(answers) / seconds, 1),
        # Each round's requests a second: how much the machine's load moved.
        "rps_by_round": [round(len(run) / seconds, 1) for run, seconds in runs],
        "kb": round(statistics.mean(size for _, _, size in answers) / 1024, 1),
        "errors": len(answers) - statuses.get(200, 0),
        "statuses": dict(statuses),
    }


def _read(response):
    if response.status_code != 200:
        raise CommandError(f"The profiled page answered {response.status_code}.")
    if response.streaming:
        b"".join(response.streaming_content)


class _Server:
    """gunicorn, as production runs it, for the length of a ``with``."""

    def __init__(self, port, workers, stdout):
        self.port, self.workers, self.stdout = port, workers, stdout
        self.env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            # The sessions written here are signed with this process's key.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "BENCH_MINIMAL_VIEW": "1",
            "LOG_LEVEL": "WARNING",
        }
        # Closed when the server stops; removed then unless something failed.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w+", prefix="bench-pages-gunicorn-", suffix=".log", delete=False
        )

    def __enter__(self):
        base = Path(settings.BASE_DIR)
        # Production serves collected static files under hashed names.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=base,
            env=self.env,
            check=True,
        )
        self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "mentorship.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "120",
                # Every worker is up when the first one answers: the app is
                # loaded before the workers are forked.
                "--preload",
                "--log-level",
                "warning",
            ],
            cwd=base,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if _fetch(self.port, MINIMAL, "")[0] == 200:
                    self.stdout.write(
                        f"gunicorn is serving on 127.0.0.1:{self.port} "
                        f"with {self.workers} workers (log: {self.log.name})"
                    )
                    return self
            except (OSError, http.client.HTTPException):
                pass  # not listening yet, or something else is
            time.sleep(0.3)
        self.log.seek(0)
        started = self.log.read()[-3000:]
        self._stop()
        raise CommandError(f"gunicorn did not start (log: {self.log.name}):\n{started}")

    def __exit__(self, exc_type, *exc):
        self._stop()
        if exc_type is None:
            os.unlink(self.log.name)  # kept only when something went wrong
        return False

    def _stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
