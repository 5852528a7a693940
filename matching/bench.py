"""Made-up program data for the benchmarks: a cycle of its own with many
pairings some months into their year, their people in time zones around the
world (as the large demo's), a contact in most months, pulse
answers, disputes, pairs needing attention, staff nudges and the
applications behind them; and, for the retention purge, last year's
declined and withdrawn applications. Written with bulk inserts; a benchmark
cycle is found by name and filled up to the number asked for."""

import random
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.demo_large import mentee_place, mentor_place
from accounts.models import User
from applications.models import Application, ApplicationEvent, EligibilityOverride
from mentorship import services as mentorship_services
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
APPLICANT = "bench-{name}-applicant-{number:06d}@bench.invalid"
STAFF = "bench-{name}-staff@bench.invalid"
BATCH = 2000
TABLES = [
    "mentorship_pairing",
    "mentorship_checkin",
    "mentorship_pulseanswer",
    "mentorship_staffcontact",
    "applications_application",
    "applications_historicalapplication",
    "applications_applicationevent",
    "applications_eligibilityoverride",
    "django_admin_log",
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
    """Remove a benchmark's cycles and its made-up people (with all they
    did), so that it can be built afresh."""
    User.objects.filter(email__startswith=f"bench-{name}-").delete()
    cycles = Cycle.objects.filter(name__startswith=f"Benchmark: {name}")
    # Purged applications are no one's: they go with their cycle.
    Application.objects.filter(cycle__in=cycles).delete()
    cycles.delete()


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
    _analyze()
    return count - existing


def _analyze() -> None:
    if connection.vendor == "postgresql":
        # As after any bulk load: planner statistics for the new rows.
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")


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


def _mentees(address, title, name, numbers, password):
    """Mentees numbered ``numbers`` from around the world (those already
    there kept): their addresses, and their ids by address."""
    emails = [address.format(name=name, number=n) for n in numbers]
    User.objects.bulk_create(
        [
            User(
                email=email,
                full_name=f"{title} {n}",
                country=mentee_place(n)[0],
                time_zone=mentee_place(n)[1],
                password=password,
            )
            for n, email in zip(numbers, emails, strict=True)
        ],
        ignore_conflicts=True,
    )
    users = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
    return emails, users


def _batch(cycle, name, numbers, mentors, password, random_):
    today = timezone.localdate()
    months_in = len(
        [m for m in program_months(cycle.program_starts_on, 12) if m[0] <= today]
    )
    emails, users = _mentees(MENTEE, "Bench Mentee", name, numbers, password)
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
    mentorship_services.pairing_last_contact_refresh(
        Pairing.objects.filter(cycle=cycle, mentee_id__in=users.values())
    )
    PulseAnswer.objects.bulk_create(pulses)
    StaffContact.objects.bulk_create(nudges)


def fill_decided(cycle: Cycle, count: int, *, name: str, decided_before, log=print):
    """``count`` applications to the cycle, declined (four in five) or
    withdrawn in the two days before ``decided_before``, each with what the
    app leaves behind: the answers, a CV's name (no file: deleting a missing
    one costs what deleting one does, less the disk), its change history
    (one row), an override with staff's note, the events of its way there
    with staff's notes, and for one in four a line in the admin's log."""
    random_ = random.Random(count)  # noqa: S311 (made-up data, no secret)
    password = make_password(None)
    staff, _ = User.objects.get_or_create(
        email=STAFF.format(name=name),
        defaults={"full_name": "Bench Staff", "is_staff": True, "password": password},
    )
    content_type = ContentType.objects.get_for_model(Application)
    for start in range(0, count, BATCH):
        numbers = range(start, min(start + BATCH, count))
        with transaction.atomic():
            _decided_batch(
                cycle, name, numbers, staff, content_type, decided_before, random_
            )
        log(f"  decided up to {numbers[-1] + 1}")
    _analyze()


def _decided_batch(cycle, name, numbers, staff, content_type, before, random_):
    emails, users = _mentees(
        APPLICANT, "Bench Applicant", name, numbers, staff.password
    )
    applications = []
    for n, email in zip(numbers, emails, strict=True):
        decided_at = before - timedelta(minutes=random_.randint(1, 2 * 24 * 60))
        declined = random_.random() < 0.8
        applications.append(
            Application(
                applicant_id=users[email],
                cycle=cycle,
                status=Application.Status.DECLINED
                if declined
                else Application.Status.WITHDRAWN,
                membership_type="full",
                membership_application_submitted=True,
                training_completed_year=2015 + n % 10,
                practice_country=mentee_place(n)[0],
                training_country=mentee_place(n)[0],
                institution=f"Teaching Hospital {n % 700}",
                position="Oncologist",
                english_writing="fluent",
                english_speaking="working",
                monthly_hours=4,
                statement="I would value a mentor's guidance. " * 6,
                time_zone=mentee_place(n)[1],
                cv=f"cvs/bench-{name}-{n:06d}.pdf",
                cv_filename=f"CV of applicant {n}.pdf",
                consent=True,
                eligibility=[{"criterion": "monthly_hours", "outcome": "pass"}],
                eligibility_outcome="eligible",
                override_outcomes={"english_speaking": "pass"},  # as below
                submitted_at=decided_at - timedelta(days=30),
                created_at=decided_at - timedelta(days=32),
                rating=3 if declined else None,
                rating_comment="Early in training for this cycle." if declined else "",
                message_to_applicant="Not this cycle, please apply again."
                if declined
                else "",
                staff_notes=f"Spoke with applicant {n} by phone.",
                decided_at=decided_at,
            )
        )
    bulk_create_with_history(
        applications, Application, default_user=staff, default_change_reason="Bench"
    )
    events, overrides, log = [], [], []
    for n, application in zip(numbers, applications, strict=True):
        submitted = application.submitted_at
        events.append(
            ApplicationEvent(
                application=application,
                at=submitted,
                actor_id=application.applicant_id,
                status=Application.Status.SUBMITTED,
                description="Submitted",
            )
        )
        events.append(
            ApplicationEvent(
                application=application,
                at=submitted + timedelta(days=5),
                actor=staff,
                status=Application.Status.UNDER_REVIEW,
                description="Review started",
                note="Picked up from the queue.",
            )
        )
        declined = application.status == Application.Status.DECLINED
        events.append(
            ApplicationEvent(
                application=application,
                at=application.decided_at,
                actor_id=staff.pk if declined else application.applicant_id,
                status=application.status,
                description="Declined" if declined else "Withdrawn",
                note="Weak statement, staff think." if declined else "",
            )
        )
        overrides.append(
            EligibilityOverride(
                application=application,
                criterion="english_speaking",
                outcome="pass",
                note="Heard her speak at the congress.",
                by=staff,
                at=submitted + timedelta(days=6),
            )
        )
        if n % 4 == 0:
            log.append(
                LogEntry(
                    user=staff,
                    content_type=content_type,
                    object_id=str(application.pk),
                    object_repr=f"Bench Applicant {n} · {cycle}",
                    action_flag=CHANGE,
                    change_message='[{"changed": {"fields": ["Staff notes"]}}]',
                )
            )
    ApplicationEvent.objects.bulk_create(events)
    EligibilityOverride.objects.bulk_create(overrides)
    LogEntry.objects.bulk_create(log)
