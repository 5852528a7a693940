"""Staff use two-factor authentication: an authenticator app (TOTP) with
recovery codes, asked for at login, before any staff page; and the admin's
login is allauth's, with its rate limits."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.messages import get_messages
from django.test import Client as DjangoClient
from django.urls import reverse

from accounts.middleware import StaffTwoFactorMiddleware
from accounts.testing import fresh_totp_code, recovery_codes, totp_code
from conftest import PASSWORD, make_user

LOGIN = reverse("account_login")
CODE_STEP = reverse("mfa_authenticate")
SET_UP = reverse("mfa_activate_totp")
ENTER_CODE = reverse("mfa_reauthenticate")
STAFF_PAGES = ["/admin/", "/admin/applications/application/", "/staff/progress/"]


@pytest.fixture
def newcomer(db):
    """Just made staff: no authenticator app yet."""
    return make_user(
        "new.staff@example.com",
        full_name="Nia Newcomer",
        is_staff=True,
        is_superuser=True,
        two_factor=False,
    )


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def enter_password(client, user, next_url="/admin/"):
    return client.post(
        f"{LOGIN}?next={next_url}", {"login": user.email, "password": PASSWORD}
    )


def test_the_codes_are_those_of_rfc_6238():
    # The test vectors of RFC 6238, appendix B (SHA-1), cut to six digits.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    assert totp_code(secret, at=59) == "287082"
    assert totp_code(secret, at=1111111109) == "081804"
    assert totp_code(secret, at=1234567890) == "005924"


@pytest.mark.parametrize("url", [*STAFF_PAGES, "/", "/applications/"])
def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, newcomer, url):
    client.force_login(newcomer)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == SET_UP
    assert messages_of(response) == [StaffTwoFactorMiddleware.SET_UP]


def test_staff_without_an_authenticator_may_still_set_it_up_or_leave(client, newcomer):
    client.force_login(newcomer)
    for name in ("mfa_index", "account_email"):
        assert client.get(reverse(name)).status_code == 200, name
    # Setting it up asks for the password first, as changing two-factor
    # settings does (allauth's reauthentication): that page is let through.
    response = client.get(SET_UP)
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert client.get(response.url).status_code == 200
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert logged_in_user_id(client) is None


def test_other_people_are_not_affected(client, mentee):
    client.force_login(mentee)
    assert client.get("/").status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get("/staff/progress/").status_code == 404
    # The admin turns them away as before; nobody asks them for a code.
    assert client.get("/admin/").url == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_staff_who_entered_their_code_get_through(client, staff):
    client.force_login(staff)  # password and code, as at login (see conftest)
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 200, url


def test_a_session_without_the_code_is_asked_for_it(staff):
    # Django's own force_login: a session made without allauth's login, so
    # without the code step, like any login path that would skip it.
    client = DjangoClient()
    client.force_login(staff)
    response = client.get("/staff/progress/")
    assert response.status_code == 302
    assert response.url == f"{ENTER_CODE}?next=%2Fstaff%2Fprogress%2F"
    assert messages_of(response) == [StaffTwoFactorMiddleware.ENTER_CODE]
    assert client.get("/admin/").url.startswith(ENTER_CODE)

    response = client.post(response.url, {"code": "not-a-code"})
    assert "Incorrect code." in response.content.decode()
    assert client.get("/admin/").status_code == 302

    code = fresh_totp_code(staff.totp_secret)
    response = client.post(f"{ENTER_CODE}?next=/staff/progress/", {"code": code})
    assert response.url == "/staff/progress/"
    assert client.get("/staff/progress/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_first_login_sets_up_the_app_and_recovery_codes_then_reaches_the_admin(
    client, newcomer
):
    assert enter_password(client, newcomer).url == "/admin/"
    response = client.get("/admin/", follow=True)
    # allauth asks for the password again before two-factor settings change.
    confirm_url, _ = response.redirect_chain[-1]
    assert confirm_url.startswith(reverse("account_reauthenticate"))
    assert StaffTwoFactorMiddleware.SET_UP in response.content.decode()
    response = client.post(confirm_url, {"password": PASSWORD})
    assert response.url == SET_UP

    page = client.get(SET_UP)
    secret = page.context["form"].secret
    assert secret in page.content.decode()  # for apps that cannot scan
    response = client.post(SET_UP, {"code": "12"})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=newcomer).exists()
    response = client.post(SET_UP, {"code": fresh_totp_code(secret)})

    # The recovery codes are made with the app, and shown straight away.
    assert response.url == reverse("mfa_view_recovery_codes")
    assert set(
        Authenticator.objects.filter(user=newcomer).values_list("type", flat=True)
    ) == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes = recovery_codes(newcomer)
    assert len(codes) == 10
    page = client.get(response.url).content.decode()
    assert all(code in page for code in codes)

    # This session was opened with the password alone: one code, then in.
    response = client.get("/admin/")
    assert response.url.startswith(ENTER_CODE)
    response = client.post(response.url, {"code": fresh_totp_code(secret)})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_login_is_allauths_login(client, staff):
    response = client.get("/admin/")
    assert response.url == "/admin/login/?next=/admin/"
    response = client.get(response.url)
    assert response.url == f"{LOGIN}?next=%2Fadmin%2F"
    # The admin's own form is never shown nor accepted.
    response = client.post(
        "/admin/login/", {"username": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert logged_in_user_id(client) is None


def test_login_asks_staff_for_their_code_and_refuses_a_wrong_one(client, staff):
    response = enter_password(client, staff)
    assert response.url == CODE_STEP
    assert logged_in_user_id(client) is None
    page = client.get(CODE_STEP).content.decode()
    assert "Two-Factor Authentication" in page

    response = client.post(CODE_STEP, {"code": "not-a-code"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert logged_in_user_id(client) is None

    response = client.post(CODE_STEP, {"code": fresh_totp_code(staff.totp_secret)})
    assert response.url == "/admin/"
    assert logged_in_user_id(client) == str(staff.pk)
    assert client.get("/admin/").status_code == 200


def test_a_code_from_the_app_is_accepted_only_once(client, staff):
    code = fresh_totp_code(staff.totp_secret, margin=10)
    enter_password(client, staff)
    assert client.post(CODE_STEP, {"code": code}).url == "/admin/"
    client.post(reverse("account_logout"))
    enter_password(client, staff)
    response = client.post(CODE_STEP, {"code": code})
    assert "Incorrect code." in response.content.decode()
    assert logged_in_user_id(client) is None


def test_a_recovery_code_logs_in_once(client, staff):
    code, *others = recovery_codes(staff)
    enter_password(client, staff)
    assert client.post(CODE_STEP, {"code": code}).url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert recovery_codes(staff) == others

    client.post(reverse("account_logout"))
    enter_password(client, staff)
    response = client.post(CODE_STEP, {"code": code})
    assert "Incorrect code." in response.content.decode()
    assert logged_in_user_id(client) is None
    assert client.post(CODE_STEP, {"code": others[0]}).url == "/admin/"


def test_wrong_passwords_are_limited(client, staff):
    # allauth's default login_failed limit: five failures per address in
    # five minutes (ACCOUNT_RATE_LIMITS).
    for _ in range(5):
        response = client.post(
            LOGIN, {"login": staff.email, "password": "a-wrong-password-1"}
        )
        assert "not correct" in response.content.decode()
    response = enter_password(client, staff)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert logged_in_user_id(client) is None
    # Through the admin's address too: it is the same form.
    response = client.get("/admin/login/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    response = enter_password(client, staff)
    assert "Too many failed login attempts" in response.content.decode()


def test_wrong_codes_are_limited(client, staff):
    enter_password(client, staff)
    for _ in range(5):
        response = client.post(CODE_STEP, {"code": "not-a-code"})
        assert "Incorrect code." in response.content.decode()
    response = client.post(CODE_STEP, {"code": fresh_totp_code(staff.totp_secret)})
    assert "Too many failed login attempts" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_the_admin_never_shows_an_authenticators_secret(client, staff, newcomer):
    colleague = make_user("colleague@example.com", is_staff=True)
    totp = Authenticator.objects.get(user=colleague, type=Authenticator.Type.TOTP)
    client.force_login(staff)
    listing = client.get("/admin/mfa/authenticator/")
    assert listing.status_code == 200
    assert "colleague@example.com" in listing.content.decode()
    page = client.get(f"/admin/mfa/authenticator/{totp.pk}/change/")
    assert page.status_code == 200
    assert colleague.totp_secret not in page.content.decode()
    assert "seed" not in page.content.decode()
    assert client.get("/admin/mfa/authenticator/add/").status_code == 403
    # Lost phone and codes: staff remove it, and the owner sets it up again.
    response = client.post(
        f"/admin/mfa/authenticator/{totp.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
