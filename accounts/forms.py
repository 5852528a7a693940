from django import forms
from django.db.models import Q
from django_countries import countries

from .models import Interest, User
from .timezones import time_zone_choices
from .widgets import LongSelect

# The largest primary key the database can hold; anything larger is not a choice.
MAX_PK = 2**63 - 1


def pk_or_none(value) -> int | None:
    """The id that `value` spells, if it can be one: ASCII digits only (for
    str.isdigit(), a superscript two and the Arabic-Indic digits are digits
    too: int() refuses the first and reads the others), no larger than the
    database holds."""
    text = str(value)
    if text.isascii() and text.isdigit() and int(text) <= MAX_PK:
        return int(text)
    return None


def clean_person_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise forms.ValidationError("Enter your name as colleagues know it.")
    return name


class InterestChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids that are not whole numbers the database can hold, with the
    field's own message, instead of letting the query fail."""

    def _check_values(self, value):
        for pk in value:
            if pk_or_none(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:20]},
                )
        return super()._check_values(value)


def keep_retired_interests(form, names=("interests", "career_goals")) -> None:
    """Offer, besides the active interests, the retired ones the saved record
    already has, so that saving the form does not silently drop them."""
    if not form.instance.pk:
        return
    for name in names:
        field = form.fields[name]
        field.queryset = Interest.objects.filter(
            Q(pk__in=field.queryset) | Q(pk__in=getattr(form.instance, name).all())
        )


class TimeZoneField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Time zone")
        # The browser's own zone is chosen for a newcomer (static/js/site.js).
        kwargs.setdefault("widget", LongSelect(attrs={"data-detect-time-zone": "true"}))
        kwargs.setdefault(
            "help_text", "Dates and times are shown to you in this time zone."
        )
        super().__init__(choices=time_zone_choices, **kwargs)


class SignupDetailsForm(forms.Form):
    """The details allauth's sign-up form asks for besides email and password."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    country = forms.ChoiceField(
        label="Country where you live and work",
        choices=lambda: [("", "Choose a country"), *countries],
        widget=LongSelect,
    )
    time_zone = TimeZoneField(initial="UTC")
    field_order = ["full_name", "email", "country", "time_zone"]

    def clean_full_name(self):
        return clean_person_name(self.cleaned_data["full_name"])

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"]
        user.country = self.cleaned_data["country"]
        user.time_zone = self.cleaned_data["time_zone"]
        user.save(update_fields=["full_name", "country", "time_zone"])


class ProfileForm(forms.ModelForm):
    time_zone = TimeZoneField()

    class Meta:
        model = User
        fields = [
            "full_name",
            "country",
            "time_zone",
            "institution",
            "reminder_delivery",
        ]
        labels = {
            "full_name": "Full name",
            "institution": "Institution",
            "reminder_delivery": "Reminders about your mentoring",
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "country": LongSelect,
            "reminder_delivery": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["country"].required = True

    def clean_full_name(self):
        return clean_person_name(self.cleaned_data["full_name"])
