from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField

from .timezones import validate_time_zone


class MembershipType(models.TextChoices):
    IN_TRAINING = "in_training", "Member in Training"
    FULL = "full", "Full Member"
    FULL_DISCOUNTED = (
        "full_discounted",
        "Full Member paying discounted or international dues",
    )
    NON_MEMBER = "non_member", "Not yet a member"


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
    is_staff = models.BooleanField(
        "staff status",
        default=False,
        help_text="Staff run the program and can log in to the admin site.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

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
