"""Accepting proposals into pairings, and both people's answers."""

import os
import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from applications.models import Application
from matching import services
from matching.models import Exclusion, MatchRun, Proposal
from matching.scoring import utc_offset_minutes, working_hours_overlap
from mentorship.models import Pairing
from mentorship.months import add_months
from mentorship.tests.factories import mentor_profile

from .conftest import another_mentee, approved_application

Status = Pairing.Status


def accept(proposals, staff, capture):
    with capture(execute=True):
        return services.proposals_accept(
            proposal_ids=[p.pk for p in proposals], actor=staff
        )


def test_accepting_makes_a_proposed_pairing_and_asks_both(
    proposal, staff, mentee, mentor, django_capture_on_commit_callbacks
):
    before = timezone.now()
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    assert pairing.status == Status.PROPOSED
    assert (pairing.mentee, pairing.mentor) == (mentee, mentor)
    assert pairing.respond_by >= before + timedelta(days=10)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    assert proposal.pairing == pairing
    assert (
        proposal.application.__class__.objects.get(pk=proposal.application_id).status
        == Application.Status.MATCHED
    )
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert subjects == [
        (mentee.email, "Please accept your proposed mentor: Henrik Larsen"),
        (mentor.email, "Please accept your proposed mentee: Amara Okafor"),
    ]
    assert f"/pairings/{pairing.pk}/" in mail.outbox[0].body


def test_accepting_twice_is_refused_and_changes_nothing(
    proposal, staff, django_capture_on_commit_callbacks
):
    accept([proposal], staff, django_capture_on_commit_callbacks)
    with pytest.raises(services.MatchingError, match="already accepted"):
        accept([proposal], staff, django_capture_on_commit_callbacks)
    assert Pairing.objects.count() == 1
    assert len(mail.outbox) == 2


def test_capacity_is_never_exceeded(
    proposal, run, cycle, staff, django_capture_on_commit_callbacks
):
    second = Proposal.objects.create(
        run=run,
        application=another_mentee("wanjiru@example.com", cycle),
        mentor=proposal.mentor,
        score=10,
    )
    with pytest.raises(services.MatchingError, match="has no room left"):
        accept([proposal, second], staff, django_capture_on_commit_callbacks)
    # All or nothing: the first pair was not made either.
    assert not Pairing.objects.exists()
    assert Proposal.objects.filter(status="accepted").count() == 0
    assert not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_two_staff_accepting_at_once_cannot_overfill_a_mentor(
    cycle, staff, mentor, mentee
):
    if connection.vendor != "postgresql":
        message = "concurrent row locks need PostgreSQL (set DATABASE_URL)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    profile = mentor_profile(mentor, capacity=1)
    first_run = MatchRun.objects.create(cycle=cycle, created_by=staff)
    second_run = MatchRun.objects.create(cycle=cycle, created_by=staff)
    one = Proposal.objects.create(
        run=first_run,
        application=approved_application(mentee, cycle),
        mentor=profile,
        score=1,
    )
    two = Proposal.objects.create(
        run=second_run,
        application=another_mentee("wanjiru@example.com", cycle),
        mentor=profile,
        score=1,
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def accept_in_thread(proposal):
        barrier.wait()
        try:
            services.proposals_accept(proposal_ids=[proposal.pk], actor=staff)
            outcomes.append("accepted")
        except services.MatchingError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept_in_thread, args=(p,)) for p in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("accepted") == 1
    [refusal] = [outcome for outcome in outcomes if outcome != "accepted"]
    assert refusal == "Henrik Larsen has no room left: 1 mentee this cycle."
    assert Pairing.objects.filter(mentor=mentor, status__in=Pairing.OPEN).count() == 1


def test_both_accept_and_the_pairing_is_confirmed(
    proposal, staff, mentee, mentor, client, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "Accept Henrik Larsen as your mentor" in page
    response = client.post(f"/pairings/{pairing.pk}/respond/", {"answer": "accept"})
    assert response["Location"] == f"/pairings/{pairing.pk}/"
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "We are waiting for Henrik Larsen to answer" in page
    assert "Accept Henrik Larsen" not in page
    pairing.refresh_from_db()
    assert pairing.status == Status.PROPOSED and pairing.mentee_accepted_at
    assert not mail.outbox

    client.force_login(mentor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/pairings/{pairing.pk}/respond/", {"answer": "accept"}, follow=True
        )
    assert "You have both accepted: your pairing is confirmed" in (
        response.content.decode()
    )
    pairing.refresh_from_db()
    assert pairing.status == Status.INTRODUCED
    assert pairing.confirmed_at is not None
    assert pairing.starts_on == date(2027, 3, 1)
    assert pairing.ends_on == date(2028, 3, 1)
    assert list(pairing.events.values_list("status", "description")) == [
        ("proposed", "Proposed by staff"),
        ("proposed", "The mentee accepted"),
        ("proposed", "The mentor accepted"),
        ("confirmed", "Confirmed: both accepted"),
        ("introduced", "Introduced to one another by email"),
    ]
    intro = {m.to[0]: m for m in mail.outbox}
    assert set(intro) == {mentee.email, mentor.email}
    to_mentee = intro[mentee.email]
    assert to_mentee.subject == "Meet your mentor, Henrik Larsen"
    assert "Country: Denmark" in to_mentee.body
    assert (
        "Local time now:" in to_mentee.body and "(Europe/Copenhagen)" in to_mentee.body
    )
    # Lagos and Copenhagen: 8 shared hours in winter, 7 in Danish summer time.
    today = timezone.now().date()
    hours = working_hours_overlap(
        utc_offset_minutes("Africa/Lagos", today),
        utc_offset_minutes("Europe/Copenhagen", today),
    )
    assert hours in (7, 8)
    assert f"for each of you): about {hours} hours a day" in to_mentee.body
    assert "Interests: Breast" in to_mentee.body
    assert "You, the mentee, initiate the contact" in to_mentee.body
    assert f"/pairings/{pairing.pk}/" in to_mentee.body
    assert f"/pairings/{pairing.pk}/plan/" in to_mentee.body
    assert "will host a call to introduce you" in to_mentee.body
    to_mentor = intro[mentor.email]
    assert to_mentor.subject == "Meet your mentee, Amara Okafor"
    assert "Your mentee initiates the contact" in to_mentor.body


def test_a_confirmed_pairing_takes_the_length_of_its_cycles_year(
    proposal, staff, mentee, mentor, cycle, django_capture_on_commit_callbacks
):
    cycle.program_months = 9
    cycle.save()
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    for person in (mentee, mentor):
        services.pairing_respond(pairing_id=pairing.pk, user=person, accept=True)
    pairing.refresh_from_db()
    assert pairing.months == 9
    assert pairing.ends_on == add_months(pairing.starts_on, 9)


def test_a_decline_returns_the_mentee_to_staff_with_the_reason(
    proposal, staff, mentee, mentor, client, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(mentor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/pairings/{pairing.pk}/respond/",
            {"answer": "decline", "reason": "I am on sabbatical next year."},
        )
    assert response["Location"] == "/pairings/"
    pairing.refresh_from_db()
    assert pairing.status == Status.CANCELLED
    assert "I am on sabbatical next year." in pairing.end_reason
    application = Application.objects.get(pk=proposal.application_id)
    assert application.status == Application.Status.APPROVED
    last = application.events.order_by("-at", "-pk").first()
    assert "sabbatical" in (last.description + last.note)
    # Each is told, without the other's reason.
    assert sorted(m.to[0] for m in mail.outbox) == [mentee.email, mentor.email]
    assert all("sabbatical" not in m.body for m in mail.outbox)
    # The pairing and the CV are gone for both.
    assert client.get(f"/pairings/{pairing.pk}/").status_code == 404
    # A new proposal for the mentee can be made.
    assert not Pairing.objects.filter(status__in=Pairing.OPEN).exists()


def test_answers_are_refused_once_the_pairing_has_moved_on(
    proposal, staff, mentee, mentor, stranger, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    with pytest.raises(services.MatchingError, match="not yours"):
        services.pairing_respond(pairing_id=pairing.pk, user=stranger, accept=True)
    services.pairing_respond(pairing_id=pairing.pk, user=mentor, accept=False)
    with pytest.raises(services.MatchingError, match="no longer waits"):
        services.pairing_respond(pairing_id=pairing.pk, user=mentee, accept=True)


def test_a_stranger_cannot_answer_for_someone(
    proposal, staff, stranger, client, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    client.force_login(stranger)
    response = client.post(f"/pairings/{pairing.pk}/respond/", {"answer": "accept"})
    assert response.status_code == 404
    assert client.get(f"/pairings/{pairing.pk}/respond/").status_code == 405


def test_a_bad_answer_changes_nothing(
    proposal, staff, mentee, client, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    client.force_login(mentee)
    client.post(f"/pairings/{pairing.pk}/respond/", {"answer": "maybe"})
    pairing.refresh_from_db()
    assert pairing.mentee_accepted_at is None and pairing.status == Status.PROPOSED


def test_no_answer_in_time_returns_the_mentee_to_staff(
    proposal, staff, mentee, mentor, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    services.pairing_respond(pairing_id=pairing.pk, user=mentee, accept=True)
    assert services.pairings_expire_unanswered(now=timezone.now()) == 0
    later = pairing.respond_by + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pairings_expire_unanswered(now=later) == 1
    assert services.pairings_expire_unanswered(now=later) == 0
    pairing.refresh_from_db()
    assert pairing.status == Status.CANCELLED
    assert pairing.end_reason == "No answer from Henrik Larsen within 10 days."
    application = Application.objects.get(pk=proposal.application_id)
    assert application.status == Application.Status.APPROVED


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 3, 1), 12, date(2028, 3, 1)),
        (date(2027, 11, 15), 3, date(2028, 2, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_add_months(start, months, end):
    assert add_months(start, months) == end


def test_accepting_rechecks_the_rules_the_run_could_not_know(
    proposal, staff, mentee, mentor, django_capture_on_commit_callbacks
):
    profile = proposal.mentor
    profile.is_available = False
    profile.save()
    with pytest.raises(services.MatchingError, match="opted out"):
        accept([proposal], staff, django_capture_on_commit_callbacks)
    profile.is_available = True
    profile.save()
    Exclusion.objects.create(mentee=mentee, mentor=mentor, note="Same department")
    with pytest.raises(services.MatchingError, match="never to pair"):
        accept([proposal], staff, django_capture_on_commit_callbacks)
    assert not Pairing.objects.exists()
    assert not mail.outbox


def test_a_declined_pair_is_never_proposed_again(
    proposal, staff, mentor, cycle, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    services.pairing_respond(pairing_id=pairing.pk, user=mentor, accept=False)
    run = services.match_run_create(cycle=cycle, actor=staff)
    assert not run.proposals.exists()
    [entry] = run.unmatched.all()
    assert entry.application_id == proposal.application_id
    # And the old proposal cannot be accepted again either.
    again = Proposal.objects.create(
        run=run,
        application_id=proposal.application_id,
        mentor=proposal.mentor,
        score=1,
    )
    with pytest.raises(services.MatchingError, match="never to pair"):
        accept([again], staff, django_capture_on_commit_callbacks)


def test_a_new_run_supersedes_the_proposals_of_earlier_runs(proposal, staff, cycle):
    services.match_run_create(cycle=cycle, actor=staff)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUPERSEDED
    with pytest.raises(services.MatchingError, match="replaced by a later run"):
        services.proposals_accept(proposal_ids=[proposal.pk], actor=staff)


def test_a_pairing_ends_cleanly_even_if_the_application_was_withdrawn(
    proposal, staff, mentee, mentor, django_capture_on_commit_callbacks
):
    [pairing] = accept([proposal], staff, django_capture_on_commit_callbacks)
    Application.objects.filter(pk=proposal.application_id).update(
        status=Application.Status.WITHDRAWN
    )
    services.pairing_respond(pairing_id=pairing.pk, user=mentee, accept=False)
    pairing.refresh_from_db()
    assert pairing.status == Status.CANCELLED
