from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from accounts.models import Interest, MembershipType
from accounts.regions import region_of
from accounts.timezones import validate_time_zone
from mentorship.models import Cycle

from . import eligibility as rules
from . import states
from .storage import cv_upload_to, private_storage

# In place of the applicant of an application whose personal data is removed.
FORMER_APPLICANT = "A former applicant"


class Fluency(models.TextChoices):
    FLUENT = "fluent", "Fluent or native"
    WORKING = "working", "Good working knowledge"
    LIMITED = "limited", "Limited"


class EligibilityOutcome(models.TextChoices):
    PASS = rules.PASS, rules.OUTCOME_LABELS[rules.PASS]
    FAIL = rules.FAIL, rules.OUTCOME_LABELS[rules.FAIL]
    REVIEW = rules.REVIEW, rules.OUTCOME_LABELS[rules.REVIEW]


class DeclineReason(models.Model):
    """A reason staff can pick when they decline an application; its text is
    what the applicant reads, so staff can word it once and reuse it."""

    title = models.CharField(
        max_length=100, unique=True, help_text="How staff find it in the list."
    )
    text = models.TextField(
        "text for the applicant",
        help_text="Sent to the applicant in the decision email and shown on "
        "their application page.",
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Inactive reasons are no longer offered but stay on the "
        "applications declined with them.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers are listed first."
    )

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title


class Application(models.Model):
    """A mentee's application to one cycle of the program."""

    Status = states.Status

    # States in which the applicant may change their answers while the window
    # is open. Asked for more information, they may change them at any time.
    EDITABLE = (Status.DRAFT, Status.SUBMITTED, Status.INELIGIBLE)

    # Empty once the application's personal data is removed (``purged_at``):
    # the row stays, without anyone's name on it, for the cycle's figures.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="applications",
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
    languages = models.JSONField(
        "other languages you speak",
        default=list,
        blank=True,
        help_text="ISO 639-1 codes, besides English.",
    )
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
    # The whole application's outcome after staff overrides, kept as a column
    # so that the review queue can filter on it with an index.
    eligibility_outcome = models.CharField(
        max_length=10, choices=EligibilityOutcome.choices, blank=True
    )
    # Staff's outcome for each criterion they overrode ({criterion: "pass" or
    # "fail"}), kept with the outcome above (services._refresh_outcome) from
    # the EligibilityOverride rows, which hold the notes: the review queue's
    # rows show what fails without reading the overrides.
    override_outcomes = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Staff review: never shown to the applicant, except the message.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications_to_review",
        limit_choices_to={"is_staff": True},
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.ForeignKey(
        DeclineReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    message_to_applicant = models.TextField(
        blank=True,
        help_text="The last question or decision text staff sent the applicant.",
    )
    # The last decision: staff's, or the applicant's own when they withdrew.
    # A declined or withdrawn application's retention period counts from it.
    decided_at = models.DateTimeField(null=True, blank=True)
    # When its personal data was removed: the applicant deleted their account,
    # or it was declined or withdrawn longer ago than the retention period.
    purged_at = models.DateTimeField("personal data removed at", null=True, blank=True)
    # Approved and still without a mentor after matching: set when staff
    # waitlist the mentee or a proposed pairing falls through. Matching offers
    # these mentees first, longest waiting first.
    waiting_for_mentor_since = models.DateTimeField(null=True, blank=True)
    staff_notes = models.TextField(
        blank=True,
        help_text="For staff; not shown on the applicant's pages, but part of "
        "the copy of their data they may ask for.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "cycle"], name="application_one_per_person_cycle"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=1, rating__lte=5),
                name="application_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(
                fields=["cycle", "status"], name="application_cycle_status_idx"
            ),
            # What the review queue filters and sorts on.
            models.Index(fields=["status"], name="application_status_idx"),
            models.Index(
                fields=["eligibility_outcome"], name="application_outcome_idx"
            ),
            models.Index(fields=["practice_country"], name="application_country_idx"),
            # The queue's order, newest first. Drafts are left out of the
            # queue and have no date: in the index they came first, and every
            # page began by reading past all of them.
            models.Index(
                fields=["-submitted_at", "-id"],
                condition=~models.Q(status="draft"),
                name="application_submitted_idx",
            ),
            # The queue's sort by years since training, those still in
            # training (no year) first, as the admin's column sorts: on
            # PostgreSQL a descending index puts nulls first (SQLite accepts
            # no NULLS FIRST in an index).
            models.Index(
                fields=["-training_completed_year", "-id"],
                condition=~models.Q(status="draft"),
                name="application_years_sort_idx",
            ),
            # The queue's sort by rating, unrated last (see the admin).
            models.Index(
                Coalesce("rating", 0).desc(),
                F("id").desc(),
                name="application_rating_sort_idx",
            ),
            # The retention purge's query, and the admin's "due for purge".
            models.Index(
                fields=["decided_at"],
                condition=models.Q(
                    status__in=states.RETAINED_FOR_A_PERIOD, purged_at__isnull=True
                ),
                name="application_retention_idx",
            ),
        ]

    def __str__(self):
        return f"{self.applicant_label} · {self.cycle}"

    @property
    def applicant_label(self) -> str:
        if self.applicant is None:
            return FORMER_APPLICANT
        return str(self.applicant)

    @property
    def is_editable(self) -> bool:
        if self.status == self.Status.INFO_REQUESTED:
            return True
        return self.status in self.EDITABLE and self.cycle.is_open()

    @property
    def is_open(self) -> bool:
        return self.status in states.OPEN

    def overrides(self) -> dict[str, "EligibilityOverride"]:
        """Staff overrides by criterion (``selectors.review_queue`` fetches
        them for many applications at once)."""
        listed = getattr(self, "listed_overrides", None)
        if listed is None:
            listed = self.eligibility_overrides.all()
        return {o.criterion: o for o in listed}

    def interest_names(self) -> list[str]:
        listed = getattr(self, "listed_interests", None)
        if listed is None:
            listed = self.interests.all()
        return [interest.name for interest in listed]

    @property
    def effective_eligibility(self) -> list[dict]:
        """Each criterion with the outcome that counts, staff's where they
        overrode it, and the override itself."""
        overrides = self.overrides()
        results = rules.with_overrides(
            self.eligibility, {c: o.outcome for c, o in overrides.items()}
        )
        for result in results:
            result["override"] = overrides.get(result["criterion"])
        return results

    @property
    def failed_criteria(self) -> list[dict]:
        """The criteria that fail, staff's outcome counting where they
        overrode one (``override_outcomes``: no query)."""
        return [
            r
            for r in rules.with_overrides(self.eligibility, self.override_outcomes)
            if r["outcome"] == rules.FAIL
        ]

    @property
    def years_since_training(self) -> int | None:
        if self.still_in_training or self.training_completed_year is None:
            return None
        return timezone.now().year - self.training_completed_year

    @property
    def sub_region(self) -> str:
        try:
            return region_of(self.practice_country.code).sub_region
        except KeyError:
            return ""


class EligibilityOverride(models.Model):
    """Staff's judgement on one eligibility criterion, in place of the rule's.

    The note is required, by the service and by the database: an override
    must always say why.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="eligibility_overrides"
    )
    criterion = models.CharField(max_length=40)
    outcome = models.CharField(
        max_length=10,
        choices=[
            (EligibilityOutcome.PASS, "Meets"),
            (EligibilityOutcome.FAIL, "Does not meet"),
        ],
    )
    note = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "criterion"],
                name="override_one_per_criterion",
            ),
            models.CheckConstraint(
                condition=~models.Q(note=""), name="override_has_note"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=[rules.PASS, rules.FAIL]),
                name="override_outcome_pass_or_fail",
            ),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.get_outcome_display()}"


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
    # Staff's own words about the change; not on the applicant's pages, but
    # part of the copy of their data they may ask for.
    note = models.TextField(blank=True)
    # Staff-only lines (a reviewer assigned, a rating) stay out of the
    # applicant's timeline.
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["application", "at"], name="app_event_timeline_idx")
        ]

    def __str__(self):
        return self.description
