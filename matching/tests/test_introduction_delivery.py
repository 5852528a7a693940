"""The introduction takes the real path: outbox rows written with the
confirmation, sent by a Celery worker through Redis, or by the sweep when the
broker was down."""

from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from matching import services
from mentorship.models import Cycle, OutboundEmail, Pairing
from mentorship.tasks import send_email, sweep_outbox
from mentorship.tests.factories import mentor_profile
from mentorship.tests.test_worker import wait_for

from .conftest import approved_application


@pytest.fixture
def waiting_for_the_mentor(mentee, mentor):
    cycle = Cycle.objects.create(name="2027-2028")
    approved_application(mentee, cycle)
    mentor_profile(mentor)
    return Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        mentee_accepted_at=timezone.now(),
    )


def introductions():
    return OutboundEmail.objects.filter(event="pairing.introduction")


@pytest.mark.celery_worker
def test_a_worker_sends_the_introduction(celery_worker, waiting_for_the_mentor, mentor):
    services.pairing_respond(
        pairing_id=waiting_for_the_mentor.pk, user=mentor, accept=True
    )
    assert wait_for(lambda: introductions().filter(status="sent").count() == 2), (
        "the worker did not send both introductions"
    )
    assert sorted(m.subject for m in mail.outbox) == [
        "Meet your mentee, Amara Okafor",
        "Meet your mentor, Henrik Larsen",
    ]
    # The task delivered again sends nothing more.
    for email in introductions():
        send_email.delay(email.pk)
    assert not wait_for(lambda: len(mail.outbox) > 2, timeout=2)


def test_with_the_broker_down_confirming_works_and_the_sweep_sends_later(
    waiting_for_the_mentor, mentor, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(send_email, "delay", side_effect=BrokerError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.pairing_respond(
            pairing_id=waiting_for_the_mentor.pk, user=mentor, accept=True
        )
    waiting_for_the_mentor.refresh_from_db()
    assert waiting_for_the_mentor.status == Pairing.Status.INTRODUCED
    assert set(introductions().values_list("status", flat=True)) == {"pending"}
    assert mail.outbox == []

    assert sweep_outbox() == 2
    assert len(mail.outbox) == 2
    assert sweep_outbox() == 0
    assert len(mail.outbox) == 2
