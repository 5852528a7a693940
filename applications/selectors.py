from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from .models import EligibilityOverride


def review_queue(queryset: QuerySet) -> QuerySet:
    """Applications with everything the review queue's columns show (the
    export adds what only it shows), in a fixed number of queries whatever
    the number of rows.

    Related rows are prefetched rather than joined: the page's own query then
    reads one table, which keeps deep pages and sorting cheap at scale.
    Interests land in a plain list (``listed_interests``), which rows read
    without building querysets. What staff overrode is on the row itself
    (``override_outcomes``); the overrides' notes are not shown.
    """
    return queryset.prefetch_related(
        "applicant",
        "cycle",
        "reviewer",
        Prefetch("interests", to_attr="listed_interests"),
    )


def with_overrides_listed(queryset: QuerySet) -> QuerySet:
    """The applications with their overrides, notes and authors, in a plain
    list (``listed_overrides``) that ``Application.overrides`` reads."""
    return queryset.prefetch_related(
        Prefetch(
            "eligibility_overrides",
            queryset=EligibilityOverride.objects.select_related("by"),
            to_attr="listed_overrides",
        )
    )


def application_record(queryset: QuerySet) -> QuerySet:
    """One application with everything its admin page shows: the people,
    cycle and decline reason joined to it (a query, where the queue's
    prefetches, right for a page of rows, take one each), then its
    interests, career goals and overrides."""
    return with_overrides_listed(
        queryset.select_related(
            "applicant", "cycle", "reviewer", "rated_by", "decline_reason"
        ).prefetch_related(
            Prefetch("interests", to_attr="listed_interests"), "career_goals"
        )
    )


def shared_filter_choices(name: str, choices: Callable[[], list]) -> list:
    """The choices of the review queue's filter ``name`` (its model and
    field: the cycles, interests and staff it filters by, which
    ``choices()`` reads), shared
    with the queue's count for ``QUEUE_COUNT_SECONDS``: a cycle, interest or
    staff member added or renamed may take up to a minute to show in the
    side bar. Read on every visit, they were three queries of the page."""
    if not settings.QUEUE_COUNT_SECONDS:
        return choices()
    return cache.get_or_set(
        f"applications:queue-filter:{name}", choices, settings.QUEUE_COUNT_SECONDS
    )


def whole_queue_count(queryset: QuerySet) -> int:
    """How many applications the unfiltered review queue (``queryset``:
    every one but the drafts) lists, shared for ``QUEUE_COUNT_SECONDS``.

    Counting 100,000 applications is about 5 ms of the page, the same on
    every visit. Shared, the number (and the number of pages) may lag up to
    a minute behind the rows, which are always read afresh: with the newest
    first, a new submission shows at the top at once."""
    if not settings.QUEUE_COUNT_SECONDS:
        return queryset.count()
    return cache.get_or_set(
        "applications:whole-queue-count",
        queryset.count,
        settings.QUEUE_COUNT_SECONDS,
    )
