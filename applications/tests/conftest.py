import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Interest
from mentorship.models import Cycle

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="My CV.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def docx(name="cv.docx"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def open_cycle(db):
    now = timezone.now()
    return Cycle.objects.create(
        name="2026-2027",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=30),
    )


@pytest.fixture
def complete_answers(db):
    area = Interest.objects.filter(kind=Interest.Kind.AREA).first()
    goal = Interest.objects.filter(kind=Interest.Kind.GOAL).first()
    return {
        "membership_type": "in_training",
        "training_completed_year": "2021",
        "training_country": "GB",
        "practice_country": "NG",
        "institution": "Lagos University Teaching Hospital",
        "position": "Consultant oncologist",
        "time_zone": "Africa/Lagos",
        "english_writing": "fluent",
        "english_speaking": "fluent",
        "monthly_hours": "4",
        "meeting_ways": ["video", "email"],
        "interests": [str(area.pk)],
        "career_goals": [str(goal.pk)],
        "statement": "I want guidance on building a breast cancer research program.",
        "prior_idea_award": "no",
        "consent": "on",
    }


def make_submitted(user, cycle, **answers):
    """A complete application by ``user``, submitted through the service (so
    the rules ran); ``answers`` change the defaults, e.g. to make it fail."""
    from django.core.files.base import ContentFile

    from applications import services
    from applications.models import Application

    fields = {
        "membership_type": "in_training",
        "training_completed_year": 2021,
        "practice_country": user.country or "NG",
        "training_country": "GB",
        "institution": "Teaching Hospital",
        "position": "Consultant oncologist",
        "english_writing": "fluent",
        "english_speaking": "fluent",
        "monthly_hours": 4,
        "meeting_ways": ["video"],
        "time_zone": user.time_zone,
        "statement": "I want guidance on building a research program.",
        "prior_idea_award": False,
        "consent": True,
        **answers,
    }
    application = Application(applicant=user, cycle=cycle, **fields)
    application.cv_filename = "cv.pdf"
    application.cv.save("cv.pdf", ContentFile(PDF_BYTES), save=False)
    application.save()
    application.interests.set(Interest.objects.filter(kind=Interest.Kind.AREA)[:2])
    application.career_goals.set(Interest.objects.filter(kind=Interest.Kind.GOAL)[:1])
    return services.application_submit(application_id=application.pk, actor=user)


@pytest.fixture
def submitted(mentee, open_cycle):
    return make_submitted(mentee, open_cycle)


@pytest.fixture
def under_review(submitted, staff):
    from applications import services

    return services.application_assign_reviewer(
        application_id=submitted.pk, actor=staff, reviewer=staff
    )
