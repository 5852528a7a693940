from celery import shared_task

from . import services


@shared_task
def send_email(email_id: int) -> bool:
    return services.email_send(email_id=email_id)


@shared_task
def sweep_outbox() -> int:
    return len(services.outbox_sweep())


@shared_task
def notify_cycle_opened() -> int:
    return services.notifications_send_for_open_cycle()


@shared_task
def send_reminders() -> int:
    return services.reminders_send()


@shared_task
def send_reminder_digests() -> int:
    return services.reminder_digests_send()


@shared_task
def close_pairings() -> int:
    return services.pairings_close_due()


@shared_task
def send_follow_up_surveys() -> int:
    return services.surveys_send_follow_ups()


@shared_task
def build_data_export(export_id: int) -> bool:
    return services.data_export_build(export_id=export_id)


@shared_task
def sweep_data_exports() -> dict:
    return services.data_exports_sweep()
