"""A mentee's whole year on the platform, made through the services, for the
tests of their copy of their data and of deleting their account: an
application with a CV under staff review, a pairing with contacts, a plan,
staff's follow-ups and an early end, surveys, reminders and emails."""

import base64
from datetime import timedelta

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from applications import services as applications_services
from applications.models import Application
from applications.tests.conftest import make_submitted
from conftest import PASSWORD
from mentorship import services
from mentorship.models import (
    CheckIn,
    Cycle,
    OpeningNotification,
    OutboundEmail,
    Pairing,
    PulseAnswer,
    Reminder,
    SurveyResponse,
)
from mentorship.tests.factories import mentor_profile

NAME = "Amara Okafor"


def reauthenticate(client) -> None:
    """What allauth asks before a sensitive step: the password again."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def build_world(mentee, mentor, staff) -> dict:
    now = timezone.now()
    today = timezone.localdate()
    cycle = Cycle.objects.create(
        name="2026",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=30),
        program_starts_on=today - timedelta(days=70),
    )
    application = make_submitted(mentee, cycle)
    applications_services.application_assign_reviewer(
        application_id=application.pk, actor=staff, reviewer=staff
    )
    applications_services.application_save_staff_notes(
        application_id=application.pk,
        actor=staff,
        notes=f"{NAME} impressed the panel.",
    )
    applications_services.application_rate(
        application_id=application.pk, actor=staff, rating=4, comment="Strong CV."
    )
    applications_services.application_approve(
        application_id=application.pk, actor=staff
    )
    applications_services.application_mark_matched(application_id=application.pk)
    application.refresh_from_db()
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Application),
        object_id=str(application.pk),
        object_repr=str(application),
        action_flag=CHANGE,
        change_message="[]",
    )

    mentor_profile(mentor)
    pairing = Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Pairing.Status.CONFIRMED,
        confirmed_at=now - timedelta(days=75),
        starts_on=today - timedelta(days=70),
        months=12,
        ends_on=today + timedelta(days=295),
    )
    services.checkin_log(
        pairing_id=pairing.pk,
        author=mentee,
        occurred_on=today - timedelta(days=60),
        way=CheckIn.Way.VIDEO,
        initiated_by=CheckIn.Initiator.MENTEE,
        minutes=45,
        other_topics="grant writing",
        notes="My own private thoughts on the call.",
        notes_private=True,
    )
    services.checkin_log(
        pairing_id=pairing.pk,
        author=mentor,
        occurred_on=today - timedelta(days=30),
        way=CheckIn.Way.EMAIL,
        initiated_by=CheckIn.Initiator.MENTEE,
        minutes=20,
        notes=f"{NAME} presented her research plan.",
    )
    services.checkin_log(
        pairing_id=pairing.pk,
        author=mentor,
        occurred_on=today - timedelta(days=25),
        way=CheckIn.Way.PHONE,
        initiated_by=CheckIn.Initiator.MENTOR,
        minutes=15,
        notes="The mentor's private worry.",
        notes_private=True,
    )
    services.plan_objective_save(
        pairing_id=pairing.pk, user=mentee, title=f"{NAME}'s first paper"
    )
    services.pairing_nudge(pairing_id=pairing.pk, staff=staff)
    services.pairing_note_staff_check_in(
        pairing_id=pairing.pk, staff=staff, note=f"Called {NAME}; all well."
    )
    PulseAnswer.objects.create(pairing=pairing, month=1, person=mentee, talked=True)
    Reminder.objects.create(
        pairing=pairing,
        kind=Reminder.Kind.MID_MONTH,
        key="month:2",
        recipient=mentee.email,
        person=mentee,
        text="Month 2 is half gone.",
    )
    # A calendar invitation to the mentor names both attendees.
    services.email_queue(
        key="test:invitation",
        event="pairing.intro_call",
        to=mentor.email,
        subject="Introductory call",
        body_text="See the invitation.",
        attachments=[
            services.attachment(
                "invite.ics",
                f"ATTENDEE;CN={NAME}:mailto:{mentee.email}\r\n",
                "text/calendar",
            )
        ],
    )
    OpeningNotification.objects.create(email=mentee.email)
    services.pairing_end_early(
        pairing_id=pairing.pk, reason=f"{NAME} moved abroad.", actor=staff
    )
    for person, helped in ((mentee, f"I am {NAME} and it helped."), (mentor, "")):
        services.survey_answer(
            pairing_id=pairing.pk,
            person=person,
            kind=SurveyResponse.Kind.CLOSING,
            answers={
                "rating": 4 if person == mentee else 5,
                "objectives_achieved": "some",
                "would_recommend": True,
                "helped": helped,
                "to_change": "More structure." if person == mentor else "",
                "take_part_again": True,
            },
        )
    pairing.refresh_from_db()
    return {"cycle": cycle, "application": application, "pairing": pairing}


def text_columns(model) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
    ]


def rows_naming(*texts) -> list[str]:
    """Every row of every table whose text names one of ``texts``, and every
    email attachment (stored in base64) that does; sessions hold only ids."""
    found = []
    for model in apps.get_models():
        if model._meta.db_table == "django_session":
            continue
        columns = text_columns(model)
        if not columns:
            continue
        for text in texts:
            query = Q()
            for column in columns:
                query |= Q(**{f"{column}__icontains": text})
            for row in model._base_manager.filter(query):
                found.append(f"{model._meta.label} #{row.pk}: {text}")
    for email in OutboundEmail.objects.exclude(attachments=[]):
        for item in email.attachments:
            content = base64.b64decode(item["content"]).decode(errors="replace")
            found += [
                f"attachment of email #{email.pk}: {text}"
                for text in texts
                if text.lower() in content.lower()
            ]
    return found
