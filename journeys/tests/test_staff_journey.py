"""Journey 2: staff, from the review queue to the introductory call.

Staff log in to the admin, filter the queue, open an application and approve
it, approve another from the list, propose matches for the cycle, swap one
mentor, accept the pairs, and, once both people have accepted, schedule the
introductory call in their own time zone.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as totp_auth
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Interest
from accounts.testing import fresh_totp_code, recovery_codes
from applications import services as application_services
from applications.models import Application
from conftest import PASSWORD, make_user
from journeys.browser import check_page, enter_totp_code, latest_email
from matching import services as matching_services
from mentorship.models import Cycle, Pairing
from mentorship.tests.factories import mentor_profile

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SETUP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def submitted_application(user, cycle, area):
    """A complete application in `area`, submitted through the service, so
    the eligibility rules ran on it as they do for a real applicant."""
    application = Application(
        applicant=user,
        cycle=cycle,
        membership_type="in_training",
        training_completed_year=2021,
        practice_country=user.country,
        training_country=user.country,
        institution="University Teaching Hospital",
        position="Consultant oncologist",
        english_writing="fluent",
        english_speaking="fluent",
        monthly_hours=4,
        meeting_ways=["video"],
        time_zone=user.time_zone,
        statement=f"I want guidance on building a {area} cancer research program.",
        prior_idea_award=False,
        consent=True,
        cv_filename="CV.pdf",
    )
    application.cv.save("cv.pdf", ContentFile(PDF_BYTES), save=False)
    application.save()
    application.interests.set(Interest.objects.filter(slug=area))
    application.career_goals.set(Interest.objects.filter(slug="clinical-research"))
    return application_services.application_submit(
        application_id=application.pk, actor=user
    )


def under_review(user, cycle, area, staff):
    application = submitted_application(user, cycle, area)
    return application_services.application_assign_reviewer(
        application_id=application.pk, actor=staff, reviewer=staff
    )


def approved_mentor(email, name, country, time_zone, area, capacity):
    user = make_user(email, full_name=name, country=country, time_zone=time_zone)
    profile = mentor_profile(user, capacity=capacity)
    profile.interests.set(Interest.objects.filter(slug=area))
    return user


@pytest.fixture
def cycle(migrated_rows, staff):
    """This year's open cycle, whose queue staff work through, and last
    year's, whose waitlisted application must not show in this year's queue."""
    with time_machine.travel(datetime(2025, 3, 3, 9, tzinfo=UTC), tick=False):
        now = timezone.now()
        last_year = Cycle.objects.create(
            name="2025-2026",
            opens_at=now - timedelta(days=10),
            closes_at=now + timedelta(days=30),
        )
        lin = make_user(
            "lin.wei@example.com",
            full_name="Lin Wei",
            country="CN",
            time_zone="Asia/Shanghai",
        )
        application = under_review(lin, last_year, "thoracic", staff)
        application_services.application_waitlist(
            application_id=application.pk, actor=staff
        )
    now = timezone.now()
    return Cycle.objects.create(
        name="2026-2027",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=30),
    )


@pytest.fixture
def queue(cycle, staff, mentee):
    """Mentees from four countries: three under review, one not yet."""
    ravi = make_user(
        "ravi.perera@example.com",
        full_name="Ravi Perera",
        country="LK",
        time_zone="Asia/Colombo",
    )
    ana = make_user(
        "ana.souza@example.com",
        full_name="Ana Souza",
        country="BR",
        time_zone="America/Sao_Paulo",
    )
    carlos = make_user(
        "carlos.mendoza@example.com",
        full_name="Carlos Mendoza",
        country="CO",
        time_zone="America/Bogota",
    )
    under_review(mentee, cycle, "breast", staff)
    under_review(ravi, cycle, "thoracic", staff)
    under_review(ana, cycle, "gastrointestinal", staff)
    submitted_application(carlos, cycle, "sarcoma")
    return {"amara": mentee, "ravi": ravi}


@pytest.fixture
def mentors(migrated_rows, mentor):
    """Approved mentors in four world regions. Kofi (Sub-Saharan Africa) may not
    mentor Amara (Nigeria), nor Meera (Southern Asia) Ravi (Sri Lanka)."""
    # The factory's mentor works in breast oncology.
    mentor_profile(mentor, capacity=2)
    return {
        "henrik": mentor,
        "kofi": approved_mentor(
            "kofi.boateng@example.com",
            "Kofi Boateng",
            "GH",
            "Africa/Accra",
            "breast",
            1,
        ),
        "meera": approved_mentor(
            "meera.iyer@example.com",
            "Meera Iyer",
            "IN",
            "Asia/Kolkata",
            "breast",
            1,
        ),
        "olivia": approved_mentor(
            "olivia.chen@example.com",
            "Olivia Chen",
            "CA",
            "America/Toronto",
            "thoracic",
            1,
        ),
    }


def rows(page):
    return page.locator("#result_list tbody tr")


def detail(record, term):
    """What a record's definition list says for `term`."""
    return record.locator(f"dt:text-is('{term}') + dd")


def test_staff_review_match_accept_and_schedule_the_intro_call(
    open_page, staff, queue, mentors
):
    amara, ravi = queue["amara"], queue["ravi"]
    meera, olivia = mentors["meera"], mentors["olivia"]
    # Staff work in their own time zone, which the admin shows times in.
    page = open_page(time_zone=staff.time_zone)

    # The admin sends them to the site's login, which asks for the code from
    # their authenticator app after the password, then back.
    page.goto("/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Two-Factor Authentication"
    )
    check_page(page, "staff-00-two-factor-code")
    enter_totp_code(page, staff.totp_secret)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Program administration")
    check_page(page, "staff-01-admin-home")

    # 1. The queue, filtered to this cycle's applications under review.
    page.locator("tr.model-application").get_by_role(
        "link", name="Applications"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Select application to change"
    )
    expect(rows(page)).to_have_count(5)
    filters = page.locator("#changelist-filter")
    filters.locator("[data-filter-title=cycle]").get_by_role(
        "link", name="2026-2027"
    ).click()
    # Last year's waitlisted application is gone; not yet reviewed, Carlos's
    # still shows.
    expect(rows(page)).to_have_count(4)
    expect(page.locator("#result_list")).not_to_contain_text("Lin Wei")
    expect(page.locator("#result_list")).to_contain_text("Carlos Mendoza")
    filters.locator("[data-filter-title=status]").get_by_role(
        "link", name="Under review"
    ).click()
    expect(rows(page)).to_have_count(3)
    expect(page.locator("#result_list")).not_to_contain_text("Carlos Mendoza")
    for name, country, region, interest in (
        ("Amara Okafor", "Nigeria", "Sub-Saharan Africa", "Breast"),
        ("Ravi Perera", "Sri Lanka", "Southern Asia", "Thoracic"),
        ("Ana Souza", "Brazil", "Latin America and the Caribbean", "Gastrointestinal"),
    ):
        row = rows(page).filter(has_text=name)
        for text in (country, region, "Under review", "Needs review", interest):
            expect(row).to_contain_text(text)
    check_page(page, "staff-02-queue-filtered")
    queue_url = page.url
    # The country is chosen from a list, with the other filters kept.
    filters.get_by_label("Country where you practise or train now").select_option(
        label="Brazil"
    )
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=under_review"))
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Ana Souza")
    page.goto(queue_url)

    # 2. Amara's application: her answers and how each rule judged them.
    page.get_by_role("link", name=re.compile("Amara Okafor")).click()
    expect(page.get_by_role("heading", level=2, name="Review actions")).to_be_visible()
    record = page.locator("#application_form")
    expect(record.locator(".field-status .readonly")).to_have_text("Under review")
    expect(detail(record, "Practises in")).to_have_text("Nigeria (Sub-Saharan Africa)")
    expect(detail(record, "Interests")).to_have_text("Breast")
    expect(detail(record, "Career goals")).to_have_text("Clinical research")
    rules = record.locator(".field-eligibility_details")
    expect(rules).to_contain_text("Overall: Needs review")
    expect(
        rules.locator("tr", has_text="Years since training").locator("td")
    ).to_have_text(
        [
            "Years since training",
            "Passes",
            re.compile("^You completed training in 2021"),
        ]
    )
    expect(
        rules.locator("tr", has_text="Interest in being mentored").locator("td")
    ).to_have_text(["Interest in being mentored", "Needs review", re.compile(".")])
    expect(record).to_contain_text(
        "I want guidance on building a breast cancer research program."
    )
    check_page(page, "staff-03-application")

    # Approving shows, before anything happens, what will change and the email.
    page.get_by_role("link", name="Approve", exact=True).click()
    expect(page.locator("#content-main")).to_contain_text(
        "Preview: nothing has changed and nothing is sent yet."
    )
    expect(page.locator("#changing")).to_contain_text("Under review → Approved")
    expect(page.locator("#content-main")).to_contain_text(
        "Subject: Your application to the Virtual Mentors Program is approved"
    )
    expect(
        page.frame_locator("iframe[title='The email as it will look']").locator("body")
    ).to_contain_text("Amara Okafor")
    check_page(page, "staff-04-approve-preview")
    page.get_by_role("button", name="Confirm and send 1 email").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Approve: done for 1 application(s); 1 email(s) to applicants queued."
    )
    expect(record.locator(".field-status .readonly")).to_have_text("Approved")
    approval = latest_email(amara.email)
    assert approval.subject == (
        "Your application to the Virtual Mentors Program is approved"
    )
    assert "Dear Amara Okafor" in approval.body

    # Ravi's, from the list, with the same preview.
    page.goto(queue_url)
    expect(rows(page)).to_have_count(2)
    page.get_by_role("checkbox", name=re.compile("Ravi Perera")).check()
    page.get_by_role("combobox", name=re.compile("^Action")).select_option(
        label="Approve…"
    )
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#changing")).to_contain_text("Ravi Perera")
    expect(page.locator("#changing")).to_contain_text("Under review → Approved")
    check_page(page, "staff-05-bulk-approve-preview", screenshot=False)
    page.get_by_role("button", name="Confirm and send 1 email").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Approve: done for 1 application(s)"
    )
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text("Ana Souza")
    assert latest_email(ravi.email).subject.endswith("is approved")

    # 3. Matching proposes a mentor for each approved mentee.
    page.goto("/admin/")
    page.get_by_role("link", name="Match runs").click()
    page.get_by_role("link", name="Propose matches").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose matches")
    check_page(page, "staff-06-propose")
    page.get_by_label("Cycle").select_option(label="2026-2027")
    page.get_by_role("button", name="Propose matches").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Proposed 2 pair(s) for 2 mentee(s), proven optimal."
    )
    run = page.locator("#content-main")
    expect(run).to_contain_text("2 of 2 waiting mentees matched")
    expect(run).to_contain_text("proven optimal")
    amara_row = rows(page).filter(has_text="Amara Okafor")
    ravi_row = rows(page).filter(has_text="Ravi Perera")
    expect(amara_row).to_contain_text("Henrik Larsen")
    expect(amara_row).to_contain_text("1 shared interest: Breast")
    expect(ravi_row).to_contain_text("Olivia Chen")
    expect(ravi_row).to_contain_text("1 shared interest: Thoracic")
    expect(run).to_contain_text("Every waiting mentee has a proposal.")
    check_page(page, "staff-07-match-run")

    # 4. Staff would rather Amara had Meera: the swap page ranks who may
    # mentor her, and says why the others may not.
    amara_row.get_by_role("link", name="Swap mentor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Another mentor for Amara Okafor"
    )
    eligible = page.locator("#content-main table tbody tr")
    expect(eligible.filter(has_text="Henrik Larsen")).to_contain_text("Proposed now")
    expect(eligible.filter(has_text="Meera Iyer")).to_contain_text(
        "1 shared interest: Breast"
    )
    # Olivia's one place is taken by Ravi in these proposals.
    expect(eligible.filter(has_text="Olivia Chen")).to_contain_text("Full")
    expect(page.locator("#content-main ul")).to_have_text(
        "Kofi Boateng (Ghana): the mentor is in the same world region "
        "(Sub-Saharan Africa)"
    )
    check_page(page, "staff-08-swap")
    page.get_by_role("button", name="Choose Meera Iyer").click()
    expect(page.locator(".messagelist")).to_contain_text("Mentor swapped.")
    expect(amara_row).to_contain_text("Meera Iyer")
    expect(amara_row).to_contain_text("chosen by staff")
    expect(amara_row).not_to_contain_text("Henrik Larsen")
    # Ravi's pair is right: locked, a re-run would keep it.
    ravi_row.get_by_role("button", name="Lock").click()
    expect(ravi_row).to_contain_text("Proposed, locked")
    check_page(page, "staff-09-match-run-adjusted")

    # 5. Accepting all asks first, listing the pairs.
    page.get_by_role("button", name="Accept all 2 proposed pairs").click()
    expect(page.locator("#content-main")).to_contain_text("Accept these 2 pairs?")
    pairs = page.locator("#content-main li")
    expect(pairs).to_have_text(
        [
            re.compile(r"^Amara Okafor with Meera Iyer \(fit \d+\)$"),
            re.compile(r"^Ravi Perera with Olivia Chen \(fit \d+\)$"),
        ]
    )
    check_page(page, "staff-10-accept-all")
    page.get_by_role("button", name="Accept 2 and send the emails").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Accepted 2 pair(s); each mentor and mentee is asked by email to accept."
    )
    expect(amara_row).to_contain_text("pairing: proposed")
    expect(ravi_row).to_contain_text("pairing: proposed")
    for person, other, role in (
        (amara, meera, "mentor"),
        (meera, amara, "mentee"),
        (ravi, olivia, "mentor"),
        (olivia, ravi, "mentee"),
    ):
        assert latest_email(person.email).subject == (
            f"Please accept your proposed {role}: {other.full_name}"
        )

    # 6. Both accept (journey 3 does this in the browser); the pairing is
    # confirmed and staff can host the introductory call.
    pairing = Pairing.objects.get(mentee=amara)
    for person in (amara, meera):
        matching_services.pairing_respond(
            pairing_id=pairing.pk, user=person, accept=True
        )
    page.goto("/admin/")
    page.get_by_role("link", name="Pairings").click()
    pairing_row = rows(page).filter(has_text="Amara Okafor")
    expect(pairing_row).to_contain_text("Meera Iyer")
    expect(pairing_row).to_contain_text("Introduced")
    expect(pairing_row).to_contain_text("Not scheduled")
    check_page(page, "staff-11-pairings", screenshot=False)
    pairing_row.get_by_role("link", name="Amara Okafor").click()
    expect(page.locator("#content-main")).to_contain_text("Confirmed: both accepted")
    check_page(page, "staff-12-pairing", screenshot=False)
    page.get_by_role("link", name="Introductory call").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Introductory call: Amara Okafor and Meera Iyer"
    )
    # The time is read in the staff member's own zone, and the field says so.
    expect(page.get_by_label("Date and time")).to_have_accessible_description(
        "In your time zone (America/New_York)."
    )
    check_page(page, "staff-13-intro-call-form")
    # Monday 16 March, 09:00 in New York (EDT, UTC-4).
    page.get_by_label("Date and time").fill("2026-03-16T09:00")
    page.get_by_label("Length (minutes)").fill("45")
    page.get_by_label("Video link or phone details").fill(
        "https://meet.example.org/intro-amara-meera"
    )
    page.get_by_label("Host").select_option(label=staff.full_name)
    page.get_by_role("button", name="Schedule it and send the invitations").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "The invitation is on its way to the mentee, the mentor and the host"
    )
    times = page.locator("#content-main table tbody tr")
    expect(times).to_have_count(3)
    for row, cells in enumerate(
        (
            ("Mentee: Amara Okafor", "Africa/Lagos", "Monday 16 March 2026, 14:00"),
            ("Mentor: Meera Iyer", "Asia/Kolkata", "Monday 16 March 2026, 18:30"),
            ("Host: Sam Staff", "America/New_York", "Monday 16 March 2026, 09:00"),
        )
    ):
        expect(times.nth(row).locator("td")).to_have_text(cells)
    expect(page.locator("#content-main")).to_contain_text(
        "45 minutes · https://meet.example.org/intro-amara-meera"
    )
    check_page(page, "staff-14-intro-call-scheduled")
    for person, local in (
        (amara, "14:00"),
        (meera, "18:30"),
        (staff, "09:00"),
    ):
        invitation = latest_email(person.email)
        assert invitation.subject.startswith("Introductory call with")
        assert f"16 Mar, {local}" in invitation.subject
        [(filename, _content, mimetype)] = invitation.attachments
        assert filename == "intro-call.ics"
        assert mimetype == "text/calendar; method=REQUEST"


def test_new_staff_set_up_two_factor_on_their_first_login(
    open_page, migrated_rows, monkeypatch
):
    """Someone just made staff logs in to the admin: they are sent to set up
    an authenticator app, save their recovery codes, and enter a code from
    the app before the admin opens."""
    # The secret and the recovery codes are random; fixed here, so that the
    # screenshots are the same on every run.
    monkeypatch.setattr(totp_auth, "generate_totp_secret", lambda: SETUP_SECRET)
    monkeypatch.setattr(
        RecoveryCodes, "generate_seed", staticmethod(lambda: "5eed" * 20)
    )
    newcomer = make_user(
        "nia.newcomer@example.com",
        full_name="Nia Newcomer",
        country="GB",
        time_zone="Europe/London",
        is_staff=True,
        is_superuser=True,
        two_factor=False,
    )
    page = open_page(time_zone=newcomer.time_zone)
    page.goto("/admin/")
    page.get_by_label("Email").fill(newcomer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    # Changing two-factor settings asks for the password again (allauth).
    expect(page.locator(".messages")).to_contain_text(
        "Staff accounts need two-factor authentication: set it up to continue."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    check_page(page, "staff-setup-01-confirm-password", screenshot=False)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    # The app: a QR code to scan, or the secret to type in.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Activate Authenticator App"
    )
    check_page(page, "staff-setup-02-authenticator")
    secret = page.get_by_label("Authenticator secret").input_value()
    assert secret == SETUP_SECRET
    page.get_by_label("Authenticator code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    # The recovery codes, made with it, shown once to save.
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    codes = page.get_by_label("Unused codes").input_value().split()
    assert codes == recovery_codes(newcomer)
    check_page(page, "staff-setup-03-recovery-codes")
    page.get_by_role("link", name="Continue to the admin").click()

    # The session began with the password alone: one code from the app.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    check_page(page, "staff-setup-04-enter-code", screenshot=False)
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Program administration")
