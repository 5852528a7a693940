"""Every email template rendered with sample data, for staff to preview.

Lives in the top layer because the samples come from every app. Nothing here
is saved: the sample people, application, pairing and call are unsaved model
instances, so a preview never touches real records.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import DeletionRequest, User
from applications.models import Application
from mentorship.models import CheckIn, Cycle, IntroCall, Pairing, Reminder
from mentorship.selectors import local_time

EMAILS_DIR = Path(settings.BASE_DIR) / "templates" / "emails"


def template_names() -> list[str]:
    return sorted(
        path.name.removesuffix("_subject.txt")
        for path in EMAILS_DIR.glob("*_subject.txt")
    )


def sample_context() -> dict:
    now = timezone.now().replace(microsecond=0)
    cycle = Cycle(
        pk=0,
        name="2027\N{EN DASH}2028 cycle",
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=70),
        program_starts_on=date(now.year + 1, 3, 1),
    )
    mentee = User(
        pk=1,
        email="amara.okafor@example.org",
        full_name="Dr. Amara Okafor",
        country="NG",
        time_zone="Africa/Lagos",
        institution="Lagos University Teaching Hospital",
    )
    mentor = User(
        pk=2,
        email="henrik.larsen@example.org",
        full_name="Dr. Henrik Larsen",
        country="DK",
        time_zone="Europe/Copenhagen",
        institution="Rigshospitalet",
    )
    host = User(pk=3, email="staff@example.org", full_name="Sam Staff")
    application = Application(
        pk=0,
        applicant=mentee,
        cycle=cycle,
        status=Application.Status.SUBMITTED,
        submitted_at=now,
        message_to_applicant="Please tell us more about your research plans.",
    )
    pairing = Pairing(
        pk=0,
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        respond_by=now + timedelta(days=14),
        starts_on=cycle.program_starts_on,
        ends_on=cycle.program_starts_on.replace(year=cycle.program_starts_on.year + 1),
    )
    call = IntroCall(
        pairing=pairing,
        starts_at=datetime(now.year + 1, 3, 10, 14, tzinfo=UTC),
        duration_minutes=30,
        location="https://meet.example.org/intro",
        host=host,
    )
    failed = [
        {
            "label": "Country of practice",
            "outcome": "fail",
            "reason": "The program is for doctors training or practising outside "
            "the United States.",
        }
    ]
    url = settings.SITE_URL
    return {
        "cycle": cycle,
        "application": application,
        "applicant": mentee,
        "failed": failed,
        "message": application.message_to_applicant,
        "mentor": mentor,
        # What the introduction says about the other person.
        "profile": {
            "position": "Professor of oncology",
            "interests": ["Breast", "Gynecologic"],
            "career_goals": ["Clinical research", "Medical education"],
            "meeting_ways": ["Video call", "Email"],
            "languages": ["Danish", "English"],
        },
        "note": "Welcome to the program.",
        "pairing": pairing,
        "person": mentee,
        "other": mentor,
        "role": "mentee",
        "is_mentee": True,
        "last_contact": now.date() - timedelta(days=40),
        "other_time": local_time(mentor.time_zone, reader_time_zone=mentee.time_zone),
        "overlap_hours": 8,
        "reason": "",
        "you_declined": False,
        "call": call,
        "checkin": CheckIn(
            pairing=pairing,
            author=mentor,
            occurred_on=now.date(),
            way=CheckIn.Way.VIDEO,
            initiated_by=CheckIn.Initiator.MENTEE,
            minutes=45,
        ),
        "author": mentor,
        "month": 2,
        "items": [
            Reminder(
                pairing=pairing,
                kind=Reminder.Kind.MID_MONTH,
                text="Month 2 is half gone and no contact is logged yet.",
                created_at=now,
            )
        ],
        "admin_url": f"{settings.SITE_URL}/admin/mentorship/pairing/0/change/",
        "reminder": Reminder(
            pairing=pairing,
            kind=Reminder.Kind.ACTIVITY_DUE,
            text="“Draft the methods section” is due on 1 February.",
        ),
        "yes_url": f"{settings.SITE_URL}/pulse/sample-yes/",
        "no_url": f"{settings.SITE_URL}/pulse/sample-no/",
        "time_zone": mentee.time_zone,
        "recipient_time_zone": mentee.time_zone,
        "rescheduled": False,
        "site_url": url,
        "status_url": f"{url}/applications/0/",
        "form_url": f"{url}/apply/form/",
        "apply_url": f"{url}/apply/",
        "profile_url": f"{url}/mentors/profile/",
        "pairings_url": f"{url}/pairings/",
        "pairing_url": f"{url}/pairings/0/",
        "plan_url": f"{url}/pairings/0/plan/",
        "survey_url": f"{url}/pairings/0/survey/closing/",
        "months_added": 3,
        "early": False,
        "unsubscribe_url": f"{url}/notify/unsubscribe/sample/",
        # Your data: a copy to download, deleting the account.
        "download_url": f"{url}/account/data/exports/0/download/",
        "expires_at": now + timedelta(days=7),
        "request": DeletionRequest(user=mentee, requested_at=now),
        "refusal_reason": "Your pairing's year is under way; staff will call you "
        "to talk about ending it first.",
        "name": mentee.display_name,
    }


def render_preview(name: str) -> dict:
    """Subject, text and HTML of one template with the sample data."""
    if name not in template_names():
        raise KeyError(name)
    context = sample_context()
    return {
        "name": name,
        "subject": " ".join(
            render_to_string(f"emails/{name}_subject.txt", context).split()
        ),
        "text": render_to_string(f"emails/{name}.txt", context),
        "html": render_to_string(f"emails/{name}.html", context),
    }
