"""Demo people: a staff member, mentors from every world region, a mentee.

Idempotent: people are found by email, and a mentor profile that exists is
left as it is.
"""

from allauth.account.models import EmailAddress
from django.utils import timezone

from .models import Interest, MentorProfile, User

DEMO_PASSWORD = "mentor-demo-2026"

PEOPLE = [
    {
        "role": "staff",
        "email": "staff@example.org",
        "full_name": "Sam Staff",
        "country": "US",
        "time_zone": "America/New_York",
        "institution": "Program office",
        "is_staff": True,
        "is_superuser": True,
    },
    {
        "role": "mentor",
        "email": "mentor@example.org",
        "full_name": "Dr. Maria Schmidt",
        "country": "DE",
        "time_zone": "Europe/Berlin",
        "institution": "Charité - Universitätsmedizin Berlin",
    },
    {
        "role": "mentee",
        "email": "mentee@example.org",
        "full_name": "Dr. Priya Raman",
        "country": "IN",
        "time_zone": "Asia/Kolkata",
        "institution": "Tata Memorial Centre",
    },
]


APPROVED = MentorProfile.Status.APPROVED

# (email, name, country, time zone, institution, position, years, capacity,
#  interest and goal slugs, languages, status, available)
MENTORS = [
    (
        "mentor@example.org",
        "Dr. Maria Schmidt",
        "DE",
        "Europe/Berlin",
        "Charité - Universitätsmedizin Berlin",
        "Professor of Medical Oncology",
        22,
        2,
        ["breast", "gynecologic", "clinical-research", "medical-education"],
        ["de", "en"],
        APPROVED,
        True,
    ),
    (
        "james.okafor@example.org",
        "Dr. James Okafor",
        "US",
        "America/New_York",
        "Memorial Hospital, New York",
        "Attending physician, thoracic oncology",
        18,
        1,
        ["thoracic", "clinical-research", "grant-and-paper-writing"],
        ["en"],
        APPROVED,
        True,
    ),
    (
        "helen.tremblay@example.org",
        "Dr. Hélène Tremblay",
        "CA",
        "America/Toronto",
        "Princess Margaret Cancer Centre",
        "Radiation oncologist",
        15,
        3,
        ["radiation-oncology", "head-and-neck", "leadership-and-administration"],
        ["en", "fr"],
        APPROVED,
        True,
    ),
    (
        "carlos.mendez@example.org",
        "Dr. Carlos Méndez",
        "AR",
        "America/Argentina/Buenos_Aires",
        "Instituto Alexander Fleming",
        "Head of gastrointestinal oncology",
        20,
        2,
        ["gastrointestinal", "clinical-practice", "medical-education"],
        ["es", "pt", "en"],
        APPROVED,
        True,
    ),
    (
        "thandi.nkosi@example.org",
        "Dr. Thandi Nkosi",
        "ZA",
        "Africa/Johannesburg",
        "Groote Schuur Hospital",
        "Senior consultant, haematology",
        14,
        2,
        ["hematologic-malignancies", "global-oncology", "health-policy-and-advocacy"],
        ["en", "zu"],
        APPROVED,
        True,
    ),
    (
        "amina.elsayed@example.org",
        "Dr. Amina El-Sayed",
        "EG",
        "Africa/Cairo",
        "National Cancer Institute, Cairo",
        "Professor of clinical oncology",
        25,
        1,
        ["breast", "palliative-and-supportive-care", "clinical-practice"],
        ["ar", "en", "fr"],
        APPROVED,
        False,
    ),
    (
        "kenji.sato@example.org",
        "Dr. Kenji Sato",
        "JP",
        "Asia/Tokyo",
        "National Cancer Center Hospital, Tokyo",
        "Chief, department of surgical oncology",
        19,
        2,
        ["surgical-oncology", "gastrointestinal", "laboratory-research"],
        ["ja", "en"],
        APPROVED,
        True,
    ),
    (
        "meera.iyer@example.org",
        "Dr. Meera Iyer",
        "SG",
        "Asia/Singapore",
        "National Cancer Centre Singapore",
        "Senior consultant, medical oncology",
        12,
        2,
        ["thoracic", "cancer-prevention-and-screening", "clinical-research"],
        ["en", "ta", "ms"],
        APPROVED,
        True,
    ),
    (
        "olivia.walsh@example.org",
        "Dr. Olivia Walsh",
        "AU",
        "Australia/Sydney",
        "Peter MacCallum Cancer Centre",
        "Director of sarcoma services",
        17,
        2,
        ["sarcoma", "pediatric", "leadership-and-administration"],
        ["en"],
        APPROVED,
        True,
    ),
    (
        "david.kim@example.org",
        "Dr. David Kim",
        "KR",
        "Asia/Seoul",
        "Seoul National University Hospital",
        "Associate professor, neuro-oncology",
        7,
        1,
        ["neuro-oncology", "laboratory-research"],
        ["ko", "en"],
        MentorProfile.Status.PENDING,
        True,
    ),
]

BIO = (
    "I have spent my career in academic oncology, caring for patients and "
    "running clinical studies, and I have mentored residents and fellows from "
    "several countries. I enjoy helping early-career colleagues plan their "
    "next steps, write their first papers and find their place in the field."
)


def seed():
    logins = []
    for person in PEOPLE:
        fields = {k: v for k, v in person.items() if k not in ("role", "email")}
        user, created = User.objects.update_or_create(
            email=person["email"], defaults=fields
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user,
            email=user.email,
            defaults={"verified": True, "primary": True},
        )
        logins.append((person["role"], user.email, DEMO_PASSWORD))
    _seed_mentors()
    return logins


def _seed_mentors():
    staff = User.objects.get(email="staff@example.org")
    for (
        email,
        name,
        country,
        zone,
        institution,
        position,
        years,
        capacity,
        slugs,
        languages,
        status,
        available,
    ) in MENTORS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "full_name": name,
                "country": country,
                "time_zone": zone,
                "institution": institution,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            EmailAddress.objects.create(
                user=user, email=email, verified=True, primary=True
            )
        if MentorProfile.objects.filter(user=user).exists():
            continue
        now = timezone.now()
        decided = status != MentorProfile.Status.PENDING
        mentor = MentorProfile.objects.create(
            user=user,
            status=status,
            membership_type="full",
            years_experience=years,
            position=position,
            languages=languages,
            capacity=capacity,
            meeting_ways=["video", "email"],
            bio=BIO,
            is_available=available,
            agreed_at=now,
            decided_at=now if decided else None,
            decided_by=staff if decided else None,
        )
        interests = Interest.objects.filter(slug__in=slugs)
        mentor.interests.set(interests.filter(kind=Interest.Kind.AREA))
        mentor.career_goals.set(interests.filter(kind=Interest.Kind.GOAL))
