"""What bench_pages relies on, checked without serving anything: the
sessions it writes let each person in as a login would, and its do-nothing
page exists only when asked for."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from matching.management.commands.bench_pages import (
    GOAL_P50_MS,
    GOAL_P95_MS,
    GOAL_RATIO,
    _session_for,
    goals_missed,
)


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


def test_each_goal_a_page_misses_is_named():
    met = {"p50_ms": GOAL_P50_MS - 1, "p95_ms": GOAL_P95_MS - 1, "ratio": GOAL_RATIO}
    assert goals_missed(met) == []
    assert goals_missed({**met, "p50_ms": GOAL_P50_MS}) == ["p50"]
    assert goals_missed({**met, "p95_ms": GOAL_P95_MS + 5, "ratio": 0.04}) == [
        "p95",
        "ratio",
    ]
