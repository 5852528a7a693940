"""Demo mentee applications in every state, from several countries and regions.

Idempotent: people and applications are found by email and cycle, and only
created or brought back to their demo state.
"""

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.db.models import Q

from accounts.demo import DEMO_PASSWORD
from accounts.models import Interest, User
from mentorship.selectors import cycle_status

from . import services
from .models import Application

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

BASE = {
    "membership_type": "in_training",
    "still_in_training": False,
    "training_completed_year": 2021,
    "english_writing": "fluent",
    "english_speaking": "fluent",
    "monthly_hours": 4,
    "meeting_ways": ["video", "email"],
    "prior_idea_award": False,
    "consent": True,
    "statement": "I am building a clinical practice and a first research "
    "project, and would value guidance from someone who has done both.",
}

# (email, name, country, time zone, interests, goals, target state, overrides)
MENTEES = [
    (
        "mentee@example.org",
        "Dr. Priya Raman",
        "IN",
        "Asia/Kolkata",
        ["breast", "clinical-research"],
        "submitted",
        {},
    ),
    (
        "ana.souza@example.org",
        "Dr. Ana Souza",
        "BR",
        "America/Sao_Paulo",
        ["gastrointestinal", "medical-education"],
        "submitted",
        {},
    ),
    (
        "kwame.mensah@example.org",
        "Dr. Kwame Mensah",
        "GH",
        "Africa/Accra",
        ["hematologic-malignancies", "leadership-and-administration"],
        "submitted",
        {"membership_type": "non_member", "membership_application_submitted": True},
    ),
    (
        "lin.wei@example.org",
        "Dr. Lin Wei",
        "CN",
        "Asia/Shanghai",
        ["thoracic", "laboratory-research"],
        "submitted",
        {"still_in_training": True, "training_completed_year": None},
    ),
    (
        "sofia.garcia@example.org",
        "Dr. Sofía García",
        "MX",
        "America/Mexico_City",
        ["gynecologic", "clinical-practice"],
        "draft",
        {},
    ),
    (
        "omar.haddad@example.org",
        "Dr. Omar Haddad",
        "JO",
        "Asia/Amman",
        ["head-and-neck", "grant-and-paper-writing"],
        "ineligible",
        {"prior_idea_award": True},
    ),
    (
        "emily.carter@example.org",
        "Dr. Emily Carter",
        "US",
        "America/Chicago",
        ["melanoma-and-skin", "clinical-research"],
        "ineligible",
        {},
    ),
    (
        "nguyen.an@example.org",
        "Dr. Nguyen An",
        "VN",
        "Asia/Ho_Chi_Minh",
        ["radiation-oncology", "health-policy-and-advocacy"],
        "withdrawn",
        {},
    ),
]


def seed():
    cycle = cycle_status().open_cycle
    if cycle is None:
        return []
    for email, name, country, zone, slugs, state, overrides in MENTEES:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": name, "country": country, "time_zone": zone},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        application = services.application_start(user=user, cycle=cycle)
        if not application.position:
            _fill(application, country, zone, slugs, overrides)
        if application.status == state:
            continue
        if state in ("submitted", "ineligible"):
            services.application_submit(application_id=application.pk, actor=user)
        elif state == "withdrawn":
            services.application_withdraw(application_id=application.pk, actor=user)
    return []


def _fill(application: Application, country, zone, slugs, overrides):
    for field, value in {**BASE, **overrides}.items():
        setattr(application, field, value)
    application.practice_country = country
    application.training_country = country
    application.time_zone = zone
    application.institution = application.institution or "University Hospital"
    application.position = "Consultant oncologist"
    if not application.cv:
        application.cv_filename = "CV.pdf"
        application.cv.save("cv.pdf", ContentFile(PDF), save=False)
    application.save()
    interests = Interest.objects.filter(Q(slug__in=slugs))
    application.interests.set(interests.filter(kind=Interest.Kind.AREA))
    application.career_goals.set(interests.filter(kind=Interest.Kind.GOAL))
