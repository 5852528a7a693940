"""Two-factor authentication for tests and benchmarks, never for a view.

Staff must pass a second factor before they reach a staff page (see
``accounts.middleware.StaffTwoFactorMiddleware``). Tests, the browser journeys
and the benchmarks need staff who have an authenticator app, and sessions in
which they used it, without driving the login pages each time:

- ``activate_two_factor`` gives a user what allauth's activation page gives:
  a TOTP authenticator for a secret, and recovery codes;
- ``totp_code`` computes the code an authenticator app shows for a secret,
  written here from RFC 6238 rather than taken from allauth, so the tests
  check allauth against the standard the apps follow;
- ``Client.force_login`` logs a user in the way a full login would have left
  the session: a password step, then the user's authenticator if they have
  one, recorded with allauth's own function. A staff member without an
  authenticator, or a session from Django's plain ``force_login``, still has
  no second factor, and the middleware treats it so.
"""

import base64
import hashlib
import hmac
import secrets
import struct
import time

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.http import HttpRequest
from django.test import Client as DjangoClient


def new_totp_secret() -> str:
    """A random secret in the form authenticator apps take (base32)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def activate_two_factor(user, secret: str | None = None) -> str:
    """Give `user` a TOTP authenticator and recovery codes, as activating an
    authenticator app on allauth's page does; returns the TOTP secret."""
    secret = secret or new_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_secret(user) -> str | None:
    """The secret of `user`'s authenticator app, if they have one."""
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).first()
    return decrypt(authenticator.data["secret"]) if authenticator else None


def recovery_codes(user) -> list[str]:
    """`user`'s recovery codes not used yet."""
    authenticator = Authenticator.objects.get(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    )
    return authenticator.wrap().get_unused_codes()


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for `secret` at `at` (now by
    default): RFC 6238 with SHA-1, the period and digits of the settings."""
    period, digits = mfa_settings.TOTP_PERIOD, mfa_settings.TOTP_DIGITS
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def fresh_totp_code(secret: str, margin: float = 3.0) -> str:
    """The current code, waiting for the next one when fewer than `margin`
    seconds of this one are left, so it is still valid when the app checks
    it (allauth accepts only the current period's code)."""
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < margin:
        time.sleep(left + 0.05)
    return totp_code(secret)


def record_two_factor_login(session, user) -> None:
    """Record in `session` what allauth records when `user` logs in: the
    password, then their authenticator, if they have one."""
    request = HttpRequest()
    request.session = session
    record_authentication(request, user, "password", email=user.email)
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).first()
    if authenticator is not None:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type
        )
    session.save()


class Client(DjangoClient):
    """Django's test client whose ``force_login`` leaves the session as
    logging in through allauth would: password, then the second factor the
    user has set up (none if they have not)."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        record_two_factor_login(self.session, user)
