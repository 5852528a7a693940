from django.db.models import Prefetch, QuerySet

from .models import EligibilityOverride


def review_queue(queryset: QuerySet) -> QuerySet:
    """Applications with everything the review queue and its export show, in
    a fixed number of queries whatever the number of rows.

    Related rows are prefetched rather than joined: the page's own query then
    reads one table, which keeps deep pages and sorting cheap at scale.
    Interests and overrides land in plain lists (``listed_interests``,
    ``listed_overrides``), which rows read without building querysets.
    """
    return queryset.prefetch_related(
        "applicant",
        "cycle",
        "reviewer",
        "rated_by",
        "decline_reason",
        Prefetch("interests", to_attr="listed_interests"),
        Prefetch(
            "eligibility_overrides",
            queryset=EligibilityOverride.objects.select_related("by"),
            to_attr="listed_overrides",
        ),
    )


def application_record(queryset: QuerySet) -> QuerySet:
    """One application with everything its admin page shows: the people,
    cycle and decline reason joined to it (a query, where the queue's
    prefetches, right for a page of rows, take one each), then its
    interests, career goals and overrides."""
    return queryset.select_related(
        "applicant", "cycle", "reviewer", "rated_by", "decline_reason"
    ).prefetch_related(
        Prefetch("interests", to_attr="listed_interests"),
        "career_goals",
        Prefetch(
            "eligibility_overrides",
            queryset=EligibilityOverride.objects.select_related("by"),
            to_attr="listed_overrides",
        ),
    )
