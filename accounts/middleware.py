import time
import zoneinfo
from urllib.parse import unquote, urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .timezones import is_valid_time_zone

# Set by static/js/site.js from the browser, so that visitors who are not
# logged in also see dates in their own time zone.
BROWSER_TIME_ZONE_COOKIE = "tz"


def time_zone_middleware(get_response):
    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            name = user.time_zone
        else:
            name = unquote(request.COOKIES.get(BROWSER_TIME_ZONE_COOKIE, ""))
        if is_valid_time_zone(name):
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return get_response(request)

    return middleware


SESSION_REFRESHED_KEY = "_refreshed_at"


def session_refresh_middleware(get_response):
    """Keep a session in use alive: its expiry starts again from the
    request, so that it ends ``SESSION_COOKIE_AGE`` seconds after the last
    request, not after the login.

    Saving the session on every request (``SESSION_SAVE_EVERY_REQUEST``) would
    do it at the cost of a write and a commit on every page. Instead the
    session is marked changed, and so saved with a new expiry by
    ``SessionMiddleware``, when its last save was ``SESSION_REFRESH_SECONDS``
    ago or more: a session then ends between that many seconds before and
    ``SESSION_COOKIE_AGE`` after its last request. An empty session (a visitor
    who was never signed in) is left alone, as Django leaves it.
    """

    def middleware(request):
        session = request.session
        if not session.is_empty():
            now = int(time.time())
            refreshed = session.get(SESSION_REFRESHED_KEY)
            if (
                not isinstance(refreshed, int)
                or not 0 <= now - refreshed < settings.SESSION_REFRESH_SECONDS
            ):
                session[SESSION_REFRESHED_KEY] = now
        return get_response(request)

    return middleware


def session_refreshed_at_login(sender, request, user, **kwargs):
    """Logging in saves the session, with a new expiry: the next minute's
    pages need not save it again (connected to ``user_logged_in``)."""
    request.session[SESSION_REFRESHED_KEY] = int(time.time())


class StaffTwoFactorMiddleware:
    """Staff pass a second factor before any page their staff rights open.

    A staff member (or superuser) who has no authenticator app yet is sent to
    set one up; one who has it but did not use it in this session is asked
    for a code from it. Only the pages needed to do either are let through:
    allauth's two-factor pages, logging in and out, confirming access, and
    the email pages (an authenticator can only be added once every address
    is verified). Static files never reach this middleware.

    It guards every page, not only ``/admin/`` and ``/staff/``: staff rights
    also open pages elsewhere (any application at ``/applications/<id>/``,
    any CV), and a list of prefixes would miss the next such page.

    Having an authenticator is not enough; this session must have used it.
    allauth's login asks for the code whenever the user has one, but only on
    the paths that go through its login stages. A session made any other way
    (a future view calling ``django.contrib.auth.login``, a session from
    before the staff member had an authenticator or was made staff, one in
    which they set the authenticator up after logging in with a password)
    would otherwise reach staff pages on a password alone. allauth records
    each step of an authentication in the session
    (``get_authentication_records``): the second factor is an ``mfa`` record,
    written by the login's code step and by ``mfa_reauthenticate``, which is
    where such a session is sent to enter a code. Tests record it as allauth
    does, through the test client's ``force_login`` (accounts/testing.py).
    """

    ALLOWED_URL_NAMES = {
        "account_login",
        "account_logout",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
        "account_email",
        "account_email_verification_sent",
        "account_confirm_email",
    }
    SET_UP = "Staff accounts need two-factor authentication: set it up to continue."
    ENTER_CODE = (
        "Staff pages need two-factor authentication: enter a code from your "
        "authenticator app to continue."
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not (user.is_authenticated and _is_staff(user)):
            return None
        match = request.resolver_match
        url_name = match.url_name or ""
        if not match.namespaces and (
            url_name in self.ALLOWED_URL_NAMES or url_name.startswith("mfa_")
        ):
            return None  # allauth's own pages, which are not namespaced
        if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            messages.warning(request, self.SET_UP)
            return redirect("mfa_activate_totp")
        if not _used_second_factor(request, user):
            messages.info(request, self.ENTER_CODE)
            query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return None


def _is_staff(user) -> bool:
    return user.is_staff or user.is_superuser


def _used_second_factor(request, user) -> bool:
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, user)
    )
