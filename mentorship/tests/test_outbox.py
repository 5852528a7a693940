import smtplib
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage, send_mail
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from mentorship import services
from mentorship.models import OutboundEmail
from mentorship.tasks import send_email, sweep_outbox

from .factories import OutboundEmailFactory

pytestmark = pytest.mark.django_db

Status = OutboundEmail.Status


def queue(key="event:1", **overrides):
    fields = {
        "key": key,
        "event": "event",
        "to": "amara@example.com",
        "subject": "Your application",
        "body_text": "Thank you.",
        "body_html": "<p>Thank you.</p>",
    }
    return services.email_queue(**{**fields, **overrides})


def test_queue_writes_a_row_and_sends_it_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()
        assert mail.outbox == []
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["amara@example.com"]
    assert sent.alternatives[0].content == "<p>Thank you.</p>"


def test_the_same_event_queued_twice_is_one_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue()
        second = queue(subject="Something else")
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_task_delivered_twice_sends_once():
    email = OutboundEmailFactory()
    assert send_email(email.pk) is True
    assert send_email(email.pk) is False
    assert len(mail.outbox) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue()
        transaction.set_rollback(True)
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_broker_down_keeps_the_row_for_the_sweep(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(send_email, "delay", side_effect=BrokerError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        email = queue()
    email.refresh_from_db()
    assert email.status == Status.PENDING
    assert mail.outbox == []

    # Still down: the sweep stops at the first refusal and queues nothing.
    later = queue(key="event:2")
    with mock.patch.object(
        send_email, "delay", side_effect=BrokerError("down")
    ) as delay:
        assert services.outbox_sweep() == []
    assert delay.call_count == 1
    later.delete()

    assert sweep_outbox() == 1
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert len(mail.outbox) == 1


def test_smtp_failure_is_retried_with_backoff_then_marked_failed(
    settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    email = OutboundEmailFactory()
    failure = smtplib.SMTPServerDisconnected("connection closed")
    start = timezone.now()
    with mock.patch("mentorship.services._deliver", side_effect=failure):
        with time_machine.travel(start, tick=False):
            assert services.email_send(email_id=email.pk) is False
            email.refresh_from_db()
            assert (email.status, email.attempts) == (Status.PENDING, 1)
            assert email.next_attempt_at == start + timedelta(seconds=60)
            assert "SMTPServerDisconnected" in email.last_error
            # Not due yet: the sweep leaves it alone.
            assert services.outbox_sweep() == []

        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            assert services.outbox_sweep() == [email.pk]
            email.refresh_from_db()
            assert email.attempts == 2
            assert email.next_attempt_at == start + timedelta(seconds=61 + 120)

        with time_machine.travel(start + timedelta(seconds=200), tick=False):
            services.outbox_sweep()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 3)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        services.email_resend(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("failure", "permanent"),
    [
        (
            smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such user")}),
            True,
        ),
        (smtplib.SMTPDataError(554, b"Message rejected"), True),
        (smtplib.SMTPDataError(451, b"Try again later"), False),
        (smtplib.SMTPRecipientsRefused({"x@example.com": (450, b"Greylisted")}), False),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (ConnectionRefusedError("connection refused"), False),
    ],
)
def test_only_transient_failures_are_retried(failure, permanent):
    email = OutboundEmailFactory()
    with mock.patch("mentorship.services._deliver", side_effect=failure):
        services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == (Status.FAILED if permanent else Status.PENDING)
    assert email.attempts == 1


def test_a_claim_left_by_a_dead_worker_is_picked_up_again():
    email = OutboundEmailFactory(
        status=Status.SENDING,
        claimed_at=timezone.now() - services.STALE_CLAIM - timedelta(seconds=1),
        attempts=1,
    )
    fresh = OutboundEmailFactory(status=Status.SENDING, claimed_at=timezone.now())
    services.outbox_sweep()
    email.refresh_from_db()
    fresh.refresh_from_db()
    assert email.status == Status.SENT
    assert fresh.status == Status.SENDING
    assert len(mail.outbox) == 1


def test_every_attempt_at_an_email_carries_the_same_message_id(settings):
    # A copy sent again after a worker died mid-send names itself the same
    # message as the first (mentorship/tests/test_faults.py kills the worker).
    email = OutboundEmailFactory(from_email="Program <program@example.org>")
    other = OutboundEmailFactory()
    assert services.message_id(email) == services.message_id(email)
    assert services.message_id(email) != services.message_id(other)
    assert services.message_id(email).endswith("@example.org>")
    services.email_send(email_id=email.pk)
    assert mail.outbox[0].extra_headers["Message-ID"] == services.message_id(email)

    own = OutboundEmailFactory(headers={"Message-ID": "<kept@example.org>"})
    services.email_send(email_id=own.pk)
    assert mail.outbox[1].message()["Message-ID"] == "<kept@example.org>"


def test_djangos_mail_api_goes_through_the_outbox(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Subject", "Body", None, ["a@example.com", "b@example.com"])
        message = EmailMessage(
            "With file",
            "See attached",
            to=["c@example.com"],
            headers={"X-Outbox-Event": "test.attach"},
        )
        message.attach("call.ics", "BEGIN:VCALENDAR", "text/calendar")
        message.send()
    assert OutboundEmail.objects.filter(status=Status.SENT).count() == 3
    attached = OutboundEmail.objects.get(to="c@example.com")
    assert attached.event == "test.attach"
    delivered = next(m for m in mail.outbox if m.to == ["c@example.com"])
    assert delivered.attachments[0][:2] == ("call.ics", "BEGIN:VCALENDAR")
    assert "X-Outbox-Event" not in delivered.extra_headers


def test_staff_see_and_resend_failed_emails_in_admin(
    client, staff, django_capture_on_commit_callbacks
):
    failed = OutboundEmailFactory(status=Status.FAILED, attempts=5, last_error="boom")
    client.force_login(staff)
    page = client.get("/admin/mentorship/outboundemail/?status__exact=failed")
    assert failed.subject in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/mentorship/outboundemail/",
            {"action": "resend", "_selected_action": [failed.pk]},
        )
    failed.refresh_from_db()
    assert failed.status == Status.SENT
