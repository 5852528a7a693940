from django.apps import apps
from django.core.management import call_command

from accounts.models import User


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {"accounts", "mentorship", "applications", "matching", "account"}
    }


def test_seed_demo_is_idempotent_and_prints_the_logins(db, capsys):
    call_command("seed_demo")
    first = counts()
    out = capsys.readouterr().out
    call_command("seed_demo")
    assert counts() == first
    for email in ("staff@example.org", "mentor@example.org", "mentee@example.org"):
        assert email in out
    assert User.objects.get(email="staff@example.org").is_staff


def test_demo_logins_work(client, db):
    call_command("seed_demo")
    for email in ("staff@example.org", "mentor@example.org", "mentee@example.org"):
        client.logout()
        response = client.post(
            "/accounts/login/", {"login": email, "password": "mentor-demo-2026"}
        )
        assert response.status_code == 302, email
