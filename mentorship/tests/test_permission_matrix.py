"""Who may open what: every URL the project defines, for each kind of person.

The URL conf is walked, so a URL added without a row here fails the test that
names it: whoever adds a page decides, in this table, who sees it. Each row
says, for the visitor who is not logged in, the mentee, another mentee, the
mentee's mentor, another mentor, staff, and a staff member without
permissions, what a GET gives (and, for a URL that takes a POST, what an
empty POST gives): the page, a redirect to log in, a redirect elsewhere
(named), 404, 403, 405 or 400.

The URL's ids are always the mentee's own records (her application, her
pairing with the mentor, its check-in, plan and survey): for the other mentee
and the other mentor they are somebody else's, and somebody else's records
are 404, never 403 (which would admit they exist) and never the page.

A GET changes nothing (mail programs open links to scan them), and an empty
POST is a refusal, never a change: no request may write to the database
(its session aside), except where a row says that the POST, with nothing
in it, is the action itself (the pulse button, the one-click unsubscribe).

The admin is one family: staff get what ADMIN_STAFF says for each page, staff
without permissions are refused, everyone else is sent to log in. Its URLs are
listed one by one all the same, so that a new custom admin page must be
looked at here before it can be merged. allauth's pages have their own rows.
"""

import re
import types
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import (
    URLPattern,
    URLResolver,
    get_resolver,
    include,
    path,
    resolve,
    reverse,
)
from django.urls.exceptions import Resolver404

from accounts.models import DataExport, DeletionRequest, Interest
from accounts.testing import Client
from conftest import make_user
from matching.models import Exclusion, MatchRun, MenteePreference

from .world import build_world, rolled_back

# The mentee and the mentor are a pair this year (and were last year); the
# other mentee and the other mentor are another pair. "new_staff" is a staff
# member given no permissions yet; "staff" may do everything.
ROLES = (
    "anonymous",
    "mentee",
    "other_mentee",
    "mentor",
    "other_mentor",
    "staff",
    "new_staff",
)

PAGE = 200
BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
LOGIN = "login"  # 302 to the login page, which brings the person back here


def to(name: str) -> str:
    """A 302 to the page of that URL name (not the login page)."""
    return f"-> {name}"


def either(*choices) -> frozenset:
    """Any of these outcomes (only for allauth's steps, which depend on how
    far the person is in them)."""
    return frozenset(choices)


def everyone(outcome, **overrides) -> dict[str, object]:
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    return {**dict.fromkeys(ROLES, outcome), **overrides}


def signed_in(outcome, **overrides) -> dict[str, object]:
    """Anyone logged in gets `outcome`; the visitor is sent to log in."""
    return everyone(outcome, anonymous=LOGIN, **overrides)


def the_pair(outcome) -> dict[str, object]:
    """A page of the mentee and the mentor's pairing: theirs alone. Staff see
    pairings in the admin; the pair's own pages are a 404 to them, as to
    anyone else."""
    return signed_in(NOT_FOUND, mentee=outcome, mentor=outcome)


def staff_only(outcome, **overrides) -> dict[str, object]:
    """A staff page outside the admin: the visitor logs in; anyone else,
    staff without the permission too, gets the 404 of a page that is not
    there."""
    return signed_in(NOT_FOUND, staff=outcome, **overrides)


@dataclass(frozen=True)
class Row:
    get: dict[str, object]
    # What an empty POST gives; None for a page that only shows something.
    post: dict[str, object] | None = None
    # The URL's parameters, from the world.
    params: object = None
    # Roles whose empty POST is the action itself and may change rows.
    post_acts: frozenset = field(default_factory=frozenset)


def pair(w):
    return {"pk": w.pairing.pk}


TABLE: dict[str, Row] = {
    # Public pages
    "home": Row(get=everyone(PAGE), post=everyone(NOT_ALLOWED)),
    "healthz": Row(get=everyone(PAGE), post=everyone(NOT_ALLOWED)),
    "notification_request": Row(
        get=everyone(NOT_ALLOWED),
        # The home page again, with the error at the address field.
        post=everyone(PAGE),
    ),
    "notification_unsubscribe": Row(
        get=everyone(PAGE),
        # Mail programs' one-click unsubscribe: the signed link is the
        # authority, the POST needs nothing else.
        post=everyone(PAGE),
        params=lambda w: {"token": w.notification_token},
        post_acts=frozenset(ROLES),
    ),
    "applications:check": Row(get=everyone(PAGE), post=everyone(PAGE)),
    "applications:apply": Row(
        get=everyone(PAGE),
        # The button is the whole request: it starts an application. The two
        # mentees have theirs already; anyone else logged in starts one.
        post=signed_in(to("applications:form")),
        post_acts=frozenset({"mentor", "other_mentor", "staff", "new_staff"}),
    ),
    "mentorship:pulse": Row(
        # The link in the monthly email, answered without logging in: its
        # signed token is the authority, whoever opens it.
        get=everyone(PAGE),
        post=everyone(PAGE),
        params=lambda w: {"token": w.pulse_token},
        post_acts=frozenset(ROLES),
    ),
    # A mentee's application
    "applications:form": Row(
        # The form edits one's own application of this cycle: the mentee's is
        # under review and no longer changes, the other mentee's is submitted
        # and still may; anyone without one is sent to start one. An empty
        # POST shows the form as it is.
        get=signed_in(
            to("applications:apply"),
            mentee=to("applications:detail"),
            other_mentee=PAGE,
        ),
        post=signed_in(
            to("applications:apply"),
            mentee=to("applications:detail"),
            other_mentee=PAGE,
        ),
    ),
    "applications:list": Row(get=signed_in(PAGE)),
    "applications:detail": Row(
        # The applicant, and staff who may view applications.
        get=signed_in(NOT_FOUND, mentee=PAGE, staff=PAGE),
        params=lambda w: {"pk": w.application.pk},
    ),
    "applications:withdraw": Row(
        # The applicant's alone: staff decline an application, they do not
        # withdraw it.
        get=signed_in(NOT_FOUND, mentee=PAGE),
        # The button is the whole request: the applicant withdraws.
        post=signed_in(NOT_FOUND, mentee=to("applications:detail")),
        params=lambda w: {"pk": w.application.pk},
        post_acts=frozenset({"mentee"}),
    ),
    "applications:cv": Row(
        # The applicant, staff who may view applications, and the mentor she
        # is paired with in the application's cycle.
        get=signed_in(NOT_FOUND, mentee=PAGE, mentor=PAGE, staff=PAGE),
        params=lambda w: {"pk": w.application.pk},
    ),
    "matching:preferences": Row(
        # Open only to an approved mentee while the cycle takes rankings;
        # everyone else reads that it is closed.
        get=signed_in(PAGE),
        post=signed_in(PAGE),
    ),
    # Mentors
    "mentorship:mentor_volunteer": Row(
        get=signed_in(
            PAGE,
            mentor=to("mentorship:mentor_profile"),
            other_mentor=to("mentorship:mentor_profile"),
        ),
        post=signed_in(
            PAGE,
            mentor=to("mentorship:mentor_profile"),
            other_mentor=to("mentorship:mentor_profile"),
        ),
    ),
    "mentorship:mentor_profile": Row(
        get=signed_in(
            to("mentorship:mentor_volunteer"), mentor=PAGE, other_mentor=PAGE
        ),
        post=signed_in(
            to("mentorship:mentor_volunteer"), mentor=PAGE, other_mentor=PAGE
        ),
    ),
    "mentorship:mentor_availability": Row(
        get=everyone(NOT_ALLOWED),
        post=signed_in(to("mentorship:mentor_profile")),
    ),
    # The pair's own pages
    "mentorship:pairing_list": Row(get=signed_in(PAGE)),
    "mentorship:pairing_detail": Row(get=the_pair(PAGE), params=pair),
    "mentorship:checkin_log": Row(
        get=everyone(NOT_ALLOWED),
        # The pairing page again, with the errors at their fields.
        post=the_pair(BAD_REQUEST),
        params=pair,
    ),
    "mentorship:checkin_answer": Row(
        get=everyone(NOT_ALLOWED),
        post=the_pair(to("mentorship:pairing_detail")),
        params=lambda w: {"pk": w.pairing.pk, "checkin_pk": w.checkin.pk},
    ),
    "mentorship:plan": Row(get=the_pair(PAGE), params=pair),
    "mentorship:plan_start": Row(
        get=everyone(NOT_ALLOWED),
        # The plan has objectives already: refused, with a message.
        post=the_pair(to("mentorship:plan")),
        params=pair,
    ),
    "mentorship:plan_objective_add": Row(
        get=everyone(NOT_ALLOWED), post=the_pair(BAD_REQUEST), params=pair
    ),
    "mentorship:plan_objective_edit": Row(
        # An empty POST shows the form as it is.
        get=the_pair(PAGE),
        post=the_pair(PAGE),
        params=lambda w: {"pk": w.pairing.pk, "objective_pk": w.objective.pk},
    ),
    "mentorship:plan_activity_add": Row(
        get=everyone(NOT_ALLOWED), post=the_pair(BAD_REQUEST), params=pair
    ),
    "mentorship:plan_activity_edit": Row(
        get=the_pair(PAGE),
        post=the_pair(PAGE),
        params=lambda w: {"pk": w.pairing.pk, "activity_pk": w.activity.pk},
    ),
    "mentorship:plan_pdf": Row(get=the_pair(PAGE), params=pair),
    "mentorship:pairing_intro_call_ics": Row(get=the_pair(PAGE), params=pair),
    "mentorship:survey": Row(
        # Last year's closing survey, sent to each of the two.
        get=the_pair(PAGE),
        post=the_pair(BAD_REQUEST),
        params=lambda w: {"pk": w.closed_pairing.pk, "kind": "closing"},
    ),
    "matching:respond": Row(
        get=everyone(NOT_ALLOWED),
        # No answer chosen: back to the pairing page with the question.
        post=the_pair(to("mentorship:pairing_detail")),
        params=pair,
    ),
    # Staff pages outside the admin
    "mentorship:survey_results": Row(get=staff_only(PAGE)),
    "matching:progress": Row(get=staff_only(PAGE)),
    "matching:progress_export": Row(
        # Without a cycle asked for there is nothing to export.
        get=staff_only(NOT_FOUND)
    ),
    "matching:progress_nudge": Row(
        get=staff_only(NOT_ALLOWED),
        # The button is the whole request: staff nudge the pair.
        post=staff_only(to("matching:progress")),
        params=pair,
        post_acts=frozenset({"staff"}),
    ),
    "matching:progress_check_in": Row(
        get=staff_only(PAGE), post=staff_only(PAGE), params=pair
    ),
    # The person's own account
    "accounts:profile": Row(get=signed_in(PAGE), post=signed_in(PAGE)),
    # A copy of one's data, and deleting one's account, ask for the password
    # again first (a signed-in session alone is not enough); only then does
    # the download check whose copy it is.
    "mentorship:data_export_request": Row(
        get=everyone(NOT_ALLOWED),
        post=signed_in(to("account_reauthenticate")),
    ),
    "mentorship:data_export_download": Row(
        get=signed_in(to("account_reauthenticate")),
        params=lambda w: {"pk": w.data_export.pk},
    ),
    "mentorship:account_delete": Row(
        get=signed_in(to("account_reauthenticate")),
        post=signed_in(to("account_reauthenticate")),
    ),
    "mentorship:account_delete_cancel": Row(
        get=everyone(NOT_ALLOWED),
        post=signed_in(to("accounts:profile")),
        post_acts=frozenset({"other_mentee"}),
    ),
}


# allauth's pages. What matters: the pages of a person's account are theirs
# alone (a visitor logs in first); logging in, signing up and resetting a
# password are open; and someone logged in is sent on from the login and
# sign-up pages. The steps inside a login or a re-authentication send a
# person who is not in the middle of one back to its start.
LOGGED_IN_HOME = to("home")
REAUTHENTICATE = to("account_reauthenticate")


def with_app(outcome) -> dict[str, object]:
    """For staff, who all have an authenticator app (and recovery codes)."""
    return {"staff": outcome, "new_staff": outcome}


ALLAUTH: dict[str, Row] = {
    "account_login": Row(get=everyone(LOGGED_IN_HOME, anonymous=PAGE)),
    "account_signup": Row(get=everyone(LOGGED_IN_HOME, anonymous=PAGE)),
    "account_logout": Row(get=everyone(PAGE, anonymous=LOGGED_IN_HOME)),
    "account_inactive": Row(get=everyone(PAGE)),
    "account_reauthenticate": Row(get=signed_in(PAGE)),
    "account_request_reauthentication_code": Row(get=signed_in(PAGE)),
    "account_confirm_reauthentication_code": Row(
        get=signed_in(either(PAGE, to("account_request_reauthentication_code")))
    ),
    "account_email": Row(get=signed_in(PAGE)),
    "account_email_verification_sent": Row(get=everyone(PAGE)),
    "account_change_password": Row(get=signed_in(PAGE)),
    # Everyone here has a password: setting one is changing it.
    "account_set_password": Row(get=signed_in(to("account_change_password"))),
    "account_reset_password": Row(get=everyone(PAGE)),
    "account_reset_password_done": Row(get=everyone(PAGE)),
    "account_reset_password_from_key": Row(
        # A link that is not genuine: the page says so.
        get=everyone(PAGE),
        params=lambda w: {"uidb36": "1", "key": "not-a-real-key"},
    ),
    "account_reset_password_from_key_done": Row(get=everyone(PAGE)),
    "account_confirm_login_code": Row(
        get=everyone(LOGGED_IN_HOME, anonymous=to("account_login"))
    ),
    "account_confirm_email": Row(
        get=everyone(PAGE), params=lambda w: {"key": "not-a-real-key"}
    ),
    "mfa_index": Row(get=signed_in(PAGE)),
    "mfa_authenticate": Row(
        get=everyone(LOGGED_IN_HOME, anonymous=to("account_login"))
    ),
    # Changing how one logs in asks for the password again first; staff, who
    # entered a code from their app when they logged in, are asked for one
    # again only where allauth asks for a recent one.
    "mfa_reauthenticate": Row(get=signed_in(REAUTHENTICATE, **with_app(PAGE))),
    "mfa_activate_totp": Row(get=signed_in(REAUTHENTICATE)),
    "mfa_deactivate_totp": Row(get=signed_in(NOT_FOUND, **with_app(REAUTHENTICATE))),
    "mfa_view_recovery_codes": Row(
        get=signed_in(NOT_FOUND, **with_app(REAUTHENTICATE))
    ),
    "mfa_generate_recovery_codes": Row(get=signed_in(REAUTHENTICATE)),
    "mfa_download_recovery_codes": Row(
        get=signed_in(NOT_FOUND, **with_app(REAUTHENTICATE))
    ),
}


def model_admin(label, *, add=PAGE, delete=PAGE, change=PAGE) -> dict[str, object]:
    """What staff get on the pages Django's admin makes for one model."""
    app, model = label.split(".")
    prefix = f"admin:{app}_{model}"
    return {
        f"{prefix}_changelist": PAGE,
        f"{prefix}_add": add,
        f"{prefix}_history": PAGE,
        f"{prefix}_delete": delete,
        f"{prefix}_change": change,
        # The bare object URL, kept for old links: on to its change page.
        f"admin:admin/{app}/{model}/<path:object_id>/": to(f"{prefix}_change"),
    }


# The admin: what staff get on each of its pages. Everyone else is sent to log
# in (see admin_expected). Records that people make themselves (applications,
# mentor profiles, pairings, check-ins, surveys, emails) are never added by
# hand, and most are never deleted.
ADMIN_STAFF: dict[str, object] = {
    "admin:index": PAGE,
    "admin:login": to("admin:index"),
    "admin:logout": NOT_ALLOWED,  # logging out is a POST
    "admin:password_change": PAGE,
    "admin:password_change_done": PAGE,
    "admin:autocomplete": FORBIDDEN,  # without the field it completes
    "admin:jsi18n": PAGE,
    "admin:view_on_site": NOT_FOUND,  # interests have no page on the site
    "admin:app_list": PAGE,
    "admin:admin/(?P<url>.*)$": NOT_FOUND,
    **model_admin("auth.group"),
    **model_admin("sites.site"),
    **model_admin("account.emailaddress"),
    # Deleted at the person's request (Deletion requests), never here.
    **model_admin("accounts.user", delete=FORBIDDEN),
    "admin:auth_user_password_change": PAGE,
    **model_admin("accounts.interest"),
    # Authenticators are listed and deleted, never added or edited here.
    **model_admin("mfa.authenticator", add=FORBIDDEN),
    **model_admin("mentorship.outboundemail", add=FORBIDDEN, delete=FORBIDDEN),
    "admin:outbox_previews": PAGE,
    "admin:outbox_preview": PAGE,
    **model_admin("mentorship.cycle"),
    **model_admin("mentorship.openingnotification"),
    **model_admin("accounts.mentorprofile", add=FORBIDDEN),
    "admin:accounts_mentorprofile_decide": PAGE,
    "admin:accounts_mentorprofile_simple_history": PAGE,
    **model_admin("mentorship.checkin", add=FORBIDDEN, delete=FORBIDDEN),
    **model_admin("mentorship.pairing", add=FORBIDDEN, delete=FORBIDDEN),
    "admin:mentorship_pairing_intro_call": PAGE,
    "admin:mentorship_pairing_extend": PAGE,
    "admin:mentorship_pairing_end": PAGE,
    **model_admin("mentorship.surveyresponse", add=FORBIDDEN, delete=FORBIDDEN),
    **model_admin("applications.declinereason"),
    **model_admin("applications.application", add=FORBIDDEN, delete=FORBIDDEN),
    "admin:applications_application_export": PAGE,
    "admin:applications_application_review": PAGE,
    "admin:applications_application_simple_history": PAGE,
    **model_admin("matching.matchrun", add=FORBIDDEN, delete=FORBIDDEN),
    "admin:matching_matchrun_propose": PAGE,
    # A GET acts on nothing: back to the run.
    "admin:matching_matchrun_act": to("admin:matching_matchrun_change"),
    "admin:matching_matchrun_swap": PAGE,
    **model_admin("matching.exclusion"),
    **model_admin("matching.menteepreference", add=FORBIDDEN),
    # Copies people asked for are listed, never made or changed by hand.
    **model_admin("accounts.dataexport", add=FORBIDDEN, delete=FORBIDDEN),
    **model_admin("accounts.deletionrequest", add=FORBIDDEN, delete=FORBIDDEN),
    "admin:accounts_deletionrequest_decide": PAGE,
    "admin:applications_application_retention": PAGE,
}

# The admin's own pages that take a POST, and what staff get for an empty one:
# the page again, or back to where they were; nothing changes, no email goes.
ADMIN_POST: dict[str, object] = {
    "admin:mentorship_pairing_intro_call": PAGE,
    "admin:mentorship_pairing_extend": PAGE,
    "admin:mentorship_pairing_end": PAGE,
    "admin:accounts_mentorprofile_decide": PAGE,
    "admin:applications_application_review": PAGE,
    "admin:matching_matchrun_propose": PAGE,
    "admin:matching_matchrun_act": to("admin:matching_matchrun_change"),
    "admin:matching_matchrun_swap": PAGE,
    "admin:accounts_deletionrequest_decide": PAGE,
}

# A staff member who has been given no permissions yet: the admin's front
# page (empty), their own password, and a refusal everywhere else (the bare
# object URLs send on to the change page, which refuses).
ADMIN_NEW_STAFF: dict[str, object] = {
    "admin:index": PAGE,
    "admin:login": to("admin:index"),
    "admin:logout": NOT_ALLOWED,
    "admin:password_change": PAGE,
    "admin:password_change_done": PAGE,
    "admin:jsi18n": PAGE,
    "admin:view_on_site": NOT_FOUND,
    "admin:app_list": NOT_FOUND,
    "admin:admin/(?P<url>.*)$": NOT_FOUND,
    **{
        key: outcome
        for key, outcome in ADMIN_STAFF.items()
        if key.endswith("/<path:object_id>/")
    },
}


def admin_expected(key, role, method="get"):
    if method == "post":
        if role == "staff":
            return ADMIN_POST[key]
        if role == "new_staff":
            return FORBIDDEN
        return LOGIN
    if role == "staff":
        return ADMIN_STAFF[key]
    if role == "new_staff":
        return ADMIN_NEW_STAFF.get(key, FORBIDDEN)
    if key == "admin:logout":
        return to("admin:index")
    if key == "admin:login" and role != "anonymous":
        return FORBIDDEN
    return LOGIN


def all_patterns(resolver=None, prefix="", namespaces=()):
    """(key, pattern, route) for every URL in the URL conf. The key is the
    URL's name with its namespaces, or, for the admin's few unnamed URLs,
    the namespace and the route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            spaces = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from all_patterns(pattern, route, spaces)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or route
            yield ":".join((*namespaces, name)), pattern, route


# Parameters of the admin's own pages, beyond an object of the model.
def admin_params(key, w):
    custom = {
        "admin:outbox_preview": {"name": "pairing_introduction"},
        "admin:accounts_mentorprofile_decide": {
            "pk": w.mentor_profile.pk,
            "status": "approved",
        },
        "admin:mentorship_pairing_intro_call": {"pk": w.pairing.pk},
        "admin:mentorship_pairing_extend": {"pk": w.pairing.pk},
        "admin:mentorship_pairing_end": {"pk": w.pairing.pk},
        "admin:accounts_deletionrequest_decide": {
            "pk": w.deletion_request.pk,
            "decision": "refuse",
        },
        "admin:applications_application_review": {
            "object_id": w.application.pk,
            "action": "approve",
        },
        "admin:matching_matchrun_act": {"pk": w.run.pk},
        "admin:matching_matchrun_swap": {
            "pk": w.run.pk,
            "proposal_pk": w.proposal.pk,
        },
        "admin:auth_user_password_change": {"id": w.mentee.pk},
        "admin:view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(Interest).pk,
            "object_id": Interest.objects.first().pk,
        },
        "admin:app_list": {"app_label": "mentorship"},
    }
    return custom.get(key)


ADMIN_MODEL = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")


def admin_url(key, pattern, route, w) -> str:
    """A URL of the admin, with one existing object of its model where the
    URL takes one."""
    params = admin_params(key, w)
    if params is not None:
        return reverse(key, kwargs=params)
    if route == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    names = set(pattern.pattern.regex.groupindex) | set(
        getattr(pattern.pattern, "converters", {})
    )
    match = ADMIN_MODEL.match(route)
    obj = None
    if match and (names or pattern.pattern.regex.groups):
        model = apps.get_model(match["app"], match["model"])
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"The world has no {model._meta.label} for {key}"
    if "simple_history" in key:
        record = obj.history.order_by("history_id").first()
        return reverse(key, args=[obj.pk, record.history_id])
    if "object_id" in names:
        if pattern.name:
            return reverse(key, kwargs={"object_id": obj.pk})
        return "/" + route.replace("<path:object_id>", str(obj.pk))
    assert not names, f"Say in admin_params what {key} takes: {sorted(names)}"
    return reverse(key)


def url_of(key, pattern, route, w) -> str:
    if key.startswith("admin:"):
        return admin_url(key, pattern, route, w)
    row = TABLE.get(key) or ALLAUTH[key]
    return reverse(key, kwargs=row.params(w) if row.params else None)


def observe(response, url) -> object:
    """The outcome of one request, in the table's terms."""
    if response.status_code not in (301, 302, 303):
        return response.status_code
    location = urlsplit(response["Location"])
    try:
        match = resolve(location.path)
    except Resolver404:
        return f"-> {location.path}"
    back = parse_qs(location.query).get("next")
    if match.view_name in ("account_login", "admin:login") and back:
        return LOGIN if back == [url] else f"login, back to {back}"
    return to(match.view_name)


def attempt(client, method, url):
    """One request, undone afterwards so that every request meets the same
    world. Returns its outcome and the tables it wrote to."""
    with rolled_back() as written:
        try:
            response = getattr(client, method)(url)
            if response.streaming:  # a download: read it, as a browser would
                b"".join(response.streaming_content)
        except Exception as error:  # a 500: reported with the others
            return f"error {type(error).__name__}: {error}", set()
    return observe(response, url), written


@pytest.fixture
def world(db, mentee, mentor, staff):
    world = build_world(mentee=mentee, mentor=mentor, staff=staff)
    world.new_staff = make_user(
        "new.staff@example.com", full_name="Nora New", is_staff=True
    )
    # One object of each kind the admin's pages show, besides the world's.
    Group.objects.create(name="Reviewers")
    Exclusion.objects.create(
        mentee=world.other_mentee, mentor=mentor, note="Same hospital."
    )
    MenteePreference.objects.create(
        application=world.application, mentor=world.mentor_profile, rank=1
    )
    world.data_export = DataExport.objects.create(user=mentee)
    world.deletion_request = DeletionRequest.objects.create(user=world.other_mentee)
    return world


def client_for(role, world):
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


def row_of(key) -> Row:
    return TABLE.get(key) or ALLAUTH[key]


def expected(key, role, method="get"):
    if key.startswith("admin:"):
        return admin_expected(key, role, method)
    return getattr(row_of(key), method)[role]


def matches(got, want) -> bool:
    return got in want if isinstance(want, frozenset) else got == want


def takes_post(key) -> bool:
    if key.startswith("admin:"):
        return key in ADMIN_POST
    return row_of(key).post is not None


def has_row(key) -> bool:
    return key in TABLE or key in ALLAUTH or key in ADMIN_STAFF


def urls_without_a_row(resolver=None) -> list[str]:
    return [
        f"{key}  ({route})"
        for key, _, route in all_patterns(resolver)
        if not has_row(key)
    ]


def test_every_url_has_a_row():
    """A URL added without a row fails here, by name: say who may open it."""
    missing = urls_without_a_row()
    assert not missing, (
        "These URLs have no row in the permission matrix "
        "(mentorship/tests/test_permission_matrix.py): say, for each kind of "
        "person, what they get:\n  " + "\n  ".join(missing)
    )
    keys = {key for key, _, _ in all_patterns()}
    stale = [key for key in (*TABLE, *ALLAUTH, *ADMIN_STAFF) if key not in keys]
    assert not stale, f"Rows for URLs that no longer exist: {stale}"
    # A URL whose GET is refused for everyone is there for its POST: say
    # what an empty one gives.
    for key, row in TABLE.items():
        if set(row.get.values()) == {NOT_ALLOWED}:
            assert row.post is not None, f"{key}: say what an empty POST gives"
    assert set(ADMIN_POST) <= set(ADMIN_STAFF)


def test_a_new_url_is_named_until_it_has_a_row():
    """What a merge that adds pages (say, a personal-data export) meets: its
    URLs, in the project's URL conf or in the admin, each named."""
    urlconf = types.ModuleType("urlconf_with_new_pages")
    urlconf.urlpatterns = [
        path("account/data/export/", lambda r: None, name="personal_data_export"),
        path(
            "account/",
            include(
                (
                    [path("delete/", lambda r: None, name="delete_request")],
                    "accounts",
                )
            ),
        ),
        path(
            "admin/",
            include(
                (
                    [
                        path(
                            "accounts/user/<int:pk>/erase/",
                            lambda r: None,
                            name="accounts_user_erase",
                        )
                    ],
                    "admin",
                )
            ),
        ),
        path("", include(settings.ROOT_URLCONF)),
    ]
    assert urls_without_a_row(get_resolver(urlconf)) == [
        "personal_data_export  (account/data/export/)",
        "accounts:delete_request  (account/delete/)",
        "admin:accounts_user_erase  (admin/accounts/user/<int:pk>/erase/)",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_person_gets_what_the_table_says(world, role):
    client = client_for(role, world)
    wrong = []
    for key, pattern, route in all_patterns():
        if not has_row(key):
            wrong.append(f"{route} ({key}) has no row")
            continue
        url = url_of(key, pattern, route, world)
        got, written = attempt(client, "get", url)
        want = expected(key, role)
        if not matches(got, want):
            wrong.append(f"GET {url} ({key}): expected {want}, got {got}")
        # Mail programs open links to scan them: opening one changes nothing.
        if written:
            wrong.append(f"GET {url} ({key}) wrote to {sorted(written)}")
        if not takes_post(key):
            continue
        got, written = attempt(client, "post", url)
        want = expected(key, role, "post")
        if not matches(got, want):
            wrong.append(f"empty POST {url} ({key}): expected {want}, got {got}")
        acts = not key.startswith("admin:") and role in row_of(key).post_acts
        if written and not acts:
            wrong.append(f"empty POST {url} ({key}) wrote to {sorted(written)}")
        if acts and not written:  # the row is wrong, or the check is blind
            wrong.append(f"empty POST {url} ({key}) was to act, and wrote nothing")
    assert not wrong, f"As {role}:\n" + "\n".join(wrong)


MISSING = 2**31 - 1


def with_missing_ids(params: dict) -> dict:
    return {
        name: MISSING if isinstance(value, int) else value
        for name, value in params.items()
    }


@pytest.mark.parametrize("role", ["mentee", "mentor", "staff"])
def test_ids_that_do_not_exist_are_404(world, role):
    """Every id in a URL, swapped for one that exists nowhere: 404, for
    those who would see the page with a real one as for the rest."""
    client = client_for(role, world)
    wrong = []
    for key, row in TABLE.items():
        if row.params is None:
            continue
        params = row.params(world)
        if not any(isinstance(value, int) for value in params.values()):
            continue
        url = reverse(key, kwargs=with_missing_ids(params))
        for method in ("get", "post"):
            if method == "post" and row.post is None:
                continue
            # Asked to log in, or for the password again, before anything
            # is looked up: nothing to learn about any id.
            if getattr(row, method)[role] in (LOGIN, NOT_ALLOWED, REAUTHENTICATE):
                continue
            got, _ = attempt(client, method, url)
            if got != NOT_FOUND:
                wrong.append(f"{method.upper()} {url} ({key}): got {got}")
    assert not wrong, f"As {role}:\n" + "\n".join(wrong)


def test_another_pairs_record_under_ones_own_pairing_is_404(world):
    """The pairing in the URL is the mentee's own, the check-in, objective or
    activity after it another pair's: 404, and nothing changes."""
    w = world
    client = client_for("mentee", w)
    own = w.pairing.pk
    for name, kwargs in (
        ("mentorship:checkin_answer", {"checkin_pk": w.other_checkin.pk}),
        ("mentorship:plan_objective_edit", {"objective_pk": w.other_objective.pk}),
        ("mentorship:plan_activity_edit", {"activity_pk": w.other_activity.pk}),
    ):
        url = reverse(name, kwargs={"pk": own, **kwargs})
        assert attempt(client, "post", url) == (NOT_FOUND, set()), url
    # Nor can an activity of her plan be tied to another pair's objective.
    url = reverse(
        "mentorship:plan_activity_edit",
        kwargs={"pk": own, "activity_pk": w.activity.pk},
    )
    with rolled_back() as written:
        response = client.post(
            url,
            {
                "title": "Draft the abstract",
                "due_on": w.activity.due_on.isoformat(),
                "objective": w.other_objective.pk,
            },
        )
    assert response.status_code == BAD_REQUEST
    assert "objective" in response.context["form"].errors
    assert written == set()
    # Staff too: a proposal of one match run, under another run, is a 404.
    other_run = MatchRun.objects.create(cycle=w.cycle, created_by=w.staff)
    swap = reverse(
        "admin:matching_matchrun_swap",
        kwargs={"pk": other_run.pk, "proposal_pk": w.proposal.pk},
    )
    assert attempt(client_for("staff", w), "get", swap)[0] == NOT_FOUND
