"""Sessions: a new one at each login, the end of one after a while without a
request, the end of every other one when the password changes, and the
password asked again before the email address changes."""

from datetime import UTC, datetime, timedelta

import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from mentorship.tests.world import tables_written

PROFILE = "/account/profile/"
NEW_PASSWORD = "another-long-password-8"


def signed_in(client) -> bool:
    response = client.get(PROFILE)
    if response.status_code == 200:
        return True
    assert response["Location"].startswith(reverse("account_login"))
    return False


def test_signing_in_starts_a_new_session(client, mentee):
    # A session started before login, as one planted by an attacker would be.
    planted = client.session
    planted["seen_home"] = True
    planted.save()
    response = client.post(
        reverse("account_login"), {"login": mentee.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert key != planted.session_key
    assert not SessionStore().exists(planted.session_key)
    assert signed_in(client)
    # Whoever holds the old key is not signed in.
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert not signed_in(attacker)


def test_a_session_ends_after_the_set_time_without_a_request(client, mentee, settings):
    settings.SESSION_COOKIE_AGE = 3600
    with time_machine.travel(datetime(2027, 5, 3, 9, tzinfo=UTC), tick=False) as clock:
        client.force_login(mentee)
        # Each request starts the hour again: a working morning goes on.
        for _ in range(4):
            clock.shift(timedelta(minutes=55))
            assert signed_in(client)
        clock.shift(timedelta(minutes=61))
        assert not signed_in(client)


def test_a_session_is_saved_again_at_most_once_a_minute(client, mentee, settings):
    settings.SESSION_COOKIE_AGE = 3600
    with time_machine.travel(datetime(2027, 5, 3, 9, tzinfo=UTC), tick=False) as clock:
        client.force_login(mentee)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value

        def expires():
            return Session.objects.get(session_key=key).expire_date

        saved = expires()
        assert saved == timezone.now() + timedelta(hours=1)
        # Pages within the minute of the login leave the session as it is.
        clock.shift(timedelta(seconds=59))
        with CaptureQueriesContext(connection) as queries:
            assert signed_in(client)
        assert "django_session" not in tables_written(queries)
        assert expires() == saved
        # The first page after it starts the hour again.
        clock.shift(timedelta(seconds=1))
        assert signed_in(client)
        assert expires() == timezone.now() + timedelta(hours=1)


def test_a_visitor_never_signed_in_gets_no_session(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


def test_changing_the_password_ends_every_other_session(mentee):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.post(
            reverse("account_login"), {"login": mentee.email, "password": PASSWORD}
        )
        assert signed_in(client)
    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    mentee.refresh_from_db()
    assert mentee.check_password(NEW_PASSWORD)
    assert signed_in(here)
    assert not signed_in(elsewhere)


# Addresses of their own: allauth allows one confirmation email per address
# every three minutes, counted in a cache that other tests share.
def add_email(client, email):
    return client.post(reverse("account_email"), {"action_add": "", "email": email})


def test_changing_the_email_asks_for_the_password_again(
    client, mentee, django_capture_on_commit_callbacks
):
    client.force_login(mentee)
    response = add_email(client, "amara@reauth.example")
    assert response.status_code == 302
    reauthenticate = response["Location"]
    assert reauthenticate.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="amara@reauth.example").exists()

    # A wrong password changes nothing.
    response = client.post(reauthenticate, {"password": "not-the-password"})
    assert response.status_code == 200
    assert not EmailAddress.objects.filter(email="amara@reauth.example").exists()

    # The right one, and the change asked for goes ahead.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reauthenticate, {"password": PASSWORD})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(
        user=mentee, email="amara@reauth.example", verified=False
    ).exists()
    assert [message.to for message in mail.outbox] == [["amara@reauth.example"]]


def test_the_password_given_again_counts_for_five_minutes(client, mentee):
    with time_machine.travel(datetime(2027, 5, 3, 9, tzinfo=UTC), tick=False) as clock:
        client.force_login(mentee)
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        clock.shift(timedelta(minutes=4))
        assert add_email(client, "amara@reauth.example")["Location"] == reverse(
            "account_email"
        )
        clock.shift(timedelta(minutes=2))
        assert add_email(client, "amara@later.example")["Location"].startswith(
            reverse("account_reauthenticate")
        )
