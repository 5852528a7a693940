"""Settings read from the environment: production must pass `check --deploy`."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7Qp2-long-random-production-key-9fK3mZ8vT1wL5nR6yB4cH0dJ",
    "DJANGO_ALLOWED_HOSTS": "mentors.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://mentors.example.org",
    "DATABASE_URL": "sqlite:////tmp/never-opened.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://user:pw@smtp.example.org:587",
    "SITE_URL": "https://mentors.example.org",
}


def manage(*args, **environment):
    # A fresh process: settings are read once, at start-up. The project's
    # .env (development defaults) is hidden by setting every variable here.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "EMAIL_"))
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", **environment)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_environment_drives_database_broker_cache_and_email():
    script = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
        " s.CACHES['default']['BACKEND'], s.OUTBOX_DELIVERY_BACKEND, s.EMAIL_HOST,"
        " s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE)"
    )
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        script,
        **{**PRODUCTION, "DATABASE_URL": "postgres://u:p@db.example.org:5432/vm"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "mentorship.cache.RedisCacheWithFallback",
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "True",
        "True",
    ]


def test_nothing_configured_means_embedded_defaults():
    script = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
        " s.CACHES['default']['BACKEND'], s.OUTBOX_DELIVERY_BACKEND)"
    )
    result = manage("shell", "-v", "0", "-c", script, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_session_inactivity_limit_comes_from_the_environment():
    script = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_AGE, s.SESSION_REFRESH_SECONDS)"
    )
    result = manage(
        "shell", "-v", "0", "-c", script, DJANGO_DEBUG="1", SESSION_COOKIE_AGE="1800"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1800", "60"]


def test_static_files_collect_under_hashed_names(tmp_path, settings):
    """Production's `collectstatic` names each file by its content and
    rewrites the references between files (WhiteNoise's storage is Django's
    manifest storage, then compression, left out here for time): a file
    naming one that is not there, such as a source map a vendored script
    points at, stops it."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        },
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "staticfiles.json").is_file()
