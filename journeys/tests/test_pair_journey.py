"""Journey 3: the mentee and the mentor, from the proposed pairing to their
first month met.

Each logs in and accepts the pairing, sees the other's profile and the
introductory call in their own time zone; the mentee adds an objective to
the Mentoring Plan and logs a contact (after a mistake the form points out
without losing what she typed); the mentor confirms it; the staff dashboard
shows the month as met.
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Interest
from applications.models import Application
from conftest import make_user
from journeys.browser import check_page, latest_email, link_in
from matching import services as matching_services
from matching.models import MatchRun, Proposal
from mentorship import services as mentorship_services
from mentorship.models import Cycle, Pairing
from mentorship.tests.factories import mentor_profile


@pytest.fixture
def cycle(migrated_rows):
    now = timezone.now()
    return Cycle.objects.create(
        name="2026-2027",
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=20),
        # The journey starts on 2 March 2026: the year begins today.
        program_starts_on=date(2026, 3, 1),
    )


@pytest.fixture
def meera(migrated_rows):
    """A mentor in India, four and a half hours ahead of the mentee."""
    user = make_user(
        "meera.iyer@example.com",
        full_name="Meera Iyer",
        country="IN",
        time_zone="Asia/Kolkata",
    )
    profile = mentor_profile(
        user, position="Professor of medical oncology", years_experience=22
    )
    profile.interests.set(Interest.objects.filter(slug="breast"))
    return user


@pytest.fixture
def proposed(cycle, mentee, meera, staff):
    """Staff matched Amara with Meera and accepted the proposal: both are
    asked by email to accept."""
    application = Application.objects.create(
        applicant=mentee,
        cycle=cycle,
        status=Application.Status.APPROVED,
        practice_country=mentee.country,
        training_country=mentee.country,
        institution="Lagos University Teaching Hospital",
        time_zone=mentee.time_zone,
        statement="I want to build a breast cancer research program in Lagos.",
        submitted_at=timezone.now() - timedelta(days=40),
    )
    application.interests.set(Interest.objects.filter(slug="breast"))
    run = MatchRun.objects.create(cycle=cycle, created_by=staff)
    proposal = Proposal.objects.create(
        run=run,
        application=application,
        mentor=meera.mentor_profile,
        score=30,
        reasons=["1 shared interest: Breast"],
    )
    [pairing] = matching_services.proposals_accept(
        proposal_ids=[proposal.pk], actor=staff
    )
    return pairing


def test_the_pair_accept_meet_plan_and_log_their_first_month(
    page_for, proposed, mentee, meera, staff
):
    pairing = proposed

    # 1. Amara follows the link in her email and sees who is proposed.
    amara = page_for(mentee)
    email = latest_email(mentee.email)
    assert email.subject == "Please accept your proposed mentor: Meera Iyer"
    amara.goto(link_in(email, f"/pairings/{pairing.pk}/"))
    expect(amara.get_by_role("heading", level=1)).to_have_text("Meera Iyer")
    profile = amara.locator("section[aria-labelledby=about]")
    expect(profile).to_contain_text("India")
    expect(profile).to_contain_text("Professor of medical oncology")
    expect(profile).to_contain_text("22 years since training")
    # Her own time zone is Lagos (UTC+1); Kolkata is UTC+5:30.
    expect(profile).to_contain_text("Asia/Kolkata: it is")
    expect(profile).to_contain_text("4 h 30 min ahead of you")
    expect(profile).to_contain_text("Shared once you have both accepted.")
    check_page(amara, "pair-01-mentee-proposed")
    amara.get_by_role("button", name="Accept Meera Iyer as your mentor").click()
    expect(amara.locator(".alert")).to_contain_text(
        "You accepted. We are waiting for Meera Iyer to answer"
    )

    # 2. Meera reads Amara's application and accepts: the pairing is confirmed
    # and both are introduced by email.
    mentor_page = page_for(meera)
    email = latest_email(meera.email)
    assert email.subject == "Please accept your proposed mentee: Amara Okafor"
    mentor_page.goto(link_in(email, f"/pairings/{pairing.pk}/"))
    expect(mentor_page.get_by_role("heading", level=1)).to_have_text("Amara Okafor")
    expect(mentor_page.locator("main")).to_contain_text(
        "I want to build a breast cancer research program in Lagos."
    )
    expect(mentor_page.locator("main")).to_contain_text("4 h 30 min behind you")
    check_page(mentor_page, "pair-02-mentor-proposed")
    mentor_page.get_by_role("button", name="Accept Amara Okafor as your mentee").click()
    expect(mentor_page.locator(".alert")).to_contain_text(
        "You have both accepted: your pairing is confirmed, and we have introduced"
    )
    expect(mentor_page.locator("main")).to_contain_text("Introduced")
    expect(mentor_page.get_by_role("link", name=mentee.email)).to_be_visible()
    for person in (mentee, meera):
        assert latest_email(person.email).subject.startswith("Meet ")

    # 3. Staff host the introductory call (journey 2 does this in the admin):
    # Thursday 5 March at 13:00 UTC.
    mentorship_services.intro_call_schedule(
        pairing_id=pairing.pk,
        starts_at=datetime(2026, 3, 5, 13, 0, tzinfo=UTC),
        duration_minutes=30,
        location="https://meet.example.org/amara-meera",
        host=staff,
        actor=staff,
    )
    # Each sees it in their own time: 14:00 in Lagos, 18:30 in Kolkata.
    amara.reload()
    call = amara.locator("section[aria-labelledby=intro-call]")
    expect(call).to_contain_text("Thursday 5 March 2026, 14:00 to 14:30 your time")
    expect(call).to_contain_text("https://meet.example.org/amara-meera")
    expect(amara.get_by_role("link", name=meera.email)).to_be_visible()
    check_page(amara, "pair-03-mentee-introduced")
    mentor_page.reload()
    expect(mentor_page.locator("section[aria-labelledby=intro-call]")).to_contain_text(
        "Thursday 5 March 2026, 18:30 to 19:00 your time"
    )

    # 4. Amara adds an objective to the Mentoring Plan.
    amara.get_by_role("link", name="Your Mentoring Plan").click()
    expect(amara.get_by_role("heading", level=1)).to_have_text("Your Mentoring Plan")
    expect(amara.locator("section[aria-labelledby=objectives]")).to_contain_text(
        "No objective yet."
    )
    amara.get_by_text("Add an objective").click()
    amara.get_by_role("textbox", name="Objective").fill(
        "Write a first research protocol"
    )
    amara.get_by_label("What success looks like").fill(
        "A protocol the ethics committee accepts"
    )
    amara.get_by_label("Target date").fill("2026-07-31")
    amara.get_by_label("Status").select_option(label="On track")
    amara.get_by_role("button", name="Add the objective").click()
    objectives = amara.locator("section[aria-labelledby=objectives] table")
    expect(objectives).to_contain_text("Write a first research protocol")
    expect(objectives).to_contain_text("31 Jul 2026")
    expect(objectives).to_contain_text("On track")
    expect(amara.locator("section[aria-labelledby=changes]")).to_contain_text(
        "Amara Okafor added the objective “Write a first research protocol”"
    )
    check_page(amara, "pair-04-plan")

    # 5. She logs their first contact, forgets how they met, and is told so
    # at the field with what she typed still there.
    amara.get_by_role("link", name="Back to your pairing").click()
    amara.get_by_label("When did you meet or write?").fill("2026-03-02")
    amara.get_by_label("The mentee").check()
    amara.get_by_label("Length (minutes)").fill("45")
    amara.locator("#checkins").get_by_label("Breast").check()
    amara.get_by_label("Notes", exact=True).fill("Agreed on the protocol's question.")
    amara.get_by_role("button", name="Log the contact").click()
    expect(amara.locator("#checkins")).to_contain_text(
        "Choose how you were in contact."
    )
    # Focus is on the list of what to fix, whose link leads to the field.
    expect(amara.locator("#form-errors")).to_be_focused()
    expect(amara.locator("#form-errors")).to_contain_text("How")
    expect(amara.get_by_label("Length (minutes)")).to_have_value("45")
    expect(amara.get_by_label("Notes", exact=True)).to_have_value(
        "Agreed on the protocol's question."
    )
    check_page(amara, "pair-05-contact-error", screenshot=False)
    # By keyboard: choose the way, then send the form.
    amara.get_by_label("Video call").focus()
    amara.keyboard.press("Space")
    expect(amara.get_by_label("Video call")).to_be_checked()
    amara.get_by_role("button", name="Log the contact").focus()
    amara.keyboard.press("Enter")
    contact = amara.locator("#checkins article")
    expect(contact).to_contain_text("Monday 2 March 2026: Video call, 45 minutes")
    expect(contact).to_contain_text("Waiting for the other person")
    expect(amara.locator(".month-strip li").first).to_contain_text("Met")
    assert latest_email(meera.email).subject.endswith("please confirm")
    check_page(amara, "pair-06-contact-logged")

    # 6. Meera confirms it with one click.
    mentor_page.reload()
    mentor_contact = mentor_page.locator("#checkins article")
    expect(mentor_contact).to_contain_text("Agreed on the protocol's question.")
    mentor_contact.get_by_role("button", name="Yes, we met").click()
    expect(mentor_page.locator("#checkins article")).to_contain_text("Confirmed")
    expect(mentor_page.locator(".month-strip li").first).to_contain_text("Met")
    check_page(mentor_page, "pair-07-mentor-confirmed")

    # 7. On the staff dashboard, the cycle's first month is met.
    staff_page = page_for(staff)
    staff_page.get_by_role("link", name="Progress").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(
        "Progress of the mentoring year"
    )
    expect(staff_page.locator("#rate-this-month")).to_have_text("100%")
    month_1 = staff_page.locator("#monthly-table tbody tr").first
    expect(month_1.locator("th, td")).to_have_text(
        [re.compile(r"^Month 1\s+in progress$"), "1", "1", "100%"]
    )
    expect(staff_page.locator("#funnel-table")).to_contain_text("Confirmed")
    expect(staff_page.locator("#attention")).to_contain_text("No pair needs attention")
    # The chart is drawn, from the same figures, by the vendored library.
    expect(staff_page.locator("#monthly-chart")).to_have_attribute(
        "width", re.compile(r"^\d+$")
    )
    check_page(staff_page, "pair-08-staff-progress")
    assert Pairing.objects.get(pk=pairing.pk).status == Pairing.Status.ACTIVE
