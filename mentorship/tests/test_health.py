from unittest import mock

from django.db import OperationalError
from django.urls import reverse


def test_healthz_ok_without_a_broker(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "in-process"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_503_when_the_broker_is_unreachable(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unavailable")


def test_healthz_503_when_the_database_fails(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    with mock.patch(
        "mentorship.health.connection.cursor", side_effect=OperationalError("gone")
    ):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable: OperationalError"


def test_healthz_reports_a_live_redis_broker(client, db, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


def test_healthz_only_answers_get(client, db):
    assert client.post(reverse("healthz")).status_code == 405
