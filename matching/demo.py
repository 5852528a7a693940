"""Demo pairings in the open cycle: some mentors full, some with room.

Runs after the applications demo, whose mentees it pairs. Idempotent: a
pairing is found by mentee and cycle.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from mentorship.models import Pairing
from mentorship.selectors import cycle_status

# (mentee, mentor, status). The second mentor has room for one mentee only, so
# is full; the demo mentor can take two, so has room for one more.
PAIRINGS = [
    ("mentee@example.org", "mentor@example.org", Pairing.Status.CONFIRMED),
    ("ana.souza@example.org", "james.okafor@example.org", Pairing.Status.CONFIRMED),
    ("kwame.mensah@example.org", "helen.tremblay@example.org", Pairing.Status.PROPOSED),
]


def seed():
    cycle = cycle_status().open_cycle
    if cycle is None:
        return []
    people = User.objects.in_bulk(
        {email for pair in PAIRINGS for email in pair[:2]}, field_name="email"
    )
    now = timezone.now()
    for mentee, mentor, status in PAIRINGS:
        if Pairing.objects.filter(mentee=people[mentee], cycle=cycle).exists():
            continue
        confirmed = status == Pairing.Status.CONFIRMED
        starts_on = cycle.program_starts_on
        Pairing.objects.create(
            cycle=cycle,
            mentee=people[mentee],
            mentor=people[mentor],
            status=status,
            proposed_at=now,
            confirmed_at=now if confirmed else None,
            starts_on=starts_on if confirmed else None,
            ends_on=starts_on + timedelta(days=365) if confirmed else None,
        )
    return []
