from celery import shared_task

from . import services


@shared_task
def purge_old_applications() -> int:
    """Declined and withdrawn applications past the retention period lose
    their personal data; safe to run twice."""
    return services.applications_purge_due()
