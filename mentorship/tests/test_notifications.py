import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from mentorship import services
from mentorship.models import Cycle, OpeningNotification, OutboundEmail
from mentorship.tasks import notify_cycle_opened

pytestmark = pytest.mark.django_db

KOLKATA = ZoneInfo("Asia/Kolkata")
OPENS = datetime(2027, 1, 15, 9, 0, tzinfo=KOLKATA)
CLOSES = datetime(2027, 3, 1, 17, 30, tzinfo=KOLKATA)
BEFORE = OPENS - timedelta(days=30)


@pytest.fixture
def cycle():
    return services.cycle_save(
        cycle=Cycle(name="2027 cycle", opens_at=OPENS, closes_at=CLOSES)
    )


def ask(client, email):
    return client.post(reverse("notification_request"), {"email": email})


def run_task_twice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_cycle_opened.delay().get()
    with django_capture_on_commit_callbacks(execute=True):
        second = notify_cycle_opened.delay().get()
    return first, second


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


# Asking


def test_asking_twice_keeps_one_request_for_the_next_cycle(client, cycle):
    with time_machine.travel(BEFORE):
        first = ask(client, "amara@example.com")
        second = ask(client, " Amara@Example.com ")
    assert first.status_code == second.status_code == 302
    assert first.url == reverse("home")
    notification = OpeningNotification.objects.get()
    assert notification.email == "amara@example.com"
    assert notification.cycle == cycle
    page = client.get(reverse("home")).content.decode()
    assert "We will email amara@example.com when applications open." in page


def test_with_no_cycle_announced_the_request_waits_for_whichever_is_next(client):
    ask(client, "amara@example.com")
    ask(client, "amara@example.com")
    notification = OpeningNotification.objects.get()
    assert notification.cycle is None


def test_an_invalid_address_is_shown_at_the_field_as_typed(client):
    response = ask(client, "amara(at)example")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="amara(at)example"' in html
    assert re.search(
        r'id="notify-email-error"[^>]*>\s*Enter a valid email address\.', html
    )
    assert 'aria-invalid="true"' in html
    assert not OpeningNotification.objects.exists()


def test_an_empty_address_is_refused(client):
    response = ask(client, "")
    assert response.status_code == 200
    assert "Enter the email address to notify." in response.content.decode()
    assert not OpeningNotification.objects.exists()


def test_asking_needs_a_post(client):
    assert client.get(reverse("notification_request")).status_code == 405


def test_asking_again_after_unsubscribing_subscribes_again():
    notification = services.notification_request(email="amara@example.com")
    services.notification_unsubscribe(
        token=services.notification_unsubscribe_token(notification)
    )
    services.notification_request(email="amara@example.com")
    notification.refresh_from_db()
    assert notification.unsubscribed_at is None


# Telling them


def test_everyone_waiting_is_emailed_once_even_when_the_task_runs_twice(
    client, cycle, django_capture_on_commit_callbacks
):
    with time_machine.travel(BEFORE):
        ask(client, "for-the-cycle@example.com")
        ask(client, "gone@example.com")
    # Asked before any cycle was announced: waits for "whichever is next".
    OpeningNotification.objects.create(email="for-any@example.com", cycle=None)
    # Both kinds of request from one address: still one email.
    OpeningNotification.objects.create(email="for-the-cycle@example.com", cycle=None)
    gone = OpeningNotification.objects.get(email="gone@example.com")
    services.notification_unsubscribe(
        token=services.notification_unsubscribe_token(gone)
    )

    with (
        time_machine.travel(OPENS - timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notify_cycle_opened.delay().get() == 0
    assert mail.outbox == []

    with time_machine.travel(OPENS + timedelta(minutes=10), tick=False):
        first, second = run_task_twice(django_capture_on_commit_callbacks)
    assert (first, second) == (3, 0)
    assert recipients() == ["for-any@example.com", "for-the-cycle@example.com"]
    assert OutboundEmail.objects.filter(event="cycle.opened").count() == 2
    assert not OpeningNotification.objects.filter(
        unsubscribed_at__isnull=True, notified_at__isnull=True
    ).exists()
    gone.refresh_from_db()
    assert gone.notified_at is None


def test_the_email_says_until_when_in_the_recipients_zone_with_both_links(
    mentee, cycle, django_capture_on_commit_callbacks
):
    services.notification_request(email=mentee.email)  # Africa/Lagos
    with time_machine.travel(OPENS, tick=False):
        run_task_twice(django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert (
        message.subject == "Applications are open: Virtual Mentors Program, 2027 cycle"
    )
    apply_url = settings.SITE_URL + reverse("applications:apply")
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert "1 March 2027, 13:00 (Africa/Lagos)" in body
        assert apply_url in body
        assert settings.SITE_URL + "/notify/unsubscribe/" in body
    assert message.extra_headers["List-Unsubscribe"].startswith(
        f"<{settings.SITE_URL}/notify/unsubscribe/"
    )


def test_someone_who_asked_while_no_cycle_was_known_is_told_again_next_time(
    django_capture_on_commit_callbacks,
):
    asked = services.notification_request(email="amara@example.com")
    services.cycle_save(cycle=Cycle(name="First", opens_at=OPENS, closes_at=CLOSES))
    with time_machine.travel(OPENS, tick=False):
        run_task_twice(django_capture_on_commit_callbacks)
    # After the first cycle, with no date for the next, they ask again.
    with time_machine.travel(CLOSES + timedelta(days=1)):
        again = services.notification_request(email="amara@example.com")
    assert again.pk == asked.pk  # the same "whichever is next" request, waiting
    assert again.notified_at is None
    later = CLOSES.replace(year=2028)
    services.cycle_save(
        cycle=Cycle(name="Second", opens_at=later, closes_at=later + timedelta(days=30))
    )
    with time_machine.travel(later, tick=False):
        run_task_twice(django_capture_on_commit_callbacks)
    assert recipients() == ["amara@example.com", "amara@example.com"]
    assert [m.subject.rsplit(", ", 1)[1] for m in mail.outbox] == ["First", "Second"]


# Unsubscribing


def unsubscribe_url_from(message):
    match = re.search(
        re.escape(settings.SITE_URL) + r"(/notify/unsubscribe/\S+/)", message.body
    )
    return match.group(1)


def test_the_unsubscribe_link_in_the_email_works(
    client, cycle, django_capture_on_commit_callbacks
):
    with time_machine.travel(BEFORE):
        ask(client, "amara@example.com")
    with time_machine.travel(OPENS, tick=False):
        run_task_twice(django_capture_on_commit_callbacks)
    url = unsubscribe_url_from(mail.outbox[0])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Unsubscribe</button>" in confirm.content.decode()
    assert not OpeningNotification.objects.filter(
        unsubscribed_at__isnull=False
    ).exists()

    done = client.post(url)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    notification = OpeningNotification.objects.get()
    assert notification.unsubscribed_at is not None

    # A second click changes nothing.
    unsubscribed_at = notification.unsubscribed_at
    assert client.post(url).status_code == 200
    notification.refresh_from_db()
    assert notification.unsubscribed_at == unsubscribed_at
    # Nothing waits, so no later cycle emails them.
    assert not OpeningNotification.objects.filter(
        notified_at__isnull=True, unsubscribed_at__isnull=True
    ).exists()


def test_unsubscribing_stops_the_email_before_it_is_sent(
    client, cycle, django_capture_on_commit_callbacks
):
    notification = services.notification_request(email="amara@example.com")
    url = reverse(
        "notification_unsubscribe",
        args=[services.notification_unsubscribe_token(notification)],
    )
    assert client.post(url).status_code == 200
    with time_machine.travel(OPENS, tick=False):
        run_task_twice(django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_clearly(client, method):
    notification = services.notification_request(email="amara@example.com")
    token = services.notification_unsubscribe_token(notification)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "not-a-token"):
        response = getattr(client, method)(
            reverse("notification_unsubscribe", args=[bad])
        )
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    notification.refresh_from_db()
    assert notification.unsubscribed_at is None
