"""Proposals left unanswered past their date are cancelled in batches, each
mentee back to staff, both people told: a fixed number of queries a batch."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from conftest import make_user
from matching import services
from mentorship.models import OutboundEmail, Pairing, PairingEvent

Status = Pairing.Status

# Expiring a batch: the overdue ids, the savepoint, the lock, the pairings,
# their events, the applications read, then returned (savepoint, lock,
# update, change history, events, savepoint released), the emails (written,
# then read back to hand on), the savepoint released.
EXPIRE_BATCH_QUERIES = 15


@pytest.fixture
def now():
    return timezone.now()


def overdue(cycle, mentor, number, now, *, mentee_accepted=False):
    """A proposal whose answers were due an hour ago; the mentee's
    application is matched."""
    mentee = make_user(
        f"waiting{number}@example.com",
        full_name=f"Mentee {number}",
        time_zone="Africa/Nairobi",
    )
    Application.objects.create(
        applicant=mentee,
        cycle=cycle,
        status=Application.Status.MATCHED,
        practice_country="KE",
    )
    return Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Status.PROPOSED,
        proposed_at=now - timedelta(days=11),
        respond_by=now - timedelta(hours=1),
        mentee_accepted_at=now - timedelta(days=2) if mentee_accepted else None,
    )


def overdue_many(cycle, mentor, start, count, now):
    return [
        overdue(cycle, mentor, number, now, mentee_accepted=number % 2 == 0)
        for number in range(start, start + count)
    ]


def test_expiring_a_batch_costs_the_same_queries_however_many(
    cycle,
    mentor,
    now,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    overdue_many(cycle, mentor, 0, 2, now)
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(EXPIRE_BATCH_QUERIES) as few,
    ):
        assert services.pairings_expire_unanswered(now=now) == 2
    overdue_many(cycle, mentor, 2, 30, now)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        assert services.pairings_expire_unanswered(now=now) == 30
    assert len(mail.outbox) == 60
    assert not Pairing.objects.filter(status=Status.PROPOSED).exists()
    assert not Application.objects.filter(status=Application.Status.MATCHED).exists()


def written():
    """What expiry wrote, without the ids and times of the rows themselves."""
    return {
        "pairings": list(
            Pairing.objects.order_by("pk").values_list(
                "pk", "status", "ended_at", "end_reason"
            )
        ),
        "events": list(
            PairingEvent.objects.order_by("pairing_id", "pk").values_list(
                "pairing_id", "actor_id", "status", "description"
            )
        ),
        "applications": [
            (pk, status, since is None)
            for pk, status, since in Application.objects.order_by("pk").values_list(
                "pk", "status", "waiting_for_mentor_since"
            )
        ],
        "application events": list(
            ApplicationEvent.objects.order_by("application_id", "pk").values_list(
                "application_id",
                "actor_id",
                "status",
                "description",
                "note",
                "internal",
            )
        ),
        "history": [
            (pk, status, since is None, *change)
            for pk, status, since, *change in Application.history.order_by(
                "id", "history_id"
            ).values_list(
                "id",
                "status",
                "waiting_for_mentor_since",
                "history_type",
                "history_user_id",
                "history_change_reason",
            )
        ],
        "emails": sorted(
            OutboundEmail.objects.values_list(
                "idempotency_key",
                "event",
                "to",
                "from_email",
                "subject",
                "body_text",
                "body_html",
                "attachments",
                "headers",
                "status",
            )
        ),
    }


def test_a_batch_writes_what_expiring_one_at_a_time_writes(
    cycle, mentor, now, monkeypatch, django_capture_on_commit_callbacks
):
    pairings = overdue_many(cycle, mentor, 0, 5, now)
    # Withdrawn meanwhile: the pairing is cancelled, nothing goes back to staff.
    Application.objects.filter(applicant=pairings[0].mentee).update(
        status=Application.Status.WITHDRAWN
    )

    def expired_in_batches_of(size):
        with transaction.atomic():
            with django_capture_on_commit_callbacks() as callbacks:
                expired = services.pairings_expire_unanswered(now=now, batch_size=size)
            handed_on = []
            monkeypatch.setattr(
                services.mentorship_services, "_send_in_background", handed_on.append
            )
            for callback in callbacks:
                callback()
            rows = written()
            rows["handed_on"] = sorted(
                OutboundEmail.objects.filter(pk__in=handed_on).values_list(
                    "idempotency_key", flat=True
                )
            )
            transaction.set_rollback(True)
        return expired, rows

    one_at_a_time = expired_in_batches_of(1)
    assert expired_in_batches_of(200) == one_at_a_time
    expired, rows = one_at_a_time
    assert expired == 5
    assert len(rows["handed_on"]) == 10
    assert {status for _, status, _ in rows["applications"]} == {
        Application.Status.WITHDRAWN,
        Application.Status.APPROVED,
    }
    assert ("~", "The proposed pairing will not go ahead; waiting for a mentor") in {
        (kind, reason) for *_, kind, _, reason in rows["history"]
    }
    reasons = {reason for _, _, _, reason in rows["pairings"]}
    assert reasons == {
        "No answer from Henrik Larsen within 10 days.",
        f"No answer from {pairings[1].mentee} and Henrik Larsen within 10 days.",
        f"No answer from {pairings[3].mentee} and Henrik Larsen within 10 days.",
    }


def test_an_answer_arriving_before_the_batch_locks_wins(
    cycle, mentor, now, monkeypatch, django_capture_on_commit_callbacks
):
    answered, other = overdue_many(cycle, mentor, 0, 2, now)
    real = services._expire

    def answered_meanwhile(pairing_ids, when):
        # Between the task's reading which are overdue and its batch locking
        # them, the mentor accepts the one the mentee accepted already.
        services.pairing_respond(pairing_id=answered.pk, user=mentor, accept=True)
        return real(pairing_ids, when)

    monkeypatch.setattr(services, "_expire", answered_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pairings_expire_unanswered(now=now) == 1
    answered.refresh_from_db()
    other.refresh_from_db()
    assert (answered.status, other.status) == (Status.INTRODUCED, Status.CANCELLED)
    assert not answered.events.filter(status=Status.CANCELLED).exists()


def test_one_broken_proposal_does_not_hold_up_the_others(
    cycle, mentor, now, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    broken, *others = overdue_many(cycle, mentor, 0, 3, now)
    real = services.email_queue_many

    def breaks_on(emails):
        # Fails once the batch's pairings, events and applications are
        # written: they are undone with it.
        if any(f"pairing:{broken.pk}:" in email.idempotency_key for email in emails):
            raise RuntimeError("broken")
        return real(emails)

    monkeypatch.setattr(services, "email_queue_many", breaks_on)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pairings_expire_unanswered(now=now) == 2
    broken.refresh_from_db()
    assert broken.status == Status.PROPOSED
    assert not broken.events.exists()
    application = Application.objects.get(applicant=broken.mentee)
    assert application.status == Application.Status.MATCHED
    assert not application.events.exists() and application.history.count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        person.email for other in others for person in (other.mentee, other.mentor)
    )
    assert f"Expiring pairing {broken.pk} failed" in caplog.text
    # The next run tries it again.
    monkeypatch.setattr(services, "email_queue_many", real)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pairings_expire_unanswered(now=now) == 1
