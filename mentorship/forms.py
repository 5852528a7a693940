from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_countries import countries

from accounts.forms import (
    InterestChoiceField,
    TimeZoneField,
    keep_retired_interests,
)
from accounts.languages import LANGUAGES
from accounts.models import Interest, MeetingWay, MembershipType, MentorProfile, User
from accounts.widgets import LongSelect

from . import closing, services
from .models import Activity, CheckIn, Cycle, Objective, SurveyResponse


class NotificationRequestForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        error_messages={"required": "Enter the email address to notify."},
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class CycleAdminForm(forms.ModelForm):
    accepted_membership_types = forms.MultipleChoiceField(
        choices=MembershipType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Membership types that are eligible as they are.",
        error_messages={"required": "Choose at least one membership type."},
    )

    class Meta:
        model = Cycle
        fields = [
            "name",
            "opens_at",
            "closes_at",
            "expected_opening",
            "program_starts_on",
            "program_months",
            "max_years_since_training",
            "excluded_practice_countries",
            "accepted_membership_types",
            "accepts_concurrent_membership_application",
            "min_monthly_hours",
            "cv_max_mb",
            "require_different_sub_region",
            "preferences_open",
            "response_days",
            "plan_starter",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin reads and shows times in the staff member's own zone.
        zone = timezone.get_current_timezone_name()
        self.fields["opens_at"].help_text = (
            f"When applications open, in your time zone ({zone}). "
            "Leave both times empty while only a season is known."
        )
        self.fields["closes_at"].help_text = (
            f"When applications close, in your time zone ({zone}). "
            "From this instant no application is accepted."
        )

    def clean(self):
        cleaned_data = super().clean()
        if {"opens_at", "closes_at"} & set(self.errors):
            return cleaned_data
        candidate = Cycle(
            pk=self.instance.pk,
            opens_at=cleaned_data.get("opens_at"),
            closes_at=cleaned_data.get("closes_at"),
        )
        try:
            services.cycle_validate_window(candidate)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned_data


BIO_MAX = 1500
MAX_MENTOR_INTERESTS = 8


class MentorProfileForm(forms.ModelForm):
    """A mentor's offer: who they are, what they can mentor in, how much.

    The country, institution and time zone are the person's own details and
    are saved on their account, where the rest of the site reads them.
    """

    country = forms.ChoiceField(
        label="Country where you practise",
        choices=lambda: [("", "Choose a country"), *countries],
        error_messages={"required": "Choose the country where you practise."},
        widget=LongSelect,
    )
    institution = forms.CharField(
        max_length=200,
        error_messages={"required": "Enter your institution."},
    )
    time_zone = TimeZoneField()
    membership_type = forms.ChoiceField(
        label="Your membership",
        choices=MembershipType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose your membership."},
    )
    years_experience = forms.IntegerField(
        label="Years of oncology practice since you completed training",
        min_value=0,
        max_value=70,
        help_text=f"Mentors usually have at least {MentorProfile.EXPECTED_YEARS}.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter your years of experience since training.",
            "min_value": "Enter a number of years from 0 to 70.",
            "max_value": "Enter a number of years from 0 to 70.",
            "invalid": "Enter a whole number of years.",
        },
    )
    interests = InterestChoiceField(
        label="Oncology areas you can mentor in",
        queryset=Interest.objects.filter(kind=Interest.Kind.AREA, is_active=True),
        widget=forms.CheckboxSelectMultiple,
        help_text=f"Choose up to {MAX_MENTOR_INTERESTS}.",
        error_messages={"required": "Choose at least one oncology area."},
    )
    career_goals = InterestChoiceField(
        label="Career goals you can help with",
        queryset=Interest.objects.filter(kind=Interest.Kind.GOAL, is_active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one career goal."},
    )
    languages = forms.MultipleChoiceField(
        label="Languages you can mentor in",
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one language."},
    )
    capacity = forms.TypedChoiceField(
        label="How many mentees can you take this cycle?",
        choices=[(n, str(n)) for n in range(1, MentorProfile.MAX_CAPACITY + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how many mentees you can take: 1, 2 or 3.",
            "invalid_choice": "Choose how many mentees you can take: 1, 2 or 3.",
        },
    )
    meeting_ways = forms.MultipleChoiceField(
        label="Preferred ways to meet",
        choices=MeetingWay.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one way to meet."},
    )
    bio = forms.CharField(
        label="A short bio",
        max_length=BIO_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": BIO_MAX}),
        help_text="Your mentee reads this first: your work, your path and what "
        f"you enjoy helping with (up to {BIO_MAX:,} characters).",
        error_messages={"required": "Write a few lines about yourself."},
    )
    agree = forms.BooleanField(
        label="I will be in contact with my mentee at least once a month for a "
        "year, and I will keep what we discuss confidential.",
        error_messages={
            "required": "Agree to the program's expectations to volunteer."
        },
    )

    PERSON_FIELDS = ("country", "institution", "time_zone")

    class Meta:
        model = MentorProfile
        fields = [
            "membership_type",
            "years_experience",
            "position",
            "interests",
            "career_goals",
            "languages",
            "capacity",
            "meeting_ways",
            "bio",
        ]
        labels = {"position": "Position or job title"}
        error_messages = {"position": {"required": "Enter your position or job title."}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.PERSON_FIELDS:
            self.initial.setdefault(name, getattr(user, name))
        if self.instance.pk:
            # The expectations were agreed when the mentor volunteered.
            del self.fields["agree"]
        keep_retired_interests(self)

    def clean_interests(self):
        interests = self.cleaned_data["interests"]
        if len(interests) > MAX_MENTOR_INTERESTS:
            raise ValidationError(
                f"Choose at most {MAX_MENTOR_INTERESTS} oncology areas; "
                f"you chose {len(interests)}."
            )
        return interests

    def clean_institution(self):
        return " ".join(self.cleaned_data["institution"].split())

    def clean_position(self):
        return " ".join(self.cleaned_data["position"].split())

    def clean_bio(self):
        return self.cleaned_data["bio"].strip()

    def clean_languages(self):
        chosen = set(self.cleaned_data["languages"])
        return [code for code, _ in LANGUAGES if code in chosen]

    def clean_meeting_ways(self):
        chosen = set(self.cleaned_data["meeting_ways"])
        return [value for value, _ in MeetingWay.choices if value in chosen]

    def person(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PERSON_FIELDS}

    def profile(self) -> dict:
        names = ("membership_type", "years_experience", "position", "languages")
        names += ("capacity", "meeting_ways", "bio")
        return {name: self.cleaned_data[name] for name in names}


class AvailabilityForm(forms.Form):
    available = forms.TypedChoiceField(
        choices=[("yes", "Available"), ("no", "Paused")],
        coerce=lambda value: value == "yes",
    )


class IntroCallForm(forms.Form):
    """Staff schedule the introductory call, in their own time zone."""

    starts_at = forms.DateTimeField(
        label="Date and time",
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        error_messages={
            "required": "Choose the date and time of the call.",
            "invalid": "Enter a date and time like 2027-03-15 14:00.",
        },
    )
    duration_minutes = forms.IntegerField(
        label="Length (minutes)",
        min_value=10,
        max_value=180,
        initial=30,
        error_messages={
            "required": "Enter the length in minutes.",
            "min_value": "A call lasts 10 to 180 minutes.",
            "max_value": "A call lasts 10 to 180 minutes.",
        },
    )
    location = forms.CharField(
        label="Video link or phone details",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": "Give the link or phone details to join."},
    )
    host = forms.ModelChoiceField(
        queryset=User.objects.filter(is_staff=True, is_active=True).order_by(
            "full_name", "email"
        ),
        label="Host",
        empty_label=None,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        self.fields["starts_at"].help_text = f"In your time zone ({zone})."

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if starts_at <= timezone.now():
            raise ValidationError("Choose a time in the future.")
        return starts_at


class IntroCallOutcomeForm(forms.Form):
    held = forms.TypedChoiceField(
        label="Was the call held?",
        choices=[("yes", "Held"), ("no", "Missed")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the call was held."},
    )
    note = forms.CharField(
        label="Note (for staff)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class CheckInForm(forms.ModelForm):
    """A contact as one of the pair logs it."""

    minutes = forms.IntegerField(
        label="Length (minutes)",
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter about how many minutes it took.",
            "min_value": "Enter a length from 1 to 600 minutes.",
            "max_value": "Enter a length from 1 to 600 minutes.",
            "invalid": "Enter a whole number of minutes.",
        },
    )
    notes = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Up to 4,000 characters.",
    )

    topics = InterestChoiceField(
        label="Topics",
        required=False,
        queryset=Interest.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CheckIn
        fields = [
            "occurred_on",
            "way",
            "initiated_by",
            "minutes",
            "topics",
            "other_topics",
            "notes",
            "notes_private",
        ]
        labels = {
            "occurred_on": "When did you meet or write?",
            "way": "How",
            "initiated_by": "Who got in touch",
            "other_topics": "Other topics",
        }
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "way": forms.RadioSelect,
            "initiated_by": forms.RadioSelect,
        }
        error_messages = {
            "occurred_on": {
                "required": "Enter the date of the contact.",
                "invalid": "Enter a date like 2027-03-15.",
            },
            "way": {"required": "Choose how you were in contact."},
            "initiated_by": {"required": "Choose who got in touch."},
        }

    def __init__(self, *args, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        self.pairing = pairing
        # Radio buttons need no empty "---------" choice; nothing is preselected.
        self.fields["way"].choices = CheckIn.Way.choices
        self.fields["initiated_by"].choices = CheckIn.Initiator.choices
        self.fields["other_topics"].help_text = "Anything not in the list above."

    def topics_offered(self) -> list[tuple[int, str]]:
        """The topics the form offers, in its order: all that its empty
        fields' HTML depends on, so the pairing page keeps that HTML under
        this (one small query instead of rendering some 20 fields)."""
        return list(self.fields["topics"].queryset.values_list("pk", "name"))

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise ValidationError("The date is in the future; log a contact after it.")
        ends_on = self.pairing.ends_on
        if ends_on and day >= ends_on:
            raise ValidationError(
                f"Your year ended on {ends_on - timedelta(days=1):%d %B %Y}; "
                "log only contacts within it."
            )
        confirmed = self.pairing.confirmed_at
        if confirmed and day < timezone.localdate(confirmed):
            raise ValidationError(
                "That is before you both accepted the pairing, on "
                f"{timezone.localdate(confirmed):%d %B %Y}."
            )
        return day


class ObjectiveForm(forms.ModelForm):
    success = forms.CharField(
        label="What success looks like",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Objective
        fields = ["title", "success", "target_date", "status"]
        labels = {"title": "Objective"}
        widgets = {
            "target_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "title": {"required": "Name the objective."},
            "target_date": {"invalid": "Enter a date like 2027-06-30."},
        }

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["title", "due_on", "objective", "done_on"]
        labels = {"title": "Activity"}
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "done_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "title": {"required": "Name the activity."},
            "due_on": {
                "required": "Enter the date it is due.",
                "invalid": "Enter a date like 2027-06-30.",
            },
            "done_on": {"invalid": "Enter a date like 2027-06-30."},
        }

    def __init__(self, *args, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this plan's objectives can be chosen.
        self.fields["objective"].queryset = pairing.objectives.all()
        self.fields["objective"].empty_label = "None in particular"

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_done_on(self):
        done_on = self.cleaned_data["done_on"]
        if done_on and done_on > timezone.localdate():
            raise ValidationError("It cannot be done on a day still to come.")
        return done_on


class PairingExtendForm(forms.Form):
    """Staff give a pairing under way more months."""

    months = forms.TypedChoiceField(
        label="Extend by",
        choices=[
            (n, f"{n} month{'s' if n > 1 else ''}") for n in closing.EXTEND_MONTHS
        ],
        coerce=int,
        error_messages={
            "required": "Choose how many months to add.",
            "invalid_choice": "Choose from one to twelve months.",
        },
    )
    reason = forms.CharField(
        label="Reason (for staff; the pair are told the new end, not why)",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": "Give the reason for the extension."},
    )

    def clean_reason(self):
        return " ".join(self.cleaned_data["reason"].split())


class PairingEndForm(forms.Form):
    """Staff end a pairing under way early. The page offers "count it as
    completed" only when the plan's objectives are met; sent from a page
    that is out of date, the service refuses it, rather than quietly ending
    the pairing some other way."""

    reason = forms.CharField(
        label="Reason (for staff; the pair are told that it ended, not why)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "Give the reason for ending the pairing."},
    )
    count_as_completed = forms.BooleanField(
        label="Count it as completed",
        required=False,
        help_text="The Mentoring Plan's objectives are met: every objective not "
        "dropped is done.",
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


def _yes_no(label: str, required_message: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": required_message},
    )


def _rating(label: str, low: str, high: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[
            (n, f"{n} ({low})" if n == 1 else f"{n} ({high})" if n == 5 else str(n))
            for n in range(1, 6)
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating from 1 to 5.",
            "invalid_choice": "Choose a rating from 1 to 5.",
        },
    )


SURVEY_TEXT_MAX = 4000


def _free_text(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=SURVEY_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Optional, up to {SURVEY_TEXT_MAX:,} characters.",
    )


class ClosingSurveyForm(forms.Form):
    rating = _rating(
        "Overall, how do you rate your mentoring year?", "poor", "excellent"
    )
    objectives_achieved = forms.ChoiceField(
        label="How many of the Mentoring Plan's objectives were achieved?",
        choices=SurveyResponse.Achieved.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how many objectives were achieved."},
    )
    would_recommend = _yes_no(
        "Would you recommend the program to a colleague?",
        "Say whether you would recommend the program.",
    )
    helped = _free_text("What helped most?")
    to_change = _free_text("What should we change?")
    take_part_again = _yes_no("", "Say whether you would take part again.")

    def __init__(self, *args, role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["take_part_again"].label = (
            "Would you mentor again in a future cycle?"
            if role == "mentor"
            else "Would you like to be mentored again in a future cycle?"
        )


class FollowUpSurveyForm(forms.Form):
    still_in_contact = _yes_no(
        "Are you still in contact with each other?",
        "Say whether you are still in contact.",
    )
    progress = _free_text("How has your career moved on since the program ended?")
    rating = _rating(
        "How much lasting value has the program had for you?",
        "very little",
        "a great deal",
    )

    def __init__(self, *args, role: str, **kwargs):
        super().__init__(*args, **kwargs)
        if role == "mentor":
            self.fields["progress"].label = (
                "What has changed since the program ended, for your mentee's "
                "career or your own?"
            )


SURVEY_FORMS = {
    SurveyResponse.Kind.CLOSING: ClosingSurveyForm,
    SurveyResponse.Kind.FOLLOW_UP: FollowUpSurveyForm,
}


class AccountDeleteForm(forms.Form):
    understood = forms.BooleanField(
        label="I understand that my account and my data are deleted for good "
        "once staff approve, and that this cannot be undone.",
        error_messages={
            "required": "Tick the box to confirm that you want your account deleted."
        },
    )
