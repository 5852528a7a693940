"""The large demo's pairings: 20,000 over the four cycles whose year has
begun, each mentor from another world region than the mentee, with the
year they had: the introductory call, a contact in most months (some
waiting for confirmation, a few disputed), a Mentoring Plan of objectives
and activities, and the pairing's history. The three older cycles' years are
over; the latest is eight months in, with some pairs needing attention.

Idempotent: a cycle whose pairings exist is left as it is.
"""

import random
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from accounts.demo_large import LARGE, Scale, applicant_email, mentor_sub_region
from accounts.models import MentorProfile, User
from accounts.regions import sub_region_of
from applications.demo_large import matched_per_cycle
from applications.models import Application
from mentorship import services as mentorship_services
from mentorship.demo_large import cycles
from mentorship.models import (
    Activity,
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    Pairing,
    PairingEvent,
)
from mentorship.months import add_months, program_months

BATCH = 5000
Status = Pairing.Status
OBJECTIVES = [
    ("Submit a first research paper", "A manuscript sent to a peer-reviewed journal"),
    ("Present at an international meeting", "An abstract accepted as a poster"),
    ("Set up a multidisciplinary tumour board", "Meeting every two weeks"),
    ("Apply for a research grant", "An application submitted"),
]
ACTIVITIES = ["Draft the outline", "Ask two colleagues for comments"]


def _at(day, hour=10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def seed(scale: Scale = LARGE) -> str:
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    mentors = list(
        MentorProfile.objects.filter(user__email__startswith="large.mentor.")
        .order_by("user__email")
        .values_list("user_id", flat=True)
    )
    regions = [mentor_sub_region(n) for n in range(len(mentors))]
    today = timezone.localdate()
    created = 0
    begun = cycles()[:-1]  # the open cycle has no pairs yet
    for index, cycle in enumerate(begun):
        done = Pairing.objects.filter(
            cycle=cycle, mentee__email__startswith="large."
        ).exists()
        if not done:
            over = index < len(begun) - 1
            created += _cycle(cycle, index, over, scale, mentors, regions, staff, today)
    total = Pairing.objects.filter(mentee__email__startswith="large.").count()
    return f"{total:,} pairings ({created:,} created now)"


def _mentees(cycle: Cycle, index: int, scale: Scale) -> list[tuple[int, str]]:
    """(user id, sub-region) of the cycle's matched applicants, in order."""
    first = index * scale.applications_per_cycle
    emails = [
        applicant_email(n) for n in range(first, first + matched_per_cycle(scale))
    ]
    return list(
        Application.objects.filter(
            cycle=cycle,
            status=Application.Status.MATCHED,
            applicant__email__in=emails,
        )
        .order_by("applicant__email")
        .values_list("applicant_id", "practice_country")
    )


def _cycle(cycle, index, over, scale, mentors, regions, staff, today) -> int:
    random_ = random.Random(1000 + index)  # noqa: S311 (made-up data, no secret)
    taken = set()
    pairings = []
    for number, (mentee_id, country) in enumerate(_mentees(cycle, index, scale)):
        mentee_region = sub_region_of(country)
        # A mentor from another world region, one mentee each in this cycle.
        choice = (number * 7 + index * 131) % len(mentors)
        while choice in taken or regions[choice] == mentee_region:
            choice = (choice + 1) % len(mentors)
        taken.add(choice)
        starts_on = cycle.program_starts_on + timedelta(
            days=random_.choice([0, 0, 0, 0, 0, 7, 14, 28])
        )
        roll = random_.random()
        if roll < 0.05:
            status = Status.CANCELLED
        elif roll < 0.15:
            status = Status.ENDED
        elif over:
            status = Status.COMPLETED
        elif roll < 0.19:
            status = Status.INTRODUCED
        else:
            status = Status.ACTIVE
        proposed = _at(cycle.program_starts_on - timedelta(days=30))
        accepted = proposed + timedelta(days=random_.randint(1, 9))
        confirmed = status != Status.CANCELLED
        ends_on = add_months(starts_on, cycle.program_months)
        ended_on = (
            ends_on
            if status == Status.COMPLETED
            else add_months(starts_on, random_.randint(2, 7))
            if status == Status.ENDED
            else None
        )
        pairings.append(
            Pairing(
                cycle=cycle,
                mentee_id=mentee_id,
                mentor_id=mentors[choice],
                status=status,
                proposed_at=proposed,
                respond_by=proposed + timedelta(days=cycle.response_days),
                mentee_accepted_at=accepted if confirmed else None,
                mentor_accepted_at=accepted if confirmed else None,
                confirmed_at=accepted if confirmed else None,
                starts_on=starts_on if confirmed else None,
                months=cycle.program_months,
                ends_on=ends_on if confirmed else None,
                ended_at=_at(min(ended_on, today)) if ended_on else None,
                end_reason="The mentee moved to a new post and could not go on."
                if status == Status.ENDED
                else "",
                attention=random_.choice(["needs_attention", "at_risk"])
                if status == Status.ACTIVE and random_.random() < 0.15
                else "",
            )
        )
    Pairing.objects.bulk_create(pairings, batch_size=BATCH)
    saved = list(
        Pairing.objects.filter(cycle=cycle, mentee__email__startswith="large.")
        .order_by("pk")
        .only(
            "pk",
            "mentee_id",
            "mentor_id",
            "status",
            "starts_on",
            "months",
            "ended_at",
            "attention",
            "proposed_at",
            "confirmed_at",
        )
    )
    events, calls, contacts, objectives = [], [], [], []
    for pairing in saved:
        events.append(
            PairingEvent(
                pairing=pairing,
                at=pairing.proposed_at,
                actor=staff,
                status=Status.PROPOSED,
                description="Proposed by staff",
            )
        )
        if pairing.status == Status.CANCELLED:
            events.append(
                PairingEvent(
                    pairing=pairing,
                    at=pairing.proposed_at + timedelta(days=5),
                    status=Status.CANCELLED,
                    description="The mentor declined: no time this year.",
                )
            )
            continue
        start = _at(pairing.starts_on)
        events += [
            PairingEvent(
                pairing=pairing,
                at=pairing.confirmed_at,
                status=Status.CONFIRMED,
                description="Confirmed: both accepted",
            ),
            PairingEvent(
                pairing=pairing,
                at=pairing.confirmed_at,
                status=Status.INTRODUCED,
                description="Introduced to one another by email",
            ),
        ]
        if pairing.status == Status.INTRODUCED:
            continue
        call_at = start + timedelta(days=5, hours=3)
        calls.append(
            IntroCall(
                pairing=pairing,
                starts_at=call_at,
                duration_minutes=30,
                location="https://meet.example.org/intro",
                host=staff,
                uid=f"intro-call-large-{pairing.pk}@example.org",
                status=IntroCall.Status.HELD,
            )
        )
        events.append(
            PairingEvent(
                pairing=pairing,
                at=call_at + timedelta(hours=1),
                status=Status.ACTIVE,
                description="Active: the introductory call was held",
            )
        )
        if pairing.ended_at:
            events.append(
                PairingEvent(
                    pairing=pairing,
                    at=pairing.ended_at,
                    status=pairing.status,
                    description="Completed: the year is over"
                    if pairing.status == Status.COMPLETED
                    else "Ended early: the mentee moved to a new post",
                )
            )
        last_day = min(pairing.ended_at.date() if pairing.ended_at else today, today)
        months = program_months(pairing.starts_on, pairing.months)
        for number, (first, last) in enumerate(months, 1):
            if first > last_day:
                break
            # Pairs needing attention went quiet two months ago.
            quiet = pairing.attention and first > add_months(last_day, -2)
            if quiet or random_.random() > 0.85:
                continue
            day = min(first + timedelta(days=random_.randint(0, 25)), last, last_day)
            by_mentee = random_.random() < 0.8
            contacts.append(
                CheckIn(
                    pairing=pairing,
                    author_id=pairing.mentee_id if by_mentee else pairing.mentor_id,
                    occurred_on=day,
                    month=number,
                    way=random_.choice(["video", "video", "email", "phone"]),
                    initiated_by="mentee" if by_mentee else "mentor",
                    minutes=random_.choice([15, 30, 45, 60]),
                    confirmation=random_.choice(
                        ["confirmed"] * 17 + ["waiting"] * 2 + ["disputed"]
                    ),
                    created_at=_at(day, 18),
                )
            )
        for title, success in random_.sample(OBJECTIVES, 2):
            objectives.append(
                Objective(
                    pairing=pairing,
                    title=title,
                    success=success,
                    target_date=add_months(pairing.starts_on, random_.randint(4, 11)),
                    status=random_.choice(
                        ["not_started", "on_track", "on_track", "at_risk", "done"]
                    )
                    if pairing.status != Status.COMPLETED
                    else random_.choice(["done", "done", "done", "dropped"]),
                    created_at=start + timedelta(days=10),
                )
            )
    PairingEvent.objects.bulk_create(events, batch_size=BATCH)
    IntroCall.objects.bulk_create(calls, batch_size=BATCH)
    CheckIn.objects.bulk_create(contacts, batch_size=BATCH)
    mentorship_services.pairing_last_contact_refresh(
        Pairing.objects.filter(cycle=cycle, mentee__email__startswith="large.")
    )
    Objective.objects.bulk_create(objectives, batch_size=BATCH)
    activities = [
        Activity(
            pairing_id=objective.pairing_id,
            objective=objective,
            title=title,
            due_on=objective.target_date - timedelta(days=30 * (2 - step)),
            done_on=min(
                objective.target_date - timedelta(days=30 * (2 - step) + 3), today
            )
            if objective.status == "done"
            else None,
        )
        for objective in objectives
        for step, title in enumerate(ACTIVITIES)
    ]
    Activity.objects.bulk_create(activities, batch_size=BATCH)
    return len(pairings)
