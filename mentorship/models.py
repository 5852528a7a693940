from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from accounts.models import Interest, MembershipType


class OutboundEmail(models.Model):
    """One email to one recipient, written before it is sent.

    The row is created in the same transaction as the event that causes it, so
    an email exists exactly when its event does; a task sends it after commit,
    and a periodic sweep sends whatever the task missed. The idempotency key
    names the event ("application:42:submitted"), so queuing the same event
    twice still makes one email.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    idempotency_key = models.CharField(max_length=200, unique=True)
    event = models.CharField(
        max_length=100,
        help_text="What caused this email, e.g. account.password_reset_key.",
    )
    to = models.EmailField("recipient")
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # A list of {"filename", "content" (base64), "mimetype"}.
    attachments = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # For the email confirming that an account was deleted: once it is sent
    # (or has failed for good) its recipient and content are blanked, so the
    # outbox keeps no trace of the address.
    forget_after_sending = models.BooleanField(default=False)

    class Meta:
        verbose_name = "outbound email"
        ordering = ["-created_at"]
        indexes = [
            # The sweep's query: what is due, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["to"], name="outbox_recipient_idx"),
            models.Index(fields=["event"], name="outbox_event_idx"),
            # The admin's list, newest first, and its dates.
            models.Index(fields=["-created_at", "-id"], name="outbox_list_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to}"


def default_accepted_memberships():
    return [
        MembershipType.IN_TRAINING,
        MembershipType.FULL,
        MembershipType.FULL_DISCOUNTED,
    ]


class Cycle(models.Model):
    """One round of the program: an application window, then a mentoring year.

    The eligibility parameters live here so staff can change them per cycle
    without a code change.
    """

    name = models.CharField(max_length=100, unique=True)
    opens_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When applications open. Leave empty while only a season is known.",
    )
    closes_at = models.DateTimeField(null=True, blank=True)
    expected_opening = models.CharField(
        max_length=60,
        blank=True,
        help_text="Shown while the dates are not set, e.g. “Fall 2027”.",
    )
    program_starts_on = models.DateField(null=True, blank=True)
    program_months = models.PositiveSmallIntegerField(default=12)

    max_years_since_training = models.PositiveSmallIntegerField(
        default=10,
        help_text="Applicants must be fewer than this many years past training.",
    )
    excluded_practice_countries = CountryField(
        multiple=True,
        default=["US"],
        blank=True,
        help_text="Applicants training or practising here are not eligible.",
    )
    accepted_membership_types = models.JSONField(
        default=default_accepted_memberships,
        help_text="Membership types that are eligible as they are.",
    )
    accepts_concurrent_membership_application = models.BooleanField(
        default=True,
        help_text="Non-members may apply if they send a membership application too.",
    )
    min_monthly_hours = models.PositiveSmallIntegerField(
        default=2, help_text="The least time a mentee must commit each month."
    )
    cv_max_mb = models.PositiveSmallIntegerField("largest CV (MB)", default=5)

    require_different_sub_region = models.BooleanField(
        "mentor from another world region",
        default=True,
        help_text="A mentor must come from another UN M49 sub-region than the "
        "mentee. Untick to ask only for another country.",
    )
    matching_weights = models.JSONField(
        default=dict,
        blank=True,
        help_text="How much each shared trait counts when proposing matches; "
        "empty means the program's defaults.",
    )
    preferences_open = models.BooleanField(
        "mentees may rank mentors",
        default=False,
        help_text="Approved mentees may browse eligible mentors and rank up to "
        "three, until matches are proposed.",
    )
    plan_starter = models.TextField(
        "starter Mentoring Plan",
        blank=True,
        help_text="Objectives offered to each new pair as a start, one per "
        "line. Pairs change or drop them as they like.",
    )
    response_days = models.PositiveSmallIntegerField(
        "days to accept a proposed pairing",
        default=14,
        help_text="A proposal neither person declines, but one of them leaves "
        "unanswered this long, goes back to staff.",
    )

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        indexes = [
            models.Index(fields=["opens_at", "closes_at"], name="cycle_window_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True, closes_at__isnull=True)
                | models.Q(
                    opens_at__isnull=False,
                    closes_at__isnull=False,
                    closes_at__gt=models.F("opens_at"),
                ),
                name="cycle_window_complete_and_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(program_months__gte=1),
                name="cycle_program_has_months",
            ),
        ]

    def __str__(self):
        return self.name

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return bool(
            self.opens_at and self.closes_at and self.opens_at <= at < self.closes_at
        )


class OpeningNotification(models.Model):
    """Someone asked to be told by email when applications open.

    ``cycle`` is the cycle they are waiting for; empty means "whichever opens
    next", for when no next cycle is announced yet.
    """

    email = models.EmailField()
    cycle = models.ForeignKey(
        Cycle, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "cycle"], name="notification_one_per_email_cycle"
            ),
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(cycle__isnull=True),
                name="notification_one_per_email_next_cycle",
            ),
        ]
        indexes = [
            models.Index(
                fields=["notified_at", "unsubscribed_at"],
                name="notification_waiting_idx",
            )
        ]

    def __str__(self):
        return self.email


class Pairing(models.Model):
    """A mentee and a mentor, together for one cycle's mentoring year.

    Matching proposes a pairing; it is confirmed when both people accept, then
    runs for the program year and ends completed or early. A proposal that one
    side declines (or lets lapse) is cancelled and the mentee goes back to
    staff.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed, waiting for both to accept"
        CONFIRMED = "confirmed", "Confirmed"
        INTRODUCED = "introduced", "Introduced"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        # Before its year was complete (staff ended it), or with no contact
        # in its whole year: either way not counted as completed.
        ENDED = "ended", "Ended, not completed"
        CANCELLED = "cancelled", "Not going ahead"

    # A pairing in these states holds a place: the mentee has a mentor and the
    # mentor's capacity is used.
    OPEN = (Status.PROPOSED, Status.CONFIRMED, Status.INTRODUCED, Status.ACTIVE)
    # Both people have accepted and the year has not ended.
    UNDER_WAY = (Status.CONFIRMED, Status.INTRODUCED, Status.ACTIVE)
    # In these states the two people are, or were, each other's pair, so each
    # may see the other's profile and the mentee's application.
    VISIBLE = (*OPEN, Status.COMPLETED, Status.ENDED)

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="pairings")
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pairings_as_mentee",
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pairings_as_mentor",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    respond_by = models.DateTimeField(null=True, blank=True)
    mentee_accepted_at = models.DateTimeField(null=True, blank=True)
    mentor_accepted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    # The length of this pair's year: the cycle's when confirmed, longer when
    # staff extend it. ``ends_on`` is the first day after the last month.
    months = models.PositiveSmallIntegerField(default=12)
    ends_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Attention(models.TextChoices):
        NONE = "", "On track"
        NEEDS_ATTENTION = "needs_attention", "Needs attention: a month without contact"
        AT_RISK = "at_risk", "At risk: two months missed in a row"

    # Set by the monthly reminders; cleared when a contact is logged.
    attention = models.CharField(
        max_length=16, choices=Attention.choices, default="", blank=True
    )
    # The day of the latest contact that counts (not disputed), kept by
    # services.pairing_last_contact_refresh whenever a contact is logged or
    # disputed: the staff dashboard orders the pairs needing attention by it,
    # which, worked out from the contacts, meant a lookup per flagged pair.
    last_contact_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentee", "cycle"],
                condition=models.Q(
                    status__in=["proposed", "confirmed", "introduced", "active"]
                ),
                name="pairing_one_open_per_mentee_cycle",
            ),
            models.CheckConstraint(
                condition=~models.Q(mentee=models.F("mentor")),
                name="pairing_mentee_is_not_mentor",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=False, ends_on__gt=models.F("starts_on")),
                name="pairing_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(months__gte=1), name="pairing_has_months"
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "status"], name="pairing_mentor_idx"),
            models.Index(fields=["mentee", "status"], name="pairing_mentee_idx"),
            models.Index(fields=["cycle", "status"], name="pairing_cycle_idx"),
            # The staff dashboard's list of pairs needing attention.
            models.Index(
                fields=["cycle"],
                condition=~models.Q(attention=""),
                name="pairing_attention_idx",
            ),
            # The expiry sweep: proposals whose answer is overdue.
            models.Index(
                fields=["respond_by"],
                condition=models.Q(status="proposed"),
                name="pairing_awaiting_answer_idx",
            ),
            # The hourly close: pairings under way whose year is ending. The
            # hourly reminders read it whole: every pairing under way, a few
            # thousand among all the years' closed ones.
            models.Index(
                fields=["ends_on"],
                condition=models.Q(status__in=["confirmed", "introduced", "active"]),
                name="pairing_year_end_idx",
            ),
            # The admin's list, newest first, and its dates.
            models.Index(fields=["-proposed_at", "-id"], name="pairing_list_idx"),
        ]

    def __str__(self):
        return f"{self.mentee} with {self.mentor} ({self.cycle})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def other_person(self, user):
        return self.mentor if user.pk == self.mentee_id else self.mentee

    def role_of(self, user) -> str:
        return "mentee" if user.pk == self.mentee_id else "mentor"

    def accepted_by(self, user) -> bool:
        if user.pk == self.mentee_id:
            return self.mentee_accepted_at is not None
        return self.mentor_accepted_at is not None


class PairingEvent(models.Model):
    """One step in a pairing's life: what happened, when, by whom."""

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Pairing.Status.choices)
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["pairing", "at"], name="pairing_event_timeline_idx")
        ]

    def __str__(self):
        return self.description


class StaffContact(models.Model):
    """Staff keeping an eye on a pair: a nudge emailed to both, or a note of a
    check-in staff had with them (a call, an email of their own)."""

    class Kind(models.TextChoices):
        NUDGE = "nudge", "Nudge sent"
        CHECK_IN = "check_in", "Staff check-in"

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="staff_contacts"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["pairing", "-at"], name="staff_contact_latest_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="check_in", note=""),
                name="staff_check_in_has_note",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.pairing})"


class IntroCall(models.Model):
    """The call staff host to introduce a mentor and mentee to one another.

    Stored in UTC; every person sees it in their own time zone. The calendar
    invitation keeps one UID for the call's whole life, and its sequence goes
    up with each change, so calendars update the event rather than add one.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        HELD = "held", "Held"
        MISSED = "missed", "Missed"

    pairing = models.OneToOneField(
        Pairing, on_delete=models.CASCADE, related_name="intro_call"
    )
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    location = models.CharField(
        "video link or phone details",
        max_length=500,
        help_text="A link to the video call, or a phone number and access code.",
    )
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uid = models.CharField(max_length=200, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    outcome_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=10, duration_minutes__lte=180),
                name="intro_call_reasonable_length",
            ),
        ]

    def __str__(self):
        return f"Introductory call for {self.pairing}"

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class CheckIn(models.Model):
    """A contact between mentee and mentor, logged by one of them.

    The other is asked to confirm it; a contact they say did not happen is
    shown to staff and does not count for its month.
    """

    class Way(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        VIDEO = "video", "Video call"
        IN_PERSON = "in_person", "In person"

    class Initiator(models.TextChoices):
        MENTEE = "mentee", "The mentee"
        MENTOR = "mentor", "The mentor"

    class Confirmation(models.TextChoices):
        WAITING = "waiting", "Waiting for the other person"
        CONFIRMED = "confirmed", "Confirmed"
        DISPUTED = "disputed", "Not confirmed: the other person disagrees"

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="checkins"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    occurred_on = models.DateField("date")
    # The month of the pairing's year it falls in (see `months.month_number`),
    # kept so that progress figures are counted by the database.
    month = models.PositiveSmallIntegerField(default=0)
    way = models.CharField(max_length=10, choices=Way.choices)
    initiated_by = models.CharField(max_length=10, choices=Initiator.choices)
    minutes = models.PositiveSmallIntegerField("length (minutes)")
    topics = models.ManyToManyField(Interest, blank=True, related_name="+")
    other_topics = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    notes_private = models.BooleanField(
        "keep my notes private",
        default=False,
        help_text="Private notes are seen by you only, not by your pair.",
    )
    confirmation = models.CharField(
        max_length=10, choices=Confirmation.choices, default=Confirmation.WAITING
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["pairing", "occurred_on"], name="checkin_month_idx"),
            models.Index(fields=["pairing", "month"], name="checkin_program_month_idx"),
            models.Index(
                fields=["confirmation"],
                condition=models.Q(confirmation="disputed"),
                name="checkin_disputed_idx",
            ),
            # The admin's list, newest first, and its dates.
            models.Index(fields=["-occurred_on", "-id"], name="checkin_list_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=600),
                name="checkin_reasonable_length",
            ),
        ]

    def __str__(self):
        return f"{self.get_way_display()} on {self.occurred_on} ({self.pairing})"

    @property
    def counts(self) -> bool:
        return self.confirmation != self.Confirmation.DISPUTED


class Objective(models.Model):
    """A short-term objective in a pairing's Mentoring Plan."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="objectives"
    )
    title = models.CharField(max_length=200)
    success = models.TextField("what success looks like", blank=True)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["target_date", "pk"]
        indexes = [models.Index(fields=["pairing", "status"], name="objective_idx")]

    def __str__(self):
        return self.title


class Activity(models.Model):
    """A step on the plan's timeline, perhaps towards one objective."""

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="activities"
    )
    title = models.CharField(max_length=200)
    due_on = models.DateField("due date")
    objective = models.ForeignKey(
        Objective,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        verbose_name="towards the objective",
    )
    done_on = models.DateField("done on", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["pairing", "due_on"], name="activity_due_idx")]

    def __str__(self):
        return self.title


class Reminder(models.Model):
    """One reminder, to one person, about one pairing: written once, ever.

    ``key`` names what it is about ("month:3"), so the database itself keeps
    a reminder from going out twice, however often the daily check runs. A
    person who takes reminders weekly gets it in their next digest instead.
    """

    class Kind(models.TextChoices):
        REACH_OUT = "reach_out", "Start of month: the mentee reaches out"
        MID_MONTH = "mid_month", "Mid-month: still no contact"
        MISSED = "missed", "A month missed"
        AT_RISK = "at_risk", "Two months missed: staff alerted"
        PULSE = "pulse", "Start of month: did you talk last month?"
        ACTIVITY_DUE = "activity_due", "An activity due within a week"
        PLAN_REVIEW = "plan_review", "A plan review within a week"

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=40)
    recipient = models.EmailField()
    # The person reminded; empty for alerts to the program's staff address.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    # For weekly digests: when this reminder went out in one.
    digested_at = models.DateTimeField(null=True, blank=True)
    in_digest = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "kind", "key", "recipient"],
                name="reminder_once_ever",
            ),
        ]
        indexes = [
            models.Index(
                fields=["person"],
                condition=models.Q(in_digest=True, digested_at__isnull=True),
                name="reminder_digest_waiting_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


class PulseAnswer(models.Model):
    """One person's answer to "did you talk last month?", from the monthly
    email's signed link. One answer per person and month."""

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="pulse_answers"
    )
    month = models.PositiveSmallIntegerField()
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    talked = models.BooleanField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # By the column: ordering by "pairing" would join the pairings to sort
        # by their own ordering, in every query, prefetches included.
        ordering = ["pairing_id", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "month", "person"], name="pulse_one_answer"
            ),
        ]

    def __str__(self):
        answer = "talked" if self.talked else "did not talk"
        return f"{self.person} {answer} in month {self.month}"


class SurveyResponse(models.Model):
    """One person's survey about one pairing: the closing survey when the
    pairing closes, the follow-up six months later.

    The row is written when the survey is sent, so the invitation itself is
    once ever (one per pairing, person and kind) and staff can count who was
    asked; it is filled in, once, when the person answers. Each kind asks its
    own questions: the other kind's answers stay empty, and the database
    checks that they do.
    """

    class Kind(models.TextChoices):
        CLOSING = "closing", "Closing survey"
        FOLLOW_UP = "follow_up", "Follow-up survey, six months on"

    class Role(models.TextChoices):
        MENTEE = "mentee", "Mentee"
        MENTOR = "mentor", "Mentor"

    class Achieved(models.TextChoices):
        ALL = "all", "All of them"
        MOST = "most", "Most of them"
        SOME = "some", "Some of them"
        NONE = "none", "None of them"

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="surveys"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(max_length=6, choices=Role.choices)
    invited_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    # A closing survey's follow-up was sent (or found sent) then: the daily
    # task reads only the closing surveys still waiting for theirs.
    follow_up_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Both kinds: the closing survey's overall rating, the follow-up's
    # rating of the program's lasting value.
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    # The closing survey.
    objectives_achieved = models.CharField(
        max_length=4, choices=Achieved.choices, blank=True
    )
    would_recommend = models.BooleanField(null=True, blank=True)
    helped = models.TextField("what helped", blank=True)
    to_change = models.TextField("what to change", blank=True)
    # "Would you mentor again?" to a mentor, "be mentored again?" to a mentee.
    take_part_again = models.BooleanField(null=True, blank=True)
    # The follow-up survey.
    still_in_contact = models.BooleanField(null=True, blank=True)
    progress = models.TextField("career progress since", blank=True)

    class Meta:
        ordering = ["-invited_at", "-pk"]
        indexes = [
            # The admin's list, newest first, and its dates.
            models.Index(fields=["-invited_at", "-id"], name="survey_list_idx"),
            # The daily follow-up: closing surveys still waiting for theirs.
            models.Index(
                fields=["id"],
                condition=models.Q(kind="closing", follow_up_sent_at__isnull=True),
                name="survey_follow_up_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "person", "kind"], name="survey_once_per_person"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["closing", "follow_up"])
                & models.Q(role__in=["mentee", "mentor"]),
                name="survey_known_kind_and_role",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
            # Not answered yet: no answers at all.
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=False)
                | models.Q(
                    rating__isnull=True,
                    objectives_achieved="",
                    would_recommend__isnull=True,
                    helped="",
                    to_change="",
                    take_part_again__isnull=True,
                    still_in_contact__isnull=True,
                    progress="",
                ),
                name="survey_unanswered_is_empty",
            ),
            # An answered closing survey has its required answers, and none
            # of the follow-up's.
            models.CheckConstraint(
                condition=~models.Q(kind="closing", answered_at__isnull=False)
                | models.Q(
                    rating__isnull=False,
                    objectives_achieved__in=["all", "most", "some", "none"],
                    would_recommend__isnull=False,
                    take_part_again__isnull=False,
                    still_in_contact__isnull=True,
                    progress="",
                ),
                name="survey_closing_answers",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="follow_up", answered_at__isnull=False)
                | models.Q(
                    rating__isnull=False,
                    still_in_contact__isnull=False,
                    objectives_achieved="",
                    would_recommend__isnull=True,
                    helped="",
                    to_change="",
                    take_part_again__isnull=True,
                ),
                name="survey_follow_up_answers",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.person} ({self.pairing})"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
