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
