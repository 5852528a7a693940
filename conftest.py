"""The small cast every test can use, and the test-wide defaults."""

import os
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.core.cache import cache, caches
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts.models import User
from accounts.testing import Client, activate_two_factor
from mentorship.celery import app as celery_app

PASSWORD = "a-long-test-password-1"

# Property-based tests (hypothesis) post many generated requests per test:
# a modest number, with no per-example deadline (a page takes what it takes
# on a busy CI machine), and no example database in the work tree. Each
# example undoes its own changes (mentorship.tests.world.rolled_back), which
# is why examples may share a test's function-scoped fixtures. CI draws the
# same examples every run, so a red build is never a matter of luck; run
# with HYPOTHESIS_PROFILE=explore to look further.
hypothesis_settings.register_profile(
    "project",
    max_examples=15,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "ci", parent=hypothesis_settings.get_profile("project"), derandomize=True
)
hypothesis_settings.register_profile(
    "explore", parent=hypothesis_settings.get_profile("project"), max_examples=300
)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI") else "project")
)


@pytest.fixture(autouse=True)
def _test_defaults(settings, tmp_path):
    # Email takes the project's real path (outbox row, then delivery) and is
    # delivered into django.core.mail.outbox.
    settings.EMAIL_BACKEND = "mentorship.mail.OutboxEmailBackend"
    settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Each test gets its own cache: rate-limit counters must not leak between
    # tests, and clearing a shared Redis would wipe the broker's queues.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "fragments",
        },
    }
    # Local-memory caches with the same location share their store across
    # the process, so the new one would still hold the last test's counters.
    cache.clear()
    caches["fragments"].clear()
    admin.site.forget_app_lists()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    # Hashing a password the production way takes a noticeable fraction of a
    # second; tests make hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks run in-process unless a test asks for the real worker.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


def require_service(name, check):
    """Run `check`; if the service is missing, fail in CI and skip elsewhere."""
    try:
        check()
    except Exception as exc:
        message = f"{name} is not reachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def squeezed(html: str) -> str:
    """HTML without the spaces next to its tags, which templates leave: to
    compare what Django's admin templates write with what our code writes
    in their place."""
    return re.sub(r"\s+<", "<", re.sub(r">\s+", ">", html)).strip()


def make_user(email, *, two_factor=None, **fields):
    """A user with a verified email who logs in with PASSWORD.

    Staff get an authenticator app and recovery codes, as every staff member
    who reaches a staff page has; ``two_factor=False`` leaves one without
    (someone made staff who has not set it up yet), ``two_factor=True`` gives
    them to anyone. The TOTP secret is kept on the user as ``totp_secret``.
    """
    user = User.objects.create_user(email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if two_factor is None:
        two_factor = user.is_staff or user.is_superuser
    user.totp_secret = activate_two_factor(user) if two_factor else None
    return user


@pytest.fixture
def client():
    """The test client, whose ``force_login`` leaves the session as a real
    login would: a staff member's includes the code from their authenticator
    (see accounts.testing)."""
    return Client()


@pytest.fixture
def mentee(db):
    return make_user(
        "mentee@example.com",
        full_name="Amara Okafor",
        country="NG",
        time_zone="Africa/Lagos",
    )


@pytest.fixture
def mentor(db):
    return make_user(
        "mentor@example.com",
        full_name="Henrik Larsen",
        country="DK",
        time_zone="Europe/Copenhagen",
    )


@pytest.fixture
def staff(db):
    return make_user(
        "staff@example.com",
        full_name="Sam Staff",
        country="US",
        time_zone="America/New_York",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def stranger(db):
    return make_user(
        "stranger@example.com",
        full_name="Stan Stranger",
        country="BR",
        time_zone="America/Sao_Paulo",
    )


REDIS_URL = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True, scope="session")
def _celery_broker():
    # Celery builds its connection pool once, from the broker URL of that
    # moment; point it at Redis before anything can, so the real-worker tests
    # publish where their worker listens.
    celery_app.conf.broker_url = REDIS_URL


@pytest.fixture
def redis_url():
    """The Redis the suite may use: CI's broker, or the local default."""
    import redis

    url = REDIS_URL
    require_service(
        "Redis", lambda: redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    )
    return url


@pytest.fixture
def celery_worker(transactional_db, redis_url, settings):
    """A real Celery worker, in a thread, consuming from Redis."""
    from celery.contrib.testing.worker import start_worker

    settings.CELERY_BROKER_URL = redis_url
    celery_app.conf.task_always_eager = False
    # Tasks left on the queue by an earlier run (for rows long gone) would
    # otherwise go first and eat into this test's wait.
    celery_app.control.purge()
    celery_app.loader.import_module("celery.contrib.testing.tasks")
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20
    ) as worker:
        yield worker
    celery_app.conf.task_always_eager = True


@pytest.fixture
def postgresql(transactional_db):
    """PostgreSQL, committing for real: for tests of row locks under
    concurrency and of lost connections, which SQLite cannot show."""
    from django.db import connection

    def check():
        if connection.vendor != "postgresql":
            raise RuntimeError("the database is not PostgreSQL (set DATABASE_URL)")

    require_service("PostgreSQL", check)
