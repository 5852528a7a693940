"""Mentor sign-up, profile editing, availability, and staff decisions."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.models import Interest, MentorProfile
from conftest import make_user
from mentorship import services
from mentorship.models import OutboundEmail
from mentorship.tests.factories import mentor_profile

Status = MentorProfile.Status


@pytest.fixture
def answers(db):
    area = Interest.objects.get(slug="breast")
    goal = Interest.objects.get(slug="clinical-research")
    return {
        "membership_type": "full",
        "years_experience": "16",
        "country": "DK",
        "institution": "Rigshospitalet",
        "position": "Chief physician",
        "time_zone": "Europe/Copenhagen",
        "interests": [str(area.pk)],
        "career_goals": [str(goal.pk)],
        "languages": ["da", "en"],
        "capacity": "2",
        "meeting_ways": ["video", "email"],
        "bio": "Breast oncologist for sixteen years; I enjoy teaching.",
        "agree": "on",
    }


def volunteer(client, user, answers):
    client.force_login(user)
    with transaction.atomic():
        return client.post("/mentors/volunteer/", answers)


def test_volunteering_needs_an_account(client, db):
    response = client.get("/mentors/volunteer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_volunteer_is_pending_and_thanked_by_email(
    client, mentor, answers, django_capture_on_commit_callbacks
):
    client.force_login(mentor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mentors/volunteer/", answers)
    assert response.status_code == 302
    assert response["Location"] == "/mentors/profile/"

    profile = MentorProfile.objects.get(user=mentor)
    assert profile.status == Status.PENDING
    assert profile.capacity == 2
    assert profile.years_experience == 16
    assert profile.languages == ["en", "da"]
    assert profile.meeting_ways == ["email", "video"]
    assert [i.slug for i in profile.interests.all()] == ["breast"]
    assert profile.agreed_at is not None
    assert profile.experience_flag == ""
    mentor.refresh_from_db()
    assert (mentor.country.code, mentor.institution) == ("DK", "Rigshospitalet")

    assert [m.to for m in mail.outbox] == [[mentor.email]]
    assert mail.outbox[0].subject == "Thank you for offering to mentor"
    page = client.get("/mentors/profile/").content.decode()
    assert "Staff are reviewing your offer" in page


@pytest.mark.parametrize("capacity", ["0", "4", "two", ""])
def test_capacity_must_be_one_to_three(client, mentor, answers, capacity):
    response = volunteer(client, mentor, {**answers, "capacity": capacity})
    assert response.status_code == 200
    assert "Choose how many mentees you can take: 1, 2 or 3." in (
        response.content.decode()
    )
    assert not MentorProfile.objects.exists()


def test_the_expectations_must_be_agreed_and_nothing_typed_is_lost(
    client, mentor, answers
):
    del answers["agree"]
    response = volunteer(client, mentor, answers)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Agree to the program&#x27;s expectations to volunteer." in page
    assert 'id="form-errors"' in page
    assert "Breast oncologist for sixteen years; I enjoy teaching." in page
    assert 'value="Chief physician"' in page
    assert not MentorProfile.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("years_experience", "-1", "Enter a number of years from 0 to 70."),
        ("years_experience", "ten", "Enter a whole number of years."),
        ("interests", [], "Choose at least one oncology area."),
        ("interests", ["99999999999999999999999"], "Select a valid choice."),
        ("languages", ["xx"], "Select a valid choice."),
        ("meeting_ways", [], "Choose at least one way to meet."),
        ("bio", "   ", "Write a few lines about yourself."),
        ("bio", "x" * 1501, "at most 1500 characters"),
        ("time_zone", "Mars/Olympus", "Select a valid choice."),
        ("country", "", "Choose the country where you practise."),
    ],
)
def test_each_answer_is_checked_at_its_field(
    client, mentor, answers, field, value, message
):
    response = volunteer(client, mentor, {**answers, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MentorProfile.objects.exists()


def test_fewer_than_ten_years_is_accepted_but_flagged_for_staff(
    client, mentor, staff, answers
):
    volunteer(client, mentor, {**answers, "years_experience": "6"})
    profile = MentorProfile.objects.get(user=mentor)
    assert profile.status == Status.PENDING
    assert profile.experience_flag == (
        "6 years of experience since training; mentors are expected to have "
        "at least 10."
    )
    client.force_login(staff)
    listing = client.get("/admin/accounts/mentorprofile/?experience=flagged")
    assert mentor.full_name in listing.content.decode()
    assert "Under 10 years" in listing.content.decode()
    assert (
        mentor.full_name
        not in client.get(
            "/admin/accounts/mentorprofile/?experience=expected"
        ).content.decode()
    )
    detail = client.get(f"/admin/accounts/mentorprofile/{profile.pk}/change/")
    assert "mentors are expected to have at least 10" in detail.content.decode()


def test_volunteering_twice_goes_to_the_profile(client, mentor, answers):
    mentor_profile(mentor)
    client.force_login(mentor)
    response = client.get("/mentors/volunteer/")
    assert response["Location"] == "/mentors/profile/"
    response = client.post("/mentors/volunteer/", answers)
    assert response["Location"] == "/mentors/profile/"
    assert MentorProfile.objects.count() == 1


def test_the_service_refuses_a_second_profile(mentor):
    mentor_profile(mentor)
    with pytest.raises(services.MentorError, match="already offered to mentor"):
        services.mentor_volunteer(
            user=mentor,
            person={"country": "DK", "institution": "X", "time_zone": "UTC"},
            profile={},
            interests=[],
            career_goals=[],
        )


def test_the_profile_page_without_a_profile_leads_to_volunteering(client, mentee):
    client.force_login(mentee)
    assert client.get("/mentors/profile/")["Location"] == "/mentors/volunteer/"


def test_a_mentor_edits_their_profile(client, mentor, answers):
    profile = mentor_profile(mentor)
    client.force_login(mentor)
    page = client.get("/mentors/profile/").content.decode()
    assert 'name="agree"' not in page
    del answers["agree"]
    response = client.post("/mentors/profile/", {**answers, "capacity": "3"})
    assert response["Location"] == "/mentors/profile/"
    profile.refresh_from_db()
    assert profile.capacity == 3
    assert profile.status == Status.APPROVED
    assert profile.history.first().history_change_reason == (
        "Profile edited by the mentor"
    )


def test_an_invalid_edit_shows_the_saved_status_and_keeps_the_typing(
    client, mentor, answers
):
    profile = mentor_profile(mentor, capacity=1)
    client.force_login(mentor)
    response = client.post(
        "/mentors/profile/", {**answers, "capacity": "9", "bio": "New words"}
    )
    page = response.content.decode()
    assert "New words" in page
    assert "up to 1 mentee " in page
    profile.refresh_from_db()
    assert profile.capacity == 1


def test_editing_after_a_decline_asks_staff_to_look_again(client, mentor, answers):
    profile = mentor_profile(mentor, status=Status.DECLINED)
    client.force_login(mentor)
    del answers["agree"]
    client.post("/mentors/profile/", answers)
    profile.refresh_from_db()
    assert profile.status == Status.PENDING


def test_a_retired_interest_stays_on_the_profile_when_saved(client, mentor, answers):
    profile = mentor_profile(mentor)
    retired = Interest.objects.get(slug="sarcoma")
    retired.is_active = False
    retired.save()
    profile.interests.add(retired)
    client.force_login(mentor)
    del answers["agree"]
    interests = [str(i.pk) for i in profile.interests.all()]
    client.post("/mentors/profile/", {**answers, "interests": interests})
    assert retired in profile.interests.all()


def test_a_mentor_pauses_and_resumes_their_availability(client, mentor):
    profile = mentor_profile(mentor)
    client.force_login(mentor)
    response = client.post("/mentors/profile/availability/", {"available": "no"})
    assert response["Location"] == "/mentors/profile/"
    profile.refresh_from_db()
    assert profile.is_available is False
    page = client.get("/mentors/profile/").content.decode()
    assert "You are <strong>paused</strong>" in page
    client.post("/mentors/profile/availability/", {"available": "yes"})
    profile.refresh_from_db()
    assert profile.is_available is True
    reasons = [h.history_change_reason for h in profile.history.all()]
    assert reasons[:2] == ["Available for new mentees", "Paused: no new mentees"]


def test_availability_needs_a_post_and_a_profile(client, mentee):
    client.force_login(mentee)
    assert client.get("/mentors/profile/availability/").status_code == 405
    response = client.post("/mentors/profile/availability/", {"available": "no"})
    assert response.status_code == 302


def test_capacity_is_limited_in_the_database_too(mentor):
    with pytest.raises(IntegrityError), transaction.atomic():
        mentor_profile(mentor, capacity=4)


# Staff decisions


def decide(client, profile, action, **extra):
    return client.post(
        "/admin/accounts/mentorprofile/",
        {"action": action, "_selected_action": [profile.pk], **extra},
    )


@pytest.mark.parametrize(
    ("start", "action", "end", "subject"),
    [
        (Status.PENDING, "approve", Status.APPROVED, "You are approved as a mentor"),
        (Status.PENDING, "decline", Status.DECLINED, "Your offer to mentor"),
        (
            Status.APPROVED,
            "make_inactive",
            Status.INACTIVE,
            "Your mentor profile is now inactive",
        ),
        (Status.INACTIVE, "approve", Status.APPROVED, "You are approved as a mentor"),
        (Status.DECLINED, "approve", Status.APPROVED, "You are approved as a mentor"),
    ],
)
def test_each_staff_decision_is_confirmed_recorded_and_emailed(
    client,
    staff,
    mentor,
    start,
    action,
    end,
    subject,
    django_capture_on_commit_callbacks,
):
    profile = mentor_profile(mentor, status=start)
    client.force_login(staff)

    confirm = decide(client, profile, action)
    assert confirm.status_code == 200
    assert "Nothing happens until you confirm" in confirm.content.decode()
    profile.refresh_from_db()
    assert profile.status == start
    assert not OutboundEmail.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = decide(
            client, profile, action, confirm="yes", note="Welcome aboard, Henrik."
        )
    assert done.status_code == 302
    profile.refresh_from_db()
    assert profile.status == end
    assert profile.decided_by == staff
    assert profile.decided_at is not None
    assert [m.subject for m in mail.outbox] == [subject]
    assert mail.outbox[0].to == [mentor.email]
    assert "Welcome aboard, Henrik." in mail.outbox[0].body
    latest = profile.history.first()
    assert latest.history_user == staff
    assert latest.status == end
    assert latest.history_change_reason.startswith(end.label)


def test_a_decision_the_status_does_not_allow_is_refused(
    client, staff, mentor, stranger
):
    approved = mentor_profile(mentor, status=Status.APPROVED)
    pending = mentor_profile(stranger, status=Status.PENDING)
    client.force_login(staff)
    response = client.post(
        "/admin/accounts/mentorprofile/",
        {"action": "approve", "_selected_action": [approved.pk, pending.pk]},
    )
    page = response.content.decode()
    assert "Left as they are" in page
    response = client.post(
        "/admin/accounts/mentorprofile/",
        {
            "action": "approve",
            "_selected_action": [approved.pk, pending.pk],
            "confirm": "yes",
        },
    )
    pending.refresh_from_db()
    assert pending.status == Status.APPROVED
    assert approved.history.count() == 1
    assert OutboundEmail.objects.filter(to=mentor.email).count() == 0

    with pytest.raises(services.MentorError, match="cannot be made declined"):
        services.mentor_decide(
            profile_id=approved.pk, status=Status.DECLINED, actor=staff
        )


def test_a_decision_from_the_change_page(client, staff, mentor):
    profile = mentor_profile(mentor, status=Status.PENDING)
    client.force_login(staff)
    change = client.get(f"/admin/accounts/mentorprofile/{profile.pk}/change/")
    url = f"/admin/accounts/mentorprofile/{profile.pk}/decide/approved/"
    assert url in change.content.decode()
    assert "/decide/inactive/" not in change.content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"confirm": "yes", "note": ""})
    assert response["Location"] == f"/admin/accounts/mentorprofile/{profile.pk}/change/"
    profile.refresh_from_db()
    assert profile.status == Status.APPROVED
    assert (
        client.get(
            f"/admin/accounts/mentorprofile/{profile.pk}/decide/pending/"
        ).status_code
        == 403
    )
    assert (
        client.get("/admin/accounts/mentorprofile/999999/decide/approved/").status_code
        == 404
    )


def test_only_staff_reach_the_decisions(client, mentor, stranger):
    profile = mentor_profile(mentor, status=Status.PENDING)
    client.force_login(stranger)
    response = client.post(
        f"/admin/accounts/mentorprofile/{profile.pk}/decide/approved/",
        {"confirm": "yes"},
    )
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    profile.refresh_from_db()
    assert profile.status == Status.PENDING


def test_the_change_history_is_visible_in_admin(client, staff, mentor):
    profile = mentor_profile(mentor, status=Status.PENDING)
    services.mentor_decide(profile_id=profile.pk, status=Status.APPROVED, actor=staff)
    client.force_login(staff)
    page = client.get(
        f"/admin/accounts/mentorprofile/{profile.pk}/history/"
    ).content.decode()
    assert "Approved by Sam Staff" in page


def test_the_mentor_list_query_count_does_not_grow(
    client, staff, django_assert_max_num_queries
):
    client.force_login(staff)
    for n in range(3):
        mentor_profile(make_user(f"m{n}@example.com", country="FR"))
    with django_assert_max_num_queries(12) as small:
        client.get("/admin/accounts/mentorprofile/")
    for n in range(3, 30):
        mentor_profile(make_user(f"m{n}@example.com", country="JP"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/admin/accounts/mentorprofile/")
    assert "0 of 2" in response.content.decode()


def test_staff_cannot_add_a_profile_for_someone_in_admin(client, staff):
    client.force_login(staff)
    assert client.get("/admin/accounts/mentorprofile/add/").status_code == 403
