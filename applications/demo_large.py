"""The large demo's applications: 20,000 in each of five cycles, in the
states a real program has them, with eligibility results and interests.

Idempotent: one application per person and cycle is the database's rule, so
the bulk insert ignores what exists. Every submitted application points at
one shared demo CV file: 100,000 copies of the same PDF would only fill the
disk.
"""

import random
from datetime import timedelta
from functools import cache

from django.core.files.base import ContentFile

from accounts.demo_large import LARGE, Scale, applicant_email, mentee_place
from accounts.models import Interest, User
from mentorship.demo_large import cycles

from . import eligibility, services
from .demo import PDF
from .models import Application
from .storage import private_storage

BATCH = 5000
DEMO_CV = "cvs/large-demo-cv.pdf"
# Past cycles: the first `pairings per cycle` applicants were matched; the
# rest ended as staff decided. The open cycle is being reviewed now.
PAST = [
    ("declined", 30),
    ("ineligible", 20),
    ("waitlisted", 15),
    ("withdrawn", 10),
    ("approved", 5),
    ("draft", 20),
]
OPEN = [
    ("submitted", 35),
    ("under_review", 25),
    ("ineligible", 10),
    ("info_requested", 5),
    ("approved", 10),
    ("declined", 5),
    ("draft", 10),
]
DECIDED = {"declined", "waitlisted", "approved", "matched", "info_requested"}


def matched_per_cycle(scale: Scale) -> int:
    """Past cycles share the pairings; the open cycle has none yet."""
    return scale.pairings // (scale.cycles - 1)


@cache
def _results(answers: eligibility.Answers, rules: eligibility.Rules, year: int):
    results = [r.as_dict() for r in eligibility.evaluate(answers, rules, year)]
    return results, eligibility.summarize(results)


def seed(scale: Scale = LARGE) -> str:
    if not private_storage().exists(DEMO_CV):
        private_storage().save(DEMO_CV, ContentFile(PDF))
    areas = list(Interest.objects.filter(kind=Interest.Kind.AREA).order_by("pk"))
    goals = list(Interest.objects.filter(kind=Interest.Kind.GOAL).order_by("pk"))
    per_cycle = scale.applications_per_cycle
    for index, cycle in enumerate(cycles()):
        if Application.objects.filter(cycle=cycle).count() >= per_cycle:
            continue
        is_open = index == scale.cycles - 1
        numbers = range(index * per_cycle, (index + 1) * per_cycle)
        users = dict(
            User.objects.filter(
                email__in=[applicant_email(n) for n in numbers]
            ).values_list("email", "pk")
        )
        random_ = random.Random(index)  # noqa: S311 (made-up data, no secret)
        rules = services.rules_for(cycle)
        year = cycle.opens_at.year
        matched = 0 if is_open else matched_per_cycle(scale)
        statuses, weights = zip(*(OPEN if is_open else PAST), strict=True)
        rows = []
        for offset, n in enumerate(numbers):
            status = (
                "matched" if offset < matched else random_.choices(statuses, weights)[0]
            )
            country, zone = mentee_place(n)
            answers = eligibility.Answers(
                membership_type=random_.choice(["in_training", "full", "non_member"])
                if status != "matched"
                else "full",
                membership_application_submitted=True,
                training_completed_year=year - random_.randint(0, 8),
                practice_country=country,
                english_writing="fluent",
                english_speaking=random_.choice(["fluent", "working"]),
                # An hour a month is below every cycle's least: not eligible.
                monthly_hours=1 if status == "ineligible" else random_.randint(2, 8),
                prior_idea_award=False,
                statement="I would value a mentor's guidance. " * 6,
                has_cv=True,
            )
            submitted = status != "draft"
            results, overall = _results(answers, rules, year) if submitted else ([], "")
            submitted_at = cycle.opens_at + timedelta(
                minutes=random_.randint(0, 80 * 24 * 60)
            )
            rows.append(
                Application(
                    applicant_id=users[applicant_email(n)],
                    cycle=cycle,
                    status=status,
                    membership_type=answers.membership_type,
                    membership_application_submitted=True,
                    training_completed_year=answers.training_completed_year,
                    practice_country=country,
                    training_country=country,
                    institution=f"Teaching Hospital {n % 700}",
                    position="Oncologist",
                    english_writing=answers.english_writing,
                    english_speaking=answers.english_speaking,
                    monthly_hours=answers.monthly_hours,
                    statement=answers.statement,
                    meeting_ways=["video", "email"],
                    time_zone=zone,
                    cv=DEMO_CV,
                    cv_filename="CV.pdf",
                    prior_idea_award=False,
                    consent=True,
                    eligibility=results,
                    eligibility_outcome=overall,
                    submitted_at=submitted_at if submitted else None,
                    created_at=submitted_at - timedelta(days=2),
                    decided_at=submitted_at + timedelta(days=20)
                    if status in DECIDED
                    else None,
                )
            )
        for start in range(0, len(rows), BATCH):
            Application.objects.bulk_create(
                rows[start : start + BATCH], ignore_conflicts=True
            )
        ids = list(
            Application.objects.filter(cycle=cycle)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for field, choices in (("interests", areas), ("career_goals", goals)):
            through = getattr(Application, field).through
            through.objects.bulk_create(
                [
                    through(
                        application_id=pk, interest_id=choices[pk % len(choices)].pk
                    )
                    for pk in ids
                ],
                batch_size=BATCH,
                ignore_conflicts=True,
            )
    return f"{scale.applications:,} applications over {scale.cycles} cycles"
