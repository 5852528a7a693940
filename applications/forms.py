from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from accounts.forms import (
    InterestChoiceField,
    TimeZoneField,
    keep_retired_interests,
    pk_or_none,
)
from accounts.languages import LANGUAGES
from accounts.models import Interest, MeetingWay, MembershipType, User
from accounts.widgets import LongSelect

from .cv import CONTENT_TYPES, validate_cv
from .models import Application, DeclineReason, Fluency

STATEMENT_MAX = 4000

YES_NO = [("", "Choose"), ("no", "No"), ("yes", "Yes")]
MAX_INTERESTS = 5
EARLIEST_TRAINING_YEAR = 1960


def yes_no(value):
    return {"yes": True, "no": False}.get(value)


class EligibilityForm(forms.Form):
    """The answers the eligibility rules read; shared by the quick check and
    the application form."""

    membership_type = forms.ChoiceField(
        label="Your membership",
        choices=MembershipType.choices,
        widget=forms.RadioSelect,
    )
    membership_application_submitted = forms.BooleanField(
        label="I am sending a membership application with this application",
        required=False,
        help_text="Only if you are not yet a member.",
    )
    still_in_training = forms.BooleanField(
        label="I am still in my oncology training", required=False
    )
    training_completed_year = forms.IntegerField(
        label="Year you completed your oncology training",
        required=False,
        help_text="Leave empty if you are still in training.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    practice_country = Application._meta.get_field("practice_country").formfield(
        widget=LongSelect
    )
    english_writing = forms.ChoiceField(
        label="Written English", choices=Fluency.choices, widget=forms.RadioSelect
    )
    english_speaking = forms.ChoiceField(
        label="Spoken English", choices=Fluency.choices, widget=forms.RadioSelect
    )
    monthly_hours = forms.IntegerField(
        label="Hours a month you can give to mentoring",
        min_value=0,
        max_value=200,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    prior_idea_award = forms.TypedChoiceField(
        label="Have you received an IDEA or IDEA-PC award?",
        choices=YES_NO,
        coerce=yes_no,
        empty_value=None,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "practice_country"
        ].label = "Country where you practise or train now"
        self.fields["practice_country"].required = True

    # The application form lets a draft leave the year out; everything else
    # that asks for these answers needs it.
    require_training_year = True

    def clean(self):
        cleaned = super().clean()
        if "training_completed_year" in self.errors:
            return cleaned
        year = cleaned.get("training_completed_year")
        in_training = cleaned.get("still_in_training")
        this_year = timezone.now().year
        if in_training and year is not None:
            self.add_error(
                "training_completed_year",
                "Leave the year empty if you are still in training, or untick "
                "“still in training”.",
            )
        elif year is not None and not EARLIEST_TRAINING_YEAR <= year <= this_year:
            self.add_error(
                "training_completed_year",
                f"Enter a year between {EARLIEST_TRAINING_YEAR} and {this_year}.",
            )
        elif not in_training and year is None and self.require_training_year:
            self.add_error(
                "training_completed_year",
                "Enter the year you completed training, or tick “still in training”.",
            )
        return cleaned


class EligibilityCheckForm(EligibilityForm):
    """The public two-minute check: nothing is stored."""


class ApplicationForm(EligibilityForm, forms.ModelForm):
    """The whole application. Saving a draft accepts gaps; submitting needs
    every answer."""

    interests = InterestChoiceField(
        label="Professional interests",
        queryset=Interest.objects.filter(kind=Interest.Kind.AREA, is_active=True),
        widget=forms.CheckboxSelectMultiple,
        help_text=f"Choose 1 to {MAX_INTERESTS}; we use them to find your mentor.",
        error_messages={"required": "Choose at least one professional interest."},
    )
    career_goals = InterestChoiceField(
        label="Career goals",
        queryset=Interest.objects.filter(kind=Interest.Kind.GOAL, is_active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one career goal."},
    )
    meeting_ways = forms.MultipleChoiceField(
        label="Preferred ways to meet",
        choices=MeetingWay.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one way to meet."},
    )
    languages = forms.MultipleChoiceField(
        label="Other languages you speak",
        required=False,
        choices=[(code, name) for code, name in LANGUAGES if code != "en"],
        widget=forms.CheckboxSelectMultiple,
        help_text="Besides English. Optional: a shared language can help "
        "when we look for your mentor.",
    )
    time_zone = TimeZoneField()
    cv = forms.FileField(
        label="CV",
        required=False,
        help_text="PDF or Word (.docx).",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ",".join(
                    [*(f".{kind}" for kind in CONTENT_TYPES), *CONTENT_TYPES.values()]
                )
            }
        ),
    )
    consent = forms.BooleanField(
        label="I agree that the program may use the data in this application to "
        "review it, match me with a mentor and run the program.",
        error_messages={"required": "Your consent is needed to apply."},
    )

    class Meta:
        model = Application
        fields = [
            "membership_type",
            "membership_application_submitted",
            "still_in_training",
            "training_completed_year",
            "practice_country",
            "training_country",
            "institution",
            "position",
            "english_writing",
            "english_speaking",
            "monthly_hours",
            "prior_idea_award",
            "statement",
            "interests",
            "career_goals",
            "meeting_ways",
            "languages",
            "time_zone",
            "consent",
        ]
        widgets = {
            "training_country": LongSelect,
            "statement": forms.Textarea(attrs={"rows": 6, "maxlength": STATEMENT_MAX}),
        }
        help_texts = {
            "statement": "What you hope to gain from a mentor, and what you will "
            "bring to the year (up to 4,000 characters).",
        }

    def __init__(self, *args, submitting: bool, max_cv_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        self.require_training_year = submitting
        self.max_cv_mb = max_cv_mb
        self.fields["cv"].help_text = f"PDF or Word (.docx), at most {max_cv_mb} MB."
        self.fields["training_country"].required = submitting
        self.fields["statement"].validators.append(MaxLengthValidator(STATEMENT_MAX))
        keep_retired_interests(self)
        for name in ("institution", "position", "statement"):
            self.fields[name].required = submitting
        if not submitting:
            # A draft may be saved half-done; what is filled in is still checked.
            for name, field in self.fields.items():
                if name != "cv":
                    field.required = False
        if self.instance.prior_idea_award is not None:
            self.initial["prior_idea_award"] = (
                "yes" if self.instance.prior_idea_award else "no"
            )

    def clean_interests(self):
        interests = self.cleaned_data["interests"]
        if len(interests) > MAX_INTERESTS:
            raise forms.ValidationError(
                f"Choose at most {MAX_INTERESTS} interests; you chose {len(interests)}."
            )
        return interests

    def clean_cv(self):
        upload = self.cleaned_data.get("cv")
        if upload:
            validate_cv(upload, max_mb=self.max_cv_mb)
        elif self.submitting and not self.instance.cv:
            raise forms.ValidationError("Upload your CV (PDF or Word).")
        return upload

    def clean_languages(self):
        chosen = set(self.cleaned_data["languages"])
        return [code for code, _ in LANGUAGES if code in chosen]

    def clean_meeting_ways(self):
        chosen = set(self.cleaned_data["meeting_ways"])
        return [value for value, _ in MeetingWay.choices if value in chosen]

    def clean_statement(self):
        return self.cleaned_data["statement"].strip()


# Staff review: one form per action of the review pages in admin.

NOTE_MAX = 2000
MESSAGE_MAX = 4000


class BoundedChoiceField(forms.ModelChoiceField):
    """Refuses ids the database cannot hold with the field's own message."""

    def to_python(self, value):
        text = str(value or "")
        if text and pk_or_none(text) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class ReviewForm(forms.Form):
    """What a review action needs besides the applications it acts on; its
    cleaned data are the service's keyword arguments."""

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)


class NotedForm(ReviewForm):
    note = forms.CharField(
        label="Note for staff",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional. Kept in the application's history; not on the "
        "applicant's pages, but in the copy of their data they may ask for.",
    )


class AssignReviewerForm(NotedForm):
    reviewer = BoundedChoiceField(
        label="Reviewer",
        queryset=User.objects.filter(is_staff=True, is_active=True).order_by(
            "full_name", "email"
        ),
        required=False,
        empty_label="Nobody (remove the reviewer)",
    )
    field_order = ["reviewer", "note"]


class RateForm(ReviewForm):
    rating = forms.TypedChoiceField(
        label="Rating",
        choices=[(n, f"{n} of 5") for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text="1 is weakest, 5 strongest.",
        error_messages={"required": "Choose a rating from 1 to 5."},
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For staff; not on the applicant's pages, but in the copy of "
        "their data they may ask for.",
    )


class DeclineForm(NotedForm):
    reason = BoundedChoiceField(
        label="Reason",
        queryset=DeclineReason.objects.filter(is_active=True),
        required=False,
        empty_label="Choose a reason",
        help_text="Its text is sent to the applicant. Staff edit the list "
        "under “Decline reasons”.",
    )
    message = forms.CharField(
        label="Words for the applicant",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent after the reason's text; use it alone if no reason fits.",
    )
    field_order = ["reason", "message", "note"]

    def clean(self):
        cleaned = super().clean()
        if (
            not self.errors
            and not cleaned.get("reason")
            and not cleaned.get("message", "").strip()
        ):
            self.add_error(
                "reason", "Choose a reason, or write one for the applicant below."
            )
        return cleaned


class RequestInfoForm(NotedForm):
    question = forms.CharField(
        label="Question for the applicant",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Emailed to the applicant and shown on their application page.",
        error_messages={"required": "Write the question the applicant should answer."},
    )
    field_order = ["question", "note"]


class OverrideEligibilityForm(ReviewForm):
    criterion = forms.ChoiceField(
        label="Criterion",
        error_messages={"required": "Choose the criterion to override."},
    )
    outcome = forms.ChoiceField(
        label="Staff's outcome",
        choices=[("pass", "Meets the criterion"), ("fail", "Does not meet it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the criterion is met."},
    )
    note = forms.CharField(
        label="Why",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. Shown on the record to staff; never to the applicant.",
        error_messages={
            "required": "Write a note that says why you override the rule."
        },
    )

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [("", "Choose a criterion"), *criteria]
