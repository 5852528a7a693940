"""Journey 4: a mentee downloads a copy of her data, then asks for her
account to be deleted, and staff approve it."""

import io
import json
import zipfile

from playwright.sync_api import expect

from accounts.models import DeletionRequest, User
from conftest import PASSWORD, make_user
from journeys.browser import check_page, latest_email, link_in, log_in


def test_a_mentee_downloads_her_data_then_asks_to_be_deleted(
    open_page, page_for, transactional_db
):
    mentee = make_user(
        "amara.okafor@example.com",
        full_name="Amara Okafor",
        country="NG",
        time_zone="Africa/Lagos",
    )
    page = page_for(mentee)

    # Her details page has a section about her data.
    page.get_by_role("button", name="Your account").click()
    page.get_by_role("link", name="Your details").click()
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    check_page(page, "data-01-your-details")

    # Asking for a copy needs her password again; then the request goes on.
    page.get_by_role("button", name="Prepare a copy of my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    check_page(page, "data-02-password-again")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "We are preparing a copy of your data"
    )

    # The link comes by email; only she can download it.
    email = latest_email(mentee.email)
    assert email.subject == "Your data is ready to download"
    url = link_in(email, "/account/data/exports/")
    with page.expect_download() as download:
        page.evaluate("url => { window.location.href = url; }", url)
    content = download.value.path().read_bytes()
    data = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("data.json"))
    assert data["account"]["details"]["full_name"] == "Amara Okafor"

    page.goto("/account/profile/")
    expect(page.get_by_role("link", name="download your data")).to_be_visible()

    # Deleting the account: what goes and what stays, then a confirmation.
    page.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account?")
    check_page(page, "data-03-delete-account")
    page.get_by_role("button", name="Ask for my account to be deleted").click()
    expect(page.locator("#form-errors")).to_contain_text("Tick the box")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Ask for my account to be deleted").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "We have your request to delete your account"
    )
    expect(page.locator("main")).to_contain_text("You asked on")
    check_page(page, "data-04-request-pending", screenshot=False)
    assert DeletionRequest.objects.get().status == "pending"

    # Staff approve it from the request's page.
    staff = make_user("staff@example.org", full_name="Sam Staff", is_staff=True)
    staff.is_superuser = True
    staff.save()
    admin = open_page(time_zone="America/New_York")
    log_in(admin, staff.email, totp_secret=staff.totp_secret)
    admin.goto("/admin/accounts/deletionrequest/")
    admin.get_by_role("link", name="Amara Okafor").first.click()
    admin.get_by_role("link", name="Approve and delete the account").click()
    expect(admin.locator("#content-main")).to_contain_text("for good")
    check_page(admin, "data-05-staff-approve", screenshot=False)
    admin.get_by_role("button", name="Delete 1 account for good").click()
    expect(admin.locator(".messagelist")).to_contain_text("1 account(s) deleted")

    mentee.refresh_from_db()
    assert mentee.is_deleted
    assert User.objects.filter(email__iexact="amara.okafor@example.com").count() == 0
