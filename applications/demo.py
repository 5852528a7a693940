"""Demo mentee applications in every state, from several countries and regions.

Idempotent: people and applications are found by email and cycle, and only
created or moved on towards their demo state, through the same services staff
and applicants use.
"""

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.db.models import Q

from accounts.demo import DEMO_PASSWORD
from accounts.models import Interest, User
from mentorship.selectors import cycle_status

from . import services, states
from .models import Application, DeclineReason

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
        "approved",
        {},
    ),
    (
        "ravi.perera@example.org",
        "Dr. Ravi Perera",
        "LK",
        "Asia/Colombo",
        ["thoracic", "clinical-research"],
        "approved",
        {},
    ),
    (
        "marta.kowalska@example.org",
        "Dr. Marta Kowalska",
        "PL",
        "Europe/Warsaw",
        ["radiation-oncology", "grant-and-paper-writing"],
        "approved",
        {},
    ),
    (
        "andres.rojas@example.org",
        "Dr. Andrés Rojas",
        "CO",
        "America/Bogota",
        ["gastrointestinal", "medical-education"],
        "approved",
        {},
    ),
    (
        "chipo.moyo@example.org",
        "Dr. Chipo Moyo",
        "ZW",
        "Africa/Harare",
        ["hematologic-malignancies", "leadership-and-administration"],
        "approved",
        {},
    ),
    (
        "ana.souza@example.org",
        "Dr. Ana Souza",
        "BR",
        "America/Sao_Paulo",
        ["gastrointestinal", "medical-education"],
        "under_review",
        {},
    ),
    (
        "kwame.mensah@example.org",
        "Dr. Kwame Mensah",
        "GH",
        "Africa/Accra",
        ["hematologic-malignancies", "leadership-and-administration"],
        "waitlisted",
        {"membership_type": "non_member", "membership_application_submitted": True},
    ),
    (
        "lin.wei@example.org",
        "Dr. Lin Wei",
        "CN",
        "Asia/Shanghai",
        ["thoracic", "laboratory-research"],
        "info_requested",
        {"still_in_training": True, "training_completed_year": None},
    ),
    (
        "carlos.mendoza@example.org",
        "Dr. Carlos Mendoza",
        "CO",
        "America/Bogota",
        ["sarcoma", "clinical-practice"],
        "submitted",
        {"training_completed_year": 2019},
    ),
    (
        "aisha.bello@example.org",
        "Dr. Aisha Bello",
        "NG",
        "Africa/Lagos",
        ["pediatric", "laboratory-research"],
        "resubmitted",
        {"membership_type": "full"},
    ),
    (
        "fatima.benali@example.org",
        "Dr. Fatima Benali",
        "MA",
        "Africa/Casablanca",
        ["genitourinary", "medical-education"],
        "declined",
        {"monthly_hours": 2},
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


# What staff write, in the demo, at each step of a review.
QUESTION = (
    "Your statement mentions a move to a new hospital. Where will you work "
    "from next year, and will you still have time for the program?"
)
JUDGEMENT = "Read in full: a clear, well-argued statement and a solid CV."

# The steps towards each demo state, in order; each step is taken only while
# the state machine allows it, so seeding again changes nothing.
STEPS = {
    "draft": [],
    "submitted": ["submit"],
    "ineligible": ["submit"],
    "withdrawn": ["withdraw"],
    "under_review": ["submit", "review"],
    "waitlisted": ["submit", "review", "waitlist"],
    "approved": ["submit", "review", "judge", "approve"],
    "declined": ["submit", "review", "decline"],
    "info_requested": ["submit", "review", "request_info"],
    "resubmitted": ["submit", "review", "request_info", "resubmit"],
}


def seed():
    cycle = cycle_status().open_cycle
    if cycle is None:
        return []
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()
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
        for step in STEPS[state]:
            application.refresh_from_db()
            if application.status == state:
                break
            _take(step, application, user, staff)
    return []


def _take(step: str, application: Application, user: User, staff: User | None):
    pk = application.pk
    status = application.status
    if step == "submit" and states.allows("submit", status):
        services.application_submit(application_id=pk, actor=user)
    elif step == "withdraw" and states.allows("withdraw", status):
        services.application_withdraw(application_id=pk, actor=user)
    elif step == "resubmit" and states.allows("resubmit", status):
        services.application_resubmit(application_id=pk, actor=user)
    elif staff is None:
        return  # reviewing needs a staff member: accounts' demo seeds one
    elif step == "review" and states.allows("start_review", status):
        services.application_assign_reviewer(
            application_id=pk, actor=staff, reviewer=staff
        )
        services.application_rate(
            application_id=pk, actor=staff, rating=4, comment="Motivated; good fit."
        )
    elif step == "judge" and status in states.OVERRIDABLE:
        for criterion in ("interest_statement", "cv"):
            services.application_override_eligibility(
                application_id=pk,
                actor=staff,
                criterion=criterion,
                outcome="pass",
                note=JUDGEMENT,
            )
    elif step == "approve" and states.allows("approve", status):
        services.application_approve(application_id=pk, actor=staff)
    elif step == "waitlist" and states.allows("waitlist", status):
        services.application_waitlist(application_id=pk, actor=staff)
    elif step == "request_info" and states.allows("request_info", status):
        services.application_request_info(
            application_id=pk, actor=staff, question=QUESTION
        )
    elif step == "decline" and states.allows("decline", status):
        services.application_decline(
            application_id=pk,
            actor=staff,
            reason=DeclineReason.objects.filter(title="Limited places").first(),
            message="Your application was strong; please apply again next cycle.",
        )


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
