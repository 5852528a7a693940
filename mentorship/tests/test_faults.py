"""Faults in the outbox's services, against the real PostgreSQL and Redis.

A Celery worker is killed with SIGKILL in the middle of sending, and started
again; an idle database connection is ended under the app. In CI these fail,
never skip, when a service is missing.
"""

from datetime import timedelta

import pytest
import redis
import time_machine
from django.utils import timezone

from mentorship import services
from mentorship.celery import app as celery_app
from mentorship.models import OutboundEmail

from .faults import FakeSmtpServer, WorkerProcess, database_url, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

Status = OutboundEmail.Status


@pytest.fixture
def broker(redis_url):
    """Tasks go to Redis for a worker process to take, not run in-process."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # what earlier runs left would go first
    yield redis_url
    celery_app.control.purge()
    # A killed worker never acknowledged its task: Redis would hand it out
    # again after the visibility timeout (two days), to whichever test run
    # is consuming then. Its workers are gone (their fixture ends first).
    redis.Redis.from_url(redis_url).delete("unacked", "unacked_index")


@pytest.fixture
def smtp():
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def worker(postgresql, broker, smtp, tmp_path):
    """Start worker processes that deliver by SMTP to ``smtp``; each is
    stopped at the end of the test if it is still running."""
    started = []

    def start():
        process = WorkerProcess(
            env={
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": broker,
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
                "DJANGO_DEBUG": "1",
            },
            log=tmp_path / "worker.log",
        ).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def queue_email(key="faults:1"):
    return services.email_queue(
        key=key,
        event="test",
        to="amara@example.com",
        subject="Your application is submitted",
        body_text="Thank you.",
    )


def sweep_after_the_claim_is_stale():
    """The beat's sweep, run once a dead worker's claim is old enough."""
    later = timezone.now() + services.STALE_CLAIM + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        return services.outbox_sweep()


def test_a_worker_killed_before_the_server_accepted_sends_exactly_once(worker, smtp):
    smtp.stall_at = "data"  # the message is read, its acceptance never sent
    email = queue_email()  # committed, then handed to Redis
    first = worker()
    assert wait_for(smtp.stalled.is_set, timeout=30), first.output()
    first.kill()
    email.refresh_from_db()
    assert email.status == Status.SENDING
    assert smtp.accepted == []

    second = worker()
    # A claim younger than STALE_CLAIM is left alone: its worker may be alive.
    assert services.outbox_sweep() == []
    assert sweep_after_the_claim_is_stale() == [email.pk]
    assert wait_for(lambda: len(smtp.accepted) == 1, timeout=30), second.output()
    assert wait_for(
        lambda: OutboundEmail.objects.get(pk=email.pk).status == Status.SENT
    )
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.last_error == ""
    # Nothing is due any more, whatever runs next.
    assert sweep_after_the_claim_is_stale() == []
    assert services.outbox_sweep() == []
    assert len(smtp.accepted) == 1
    assert b"Subject: Your application is submitted" in smtp.accepted[0]


def test_a_worker_killed_after_the_server_accepted_sends_it_again(worker, smtp):
    """The window STALE_CLAIM's comment owns up to: the server has the message
    but the worker died before recording it, so the sweep sends it again. The
    copy carries the same Message-ID, so mail systems can tell it is one."""
    smtp.stall_at = "quit"  # accepted with 250, then the worker is killed
    email = queue_email()
    first = worker()
    assert wait_for(smtp.stalled.is_set, timeout=30), first.output()
    first.kill()
    assert len(smtp.accepted) == 1
    email.refresh_from_db()
    assert email.status == Status.SENDING

    second = worker()
    assert sweep_after_the_claim_is_stale() == [email.pk]
    assert wait_for(lambda: len(smtp.accepted) == 2, timeout=30), second.output()
    assert wait_for(
        lambda: OutboundEmail.objects.get(pk=email.pk).status == Status.SENT
    )
    ids = {_header(message, b"Message-ID") for message in smtp.accepted}
    assert len(ids) == 1 and ids != {None}


def _header(message: bytes, name: bytes) -> bytes | None:
    for line in message.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip()
    return None
