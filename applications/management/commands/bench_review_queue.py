"""Time the staff review queue and an application's record at scale.

Creates (once) a cycle of its own with ``--rows`` applications from as many
applicants, with realistic answers, eligibility results, reviewers, ratings
and interests, then requests the admin pages through Django's test client,
as a logged-in staff member, and prints the timings and query counts, ending
with one JSON line. Running it again reuses the data.
"""

import json
import random
import statistics
import time
from datetime import timedelta
from unittest.mock import patch

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Interest, User
from accounts.testing import Client, activate_two_factor, totp_secret
from applications import eligibility, services
from applications.admin import ApplicationAdmin
from applications.models import Application
from mentorship.models import Cycle

CYCLE_NAME = "Benchmark: review queue"
EMAIL = "bench-{:06d}@bench.invalid"
STAFF_EMAIL = "bench-staff-{}@bench.invalid"
COUNTRIES = ["BR", "GH", "CN", "IN", "KE", "MX", "VN", "JO", "US", "EG", "NG", "CO"]
COUNTRIES += ["PH", "PK", "TR", "ZA", "AR", "ID", "MA", "PE", "DE", "FR", "IT", "JP"]
STATUSES = [
    ("submitted", 30),
    ("under_review", 25),
    ("ineligible", 10),
    ("waitlisted", 8),
    ("approved", 10),
    ("declined", 8),
    ("info_requested", 3),
    ("resubmitted", 2),
    ("draft", 2),
    ("withdrawn", 2),
]
BATCH = 5000
# The admin numbers its columns from the selection checkbox on.
RATING_COLUMN = ["action_checkbox", *ApplicationAdmin.list_display].index(
    "rating_column"
)


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument(
            "--page-size",
            type=int,
            default=ApplicationAdmin.list_per_page,
            help="Rows per list page (the admin's own by default).",
        )

    def handle(self, *args, rows, repeat, page_size, **options):
        cycle, _ = Cycle.objects.get_or_create(name=CYCLE_NAME)
        reviewers = self._reviewers()
        created = self._fill(cycle, rows, reviewers)
        total = Application.objects.filter(cycle=cycle).count()
        self.stdout.write(
            f"{connection.vendor}: {total} applications in “{cycle}” "
            f"({created} created now), {Application.objects.count()} in all"
        )
        sample = (
            Application.objects.filter(cycle=cycle, status="under_review")
            .order_by("pk")
            .first()
        )
        changelist = reverse("admin:applications_application_changelist")
        # The list leaves drafts out unless asked; its pages count from 1.
        listed = Application.objects.exclude(status="draft").count()
        last_page = -(-listed // page_size)
        pages = {
            "list": (changelist, {}),
            "list, this cycle": (changelist, {"cycle__id__exact": cycle.pk}),
            "list, filtered": (
                changelist,
                {
                    "status": "under_review",
                    "region": "Sub-Saharan Africa",
                    "eligibility": "review",
                },
            ),
            "list, needs my review": (changelist, {"mine": "review"}),
            "list, sorted by rating": (changelist, {"o": f"-{RATING_COLUMN}"}),
            "list, last page": (changelist, {"p": str(last_page)}),
            "list, search": (changelist, {"q": "bench-04"}),
            "record": (
                reverse("admin:applications_application_change", args=[sample.pk]),
                {},
            ),
        }
        client = Client()
        client.force_login(reviewers[0])
        results = {}
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with (
            override_settings(ALLOWED_HOSTS=hosts),
            patch.object(ApplicationAdmin, "list_per_page", page_size),
        ):
            for name, (url, params) in pages.items():
                results[name] = self._time(client, url, params, repeat)
        self.stdout.write(f"{repeat} requests each, page size {page_size}:")
        for name, figures in results.items():
            self.stdout.write(
                f"  {name:<24} p50 {figures['p50_ms']:7.1f} ms   "
                f"p95 {figures['p95_ms']:7.1f} ms   "
                f"max {figures['max_ms']:7.1f} ms   {figures['queries']} queries"
            )
        self.stdout.write(
            json.dumps(
                {
                    "benchmark": "review_queue",
                    "database": connection.vendor,
                    "applications": total,
                    "repeat": repeat,
                    "page_size": page_size,
                    "debug": settings.DEBUG,
                    "pages": results,
                }
            )
        )

    def _time(self, client, url, params, repeat) -> dict:
        for _ in range(2):  # warm caches: templates, content types, the plan
            _check(client.get(url, params), url)
        # The log keeps only the last 9,000 queries, which loading filled.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            client.get(url, params)
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - start) * 1000)
            _check(response, url)
        timings.sort()
        return {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, round(0.95 * len(timings)) - 1)], 1),
            "max_ms": round(timings[-1], 1),
            "queries": len(queries),
        }

    def _reviewers(self) -> list[User]:
        reviewers = []
        for n in range(1, 6):
            user, created = User.objects.get_or_create(
                email=STAFF_EMAIL.format(n),
                defaults={
                    "full_name": f"Benchmark Reviewer {n}",
                    "is_staff": True,
                    "is_superuser": True,
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            if not totp_secret(user):
                activate_two_factor(user)  # staff pages need it
            reviewers.append(user)
        return reviewers

    def _fill(self, cycle, rows, reviewers) -> int:
        existing = Application.objects.filter(cycle=cycle).count()
        if existing >= rows:
            return 0
        rules = services.rules_for(cycle)
        areas = list(Interest.objects.filter(kind=Interest.Kind.AREA))
        goals = list(Interest.objects.filter(kind=Interest.Kind.GOAL))
        random_ = random.Random(existing)  # noqa: S311 (made-up data, no secret)
        for start in range(existing, rows, BATCH):
            with transaction.atomic():
                self._batch(
                    cycle,
                    range(start, min(start + BATCH, rows)),
                    rules,
                    reviewers,
                    areas,
                    goals,
                    random_,
                )
            self.stdout.write(f"  created up to {min(start + BATCH, rows)}")
        if connection.vendor == "postgresql":
            # What PostgreSQL's documentation asks after a bulk load, and what
            # autovacuum does soon after anyway: planner statistics and the
            # visibility map for the new rows, as a live database has them.
            with connection.cursor() as cursor:
                for table in (
                    "applications_application",
                    "applications_application_interests",
                    "accounts_user",
                ):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        return rows - existing

    def _batch(self, cycle, numbers, rules, reviewers, areas, goals, random_):
        password = make_password(None)
        emails = [EMAIL.format(n) for n in numbers]
        User.objects.bulk_create(
            [
                User(
                    email=email,
                    full_name=f"Bench Applicant {n}",
                    country=COUNTRIES[n % len(COUNTRIES)],
                    password=password,
                )
                for n, email in zip(numbers, emails, strict=True)
            ],
            ignore_conflicts=True,
        )
        users = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
        now = timezone.now()
        statuses, weights = zip(*STATUSES, strict=True)
        applications = []
        for n, email in zip(numbers, emails, strict=True):
            status = random_.choices(statuses, weights)[0]
            answers = eligibility.Answers(
                membership_type=random_.choice(["in_training", "full", "non_member"]),
                membership_application_submitted=random_.random() < 0.7,
                training_completed_year=now.year - random_.randint(0, 12),
                practice_country=COUNTRIES[n % len(COUNTRIES)],
                english_writing="fluent",
                english_speaking=random_.choice(["fluent", "fluent", "working"]),
                monthly_hours=random_.randint(1, 8),
                prior_idea_award=random_.random() < 0.05,
                statement="I would value a mentor's guidance. " * 8,
                has_cv=True,
            )
            results = []
            if status != "draft":
                results = [
                    r.as_dict() for r in eligibility.evaluate(answers, rules, now.year)
                ]
            reviewed = status not in ("draft", "submitted", "withdrawn")
            applications.append(
                Application(
                    applicant_id=users[email],
                    cycle=cycle,
                    status=status,
                    membership_type=answers.membership_type,
                    membership_application_submitted=(
                        answers.membership_application_submitted
                    ),
                    training_completed_year=answers.training_completed_year,
                    practice_country=answers.practice_country,
                    training_country=answers.practice_country,
                    institution=f"University Hospital {n % 900}",
                    position="Oncologist",
                    english_writing=answers.english_writing,
                    english_speaking=answers.english_speaking,
                    monthly_hours=answers.monthly_hours,
                    statement=answers.statement,
                    meeting_ways=["video", "email"],
                    time_zone="UTC",
                    cv_filename="cv.pdf",
                    prior_idea_award=answers.prior_idea_award,
                    consent=True,
                    eligibility=results,
                    eligibility_outcome=eligibility.summarize(results),
                    submitted_at=None
                    if status == "draft"
                    else now - timedelta(minutes=random_.randint(0, 90 * 24 * 60)),
                    reviewer=random_.choice(reviewers) if reviewed else None,
                    rating=random_.randint(1, 5)
                    if reviewed and random_.random() < 0.6
                    else None,
                )
            )
        Application.objects.bulk_create(applications)
        created = Application.objects.filter(
            cycle=cycle, applicant_id__in=users.values()
        ).values_list("pk", flat=True)
        Through = Application.interests.through
        GoalThrough = Application.career_goals.through
        links, goal_links = [], []
        for pk in created:
            for interest in random_.sample(areas, random_.randint(1, 3)):
                links.append(Through(application_id=pk, interest_id=interest.pk))
            goal_links.append(
                GoalThrough(application_id=pk, interest_id=random_.choice(goals).pk)
            )
        Through.objects.bulk_create(links, ignore_conflicts=True)
        GoalThrough.objects.bulk_create(goal_links, ignore_conflicts=True)


def _check(response, url):
    if response.status_code != 200:
        raise CommandError(
            f"{url} answered {response.status_code} {response.get('Location', '')}"
        )
