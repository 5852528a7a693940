"""A program with every kind of row the pages show, for the page tests.

``build()`` makes a small world: three cycles, the cast (a mentee, a mentor,
staff, a stranger and an approved mentee who ranks mentors) with their own
applications, pairings, plan, contacts, surveys and match run, and one
*copy* of everyone else. ``grow(world, n)`` adds ``n`` more copies: more
people, applications in every state with their reviews and timelines,
pairings with their year (contacts, plan, pulse answers, reminders, staff
nudges, the introductory call, surveys), match runs with proposals, never-
pair exclusions and rankings, emails in the outbox, "notify me" requests,
staff with authenticators, groups; and the cast's own records grow with
them (their pairing's contacts and plan, their application's timeline and
history, the mentor's pairings), so that a page showing one person's things
has more of them too.

Everything a page might fetch for its rows exists at least once in the
small world: a relation that is empty in the small world and filled in the
large one would hide the queries it costs.

Rows are written with the ORM directly (services where they leave what a
real change leaves: history, events), with each copy's dates and countries
varied, as a real program has them.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import (
    DataExport,
    DeletionRequest,
    Interest,
    MentorProfile,
    User,
)
from applications.models import (
    Application,
    ApplicationEvent,
    DeclineReason,
    EligibilityOverride,
)
from applications.tests.conftest import PDF_BYTES
from conftest import make_user
from matching.models import Exclusion, MatchRun, MenteePreference, Proposal, Unmatched
from mentorship import services
from mentorship.models import (
    Activity,
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    OpeningNotification,
    OutboundEmail,
    Pairing,
    PairingEvent,
    PulseAnswer,
    Reminder,
    StaffContact,
    SurveyResponse,
)
from mentorship.months import add_months

# Mentees practise outside the program's home country; their mentors live
# in another world region.
MENTEE_PLACES = [
    ("NG", "Africa/Lagos"),
    ("IN", "Asia/Kolkata"),
    ("BR", "America/Sao_Paulo"),
    ("VN", "Asia/Ho_Chi_Minh"),
    ("EG", "Africa/Cairo"),
]
MENTOR_PLACES = [
    ("DK", "Europe/Copenhagen"),
    ("US", "America/New_York"),
    ("JP", "Asia/Tokyo"),
    ("GB", "Europe/London"),
    ("AU", "Australia/Sydney"),
]


@dataclass
class World:
    mentee: User
    mentor: User
    staff: User
    stranger: User
    ranking_mentee: User
    old: Cycle
    past: Cycle
    open: Cycle
    mentor_profile: MentorProfile
    application: Application
    past_application: Application
    pairing: Pairing
    closed_pairing: Pairing
    objective: Objective
    activity: Activity
    run: MatchRun
    proposal: Proposal
    notification: OpeningNotification
    copies: int = 0
    # The last copy's rows, for pages about one of many.
    latest: dict = field(default_factory=dict)


def _at(day, hour=10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _cycles(today):
    now = timezone.now()
    old = Cycle.objects.create(
        name="2024-2025",
        opens_at=now - timedelta(days=800),
        closes_at=now - timedelta(days=760),
        program_starts_on=add_months(today, -19),
    )
    past = Cycle.objects.create(
        name="2025-2026",
        opens_at=now - timedelta(days=420),
        closes_at=now - timedelta(days=380),
        program_starts_on=add_months(today, -7),
        plan_starter="Publish a first paper\nPresent at a meeting",
    )
    open_ = Cycle.objects.create(
        name="2026-2027",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=30),
        program_starts_on=add_months(today, 3),
        preferences_open=True,
    )
    return old, past, open_


def _profile(user, **fields) -> MentorProfile:
    values = {
        "status": MentorProfile.Status.APPROVED,
        "membership_type": "full",
        "years_experience": 15,
        "position": "Professor of oncology",
        "languages": ["en"],
        "capacity": 3,
        "meeting_ways": ["video"],
        "bio": "Twenty years in breast oncology.",
        "agreed_at": timezone.now(),
        **fields,
    }
    profile = MentorProfile.objects.create(user=user, **values)
    profile.interests.set(Interest.objects.filter(kind=Interest.Kind.AREA)[:2])
    profile.career_goals.set(Interest.objects.filter(kind=Interest.Kind.GOAL)[:1])
    return profile


def _application(user, cycle, status, **fields) -> Application:
    """A complete application with a CV, interests and eligibility results."""
    values = {
        "status": status,
        "membership_type": "in_training",
        "training_completed_year": 2021,
        "practice_country": user.country,
        "training_country": "GB",
        "institution": "Teaching Hospital",
        "position": "Consultant oncologist",
        "english_writing": "fluent",
        "english_speaking": "fluent",
        "monthly_hours": 4,
        "meeting_ways": ["video"],
        "time_zone": user.time_zone,
        "statement": "I want guidance on building a research program.",
        "prior_idea_award": False,
        "consent": True,
        "cv_filename": "cv.pdf",
        "eligibility": [
            {
                "criterion": "membership",
                "label": "Membership",
                "outcome": "pass",
                "reason": "A member in training.",
            },
            {
                "criterion": "cv",
                "label": "CV",
                "outcome": "review",
                "reason": "Staff read the CV.",
            },
        ],
        "eligibility_outcome": "review",
        "submitted_at": timezone.now() - timedelta(days=3),
        **fields,
    }
    application = Application(applicant=user, cycle=cycle, **values)
    application.cv.save("cv.pdf", ContentFile(PDF_BYTES), save=False)
    application.save()
    application.interests.set(Interest.objects.filter(kind=Interest.Kind.AREA)[:2])
    application.career_goals.set(Interest.objects.filter(kind=Interest.Kind.GOAL)[:1])
    ApplicationEvent.objects.create(
        application=application,
        actor=user,
        status=status,
        description="Submitted",
    )
    return application


def _pairing(cycle, mentee, mentor, status, *, starts_on, **fields) -> Pairing:
    confirmed = status != Pairing.Status.PROPOSED
    return Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=status,
        proposed_at=_at(starts_on - timedelta(days=30)),
        respond_by=_at(starts_on - timedelta(days=16)),
        mentee_accepted_at=_at(starts_on - timedelta(days=25)) if confirmed else None,
        mentor_accepted_at=_at(starts_on - timedelta(days=25)) if confirmed else None,
        confirmed_at=_at(starts_on - timedelta(days=25)) if confirmed else None,
        starts_on=starts_on if confirmed else None,
        ends_on=add_months(starts_on, 12) if confirmed else None,
        **fields,
    )


def _year_so_far(pairing, n, today, host):
    """What a pair under way has after some months: the call, contacts (one
    disputed, one with topics), a plan, a pulse answer, a reminder, a staff
    nudge and the pairing's events."""
    IntroCall.objects.create(
        pairing=pairing,
        starts_at=_at(pairing.starts_on + timedelta(days=5)),
        location="https://meet.example.org/intro",
        host=host,
        uid=f"intro-call-{pairing.pk}@example.org",
        status=IntroCall.Status.HELD,
    )
    _contacts(pairing, n, today)
    objective = Objective.objects.create(
        pairing=pairing,
        title=f"Submit paper {n}",
        target_date=add_months(pairing.starts_on, 6),
        status=Objective.Status.ON_TRACK,
    )
    Activity.objects.create(
        pairing=pairing,
        objective=objective,
        title=f"Draft outline {n}",
        due_on=today + timedelta(days=5),
    )
    PulseAnswer.objects.create(
        pairing=pairing, month=1 + n % 6, person=pairing.mentee, talked=n % 2 == 0
    )
    Reminder.objects.create(
        pairing=pairing,
        kind=Reminder.Kind.REACH_OUT,
        key=f"month:{1 + n % 6}",
        recipient=pairing.mentee.email,
        person=pairing.mentee,
        text="Reach out to your mentor this month.",
        in_digest=n % 2 == 1,
    )
    StaffContact.objects.create(pairing=pairing, kind=StaffContact.Kind.NUDGE)
    for status in (Pairing.Status.CONFIRMED, Pairing.Status.ACTIVE):
        PairingEvent.objects.create(
            pairing=pairing, actor=pairing.mentee, status=status, description=status
        )


def _contacts(pairing, n, today):
    topics = list(Interest.objects.filter(kind=Interest.Kind.AREA)[:2])
    for k, confirmation in enumerate(
        (CheckIn.Confirmation.CONFIRMED, CheckIn.Confirmation.DISPUTED)
    ):
        month = 1 + (2 * n + k) % 6
        day = min(add_months(pairing.starts_on, month - 1) + timedelta(days=3), today)
        checkin = CheckIn.objects.create(
            pairing=pairing,
            author=pairing.mentee if k == 0 else pairing.mentor,
            occurred_on=day,
            month=month,
            way=CheckIn.Way.VIDEO,
            initiated_by=CheckIn.Initiator.MENTEE,
            minutes=45,
            notes="We talked about the paper.",
            confirmation=confirmation,
        )
        if k == 0:
            checkin.topics.set(topics)


def _closed_with_surveys(pairing, ended_on):
    pairing.status = Pairing.Status.COMPLETED
    pairing.ended_at = _at(ended_on)
    pairing.save(update_fields=["status", "ended_at"])
    SurveyResponse.objects.create(
        pairing=pairing,
        kind=SurveyResponse.Kind.CLOSING,
        person=pairing.mentee,
        role=SurveyResponse.Role.MENTEE,
        invited_at=_at(ended_on),
        answered_at=_at(ended_on + timedelta(days=2)),
        rating=5,
        objectives_achieved=SurveyResponse.Achieved.MOST,
        would_recommend=True,
        helped="Monthly calls.",
        to_change="More structure.",
        take_part_again=True,
    )
    SurveyResponse.objects.create(
        pairing=pairing,
        kind=SurveyResponse.Kind.CLOSING,
        person=pairing.mentor,
        role=SurveyResponse.Role.MENTOR,
        invited_at=_at(ended_on),
    )
    SurveyResponse.objects.create(
        pairing=pairing,
        kind=SurveyResponse.Kind.FOLLOW_UP,
        person=pairing.mentee,
        role=SurveyResponse.Role.MENTEE,
        invited_at=_at(ended_on + timedelta(days=183)),
        answered_at=_at(ended_on + timedelta(days=185)),
        rating=4,
        still_in_contact=True,
        progress="A grant.",
    )


def build() -> World:
    """The fixed part of the world, and its first copy."""
    today = timezone.localdate()
    old, past, open_ = _cycles(today)
    mentee = make_user(
        "mentee@example.com",
        full_name="Amara Okafor",
        country="NG",
        time_zone="Africa/Lagos",
    )
    mentor = make_user(
        "mentor@example.com",
        full_name="Henrik Larsen",
        country="DK",
        time_zone="Europe/Copenhagen",
    )
    staff = make_user(
        "staff@example.com",
        full_name="Sam Staff",
        country="US",
        time_zone="America/New_York",
        is_staff=True,
        is_superuser=True,
    )
    stranger = make_user(
        "stranger@example.com",
        full_name="Stan Stranger",
        country="BR",
        time_zone="America/Sao_Paulo",
    )
    ranking_mentee = make_user(
        "ranking@example.com",
        full_name="Priya Raman",
        country="IN",
        time_zone="Asia/Kolkata",
    )
    profile = _profile(mentor)
    # The mentee's application this cycle: submitted, still editable, under
    # a reviewer's eye; and last cycle's, which led to the pairing.
    application = _application(
        mentee,
        open_,
        Application.Status.SUBMITTED,
        reviewer=staff,
        rating=3,
        rated_by=staff,
        rated_at=timezone.now(),
        decline_reason=DeclineReason.objects.first(),
    )
    EligibilityOverride.objects.create(
        application=application,
        criterion="cv",
        outcome="pass",
        note="Read it.",
        by=staff,
    )
    Application.objects.filter(pk=application.pk).update(
        override_outcomes={"cv": "pass"}
    )
    past_application = _application(mentee, past, Application.Status.MATCHED)
    _application(ranking_mentee, open_, Application.Status.APPROVED)

    pairing = _pairing(
        past, mentee, mentor, Pairing.Status.ACTIVE, starts_on=past.program_starts_on
    )
    _year_so_far(pairing, 0, today, staff)
    # The call is still to come, so its calendar file is offered; the plan's
    # first items are made through the service, which records who made them.
    IntroCall.objects.filter(pairing=pairing).update(
        status=IntroCall.Status.SCHEDULED, starts_at=timezone.now() + timedelta(days=3)
    )
    objective = services.plan_objective_save(
        pairing_id=pairing.pk, user=mentee, title="Publish a first paper"
    )
    activity = services.plan_activity_save(
        pairing_id=pairing.pk,
        user=mentor,
        title="Draft the abstract",
        due_on=today + timedelta(days=20),
        objective=objective,
    )
    closed_pairing = _pairing(
        old, mentee, mentor, Pairing.Status.ACTIVE, starts_on=old.program_starts_on
    )
    _closed_with_surveys(closed_pairing, add_months(old.program_starts_on, 12))
    # The mentee has not answered the closing survey yet: its page is a form.
    SurveyResponse.objects.filter(
        pairing=closed_pairing, person=mentee, kind=SurveyResponse.Kind.CLOSING
    ).update(
        answered_at=None,
        rating=None,
        objectives_achieved="",
        would_recommend=None,
        helped="",
        to_change="",
        take_part_again=None,
    )
    SurveyResponse.objects.filter(
        pairing=closed_pairing, kind=SurveyResponse.Kind.FOLLOW_UP
    ).delete()

    run = MatchRun.objects.create(cycle=open_, created_by=staff, mentees=1, slots=3)
    proposal = Proposal.objects.create(
        run=run,
        application=Application.objects.get(applicant=ranking_mentee),
        mentor=profile,
        score=30,
        reasons=["1 shared interest"],
        alternatives=[],
    )
    notification = OpeningNotification.objects.create(
        email="waiting@example.com", cycle=open_
    )
    world = World(
        mentee=mentee,
        mentor=mentor,
        staff=staff,
        stranger=stranger,
        ranking_mentee=ranking_mentee,
        old=old,
        past=past,
        open=open_,
        mentor_profile=profile,
        application=application,
        past_application=past_application,
        pairing=pairing,
        closed_pairing=closed_pairing,
        objective=objective,
        activity=activity,
        run=run,
        proposal=proposal,
        notification=notification,
    )
    grow(world, 1)
    return world


def grow(world: World, copies: int) -> World:
    """Add ``copies`` copies of everyone else, and as much again to the
    cast's own records."""
    for _ in range(copies):
        _copy(world, world.copies)
        world.copies += 1
    return world


def _copy(world: World, n: int) -> None:
    today = timezone.localdate()
    country, zone = MENTEE_PLACES[n % len(MENTEE_PLACES)]
    mentor_country, mentor_zone = MENTOR_PLACES[n % len(MENTOR_PLACES)]

    def mentee_like(role):
        return make_user(
            f"{role}{n}@example.com",
            full_name=f"{role.title()} {n}",
            country=country,
            time_zone=zone,
        )

    mentee, waiting, declined = (
        mentee_like(role) for role in ("mentee", "waiting", "declined")
    )
    mentor = make_user(
        f"mentor{n}@example.com",
        full_name=f"Mentor {n}",
        country=mentor_country,
        time_zone=mentor_zone,
    )
    volunteer = make_user(
        f"volunteer{n}@example.com",
        full_name=f"Volunteer {n}",
        country=mentor_country,
        time_zone=mentor_zone,
    )
    staff = make_user(
        f"staff{n}@example.com",
        full_name=f"Staff {n}",
        country="US",
        time_zone="America/Chicago",
        is_staff=True,
    )
    profile = _profile(mentor)
    _profile(volunteer, status=MentorProfile.Status.PENDING, years_experience=6)

    # Applications in the states the review queue shows, with their review.
    reviewed = _application(
        mentee,
        world.open,
        Application.Status.UNDER_REVIEW,
        reviewer=staff,
        rating=1 + n % 5,
        rated_by=staff,
        rated_at=timezone.now(),
    )
    EligibilityOverride.objects.create(
        application=reviewed, criterion="cv", outcome="pass", note="Read.", by=staff
    )
    Application.objects.filter(pk=reviewed.pk).update(override_outcomes={"cv": "pass"})
    _application(
        declined,
        world.open,
        Application.Status.DECLINED,
        decline_reason=DeclineReason.objects.first(),
        decided_at=timezone.now(),
    )
    approved = _application(
        waiting,
        world.open,
        Application.Status.APPROVED,
        waiting_for_mentor_since=timezone.now() if n % 2 else None,
    )
    _application(mentee, world.past, Application.Status.MATCHED)

    # Last cycle's pair, some months into their year.
    pairing = _pairing(
        world.past,
        mentee,
        mentor,
        Pairing.Status.ACTIVE,
        starts_on=world.past.program_starts_on + timedelta(days=7 * (n % 3)),
        attention=Pairing.Attention.NEEDS_ATTENTION if n % 2 == 0 else "",
    )
    _year_so_far(pairing, n, today, world.staff)
    # An older cycle's pair, with the cast mentor: over, and surveyed.
    closed = _pairing(
        world.old,
        mentee,
        world.mentor,
        Pairing.Status.ACTIVE,
        starts_on=world.old.program_starts_on,
    )
    _closed_with_surveys(closed, add_months(world.old.program_starts_on, 12))
    # This cycle's proposal, waiting for both to answer.
    _pairing(
        world.open,
        waiting,
        mentor,
        Pairing.Status.PROPOSED,
        starts_on=world.open.program_starts_on,
    )

    # Matching: a run of its own, and a proposal and an unmatched mentee in
    # the cast's run; rankings and an exclusion.
    MatchRun.objects.create(cycle=world.open, created_by=staff, mentees=2, slots=3)
    Proposal.objects.create(
        run=world.run,
        application=approved,
        mentor=profile,
        score=20 + n,
        reasons=["1 shared interest"],
        alternatives=[{"mentor": profile.pk, "name": str(mentor), "score": 10}],
    )
    Unmatched.objects.create(
        run=world.run, application=reviewed, reason="No mentor with a free place."
    )
    MenteePreference.objects.create(application=approved, mentor=profile, rank=1)
    Exclusion.objects.create(
        mentee=mentee, mentor=mentor, note="Same institution.", created_by=staff
    )

    # Email, "notify me", staff groups.
    for status in OutboundEmail.Status.values:
        OutboundEmail.objects.create(
            idempotency_key=f"world:{n}:{status}",
            event="application.submitted",
            to=mentee.email,
            from_email="Program <program@example.org>",
            subject=f"Email {n} ({status})",
            body_text="Hello",
            status=status,
            sent_at=timezone.now() if status == OutboundEmail.Status.SENT else None,
        )
    OpeningNotification.objects.create(email=f"notify{n}@example.com", cycle=None)
    OpeningNotification.objects.create(
        email=f"notify{n}@example.com",
        cycle=world.open,
        notified_at=timezone.now(),
    )
    # Personal data: a copy asked for, and a request to delete an account.
    DataExport.objects.create(user=mentee)
    DeletionRequest.objects.create(user=mentee)
    group = Group.objects.create(name=f"Reviewers {n}")
    group.permissions.set(Permission.objects.filter(codename__endswith="application"))

    # The cast's own records grow too.
    _contacts(world.pairing, n, today)
    objective = services.plan_objective_save(
        pairing_id=world.pairing.pk,
        user=world.mentee if n % 2 else world.mentor,
        title=f"Objective {n}",
        target_date=today + timedelta(days=30 + n),
    )
    services.plan_objective_save(
        pairing_id=world.pairing.pk,
        user=world.mentor,
        objective_id=objective.pk,
        status=Objective.Status.ON_TRACK,
    )
    services.plan_activity_save(
        pairing_id=world.pairing.pk,
        user=world.mentee,
        title=f"Activity {n}",
        due_on=today + timedelta(days=10 + n),
        objective=objective,
    )
    Reminder.objects.create(
        pairing=world.pairing,
        kind=Reminder.Kind.MID_MONTH,
        key=f"month:{n}",
        recipient=world.mentee.email,
        person=world.mentee,
        text="Still no contact this month.",
    )
    StaffContact.objects.create(
        pairing=world.pairing,
        kind=StaffContact.Kind.CHECK_IN,
        by=staff,
        note="Called them.",
    )
    PairingEvent.objects.create(
        pairing=world.pairing, actor=staff, status="active", description=f"Note {n}"
    )
    ApplicationEvent.objects.create(
        application=world.application,
        actor=staff,
        status=world.application.status,
        description=f"Looked at by staff {n}",
        internal=n % 2 == 0,
    )
    world.application.rating = 1 + n % 5
    world.application.rated_by = staff
    world.application.save(update_fields=["rating", "rated_by"])
    world.mentor_profile.bio = f"Twenty years in breast oncology ({n})."
    world.mentor_profile.save(update_fields=["bio"])
    world.latest = {"pairing": pairing, "application": reviewed, "user": mentee}
