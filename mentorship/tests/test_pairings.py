"""The pairing portal: each person sees their own pairings, nobody else's."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import MentorProfile
from applications.models import Application
from applications.tests.conftest import pdf
from conftest import make_user
from mentorship.models import Cycle, Pairing
from mentorship.selectors import local_time
from mentorship.tests.factories import mentor_profile

Status = Pairing.Status


@pytest.fixture
def cycle(db):
    return Cycle.objects.create(name="2025-2026", program_starts_on="2026-01-15")


@pytest.fixture
def application(cycle, mentee):
    application = Application.objects.create(
        applicant=mentee,
        cycle=cycle,
        status="submitted",
        position="Registrar",
        statement="I want to build a breast cancer research program in Lagos.",
        meeting_ways=["video"],
    )
    application.cv.save("cv.pdf", pdf(), save=False)
    application.cv_filename = "Amara CV.pdf"
    application.save()
    return application


@pytest.fixture
def pairing(cycle, mentee, mentor, application):
    mentor_profile(mentor, bio="I lead a breast unit in Copenhagen.")
    return Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Status.CONFIRMED,
        confirmed_at=timezone.now(),
        starts_on="2026-01-15",
        ends_on="2027-01-15",
    )


def test_the_portal_needs_an_account(client, db):
    assert client.get("/pairings/")["Location"].startswith("/accounts/login/")
    assert client.get("/pairings/1/")["Location"].startswith("/accounts/login/")


def test_before_any_pairing_a_mentee_is_told_what_happens_next(client, mentee):
    client.force_login(mentee)
    page = client.get("/pairings/").content.decode()
    assert "You have no pairing yet" in page
    assert "once staff approve your application" in page


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (MentorProfile.Status.PENDING, "Staff are reviewing your offer"),
        (MentorProfile.Status.APPROVED, "When staff propose a mentee for you"),
        (MentorProfile.Status.INACTIVE, "Your mentor profile is inactive"),
    ],
)
def test_before_any_pairing_a_mentor_is_told_what_happens_next(
    client, mentor, status, text
):
    mentor_profile(mentor, status=status)
    client.force_login(mentor)
    assert text in client.get("/pairings/").content.decode()


def test_each_side_sees_the_pairing_in_their_list(client, pairing, mentee, mentor):
    client.force_login(mentor)
    page = client.get("/pairings/").content.decode()
    assert "Amara Okafor</a>, your mentee" in page
    assert "Nigeria" in page
    client.force_login(mentee)
    page = client.get("/pairings/").content.decode()
    assert "Henrik Larsen</a>, your mentor" in page


def test_the_mentor_sees_the_mentee_their_application_and_cv(
    client, pairing, mentor, application
):
    client.force_login(mentor)
    response = client.get(f"/pairings/{pairing.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in page and "Amara Okafor" in page
    assert "Nigeria" in page
    assert "Africa/Lagos: it is" in page
    assert "I want to build a breast cancer research program in Lagos." in page
    assert f"/applications/{application.pk}/cv/" in page
    assert "Video call" in page
    assert response["Cache-Control"].startswith("max-age=0")

    download = client.get(f"/applications/{application.pk}/cv/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_mentee_sees_the_mentor_profile(client, pairing, mentee):
    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "Henrik Larsen" in page
    assert "I lead a breast unit in Copenhagen." in page
    assert "Professor of oncology" in page
    assert "Europe/Copenhagen: it is" in page
    assert "Breast" in page
    assert "English" in page
    assert "mailto:mentor@example.com" in page


def test_a_proposed_pairing_keeps_email_addresses_back(client, pairing, mentee):
    pairing.status = Status.PROPOSED
    pairing.save()
    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "Shared once you have both accepted." in page
    assert "mentor@example.com" not in page


def test_nobody_else_sees_a_pairing(client, pairing, stranger, staff):
    other_mentor = make_user("other.mentor@example.com", country="JP")
    mentor_profile(other_mentor)
    for person in (stranger, other_mentor, staff):
        client.force_login(person)
        assert client.get(f"/pairings/{pairing.pk}/").status_code == 404
        assert "Amara" not in client.get("/pairings/").content.decode()
    assert client.get("/pairings/999999/").status_code == 404
    assert client.get(f"/pairings/{2**70}/").status_code == 404


def test_a_cancelled_proposal_is_gone_for_both(client, pairing, mentor, application):
    pairing.status = Status.CANCELLED
    pairing.save()
    client.force_login(mentor)
    assert client.get(f"/pairings/{pairing.pk}/").status_code == 404
    assert client.get(f"/applications/{application.pk}/cv/").status_code == 404


def test_a_mentor_cannot_see_a_cv_before_being_paired(client, mentor, application):
    mentor_profile(mentor)
    client.force_login(mentor)
    assert client.get(f"/applications/{application.pk}/cv/").status_code == 404


def test_a_mentor_cannot_see_another_mentors_mentee(client, pairing, application):
    other_mentor = make_user("other.mentor@example.com", country="JP")
    mentor_profile(other_mentor)
    client.force_login(other_mentor)
    assert client.get(f"/applications/{application.pk}/cv/").status_code == 404
    assert client.get(f"/pairings/{pairing.pk}/").status_code == 404


def test_a_paired_mentor_may_not_open_or_withdraw_the_application(
    client, pairing, mentor, application
):
    client.force_login(mentor)
    assert client.get(f"/applications/{application.pk}/").status_code == 404
    response = client.post(f"/applications/{application.pk}/withdraw/")
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == "submitted"


def test_a_mentor_paired_in_another_cycle_does_not_see_this_cv(
    client, pairing, mentor, mentee, cycle
):
    later = Cycle.objects.create(name="2027-2028")
    later_application = Application.objects.create(applicant=mentee, cycle=later)
    client.force_login(mentor)
    response = client.get(f"/applications/{later_application.pk}/cv/")
    assert response.status_code == 404


def test_the_list_query_count_does_not_grow_with_pairings(
    client, mentor, cycle, django_assert_max_num_queries
):
    mentor_profile(mentor, capacity=3)
    client.force_login(mentor)

    def add_pairings(count):
        for _ in range(count):
            person = make_user(f"mentee{Pairing.objects.count()}@example.com")
            Pairing.objects.create(cycle=cycle, mentee=person, mentor=mentor)

    add_pairings(1)
    with django_assert_max_num_queries(10) as one:
        client.get("/pairings/")
    add_pairings(9)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/pairings/").content.decode()
    assert page.count("your mentee") == 10


def test_the_detail_page_runs_a_bounded_number_of_queries(
    client, pairing, mentor, mentee, django_assert_max_num_queries
):
    for person in (mentor, mentee):
        client.force_login(person)
        # Three of them save the session, which every request does.
        with django_assert_max_num_queries(15):
            assert client.get(f"/pairings/{pairing.pk}/").status_code == 200


def test_one_open_pairing_per_mentee_and_cycle(pairing, stranger):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pairing.objects.create(
            cycle=pairing.cycle, mentee=pairing.mentee, mentor=stranger
        )
    pairing.status = Status.CANCELLED
    pairing.save()
    Pairing.objects.create(cycle=pairing.cycle, mentee=pairing.mentee, mentor=stranger)


def test_nobody_mentors_themselves(mentee, cycle):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pairing.objects.create(cycle=cycle, mentee=mentee, mentor=mentee)


@pytest.mark.parametrize(
    ("theirs", "mine", "at", "difference", "clock"),
    [
        (
            "Asia/Kolkata",
            "Europe/Berlin",
            (2026, 1, 10, 12),
            "4 h 30 min ahead of you",
            "17:30",
        ),
        (
            "Asia/Kolkata",
            "Europe/Berlin",
            (2026, 7, 10, 12),
            "3 h 30 min ahead of you",
            "17:30",
        ),
        (
            "America/New_York",
            "Europe/London",
            (2026, 1, 10, 12),
            "5 h behind you",
            "07:00",
        ),
        (
            "Africa/Lagos",
            "Africa/Lagos",
            (2026, 1, 10, 12),
            "the same time as you",
            "13:00",
        ),
    ],
)
def test_the_other_persons_local_time(theirs, mine, at, difference, clock):
    shown = local_time(theirs, reader_time_zone=mine, at=datetime(*at, tzinfo=UTC))
    assert shown.difference == difference
    assert shown.now.strftime("%H:%M") == clock


def test_staff_without_the_application_permission_get_no_cv(client, application):
    clerk = make_user("clerk@example.com", is_staff=True)
    client.force_login(clerk)
    assert client.get(f"/applications/{application.pk}/cv/").status_code == 404
