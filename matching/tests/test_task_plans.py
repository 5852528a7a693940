"""The periodic tasks read what they need through indexes, not whole tables
(PostgreSQL only: the plans are PostgreSQL's).

A program some years old is loaded: cycles whose years are over, with
their pairings closed, the applications behind them, contacts, plans,
reminders, surveys (followed up), the emails they caused, "notify me"
requests long answered; and a cycle under way. A little of each task's
work is due: emails to send, proposals overdue (their applications go back
to staff), two pairings whose year ends (one never active: its pulses are
read), two follow-up surveys, requests to answer, two declined applications
past the retention period. Each task of
CELERY_BEAT_SCHEDULE runs, and every statement it ran is planned again
with ``EXPLAIN (ANALYZE, FORMAT JSON)`` (in a savepoint, rolled back).

Why ``enable_seqscan = off``: at a size a test can load in a second or two
(thousands of rows), a sequential scan *is* the cheapest plan for many of
these queries, and the planner rightly picks it; at a platform's size it is
not. Turning it off is a penalty, not a ban: a query that no index serves
still shows a ``Seq Scan``, which is what this test looks for. An index can
also be read from end to end (the primary key, "id > 0"), a whole table by
another name, or far beyond the rows wanted, so the test also fails a scan
that discards more rows than it keeps, when those are more than 1% of the
table (``Rows Removed by Filter``, measured by ANALYZE).
"""

import re
from datetime import UTC, datetime, time, timedelta
from unittest.mock import patch

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from applications import services as application_services
from applications.models import Application, ApplicationEvent
from conftest import require_service
from matching import services as matching_services
from mentorship import services
from mentorship.models import (
    Activity,
    CheckIn,
    Cycle,
    OpeningNotification,
    OutboundEmail,
    Pairing,
    PulseAnswer,
    Reminder,
    SurveyResponse,
)
from mentorship.months import add_months

OLD_CYCLES = 5
PAIRS = 1000  # in each cycle whose year is over
UNDER_WAY = 200  # in this year's cycle (the reminders read each one)
LARGE = 2000  # rows: smaller tables are not checked
# A scan that keeps fewer rows than it discards may discard this share of a
# large table's rows, no more.
MOST_DISCARDED = 0.01

Status = Pairing.Status


@pytest.fixture
def postgresql(db):
    def check():
        if connection.vendor != "postgresql":
            raise RuntimeError(f"the tests use {connection.vendor}")

    require_service("PostgreSQL", check)


def _at(day, hour=12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _people(count: int, prefix: str = "plan") -> list[int]:
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{n}@example.com",
                full_name=f"Person {n}",
                password=password,
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
    return list(
        User.objects.filter(email__startswith=prefix)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def load(today) -> dict:
    """The program, a few years in. Returns what the tasks should find due."""
    now = timezone.now()
    people = _people(2 * PAIRS)
    mentees, mentors = people[:PAIRS], people[PAIRS:]
    pairings = []
    for number in range(OLD_CYCLES + 1):
        years_ago = OLD_CYCLES - number + 1
        cycle = Cycle.objects.create(
            name=f"Cycle {number}",
            opens_at=now - timedelta(days=365 * years_ago + 90),
            closes_at=now - timedelta(days=365 * years_ago + 60),
            program_starts_on=add_months(today, -12 * years_ago + 4),
        )
        current = number == OLD_CYCLES
        for n in range(UNDER_WAY if current else PAIRS):
            starts_on = cycle.program_starts_on
            ends_on = add_months(starts_on, 12)
            status = (
                Status.ACTIVE
                if current
                else Status.COMPLETED
                if n % 10
                else Status.ENDED
            )
            if current and n >= UNDER_WAY - 40:
                status = Status.PROPOSED if n % 2 else Status.CANCELLED
            begun = status not in (Status.PROPOSED, Status.CANCELLED)
            pairings.append(
                Pairing(
                    cycle=cycle,
                    mentee_id=mentees[n],
                    mentor_id=mentors[(n * 7 + number) % PAIRS],
                    status=status,
                    proposed_at=_at(starts_on - timedelta(days=30)),
                    respond_by=_at(today + timedelta(days=5)),
                    confirmed_at=_at(starts_on - timedelta(days=20)) if begun else None,
                    starts_on=starts_on if begun else None,
                    ends_on=ends_on if begun else None,
                    ended_at=None if current else _at(ends_on),
                    attention="needs_attention" if current and n % 9 == 0 else "",
                )
            )
    Pairing.objects.bulk_create(pairings, batch_size=5000)
    pairings = list(Pairing.objects.order_by("pk"))
    # Each mentee's application, matched: expiry sends some back to staff.
    # With its change history and its submission's event, as the purge
    # reads them.
    applications = bulk_create_with_history(
        [
            Application(
                applicant_id=pairing.mentee_id,
                cycle_id=pairing.cycle_id,
                status=Application.Status.MATCHED,
                practice_country="KE",
                submitted_at=pairing.proposed_at - timedelta(days=60),
            )
            for pairing in pairings
        ],
        Application,
        batch_size=5000,
    )
    ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(
                application=application,
                at=application.submitted_at,
                actor_id=application.applicant_id,
                status=Application.Status.SUBMITTED,
                description="Submitted",
            )
            for application in applications
        ],
        batch_size=5000,
    )
    contacts, plan, pulses, reminders, surveys = [], [], [], [], []
    for pairing in pairings:
        if pairing.starts_on is None:
            continue
        for month in range(1, 3):
            contacts.append(
                CheckIn(
                    pairing=pairing,
                    author_id=pairing.mentee_id,
                    occurred_on=add_months(pairing.starts_on, month - 1),
                    month=month,
                    way="video",
                    initiated_by="mentee",
                    minutes=30,
                    confirmation="disputed" if pairing.pk % 20 == 0 else "confirmed",
                )
            )
        plan.append(
            Activity(
                pairing=pairing,
                title="Draft",
                due_on=add_months(pairing.starts_on, 6),
                done_on=None if pairing.ended_at is None else pairing.ended_at.date(),
            )
        )
        pulses.append(
            PulseAnswer(
                pairing=pairing, month=2, person_id=pairing.mentor_id, talked=True
            )
        )
        reminders.append(
            Reminder(
                pairing=pairing,
                kind="reach_out",
                key="month:2",
                recipient=f"plan{pairing.mentee_id}@example.com",
                person_id=pairing.mentee_id,
                text="Reminder",
                in_digest=True,
                digested_at=_at(pairing.starts_on + timedelta(days=40)),
            )
        )
        if pairing.ended_at and pairing.status == Status.COMPLETED:
            for person, role in (
                (pairing.mentee_id, "mentee"),
                (pairing.mentor_id, "mentor"),
            ):
                surveys.append(
                    SurveyResponse(
                        pairing=pairing,
                        kind="closing",
                        person_id=person,
                        role=role,
                        invited_at=pairing.ended_at,
                        follow_up_sent_at=pairing.ended_at + timedelta(days=183),
                    )
                )
                surveys.append(
                    SurveyResponse(
                        pairing=pairing,
                        kind="follow_up",
                        person_id=person,
                        role=role,
                        invited_at=pairing.ended_at + timedelta(days=183),
                    )
                )
    CheckIn.objects.bulk_create(contacts, batch_size=5000)
    Activity.objects.bulk_create(plan, batch_size=5000)
    PulseAnswer.objects.bulk_create(pulses, batch_size=5000)
    Reminder.objects.bulk_create(reminders, batch_size=5000)
    SurveyResponse.objects.bulk_create(surveys, batch_size=5000)
    OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                idempotency_key=f"plan:{n}",
                event="reminder.reach_out",
                to=f"plan{n % PAIRS}@example.com",
                from_email="Program <program@example.org>",
                subject="Reminder",
                body_text="Hello",
                status="sent",
                attempts=1,
                created_at=now - timedelta(minutes=n),
                sent_at=now - timedelta(minutes=n),
            )
            for n in range(4 * PAIRS)
        ],
        batch_size=5000,
    )
    OpeningNotification.objects.bulk_create(
        [
            OpeningNotification(
                email=f"notify{n}@example.com", notified_at=now - timedelta(days=400)
            )
            for n in range(3 * PAIRS)
        ],
        batch_size=5000,
    )

    # What is due now.
    open_cycle = Cycle.objects.create(
        name="Open now",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    OpeningNotification.objects.bulk_create(
        [OpeningNotification(email=f"waiting{n}@example.com") for n in range(3)]
    )
    for n in range(3):
        OutboundEmail.objects.create(
            idempotency_key=f"due:{n}",
            event="test",
            to="someone@example.com",
            from_email="Program <program@example.org>",
            subject="Due",
            body_text="Hello",
        )
    cycles = list(Cycle.objects.exclude(pk=open_cycle.pk).order_by("pk"))
    current = [p for p in pairings if p.cycle_id == cycles[-1].pk]
    proposed = [p for p in current if p.status == Status.PROPOSED][:2]
    Pairing.objects.filter(pk__in=[p.pk for p in proposed]).update(
        respond_by=now - timedelta(hours=1)
    )
    ending = [p for p in current if p.status == Status.ACTIVE][:2]
    Pairing.objects.filter(pk__in=[p.pk for p in ending]).update(
        ends_on=today - timedelta(days=1)
    )
    # Never active: its "yes, we talked" pulse decides how it closes.
    Pairing.objects.filter(pk=ending[0].pk).update(status=Status.INTRODUCED)
    # A pair of last year's whose follow-up did not go (the task was down).
    late = next(
        p for p in pairings if p.cycle_id == cycles[-2].pk and p.status == "completed"
    )
    SurveyResponse.objects.filter(pairing=late, kind="follow_up").delete()
    followed = SurveyResponse.objects.filter(pairing=late, kind="closing").update(
        follow_up_sent_at=None
    )
    # Declined in the first cycle, longer ago than the retention period.
    declined = Application.objects.bulk_create(
        [
            Application(
                applicant_id=person,
                cycle=cycles[0],
                status=Application.Status.DECLINED,
                practice_country="KE",
                decided_at=now
                - timedelta(days=settings.APPLICATION_RETENTION_DAYS + 1),
            )
            for person in _people(2, "declined")
        ]
    )
    with connection.cursor() as cursor:
        for model in (User, Application, Pairing, CheckIn, Activity, PulseAnswer):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        for model in (Reminder, SurveyResponse, OutboundEmail, OpeningNotification):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        for model in (Application.history.model, ApplicationEvent):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return {
        "open_cycle": open_cycle,
        "expired": len(proposed),
        "closing": len(ending),
        "follow_ups": followed,
        "purged": len(declined),
    }


def _statements(queries) -> dict[str, str]:
    """The distinct statements among ``queries``, by their shape (numbers
    and quoted values left out), with one example of each."""
    shapes = {}
    for query in queries:
        sql = re.sub(r"^DECLARE .*? CURSOR .*? FOR ", "", query["sql"], flags=re.S)
        if not sql.startswith(("SELECT", "UPDATE", "DELETE")):
            continue
        shape = re.sub(r"'[^']*'|\b\d+\b", "?", sql)
        shapes.setdefault(shape, sql)
    return shapes


def _scans(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


def _large_tables() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' "
            "AND relname LIKE ANY (ARRAY['mentorship_%%', 'accounts_%%', "
            "'applications_%%', 'matching_%%']) AND reltuples >= %s",
            [LARGE],
        )
        return dict(cursor.fetchall())


def problems(sql: str, large: dict[str, int]) -> list[str]:
    """What is wrong with the plan of ``sql``: whole large tables read."""
    found = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0][0]["Plan"]
        transaction.set_rollback(True)
    for node in _scans(plan):
        table = node.get("Relation Name")
        if table not in large:
            continue
        if node["Node Type"] == "Seq Scan":
            found.append(f"reads all of {table} ({node['Node Type']})")
        loops = node.get("Actual Loops", 1)
        kept = node.get("Actual Rows", 0) * loops
        discarded = loops * (
            node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        )
        if discarded > max(kept, MOST_DISCARDED * large[table]):
            found.append(
                f"reads {table} through {node.get('Index Name', 'no index')}, "
                f"keeps {kept} rows and discards {discarded} "
                f"(of {large[table]:.0f})"
            )
    return found


def test_the_periodic_tasks_main_queries_use_indexes(postgresql):
    today = timezone.localdate()
    due = load(today)
    # 03:00 UTC, on a Tuesday: no one's morning, so the reminders and the
    # digests scan everything they would send from and send nothing.
    quiet = _at(today, 3)
    quiet -= timedelta(days=(quiet.weekday() - 1) % 7)
    tasks = {
        "mentorship.tasks.sweep_outbox": lambda: len(services.outbox_sweep()),
        "mentorship.tasks.notify_cycle_opened": (
            services.notifications_send_for_open_cycle
        ),
        "matching.tasks.expire_unanswered_pairings": (
            matching_services.pairings_expire_unanswered
        ),
        "mentorship.tasks.send_reminders": lambda: services.reminders_send(now=quiet),
        "mentorship.tasks.send_reminder_digests": lambda: (
            services.reminder_digests_send(now=quiet)
        ),
        "mentorship.tasks.close_pairings": services.pairings_close_due,
        "mentorship.tasks.send_follow_up_surveys": services.surveys_send_follow_ups,
        "mentorship.tasks.sweep_data_exports": services.data_exports_sweep,
        "applications.tasks.purge_old_applications": (
            application_services.applications_purge_due
        ),
    }
    # Every task the beat runs is here.
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} == set(
        tasks
    )
    large = _large_tables()
    assert {
        "mentorship_pairing",
        "mentorship_checkin",
        "mentorship_outboundemail",
        "mentorship_pulseanswer",
        "mentorship_surveyresponse",
        "applications_application",
        "applications_historicalapplication",
        "applications_applicationevent",
    } <= set(large), large
    done, wrong = {}, {}
    with patch.object(services, "_send_in_background"):
        for name, run in tasks.items():
            with CaptureQueriesContext(connection) as queries:
                done[name] = run()
            for sql in _statements(queries.captured_queries).values():
                if found := problems(sql, large):
                    wrong.setdefault(name, []).append((sql[:300], found))
    # The work that was due was done: the queries planned are the real ones.
    assert done == {
        "mentorship.tasks.sweep_outbox": 3,
        "mentorship.tasks.notify_cycle_opened": 3,
        "matching.tasks.expire_unanswered_pairings": due["expired"],
        "mentorship.tasks.send_reminders": 0,
        "mentorship.tasks.send_reminder_digests": 0,
        "mentorship.tasks.close_pairings": due["closing"],
        "mentorship.tasks.send_follow_up_surveys": due["follow_ups"],
        # Nothing of theirs is due in this data; their selecting queries are
        # planned all the same.
        "mentorship.tasks.sweep_data_exports": {"expired": 0, "queued": 0},
        "applications.tasks.purge_old_applications": due["purged"],
    }
    assert wrong == {}
