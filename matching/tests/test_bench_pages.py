"""What bench_pages relies on, checked without serving anything: the
sessions it writes let each person in as a login would, and its do-nothing
page exists only when asked for."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from matching.management.commands.bench_pages import _session_for


def test_a_written_session_opens_staff_pages_with_the_second_factor(db, staff):
    client = Client()  # Django's own: no login but the session written
    client.cookies[settings.SESSION_COOKIE_NAME] = _session_for(staff)
    assert client.get(reverse("matching:progress")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_written_session_is_the_persons_own(db, mentee):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = _session_for(mentee)
    page = client.get(reverse("applications:list"))
    assert page.status_code == 200
    assert page.wsgi_request.user == mentee


def test_the_minimal_page_is_not_there_unless_asked_for(client):
    assert not settings.BENCH_MINIMAL_VIEW
    assert client.get("/bench/minimal/").status_code == 404
