import base64
import hashlib
import logging
import smtplib
import tempfile
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts import personal_data
from accounts.models import DataExport, DeletionRequest, MentorProfile, User
from accounts.timezones import zone_or_utc

from . import calendar, closing, reminders, selectors
from . import months as program
from .models import (
    Activity,
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    OpeningNotification,
    OutboundEmail,
    Pairing,
    PairingEvent,
    PulseAnswer,
    Reminder,
    StaffContact,
    SurveyResponse,
)

logger = logging.getLogger(__name__)

# A row left "sending" this long belongs to a worker that died mid-send. It is
# sent again: at worst twice, which beats never for the rare worker crash
# between the SMTP server's acceptance and our commit (both copies carry the
# same Message-ID). A worker killed before the server accepted the message
# leaves nothing delivered, so the second sending is the only one.
# mentorship/tests/test_faults.py kills real workers at both moments.
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
    forget_after_sending: bool = False,
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
            "forget_after_sending": forget_after_sending,
        },
    )
    if created:
        transaction.on_commit(lambda: _send_in_background(email.pk))
    return email


def _send_in_background(email_id: int) -> bool:
    """Hand the row to a worker; False when the broker could not take it."""
    from .tasks import send_email  # the tasks module imports this one

    try:
        send_email.delay(email_id)
    except BrokerError:
        # The row is committed; the sweep sends it once the broker is back.
        logger.warning("Broker unavailable; email %s left for the sweep", email_id)
        return False
    return True


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
    _forget_if_asked(email)
    return True


def _forget_if_asked(email: OutboundEmail) -> None:
    if email.forget_after_sending:
        OutboundEmail.objects.filter(pk=email.pk).update(
            to="", subject="", body_text="", body_html="", attachments=[], headers={}
        )


def message_id(email: OutboundEmail) -> str:
    """The same Message-ID for every attempt at one outbox row.

    A worker that dies after the server accepted a message but before the row
    says so leaves it to be sent again (see STALE_CLAIM); the copy then names
    itself the same message, which mail systems use to recognise duplicates.
    """
    domain = parseaddr(email.from_email)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:20]
    return f"<outbox.{email.pk}.{digest}@{domain}>"


def _deliver(email: OutboundEmail) -> None:
    headers = dict(email.headers)
    if not any(name.lower() == "message-id" for name in headers):
        headers["Message-ID"] = message_id(email)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.to],
        headers=headers,
        connection=get_connection(settings.OUTBOX_DELIVERY_BACKEND),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for item in email.attachments:
        message.attach(
            item["filename"], base64.b64decode(item["content"]), item["mimetype"]
        )
    message.send()


def _is_permanent(exc: Exception) -> bool:
    """A refusal of this message that sending again cannot change: its
    recipient refused with a 5xx code (RFC 5321's permanent failures), or the
    message itself refused with one. A 4xx (greylisting, a full mailbox) is
    retried, and so are refusals of our own login or sender address, which
    are the server's configuration to fix, not the message's."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        return False
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _record_failure(email: OutboundEmail, exc: Exception) -> None:
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS or _is_permanent(exc):
        email.status = OutboundEmail.Status.FAILED
        logger.error("Email %s failed for good: %s", email.pk, email.last_error)
        # The error names the recipient's address as often as not.
        if email.forget_after_sending:
            email.last_error = "Failed; forgotten with the deleted account."
    else:
        email.status = OutboundEmail.Status.PENDING
        delay = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (email.attempts - 1)
        email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    email.save(update_fields=["status", "last_error", "next_attempt_at"])
    if email.status == OutboundEmail.Status.FAILED:
        _forget_if_asked(email)


def email_resend(*, email_id: int) -> None:
    """Give a failed email a fresh set of attempts (a staff action)."""
    with transaction.atomic():
        # One forgotten after failing has no recipient left to send to.
        updated = OutboundEmail.objects.filter(
            pk=email_id, status=OutboundEmail.Status.FAILED, forget_after_sending=False
        ).update(
            status=OutboundEmail.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
        )
        if updated:
            transaction.on_commit(lambda: _send_in_background(email_id))


def outbox_sweep(*, batch_size: int = 200) -> list[int]:
    """Queue the emails that are due: never handed to a worker, or due a retry.

    Returns the ids it queued. When the broker refuses one, the rest wait for
    the next sweep rather than each wait out the publish retries in turn.
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
    queued = []
    for email_id in due:
        if not _send_in_background(email_id):
            break
        queued.append(email_id)
    return queued


def email_render(*, template: str, context: dict, time_zone: str = "UTC") -> dict:
    """Subject and bodies of ``templates/emails/<template>{_subject.txt,.txt,
    .html}``, with dates in the recipient's time zone."""
    context = {**context, "site_url": settings.SITE_URL}
    with timezone.override(zone_or_utc(time_zone)):
        return {
            "subject": " ".join(
                render_to_string(f"emails/{template}_subject.txt", context).split()
            ),
            "body_text": render_to_string(f"emails/{template}.txt", context),
            "body_html": render_to_string(f"emails/{template}.html", context),
        }


def email_render_and_queue(
    *,
    key: str,
    event: str,
    to: str,
    template: str,
    context: dict,
    time_zone: str = "UTC",
    headers: dict | None = None,
    attachments: list[dict] | None = None,
    forget_after_sending: bool = False,
) -> OutboundEmail:
    """Render ``templates/emails/<template>{_subject.txt,.txt,.html}`` and queue it.

    Dates in the email are shown in the recipient's time zone.
    """
    return email_queue(
        key=key,
        event=event,
        to=to,
        **email_render(template=template, context=context, time_zone=time_zone),
        headers=headers,
        attachments=attachments,
        forget_after_sending=forget_after_sending,
    )


def email_build(
    *, key: str, event: str, to: str, template: str, context: dict, time_zone="UTC"
) -> OutboundEmail:
    """An email rendered (as email_render_and_queue renders it) into an
    outbox row not yet saved, for email_queue_many to record with others."""
    return OutboundEmail(
        idempotency_key=key,
        event=event,
        to=to,
        from_email=settings.DEFAULT_FROM_EMAIL,
        **email_render(template=template, context=context, time_zone=time_zone),
    )


def email_queue_many(emails: list[OutboundEmail]) -> None:
    """Record many emails in a few queries, each sent once the surrounding
    transaction commits. An email whose key was queued before is left as it
    is: the key, unique in the database, keeps it to one row, and sending
    claims the row, so it goes out once however often it is handed on."""
    if not emails:
        return
    OutboundEmail.objects.bulk_create(emails, ignore_conflicts=True, batch_size=500)
    ids = list(
        OutboundEmail.objects.filter(
            idempotency_key__in=[email.idempotency_key for email in emails],
            status=OutboundEmail.Status.PENDING,
        ).values_list("pk", flat=True)
    )

    def hand_on():
        for email_id in ids:
            _send_in_background(email_id)

    transaction.on_commit(hand_on)


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def pairing_url(pairing_id: int, *, anchor: str = "") -> str:
    """The pairing page's full address, for emails and invitations."""
    path = reverse("mentorship:pairing_detail", args=[pairing_id])
    return absolute_url(path + (f"#{anchor}" if anchor else ""))


def batch_or_one_by_one(
    write: Callable[[list], int], items: list, *, doing: str, name=str
) -> int:
    """``write(items)``, all in one go; when that fails, ``write([item])``
    for each item in turn, so that one broken item costs only itself. Each
    failure is logged, ``doing`` saying what failed ("Closing pairing") and
    ``name`` which item. Returns what the writes return, added up."""
    if not items:
        return 0
    try:
        return write(items)
    except Exception:
        logger.exception(
            "%s: a batch of %s failed; one at a time now", doing, len(items)
        )
    done = 0
    for item in items:
        try:
            done += write([item])
        except Exception:
            logger.exception("%s %s failed", doing, name(item))
    return done


# Cycles


CYCLE_LOCK_ID = 0x5643_0001  # any constant shared by every writer of cycles


def _lock_cycles() -> None:
    """Serialise writers of cycles, so two overlapping windows cannot be saved
    at once. SQLite serialises every write anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CYCLE_LOCK_ID])


def cycle_validate_window(cycle: Cycle) -> None:
    """Refuse a window that is half set, backwards, or shares an instant with
    another cycle's. Errors name the field to correct.

    Windows are half-open, [opens_at, closes_at): one cycle may open at the
    very instant the previous one closes.
    """
    if cycle.opens_at is None and cycle.closes_at is None:
        return
    if cycle.opens_at is None:
        raise ValidationError(
            {"opens_at": "Set when applications open, or clear the closing time."}
        )
    if cycle.closes_at is None:
        raise ValidationError(
            {"closes_at": "Set when applications close, or clear the opening time."}
        )
    if cycle.closes_at <= cycle.opens_at:
        raise ValidationError({"closes_at": "Applications must close after they open."})
    clash = selectors.overlapping_cycles(cycle).first()
    if clash is not None:
        raise ValidationError(
            {
                "opens_at": f"This window overlaps “{clash.name}” "
                f"({_window_text(clash)}): only one cycle may accept "
                "applications at a time."
            }
        )


def _window_text(cycle: Cycle) -> str:
    zone = timezone.get_current_timezone_name()
    start = timezone.localtime(cycle.opens_at).strftime("%d %b %Y %H:%M")
    end = timezone.localtime(cycle.closes_at).strftime("%d %b %Y %H:%M")
    return f"{start} to {end}, {zone}"


@transaction.atomic
def cycle_save(*, cycle: Cycle) -> Cycle:
    """Save a cycle whose application window overlaps no other cycle's."""
    _lock_cycles()
    # The window first, so its errors read better than the generic message of
    # the database constraint that full_clean would report.
    cycle_validate_window(cycle)
    cycle.full_clean(validate_constraints=True)
    cycle.save()
    return cycle


# "Notify me when applications open"

NOTIFICATION_SALT = "mentorship.opening-notification"


@transaction.atomic
def notification_request(*, email: str) -> OpeningNotification:
    """Remember that someone wants to hear when applications next open.

    Asking again for the same cycle changes nothing, except that it undoes an
    earlier unsubscribe. A row for "whichever cycle is next" that was already
    used for an earlier opening starts waiting again.
    """
    email = email.strip().lower()
    next_cycle = selectors.cycle_status().next_cycle
    notification, created = OpeningNotification.objects.get_or_create(
        email=email, cycle=next_cycle
    )
    if not created:
        changed = []
        if notification.unsubscribed_at is not None:
            notification.unsubscribed_at = None
            changed.append("unsubscribed_at")
        if next_cycle is None and notification.notified_at is not None:
            notification.notified_at = None
            changed.append("notified_at")
        if changed:
            notification.save(update_fields=changed)
    return notification


def notification_unsubscribe_token(notification: OpeningNotification) -> str:
    return signing.dumps(notification.pk, salt=NOTIFICATION_SALT)


def notification_for_token(*, token: str) -> OpeningNotification | None:
    """The notification a signed link names; None when the link is not valid."""
    try:
        pk = signing.loads(token, salt=NOTIFICATION_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return OpeningNotification.objects.filter(pk=pk).first()


@transaction.atomic
def notification_unsubscribe(*, token: str) -> OpeningNotification | None:
    """Stop the emails a signed link names. None when the link is not valid.

    Every waiting request from the same address stops too: someone who asks
    for no more emails means all of them.
    """
    notification = notification_for_token(token=token)
    if notification is None:
        return None
    now = timezone.now()
    OpeningNotification.objects.filter(
        email=notification.email, unsubscribed_at__isnull=True
    ).update(unsubscribed_at=now)
    notification.refresh_from_db()
    return notification


def _recipient_key(email: str) -> str:
    # An address may be 254 characters, more than an outbox key holds.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def notifications_send_for_open_cycle(*, batch_size: int = 500) -> int:
    """Email everyone still waiting, once a cycle is open. Returns how many
    requests were answered.

    Whatever cycle a request named, its author wanted to hear when
    applications open, so every waiting request is answered by the cycle that
    is open now. Safe to run again: answered requests are marked, and the
    outbox key allows one email per address per cycle.
    """
    cycle = selectors.cycle_status().open_cycle
    if cycle is None:
        return 0
    apply_url = absolute_url(reverse("applications:apply"))
    answered = 0
    while True:
        with transaction.atomic():
            batch = list(
                OpeningNotification.objects.select_for_update(skip_locked=True)
                .filter(notified_at__isnull=True, unsubscribed_at__isnull=True)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return answered
            time_zones = dict(
                User.objects.filter(
                    email__in={notification.email for notification in batch}
                ).values_list("email", "time_zone")
            )
            for notification in batch:
                unsubscribe_url = absolute_url(
                    reverse(
                        "notification_unsubscribe",
                        args=[notification_unsubscribe_token(notification)],
                    )
                )
                email_render_and_queue(
                    key=f"cycle-opened:{cycle.pk}:{_recipient_key(notification.email)}",
                    event="cycle.opened",
                    to=notification.email,
                    template="cycle_opened",
                    context={
                        "cycle": cycle,
                        "apply_url": apply_url,
                        "unsubscribe_url": unsubscribe_url,
                    },
                    time_zone=time_zones.get(notification.email, "UTC"),
                    headers={
                        "List-Unsubscribe": f"<{unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                )
            OpeningNotification.objects.filter(
                pk__in=[notification.pk for notification in batch]
            ).update(notified_at=timezone.now())
            answered += len(batch)


# Mentors


class MentorError(Exception):
    """A request the mentor profile's state does not allow; the message says why."""


MentorStatus = MentorProfile.Status

# The decisions staff may take from each state. Declined volunteers can be
# reconsidered; an inactive mentor can come back.
MENTOR_DECISIONS = {
    MentorStatus.PENDING: (MentorStatus.APPROVED, MentorStatus.DECLINED),
    MentorStatus.APPROVED: (MentorStatus.INACTIVE,),
    MentorStatus.INACTIVE: (MentorStatus.APPROVED,),
    MentorStatus.DECLINED: (MentorStatus.APPROVED,),
}

MENTOR_PERSON_FIELDS = ("country", "institution", "time_zone")


def mentor_decision_allowed(profile: MentorProfile, status: str) -> bool:
    return status in MENTOR_DECISIONS.get(profile.status, ())


def _mentor_save_person(user: User, person: dict) -> None:
    for name in MENTOR_PERSON_FIELDS:
        setattr(user, name, person[name])
    user.save(update_fields=list(MENTOR_PERSON_FIELDS))


def _mentor_email(profile: MentorProfile, *, key: str, template: str, **context):
    user = profile.user
    email_render_and_queue(
        key=key,
        event=f"mentor.{template.removeprefix('mentor_')}",
        to=user.email,
        template=template,
        time_zone=user.time_zone,
        context={
            "profile": profile,
            "mentor": user,
            "profile_url": absolute_url(reverse("mentorship:mentor_profile")),
            "pairings_url": absolute_url(reverse("mentorship:pairing_list")),
            **context,
        },
    )


@transaction.atomic
def mentor_volunteer(
    *, user: User, person: dict, profile: dict, interests, career_goals
) -> MentorProfile:
    """Record a volunteer's offer to mentor, waiting for staff review."""
    if MentorProfile.objects.filter(user=user).exists():
        raise MentorError(
            "You have already offered to mentor; you can change your profile."
        )
    _mentor_save_person(user, person)
    mentor = MentorProfile(user=user, agreed_at=timezone.now(), **profile)
    mentor._change_reason = "Volunteered"
    mentor.save()
    mentor.interests.set(interests)
    mentor.career_goals.set(career_goals)
    _mentor_email(
        mentor, key=f"mentor:{mentor.pk}:received", template="mentor_received"
    )
    return mentor


@transaction.atomic
def mentor_profile_update(
    *, mentor: MentorProfile, person: dict, profile: dict, interests, career_goals
) -> MentorProfile:
    # Re-read under a lock and save only what the mentor edits, so a staff
    # decision or a pause made while the form was open is not overwritten.
    mentor = (
        MentorProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=mentor.pk)
    )
    _mentor_save_person(mentor.user, person)
    for name, value in profile.items():
        setattr(mentor, name, value)
    fields = [*profile, "updated_at"]
    mentor._change_reason = "Profile edited by the mentor"
    if mentor.status == MentorStatus.DECLINED:
        # A declined volunteer who changes their profile is asking staff to
        # look again, as the decline email invites them to.
        mentor.status = MentorStatus.PENDING
        fields.append("status")
        mentor._change_reason = "Profile edited after a decline: back for review"
    mentor.save(update_fields=fields)
    mentor.interests.set(interests)
    mentor.career_goals.set(career_goals)
    return mentor


def mentor_set_availability(*, mentor: MentorProfile, available: bool) -> None:
    """Pause or resume offering to mentor in the next cycle."""
    if mentor.is_available == available:
        return
    mentor.is_available = available
    mentor._change_reason = (
        "Available for new mentees" if available else "Paused: no new mentees"
    )
    mentor.save(update_fields=["is_available", "updated_at"])


@transaction.atomic
def mentor_decide(
    *, profile_id: int, status: str, actor: User, note: str = ""
) -> MentorProfile:
    """Staff approve, decline or retire a mentor; the mentor is told by email.

    The row is locked so two staff deciding at once cannot both act on the
    same state.
    """
    mentor = (
        MentorProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=profile_id)
    )
    if not mentor_decision_allowed(mentor, status):
        raise MentorError(
            f"{mentor.user} is {mentor.get_status_display().lower()}; "
            f"they cannot be made {MentorStatus(status).label.lower()}."
        )
    mentor.status = status
    mentor.decided_at = timezone.now()
    mentor.decided_by = actor
    mentor.decision_note = note.strip()
    mentor._history_user = actor
    mentor._change_reason = f"{MentorStatus(status).label} by {actor}"
    mentor.save()
    _mentor_email(
        mentor,
        key=f"mentor:{mentor.pk}:{status}:{mentor.decided_at.isoformat()}",
        template=f"mentor_{status}",
        note=mentor.decision_note,
    )
    return mentor


# Pairings


class PairingError(Exception):
    """A request the pairing's state does not allow; the message says why."""


def pairing_record(pairing: Pairing, *, actor, description: str) -> PairingEvent:
    return PairingEvent.objects.create(
        pairing=pairing, actor=actor, status=pairing.status, description=description
    )


def pairings_record(steps: list[tuple[Pairing, str]], *, actor) -> None:
    """pairing_record for many pairings at once, in one query: each pairing
    with the description of its step."""
    PairingEvent.objects.bulk_create(
        [
            PairingEvent(
                pairing=pairing,
                actor=actor,
                status=pairing.status,
                description=description,
            )
            for pairing, description in steps
        ]
    )


def pairing_set_status(pairing: Pairing, status: str, *, actor, description: str):
    """Move a pairing on and record the step; the caller holds its row lock."""
    pairing.status = status
    pairing.save(update_fields=["status"])
    pairing_record(pairing, actor=actor, description=description)


def _lock_pairing(pairing_id: int) -> Pairing:
    return (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("cycle", "mentee", "mentor")
        .get(pk=pairing_id)
    )


def pairing_mark_active(pairing: Pairing, *, actor, why: str) -> None:
    """The pair has met: the introductory call was held or a first contact was
    logged. Only a pairing that has not got there yet moves."""
    if pairing.status in (Pairing.Status.CONFIRMED, Pairing.Status.INTRODUCED):
        pairing_set_status(
            pairing, Pairing.Status.ACTIVE, actor=actor, description=f"Active: {why}"
        )


# Staff watching progress

# A second nudge within this long is refused: one click is enough, and two
# emails a day about the same thing read as nagging.
NUDGE_INTERVAL = timedelta(hours=24)


def _staff_pairing(pairing_id: int) -> Pairing:
    pairing = _lock_pairing(pairing_id)
    if pairing.status not in Pairing.UNDER_WAY:
        raise PairingError(
            "Staff follow pairings under way; this one is "
            f"{pairing.get_status_display().lower()}."
        )
    return pairing


@transaction.atomic
def pairing_nudge(*, pairing_id: int, staff: User) -> StaffContact:
    """Email both people a friendly reminder from staff to get in touch."""
    pairing = _staff_pairing(pairing_id)
    now = timezone.now()
    recent = pairing.staff_contacts.filter(
        kind=StaffContact.Kind.NUDGE, at__gt=now - NUDGE_INTERVAL
    ).first()
    if recent is not None:
        raise PairingError(
            f"A nudge went to {pairing.mentee.display_name} and "
            f"{pairing.mentor.display_name} at "
            f"{timezone.localtime(recent.at):%H:%M on %d %b}; send another "
            "tomorrow if they have not been in touch."
        )
    contact = StaffContact.objects.create(
        pairing=pairing, kind=StaffContact.Kind.NUDGE, by=staff, at=now
    )
    last_contact = (
        pairing.checkins.exclude(confirmation=CheckIn.Confirmation.DISPUTED)
        .order_by("-occurred_on")
        .values_list("occurred_on", flat=True)
        .first()
    )
    for person in (pairing.mentee, pairing.mentor):
        email_render_and_queue(
            key=f"nudge:{contact.pk}:{person.pk}",
            event="pairing.nudge",
            to=person.email,
            template="pairing_nudge",
            time_zone=person.time_zone,
            context={
                "pairing": pairing,
                "person": person,
                "other": pairing.other_person(person),
                "is_mentee": person.pk == pairing.mentee_id,
                "last_contact": last_contact,
                "pairing_url": pairing_url(pairing.pk, anchor="checkins"),
            },
        )
    pairing_record(pairing, actor=staff, description="Staff sent both a nudge")
    return contact


@transaction.atomic
def pairing_note_staff_check_in(
    *, pairing_id: int, staff: User, note: str
) -> StaffContact:
    """Staff note that they checked in with the pair themselves."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what you learned from the pair."})
    pairing = _staff_pairing(pairing_id)
    contact = StaffContact.objects.create(
        pairing=pairing, kind=StaffContact.Kind.CHECK_IN, by=staff, note=note
    )
    pairing_record(pairing, actor=staff, description="Staff checked in with the pair")
    return contact


# The introductory call


def _intro_call_uid(pairing: Pairing) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"intro-call-{pairing.pk}-{uuid.uuid4().hex}@{domain}"


def intro_call_invitation(call: IntroCall) -> bytes:
    pairing = call.pairing
    organizer_name, organizer_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    people = [pairing.mentee, pairing.mentor, call.host]
    return calendar.intro_call_ics(
        uid=call.uid,
        sequence=call.sequence,
        starts_at=call.starts_at,
        ends_at=call.ends_at,
        summary=f"Introductory call: {pairing.mentee} and {pairing.mentor}",
        description=(
            f"Program staff ({call.host}) introduce {pairing.mentee}, mentee, "
            f"and {pairing.mentor}, mentor, to one another.\n\nJoin: "
            f"{call.location}\n\nYour pairing page: " + pairing_url(pairing.pk)
        ),
        location=call.location,
        organizer=(organizer_name or "Virtual Mentors Program", organizer_email),
        attendees=[(person.display_name, person.email) for person in people],
        cancelled=call.status == IntroCall.Status.CANCELLED,
    )


def _intro_call_emails(call: IntroCall, *, rescheduled: bool = False) -> None:
    pairing = call.pairing
    cancelled = call.status == IntroCall.Status.CANCELLED
    invitation = attachment(
        "intro-call.ics",
        intro_call_invitation(call),
        f"text/calendar; method={'CANCEL' if cancelled else 'REQUEST'}",
    )
    for person in (pairing.mentee, pairing.mentor, call.host):
        email_render_and_queue(
            key=f"introcall:{call.pk}:{call.sequence}:{person.pk}",
            event="intro_call.cancelled" if cancelled else "intro_call.invitation",
            to=person.email,
            template="intro_call_cancelled" if cancelled else "intro_call",
            time_zone=person.time_zone,
            context={
                "call": call,
                "pairing": pairing,
                "person": person,
                "time_zone": person.time_zone,
                "rescheduled": rescheduled,
                "pairing_url": pairing_url(pairing.pk),
            },
            attachments=[invitation],
        )


def _intro_call_release_host(call: IntroCall) -> None:
    """Tell a host who is handing the call over, with a cancellation of the
    same event, so it leaves their calendar."""
    previous = call.host
    cancellation = IntroCall(
        pk=call.pk,
        pairing=call.pairing,
        uid=call.uid,
        sequence=call.sequence,
        starts_at=call.starts_at,
        duration_minutes=call.duration_minutes,
        location=call.location,
        host=previous,
        status=IntroCall.Status.CANCELLED,
    )
    email_render_and_queue(
        key=f"introcall:{call.pk}:{call.sequence}:{previous.pk}:handed-over",
        event="intro_call.cancelled",
        to=previous.email,
        template="intro_call_cancelled",
        time_zone=previous.time_zone,
        context={
            "call": cancellation,
            "pairing": call.pairing,
            "person": previous,
            "time_zone": previous.time_zone,
            "pairing_url": pairing_url(call.pairing_id),
        },
        attachments=[
            attachment(
                "intro-call.ics",
                intro_call_invitation(cancellation),
                "text/calendar; method=CANCEL",
            )
        ],
    )


@transaction.atomic
def intro_call_schedule(
    *,
    pairing_id: int,
    starts_at,
    duration_minutes: int,
    location: str,
    host: User,
    actor: User,
) -> IntroCall:
    """Schedule the introductory call, or move it; everyone gets the invitation.

    Moving it keeps the invitation's UID and raises its sequence, so the
    event already in people's calendars is updated.
    """
    pairing = _lock_pairing(pairing_id)
    if pairing.status not in Pairing.UNDER_WAY:
        raise PairingError(
            "The introductory call is scheduled once both people have accepted "
            f"the pairing; this one is {pairing.get_status_display().lower()}."
        )
    call = IntroCall.objects.select_for_update().filter(pairing=pairing).first()
    location = location.strip()
    if call is None:
        call = IntroCall(pairing=pairing, uid=_intro_call_uid(pairing))
        rescheduled = False
    else:
        if call.status == IntroCall.Status.HELD:
            raise PairingError("The introductory call has already taken place.")
        unchanged = (
            call.status == IntroCall.Status.SCHEDULED
            and call.starts_at == starts_at
            and call.duration_minutes == duration_minutes
            and call.location == location
            and call.host_id == host.pk
        )
        if unchanged:
            return call
        call.sequence += 1
        rescheduled = call.status == IntroCall.Status.SCHEDULED
        if call.host_id != host.pk:
            _intro_call_release_host(call)
    call.starts_at = starts_at
    call.duration_minutes = duration_minutes
    call.location = location
    call.host = host
    call.status = IntroCall.Status.SCHEDULED
    call.save()
    when = timezone.localtime(starts_at, zoneinfo.ZoneInfo("UTC"))
    pairing_record(
        pairing,
        actor=actor,
        description=f"Introductory call {'moved to' if rescheduled else 'set for'} "
        f"{when:%d %b %Y %H:%M} UTC",
    )
    _intro_call_emails(call, rescheduled=rescheduled)
    return call


@transaction.atomic
def intro_call_cancel(*, pairing_id: int, actor: User) -> IntroCall:
    pairing = _lock_pairing(pairing_id)
    call = IntroCall.objects.select_for_update().filter(pairing=pairing).first()
    if call is None or call.status != IntroCall.Status.SCHEDULED:
        raise PairingError("There is no scheduled introductory call to cancel.")
    call.status = IntroCall.Status.CANCELLED
    call.sequence += 1
    call.save(update_fields=["status", "sequence", "updated_at"])
    pairing_record(pairing, actor=actor, description="Introductory call cancelled")
    _intro_call_emails(call)
    return call


@transaction.atomic
def intro_call_record(
    *, pairing_id: int, held: bool, note: str, actor: User, now=None
) -> IntroCall:
    """After the call, staff say whether it was held, with a note. A held call
    makes the pairing active."""
    pairing = _lock_pairing(pairing_id)
    call = IntroCall.objects.select_for_update().filter(pairing=pairing).first()
    if call is None or call.status != IntroCall.Status.SCHEDULED:
        raise PairingError("There is no scheduled introductory call to report on.")
    if call.starts_at > (now or timezone.now()):
        raise PairingError("The introductory call has not started yet.")
    call.status = IntroCall.Status.HELD if held else IntroCall.Status.MISSED
    call.outcome_note = note.strip()
    call.save(update_fields=["status", "outcome_note", "updated_at"])
    pairing_record(
        pairing,
        actor=actor,
        description="Introductory call held" if held else "Introductory call missed",
    )
    if held:
        pairing_mark_active(pairing, actor=actor, why="the introductory call was held")
    return call


# Check-ins


@transaction.atomic
def checkin_log(
    *,
    pairing_id: int,
    author: User,
    occurred_on,
    way: str,
    initiated_by: str,
    minutes: int,
    topics=(),
    other_topics: str = "",
    notes: str = "",
    notes_private: bool = False,
) -> CheckIn:
    """One of the pair logs a contact; the other is asked to confirm it.

    The first contact makes the pairing active.
    """
    pairing = _lock_pairing(pairing_id)
    if author.pk not in (pairing.mentee_id, pairing.mentor_id):
        raise PairingError("Only the mentee and the mentor log their contacts.")
    if pairing.status not in Pairing.UNDER_WAY:
        raise PairingError(
            "Contacts are logged while the pairing is under way; this one is "
            f"{pairing.get_status_display().lower()}."
        )
    if pairing.ends_on and occurred_on >= pairing.ends_on:
        raise PairingError(
            f"The year ended on {pairing.ends_on - timedelta(days=1):%d %B %Y}; "
            "a contact after it is not part of it."
        )
    checkin = CheckIn.objects.create(
        pairing=pairing,
        author=author,
        occurred_on=occurred_on,
        month=program.month_number(pairing.starts_on, occurred_on),
        way=way,
        initiated_by=initiated_by,
        minutes=minutes,
        other_topics=" ".join(other_topics.split()),
        notes=notes.strip(),
        notes_private=notes_private,
    )
    checkin.topics.set(topics)
    pairing_last_contact_refresh([pairing.pk])
    pairing_record(
        pairing,
        actor=author,
        description=f"Contact of {occurred_on:%d %b %Y} logged by the "
        f"{pairing.role_of(author)}",
    )
    pairing_mark_active(pairing, actor=author, why="a first contact was logged")
    if pairing.attention:
        pairing.attention = Pairing.Attention.NONE
        pairing.save(update_fields=["attention"])
        pairing_record(pairing, actor=author, description="Back on track: in touch")
    other = pairing.other_person(author)
    email_render_and_queue(
        key=f"checkin:{checkin.pk}:confirm",
        event="checkin.confirm",
        to=other.email,
        template="checkin_confirm",
        time_zone=other.time_zone,
        context={
            "checkin": checkin,
            "author": author,
            "person": other,
            "pairing_url": pairing_url(pairing.pk, anchor="checkins"),
        },
    )
    return checkin


def pairing_last_contact_refresh(pairings) -> None:
    """Store each of these pairings' latest contact that counts
    (``Pairing.last_contact_on``), from their contacts: one statement
    however many. ``pairings``: a queryset of them, or their ids."""
    latest = (
        CheckIn.objects.filter(pairing=OuterRef("pk"))
        .exclude(confirmation=CheckIn.Confirmation.DISPUTED)
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    Pairing.objects.filter(pk__in=pairings).update(last_contact_on=Subquery(latest))


@transaction.atomic
def checkin_answer(*, checkin_id: int, user: User, agree: bool) -> CheckIn:
    """The other person says whether the logged contact happened. A "that's
    not right" is recorded for staff and the contact stops counting."""
    checkin = (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("pairing", "author")
        .get(pk=checkin_id)
    )
    pairing = checkin.pairing
    if user.pk not in (pairing.mentee_id, pairing.mentor_id):
        raise PairingError("This contact is not yours to confirm.")
    if user.pk == checkin.author_id:
        raise PairingError("You logged this contact; your pair confirms it.")
    if checkin.confirmation != CheckIn.Confirmation.WAITING:
        raise PairingError("You have answered for this contact already.")
    if pairing.status not in Pairing.UNDER_WAY:
        raise PairingError("This pairing is no longer under way.")
    checkin.confirmation = (
        CheckIn.Confirmation.CONFIRMED if agree else CheckIn.Confirmation.DISPUTED
    )
    checkin.answered_at = timezone.now()
    checkin.save(update_fields=["confirmation", "answered_at"])
    if not agree:
        pairing_last_contact_refresh([pairing.pk])
        pairing_record(
            pairing,
            actor=user,
            description=f"The {pairing.role_of(user)} says the contact of "
            f"{checkin.occurred_on:%d %b %Y} is not right",
        )
    return checkin


# The Mentoring Plan


def _plan_pairing(pairing_id: int, user: User) -> Pairing:
    pairing = _lock_pairing(pairing_id)
    if user.pk not in (pairing.mentee_id, pairing.mentor_id):
        raise PairingError("Only the mentee and the mentor edit their plan.")
    if pairing.status not in Pairing.UNDER_WAY:
        raise PairingError(
            "The plan is edited while the pairing is under way; this one is "
            f"{pairing.get_status_display().lower()}."
        )
    return pairing


def _plan_item_save(model, pairing: Pairing, user: User, item_id, fields: dict):
    """Create or change one objective or activity of the pairing's plan; the
    change history records the user."""
    if item_id is None:
        item = model(pairing=pairing)
    else:
        item = model.objects.select_for_update().get(pk=item_id, pairing=pairing)
    for name, value in fields.items():
        setattr(item, name, value)
    item._history_user = user
    item.save()
    return item


@transaction.atomic
def plan_objective_save(
    *, pairing_id: int, user: User, objective_id: int | None = None, **fields
) -> Objective:
    """Add an objective, or change one; the change history keeps who and what."""
    pairing = _plan_pairing(pairing_id, user)
    return _plan_item_save(Objective, pairing, user, objective_id, fields)


@transaction.atomic
def plan_activity_save(
    *, pairing_id: int, user: User, activity_id: int | None = None, **fields
) -> Activity:
    pairing = _plan_pairing(pairing_id, user)
    objective = fields.get("objective")
    if objective is not None and objective.pairing_id != pairing.pk:
        raise PairingError("That objective belongs to another plan.")
    return _plan_item_save(Activity, pairing, user, activity_id, fields)


@transaction.atomic
def plan_start_from_template(*, pairing_id: int, user: User) -> list[Objective]:
    """Give an empty plan the cycle's starter objectives."""
    pairing = _plan_pairing(pairing_id, user)
    if pairing.objectives.exists():
        raise PairingError("Your plan has objectives already.")
    titles = [
        " ".join(line.split())[:200]
        for line in pairing.cycle.plan_starter.splitlines()
        if line.strip()
    ]
    objectives = []
    for title in titles:
        objective = Objective(pairing=pairing, title=title)
        objective._history_user = user
        objective.save()
        objectives.append(objective)
    return objectives


# Monthly reminders

REMINDER_TEXT = {
    Reminder.Kind.REACH_OUT: "Month {month} has begun: get in touch with your mentor.",
    Reminder.Kind.MID_MONTH: "Month {month} is half gone and no contact is logged yet.",
    Reminder.Kind.MISSED: "Month {month} ended with no contact logged.",
    Reminder.Kind.AT_RISK: "Two months in a row without contact.",
    Reminder.Kind.PULSE: "Did you talk in month {month}?",
}
# Plan reminders carry their own text (the activity, the review's date).

# The page each kind of reminder's email links to, the pairing's for the
# kinds not named; the pulse links to its two answers instead. Only that
# link is built: a URL lookup costs as much as rendering the email does.
REMINDER_LINKS = {
    Reminder.Kind.AT_RISK: ("admin_url", "admin:mentorship_pairing_change"),
    Reminder.Kind.ACTIVITY_DUE: ("plan_url", "mentorship:plan"),
    Reminder.Kind.PLAN_REVIEW: ("plan_url", "mentorship:plan"),
}
PAIRING_LINK = ("pairing_url", "mentorship:pairing_detail")

PULSE_SALT = "mentorship.pulse"
INVALID_PULSE_LINK = "This link is not valid. Copy the whole link from the email."
# Long enough for an answer after a holiday, short enough that an old email
# cannot change a month long settled.
PULSE_MAX_AGE = timedelta(days=40)


def _reminder_row(
    pairing: Pairing, *, kind: str, key: str, month: int, person, text: str = ""
) -> Reminder:
    recipient = person.email if person else settings.PROGRAM_STAFF_EMAIL
    # The pulse asks a question the person answers from the email itself, so
    # it is never held back for a digest.
    weekly = (
        bool(person)
        and kind != Reminder.Kind.PULSE
        and person.reminder_delivery == User.ReminderDelivery.WEEKLY
    )
    return Reminder(
        pairing=pairing,
        kind=kind,
        key=key,
        recipient=recipient,
        person=person,
        text=text or REMINDER_TEXT[kind].format(month=month),
        in_digest=weekly,
    )


def _reminder_email(reminder: Reminder, month: int) -> OutboundEmail:
    pairing, person, kind = reminder.pairing, reminder.person, reminder.kind
    return email_build(
        key=f"reminder:{pairing.pk}:{kind}:{reminder.key}:{reminder.recipient}"[:200],
        event=f"reminder.{kind}",
        to=reminder.recipient,
        template=f"reminder_{kind}",
        time_zone=person.time_zone if person else "UTC",
        context={
            "pairing": pairing,
            "person": person,
            "month": month,
            "reminder": reminder,
            **_reminder_links(pairing, kind, month, person),
        },
    )


def _reminder_links(pairing: Pairing, kind: str, month: int, person) -> dict:
    if kind == Reminder.Kind.PULSE:
        return _pulse_links(pairing, month, person)
    name, view = REMINDER_LINKS.get(kind, PAIRING_LINK)
    return {name: absolute_url(reverse(view, args=[pairing.pk]))}


@transaction.atomic
def _remind_many(due: list[tuple[Reminder, OutboundEmail | None]]) -> int:
    """Write these reminders and, in the same transaction, their emails (none
    for a reminder kept for the person's weekly digest). Returns how many
    were new.

    A few queries however many. The pairings are locked first, so a pairing
    ended meanwhile (or a person whose account was deleted, or whose address
    changed) gets nothing, and two runs writing the same batch take turns:
    the second finds the first's rows and writes none. The unique
    constraints still keep each reminder, and the outbox's key each email,
    to one.
    """
    by_identity = {
        (r.pairing_id, r.kind, r.key, r.recipient): (r, email) for r, email in due
    }
    if not by_identity:
        return 0
    live = set(
        Pairing.objects.select_for_update()
        .filter(
            pk__in={r.pairing_id for r, _ in by_identity.values()},
            status__in=Pairing.UNDER_WAY,
        )
        # In the order every batch locks pairings in, so two never deadlock.
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    addresses = dict(
        User.objects.filter(
            pk__in={r.person_id for r, _ in by_identity.values() if r.person_id},
            deleted_at__isnull=True,
        ).values_list("pk", "email")
    )
    written = set(
        Reminder.objects.filter(pairing_id__in=live).values_list(
            "pairing_id", "kind", "key", "recipient"
        )
    )
    new = [
        (reminder, email)
        for identity, (reminder, email) in by_identity.items()
        if reminder.pairing_id in live
        and identity not in written
        and (
            reminder.person_id is None
            or addresses.get(reminder.person_id) == reminder.recipient
        )
    ]
    Reminder.objects.bulk_create(
        [reminder for reminder, _ in new], ignore_conflicts=True, batch_size=500
    )
    email_queue_many([email for _, email in new if email is not None])
    return len(new)


def _due_reminder(
    pairing: Pairing, *, kind: str, key: str, month: int, person, text: str = ""
) -> tuple[Reminder, OutboundEmail | None]:
    """A reminder and its email (none when it waits for the weekly digest),
    built in memory."""
    reminder = _reminder_row(
        pairing, kind=kind, key=key, month=month, person=person, text=text
    )
    return reminder, None if reminder.in_digest else _reminder_email(reminder, month)


def _pulse_links(pairing: Pairing, month: int, person) -> dict:
    def link(talked: bool) -> str:
        token = signing.dumps(
            {
                "pairing": pairing.pk,
                "month": month,
                "person": person.pk,
                "talked": talked,
            },
            salt=PULSE_SALT,
        )
        return absolute_url(reverse("mentorship:pulse", args=[token]))

    return {"yes_url": link(True), "no_url": link(False)}


def pulse_read(token: str) -> dict:
    """What a pulse link says, if it is genuine and not too old."""
    try:
        data = signing.loads(
            token, salt=PULSE_SALT, max_age=PULSE_MAX_AGE.total_seconds()
        )
    except signing.SignatureExpired:
        raise PairingError(
            "This link has expired. You can log a contact on your pairing page."
        ) from None
    except signing.BadSignature:
        raise PairingError(INVALID_PULSE_LINK) from None
    if not isinstance(data, dict) or set(data) != {
        "pairing",
        "month",
        "person",
        "talked",
    }:
        raise PairingError(INVALID_PULSE_LINK)
    return data


@transaction.atomic
def pulse_answer(*, token: str) -> PulseAnswer:
    """Record a pulse answer: "yes" makes the month count as met, "no" flags
    it for staff. Each person answers each month once; the link changes
    nothing else."""
    data = pulse_read(token)
    pairing = (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("mentee", "mentor")
        .filter(pk=data["pairing"])
        .first()
    )
    if pairing is None or data["person"] not in (pairing.mentee_id, pairing.mentor_id):
        raise PairingError(INVALID_PULSE_LINK)
    if pairing.status not in Pairing.UNDER_WAY:
        raise PairingError("This pairing is no longer under way.")
    person = pairing.mentee if data["person"] == pairing.mentee_id else pairing.mentor
    answer, created = PulseAnswer.objects.get_or_create(
        pairing=pairing,
        month=data["month"],
        person=person,
        defaults={"talked": data["talked"]},
    )
    if not created:
        raise PairingError("You have answered for this month already. Thank you.")
    role = pairing.role_of(person)
    if answer.talked:
        pairing_record(
            pairing,
            actor=person,
            description=f"The {role} says you talked in month {answer.month}",
        )
    else:
        pairing_record(
            pairing,
            actor=person,
            description=f"The {role} says there was no contact in month {answer.month}",
        )
        if not pairing.attention:
            pairing.attention = Pairing.Attention.NEEDS_ATTENTION
            pairing.save(update_fields=["attention"])
    return answer


def _attention_from(months, today) -> tuple[str, int]:
    """How the pairing stands, from its months: a contact this month puts it
    back on track; otherwise the months missed just before count."""
    current = reminders.current_month(months, today)
    if current is None or current.status == program.MET:
        return Pairing.Attention.NONE, 0
    count, last_missed = reminders.missed_in_a_row(months, today)
    if count >= 2:
        return Pairing.Attention.AT_RISK, last_missed
    if count == 1:
        return Pairing.Attention.NEEDS_ATTENTION, last_missed
    return Pairing.Attention.NONE, 0


@dataclass(frozen=True)
class _AttentionChange:
    """How a pairing stands now, by the months read with its batch, when
    that is not what its flag says."""

    pairing: Pairing
    attention: str
    last_missed: int
    # The mentee's month under way (None once the year is over for them).
    current: program.Month | None


def _attention_change(pairing: Pairing, months, today) -> _AttentionChange | None:
    attention, last_missed = _attention_from(months, today)
    if attention == pairing.attention:
        return None
    return _AttentionChange(
        pairing, attention, last_missed, reminders.current_month(months, today)
    )


def _in_touch_this_month(changes: list[_AttentionChange]) -> set[int]:
    """The ids of the pairings with a contact (not disputed) in the month
    under way, read now: one logged since their batch was read counts."""
    current = {c.pairing.pk: c.current for c in changes if c.current is not None}
    if not current:
        return set()
    contacts = (
        CheckIn.objects.filter(
            pairing_id__in=current,
            occurred_on__gte=min(month.starts_on for month in current.values()),
            occurred_on__lte=max(month.ends_on for month in current.values()),
        )
        .exclude(confirmation=CheckIn.Confirmation.DISPUTED)
        .values_list("pairing_id", "occurred_on")
    )
    return {
        pairing_id for pairing_id, day in contacts if current[pairing_id].contains(day)
    }


@transaction.atomic
def _attend(changes: list[_AttentionChange]) -> int:
    """Mark how these pairings stand; alert staff when one turns at risk
    (once for each time it does). Returns reminders written.

    A fixed number of queries however many. The flags change under the
    pairings' row locks, on the flags as they are now, so two runs, or a
    contact logged meanwhile, cannot make one flap; a pairing that closed
    meanwhile is left as it is.
    """
    flags = dict(
        Pairing.objects.select_for_update()
        .filter(
            pk__in=[change.pairing.pk for change in changes],
            status__in=Pairing.UNDER_WAY,
        )
        .order_by("pk")
        .values_list("pk", "attention")
    )
    in_touch = _in_touch_this_month(changes)
    by_flag, events, alerts = defaultdict(list), [], []
    for change in changes:
        pairing = change.pairing
        if pairing.pk not in flags:
            continue
        attention = (
            Pairing.Attention.NONE if pairing.pk in in_touch else change.attention
        )
        pairing.attention = attention
        if attention == flags[pairing.pk]:
            continue
        by_flag[attention].append(pairing.pk)
        if attention:
            events.append((pairing, attention.label))
        if attention == Pairing.Attention.AT_RISK:
            alerts.append(
                _due_reminder(
                    pairing,
                    kind=Reminder.Kind.AT_RISK,
                    key=f"month:{change.last_missed}",
                    month=change.last_missed,
                    person=None,
                )
            )
    for attention, pairing_ids in by_flag.items():
        Pairing.objects.filter(pk__in=pairing_ids).update(attention=attention)
    pairings_record(events, actor=None)
    return _remind_many(alerts)


def reminders_send(*, now=None, batch_size: int = 500) -> int:
    """The hourly check: for every pairing under way, the reminders due in
    each person's morning. Safe to run as often as one likes.

    Pairings are read in batches, with their contacts, pulse answers, open
    activities and the reminders they already had read as plain values for
    the whole batch; the changes of their attention flags, then their new
    reminders, are written together. A fixed number of queries per batch,
    however many are due.
    """
    now = now or timezone.now()
    pairings = (
        Pairing.objects.filter(status__in=Pairing.UNDER_WAY, starts_on__isnull=False)
        .select_related("cycle", "mentee", "mentor")
        .order_by("pk")
    )
    sent, last_pk = 0, 0
    while batch := list(pairings.filter(pk__gt=last_pk)[:batch_size]):
        last_pk = batch[-1].pk
        facts = _reminder_facts([pairing.pk for pairing in batch])
        due, changes = [], []
        for pairing in batch:
            try:
                if change := _attend_and_list_due(pairing, now, due, facts):
                    changes.append(change)
            except Exception:  # one broken pairing must not stop the others
                logger.exception("Reminders for pairing %s failed", pairing.pk)
        sent += batch_or_one_by_one(
            _attend,
            changes,
            doing="Marking how it stands: pairing",
            name=lambda change: change.pairing.pk,
        )
        sent += _remind_batch(due)
    return sent


@dataclass
class _ReminderFacts:
    """What the reminders of a batch of pairings depend on, by pairing id."""

    contacts: dict = field(default_factory=lambda: defaultdict(list))
    talked: dict = field(default_factory=lambda: defaultdict(set))
    activities: dict = field(default_factory=lambda: defaultdict(list))
    written: dict = field(default_factory=lambda: defaultdict(set))


def _reminder_facts(ids: list[int]) -> _ReminderFacts:
    facts = _ReminderFacts()
    for pairing_id, day in (
        CheckIn.objects.filter(pairing_id__in=ids)
        .exclude(confirmation=CheckIn.Confirmation.DISPUTED)
        .values_list("pairing_id", "occurred_on")
    ):
        facts.contacts[pairing_id].append(day)
    for pairing_id, month in PulseAnswer.objects.filter(
        pairing_id__in=ids, talked=True
    ).values_list("pairing_id", "month"):
        facts.talked[pairing_id].add(month)
    for pairing_id, *activity in Activity.objects.filter(
        pairing_id__in=ids, done_on__isnull=True
    ).values_list("pairing_id", "pk", "title", "due_on"):
        facts.activities[pairing_id].append(tuple(activity))
    for pairing_id, *reminder in Reminder.objects.filter(
        pairing_id__in=ids
    ).values_list("pairing_id", "kind", "key", "recipient"):
        facts.written[pairing_id].add(tuple(reminder))
    return facts


def _remind_batch(due) -> int:
    # One pairing's failure must not cost the others their reminders.
    by_pairing = defaultdict(list)
    for item in due:
        by_pairing[item[0].pairing_id].append(item)
    return batch_or_one_by_one(
        lambda groups: _remind_many([item for items in groups for item in items]),
        list(by_pairing.values()),
        doing="Reminders for pairing",
        name=lambda items: items[0][0].pairing_id,
    )


def _attend_and_list_due(
    pairing: Pairing, now, due: list, facts: _ReminderFacts
) -> _AttentionChange | None:
    """Add to ``due`` the reminders newly due now for one pairing's two
    people. Returns how the pairing stands, when in the mentee's morning
    that is not what its flag says."""
    change = None
    contacts = reminders.with_pulses(
        facts.contacts[pairing.pk],
        program.program_months(pairing.starts_on, pairing.months),
        facts.talked[pairing.pk],
    )
    written = facts.written[pairing.pk]
    activities = facts.activities[pairing.pk]
    for person in (pairing.mentee, pairing.mentor):
        local_now = now.astimezone(zone_or_utc(person.time_zone))
        months = program.month_statuses(
            starts_on=pairing.starts_on,
            count=pairing.months,
            contacts=contacts,
            today=local_now.date(),
        )
        if person == pairing.mentee and local_now.hour in reminders.MORNING_HOURS:
            change = _attention_change(pairing, months, local_now.date())
        for item in [
            *reminders.due(
                months=months, role=pairing.role_of(person), local_now=local_now
            ),
            *reminders.plan_due(
                months=months, activities=activities, local_now=local_now
            ),
        ]:
            if (item.kind, item.key, person.email) in written:
                continue
            due.append(
                _due_reminder(
                    pairing,
                    kind=item.kind,
                    key=item.key,
                    month=item.month,
                    person=person,
                    text=item.text,
                )
            )
    return change


def reminder_digests_send(*, now=None) -> int:
    """Monday morning, each person who takes reminders weekly gets one email
    with their reminders since the last digest; each is in one digest only.
    Reminders of pairings that have ended are left out."""
    now = now or timezone.now()
    waiting = Reminder.objects.filter(
        in_digest=True,
        digested_at__isnull=True,
        pairing__status__in=Pairing.UNDER_WAY,
    )
    people = User.objects.filter(pk__in=waiting.values("person_id")).order_by("pk")
    sent = 0
    for person in people:
        local_now = now.astimezone(zone_or_utc(person.time_zone))
        if local_now.weekday() != 0 or local_now.hour not in reminders.MORNING_HOURS:
            continue
        with transaction.atomic():
            items = list(
                waiting.filter(person=person)
                .select_for_update(of=("self",))
                .select_related("pairing__mentee", "pairing__mentor")
                .order_by("created_at", "pk")
            )
            if not items:
                continue
            ids = [item.pk for item in items]
            # Keyed by what it contains: a later digest the same week (a
            # reminder written after the first one went) is its own email.
            digest_key = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
            email_render_and_queue(
                key=f"digest:{person.pk}:{digest_key[:32]}",
                event="reminder.digest",
                to=person.email,
                template="reminder_digest",
                time_zone=person.time_zone,
                context={"person": person, "items": items},
            )
            Reminder.objects.filter(pk__in=ids).update(digested_at=now)
            sent += 1
    return sent


# Closing the year


def survey_url(pairing_id: int, kind: str) -> str:
    return absolute_url(reverse("mentorship:survey", args=[pairing_id, kind]))


def _had_contact_ids(pairings: list[Pairing]) -> set[int]:
    """The ids of the pairings whose pair were in touch at least once: the
    pairing became active (the introductory call was held, or a contact
    logged), or one of them said "yes, we talked" to a monthly pulse, which
    counts a month as met too. One query at most, however many."""
    had_contact = {p.pk for p in pairings if p.status == Pairing.Status.ACTIVE}
    others = [p.pk for p in pairings if p.pk not in had_contact]
    if others:
        had_contact.update(
            PulseAnswer.objects.filter(pairing_id__in=others, talked=True)
            .order_by()
            .values_list("pairing_id", flat=True)
        )
    return had_contact


def _had_contact(pairing: Pairing) -> bool:
    return pairing.pk in _had_contact_ids([pairing])


def _closing_links(pairing: Pairing, outcome: closing.Outcome) -> dict:
    """The closing emails' links, the same for both people."""
    return {
        "survey_url": survey_url(pairing.pk, SurveyResponse.Kind.CLOSING)
        if outcome.surveyed
        else "",
        "pairing_url": pairing_url(pairing.pk),
    }


def _closing_email(
    pairing: Pairing,
    person: User,
    outcome: closing.Outcome,
    *,
    early: bool,
    links: dict,
) -> OutboundEmail:
    return email_build(
        key=f"pairing:{pairing.pk}:closed:{person.pk}",
        event=f"pairing.{outcome.status}",
        to=person.email,
        template=f"pairing_{outcome.status}",
        time_zone=person.time_zone,
        context={
            "pairing": pairing,
            "person": person,
            "other": pairing.other_person(person),
            "role": pairing.role_of(person),
            "early": early,
            **links,
        },
    )


def _pairings_close(
    closes: list[tuple[Pairing, closing.Outcome]], *, actor, early: bool, now
) -> None:
    """Close pairings, each as its outcome says: status, when and why, the
    event, and one email to each of the two, with the closing survey when it
    applies. The caller holds the pairings' row locks and has checked that
    each is under way.

    A fixed number of queries however many (an update for each way of
    closing among them), but for a pair whose introductory call is still to
    come (rare once a year is over): that call is cancelled as staff would,
    a few queries each. The emails are built before anything is written, so
    one that cannot be built writes nothing.
    """
    if not closes:
        return
    emails, surveys = [], []
    for pairing, outcome in closes:
        pairing.status = outcome.status
        pairing.ended_at = now
        pairing.end_reason = outcome.reason
        # Attention is for pairs under way; a closed pair needs none.
        pairing.attention = Pairing.Attention.NONE
        links = _closing_links(pairing, outcome)
        for person in (pairing.mentee, pairing.mentor):
            if outcome.surveyed:
                surveys.append(
                    SurveyResponse(
                        pairing=pairing,
                        person=person,
                        kind=SurveyResponse.Kind.CLOSING,
                        role=pairing.role_of(person),
                        invited_at=now,
                    )
                )
            emails.append(
                _closing_email(pairing, person, outcome, early=early, links=links)
            )
    calls = IntroCall.objects.filter(
        pairing_id__in=[pairing.pk for pairing, _ in closes],
        status=IntroCall.Status.SCHEDULED,
    )
    for pairing_id in calls.order_by("pairing_id").values_list("pairing_id", flat=True):
        # Out of everyone's calendar, with the usual cancellation.
        intro_call_cancel(pairing_id=pairing_id, actor=actor)
    # One update for each way of closing (two at the end of a year): a
    # bulk_update's CASE for each row costs more to build than to run.
    by_outcome = defaultdict(list)
    for pairing, outcome in closes:
        by_outcome[outcome.status, outcome.reason].append(pairing.pk)
    for (status, reason), pairing_ids in by_outcome.items():
        Pairing.objects.filter(pk__in=pairing_ids).update(
            status=status,
            ended_at=now,
            end_reason=reason,
            attention=Pairing.Attention.NONE,
        )
    pairings_record(
        [(pairing, outcome.description[:300]) for pairing, outcome in closes],
        actor=actor,
    )
    # As with get_or_create, the unique constraint keeps each one to a row.
    SurveyResponse.objects.bulk_create(surveys, ignore_conflicts=True)
    email_queue_many(emails)


@transaction.atomic
def _pairings_close_years(pairing_ids: list[int], now) -> int:
    """Close those of these pairings whose year is over for both people:
    completed when the pair were ever in contact, otherwise ended, not
    counted as completed. Returns how many closed.

    Each is locked and looked at as it is now: one closed meanwhile, or
    whose year was extended, is left as it is. A fixed number of queries
    however many (see _pairings_close).
    """
    locked = (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("cycle", "mentee", "mentor")
        .filter(pk__in=pairing_ids, status__in=Pairing.UNDER_WAY, ends_on__isnull=False)
        .order_by("pk")
    )
    pairings = [
        pairing
        for pairing in locked
        if closing.year_over(
            pairing.ends_on, (pairing.mentee.time_zone, pairing.mentor.time_zone), now
        )
    ]
    had_contact = _had_contact_ids(pairings)
    _pairings_close(
        [
            (pairing, closing.year_end_outcome(had_contact=pairing.pk in had_contact))
            for pairing in pairings
        ],
        actor=None,
        early=False,
        now=now,
    )
    return len(pairings)


def pairing_close_year(*, pairing_id: int, now=None) -> bool:
    """Close one pairing whose year is over for both people, as
    pairings_close_due closes many. False when there is nothing to do: it is
    closed already, or its year was extended meanwhile."""
    return bool(_pairings_close_years([pairing_id], now or timezone.now()))


def pairings_close_due(*, now=None, batch_size: int = 200) -> int:
    """The hourly close: every pairing under way whose year is over for both
    of its people. Returns how many closed.

    Safe to run as often as one likes: each batch closes in its own
    transaction, under its pairings' row locks, on their state as it is
    then, in a fixed number of queries. A batch that fails is closed again
    one pairing at a time, so one broken pairing keeps only itself open.
    """
    now = now or timezone.now()
    # No one's date is more than a day ahead of UTC's (UTC+14 at most), so
    # only these can be over for anyone; each person's own date decides.
    latest = now.astimezone(zoneinfo.ZoneInfo("UTC")).date() + timedelta(days=1)
    # The ids first, through the index of years ending (pairing_year_end_idx):
    # walking all pairings under way in id order to find the few ending, as
    # a query ordered by id and limited to a batch leads the planner to do,
    # reads every one of them every hour.
    due = sorted(
        Pairing.objects.filter(
            status__in=Pairing.UNDER_WAY, ends_on__isnull=False, ends_on__lte=latest
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    return sum(
        # One broken pairing must not keep the rest open.
        batch_or_one_by_one(
            lambda ids: _pairings_close_years(ids, now),
            due[start : start + batch_size],
            doing="Closing pairing",
        )
        for start in range(0, len(due), batch_size)
    )


def _under_way_or_refuse(pairing: Pairing, doing: str) -> None:
    if pairing.status not in Pairing.UNDER_WAY:
        raise PairingError(
            f"Only a pairing under way can be {doing}; this one is "
            f"{pairing.get_status_display().lower()}."
        )


@transaction.atomic
def pairing_extend(
    *, pairing_id: int, months: int, reason: str, actor: User
) -> Pairing:
    """Staff give a pairing under way more months; both people are told.

    Its months strip, its reminders and its close all follow the new length.
    """
    pairing = _lock_pairing(pairing_id)
    _under_way_or_refuse(pairing, "extended")
    if months not in closing.EXTEND_MONTHS:
        raise PairingError("Extend a pairing by one to twelve months at a time.")
    reason = " ".join(reason.split())
    if not reason:
        raise PairingError("Give the reason for the extension.")
    if pairing.starts_on is None:
        raise PairingError("This pairing's year has no start date to count from.")
    pairing.months += months
    pairing.ends_on = program.add_months(pairing.starts_on, pairing.months)
    pairing.save(update_fields=["months", "ends_on"])
    pairing_record(
        pairing,
        actor=actor,
        description=(
            f"Year extended by {months} month{'s' if months > 1 else ''} to "
            f"{pairing.months}, until {pairing.ends_on:%d %b %Y}: {reason}"
        )[:300],
    )
    for person in (pairing.mentee, pairing.mentor):
        email_render_and_queue(
            # The length only grows, so each extension has its own key.
            key=f"pairing:{pairing.pk}:extended:{pairing.months}:{person.pk}",
            event="pairing.extended",
            to=person.email,
            template="pairing_extended",
            time_zone=person.time_zone,
            context={
                "pairing": pairing,
                "person": person,
                "other": pairing.other_person(person),
                "months_added": months,
                "pairing_url": pairing_url(pairing.pk),
            },
        )
    return pairing


def pairing_objectives_met(pairing: Pairing) -> bool:
    return closing.objectives_met(pairing.objectives.values_list("status", flat=True))


OBJECTIVES_NOT_MET = (
    "It counts as completed only when the plan's objectives are met: at least "
    "one is done, and every one not dropped is done."
)


@transaction.atomic
def pairing_end_early(
    *,
    pairing_id: int,
    reason: str,
    actor: User,
    count_as_completed: bool = False,
    now=None,
) -> Pairing:
    """Staff end a pairing under way before its year is over, with a reason
    (for staff: the two are told that it ended, not why).

    It counts as completed only if the Mentoring Plan's objectives are met.
    Both people get the closing survey, as at the end of a year, unless they
    were never in contact.
    """
    pairing = _lock_pairing(pairing_id)
    _under_way_or_refuse(pairing, "ended")
    reason = reason.strip()
    if not reason:
        raise PairingError("Give the reason for ending the pairing.")
    # Objectives change only under this same lock, so the check holds.
    if count_as_completed and not pairing_objectives_met(pairing):
        raise PairingError(OBJECTIVES_NOT_MET)
    outcome = closing.early_end_outcome(
        reason=reason,
        count_as_completed=count_as_completed,
        had_contact=_had_contact(pairing),
    )
    _pairings_close(
        [(pairing, outcome)], actor=actor, early=True, now=now or timezone.now()
    )
    return pairing


# The answers each kind of survey takes; the other kind's stay empty.
SURVEY_ANSWERS = {
    SurveyResponse.Kind.CLOSING: {
        "rating",
        "objectives_achieved",
        "would_recommend",
        "helped",
        "to_change",
        "take_part_again",
    },
    SurveyResponse.Kind.FOLLOW_UP: {"still_in_contact", "progress", "rating"},
}


@transaction.atomic
def survey_answer(
    *, pairing_id: int, person: User, kind: str, answers: dict, now=None
) -> SurveyResponse:
    """Record one person's answers to a survey they were sent; once only."""
    if set(answers) != SURVEY_ANSWERS.get(kind):
        raise ValueError(f"A {kind} survey takes {sorted(SURVEY_ANSWERS[kind])}.")
    response = (
        SurveyResponse.objects.select_for_update(of=("self",))
        .select_related("pairing")
        .filter(pairing_id=pairing_id, person=person, kind=kind)
        .first()
    )
    if response is None:
        raise PairingError("This survey was not sent to you.")
    if response.is_answered:
        raise PairingError(
            "You have answered this survey already, thank you. Your first "
            "answers are kept."
        )
    for name, value in answers.items():
        setattr(response, name, value.strip() if isinstance(value, str) else value)
    response.answered_at = now or timezone.now()
    response.save()
    pairing_record(
        response.pairing,
        actor=person,
        description=f"The {response.role} answered the "
        f"{response.get_kind_display().lower()}",
    )
    return response


def _follow_up_email(closing_survey: SurveyResponse) -> OutboundEmail:
    pairing, person = closing_survey.pairing, closing_survey.person
    return email_build(
        key=f"survey:{pairing.pk}:follow_up:{person.pk}",
        event="survey.follow_up",
        to=person.email,
        template="survey_follow_up",
        time_zone=person.time_zone,
        context={
            "pairing": pairing,
            "person": person,
            "other": pairing.other_person(person),
            "role": closing_survey.role,
            "survey_url": survey_url(pairing.pk, SurveyResponse.Kind.FOLLOW_UP),
        },
    )


@transaction.atomic
def _surveys_follow_up(closing_survey_ids: list[int], now) -> int:
    """Send the follow-up survey to the people these closing surveys went
    to: once ever, the rows' unique constraint sees to it. Returns how many
    were sent. A fixed number of queries however many.

    Each closing survey is locked and marked, its follow-up sent or found
    sent before, so the daily task does not read it again, and two runs
    take turns: the second finds them marked.
    """
    closing_surveys = list(
        SurveyResponse.objects.select_for_update(of=("self",))
        .select_related(
            "pairing__cycle", "pairing__mentee", "pairing__mentor", "person"
        )
        .filter(
            pk__in=closing_survey_ids,
            kind=SurveyResponse.Kind.CLOSING,
            follow_up_sent_at__isnull=True,
            person__deleted_at__isnull=True,
        )
        .order_by("pk")
    )
    if not closing_surveys:
        return 0
    sent_before = set(
        SurveyResponse.objects.filter(
            kind=SurveyResponse.Kind.FOLLOW_UP,
            pairing_id__in={survey.pairing_id for survey in closing_surveys},
        ).values_list("pairing_id", "person_id")
    )
    due = [
        survey
        for survey in closing_surveys
        if (survey.pairing_id, survey.person_id) not in sent_before
    ]
    emails = [_follow_up_email(survey) for survey in due]
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                pairing_id=survey.pairing_id,
                person_id=survey.person_id,
                kind=SurveyResponse.Kind.FOLLOW_UP,
                role=survey.role,
                invited_at=now,
            )
            for survey in due
        ],
        ignore_conflicts=True,
    )
    SurveyResponse.objects.filter(
        pk__in=[survey.pk for survey in closing_surveys]
    ).update(follow_up_sent_at=now)
    email_queue_many(emails)
    return len(due)


def surveys_send_follow_ups(*, now=None, batch_size: int = 200) -> int:
    """The daily follow-up: six months after a pairing closed, everyone who
    was sent its closing survey (answered or not) gets the follow-up survey,
    once ever. Returns how many were sent.

    In batches, each in its own transaction and a fixed number of queries;
    a batch that fails is sent again one survey at a time, so one broken row
    holds up only itself.
    """
    now = now or timezone.now()
    # Each closing survey is marked when its follow-up goes (see
    # _surveys_follow_up), so this reads the last six months' closing
    # surveys and those due, not every survey ever sent.
    due = (
        SurveyResponse.objects.filter(
            kind=SurveyResponse.Kind.CLOSING,
            follow_up_sent_at__isnull=True,
            pairing__ended_at__lte=closing.follow_up_cutoff(now),
            # A deleted account has no one to ask.
            person__deleted_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    after = 0
    while batch := list(due.filter(pk__gt=after)[:batch_size]):
        after = batch[-1]
        sent += batch_or_one_by_one(
            lambda ids: _surveys_follow_up(ids, now),
            batch,
            doing="Follow-up of closing survey",
        )
    return sent


# Personal data: a person's copy of their data, and deleting an account.
# The models are the accounts app's; the workflow is here, with the outbox.


class PersonalDataError(Exception):
    """A request about personal data that cannot be done now; says why."""


# A copy still pending this long after it was asked for lost its task (the
# broker was down, a worker died): the sweep queues it again.
EXPORT_STALE = timedelta(minutes=15)


def data_export_url(export: DataExport) -> str:
    return absolute_url(reverse("mentorship:data_export_download", args=[export.pk]))


def _build_in_background(export_id: int) -> None:
    from .tasks import build_data_export  # the tasks module imports this one

    try:
        build_data_export.delay(export_id)
    except BrokerError:
        logger.warning(
            "Broker unavailable; data export %s left for the sweep", export_id
        )


@transaction.atomic
def data_export_request(*, user: User) -> DataExport:
    """The person asks for a copy of their data: it is prepared in the
    background and they are emailed a link. Asking again while one is being
    prepared returns that one."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    export = DataExport.objects.filter(
        user=user, status=DataExport.Status.PENDING
    ).first()
    if export is None:
        export = DataExport.objects.create(user=user)
        export_id = export.pk
        transaction.on_commit(lambda: _build_in_background(export_id))
    return export


def data_export_build(*, export_id: int, now=None) -> bool:
    """Build one copy: the zip goes to private storage and the person gets
    the link. Returns whether this call made it ready; safe to run twice
    (the second finds it ready and does nothing)."""
    export = (
        DataExport.objects.select_related("user")
        .filter(pk=export_id, status=DataExport.Status.PENDING)
        .first()
    )
    if export is None:
        return False
    with tempfile.TemporaryFile() as handle:
        try:
            personal_data.write_archive(export.user, handle)
        except Exception:
            logger.exception("Building data export %s failed", export_id)
            DataExport.objects.filter(
                pk=export_id, status=DataExport.Status.PENDING
            ).update(status=DataExport.Status.FAILED)
            return False
        size = handle.tell()
        handle.seek(0)
        return _data_export_store(export_id, File(handle), size, now or timezone.now())


@transaction.atomic
def _data_export_store(export_id: int, content: File, size: int, now) -> bool:
    export = (
        DataExport.objects.select_for_update()
        .select_related("user")
        .filter(pk=export_id, status=DataExport.Status.PENDING)
        .first()
    )
    if export is None:  # made ready by another run of the task meanwhile
        return False
    export.file.save("data.zip", content, save=False)
    stored, storage = export.file.name, export.file.storage
    try:
        export.status = DataExport.Status.READY
        export.ready_at = now
        export.expires_at = now + DataExport.LIFETIME
        export.size = size
        export.save()
        # The newer copy makes the older ones needless: one file per person.
        for older in DataExport.objects.filter(
            user=export.user, status=DataExport.Status.READY
        ).exclude(pk=export.pk):
            _data_export_expire(older)
        person = export.user
        email_render_and_queue(
            key=f"data_export:{export.pk}:ready",
            event="personal_data.export_ready",
            to=person.email,
            template="data_export_ready",
            time_zone=person.time_zone,
            context={
                "person": person,
                "download_url": data_export_url(export),
                "expires_at": export.expires_at,
                "profile_url": absolute_url(reverse("accounts:profile")),
            },
        )
    except Exception:
        storage.delete(stored)  # the row will not say it exists
        raise
    return True


def _data_export_expire(export: DataExport) -> None:
    name, storage = export.file.name, export.file.storage
    export.status = DataExport.Status.EXPIRED
    export.file = ""
    export.save(update_fields=["status", "file"])
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def data_export_expire(*, export_id: int) -> bool:
    """Delete a ready copy before its time (staff withdraw the link)."""
    export = (
        DataExport.objects.select_for_update()
        .filter(pk=export_id, status=DataExport.Status.READY)
        .first()
    )
    if export is None:
        return False
    _data_export_expire(export)
    return True


def data_export_record_download(*, export: DataExport) -> None:
    DataExport.objects.filter(pk=export.pk).update(downloaded_at=timezone.now())


def data_exports_sweep(*, now=None, batch_size: int = 200) -> dict:
    """Hourly: delete the copies past their expiry from disk, and queue again
    those whose building was lost. Safe to run as often as one likes."""
    now = now or timezone.now()
    expired = 0
    while True:
        ids = list(
            DataExport.objects.filter(
                status=DataExport.Status.READY, expires_at__lte=now
            ).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        for export_id in ids:
            expired += data_export_expire(export_id=export_id)
    stuck = list(
        DataExport.objects.filter(
            status=DataExport.Status.PENDING, requested_at__lte=now - EXPORT_STALE
        ).values_list("pk", flat=True)[:batch_size]
    )
    for export_id in stuck:
        _build_in_background(export_id)
    return {"expired": expired, "queued": len(stuck)}


def _deletion_email(request: DeletionRequest, person: User, step: str, **context):
    email_render_and_queue(
        key=f"deletion:{request.pk}:{step}",
        event=f"personal_data.deletion_{step}",
        to=person.email,
        template=f"deletion_{step}",
        time_zone=person.time_zone,
        context={
            "person": person,
            "request": request,
            "profile_url": absolute_url(reverse("accounts:profile")),
            **context,
        },
    )


@transaction.atomic
def deletion_request_create(*, user: User) -> DeletionRequest:
    """The person asks for their account to be deleted; staff decide. They
    are emailed that the request was received, so that someone else using
    their session cannot ask unnoticed. Asking again returns the pending
    request."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    pending = DeletionRequest.objects.filter(
        user=user, status=DeletionRequest.Status.PENDING
    ).first()
    if pending is not None:
        return pending
    request = DeletionRequest.objects.create(user=user)
    _deletion_email(request, user, "requested")
    return request


def _lock_deletion(request_id: int) -> DeletionRequest:
    request = (
        DeletionRequest.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=request_id)
    )
    if request.status != DeletionRequest.Status.PENDING:
        raise PersonalDataError(
            f"This request is {request.get_status_display().lower()} already."
        )
    return request


@transaction.atomic
def deletion_request_cancel(*, user: User) -> DeletionRequest | None:
    """The person changes their mind before staff decide."""
    pending = DeletionRequest.objects.filter(
        user=user, status=DeletionRequest.Status.PENDING
    ).first()
    if pending is None:
        return None
    request = _lock_deletion(pending.pk)
    request.status = DeletionRequest.Status.CANCELLED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    return request


@transaction.atomic
def deletion_request_refuse(
    *, request_id: int, actor: User, reason: str
) -> DeletionRequest:
    """Staff refuse, with a reason the person is emailed."""
    reason = reason.strip()
    if not reason:
        raise PersonalDataError("Write the reason; the person is emailed it.")
    request = _lock_deletion(request_id)
    request.status = DeletionRequest.Status.REFUSED
    request.refusal_reason = reason
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save(update_fields=["status", "refusal_reason", "decided_at", "decided_by"])
    _deletion_email(request, request.user, "refused", refusal_reason=reason)
    return request


def deletion_blockers(request: DeletionRequest) -> list:
    return personal_data.blockers(request.user)


@transaction.atomic
def deletion_request_approve(
    *, request_id: int, actor: User, now=None
) -> DeletionRequest:
    """Staff approve: the account is deleted now, in this transaction (see
    ``accounts.personal_data``); its files go from disk after commit. Refused
    while a pairing of theirs is under way: staff end it first.

    The person is told at the address they had, by an email that the outbox
    forgets once it is sent.
    """
    now = now or timezone.now()
    request = _lock_deletion(request_id)
    person = User.objects.select_for_update().get(pk=request.user_id)
    if person.pk == actor.pk:
        raise PersonalDataError("Another member of staff approves your own request.")
    blockers = personal_data.blockers(person)
    if blockers:
        raise PersonalDataError(" ".join(b.text for b in blockers))
    address, name = person.email, person.display_name
    time_zone = person.time_zone
    personal_data.erase(person, now=now)
    request.status = DeletionRequest.Status.DONE
    request.decided_at = now
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    email_render_and_queue(
        key=f"deletion:{request.pk}:done",
        event="personal_data.deletion_done",
        to=address,
        template="deletion_done",
        time_zone=time_zone,
        context={"name": name, "request": request},
        forget_after_sending=True,
    )
    return request
