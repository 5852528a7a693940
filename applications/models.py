from django.conf import settings
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from accounts.models import Interest, MembershipType
from accounts.timezones import validate_time_zone
from mentorship.models import Cycle

from .storage import cv_upload_to, private_storage


class Fluency(models.TextChoices):
    FLUENT = "fluent", "Fluent or native"
    WORKING = "working", "Good working knowledge"
    LIMITED = "limited", "Limited"


class MeetingWay(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    IN_PERSON = "in_person", "In person"


class Application(models.Model):
    """A mentee's application to one cycle of the program."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        INELIGIBLE = "ineligible", "Not eligible"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # States in which the applicant may still change their answers.
    EDITABLE = (Status.DRAFT, Status.SUBMITTED, Status.INELIGIBLE)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT
    )

    membership_type = models.CharField(
        max_length=20, choices=MembershipType.choices, blank=True
    )
    membership_application_submitted = models.BooleanField(
        "I am sending a membership application with this application", default=False
    )
    still_in_training = models.BooleanField(
        "I am still in my oncology training", default=False
    )
    training_completed_year = models.PositiveSmallIntegerField(
        "year you completed your oncology training", null=True, blank=True
    )
    practice_country = CountryField(
        "country where you practise or train now", blank=True
    )
    training_country = CountryField(
        "country where you did your oncology training", blank=True
    )
    institution = models.CharField(max_length=200, blank=True)
    position = models.CharField("position or job title", max_length=200, blank=True)
    english_writing = models.CharField(
        "written English", max_length=10, choices=Fluency.choices, blank=True
    )
    english_speaking = models.CharField(
        "spoken English", max_length=10, choices=Fluency.choices, blank=True
    )
    monthly_hours = models.PositiveSmallIntegerField(
        "hours a month you will give to mentoring", null=True, blank=True
    )
    statement = models.TextField("why you want a mentor", blank=True)
    interests = models.ManyToManyField(
        Interest,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Interest.Kind.AREA},
    )
    career_goals = models.ManyToManyField(
        Interest,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Interest.Kind.GOAL},
    )
    meeting_ways = models.JSONField("preferred ways to meet", default=list, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone]
    )
    cv = models.FileField(
        "CV", storage=private_storage, upload_to=cv_upload_to, blank=True
    )
    cv_filename = models.CharField(max_length=255, blank=True)
    prior_idea_award = models.BooleanField(
        "I have received an IDEA or IDEA-PC award", null=True, blank=True
    )
    consent = models.BooleanField(default=False)

    # What the eligibility rules said at the last submission, as shown to staff.
    eligibility = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "cycle"], name="application_one_per_person_cycle"
            ),
        ]
        indexes = [
            models.Index(
                fields=["cycle", "status"], name="application_cycle_status_idx"
            ),
        ]

    def __str__(self):
        return f"{self.applicant} · {self.cycle}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE and self.cycle.is_open()

    @property
    def failed_criteria(self) -> list[dict]:
        return [r for r in self.eligibility if r["outcome"] == "fail"]


class ApplicationEvent(models.Model):
    """One line of an application's history: what happened, when, by whom."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=20, choices=Application.Status.choices)
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["application", "at"], name="app_event_timeline_idx")
        ]

    def __str__(self):
        return self.description
