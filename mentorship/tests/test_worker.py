"""Tasks run by a real Celery worker, through Redis."""

import time

import pytest
from django.core import mail

from mentorship import services
from mentorship.models import OutboundEmail
from mentorship.tasks import send_email

pytestmark = pytest.mark.celery_worker


def wait_for(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_sends_a_queued_email_once_even_if_the_task_arrives_twice(
    celery_worker,
):
    email = services.email_queue(
        key="worker:test",
        event="test",
        to="amara@example.com",
        subject="From the worker",
        body_text="Sent by a real worker.",
    )
    assert wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent"), (
        "the worker did not send the email"
    )

    send_email.delay(email.pk)
    send_email.delay(email.pk)
    time.sleep(1)
    assert [m.subject for m in mail.outbox].count("From the worker") == 1


def test_a_worker_builds_a_copy_of_a_persons_data_once(celery_worker, mentee):
    from accounts.models import DataExport
    from mentorship.tasks import build_data_export

    export = services.data_export_request(user=mentee)
    assert wait_for(
        lambda: (
            DataExport.objects.get(pk=export.pk).status == "ready"
            and OutboundEmail.objects.filter(
                event="personal_data.export_ready"
            ).exists()
            and OutboundEmail.objects.get(event="personal_data.export_ready").status
            == "sent"
        )
    ), "the worker did not build the copy and send its link"
    built = DataExport.objects.get(pk=export.pk)

    build_data_export.delay(export.pk)  # delivered again: nothing changes
    time.sleep(1)
    assert DataExport.objects.get(pk=export.pk).file.name == built.file.name
    assert [m.subject for m in mail.outbox].count("Your data is ready to download") == 1
