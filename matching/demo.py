"""Demo pairings: in the open cycle, some mentors full and some with room;
in last year's cycle, a pairing eight months into its year, with its
introductory call, contacts (one month missed) and Mentoring Plan.

Runs after the applications demo, whose approved mentees it pairs; two
approved mentees are left for staff to match. Idempotent: a pairing is found
by mentee and cycle.
"""

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Interest, User
from applications import services as application_services
from applications.models import Application
from mentorship import services as mentorship_services
from mentorship.demo import PAST_CYCLE_NAME
from mentorship.models import (
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    Pairing,
    PairingEvent,
)
from mentorship.months import add_months, program_months
from mentorship.selectors import cycle_status

# (mentee, mentor, status). James Okafor takes one mentee, so is full; the
# demo mentor takes two, so has room for one more.
PAIRINGS = [
    ("mentee@example.org", "mentor@example.org", Pairing.Status.INTRODUCED),
    ("ravi.perera@example.org", "james.okafor@example.org", Pairing.Status.INTRODUCED),
    (
        "marta.kowalska@example.org",
        "helen.tremblay@example.org",
        Pairing.Status.PROPOSED,
    ),
]


def seed():
    cycle = cycle_status().open_cycle
    if cycle is None:
        return []
    people = User.objects.in_bulk(
        {email for pair in PAIRINGS for email in pair[:2]}, field_name="email"
    )
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    now = timezone.now()
    for mentee, mentor, status in PAIRINGS:
        if Pairing.objects.filter(mentee=people[mentee], cycle=cycle).exists():
            continue
        application = Application.objects.get(applicant=people[mentee], cycle=cycle)
        application_services.application_mark_matched(
            application_id=application.pk, actor=staff
        )
        confirmed = status == Pairing.Status.INTRODUCED
        starts_on = cycle.program_starts_on
        Pairing.objects.create(
            cycle=cycle,
            mentee=people[mentee],
            mentor=people[mentor],
            status=status,
            proposed_at=now,
            respond_by=now + timezone.timedelta(days=cycle.response_days),
            mentee_accepted_at=now,
            mentor_accepted_at=now if confirmed else None,
            confirmed_at=now if confirmed else None,
            starts_on=starts_on if confirmed else None,
            months=cycle.program_months,
            ends_on=add_months(starts_on, cycle.program_months) if confirmed else None,
        )
    _seed_year_under_way()
    return []


def _seed_year_under_way():
    """Last year's cycle: the demo mentor and a mentee eight months in."""
    cycle = Cycle.objects.filter(name=PAST_CYCLE_NAME).first()
    if cycle is None or cycle.program_starts_on is None:
        return
    mentor = User.objects.get(email="mentor@example.org")
    mentee, created = User.objects.get_or_create(
        email="fatima.zahra@example.org",
        defaults={
            "full_name": "Dr. Fatima Zahra",
            "country": "MA",
            "time_zone": "Africa/Casablanca",
            "institution": "Centre Hospitalier Universitaire Ibn Rochd",
        },
    )
    if created:
        mentee.set_password(DEMO_PASSWORD)
        mentee.save(update_fields=["password"])
    if Pairing.objects.filter(mentee=mentee, cycle=cycle).exists():
        return
    application = Application.objects.create(
        applicant=mentee,
        cycle=cycle,
        status=Application.Status.MATCHED,
        practice_country="MA",
        training_country="MA",
        institution=mentee.institution,
        position="Medical oncologist",
        statement="I lead our new breast clinic and want to start a clinical "
        "research program alongside it.",
        meeting_ways=["video", "email"],
        languages=["ar", "fr"],
        time_zone=mentee.time_zone,
        submitted_at=datetime.combine(cycle.opens_at.date(), time(10), tzinfo=UTC),
    )
    application.interests.set(Interest.objects.filter(slug="breast"))
    application.career_goals.set(Interest.objects.filter(slug="clinical-research"))
    starts_on = cycle.program_starts_on
    begun = datetime.combine(starts_on, time(9), tzinfo=UTC)
    pairing = Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Pairing.Status.ACTIVE,
        proposed_at=begun - timedelta(days=20),
        mentee_accepted_at=begun - timedelta(days=18),
        mentor_accepted_at=begun - timedelta(days=17),
        confirmed_at=begun - timedelta(days=17),
        starts_on=starts_on,
        months=cycle.program_months,
        ends_on=add_months(starts_on, cycle.program_months),
    )
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    for days, status, text in (
        (-20, "proposed", "Proposed by staff"),
        (-17, "confirmed", "Confirmed: both accepted"),
        (-17, "introduced", "Introduced to one another by email"),
        (5, "active", "Active: the introductory call was held"),
    ):
        PairingEvent.objects.create(
            pairing=pairing,
            at=begun + timedelta(days=days),
            status=status,
            actor=staff if status == "proposed" else None,
            description=text,
        )
    IntroCall.objects.create(
        pairing=pairing,
        starts_at=begun + timedelta(days=5, hours=5),
        duration_minutes=30,
        location="https://meet.example.org/intro-demo",
        host=staff,
        uid=f"intro-call-demo-{pairing.pk}@example.org",
        status=IntroCall.Status.HELD,
        outcome_note="A warm start; they agreed on monthly video calls.",
    )
    today = timezone.localdate()
    for number, (first, _last) in enumerate(
        program_months(starts_on, cycle.program_months), 1
    ):
        # Month 4 was missed; the current month has no contact yet.
        if first + timedelta(days=9) >= today or number == 4:
            continue
        CheckIn.objects.create(
            pairing=pairing,
            author=mentee,
            occurred_on=first + timedelta(days=9),
            month=number,
            way=CheckIn.Way.VIDEO if number % 2 else CheckIn.Way.EMAIL,
            initiated_by=CheckIn.Initiator.MENTEE,
            minutes=45 if number % 2 else 15,
            notes="Went through the study protocol draft." if number == 3 else "",
            confirmation=CheckIn.Confirmation.CONFIRMED,
        )
    mentorship_services.pairing_last_contact_refresh([pairing.pk])
    # Through the services, so the plan's history names who wrote what.
    paper = mentorship_services.plan_objective_save(
        pairing_id=pairing.pk,
        user=mentee,
        title="Submit a first clinical research paper",
        success="A manuscript submitted to a peer-reviewed journal",
        target_date=add_months(starts_on, 10),
        status=Objective.Status.ON_TRACK,
    )
    mentorship_services.plan_objective_save(
        pairing_id=pairing.pk,
        user=mentor,
        title="Set up a tumour board for the breast clinic",
        success="A monthly multidisciplinary meeting with minutes",
        target_date=add_months(starts_on, 6),
        status=Objective.Status.DONE,
    )
    for months, title, done in (
        (2, "Agree the research question", True),
        (5, "Draft the methods section", True),
        (9, "Circulate a full draft to co-authors", False),
    ):
        due = add_months(starts_on, months)
        mentorship_services.plan_activity_save(
            pairing_id=pairing.pk,
            user=mentee,
            title=title,
            due_on=due,
            objective=paper,
            done_on=due - timedelta(days=3) if done and due < today else None,
        )
