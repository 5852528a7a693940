"""Monthly reminders: the escalation ladder, each in the person's morning,
once ever, weekly digests, and nothing once the pairing ends."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from conftest import make_user
from mentorship import services
from mentorship.models import CheckIn, Cycle, Pairing, Reminder
from mentorship.tests.factories import mentor_profile

Status = Pairing.Status


@pytest.fixture
def pairing(db, mentee, mentor):
    # The mentee is in Kolkata (UTC+5:30), the mentor in New York.
    mentee.time_zone = "Asia/Kolkata"
    mentee.save()
    mentor.time_zone = "America/New_York"
    mentor.save()
    mentor_profile(mentor)
    return Pairing.objects.create(
        cycle=Cycle.objects.create(name="2027"),
        mentee=mentee,
        mentor=mentor,
        status=Status.ACTIVE,
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 1, 1),
    )


def at(*args):
    return datetime(*args, tzinfo=UTC)


def run(when, capture):
    with capture(execute=True):
        return services.reminders_send(now=when)


def sent():
    return sorted((m.to[0], m.subject) for m in mail.outbox)


def test_the_ladder_each_in_their_own_morning(
    pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # 1 January, 03:00 UTC: 08:30 in Kolkata, 22:00 the day before in New York.
    assert run(at(2027, 1, 1, 3), capture) == 1
    assert sent() == [
        (mentee.email, "Month 1 has begun: time to get in touch with Henrik Larsen")
    ]
    # Running again, even an hour later, sends nothing new: once, ever.
    assert run(at(2027, 1, 1, 3, 40), capture) == 0
    assert run(at(2027, 1, 1, 4), capture) == 0
    # In New York's morning the mentor is not reminded to reach out.
    assert run(at(2027, 1, 1, 13, 30), capture) == 0

    mail.outbox.clear()
    # Mid-month, still nothing: both, each in their own morning.
    run(at(2027, 1, 15, 3), capture)
    run(at(2027, 1, 15, 13, 30), capture)
    assert [to for to, _ in sent()] == sorted([mentee.email, mentor.email])
    assert all("Month 1 is half gone" in subject for _, subject in sent())

    mail.outbox.clear()
    # Month 1 ended without contact: the mentor is told, the pairing needs
    # attention; the mentee is reminded to reach out for month 2.
    run(at(2027, 2, 1, 3), capture)
    run(at(2027, 2, 1, 13, 30), capture)
    assert sent() == sorted(
        [
            (
                mentee.email,
                "Month 2 has begun: time to get in touch with Henrik Larsen",
            ),
            (mentor.email, "Month 1 ended without a contact with Amara Okafor"),
        ]
    )
    pairing.refresh_from_db()
    assert pairing.attention == Pairing.Attention.NEEDS_ATTENTION

    mail.outbox.clear()
    # A second month missed: at risk, and staff are alerted once.
    run(at(2027, 3, 1, 3), capture)
    run(at(2027, 3, 1, 3, 30), capture)
    pairing.refresh_from_db()
    assert pairing.attention == Pairing.Attention.AT_RISK
    alerts = [m for m in mail.outbox if m.to == ["mentors@example.org"]]
    assert len(alerts) == 1
    assert alerts[0].subject.startswith("At risk: Amara Okafor and Henrik Larsen")
    assert f"/admin/mentorship/pairing/{pairing.pk}/change/" in alerts[0].body


def test_a_contact_stops_the_month_and_clears_attention(
    pairing, mentee, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    run(at(2027, 2, 1, 3), capture)
    pairing.refresh_from_db()
    assert pairing.attention == Pairing.Attention.NEEDS_ATTENTION
    CheckIn.objects.create(
        pairing=pairing,
        author=mentee,
        occurred_on=date(2027, 2, 3),
        way="video",
        initiated_by="mentee",
        minutes=30,
    )
    mail.outbox.clear()
    run(at(2027, 2, 15, 3), capture)
    assert mail.outbox == []


def test_logging_a_contact_clears_the_flag(pairing, mentee):
    pairing.attention = Pairing.Attention.AT_RISK
    pairing.save()
    services.checkin_log(
        pairing_id=pairing.pk,
        author=mentee,
        occurred_on=date(2027, 1, 2),
        way="email",
        initiated_by="mentee",
        minutes=10,
    )
    pairing.refresh_from_db()
    assert pairing.attention == Pairing.Attention.NONE


def test_a_disputed_contact_does_not_count(
    pairing, mentee, django_capture_on_commit_callbacks
):
    CheckIn.objects.create(
        pairing=pairing,
        author=mentee,
        occurred_on=date(2027, 1, 3),
        way="video",
        initiated_by="mentee",
        minutes=30,
        confirmation=CheckIn.Confirmation.DISPUTED,
    )
    run(at(2027, 1, 15, 3), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[mentee.email]]


def test_weekly_people_get_one_digest_on_monday_morning(
    pairing, mentee, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    mentee.reminder_delivery = "weekly"
    mentee.save()
    run(at(2027, 1, 1, 3), capture)  # a Friday
    assert mail.outbox == []
    assert Reminder.objects.filter(recipient=mentee.email, in_digest=True).count() == 1
    with capture(execute=True):
        # Monday 4 January, 02:00 UTC is 07:30 in Kolkata: not yet morning.
        assert services.reminder_digests_send(now=at(2027, 1, 4, 2)) == 0
        assert services.reminder_digests_send(now=at(2027, 1, 4, 3)) == 1
        assert services.reminder_digests_send(now=at(2027, 1, 4, 3, 30)) == 0
    [digest] = mail.outbox
    assert digest.subject == "Your weekly mentoring reminders"
    assert "Month 1 has begun: get in touch with your mentor." in digest.body


def test_nothing_once_the_pairing_has_ended(
    pairing, django_capture_on_commit_callbacks
):
    pairing.status = Status.COMPLETED
    pairing.save()
    assert run(at(2027, 2, 1, 3), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_queries_do_not_grow_with_pairings(
    pairing, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    def add(n):
        for i in range(n):
            Pairing.objects.create(
                cycle=pairing.cycle,
                mentee=make_user(f"m{Pairing.objects.count()}-{i}@example.com"),
                mentor=pairing.mentor,
                status=Status.ACTIVE,
                starts_on=date(2027, 1, 1),
            )

    # 12:00 UTC is morning nowhere the cast lives: the check reads, sends nothing.
    with django_assert_max_num_queries(5) as few:
        services.reminders_send(now=at(2027, 1, 10, 12), batch_size=50)
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        services.reminders_send(now=at(2027, 1, 10, 12), batch_size=50)
