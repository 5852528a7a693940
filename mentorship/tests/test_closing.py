"""The close of a pairing's year: completed when it is over for both people,
ended when the pair were never in contact; staff extend it or end it early."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction
from django.utils import timezone

from conftest import make_user
from mentorship import closing, services, tasks
from mentorship.models import (
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    OutboundEmail,
    Pairing,
    PairingEvent,
    PulseAnswer,
    SurveyResponse,
)
from mentorship.tests.factories import mentor_profile

Status = Pairing.Status


@pytest.fixture
def pairing(db, mentee, mentor):
    # The mentee is in Kolkata (UTC+5:30), the mentor in New York (UTC-5 in
    # winter): 1 January 2028 begins 10 h 30 min later for the mentor.
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
        months=12,
        ends_on=date(2028, 1, 1),
    )


def at(*args):
    return datetime(*args, tzinfo=UTC)


def close(when, capture):
    with capture(execute=True):
        return services.pairings_close_due(now=when)


def sent():
    return sorted((m.to[0], m.subject) for m in mail.outbox)


# The rules


@pytest.mark.parametrize(
    ("now", "over"),
    [
        (at(2027, 12, 31, 18, 29), False),  # nobody's 1 January yet
        (at(2027, 12, 31, 18, 30), False),  # Kolkata's midnight only
        (at(2028, 1, 1, 4, 59), False),  # New York: 23:59 on 31 December
        (at(2028, 1, 1, 5), True),  # New York's midnight: over for both
    ],
)
def test_the_year_is_over_when_its_last_day_is_over_for_both(now, over):
    zones = ("Asia/Kolkata", "America/New_York")
    assert closing.year_over(date(2028, 1, 1), zones, now) is over


@pytest.mark.parametrize(
    ("statuses", "met"),
    [
        ([], False),
        (["done"], True),
        (["done", "dropped"], True),
        (["done", "on_track"], False),
        (["dropped", "dropped"], False),
        (["not_started"], False),
    ],
)
def test_objectives_are_met_when_every_one_kept_is_done(statuses, met):
    assert closing.objectives_met(statuses) is met


def test_the_follow_up_is_six_calendar_months_on():
    assert closing.follow_up_cutoff(at(2028, 8, 31, 10)) == at(2028, 2, 29, 10)
    assert closing.follow_up_cutoff(at(2028, 3, 1, 0)) == at(2027, 9, 1, 0)


# Completion


def test_the_year_completes_once_over_for_both_and_the_survey_goes_to_both(
    client, pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert close(at(2027, 12, 31, 20), capture) == 0  # still 31 December in New York
    assert close(at(2028, 1, 1, 4, 59), capture) == 0
    assert mail.outbox == []
    assert close(at(2028, 1, 1, 5), capture) == 1
    pairing.refresh_from_db()
    assert pairing.status == Status.COMPLETED
    assert pairing.ended_at == at(2028, 1, 1, 5)
    assert pairing.end_reason == ""
    assert pairing.events.last().description == "Completed: the year is over"
    assert sent() == [
        (
            mentee.email,
            "Your mentoring year with Henrik Larsen is complete: tell us how it went",
        ),
        (
            mentor.email,
            "Your mentoring year with Amara Okafor is complete: tell us how it went",
        ),
    ]
    survey_link = f"/pairings/{pairing.pk}/survey/closing/"
    assert all(survey_link in message.body for message in mail.outbox)
    assert sorted(
        SurveyResponse.objects.values_list("person__email", "role", "kind")
    ) == [
        (mentee.email, "mentee", "closing"),
        (mentor.email, "mentor", "closing"),
    ]

    # Running again, later, closes and sends nothing new.
    mail.outbox.clear()
    assert close(at(2028, 1, 1, 6), capture) == 0
    assert close(at(2028, 2, 1, 6), capture) == 0
    assert mail.outbox == []
    assert pairing.events.filter(status=Status.COMPLETED).count() == 1
    assert SurveyResponse.objects.count() == 2

    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "You completed the program year together on 1 January 2028" in page
    assert "Answer the closing survey" in page
    assert "Month 12" in page


def test_no_reminders_once_the_year_is_closed(
    pairing, django_capture_on_commit_callbacks
):
    close(at(2028, 1, 1, 5), django_capture_on_commit_callbacks)
    mail.outbox.clear()
    assert services.reminders_send(now=at(2028, 1, 2, 3)) == 0
    assert services.reminders_send(now=at(2028, 2, 1, 3)) == 0
    assert mail.outbox == []


def test_a_pair_never_in_contact_ends_not_completed_and_without_a_survey(
    client, pairing, mentee, django_capture_on_commit_callbacks
):
    pairing.status = Status.INTRODUCED  # the call never held, no contact logged
    pairing.save()
    assert close(at(2028, 1, 1, 5), django_capture_on_commit_callbacks) == 1
    pairing.refresh_from_db()
    assert pairing.status == Status.ENDED
    assert pairing.end_reason == "The year ended without a logged contact."
    assert pairing.get_status_display() == "Ended, not completed"
    assert {m.subject for m in mail.outbox} == {
        "Your pairing with Henrik Larsen has ended",
        "Your pairing with Amara Okafor has ended",
    }
    assert all("No contact between you was logged" in m.body for m in mail.outbox)
    assert not any("/survey/" in m.body for m in mail.outbox)
    assert not SurveyResponse.objects.exists()
    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "without being completed" in page
    assert "survey" not in page


def test_a_yes_to_the_monthly_pulse_counts_as_contact(
    pairing, mentee, django_capture_on_commit_callbacks
):
    pairing.status = Status.INTRODUCED
    pairing.save()
    PulseAnswer.objects.create(pairing=pairing, month=3, person=mentee, talked=True)
    close(at(2028, 1, 1, 5), django_capture_on_commit_callbacks)
    pairing.refresh_from_db()
    assert pairing.status == Status.COMPLETED


def test_the_hourly_task_closes_and_is_scheduled(pairing, time_machine):
    time_machine.move_to(at(2028, 1, 1, 5, 30), tick=False)
    assert tasks.close_pairings.delay().get() == 1
    assert tasks.close_pairings.delay().get() == 0
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["close-pairings"]["task"] == "mentorship.tasks.close_pairings"
    assert (
        schedule["send-follow-up-surveys"]["task"]
        == "mentorship.tasks.send_follow_up_surveys"
    )


def test_closing_is_batched_and_skips_years_not_over(
    pairing, mentee, django_capture_on_commit_callbacks
):
    later = Pairing.objects.create(
        cycle=pairing.cycle,
        mentee=make_user("later@example.com", time_zone="Pacific/Honolulu"),
        mentor=pairing.mentor,
        status=Status.ACTIVE,
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 1, 1),
    )
    proposed = Pairing.objects.create(
        cycle=pairing.cycle,
        mentee=make_user("proposed@example.com"),
        mentor=pairing.mentor,
        status=Status.PROPOSED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        # Honolulu (UTC-10) is still on 31 December: that pairing waits.
        assert services.pairings_close_due(now=at(2028, 1, 1, 5), batch_size=1) == 1
    later.refresh_from_db()
    proposed.refresh_from_db()
    assert (later.status, proposed.status) == (Status.ACTIVE, Status.PROPOSED)
    assert close(at(2028, 1, 1, 10), django_capture_on_commit_callbacks) == 1


# Closing in batches

# Closing a batch: the due ids, the savepoint, the lock, the "yes, we talked"
# pulses, the scheduled calls, the pairings (the completed, then the ended),
# their events, surveys and emails (written, then read back to hand on),
# the savepoint released.
CLOSE_BATCH_QUERIES = 12


def ending_pair(cycle, mentor, number, *, status=Status.ACTIVE, talked=False):
    """A pairing whose year ended on 31 December 2027, its mentee in Lagos."""
    mentee = make_user(
        f"ending{number}@example.com",
        full_name=f"Mentee {number}",
        time_zone="Africa/Lagos",
    )
    pairing = Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=status,
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 1, 1),
        attention=Pairing.Attention.AT_RISK if number % 3 == 0 else "",
    )
    if talked:
        PulseAnswer.objects.create(pairing=pairing, month=2, person=mentee, talked=True)
    return pairing


def ending_pairs(pairing, start, count):
    """Pairs of each kind in turn: active, a "yes, we talked" without a
    contact logged, never in contact."""
    kinds = [
        {"status": Status.ACTIVE},
        {"status": Status.INTRODUCED, "talked": True},
        {"status": Status.CONFIRMED},
    ]
    return [
        ending_pair(pairing.cycle, pairing.mentor, number, **kinds[number % 3])
        for number in range(start, start + count)
    ]


def test_closing_a_batch_costs_the_same_queries_however_many(
    pairing, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    ending_pairs(pairing, 1, 2)
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(CLOSE_BATCH_QUERIES) as few,
    ):
        assert services.pairings_close_due(now=at(2028, 1, 1, 5)) == 3
    ending_pairs(pairing, 3, 30)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        assert services.pairings_close_due(now=at(2028, 1, 1, 5)) == 30
    assert len(mail.outbox) == 60
    assert Pairing.objects.filter(status__in=Pairing.UNDER_WAY).count() == 0


def written():
    """What closing wrote, without the ids and times of the rows themselves."""
    return {
        "pairings": list(
            Pairing.objects.order_by("pk").values_list(
                "pk", "status", "ended_at", "end_reason", "attention"
            )
        ),
        "events": list(
            PairingEvent.objects.order_by("pairing_id", "pk").values_list(
                "pairing_id", "actor_id", "status", "description"
            )
        ),
        "surveys": sorted(
            SurveyResponse.objects.values_list(
                "pairing_id", "person_id", "kind", "role", "invited_at"
            )
        ),
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
        "calls": list(IntroCall.objects.values_list("pk", "status", "sequence")),
    }


def test_a_batch_writes_what_closing_one_at_a_time_writes(
    pairing, staff, monkeypatch, django_capture_on_commit_callbacks
):
    ending_pairs(pairing, 1, 6)
    called = ending_pair(pairing.cycle, pairing.mentor, 7, status=Status.INTRODUCED)
    services.intro_call_schedule(
        pairing_id=called.pk,
        starts_at=at(2028, 1, 5, 15),
        duration_minutes=30,
        location="https://meet.example.org/a",
        host=staff,
        actor=staff,
    )

    def closed_in_batches_of(size):
        with transaction.atomic():
            with django_capture_on_commit_callbacks() as callbacks:
                closed = services.pairings_close_due(
                    now=at(2028, 1, 1, 5), batch_size=size
                )
            handed_on = []
            monkeypatch.setattr(services, "_send_in_background", handed_on.append)
            for callback in callbacks:
                callback()
            rows = written()
            rows["handed_on"] = sorted(
                OutboundEmail.objects.filter(pk__in=handed_on).values_list(
                    "idempotency_key", flat=True
                )
            )
            assert len(handed_on) == len(rows["handed_on"])  # each once
            transaction.set_rollback(True)
        return closed, rows

    one_at_a_time = closed_in_batches_of(1)
    assert closed_in_batches_of(200) == one_at_a_time
    closed, rows = one_at_a_time
    assert closed == 8
    assert len(rows["handed_on"]) == 2 * 8 + 3  # the call's cancellations too
    assert {status for _, status, *_ in rows["pairings"]} == {
        Status.COMPLETED,
        Status.ENDED,
    }
    assert ("closing", "mentee") in {
        (kind, role) for _, _, kind, role, _ in rows["surveys"]
    }
    assert rows["calls"] == [(called.intro_call.pk, IntroCall.Status.CANCELLED, 1)]


def test_a_pairing_extended_or_ended_meanwhile_is_left_as_it_is(
    pairing, staff, monkeypatch, django_capture_on_commit_callbacks
):
    extended, ended, other = ending_pairs(pairing, 1, 3)
    real = services._pairings_close_years

    def changed_meanwhile(pairing_ids, now):
        # Between the task's reading which years are over and its batch
        # locking them, staff extend one and end another.
        services.pairing_extend(
            pairing_id=extended.pk, months=2, reason="A paper", actor=staff
        )
        services.pairing_end_early(pairing_id=ended.pk, reason="Moved", actor=staff)
        return real(pairing_ids, now)

    monkeypatch.setattr(services, "_pairings_close_years", changed_meanwhile)
    assert close(at(2028, 1, 1, 5), django_capture_on_commit_callbacks) == 2
    statuses = dict(
        Pairing.objects.filter(pk__in=[extended.pk, ended.pk, other.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {
        extended.pk: Status.INTRODUCED,
        ended.pk: Status.ENDED,
        other.pk: Status.COMPLETED,
    }
    assert list(ended.events.values_list("description", flat=True)) == [
        "Ended early by staff: Moved"
    ]
    assert not extended.events.filter(status__in=[Status.COMPLETED, Status.ENDED])


def test_one_broken_pairing_does_not_keep_the_others_open(
    pairing, mentee, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    others = ending_pairs(pairing, 1, 2)
    real = services.email_queue_many

    def breaks_on(emails):
        # Fails once the batch's pairings, events and surveys are written:
        # they are undone with it.
        if any(f"pairing:{pairing.pk}:" in email.idempotency_key for email in emails):
            raise RuntimeError("broken")
        return real(emails)

    monkeypatch.setattr(services, "email_queue_many", breaks_on)
    assert close(at(2028, 1, 1, 5), django_capture_on_commit_callbacks) == 2
    pairing.refresh_from_db()
    assert pairing.status == Status.ACTIVE
    assert not pairing.events.exists() and not pairing.surveys.exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        person.email for other in others for person in (other.mentee, other.mentor)
    )
    assert f"Closing pairing {pairing.pk} failed" in caplog.text
    # The next hour tries it again.
    monkeypatch.setattr(services, "email_queue_many", real)
    assert close(at(2028, 1, 1, 6), django_capture_on_commit_callbacks) == 1


# Extending


def extend_url(pairing):
    return f"/admin/mentorship/pairing/{pairing.pk}/extend/"


def end_url(pairing):
    return f"/admin/mentorship/pairing/{pairing.pk}/end/"


def test_staff_extend_the_year_the_strip_grows_and_it_closes_later(
    client, staff, pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    change = client.get(f"/admin/mentorship/pairing/{pairing.pk}/change/")
    assert extend_url(pairing) in change.content.decode()
    assert "Extend and tell both" in client.get(extend_url(pairing)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            extend_url(pairing),
            {"months": "3", "reason": "  The paper is  under review "},
        )
    assert response.status_code == 302
    assert response["Location"] == f"/admin/mentorship/pairing/{pairing.pk}/change/"
    pairing.refresh_from_db()
    assert (pairing.months, pairing.ends_on) == (15, date(2028, 4, 1))
    assert pairing.events.last().description == (
        "Year extended by 3 months to 15, until 01 Apr 2028: The paper is under review"
    )
    assert pairing.events.last().actor == staff
    assert sent() == [
        (mentee.email, "Your mentoring year with Henrik Larsen is extended"),
        (mentor.email, "Your mentoring year with Amara Okafor is extended"),
    ]
    for message in mail.outbox:
        assert "now has 15 months and runs until 1 April 2028" in message.body
        assert "paper" not in message.body  # the reason is for staff

    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "Month 15" in page and "Month 16" not in page

    capture = django_capture_on_commit_callbacks
    assert close(at(2028, 1, 1, 6), capture) == 0
    # New York is on daylight saving time by April (UTC-4).
    assert close(at(2028, 4, 1, 3, 59), capture) == 0
    assert close(at(2028, 4, 1, 4), capture) == 1
    pairing.refresh_from_db()
    assert pairing.status == Status.COMPLETED


def test_an_extension_needs_months_in_range_and_a_reason(client, staff, pairing):
    client.force_login(staff)
    response = client.post(extend_url(pairing), {"months": "13", "reason": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose from one to twelve months." in page
    assert "Give the reason for the extension." in page
    pairing.refresh_from_db()
    assert pairing.months == 12
    with pytest.raises(services.PairingError, match="one to twelve months"):
        services.pairing_extend(
            pairing_id=pairing.pk, months=0, reason="x", actor=staff
        )


def test_only_a_pairing_under_way_is_extended(client, staff, pairing):
    pairing.status = Status.COMPLETED
    pairing.save()
    with pytest.raises(services.PairingError, match="this one is completed"):
        services.pairing_extend(
            pairing_id=pairing.pk, months=2, reason="Asked for", actor=staff
        )
    client.force_login(staff)
    change = client.get(f"/admin/mentorship/pairing/{pairing.pk}/change/")
    assert extend_url(pairing) not in change.content.decode()
    assert (
        "Only a pairing under way" in client.get(extend_url(pairing)).content.decode()
    )
    response = client.post(extend_url(pairing), {"months": "2", "reason": "Asked for"})
    assert "Only a pairing under way can be extended" in response.content.decode()
    pairing.refresh_from_db()
    assert pairing.months == 12
    assert mail.outbox == []


def test_staff_who_may_only_view_pairings_cannot_extend_or_end(client, pairing):
    clerk = make_user("clerk@example.com", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_pairing"))
    client.force_login(clerk)
    assert client.get(extend_url(pairing)).status_code == 200
    assert client.get(end_url(pairing)).status_code == 200
    response = client.post(extend_url(pairing), {"months": "2", "reason": "x"})
    assert response.status_code == 403
    response = client.post(end_url(pairing), {"reason": "x"})
    assert response.status_code == 403
    pairing.refresh_from_db()
    assert (pairing.status, pairing.months) == (Status.ACTIVE, 12)


def test_people_who_are_not_staff_are_sent_to_log_in(client, pairing, mentor):
    client.force_login(mentor)
    for url in (extend_url(pairing), end_url(pairing)):
        response = client.post(url, {"months": "2", "reason": "x"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    pairing.refresh_from_db()
    assert (pairing.status, pairing.months) == (Status.ACTIVE, 12)


# Ending early


def objective(pairing, title, status):
    return Objective.objects.create(pairing=pairing, title=title, status=status)


def test_staff_end_a_pairing_early_and_the_reminders_stop(
    client, staff, pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    objective(pairing, "Write a paper", Objective.Status.ON_TRACK)
    client.force_login(staff)
    page = client.get(end_url(pairing)).content.decode()
    assert "Write a paper" in page
    assert "Count it as completed" not in page  # the objectives are not met
    # Sent from a page out of date, "count as completed" is refused, not
    # quietly dropped.
    response = client.post(
        end_url(pairing),
        {"reason": "The mentor took up a post abroad.", "count_as_completed": "on"},
    )
    assert "only when the plan&#x27;s objectives are met" in response.content.decode()
    pairing.refresh_from_db()
    assert pairing.status == Status.ACTIVE
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            end_url(pairing), {"reason": "The mentor took up a post abroad."}
        )
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.status == Status.ENDED
    assert pairing.ended_at is not None
    assert pairing.end_reason == "The mentor took up a post abroad."
    event = pairing.events.last()
    assert (
        event.description == "Ended early by staff: The mentor took up a post abroad."
    )
    assert event.actor == staff
    assert sent() == [
        (mentee.email, "Your pairing with Henrik Larsen has ended"),
        (mentor.email, "Your pairing with Amara Okafor has ended"),
    ]
    for message in mail.outbox:
        assert "Program staff have ended your pairing" in message.body
        assert "abroad" not in message.body  # the reason is for staff
        assert f"/pairings/{pairing.pk}/survey/closing/" in message.body
    assert SurveyResponse.objects.count() == 2

    mail.outbox.clear()
    assert services.reminders_send(now=at(2027, 4, 1, 3)) == 0
    assert services.reminders_send(now=at(2027, 4, 15, 13, 30)) == 0
    assert mail.outbox == []
    with pytest.raises(services.PairingError, match="this one is ended, not completed"):
        services.pairing_end_early(pairing_id=pairing.pk, reason="Again", actor=staff)


def test_an_early_end_with_the_objectives_met_may_count_as_completed(
    client, staff, pairing, mentee, django_capture_on_commit_callbacks
):
    objective(pairing, "Write a paper", Objective.Status.DONE)
    objective(pairing, "Learn R", Objective.Status.DROPPED)
    client.force_login(staff)
    assert "Count it as completed" in client.get(end_url(pairing)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            end_url(pairing),
            {"reason": "Everything done by month 9.", "count_as_completed": "on"},
        )
    pairing.refresh_from_db()
    assert pairing.status == Status.COMPLETED
    assert pairing.events.last().description == (
        "Ended early by staff, counted as completed: Everything done by month 9."
    )
    [to_mentee] = [m for m in mail.outbox if m.to == [mentee.email]]
    assert to_mentee.subject == (
        "Your mentoring year with Henrik Larsen is complete: tell us how it went"
    )
    assert "it counts as completed" in to_mentee.body


def test_counting_as_completed_is_refused_unless_the_objectives_are_met(staff, pairing):
    done = objective(pairing, "Write a paper", Objective.Status.DONE)
    objective(pairing, "Present it", Objective.Status.AT_RISK)
    with pytest.raises(services.PairingError, match="objectives are met"):
        services.pairing_end_early(
            pairing_id=pairing.pk,
            reason="Finished",
            actor=staff,
            count_as_completed=True,
        )
    Objective.objects.exclude(pk=done.pk).update(status=Objective.Status.DROPPED)
    done.status = Objective.Status.DROPPED
    done.save()
    with pytest.raises(services.PairingError, match="objectives are met"):
        services.pairing_end_early(
            pairing_id=pairing.pk,
            reason="Finished",
            actor=staff,
            count_as_completed=True,
        )
    pairing.refresh_from_db()
    assert pairing.status == Status.ACTIVE
    assert mail.outbox == []


def test_ending_needs_a_reason(client, staff, pairing):
    client.force_login(staff)
    response = client.post(end_url(pairing), {"reason": "   "})
    assert "Give the reason for ending the pairing." in response.content.decode()
    with pytest.raises(services.PairingError, match="reason"):
        services.pairing_end_early(pairing_id=pairing.pk, reason=" ", actor=staff)
    pairing.refresh_from_db()
    assert pairing.status == Status.ACTIVE


def test_ending_a_pair_never_in_contact_sends_no_survey(
    staff, pairing, django_capture_on_commit_callbacks
):
    pairing.status = Status.CONFIRMED
    pairing.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.pairing_end_early(
            pairing_id=pairing.pk, reason="The mentee withdrew.", actor=staff
        )
    assert len(mail.outbox) == 2
    assert not any("/survey/" in m.body for m in mail.outbox)
    assert not SurveyResponse.objects.exists()


def test_ending_cancels_an_introductory_call_still_to_come(
    staff, pairing, django_capture_on_commit_callbacks
):
    pairing.status = Status.INTRODUCED
    pairing.save()
    call = services.intro_call_schedule(
        pairing_id=pairing.pk,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=30,
        location="https://meet.example.org/a",
        host=staff,
        actor=staff,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.pairing_end_early(
            pairing_id=pairing.pk, reason="The mentee withdrew.", actor=staff
        )
    call.refresh_from_db()
    assert call.status == IntroCall.Status.CANCELLED
    cancelled = [m for m in mail.outbox if "method=CANCEL" in str(m.attachments)]
    assert sorted(m.to[0] for m in cancelled) == sorted(
        [pairing.mentee.email, pairing.mentor.email, staff.email]
    )
    assert [e.description for e in pairing.events.order_by("pk")][-2:] == [
        "Introductory call cancelled",
        "Ended early by staff: The mentee withdrew.",
    ]


def test_a_contact_cannot_be_logged_once_closed(staff, pairing, mentee):
    services.pairing_end_early(pairing_id=pairing.pk, reason="x", actor=staff)
    with pytest.raises(services.PairingError, match="under way"):
        services.checkin_log(
            pairing_id=pairing.pk,
            author=mentee,
            occurred_on=date(2027, 3, 1),
            way=CheckIn.Way.EMAIL,
            initiated_by="mentee",
            minutes=10,
        )


def test_a_closed_pair_needs_no_attention_and_its_strip_stops_at_the_end(
    client, staff, pairing, mentee, time_machine
):
    time_machine.move_to(at(2027, 4, 10, 12))
    pairing.attention = Pairing.Attention.AT_RISK
    pairing.save()
    services.pairing_end_early(pairing_id=pairing.pk, reason="Moved", actor=staff)
    pairing.refresh_from_db()
    assert pairing.attention == ""
    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    # Ended in month 4: the months after it are not "to come", nor missed.
    assert page.count("month-closed") == 8
    assert "After the end" in page
    assert "To come" not in page


def test_a_contact_after_the_last_day_of_the_year_is_refused(pairing, mentee):
    # Still under way: the year is over for the mentee, not yet for the mentor.
    with pytest.raises(services.PairingError, match="The year ended on 31 December"):
        services.checkin_log(
            pairing_id=pairing.pk,
            author=mentee,
            occurred_on=date(2028, 1, 1),
            way=CheckIn.Way.EMAIL,
            initiated_by="mentee",
            minutes=10,
        )
    assert not CheckIn.objects.exists()
