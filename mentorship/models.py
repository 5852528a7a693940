from django.db import models
from django.utils import timezone


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

    class Meta:
        verbose_name = "outbound email"
        ordering = ["-created_at"]
        indexes = [
            # The sweep's query: what is due, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["to"], name="outbox_recipient_idx"),
            models.Index(fields=["event"], name="outbox_event_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to}"
