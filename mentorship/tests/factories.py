import factory
from django.utils import timezone

from accounts.models import Interest, MentorProfile
from mentorship.models import OutboundEmail


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundEmail

    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    event = "test"
    to = factory.Sequence(lambda n: f"person{n}@example.com")
    from_email = "Program <program@example.org>"
    subject = "Hello"
    body_text = "Plain text body"


def mentor_profile(user, **fields):
    """An approved mentor profile for ``user`` with sensible answers."""
    values = {
        "status": MentorProfile.Status.APPROVED,
        "membership_type": "full",
        "years_experience": 15,
        "position": "Professor of oncology",
        "languages": ["en"],
        "capacity": 2,
        "meeting_ways": ["video"],
        "bio": "Twenty years in breast oncology.",
        "agreed_at": timezone.now(),
        **fields,
    }
    profile = MentorProfile.objects.create(user=user, **values)
    profile.interests.set(Interest.objects.filter(slug="breast"))
    profile.career_goals.set(Interest.objects.filter(slug="clinical-research"))
    return profile
