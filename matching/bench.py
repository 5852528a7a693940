"""Made-up program data for the benchmarks: a cycle of its own with many
pairings some months into their year, their people in time zones around the
world (as the large demo's), a contact in most months, pulse
answers, disputes, pairs needing attention, staff nudges and the
applications behind them. Written with bulk inserts; a benchmark cycle is
found by name and filled up to the number asked for."""

import random
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.demo_large import mentee_place, mentor_place
from accounts.models import User
from applications.models import Application
from mentorship.models import (
    CheckIn,
    Cycle,
    Pairing,
    PulseAnswer,
    StaffContact,
)
from mentorship.months import add_months, program_months

MENTEE = "bench-{name}-mentee-{number:06d}@bench.invalid"
MENTOR = "bench-{name}-mentor-{number:06d}@bench.invalid"
BATCH = 2000
TABLES = [
    "mentorship_pairing",
    "mentorship_checkin",
    "mentorship_pulseanswer",
    "mentorship_staffcontact",
    "applications_application",
    "accounts_user",
]


def bench_cycle(name: str, *, months_in: int) -> Cycle:
    cycle, _ = Cycle.objects.get_or_create(
        name=f"Benchmark: {name}",
        defaults={
            "program_starts_on": add_months(timezone.localdate(), -months_in),
        },
    )
    return cycle


def reset(name: str) -> None:
    """Remove a benchmark's cycle and its made-up people (with all they
    did), so that it can be built afresh."""
    User.objects.filter(email__startswith=f"bench-{name}-").delete()
    Cycle.objects.filter(name=f"Benchmark: {name}").delete()


def fill(cycle: Cycle, count: int, *, name: str, log=print) -> int:
    """Fill the cycle up to ``count`` pairings; returns how many were made."""
    existing = Pairing.objects.filter(cycle=cycle).count()
    if existing >= count:
        return 0
    random_ = random.Random(existing)  # noqa: S311 (made-up data, no secret)
    password = make_password(None)
    mentors = _mentors(name, count // 2, password)
    for start in range(existing, count, BATCH):
        with transaction.atomic():
            _batch(
                cycle,
                name,
                range(start, min(start + BATCH, count)),
                mentors,
                password,
                random_,
            )
        log(f"  created up to {min(start + BATCH, count)}")
    if connection.vendor == "postgresql":
        # As after any bulk load: planner statistics for the new rows.
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
    return count - existing


def _mentors(name, count, password) -> list[int]:
    emails = [MENTOR.format(name=name, number=n) for n in range(count)]
    User.objects.bulk_create(
        [
            User(
                email=email,
                full_name=f"Bench Mentor {n}",
                country=mentor_place(n)[0],
                time_zone=mentor_place(n)[1],
                password=password,
            )
            for n, email in enumerate(emails)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return list(
        User.objects.filter(email__in=emails)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _batch(cycle, name, numbers, mentors, password, random_):
    today = timezone.localdate()
    months_in = len(
        [m for m in program_months(cycle.program_starts_on, 12) if m[0] <= today]
    )
    emails = [MENTEE.format(name=name, number=n) for n in numbers]
    User.objects.bulk_create(
        [
            User(
                email=email,
                full_name=f"Bench Mentee {n}",
                country=mentee_place(n)[0],
                time_zone=mentee_place(n)[1],
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
                practice_country=mentee_place(n)[0],
                training_country=mentee_place(n)[0],
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
                respond_by=submitted + timedelta(days=80) if not begun else None,
                confirmed_at=submitted + timedelta(days=60) if begun else None,
                starts_on=starts_on if begun else None,
                months=12,
                ends_on=add_months(starts_on, 12) if begun else None,
                ended_at=(
                    datetime.combine(add_months(starts_on, 3), clock(12), tzinfo=UTC)
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
            if pairing.attention and number >= months_in - 1:
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
            nudges.append(StaffContact(pairing=pairing, kind=StaffContact.Kind.NUDGE))
    CheckIn.objects.bulk_create(contacts)
    PulseAnswer.objects.bulk_create(pulses)
    StaffContact.objects.bulk_create(nudges)
