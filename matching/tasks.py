from celery import shared_task

from . import services


@shared_task
def expire_unanswered_pairings() -> int:
    """Proposals left unanswered too long go back to staff; safe to run twice."""
    return services.pairings_expire_unanswered()
