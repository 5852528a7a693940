from django import forms

from mentorship.models import Cycle


class PairingAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    reason = forms.CharField(
        label="Why are you declining? (optional; only staff read it)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )


ORDINALS = ["First", "Second", "Third"]


class PreferencesForm(forms.Form):
    """Up to three mentors, best first, from those the mentee may rank."""

    def __init__(self, *args, options, current, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "No choice")] + [
            (str(profile.pk), f"{profile.user} ({profile.user.country.name})")
            for profile, _ in options
        ]
        for rank, label in enumerate(ORDINALS, start=1):
            self.fields[f"choice_{rank}"] = forms.TypedChoiceField(
                label=f"{label} choice",
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                initial=current[rank - 1] if len(current) >= rank else None,
            )

    def clean(self):
        cleaned = super().clean()
        chosen = [cleaned.get(f"choice_{rank}") for rank in range(1, 4)]
        seen = set()
        for rank, mentor in enumerate(chosen, start=1):
            if mentor is None:
                continue
            if mentor in seen:
                self.add_error(
                    f"choice_{rank}", "You chose this mentor already; pick another."
                )
            seen.add(mentor)
        if chosen[1] is not None and chosen[0] is None:
            self.add_error("choice_1", "Choose your first choice before a second.")
        if chosen[2] is not None and chosen[1] is None:
            self.add_error("choice_2", "Choose your second choice before a third.")
        return cleaned

    def ranking(self) -> list[int]:
        return [
            self.cleaned_data[f"choice_{rank}"]
            for rank in range(1, 4)
            if self.cleaned_data.get(f"choice_{rank}") is not None
        ]


class ProgressCycleForm(forms.Form):
    """Which cycle the staff dashboard shows."""

    cycle = forms.ModelChoiceField(
        queryset=Cycle.objects.all(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the cycles in the list."},
    )


class StaffCheckInForm(forms.Form):
    note = forms.CharField(
        label="What did you learn from the pair?",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        error_messages={"required": "Say what you learned from the pair."},
    )
