from django.core.management import call_command
from django.db.models import Count, Q

from accounts.models import MentorProfile
from accounts.regions import region_of
from mentorship.models import Pairing


def test_demo_has_mentors_in_every_region_some_full_and_one_pending(db):
    call_command("seed_demo")
    call_command("seed_demo")
    approved = MentorProfile.objects.filter(
        status=MentorProfile.Status.APPROVED
    ).select_related("user")
    regions = {region_of(m.user.country).region for m in approved}
    assert regions == {"Africa", "Americas", "Asia", "Europe", "Oceania"}
    assert MentorProfile.objects.filter(status="pending").count() == 1
    assert MentorProfile.objects.get(status="pending").experience_flag

    load = approved.annotate(
        taken=Count(
            "user__pairings_as_mentor",
            filter=Q(user__pairings_as_mentor__status__in=Pairing.OPEN),
        )
    )
    assert any(m.taken >= m.capacity for m in load), "no mentor is full"
    assert any(m.taken < m.capacity and m.is_available for m in load)
    assert Pairing.objects.filter(
        mentee__email="mentee@example.org", mentor__email="mentor@example.org"
    ).exists()
    for pairing in Pairing.objects.select_related("mentee", "mentor"):
        assert region_of(pairing.mentee.country).sub_region != (
            region_of(pairing.mentor.country).sub_region
        )


def test_demo_mentor_and_mentee_see_their_pairing(client, db):
    call_command("seed_demo")
    pairing = Pairing.objects.get(mentee__email="mentee@example.org")
    for email, other in (
        ("mentor@example.org", "Dr. Priya Raman"),
        ("mentee@example.org", "Dr. Maria Schmidt"),
    ):
        client.post(
            "/accounts/login/", {"login": email, "password": "mentor-demo-2026"}
        )
        page = client.get(f"/pairings/{pairing.pk}/").content.decode()
        assert other in page
        client.logout()


def test_demo_has_a_year_under_way_with_contacts_and_a_plan(db):
    from mentorship.models import CheckIn, Objective

    call_command("seed_demo")
    pairing = Pairing.objects.get(mentee__email="fatima.zahra@example.org")
    assert pairing.status == Pairing.Status.ACTIVE
    assert pairing.mentor.email == "mentor@example.org"
    assert CheckIn.objects.filter(pairing=pairing).count() >= 3
    assert Objective.objects.filter(pairing=pairing).count() == 2
    assert Objective.history.filter(pairing_id=pairing.pk).first().history_user
