"""A mentee's application under faults, through the real views, against the
real PostgreSQL and Redis: the broker down while they submit, the database
connection lost in the middle of the request, and two submissions at the
same instant. In CI these fail, never skip, when a service is missing."""

import threading
import time
from importlib import import_module
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.apps import apps as django_apps
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Interest
from accounts.testing import Client
from applications.models import Application, ApplicationEvent
from conftest import PASSWORD
from mentorship import services as outbox
from mentorship.celery import app as celery_app
from mentorship.models import OutboundEmail
from mentorship.tasks import send_email
from mentorship.tests.faults import (
    TcpProxy,
    celery_broker,
    terminate_backend,
    wait_for,
)

from .conftest import pdf

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

FORM = reverse("applications:form")
SUBMITTED_PAGE = "Your application is submitted. Thank you!"


@pytest.fixture(autouse=True)
def _taxonomy(transactional_db):
    """The interests a data migration made: a test before this one that
    committed (a transactional test) ended by emptying every table."""
    if not Interest.objects.exists():
        migration = import_module("accounts.migrations.0004_interest_taxonomy")
        migration.create_taxonomy(django_apps, None)


@pytest.fixture
def broker(redis_url, settings):
    """Redis behind a proxy the test can cut: the broker's address stays the
    same while it is down. The cache goes through it too, since production
    keeps both on one Redis unless REDIS_URL says otherwise."""
    real = urlsplit(redis_url)
    proxy = TcpProxy((real.hostname, real.port or 6379)).start()
    url = f"redis://127.0.0.1:{proxy.port}{real.path}"
    settings.CELERY_BROKER_URL = url
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "mentorship.cache.RedisCacheWithFallback",
            "LOCATION": url,
            "KEY_PREFIX": "faults-test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    with celery_broker(url):
        celery_app.conf.task_always_eager = False
        celery_app.control.purge()
        yield proxy
        proxy.stop()


def started(client, user):
    client.force_login(user)
    client.post(reverse("applications:apply"))
    return Application.objects.get(applicant=user)


def test_the_broker_down_while_a_mentee_logs_in_and_submits(
    postgresql, broker, client, mentee, open_cycle, complete_answers
):
    broker.stop()
    # Logging in counts attempts in the cache, on the same Redis: each
    # process counts in its own memory meanwhile (mentorship/cache.py).
    response = client.post(
        reverse("account_login"), {"login": mentee.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    client.post(reverse("applications:apply"))
    application = Application.objects.get(applicant=mentee)

    response = client.post(
        FORM, {**complete_answers, "action": "submit", "cv": pdf()}, follow=True
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert SUBMITTED_PAGE in page
    assert f"We will email a confirmation to {mentee.email}." in page
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    email = OutboundEmail.objects.get(event="application.submitted")
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 0)

    # The broker is back: the sweep hands the row to a real worker.
    broker.start()
    celery_app.loader.import_module("celery.contrib.testing.tasks")
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20
    ):
        assert outbox.outbox_sweep() == [email.pk]
        assert wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent")
        # Once: the sweep finds nothing due, a stray task sends nothing.
        assert outbox.outbox_sweep() == []
        send_email.delay(email.pk)
        assert not wait_for(lambda: len(mail.outbox) > 1, timeout=1)
    assert [m.subject for m in mail.outbox] == [
        "Your application to the Virtual Mentors Program is submitted"
    ]
    assert mail.outbox[0].to == [mentee.email]


@pytest.fixture
def kill_connection_after():
    """Terminate this thread's database session right after the ``nth``
    statement that starts with ``prefix`` (from another connection, as a
    database restart or failover would), so the request's next statement
    finds it gone."""
    killed = []

    def arm(prefix: str, nth: int = 1):
        seen = []

        def wrapper(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if sql.startswith(prefix):
                seen.append(sql)
                if len(seen) == nth:
                    killed.append(sql)
                    pid = context["connection"].connection.info.backend_pid
                    terminate_backend(pid)
            return result

        return connection.execute_wrapper(wrapper)

    arm.killed = killed
    return arm


def test_the_database_lost_in_the_middle_of_a_submission(
    postgresql,
    client,
    mentee,
    open_cycle,
    complete_answers,
    kill_connection_after,
    django_capture_on_commit_callbacks,
):
    application = started(client, mentee)
    client.post(FORM, {**complete_answers, "action": "submit", "cv": pdf()})
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    before = list(application.events.values_list("description", flat=True))

    # A change to the submitted application, submitted again. The request
    # writes the new answers, which reopen it as a draft (its "Reopened"
    # event), then the submission (its "Submitted" event, then the email).
    # The connection dies after the second event, before the email: once,
    # the answers were their own transaction, so the application was left a
    # draft that staff never see, with no submission and no error to say so.
    changed = {**complete_answers, "institution": "Korle Bu Teaching Hospital"}
    client.raise_request_exception = False
    with kill_connection_after('INSERT INTO "applications_applicationevent"', nth=2):
        response = client.post(FORM, {**changed, "action": "submit"})
    assert kill_connection_after.killed, "the connection was never cut"

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "Traceback" not in page and "OperationalError" not in page
    # Nothing of the request was kept: still submitted, with the old answers.
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.institution == "Lagos University Teaching Hospital"
    assert list(application.events.values_list("description", flat=True)) == before
    assert OutboundEmail.objects.count() == 1

    # The next request gets a new connection and does the whole thing.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, {**changed, "action": "submit"}, follow=True)
    assert response.status_code == 200
    assert SUBMITTED_PAGE in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.institution == "Korle Bu Teaching Hospital"
    assert application.events.filter(description="Submitted").count() == 2
    assert OutboundEmail.objects.count() == 2


def test_an_idle_database_connection_lost_between_requests_is_replaced(
    postgresql, open_cycle
):
    """Production keeps connections between requests (CONN_MAX_AGE); with
    CONN_HEALTH_CHECKS the first query of the next request finds a dead one
    and opens another, instead of failing that request. Served through
    Django's WSGI handler, whose request signals the test client turns off."""
    handler = WSGIHandler()

    def get(path):
        statuses = []
        environ = RequestFactory().get(path).environ
        response = handler(environ, lambda status, headers: statuses.append(status))
        response.close()  # what the WSGI server does: request_finished
        return statuses[0], b"".join(response)

    assert get("/")[0].startswith("200")
    assert connection.connection is not None, "the connection was not kept"
    terminate_backend(connection.connection.info.backend_pid)
    status, body = get("/")
    assert status.startswith("200"), body[:300]
    assert b"Applications are open" in body


def test_a_mentee_submitting_twice_at_the_same_instant_submits_once(
    postgresql, client, mentee, open_cycle, complete_answers
):
    started(client, mentee)
    barrier = threading.Barrier(2)
    pages = []

    def hold_the_lock_a_moment(execute, sql, params, many, context):
        # The first to write keeps the row locked long enough for the other
        # request to arrive and wait on it.
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "applications_application"'):
            time.sleep(0.3)
        return result

    def submit():
        # The same browser session: a double click, or two tabs.
        same_browser = Client()
        same_browser.cookies = client.cookies
        try:
            with connection.execute_wrapper(hold_the_lock_a_moment):
                barrier.wait(timeout=10)
                response = same_browser.post(
                    FORM,
                    {**complete_answers, "action": "submit", "cv": pdf()},
                    follow=True,
                )
            pages.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Both see that their application is submitted: for the mentee it is.
    assert [status for status, _ in pages] == [200, 200]
    for _, page in pages:
        assert SUBMITTED_PAGE in page
        assert "Status: <strong>Submitted</strong>" in page
    application = Application.objects.get()
    assert application.status == Application.Status.SUBMITTED
    assert list(application.events.values_list("description", flat=True)) == [
        "Draft started",
        "Submitted",
    ]
    assert OutboundEmail.objects.filter(event="application.submitted").count() == 1


def test_two_starts_at_the_same_instant_make_one_application(
    postgresql, client, mentee, open_cycle
):
    client.force_login(mentee)
    barrier = threading.Barrier(2)
    locations = []

    def start():
        same_browser = Client()
        same_browser.cookies = client.cookies
        try:
            barrier.wait(timeout=10)
            locations.append(same_browser.post(reverse("applications:apply")).url)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert locations == [FORM, FORM]
    assert Application.objects.filter(applicant=mentee).count() == 1
    assert ApplicationEvent.objects.filter(description="Draft started").count() == 1
