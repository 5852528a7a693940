"""Journey 1: a new mentee, from the home page to a submitted application."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Interest
from applications.models import Application
from journeys.browser import check_page, latest_email, link_in
from mentorship.models import Cycle

EMAIL = "amara.okafor@example.com"
PASSWORD = "a-long-journey-password-7"
# The smallest file the CV check accepts as a PDF.
PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def open_cycle(transactional_db):
    now = timezone.now()
    return Cycle.objects.create(
        name="2026-2027",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=30),
    )


@pytest.fixture
def cv_file(tmp_path):
    path = tmp_path / "Amara Okafor CV.pdf"
    path.write_bytes(PDF_BYTES)
    return path


def test_a_new_mentee_signs_up_applies_and_sees_the_status(
    open_page, open_cycle, cv_file
):
    page = open_page(time_zone="Africa/Lagos")
    interest = Interest.objects.filter(kind=Interest.Kind.AREA).first().name
    goal = Interest.objects.filter(kind=Interest.Kind.GOAL).first().name

    # The home page tells her what the program is and that she can apply now.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Virtual Mentors Program")
    expect(page.locator("#cycle-status")).to_contain_text("Applications are open until")
    check_page(page, "mentee-01-home")
    page.get_by_role("link", name="Apply now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for a mentor")
    expect(page.locator("main")).to_contain_text(
        "To apply, create an account or log in"
    )
    check_page(page, "mentee-02-apply")
    page.get_by_role("main").get_by_role("link", name="Create an account").click()

    # Sign up. Her browser's time zone is already chosen for her.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    expect(page.get_by_label("Time zone")).to_have_value("Africa/Lagos")
    check_page(page, "mentee-03-signup")
    page.get_by_label("Full name").fill("Amara Okafor")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Country where you live and work").select_option(label="Nigeria")
    page.get_by_label("Password*", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    # By keyboard: Enter in the last field sends the form.
    page.get_by_label("Password (again)").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verify Your Email Address"
    )
    expect(page.locator("main")).to_contain_text("We have sent an email to you")
    check_page(page, "mentee-04-verification-sent")

    # She follows the link in the email the app sent.
    confirmation = latest_email(EMAIL)
    assert "Confirm Your Email Address" in confirmation.subject
    page.goto(link_in(confirmation, "/accounts/confirm-email/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Email Address")
    expect(page.locator("main")).to_contain_text(EMAIL)
    check_page(page, "mentee-05-confirm-email")
    page.get_by_role("button", name="Confirm").click()

    # Confirmed and logged in, she is back where she set out to apply.
    expect(page).to_have_url(re.compile(r"/apply/$"))
    expect(page.locator("main")).to_contain_text("Start your application")
    check_page(page, "mentee-06-apply-logged-in", screenshot=False)
    page.get_by_role("button", name="Start your application").click()

    # The application form.
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Your application to 2026-2027"
    )
    check_page(page, "mentee-07-form")
    form = page.locator("main form")
    form.get_by_label("Member in Training").check()
    form.get_by_label("Year you completed your oncology training").fill("2201")
    form.get_by_label("Country where you did your oncology training").select_option(
        label="United Kingdom"
    )
    form.get_by_label("Country where you practise or train now").select_option(
        label="Nigeria"
    )
    # By keyboard: type into one field, Tab to the next.
    form.get_by_label("Institution").focus()
    page.keyboard.type("Lagos University Teaching Hospital")
    page.keyboard.press("Tab")
    position = form.get_by_label("Position or job title")
    expect(position).to_be_focused()
    page.keyboard.type("Consultant oncologist")
    expect(form.get_by_label("Time zone")).to_have_value("Africa/Lagos")
    form.get_by_role("group", name="Written English").get_by_label(
        "Fluent or native"
    ).check()
    form.get_by_role("group", name="Spoken English").get_by_label(
        "Fluent or native"
    ).check()
    form.get_by_label("Hours a month you can give to mentoring").fill("4")
    form.get_by_label("Video call").check()
    form.get_by_label("Email", exact=True).check()
    form.get_by_role("group", name="Professional interests").get_by_label(
        interest
    ).check()
    form.get_by_role("group", name="Career goals").get_by_label(goal).check()
    statement = "I want guidance on building a breast cancer research program."
    form.get_by_label("Why you want a mentor").fill(statement)
    form.get_by_label("CV").set_input_files(cv_file)
    form.get_by_label("Have you received an IDEA or IDEA-PC award?").select_option(
        label="No"
    )
    # She forgets the consent and mistypes the year, then submits.
    form.get_by_role("button", name="Submit application").click()

    # The errors are listed, announced, and focus is on them.
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("Some answers need your attention")
    expect(summary).to_contain_text("Enter a year between 1960 and")
    expect(summary).to_contain_text("Your consent is needed to apply.")
    # Nothing she typed or chose is lost, and the CV she chose is kept.
    expect(form.get_by_label("Institution")).to_have_value(
        "Lagos University Teaching Hospital"
    )
    expect(position).to_have_value("Consultant oncologist")
    expect(form.get_by_label("Why you want a mentor")).to_have_value(statement)
    expect(form.get_by_label("Hours a month you can give to mentoring")).to_have_value(
        "4"
    )
    expect(form.get_by_label("Member in Training")).to_be_checked()
    expect(form.get_by_label("Video call")).to_be_checked()
    expect(
        form.get_by_role("group", name="Professional interests").get_by_label(interest)
    ).to_be_checked()
    expect(
        form.get_by_label("Country where you did your oncology training")
    ).to_have_value("GB")
    expect(page.locator("#current-cv")).to_contain_text("Amara Okafor CV.pdf")
    check_page(page, "mentee-08-form-errors")

    # She fixes both by keyboard, from the summary's first link.
    page.keyboard.press("Tab")
    expect(
        summary.get_by_role("link", name="Year you completed your oncology training")
    ).to_be_focused()
    page.keyboard.press("Enter")
    year = form.get_by_label("Year you completed your oncology training")
    expect(year).to_be_focused()
    # A screen reader reads the error with the field.
    expect(year).to_have_attribute("aria-invalid", "true")
    expect(year).to_have_accessible_description(
        re.compile("Enter a year between 1960 and")
    )
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("2021")
    consent = form.get_by_label("I agree that the program may use the data")
    expect(consent).to_have_accessible_description(
        re.compile("Your consent is needed to apply.")
    )
    consent.focus()
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    form.get_by_role("button", name="Submit application").focus()
    page.keyboard.press("Enter")

    # The status page.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Application to 2026-2027"
    )
    expect(page.locator(".messages")).to_contain_text(
        "Your application is submitted. Thank you!"
    )
    expect(page.locator(".messages")).to_contain_text(
        f"We will email a confirmation to {EMAIL}."
    )
    expect(page.locator("main")).to_contain_text("Status: Submitted")
    expect(page.locator("main")).to_contain_text("Staff will review your application")
    expect(page.locator("main")).to_contain_text("Your CV: Amara Okafor CV.pdf")
    check_page(page, "mentee-09-status")
    application = Application.objects.get(applicant__email=EMAIL)
    assert application.status == Application.Status.SUBMITTED
    assert application.training_completed_year == 2021

    # The confirmation email leads back to the same status page.
    receipt = latest_email(EMAIL)
    assert receipt.subject == (
        "Your application to the Virtual Mentors Program is submitted"
    )
    assert "Dear Amara Okafor" in receipt.body
    page.goto(link_in(receipt, f"/applications/{application.pk}/"))
    expect(page.locator("main")).to_contain_text("Status: Submitted")
