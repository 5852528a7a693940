"""The large demo's generators, at a small scale: the program they build is
the one the platform runs (every world region, a mentor from another region
for each mentee, a year of contacts), and a second run adds nothing."""

from django.apps import apps
from django.core.management import call_command

from accounts import demo_large as accounts_large
from accounts.demo_large import Scale
from accounts.regions import sub_region_of
from applications import demo_large as applications_large
from applications.models import Application
from matching import demo_large as matching_large
from mentorship import demo_large as mentorship_large
from mentorship.models import CheckIn, Pairing

SMALL = Scale(cycles=5, applications=500, mentors=120, pairings=200)
LABELS = [
    "accounts.User",
    "accounts.MentorProfile",
    "mentorship.Cycle",
    "applications.Application",
    "mentorship.Pairing",
    "mentorship.CheckIn",
    "mentorship.Objective",
    "mentorship.Activity",
    "mentorship.PairingEvent",
    "mentorship.IntroCall",
]


def seed_small():
    accounts_large.seed(SMALL)
    mentorship_large.seed(SMALL)
    applications_large.seed(SMALL)
    matching_large.seed(SMALL)


def counts():
    return {label: apps.get_model(label).objects.count() for label in LABELS}


def test_the_large_demo_builds_a_whole_program_once(db, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    seed_small()
    first = counts()
    seed_small()
    assert counts() == first

    large = Pairing.objects.filter(mentee__email__startswith="large.")
    assert large.count() == SMALL.pairings
    assert (
        Application.objects.filter(applicant__email__startswith="large.").count()
        == SMALL.applications
    )
    # A mentor from another world region for every mentee, one mentee each
    # per cycle.
    for pairing in large.select_related("mentee", "mentor"):
        assert sub_region_of(pairing.mentee.country) != sub_region_of(
            pairing.mentor.country
        )
    per_cycle = large.values_list("cycle_id", "mentor_id")
    assert len(set(per_cycle)) == len(per_cycle)
    # Mentees from every region of the world but Northern America.
    regions = {sub_region_of(c) for c, _ in accounts_large.MENTEE_PLACES}
    assert {"Sub-Saharan Africa", "Southern Asia", "Eastern Europe"} <= regions
    # Years over are completed or ended; the latest is under way.
    statuses = set(large.values_list("status", flat=True))
    assert {"completed", "ended", "active", "cancelled"} <= statuses
    assert CheckIn.objects.filter(pairing__in=large).exclude(month=0).exists()
    assert not CheckIn.objects.filter(pairing__in=large, month=0).exists()
    # Each pairing keeps its latest contact that counts, as its contacts say.
    kept = dict(large.values_list("pk", "last_contact_on"))
    latest = dict.fromkeys(kept)
    for pairing_id, day in (
        CheckIn.objects.filter(pairing__in=large)
        .exclude(confirmation=CheckIn.Confirmation.DISPUTED)
        .values_list("pairing_id", "occurred_on")
    ):
        latest[pairing_id] = max(filter(None, [latest[pairing_id], day]))
    assert kept == latest
    assert any(kept.values())
