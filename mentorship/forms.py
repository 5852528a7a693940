from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import MembershipType

from . import services
from .models import Cycle


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
