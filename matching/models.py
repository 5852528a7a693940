from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import MentorProfile
from applications.models import Application
from mentorship.models import Cycle, Pairing


class Exclusion(models.Model):
    """Staff's "never pair these two": matching will not propose the pair."""

    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(
        max_length=300, help_text="Why, for the staff who come after you."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "never-pair exclusion"
        constraints = [
            models.UniqueConstraint(
                fields=["mentee", "mentor"], name="exclusion_one_per_pair"
            ),
        ]

    def __str__(self):
        return f"Never pair {self.mentee} with {self.mentor}"


class MenteePreference(models.Model):
    """A mentee's ranking of a mentor (1 is their first choice).

    It feeds the score; it is not a promise.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="preferences"
    )
    mentor = models.ForeignKey(
        MentorProfile, on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "rank"], name="preference_one_per_rank"
            ),
            models.UniqueConstraint(
                fields=["application", "mentor"], name="preference_one_per_mentor"
            ),
            models.CheckConstraint(
                condition=models.Q(rank__gte=1, rank__lte=3),
                name="preference_rank_1_to_3",
            ),
        ]

    def __str__(self):
        return f"{self.application.applicant_label}: {self.rank}. {self.mentor}"


class MatchRun(models.Model):
    """One press of "Propose matches" for a cycle, and what the solver said.

    Proposals stay proposals until staff accept them; nothing is applied
    silently.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The run this one re-ran, keeping the pairs staff locked there.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weights = models.JSONField(default=dict)
    mentees = models.PositiveIntegerField(default=0)
    slots = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    total_score = models.IntegerField(default=0)
    optimal = models.BooleanField(
        default=False, help_text="The solver proved no better set of pairs exists."
    )
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["cycle", "-created_at"], name="run_cycle_idx")]

    def __str__(self):
        local = timezone.localtime(self.created_at)
        return f"{self.cycle} · proposals of {local:%d %b %Y %H:%M}"


class Proposal(models.Model):
    """One proposed pair in a match run, with the reasons for it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        REMOVED = "removed", "Removed"
        SUPERSEDED = "superseded", "Replaced by a later run"

    run = models.ForeignKey(
        MatchRun, on_delete=models.CASCADE, related_name="proposals"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="+"
    )
    mentor = models.ForeignKey(
        MentorProfile, on_delete=models.CASCADE, related_name="+"
    )
    score = models.IntegerField()
    # Empty when the two share nothing the weights count.
    reasons = models.JSONField(default=list, blank=True)
    # The next best eligible mentors for this mentee, best first:
    # [{"mentor": id, "name": str, "score": int, "reasons": [str]}]; none
    # when no other mentor is eligible.
    alternatives = models.JSONField(default=list, blank=True)
    locked = models.BooleanField(
        default=False, help_text="Kept as it is when staff re-run the rest."
    )
    swapped = models.BooleanField(default=False, help_text="Staff chose this mentor.")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    pairing = models.OneToOneField(
        Pairing, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["run", "-score", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "application"], name="proposal_one_per_mentee_run"
            ),
        ]

    def __str__(self):
        return f"{self.application.applicant_label} with {self.mentor}"


class Unmatched(models.Model):
    """A mentee a match run could not pair, and why, in words."""

    run = models.ForeignKey(
        MatchRun, on_delete=models.CASCADE, related_name="unmatched"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500)

    class Meta:
        verbose_name_plural = "unmatched mentees"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "application"], name="unmatched_one_per_mentee_run"
            ),
        ]

    def __str__(self):
        return f"{self.application.applicant_label}: {self.reason}"
