import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from conftest import PASSWORD
from mentorship.models import OutboundEmail

SIGNUP = {
    "email": "new.doctor@example.com",
    "password1": "a-long-signup-password-9",
    "password2": "a-long-signup-password-9",
    "full_name": "  Ana   Souza ",
    "country": "BR",
    "time_zone": "America/Sao_Paulo",
}


def link_in(message):
    return re.search(r"https?://\S+", message.body).group(0)


@pytest.mark.django_db
def test_signup_with_email_then_verify_logs_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")

    user = User.objects.get(email="new.doctor@example.com")
    assert user.full_name == "Ana Souza"
    assert user.country.code == "BR"
    assert user.time_zone == "America/Sao_Paulo"
    assert not hasattr(user, "username")

    row = OutboundEmail.objects.get(to=user.email)
    assert row.event == "account.email_confirmation_signup"
    assert row.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1

    # Not verified yet: logging in is held until the email is confirmed.
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": SIGNUP["email"], "password": SIGNUP["password1"]},
    )
    assert response.url == reverse("account_email_verification_sent")

    confirm_url = link_in(mail.outbox[0])
    page = client.get(confirm_url)
    assert page.status_code == 200
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.django_db
def test_signup_errors_are_shown_at_the_field_and_input_is_kept(client):
    bad = {
        **SIGNUP,
        "email": "not-an-email",
        "time_zone": "Mars/Olympus",
        "full_name": " ",
    }
    response = client.post(reverse("account_signup"), bad)
    assert response.status_code == 200
    form = response.context["form"]
    assert "email" in form.errors
    assert "time_zone" in form.errors
    assert "full_name" in form.errors
    assert 'value="not-an-email"' in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_refuses_an_email_already_registered_whatever_the_case(client, mentee):
    response = client.post(
        reverse("account_signup"), {**SIGNUP, "email": mentee.email.upper()}
    )
    assert User.objects.filter(email__iexact=mentee.email).count() == 1
    # Enumeration is prevented: the page looks like success, and the owner of
    # the address is told by email instead.
    assert response.status_code == 302


def test_login_is_by_email_only(client, mentee):
    response = client.get(reverse("account_login"))
    assert "username" not in response.content.decode().lower()
    response = client.post(
        reverse("account_login"), {"login": "Mentee@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, mentee):
    response = client.post(
        reverse("account_login"), {"login": mentee.email, "password": "wrong-one-123"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_logout(client, mentee):
    client.force_login(mentee)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_password_reset_sends_a_working_link(
    client, mentee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": mentee.email})
    assert [m.to for m in mail.outbox] == [[mentee.email]]
    reset_url = client.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(
        reset_url,
        {"password1": "a-brand-new-password-7", "password2": "a-brand-new-password-7"},
    )
    assert response.status_code == 302
    mentee.refresh_from_db()
    assert mentee.check_password("a-brand-new-password-7")


def test_change_email_adds_an_address_to_verify(
    client, mentee, django_capture_on_commit_callbacks
):
    client.force_login(mentee)
    # Changing the email asks for the password first (see test_sessions.py).
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_email"), {"action_add": "", "email": "amara@new.example"}
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["amara@new.example"]


def test_profile_edit_validates_and_saves(client, mentee):
    client.force_login(mentee)
    url = reverse("accounts:profile")
    response = client.post(
        url, {"full_name": "", "country": "ZZ", "time_zone": "Nowhere/City"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "full_name",
        "country",
        "time_zone",
        "reminder_delivery",
    }

    response = client.post(
        url,
        {
            "full_name": "Amara N. Okafor",
            "country": "GH",
            "time_zone": "Africa/Accra",
            "institution": "Korle Bu Teaching Hospital",
            "reminder_delivery": "weekly",
        },
    )
    assert response.status_code == 302
    mentee.refresh_from_db()
    assert (mentee.full_name, mentee.country.code, mentee.time_zone) == (
        "Amara N. Okafor",
        "GH",
        "Africa/Accra",
    )
    assert mentee.reminder_delivery == "weekly"


def test_profile_needs_login(client, db):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_admin_login_goes_through_allauth(client, mentee, staff):
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response.url)
    assert response.url.startswith(reverse("account_login"))

    client.force_login(mentee)
    assert client.get("/admin/").status_code in (302, 403)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
