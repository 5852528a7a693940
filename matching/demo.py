"""Demo pairings in the open cycle: some mentors full, some with room.

Runs after the applications demo, whose approved mentees it pairs; two
approved mentees are left for staff to match. Idempotent: a pairing is found
by mentee and cycle.
"""

from django.utils import timezone

from accounts.models import User
from applications import services as application_services
from applications.models import Application
from mentorship.models import Pairing
from mentorship.months import add_months
from mentorship.selectors import cycle_status

# (mentee, mentor, status). James Okafor takes one mentee, so is full; the
# demo mentor takes two, so has room for one more.
PAIRINGS = [
    ("mentee@example.org", "mentor@example.org", Pairing.Status.CONFIRMED),
    ("ravi.perera@example.org", "james.okafor@example.org", Pairing.Status.CONFIRMED),
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
        confirmed = status == Pairing.Status.CONFIRMED
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
            ends_on=add_months(starts_on, cycle.program_months) if confirmed else None,
        )
    return []
