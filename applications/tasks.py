from celery import shared_task

from . import services


@shared_task
def purge_old_applications() -> int:
    """Declined and withdrawn applications past the retention period lose
    their personal data, a batch at a time in a fixed number of queries;
    safe to run twice."""
    return services.applications_purge_due()
