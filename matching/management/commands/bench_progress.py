"""Time the staff progress dashboard and the pairings export at scale.

Creates (once) a cycle of its own with ``--pairings`` pairings whose year
began seven months ago, a contact in most of their months, pulse answers,
disputes, pairs needing attention, staff nudges and the applications behind
them; then requests the dashboard and the CSV export through Django's test
client as a staff member and prints timings and query counts, ending with
one JSON line. Running it again reuses the data.
"""

import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.testing import Client, activate_two_factor, totp_secret
from applications.models import Application
from mentorship.models import (
    CheckIn,
    Cycle,
    Pairing,
    PulseAnswer,
    StaffContact,
)
from mentorship.months import add_months, program_months

CYCLE_NAME = "Benchmark: progress"
MENTEE = "bench-progress-mentee-{:06d}@bench.invalid"
MENTOR = "bench-progress-mentor-{:06d}@bench.invalid"
STAFF_EMAIL = "bench-progress-staff@bench.invalid"
COUNTRIES = ["BR", "GH", "CN", "IN", "KE", "MX", "VN", "JO", "EG", "NG", "CO", "PH"]
MENTOR_COUNTRIES = ["DK", "DE", "FR", "JP", "AU", "CA", "GB", "IT", "ES", "NL"]
MONTHS_IN = 7
BATCH = 2000


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--pairings", type=int, default=10_000)
        parser.add_argument("--repeat", type=int, default=20)

    def handle(self, *args, pairings, repeat, **options):
        today = timezone.localdate()
        cycle, _ = Cycle.objects.get_or_create(
            name=CYCLE_NAME,
            defaults={"program_starts_on": add_months(today, -MONTHS_IN)},
        )
        staff = self._staff()
        created = self._fill(cycle, pairings)
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

    def _fill(self, cycle, count) -> int:
        existing = Pairing.objects.filter(cycle=cycle).count()
        if existing >= count:
            return 0
        random_ = random.Random(existing)  # noqa: S311 (made-up data, no secret)
        password = make_password(None)
        mentors = self._mentors(count // 2, password)
        for start in range(existing, count, BATCH):
            with transaction.atomic():
                self._batch(
                    cycle,
                    range(start, min(start + BATCH, count)),
                    mentors,
                    password,
                    random_,
                )
            self.stdout.write(f"  created up to {min(start + BATCH, count)}")
        if connection.vendor == "postgresql":
            # As after any bulk load: planner statistics for the new rows.
            with connection.cursor() as cursor:
                for table in (
                    "mentorship_pairing",
                    "mentorship_checkin",
                    "mentorship_pulseanswer",
                    "mentorship_staffcontact",
                    "mentorship_pairingevent",
                    "applications_application",
                    "accounts_user",
                ):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        return count - existing

    def _mentors(self, count, password) -> list[int]:
        emails = [MENTOR.format(n) for n in range(count)]
        User.objects.bulk_create(
            [
                User(
                    email=email,
                    full_name=f"Bench Mentor {n}",
                    country=MENTOR_COUNTRIES[n % len(MENTOR_COUNTRIES)],
                    password=password,
                )
                for n, email in enumerate(emails)
            ],
            ignore_conflicts=True,
        )
        return list(
            User.objects.filter(email__in=emails)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def _batch(self, cycle, numbers, mentors, password, random_):
        today = timezone.localdate()
        emails = [MENTEE.format(n) for n in numbers]
        User.objects.bulk_create(
            [
                User(
                    email=email,
                    full_name=f"Bench Mentee {n}",
                    country=COUNTRIES[n % len(COUNTRIES)],
                    password=password,
                )
                for n, email in zip(numbers, emails, strict=True)
            ],
            ignore_conflicts=True,
        )
        users = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
        submitted = datetime.combine(
            add_months(cycle.program_starts_on, -3), clock(9), tzinfo=UTC
        )
        Application.objects.bulk_create(
            [
                Application(
                    applicant_id=users[email],
                    cycle=cycle,
                    status=Application.Status.MATCHED,
                    practice_country=COUNTRIES[n % len(COUNTRIES)],
                    training_country=COUNTRIES[n % len(COUNTRIES)],
                    submitted_at=submitted,
                )
                for n, email in zip(numbers, emails, strict=True)
            ]
        )
        pairings = []
        for n, email in zip(numbers, emails, strict=True):
            # Most pairs begin with the cycle; some a few weeks later.
            starts_on = cycle.program_starts_on + timedelta(
                days=random_.choice([0, 0, 0, 0, 7, 14, 30])
            )
            roll = random_.random()
            status = (
                Pairing.Status.ENDED
                if roll < 0.04
                else Pairing.Status.PROPOSED
                if roll < 0.06
                else Pairing.Status.ACTIVE
            )
            begun = status != Pairing.Status.PROPOSED
            pairings.append(
                Pairing(
                    cycle=cycle,
                    mentee_id=users[email],
                    mentor_id=mentors[n % len(mentors)],
                    status=status,
                    confirmed_at=submitted + timedelta(days=60) if begun else None,
                    starts_on=starts_on if begun else None,
                    months=12,
                    ends_on=add_months(starts_on, 12) if begun else None,
                    ended_at=(
                        datetime.combine(
                            add_months(starts_on, 3), clock(12), tzinfo=UTC
                        )
                        if status == Pairing.Status.ENDED
                        else None
                    ),
                    attention=random_.choice(
                        ["", "", "", "", "", "needs_attention", "at_risk"]
                    )
                    if status == Pairing.Status.ACTIVE
                    else "",
                )
            )
        Pairing.objects.bulk_create(pairings)
        contacts, pulses, nudges = [], [], []
        for pairing in Pairing.objects.filter(
            cycle=cycle, mentee_id__in=users.values()
        ).exclude(status=Pairing.Status.PROPOSED):
            months = program_months(pairing.starts_on, pairing.months)
            for number, (first, last) in enumerate(months, 1):
                if first > today:
                    break
                if pairing.attention and number >= MONTHS_IN - 1:
                    continue
                if random_.random() < 0.85:
                    day = first + timedelta(days=random_.randint(0, 20))
                    if day <= min(last, today):
                        contacts.append(
                            CheckIn(
                                pairing=pairing,
                                author_id=pairing.mentee_id,
                                occurred_on=day,
                                month=number,
                                way=CheckIn.Way.VIDEO,
                                initiated_by=CheckIn.Initiator.MENTEE,
                                minutes=45,
                                confirmation=random_.choice(
                                    ["confirmed"] * 8 + ["waiting", "disputed"]
                                ),
                            )
                        )
                elif random_.random() < 0.5:
                    pulses.append(
                        PulseAnswer(
                            pairing=pairing,
                            month=number,
                            person_id=pairing.mentee_id,
                            talked=random_.random() < 0.6,
                        )
                    )
            if pairing.attention and random_.random() < 0.3:
                nudges.append(
                    StaffContact(pairing=pairing, kind=StaffContact.Kind.NUDGE)
                )
        CheckIn.objects.bulk_create(contacts)
        PulseAnswer.objects.bulk_create(pulses)
        StaffContact.objects.bulk_create(nudges)


def _read(response, url):
    if response.status_code != 200:
        raise CommandError(
            f"{url} answered {response.status_code} {response.get('Location', '')}"
        )
    if response.streaming:
        b"".join(response.streaming_content)
    else:
        response.content  # noqa: B018 (the body is what is being timed)
