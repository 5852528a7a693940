"""Retention: a declined or withdrawn application's personal data is removed
once APPLICATION_RETENTION_DAYS have passed since the decision, by a daily
task; staff see what will go, and when, before it does."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import personal_data
from applications import services, tasks
from applications.models import Application, ApplicationEvent, EligibilityOverride
from conftest import make_user
from matching import selectors as matching_selectors
from mentorship.models import Cycle

from .conftest import make_submitted


@pytest.fixture(autouse=True)
def _a_year(settings):
    settings.APPLICATION_RETENTION_DAYS = 365


def decline(application, staff):
    services.application_start_review(application_id=application.pk, actor=staff)
    return services.application_decline(
        application_id=application.pk,
        actor=staff,
        message="Not this cycle.",
        note="Weak statement, staff think.",
    )


@pytest.fixture
def declined(submitted, staff):
    application = decline(submitted, staff)
    services.application_save_staff_notes(
        application_id=application.pk, actor=staff, notes="Call her next year."
    )
    application.refresh_from_db()
    return application


def purge(when, capture):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return tasks.purge_old_applications()


def test_the_purge_comes_exactly_when_the_period_is_over(
    declined, mentee, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    cv = Path(settings.PRIVATE_MEDIA_ROOT) / declined.cv.name
    due = declined.decided_at + timedelta(days=365)
    assert services.purge_date(declined) == due
    funnel = matching_selectors.cycle_funnel(declined.cycle)
    regions = matching_selectors.cycle_regions(declined.cycle)

    assert purge(due - timedelta(seconds=1), capture) == 0
    declined.refresh_from_db()
    assert declined.applicant == mentee
    assert cv.is_file()

    assert purge(due, capture) == 1
    declined.refresh_from_db()
    assert declined.purged_at == due
    assert declined.applicant is None
    assert (declined.statement, declined.institution, declined.staff_notes) == (
        "",
        "",
        "",
    )
    assert (declined.cv.name, declined.cv_filename, declined.message_to_applicant) == (
        "",
        "",
        "",
    )
    assert not cv.exists()
    assert not Application.history.filter(id=declined.pk).exists()
    events = ApplicationEvent.objects.filter(application=declined)
    assert not events.exclude(note="").exists()
    assert not events.filter(actor=mentee).exists()
    assert events.last().description == (
        "Personal data removed: declined more than 365 days ago"
    )
    # The row still counts in the cycle's figures.
    assert declined.status == Application.Status.DECLINED
    assert matching_selectors.cycle_funnel(declined.cycle) == funnel
    assert matching_selectors.cycle_regions(declined.cycle) == regions

    # Again, later: nothing more to do.
    assert purge(due + timedelta(days=3), capture) == 0
    assert (
        events.count() == ApplicationEvent.objects.filter(application=declined).count()
    )


def test_a_withdrawal_counts_from_when_the_applicant_withdrew(
    submitted, mentee, django_capture_on_commit_callbacks
):
    withdrawn_at = timezone.now() + timedelta(days=10)
    with time_machine.travel(withdrawn_at, tick=False):
        application = services.application_withdraw(
            application_id=submitted.pk, actor=mentee
        )
    assert application.decided_at == withdrawn_at
    capture = django_capture_on_commit_callbacks
    due = withdrawn_at + timedelta(days=365)
    assert purge(due - timedelta(microseconds=1), capture) == 0
    assert purge(due, capture) == 1


def test_the_period_is_a_setting(
    declined, settings, django_capture_on_commit_callbacks
):
    settings.APPLICATION_RETENTION_DAYS = 30
    due = declined.decided_at + timedelta(days=30)
    assert services.purge_date(declined) == due
    assert purge(due, django_capture_on_commit_callbacks) == 1


def test_open_and_matched_applications_are_kept(
    submitted, staff, django_capture_on_commit_callbacks
):
    services.application_start_review(application_id=submitted.pk, actor=staff)
    services.application_approve(application_id=submitted.pk, actor=staff)
    services.application_mark_matched(application_id=submitted.pk)
    submitted.refresh_from_db()
    assert services.purge_date(submitted) is None
    later = timezone.now() + timedelta(days=3650)
    assert purge(later, django_capture_on_commit_callbacks) == 0
    submitted.refresh_from_db()
    assert submitted.purged_at is None


def test_the_purge_goes_in_batches_and_one_failure_stops_nothing(
    open_cycle, staff, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    applications = [
        decline(
            make_submitted(make_user(f"a{n}@example.com", country="NG"), open_cycle),
            staff,
        )
        for n in range(5)
    ]
    broken = applications[1].pk
    real = services._purge

    def purge_some(purges, **kwargs):
        # Fails once the batch's events are written: they are undone with it.
        real(purges, **kwargs)
        if broken in {application.pk for application, _ in purges}:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "_purge", purge_some)
    later = timezone.now() + timedelta(days=366)
    with (
        time_machine.travel(later, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.applications_purge_due(batch_size=2) == 4
    left = Application.objects.filter(purged_at__isnull=True).get()
    assert left.pk == broken
    assert left.applicant is not None and left.statement
    assert not left.events.filter(internal=True, description__startswith="Personal")
    assert Path(settings.PRIVATE_MEDIA_ROOT, left.cv.name).is_file()
    assert "Purging application: a batch of 2 failed; one at a time now" in caplog.text
    assert f"Purging application {broken} failed" in caplog.text


# The purge a batch at a time: a year after a cycle's decisions, tens of
# thousands fall due on the same day.


def due_applications(cycles, staff, count, *, start=0):
    """Applications as the app leaves them, due a year from now: each with
    an override, events by the applicant and by staff with staff's notes,
    its change history and a line in the admin's log; one in three withdrawn
    by the applicant, the rest declined. The cycles take turns."""
    applications = []
    for n in range(start, start + count):
        applicant = make_user(f"due{n}@example.com", country="NG")
        application = make_submitted(applicant, cycles[n % len(cycles)])
        services.application_start_review(application_id=application.pk, actor=staff)
        services.application_override_eligibility(
            application_id=application.pk,
            actor=staff,
            criterion=application.eligibility[0]["criterion"],
            outcome="pass",
            note="Heard her speak at the congress.",
        )
        if n % 3 == 0:
            services.application_withdraw(
                application_id=application.pk, actor=applicant
            )
        else:
            services.application_decline(
                application_id=application.pk,
                actor=staff,
                message="Not this cycle.",
                note="Weak statement, staff think.",
            )
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(Application),
            object_id=str(application.pk),
            object_repr=str(application),
            action_flag=CHANGE,
            change_message='[{"changed": {"fields": ["Staff notes"]}}]',
        )
        applications.append(application)
    return applications


# A batch: the due ids, the savepoint, the lock, the events (their actor,
# their notes), the applications, their history, their overrides, the purge
# events, the admin's log (one statement, whatever the cycles), the content
# type (when not cached yet), the savepoint released.
PURGE_BATCH_QUERIES = 12


def test_purging_a_batch_costs_the_same_queries_however_many(
    open_cycle, staff, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    due_applications([open_cycle], staff, 3)
    later = timezone.now() + timedelta(days=366)
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(PURGE_BATCH_QUERIES) as few,
    ):
        assert services.applications_purge_due(now=later) == 3
    due_applications([open_cycle], staff, 30, start=3)
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        assert services.applications_purge_due(now=later) == 30
    assert not Application.objects.filter(purged_at__isnull=True).exists()
    assert not list(Path(settings.PRIVATE_MEDIA_ROOT, "cvs").iterdir())


def purged():
    """What the purge leaves, without the ids of the events themselves."""
    return {
        "applications": list(Application.objects.order_by("pk").values()),
        "events": list(
            ApplicationEvent.objects.order_by("application_id", "at", "pk").values_list(
                "application_id", "at", "actor_id", "status", "description", "note"
            )
        ),
        "history": sorted(Application.history.values_list("id", "history_type")),
        "overrides": sorted(
            EligibilityOverride.objects.values_list("application_id", "criterion")
        ),
        "log": sorted(
            LogEntry.objects.values_list("object_id", "object_repr", "change_message")
        ),
    }


def test_a_batch_leaves_what_purging_one_at_a_time_leaves(
    open_cycle, staff, monkeypatch, django_capture_on_commit_callbacks
):
    # Decided the same day as the first cycle's: both are named in the log.
    second = Cycle.objects.create(
        name="2026-2027, second intake",
        opens_at=open_cycle.opens_at,
        closes_at=open_cycle.closes_at,
    )
    due_applications([open_cycle, second], staff, 7)
    kept = make_submitted(make_user("kept@example.com", country="NG"), open_cycle)
    later = timezone.now() + timedelta(days=366)

    def purged_in_batches_of(size):
        with transaction.atomic():
            with django_capture_on_commit_callbacks() as callbacks:
                count = services.applications_purge_due(now=later, batch_size=size)
            deleted = []
            monkeypatch.setattr(personal_data, "delete_files", deleted.extend)
            for callback in callbacks:
                callback()
            rows = purged()
            rows["files deleted"] = sorted(name for _, name in deleted)
            transaction.set_rollback(True)
        return count, rows

    one_at_a_time = purged_in_batches_of(1)
    assert purged_in_batches_of(200) == one_at_a_time
    count, rows = one_at_a_time
    assert count == 7
    assert len(rows["files deleted"]) == 7
    assert rows["history"] == sorted(
        Application.history.filter(id=kept.pk).values_list("id", "history_type")
    )
    assert rows["overrides"] == []
    assert {name for _, name, _ in rows["log"]} == {
        f"A former applicant · {open_cycle}",
        f"A former applicant · {second}",
    }
    descriptions = [description for _, _, _, _, description, _ in rows["events"]]
    assert (
        descriptions.count("Personal data removed: declined more than 365 days ago")
        == 4
    )
    assert (
        descriptions.count("Personal data removed: withdrawn more than 365 days ago")
        == 3
    )


def test_one_purged_meanwhile_is_left_as_it_is(
    open_cycle, staff, monkeypatch, django_capture_on_commit_callbacks
):
    deleting, purged_already, due = due_applications([open_cycle], staff, 3)
    later = timezone.now() + timedelta(days=366)
    real = services._purge_due

    def purged_meanwhile(application_ids, now):
        # Between the task's listing what is due and its batch locking it,
        # one applicant deletes their account and another run purges one.
        monkeypatch.setattr(services, "_purge_due", real)
        services.application_erase_for_account(application=deleting, now=now)
        services.application_purge(application_id=purged_already.pk, now=now)
        return real(application_ids, now)

    monkeypatch.setattr(services, "_purge_due", purged_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.applications_purge_due(now=later) == 1
    removals = dict(
        ApplicationEvent.objects.filter(
            internal=True, description__startswith="Personal data removed"
        ).values_list("application_id", "description")
    )
    assert removals == {
        deleting.pk: "Personal data removed: the applicant deleted their account",
        purged_already.pk: "Personal data removed: declined more than 365 days ago",
        due.pk: "Personal data removed: declined more than 365 days ago",
    }
    assert (
        ApplicationEvent.objects.filter(
            description__startswith="Personal data removed"
        ).count()
        == 3
    )


def test_the_applicant_no_longer_sees_a_purged_application(
    client, declined, mentee, django_capture_on_commit_callbacks
):
    client.force_login(mentee)
    detail = reverse("applications:detail", args=[declined.pk])
    page = client.get(detail).content.decode()
    assert "We keep this application's answers and CV until" in page
    purge(declined.decided_at + timedelta(days=366), django_capture_on_commit_callbacks)
    assert client.get(detail).status_code == 404
    assert (
        reverse("applications:detail", args=[declined.pk])
        not in client.get(reverse("applications:list")).content.decode()
    )


def test_the_admin_log_forgets_the_applicants_name(
    declined, staff, django_capture_on_commit_callbacks
):
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Application),
        object_id=str(declined.pk),
        object_repr=str(declined),
        action_flag=CHANGE,
        change_message="[]",
    )
    purge(declined.decided_at + timedelta(days=366), django_capture_on_commit_callbacks)
    assert (
        LogEntry.objects.get().object_repr == f"A former applicant · {declined.cycle}"
    )


# What staff see before it happens


def test_staff_see_what_is_due_and_when(
    client, declined, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    changelist = reverse("admin:applications_application_changelist")
    retention = reverse("admin:applications_application_retention")
    change = reverse("admin:applications_application_change", args=[declined.pk])
    due = declined.decided_at + timedelta(days=365)

    page = client.get(change).content.decode()
    assert "Removed on or after" in page
    assert "Personal data due for removal" in client.get(changelist).content.decode()

    with time_machine.travel(due - timedelta(days=10), tick=False):
        client.force_login(staff)
        listed = client.get(changelist, {"retention": "soon"}).content.decode()
        assert change in listed
        assert (
            change not in client.get(changelist, {"retention": "due"}).content.decode()
        )
        page = client.get(retention).content.decode()
        assert "Removed at the next daily purge: 0" in page
        assert "Removed within the next 30 days: 1" in page
        assert change in page

    with time_machine.travel(due + timedelta(hours=1), tick=False):
        client.force_login(staff)
        assert change in client.get(changelist, {"retention": "due"}).content.decode()
        page = client.get(retention).content.decode()
        assert "Removed at the next daily purge: 1" in page
        with django_capture_on_commit_callbacks(execute=True):
            tasks.purge_old_applications()
        assert (
            change in client.get(changelist, {"retention": "removed"}).content.decode()
        )
        page = client.get(change).content.decode()
        assert "A former applicant" in page
        assert "Removed on" in page
        # A purged application takes no more review actions.
        assert (
            reverse("admin:applications_application_review", args=[declined.pk, "rate"])
            not in page
        )
    with pytest.raises(services.ApplicationError, match="removed"):
        services.application_rate(application_id=declined.pk, actor=staff, rating=3)


def test_the_daily_purge_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-applications"]
    assert entry["task"] == "applications.tasks.purge_old_applications"
