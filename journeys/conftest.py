"""Fixtures for the browser journeys: a real Chromium driven by Playwright
against the app served by `live_server`, and a page per person, in that
person's time zone.

A journey asks for `open_page` (a new visitor; call it again for each
other person) or `page_for(user)` (a user of the cast, logged in), and calls
`journeys.browser.check_page(page, "name")` on every page it visits.
"""

import os
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

import pytest
import time_machine
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.db import connections
from playwright.sync_api import sync_playwright

from accounts.testing import totp_secret
from conftest import require_service

from .browser import DESKTOP, log_in, page_text

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every journey starts at this instant, so the dates on its pages, and so its
# screenshots, are the same on every run. The clock still ticks.
JOURNEY_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SEED_MIGRATIONS = {
    "accounts.migrations.0002_site_name": "name_the_site",
    "accounts.migrations.0004_interest_taxonomy": "create_taxonomy",
}
# Kept for a failed journey: what the page showed when it failed.
FAILURES = Path(django_settings.BASE_DIR) / "test-artifacts" / "journeys"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


@pytest.fixture(autouse=True)
def _journey_clock():
    with time_machine.travel(JOURNEY_START, tick=True):
        yield


@pytest.fixture
def migrated_rows(transactional_db):
    """The rows the migrations made that pages show: the interest taxonomy,
    the site's name (in allauth's emails). A transactional test before this
    one (a journey, the real Celery worker's test) emptied the database; the
    migrations' functions are safe to run again and give the same rows."""
    for module, function in SEED_MIGRATIONS.items():
        getattr(import_module(module), function)(django_apps, None)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run; each person gets a fresh context.
    Without Chromium the journeys fail in CI and are skipped elsewhere."""
    # Playwright's sync API keeps an asyncio loop marked as running in this
    # thread while it is started. Django then refuses ORM calls from the test
    # itself, and looks its database connections up in a separate per-context
    # store: the test would open a second connection beside the one
    # pytest-django set up and cleans, one that nothing closes at the end.
    # Nothing async runs here, the app is served from live_server's thread:
    # allow the calls and hand the thread's own connections to that store.
    own_connections = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, connection in own_connections.items():
            connections[alias] = connection
        launched = []
        require_service(
            f"Chromium ({CHROMIUM})",
            lambda: launched.append(
                playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ),
        )
        yield launched[0]
        launched[0].close()


@pytest.fixture
def open_page(browser, live_server, migrated_rows, settings, request):
    """Open a page as a new person: own cookies, time zone and language.

    The app runs in live_server's thread, so the journey's data must be
    committed: the database is emptied after each journey.

    If the journey fails, each page's text is printed and a screenshot kept
    under test-artifacts/journeys/. Anything the Content Security Policy
    blocked on any page fails the journey.
    """
    # Links in emails lead to the server the browser is talking to.
    settings.SITE_URL = live_server.url
    contexts = []
    # What the Content Security Policy blocked: a script that did not run or a
    # style not applied may leave a page that still passes every other check.
    blocked = []

    def note_if_blocked(message):
        # Chromium reports each refusal on the console ("Refused to apply
        # inline style because it violates the following Content Security
        # Policy directive ..."), from the page or any frame in it.
        if "Content Security Policy" in message.text:
            where = message.page.url if message.page else message.location["url"]
            blocked.append(f"{where}: {message.text}")

    def open_page(time_zone="UTC"):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=DESKTOP,
            locale="en-GB",
            timezone_id=time_zone,
        )
        context.set_default_timeout(10_000)
        context.on("console", note_if_blocked)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "journey_failed", False)
    for number, context in enumerate(contexts, start=1):
        for page in context.pages if failed else ():
            FAILURES.mkdir(parents=True, exist_ok=True)
            shot = FAILURES / f"{request.node.name}-{number}.png"
            page.screenshot(path=shot, full_page=True)
            print(f"\n--- {page.url} when the journey failed (screenshot: {shot})")
            print(page_text(page))
        context.close()
    if blocked:
        pytest.fail("The Content Security Policy blocked:\n" + "\n".join(blocked))


@pytest.fixture
def page_for(open_page):
    """A logged-in page for a user of the cast (`staff`, `mentor`, `mentee`,
    ...), in that user's own time zone; staff enter the code from their
    authenticator app as well."""

    def page_for(user):
        page = open_page(time_zone=user.time_zone)
        log_in(page, user.email, totp_secret=totp_secret(user))
        return page

    return page_for
