"""Monthly reminders: the escalation ladder, each in the person's morning,
once ever, weekly digests, and nothing once the pairing ends."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.template.loader import get_template
from django.utils import timezone

from conftest import make_user
from mentorship import reminders, services
from mentorship.models import (
    Activity,
    CheckIn,
    Cycle,
    Pairing,
    PulseAnswer,
    Reminder,
)
from mentorship.months import month_statuses
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
    # And each is asked whether they talked in month 1.
    pulse = "Did you talk in month 1? One click to answer"
    assert sent() == sorted(
        [
            (
                mentee.email,
                "Month 2 has begun: time to get in touch with Henrik Larsen",
            ),
            (mentee.email, pulse),
            (mentor.email, "Month 1 ended without a contact with Amara Okafor"),
            (mentor.email, pulse),
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
    # The next morning the flag stays cleared, and mid-month nothing is sent.
    run(at(2027, 2, 4, 3), capture)
    pairing.refresh_from_db()
    assert pairing.attention == Pairing.Attention.NONE
    run(at(2027, 2, 15, 3), capture)
    assert [m.subject for m in mail.outbox if "half gone" in m.subject] == []


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


def add_pairings(pairing, n, prefix, *, time_zone="UTC", attention=""):
    """``n`` more pairings under way with ``pairing``'s mentor, each with a
    new mentee in ``time_zone``."""
    for i in range(n):
        Pairing.objects.create(
            cycle=pairing.cycle,
            mentee=make_user(
                f"{prefix}{Pairing.objects.count()}-{i}@example.com",
                time_zone=time_zone,
            ),
            mentor=pairing.mentor,
            status=Status.ACTIVE,
            starts_on=date(2027, 1, 1),
            attention=attention,
        )


def test_queries_do_not_grow_with_pairings(
    pairing, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # 12:00 UTC is morning nowhere the cast lives: the check reads, sends nothing.
    with django_assert_max_num_queries(6) as few:
        services.reminders_send(now=at(2027, 1, 10, 12), batch_size=50)
    add_pairings(pairing, 30, "m")
    with django_assert_max_num_queries(len(few.captured_queries)):
        services.reminders_send(now=at(2027, 1, 10, 12), batch_size=50)


def test_reminders_due_at_once_cost_the_same_queries_however_many(
    pairing, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # 1 January, 03:00 UTC: morning in Kolkata, where each mentee is reminded.
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(15) as few,
    ):
        assert services.reminders_send(now=at(2027, 1, 1, 3), batch_size=50) == 1
    Reminder.objects.all().delete()
    add_pairings(pairing, 30, "k", time_zone="Asia/Kolkata")
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        assert services.reminders_send(now=at(2027, 1, 1, 3), batch_size=50) == 31
    assert Reminder.objects.count() == 31
    # Once written, each is skipped: nothing is written or sent again.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=at(2027, 1, 1, 3), batch_size=50) == 0
    assert mail.outbox == []


def test_flags_changing_at_once_cost_the_same_queries_however_many(
    pairing, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # 1 March, 03:00 UTC: morning in Kolkata, two months missed: each pairing
    # turns at risk, staff are alerted, and each mentee is reminded.
    Pairing.objects.filter(pk=pairing.pk).update(
        attention=Pairing.Attention.NEEDS_ATTENTION
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(30) as few,
    ):
        assert services.reminders_send(now=at(2027, 3, 1, 3), batch_size=50) == 3
    add_pairings(
        pairing,
        30,
        "r",
        time_zone="Asia/Kolkata",
        attention=Pairing.Attention.NEEDS_ATTENTION,
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        assert services.reminders_send(now=at(2027, 3, 1, 3), batch_size=50) == 90
    assert Pairing.objects.filter(attention=Pairing.Attention.AT_RISK).count() == 31
    assert Reminder.objects.filter(kind=Reminder.Kind.AT_RISK).count() == 31


def test_a_contact_logged_or_a_close_meanwhile_wins_over_the_flag(
    pairing, mentee, staff, monkeypatch, django_capture_on_commit_callbacks
):
    ended = Pairing.objects.create(
        cycle=pairing.cycle,
        mentee=make_user("second@example.com", time_zone="Asia/Kolkata"),
        mentor=pairing.mentor,
        status=Status.ACTIVE,
        starts_on=date(2027, 1, 1),
    )
    real = services._attend

    def meanwhile(changes):
        # Between the batch's reading and its flags' writing, a contact is
        # logged for one, and staff end the other.
        CheckIn.objects.create(
            pairing=pairing,
            author=mentee,
            occurred_on=date(2027, 3, 1),
            way="video",
            initiated_by="mentee",
            minutes=30,
        )
        services.pairing_end_early(pairing_id=ended.pk, reason="Moved", actor=staff)
        return real(changes)

    monkeypatch.setattr(services, "_attend", meanwhile)
    run(at(2027, 3, 1, 3), django_capture_on_commit_callbacks)
    assert dict(
        Pairing.objects.filter(pk__in=[pairing.pk, ended.pk]).values_list(
            "pk", "attention"
        )
    ) == {pairing.pk: "", ended.pk: ""}
    assert not Reminder.objects.filter(kind=Reminder.Kind.AT_RISK).exists()
    assert not [m for m in mail.outbox if m.to == ["mentors@example.org"]]


def pulse_links(message):
    return re.findall(r"http://testserver(/pulse/[^/\s]+/)", message.body)


@pytest.fixture
def pulse_email(pairing, mentee, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://testserver"
    run(at(2027, 2, 1, 3), django_capture_on_commit_callbacks)
    [message] = [m for m in mail.outbox if m.subject.startswith("Did you talk")]
    assert message.to == [mentee.email]
    return message


def test_the_pulse_link_shows_then_records_one_answer(client, pairing, pulse_email):
    yes, no = pulse_links(pulse_email)
    page = client.get(yes)
    assert page.status_code == 200
    assert "yes, we talked" in page.content.decode()
    assert not PulseAnswer.objects.exists()  # opening the link records nothing
    done = client.post(yes)
    assert "your answer is recorded" in done.content.decode()
    answer = PulseAnswer.objects.get()
    assert (answer.month, answer.talked, answer.person) == (1, True, pairing.mentee)
    again = client.post(no)
    assert again.status_code == 400
    assert "answered for this month already" in again.content.decode()
    assert PulseAnswer.objects.count() == 1
    # "Yes" makes month 1 count as met: no "missed" reminder for it.
    mail.outbox.clear()
    services.reminders_send(now=at(2027, 2, 1, 13, 30))
    assert not [m for m in mail.outbox if "ended without a contact" in m.subject]


def test_no_flags_the_month(client, pairing, pulse_email):
    pairing.attention = ""
    pairing.save()
    _, no = pulse_links(pulse_email)
    client.post(no)
    pairing.refresh_from_db()
    assert pairing.attention == Pairing.Attention.NEEDS_ATTENTION
    assert pairing.events.last().description == (
        "The mentee says there was no contact in month 1"
    )


def test_tampered_and_expired_links_are_refused(client, pairing, pulse_email):
    yes, _ = pulse_links(pulse_email)
    tampered = yes.replace("/pulse/", "/pulse/x")
    response = client.post(tampered)
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=41)):
        response = client.post(yes)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert not PulseAnswer.objects.exists()


def test_the_pulse_stops_with_the_pairing(client, pairing, pulse_email):
    yes, _ = pulse_links(pulse_email)
    pairing.status = Status.ENDED
    pairing.save()
    assert client.post(yes).status_code == 400
    assert not PulseAnswer.objects.exists()


def test_staff_are_alerted_once_each_time_a_pairing_turns_at_risk(
    pairing, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for month in (3, 4, 5):
        run(at(2027, month, 1, 3), capture)
    alerts = [m for m in mail.outbox if m.to == ["mentors@example.org"]]
    assert len(alerts) == 1


def test_a_second_digest_the_same_week_carries_what_came_since(
    pairing, mentee, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    mentee.reminder_delivery = "weekly"
    mentee.save()
    run(at(2027, 1, 1, 3), capture)
    with capture(execute=True):
        assert services.reminder_digests_send(now=at(2027, 1, 4, 3)) == 1
    # A reminder written after Monday's first digest run...
    Reminder.objects.create(
        pairing=pairing,
        kind=Reminder.Kind.MID_MONTH,
        key="month:1",
        recipient=mentee.email,
        person=mentee,
        text="Late one",
        in_digest=True,
    )
    with capture(execute=True):
        assert services.reminder_digests_send(now=at(2027, 1, 4, 3, 45)) == 1
    assert len(mail.outbox) == 2
    assert "Late one" in mail.outbox[1].body


def test_no_digest_for_a_pairing_that_has_ended(
    pairing, mentee, django_capture_on_commit_callbacks
):
    mentee.reminder_delivery = "weekly"
    mentee.save()
    run(at(2027, 1, 1, 3), django_capture_on_commit_callbacks)
    pairing.status = Status.ENDED
    pairing.save()
    assert services.reminder_digests_send(now=at(2027, 1, 4, 3)) == 0
    assert mail.outbox == []


def test_one_broken_pairing_does_not_stop_the_others(
    pairing, mentee, django_capture_on_commit_callbacks, monkeypatch
):
    other = Pairing.objects.create(
        cycle=pairing.cycle,
        mentee=make_user("second@example.com", time_zone="Asia/Kolkata"),
        mentor=pairing.mentor,
        status=Status.ACTIVE,
        starts_on=date(2027, 1, 1),
    )
    real = services._attend_and_list_due

    def breaks_first(item, now, due, facts):
        if item.pk == pairing.pk:
            raise RuntimeError("broken")
        return real(item, now, due, facts)

    monkeypatch.setattr(services, "_attend_and_list_due", breaks_first)
    run(at(2027, 1, 1, 3), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[other.mentee.email]]


def test_a_due_activity_is_announced_a_week_ahead_once(
    pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    CheckIn.objects.create(  # month 1 is met: only the plan speaks
        pairing=pairing,
        author=mentee,
        occurred_on=date(2027, 1, 2),
        way="video",
        initiated_by="mentee",
        minutes=30,
    )
    Activity.objects.create(
        pairing=pairing, title="Draft the methods", due_on=date(2027, 1, 20)
    )
    Activity.objects.create(
        pairing=pairing,
        title="Done already",
        due_on=date(2027, 1, 20),
        done_on=date(2027, 1, 5),
    )
    Activity.objects.create(pairing=pairing, title="Later", due_on=date(2027, 2, 20))
    run(at(2027, 1, 12, 3), capture)  # eight days ahead: not yet
    assert mail.outbox == []
    run(at(2027, 1, 13, 3), capture)  # Kolkata's morning
    run(at(2027, 1, 13, 13, 30), capture)  # New York's
    run(at(2027, 1, 14, 3), capture)  # the next morning: nothing new
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert subjects == [
        (
            mentee.email,
            "Due within a week: “Draft the methods” is due on 20 January 2027.",
        ),
        (
            mentor.email,
            "Due within a week: “Draft the methods” is due on 20 January 2027.",
        ),
    ]
    assert f"/pairings/{pairing.pk}/plan/" in mail.outbox[0].body


def test_plan_reviews_are_announced_a_week_ahead(
    pairing, mentee, django_capture_on_commit_callbacks
):
    for month in (1, 2, 3):
        CheckIn.objects.create(
            pairing=pairing,
            author=mentee,
            occurred_on=date(2027, month, 2),
            way="video",
            initiated_by="mentee",
            minutes=30,
        )
    # Month 3 ends on 31 March: the review is announced from 24 March.
    run(at(2027, 3, 23, 3), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    run(at(2027, 3, 24, 3), django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == "Time to review your Mentoring Plan"
    assert "Review your Mentoring Plan by 31 March 2027" in message.body


def test_an_email_that_cannot_be_built_costs_only_its_own_pairing(
    pairing, mentee, django_capture_on_commit_callbacks, monkeypatch
):
    other = Pairing.objects.create(
        cycle=pairing.cycle,
        mentee=make_user("second@example.com", time_zone="Asia/Kolkata"),
        mentor=pairing.mentor,
        status=Status.ACTIVE,
        starts_on=date(2027, 1, 1),
    )
    real = services._reminder_email

    def breaks_first(reminder, month):
        if reminder.pairing_id == pairing.pk:
            raise RuntimeError("a template that fails for this pairing")
        return real(reminder, month)

    monkeypatch.setattr(services, "_reminder_email", breaks_first)
    assert run(at(2027, 1, 1, 3), django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [[other.mentee.email]]
    assert list(Reminder.objects.values_list("pairing_id", flat=True)) == [other.pk]


@pytest.mark.parametrize("kind", Reminder.Kind.values)
def test_each_reminder_email_has_the_links_its_template_shows(
    pairing, mentee, kind, monkeypatch
):
    # Each email is built with only the link its kind needs (REMINDER_LINKS).
    shown = {
        name
        for suffix in ("_subject.txt", ".txt", ".html")
        for name in re.findall(
            r"{{ (\w+_url) }}",
            get_template(f"emails/reminder_{kind}{suffix}").template.source,
        )
    }
    assert shown
    built = {}
    real = services.email_render

    def render(*, template, context, time_zone):
        built.update(context)
        return real(template=template, context=context, time_zone=time_zone)

    monkeypatch.setattr(services, "email_render", render)
    person = None if kind == Reminder.Kind.AT_RISK else mentee
    services._due_reminder(
        pairing, kind=kind, key="month:2", month=2, person=person, text="Due"
    )
    assert {name: bool(built.get(name)) for name in shown} == dict.fromkeys(shown, True)


def test_a_reminder_for_a_pairing_ended_meanwhile_is_not_written(pairing, mentee):
    due = services._due_reminder(
        pairing, kind="reach_out", key="month:1", month=1, person=mentee
    )
    Pairing.objects.filter(pk=pairing.pk).update(status=Status.ENDED)
    assert services._remind_many([due]) == 0
    assert not Reminder.objects.exists()


def test_a_reminder_for_an_address_changed_meanwhile_is_not_written(pairing, mentee):
    due = services._due_reminder(
        pairing, kind="reach_out", key="month:1", month=1, person=mentee
    )
    type(mentee).objects.filter(pk=mentee.pk).update(email="new@example.com")
    assert services._remind_many([due]) == 0
    assert not Reminder.objects.exists()


def test_a_second_writer_of_the_same_reminders_writes_none(
    pairing, mentee, django_capture_on_commit_callbacks
):
    def due():
        return [
            services._due_reminder(
                pairing, kind="reach_out", key="month:1", month=1, person=mentee
            )
        ] * 2  # the same reminder listed twice counts once

    with django_capture_on_commit_callbacks(execute=True):
        assert services._remind_many(due()) == 1
        assert services._remind_many(due()) == 0
    assert Reminder.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_six_month_year_is_reviewed_once_at_its_end():
    months = month_statuses(
        starts_on=date(2027, 1, 1), count=6, contacts=[], today=date(2027, 6, 25)
    )
    due = reminders.plan_due(months=months, activities=[], local_now=at(2027, 6, 25, 8))
    assert [item.key for item in due] == ["review:6"]
