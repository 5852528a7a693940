import base64
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .models import OutboundEmail

logger = logging.getLogger(__name__)

# A row left "sending" this long belongs to a worker that died mid-send. It is
# sent again: at worst twice, which beats never for the rare worker crash
# between the SMTP server's acceptance and our commit.
STALE_CLAIM = timedelta(minutes=15)


def attachment(filename: str, content: str | bytes, mimetype: str) -> dict:
    if isinstance(content, str):
        content = content.encode()
    return {
        "filename": filename,
        "content": base64.b64encode(content).decode("ascii"),
        "mimetype": mimetype,
    }


@transaction.atomic
def email_queue(
    *,
    key: str,
    event: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str | None = None,
    attachments: list[dict] | None = None,
    headers: dict | None = None,
) -> OutboundEmail:
    """Record an email and send it once the surrounding transaction commits.

    Queuing an event's key a second time returns the first row unchanged.
    """
    email, created = OutboundEmail.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "event": event,
            "to": to,
            "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "attachments": attachments or [],
            "headers": headers or {},
        },
    )
    if created:
        transaction.on_commit(lambda: _send_in_background(email.pk))
    return email


def _send_in_background(email_id: int) -> None:
    from .tasks import send_email  # the tasks module imports this one

    try:
        send_email.delay(email_id)
    except BrokerError:
        # The row is committed; the sweep sends it once the broker is back.
        logger.warning("Broker unavailable; email %s left for the sweep", email_id)


def email_send(*, email_id: int) -> bool:
    """Deliver one pending email. Returns whether this call sent it.

    The row is claimed with a conditional update first, so two workers, or a
    task delivered twice, cannot both send it.
    """
    now = timezone.now()
    claimed = OutboundEmail.objects.filter(
        pk=email_id,
        status=OutboundEmail.Status.PENDING,
        next_attempt_at__lte=now,
    ).update(
        status=OutboundEmail.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        _deliver(email)
    except Exception as exc:  # SMTP, DNS, socket: whatever failed, it is retried
        _record_failure(email, exc)
        return False
    email.status = OutboundEmail.Status.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.save(update_fields=["status", "sent_at", "last_error"])
    return True


def _deliver(email: OutboundEmail) -> None:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.to],
        headers=email.headers,
        connection=get_connection(settings.OUTBOX_DELIVERY_BACKEND),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for item in email.attachments:
        message.attach(
            item["filename"], base64.b64decode(item["content"]), item["mimetype"]
        )
    message.send()


def _record_failure(email: OutboundEmail, exc: Exception) -> None:
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        email.status = OutboundEmail.Status.FAILED
        logger.error("Email %s failed for good: %s", email.pk, email.last_error)
    else:
        email.status = OutboundEmail.Status.PENDING
        delay = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (email.attempts - 1)
        email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    email.save(update_fields=["status", "last_error", "next_attempt_at"])


def email_resend(*, email_id: int) -> None:
    """Give a failed email a fresh set of attempts (a staff action)."""
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(
            pk=email_id, status=OutboundEmail.Status.FAILED
        ).update(
            status=OutboundEmail.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
        )
        if updated:
            transaction.on_commit(lambda: _send_in_background(email_id))


def outbox_sweep(*, batch_size: int = 200) -> list[int]:
    """Queue the emails that are due: never handed to a worker, or due a retry.

    Returns the ids it queued.
    """
    now = timezone.now()
    OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=OutboundEmail.Status.PENDING)
    due = list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    for email_id in due:
        _send_in_background(email_id)
    return due
