"""The people of the large demo: 100,000 applicants and 10,000 approved
mentors from every world region, written with bulk inserts.

Idempotent: people are found by email (``ignore_conflicts`` on the unique
email), profiles by their user, so a second run adds nothing.
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .models import Interest, MentorProfile, User
from .regions import sub_region_of

BATCH = 5000


@dataclass(frozen=True)
class Scale:
    cycles: int = 5
    applications: int = 100_000
    mentors: int = 10_000
    pairings: int = 20_000

    @property
    def applications_per_cycle(self) -> int:
        return self.applications // self.cycles


LARGE = Scale()

# Where mentees practise: every world region but Northern America (the
# program is for doctors outside the United States).
MENTEE_PLACES = [
    ("NG", "Africa/Lagos"),
    ("KE", "Africa/Nairobi"),
    ("GH", "Africa/Accra"),
    ("ET", "Africa/Addis_Ababa"),
    ("EG", "Africa/Cairo"),
    ("MA", "Africa/Casablanca"),
    ("IN", "Asia/Kolkata"),
    ("PK", "Asia/Karachi"),
    ("BD", "Asia/Dhaka"),
    ("LK", "Asia/Colombo"),
    ("VN", "Asia/Ho_Chi_Minh"),
    ("PH", "Asia/Manila"),
    ("ID", "Asia/Jakarta"),
    ("CN", "Asia/Shanghai"),
    ("JO", "Asia/Amman"),
    ("TR", "Europe/Istanbul"),
    ("KZ", "Asia/Almaty"),
    ("BR", "America/Sao_Paulo"),
    ("MX", "America/Mexico_City"),
    ("CO", "America/Bogota"),
    ("PE", "America/Lima"),
    ("AR", "America/Argentina/Buenos_Aires"),
    ("PL", "Europe/Warsaw"),
    ("RO", "Europe/Bucharest"),
    ("UA", "Europe/Kyiv"),
    ("PT", "Europe/Lisbon"),
    ("FJ", "Pacific/Fiji"),
    ("PG", "Pacific/Port_Moresby"),
]
MENTOR_PLACES = [
    ("US", "America/New_York"),
    ("US", "America/Chicago"),
    ("US", "America/Los_Angeles"),
    ("CA", "America/Toronto"),
    ("GB", "Europe/London"),
    ("DE", "Europe/Berlin"),
    ("FR", "Europe/Paris"),
    ("IT", "Europe/Rome"),
    ("ES", "Europe/Madrid"),
    ("NL", "Europe/Amsterdam"),
    ("SE", "Europe/Stockholm"),
    ("JP", "Asia/Tokyo"),
    ("KR", "Asia/Seoul"),
    ("SG", "Asia/Singapore"),
    ("AU", "Australia/Sydney"),
    ("NZ", "Pacific/Auckland"),
    ("IL", "Asia/Jerusalem"),
    ("ZA", "Africa/Johannesburg"),
    ("BR", "America/Sao_Paulo"),
    ("IN", "Asia/Kolkata"),
]
POSITIONS = [
    "Professor of Medical Oncology",
    "Consultant Clinical Oncologist",
    "Head of Radiation Oncology",
    "Associate Professor of Surgery",
    "Director of the Cancer Centre",
]
LANGUAGES = [["en"], ["en", "fr"], ["en", "es"], ["en", "de"], ["en", "pt"]]


def applicant_email(number: int) -> str:
    return f"large.applicant.{number:06d}@example.org"


def mentor_email(number: int) -> str:
    return f"large.mentor.{number:05d}@example.org"


def mentee_place(number: int) -> tuple[str, str]:
    return MENTEE_PLACES[number % len(MENTEE_PLACES)]


def mentor_place(number: int) -> tuple[str, str]:
    return MENTOR_PLACES[(number * 7) % len(MENTOR_PLACES)]


def mentor_sub_region(number: int) -> str:
    return sub_region_of(mentor_place(number)[0])


def _users(emails_and_fields, password) -> None:
    rows = list(emails_and_fields)
    for start in range(0, len(rows), BATCH):
        User.objects.bulk_create(
            [
                User(email=email, password=password, **fields)
                for email, fields in rows[start : start + BATCH]
            ],
            ignore_conflicts=True,
        )


def seed(scale: Scale = LARGE) -> str:
    # Nobody logs in as these people: an unusable password, made once.
    password = make_password(None)
    _users(
        (
            (
                applicant_email(n),
                {
                    "full_name": f"Applicant {n:06d}",
                    "country": mentee_place(n)[0],
                    "time_zone": mentee_place(n)[1],
                    "institution": f"Teaching Hospital {n % 700}",
                },
            )
            for n in range(scale.applications)
        ),
        password,
    )
    _users(
        (
            (
                mentor_email(n),
                {
                    "full_name": f"Mentor {n:05d}",
                    "country": mentor_place(n)[0],
                    "time_zone": mentor_place(n)[1],
                    "institution": f"University Cancer Centre {n % 400}",
                },
            )
            for n in range(scale.mentors)
        ),
        password,
    )
    users = dict(
        User.objects.filter(email__startswith="large.mentor.").values_list(
            "email", "pk"
        )
    )
    now = timezone.now()
    MentorProfile.objects.bulk_create(
        [
            MentorProfile(
                user_id=users[mentor_email(n)],
                status=MentorProfile.Status.APPROVED,
                membership_type="full",
                years_experience=10 + n % 25,
                position=POSITIONS[n % len(POSITIONS)],
                languages=LANGUAGES[n % len(LANGUAGES)],
                capacity=1 + n % 3,
                meeting_ways=["video", "email"],
                bio="Oncologist who enjoys helping early-career colleagues.",
                agreed_at=now,
                decided_at=now,
            )
            for n in range(scale.mentors)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    profiles = list(
        MentorProfile.objects.filter(user__email__startswith="large.mentor.")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    areas = list(Interest.objects.filter(kind=Interest.Kind.AREA).order_by("pk"))
    goals = list(Interest.objects.filter(kind=Interest.Kind.GOAL).order_by("pk"))
    for field, choices in (("interests", areas), ("career_goals", goals)):
        through = getattr(MentorProfile, field).through
        through.objects.bulk_create(
            [
                through(mentorprofile_id=profile, interest_id=choice.pk)
                for n, profile in enumerate(profiles)
                for choice in (
                    choices[n % len(choices)],
                    choices[(n + 3) % len(choices)],
                )
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
    return f"{scale.applications:,} applicants and {scale.mentors:,} mentors"
