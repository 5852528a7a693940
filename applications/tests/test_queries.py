"""The queue and the record cost the same number of queries however many
applications there are and however many are shown on a page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from applications import services
from applications.admin import ApplicationAdmin

from .conftest import make_submitted

LIST = reverse("admin:applications_application_changelist")
COUNTRIES = ["BR", "GH", "CN", "IN", "KE", "MX", "VN", "JO", "US", "EG"]
# The list: session, user, whether the staff member has an authenticator
# (accounts.middleware), the cycle, interest and reviewer filters' choices,
# its rows, then (see selectors.review_queue) applicants, cycles, reviewers,
# raters, interests, and overrides with their authors. The count of the whole
# queue is shared (selectors.whole_queue_count); a filtered or searched page
# counts its own, one more.
LIST_BOUND = 13
# The record: session, user, the authenticator, the application joined with
# its applicant, cycle, reviewer, rater and decline reason
# (selectors.application_record), its interests, career goals and overrides,
# and the timeline with its actors.
RECORD_BOUND = 8


def build(count, cycle, staff, start=0):
    applications = []
    for n in range(start, start + count):
        user = User.objects.create(
            email=f"applicant{n}@example.com",
            full_name=f"Applicant {n}",
            country=COUNTRIES[n % len(COUNTRIES)],
        )
        application = make_submitted(user, cycle)
        services.application_assign_reviewer(
            application_id=application.pk, actor=staff, reviewer=staff
        )
        services.application_rate(
            application_id=application.pk, actor=staff, rating=1 + n % 5
        )
        services.application_override_eligibility(
            application_id=application.pk,
            actor=staff,
            criterion="cv",
            outcome="pass",
            note="Read.",
        )
        applications.append(application)
    return applications


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def logged_in(client, staff):
    client.force_login(staff)
    client.get(LIST)  # the first request warms caches (content types, sites)
    return client


def test_the_list_costs_the_same_for_3_or_40_rows_and_any_page_size(
    logged_in, staff, open_cycle, monkeypatch, django_assert_max_num_queries
):
    build(3, open_cycle, staff)
    small = count_queries(logged_in, LIST)
    build_more = build(37, open_cycle, staff, start=3)
    assert len(build_more) == 37
    with django_assert_max_num_queries(LIST_BOUND):
        large = count_queries(logged_in, LIST)
    assert large == small
    monkeypatch.setattr(ApplicationAdmin, "list_per_page", 5)
    assert count_queries(logged_in, LIST) == small
    # Filtered, searched and sorted pages are bounded too.
    for params in (
        {"region": "Sub-Saharan Africa"},
        {"eligibility": "overridden"},
        {"mine": "review"},
        {"q": "applicant"},
        {"o": "-9"},
    ):
        with django_assert_max_num_queries(LIST_BOUND + 1):
            count_queries(logged_in, LIST, params)


def test_the_record_costs_the_same_however_long_its_history(
    logged_in, staff, open_cycle, django_assert_max_num_queries
):
    [short] = build(1, open_cycle, staff)
    url = reverse("admin:applications_application_change", args=[short.pk])
    logged_in.get(url)  # warms the content-type cache the history link uses
    before = count_queries(logged_in, url)
    for n in range(20):
        services.application_rate(
            application_id=short.pk, actor=staff, rating=1 + n % 5, comment=str(n)
        )
    for criterion in ("interest_statement", "membership", "english"):
        services.application_override_eligibility(
            application_id=short.pk,
            actor=staff,
            criterion=criterion,
            outcome="pass",
            note="Checked.",
        )
    with django_assert_max_num_queries(RECORD_BOUND):
        after = count_queries(logged_in, url)
    assert after == before
