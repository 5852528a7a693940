import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .languages import language_names
from .storage import private_storage
from .timezones import validate_time_zone

# What the others who shared a record with a deleted account see in its place.
FORMER_PARTICIPANT = "a former participant"


class MembershipType(models.TextChoices):
    IN_TRAINING = "in_training", "Member in Training"
    FULL = "full", "Full Member"
    FULL_DISCOUNTED = (
        "full_discounted",
        "Full Member paying discounted or international dues",
    )
    NON_MEMBER = "non_member", "Not yet a member"


class MeetingWay(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    IN_PERSON = "in_person", "In person"


def meeting_way_labels(values) -> list[str]:
    labels = dict(MeetingWay.choices)
    return [labels.get(value, value) for value in values]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who uses the platform. Email is the login; there is no username.

    What someone does here follows from their records, not from a role field:
    staff have ``is_staff``, mentors have a mentor profile, mentees have an
    application.

    A deleted account is anonymised, not removed: ``deleted_at`` is set, the
    email becomes ``deleted-<id>@invalid``, the name, institution and time
    zone are blanked, the password is made unusable and the account inactive.
    Every row that counts towards the program's figures (an application's
    status, a pairing's year and months met, survey ratings) keeps pointing at
    this row, with its own personal fields blanked (see
    ``accounts.personal_data``), so the figures stay as they were and name
    nobody. The country stays: the figures count people by world region, and
    a country without a name, address or institution identifies no one. The
    alternative, deleting the rows and keeping counts in a table of their
    own, would have every figure read two sources and would break the other
    person's record of a shared pairing.
    """

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    country = CountryField(blank=True, help_text="The country where you live and work.")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Dates and times are shown to you in this time zone.",
    )
    institution = models.CharField(max_length=200, blank=True)

    class ReminderDelivery(models.TextChoices):
        IMMEDIATE = "immediate", "As they come"
        WEEKLY = "weekly", "In one weekly digest"

    reminder_delivery = models.CharField(
        "reminders",
        max_length=10,
        choices=ReminderDelivery.choices,
        default=ReminderDelivery.IMMEDIATE,
        help_text="Account, decision and introduction emails always come "
        "straight away.",
    )
    is_staff = models.BooleanField(
        "staff status",
        default=False,
        help_text="Staff run the program and can log in to the admin site.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the account was deleted at the person's request; what "
        "is left of it is anonymous.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]
        indexes = [
            # Staff, a handful among everyone who ever applied: the review
            # queue's "reviewer" filter and the reviewer choices list them.
            models.Index(
                fields=["email"],
                condition=models.Q(is_staff=True),
                name="user_staff_idx",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.deleted_at:
            return FORMER_PARTICIPANT
        return self.full_name or self.email

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Interest(models.Model):
    """An oncology area or a career goal that mentees and mentors pick from.

    Kept as rows rather than code so staff can add, rename, reorder or retire
    entries in the admin without a release.
    """

    class Kind(models.TextChoices):
        AREA = "area", "Oncology area"
        GOAL = "goal", "Career goal"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Inactive interests are no longer offered on forms but stay "
        "on the records that already have them.",
    )
    position = models.PositiveSmallIntegerField(
        default=0,
        help_text="Lower numbers are listed first within their kind.",
    )

    class Meta:
        ordering = ["kind", "position", "name"]

    def __str__(self):
        return self.name


class MentorProfile(models.Model):
    """A senior oncologist's offer to mentor, and staff's decision on it.

    The person's country, institution and time zone live on the user, where
    the rest of the site reads them; this holds what only mentors have.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        INACTIVE = "inactive", "Inactive"

    # The experience the program expects of a mentor. Fewer years are not
    # refused; staff see the profile flagged and decide.
    EXPECTED_YEARS = 10
    MAX_CAPACITY = 3

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mentor_profile",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    membership_type = models.CharField(
        "membership", max_length=20, choices=MembershipType.choices
    )
    years_experience = models.PositiveSmallIntegerField(
        "years of oncology experience since training",
        validators=[MaxValueValidator(70)],
    )
    position = models.CharField("position or job title", max_length=200)
    interests = models.ManyToManyField(
        Interest,
        related_name="+",
        limit_choices_to={"kind": Interest.Kind.AREA},
        verbose_name="oncology areas you can mentor in",
    )
    career_goals = models.ManyToManyField(
        Interest,
        related_name="+",
        limit_choices_to={"kind": Interest.Kind.GOAL},
        verbose_name="career goals you can help with",
    )
    languages = models.JSONField(
        default=list, help_text="ISO 639-1 codes of the languages you mentor in."
    )
    capacity = models.PositiveSmallIntegerField(
        "mentees you can take this cycle",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)],
    )
    meeting_ways = models.JSONField("preferred ways to meet", default=list)
    bio = models.TextField("short bio")
    is_available = models.BooleanField(
        "available for new mentees",
        default=True,
        help_text="Mentors pause this to take no new mentees for a while; "
        "current pairings go on.",
    )
    agreed_at = models.DateTimeField(
        "agreed to the program's expectations at",
        help_text="Monthly contact for a year, and confidentiality.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.TextField(
        blank=True, help_text="Sent to the mentor with the decision."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1, capacity__lte=3),
                name="mentor_capacity_1_to_3",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "is_available"], name="mentor_status_idx"),
            # The admin's list, newest first.
            models.Index(fields=["-created_at", "-id"], name="mentor_list_idx"),
        ]

    def __str__(self):
        return str(self.user)

    @property
    def experience_flag(self) -> str:
        """Why staff should look twice at this offer, or "" when nothing stands out."""
        if self.years_experience < self.EXPECTED_YEARS:
            return (
                f"{self.years_experience} years of experience since training; "
                f"mentors are expected to have at least {self.EXPECTED_YEARS}."
            )
        return ""

    @property
    def language_names(self) -> list[str]:
        return language_names(self.languages)

    @property
    def meeting_way_labels(self) -> list[str]:
        return meeting_way_labels(self.meeting_ways)


def export_upload_to(instance, filename: str) -> str:
    return f"exports/{uuid.uuid4().hex}.zip"


class DataExport(models.Model):
    """A copy of everything the platform holds about one person, asked for by
    them from their account page: a zip built in the background, emailed as
    a link, downloadable by them alone until it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Could not be prepared"
        EXPIRED = "expired", "Expired"

    # How long the link works; then the file is deleted from disk.
    LIFETIME = timedelta(days=7)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(
        storage=private_storage, upload_to=export_upload_to, blank=True
    )
    size = models.PositiveBigIntegerField("size (bytes)", default=0)
    downloaded_at = models.DateTimeField("last downloaded", null=True, blank=True)

    class Meta:
        verbose_name = "personal data export"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # Asking again while one is being prepared gets that one.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="data_export_one_pending_per_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready")
                | (
                    models.Q(ready_at__isnull=False, expires_at__isnull=False)
                    & ~models.Q(file="")
                ),
                name="data_export_ready_has_file_and_expiry",
            ),
        ]
        indexes = [
            # The sweep's query: ready exports past their expiry.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="ready"),
                name="data_export_expiry_idx",
            ),
        ]

    def __str__(self):
        return f"Data of {self.user} ({self.requested_at:%d %b %Y})"

    def is_downloadable(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.READY and at < self.expires_at


class DeletionRequest(models.Model):
    """A person's request to delete their account, and staff's decision.

    Staff approve it (a pairing under way must be ended first) or refuse it
    with a reason that is emailed. Approved, the account is anonymised in the
    same transaction: see ``User`` for what is kept and why, and
    ``accounts.personal_data`` for how each app removes its part. The request
    itself stays, as the record that the deletion was asked for and done.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for staff"
        DONE = "done", "Approved: account deleted"
        REFUSED = "refused", "Refused"
        CANCELLED = "cancelled", "Cancelled by the person"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="deletion_requests",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    refusal_reason = models.TextField(
        blank=True, help_text="Sent to the person with the refusal."
    )

    class Meta:
        verbose_name = "account deletion request"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="deletion_one_pending_per_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_reason=""),
                name="deletion_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | models.Q(decided_at__isnull=False),
                name="deletion_decided_has_time",
            ),
        ]

    def __str__(self):
        return f"Deletion of {self.user} ({self.get_status_display().lower()})"
