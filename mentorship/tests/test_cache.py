"""The cache when Redis is down: each process counts for itself."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    # Nothing listens on port 1: connections are refused at once.
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "mentorship.cache.RedisCacheWithFallback",
            "LOCATION": "redis://127.0.0.1:1/0",
            "KEY_PREFIX": "test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    yield
    cache.clear()


def test_with_redis_down_the_cache_keeps_working_in_memory(redis_down, caplog):
    assert cache.add("k", 1)
    assert not cache.add("k", 2)
    assert cache.get("k") == 1
    assert cache.incr("k") == 2
    cache.delete("k")
    assert cache.get("k", "gone") == "gone"
    assert "Cache unavailable" in caplog.text


def test_with_redis_down_people_still_log_in_and_limits_still_hold(
    redis_down, client, mentee
):
    login = reverse("account_login")
    started = time.monotonic()
    response = client.post(login, {"login": mentee.email, "password": PASSWORD})
    assert response.status_code == 302
    assert time.monotonic() - started < 5
    client.logout()
    # allauth's limit on failed logins for one address still counts.
    for _ in range(5):
        client.post(login, {"login": mentee.email, "password": "wrong"})
    refused = client.post(login, {"login": mentee.email, "password": PASSWORD})
    assert refused.status_code == 200  # the login page again, not logged in
    assert "Too many failed login attempts" in refused.content.decode()
