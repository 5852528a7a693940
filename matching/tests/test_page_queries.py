"""Every page costs the same number of queries in a small program and in one
ten times larger: no page runs a query per row, per related record or per
item of someone's history.

The pages are every page of ours a person can reach (public, mentee, mentor,
the mentee who ranks mentors, staff), the admin's index and app pages, and
for every model registered in the admin (walked from ``admin.site``, so a new
one is covered without a change here) its list, one record, its history, its
add and delete pages where staff may use them, and every custom admin page.
A test checks that no URL of ours is left unvisited without a stated reason.

Each page is counted in the small world, with the caches a running site
has warmed (content types, the site) (``world.build``: one copy of
everyone), then counted again after ``world.grow`` adds nine more copies of
everything, the cast's own records included.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import DeletionRequest
from accounts.testing import Client
from applications.admin import REVIEW_ACTIONS
from mentorship import services
from mentorship.models import CheckIn, SurveyResponse

from . import world as worlds

OUR_APPS = {"accounts", "mentorship", "applications", "matching"}
GROWTH = 9  # copies added to the small world's one: ten times as large

# Pages that may cost more queries in the larger world, and by how many at
# most: none. (A page listed here must say why its cost grows.)
BOUND: dict[str, tuple[int, str]] = {}

# URLs of ours with no page to count, and why.
NOT_PAGES = {
    "mentorship:mentor_availability": "a POST that redirects to the profile",
    "mentorship:checkin_answer": "a POST that redirects to the pairing page",
    "mentorship:plan_start": "a POST that redirects to the plan",
    "matching:respond": "a POST that redirects to the pairing page",
    "matching:progress_nudge": "a POST that redirects to the dashboard",
    "bench_minimal": "the benchmark's page that does nothing (BENCH_MINIMAL_VIEW)",
    "mentorship:data_export_request": "a POST that starts the copy and redirects",
    "mentorship:account_delete_cancel": "a POST that redirects to the account page",
    "mentorship:data_export_download": "a file built in the background; "
    "building it costs the same queries however much the person has "
    "(mentorship/tests/test_data_export.py)",
}


@dataclass(frozen=True)
class Page:
    label: str
    who: str
    url: str
    method: str = "get"
    data: dict | None = None
    statuses: tuple[int, ...] = (200,)


def site_pages(w: worlds.World) -> list[Page]:
    pairing, closed = w.pairing, w.closed_pairing
    pulse = services._pulse_links(pairing, 1, w.mentee)["yes_url"]
    token = services.notification_unsubscribe_token(w.notification)
    pages = [
        Page("home", "visitor", reverse("home")),
        Page("health", "visitor", reverse("healthz"), statuses=(200, 503)),
        Page("eligibility check", "visitor", reverse("applications:check")),
        Page("apply", "visitor", reverse("applications:apply")),
        Page(
            "notify me, a mistyped address",
            "visitor",
            reverse("notification_request"),
            "post",
            {"email": "not-an-address"},
        ),
        Page(
            "unsubscribe",
            "visitor",
            reverse("notification_unsubscribe", args=[token]),
        ),
        Page("pulse link", "visitor", pulse.removeprefix(services.absolute_url(""))),
        Page("login", "visitor", reverse("account_login")),
        Page("sign up", "visitor", reverse("account_signup")),
        Page("password reset", "visitor", reverse("account_reset_password")),
    ]
    for who in ("mentee", "mentor"):
        pages += [
            Page("home", who, reverse("home")),
            Page("pairings", who, reverse("mentorship:pairing_list")),
            Page(
                "pairing", who, reverse("mentorship:pairing_detail", args=[pairing.pk])
            ),
            Page(
                "pairing, a contact with a mistake",
                who,
                reverse("mentorship:checkin_log", args=[pairing.pk]),
                "post",
                {"minutes": "0"},
                statuses=(400,),
            ),
            Page("plan", who, reverse("mentorship:plan", args=[pairing.pk])),
            Page(
                "plan, an objective with a mistake",
                who,
                reverse("mentorship:plan_objective_add", args=[pairing.pk]),
                "post",
                {},
                statuses=(400,),
            ),
            Page(
                "plan, an activity with a mistake",
                who,
                reverse("mentorship:plan_activity_add", args=[pairing.pk]),
                "post",
                {},
                statuses=(400,),
            ),
            Page(
                "plan objective",
                who,
                reverse(
                    "mentorship:plan_objective_edit", args=[pairing.pk, w.objective.pk]
                ),
            ),
            Page(
                "plan activity",
                who,
                reverse(
                    "mentorship:plan_activity_edit", args=[pairing.pk, w.activity.pk]
                ),
            ),
            Page("plan PDF", who, reverse("mentorship:plan_pdf", args=[pairing.pk])),
            Page(
                "introductory call (.ics)",
                who,
                reverse("mentorship:pairing_intro_call_ics", args=[pairing.pk]),
            ),
            Page(
                "closing survey",
                who,
                reverse("mentorship:survey", args=[closed.pk, "closing"]),
            ),
            Page("your details", who, reverse("accounts:profile")),
            Page("email addresses", who, reverse("account_email")),
            Page("password", who, reverse("account_change_password")),
            Page("two-factor", who, reverse("mfa_index")),
        ]
    application = w.application
    pages += [
        Page("apply", "mentee", reverse("applications:apply")),
        Page("application form", "mentee", reverse("applications:form")),
        Page("applications", "mentee", reverse("applications:list")),
        Page(
            "application",
            "mentee",
            reverse("applications:detail", args=[application.pk]),
        ),
        Page(
            "withdraw",
            "mentee",
            reverse("applications:withdraw", args=[application.pk]),
        ),
        Page("CV", "mentee", reverse("applications:cv", args=[application.pk])),
        Page("volunteer", "mentee", reverse("mentorship:mentor_volunteer")),
        Page("mentor profile", "mentor", reverse("mentorship:mentor_profile")),
        Page(
            "mentee's CV",
            "mentor",
            reverse("applications:cv", args=[w.past_application.pk]),
        ),
        Page("rank mentors", "ranking mentee", reverse("matching:preferences")),
        Page("staff progress", "staff", reverse("matching:progress")),
        Page(
            "staff progress, CSV",
            "staff",
            reverse("matching:progress_export") + f"?cycle={w.past.pk}",
        ),
        Page(
            "staff check-in",
            "staff",
            reverse("matching:progress_check_in", args=[pairing.pk]),
        ),
        Page("staff surveys", "staff", reverse("mentorship:survey_results")),
        Page(
            "delete my account",
            "mentee",
            reverse("mentorship:account_delete"),
            statuses=(200, 302),
        ),
        Page(
            "an application, as staff",
            "staff",
            reverse("applications:detail", args=[application.pk]),
        ),
        Page("two-factor", "staff", reverse("mfa_index")),
    ]
    return pages


def _record(w: worlds.World, model):
    """The record whose change page is counted: the one whose related rows
    grow with the world where there is one, else the first."""
    chosen = {
        "accounts.user": w.mentee,
        "accounts.mentorprofile": w.mentor_profile,
        "applications.application": w.application,
        "mentorship.cycle": w.past,
        "mentorship.openingnotification": w.notification,
        "mentorship.pairing": w.pairing,
        "mentorship.checkin": CheckIn.objects.filter(pairing=w.pairing).first(),
        "mentorship.surveyresponse": SurveyResponse.objects.filter(
            pairing=w.closed_pairing
        ).first(),
        "matching.matchrun": w.run,
        "account.emailaddress": EmailAddress.objects.filter(user=w.mentee).first(),
        "mfa.authenticator": Authenticator.objects.filter(user=w.staff).first(),
    }.get(model._meta.label_lower)
    record = chosen or model._default_manager.order_by("pk").first()
    assert record is not None, (
        f"The page test world has no {model._meta.verbose_name}: add some to "
        "matching/tests/world.py, so its admin pages are counted."
    )
    return record


def admin_pages(w: worlds.World) -> list[Page]:
    staff = w.staff
    request = type("Request", (), {"user": staff})()
    pages = [Page("admin index", "staff", reverse("admin:index"))]
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    pages += [
        Page(f"admin {label}", "staff", reverse("admin:app_list", args=[label]))
        for label in labels
    ]
    for model, model_admin in admin.site._registry.items():
        name = f"{model._meta.app_label}_{model._meta.model_name}"
        record = _record(w, model)
        pages += [
            Page(f"{name} list", "staff", reverse(f"admin:{name}_changelist")),
            Page(
                f"{name} record",
                "staff",
                reverse(f"admin:{name}_change", args=[record.pk]),
            ),
            Page(
                f"{name} history",
                "staff",
                reverse(f"admin:{name}_history", args=[record.pk]),
            ),
        ]
        if model_admin.has_add_permission(request):
            pages.append(Page(f"{name} add", "staff", reverse(f"admin:{name}_add")))
        if model_admin.has_delete_permission(request, record):
            pages.append(
                Page(
                    f"{name} delete",
                    "staff",
                    reverse(f"admin:{name}_delete", args=[record.pk]),
                )
            )
        if isinstance(model_admin, SimpleHistoryAdmin):
            version = record.history.order_by("history_id").first()
            pages.append(
                Page(
                    f"{name} history, one version",
                    "staff",
                    reverse(
                        f"admin:{name}_simple_history",
                        args=[record.pk, version.history_id],
                    ),
                )
            )
    application, pairing, run = w.application, w.pairing, w.run
    pages += [
        Page(
            f"application review: {action}",
            "staff",
            reverse(
                "admin:applications_application_review", args=[application.pk, action]
            ),
        )
        for action in REVIEW_ACTIONS
    ]
    pages += [
        Page(
            "applications export",
            "staff",
            reverse("admin:applications_application_export"),
        ),
        Page(
            "mentor decision",
            "staff",
            reverse(
                "admin:accounts_mentorprofile_decide",
                args=[w.mentor_profile.pk, "inactive"],
            ),
        ),
        Page("email templates", "staff", reverse("admin:outbox_previews")),
        # Every template is previewed from sample data, no query at all.
        Page(
            "an email template",
            "staff",
            reverse("admin:outbox_preview", args=["pairing_introduction"]),
        ),
        Page(
            "introductory call",
            "staff",
            reverse("admin:mentorship_pairing_intro_call", args=[pairing.pk]),
        ),
        Page(
            "extend the year",
            "staff",
            reverse("admin:mentorship_pairing_extend", args=[pairing.pk]),
        ),
        Page(
            "end early",
            "staff",
            reverse("admin:mentorship_pairing_end", args=[pairing.pk]),
        ),
        Page(
            "personal data due for removal",
            "staff",
            reverse("admin:applications_application_retention"),
        ),
        Page(
            "approve deleting an account",
            "staff",
            reverse(
                "admin:accounts_deletionrequest_decide",
                args=[DeletionRequest.objects.order_by("pk").first().pk, "approve"],
            ),
        ),
        Page("propose matches", "staff", reverse("admin:matching_matchrun_propose")),
        Page(
            "swap a mentor",
            "staff",
            reverse("admin:matching_matchrun_swap", args=[run.pk, w.proposal.pk]),
        ),
        Page(
            "accept all: confirm",
            "staff",
            reverse("admin:matching_matchrun_act", args=[run.pk]),
            "post",
            {"action": "accept_all"},
        ),
    ]
    return pages


def every_page(w: worlds.World) -> list[Page]:
    return site_pages(w) + admin_pages(w)


def clients(w: worlds.World) -> dict[str, Client]:
    people = {
        "mentee": w.mentee,
        "mentor": w.mentor,
        "ranking mentee": w.ranking_mentee,
        "staff": w.staff,
    }
    logged_in = {"visitor": Client()}
    for who, user in people.items():
        logged_in[who] = Client()
        logged_in[who].force_login(user)
    return logged_in


def warm_caches():
    """What a running site has cached after its first requests: every
    content type, the current site."""
    ContentType.objects.get_for_models(*apps.get_models())
    Site.objects.get_current()


def count(clients, pages) -> dict[str, int]:
    counts = {}
    for page in pages:
        client = clients[page.who]
        # Pieces a process keeps rendered (the empty check-in form): counted
        # as the first request after a start renders them, the dearest case.
        caches["fragments"].clear()
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, page.method)(page.url, page.data or {})
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code in page.statuses, (
            page.who,
            page.url,
            response.status_code,
            response.get("Location"),
        )
        key = f"{page.who}: {page.label}"
        assert key not in counts, f"two pages are called {key}"
        counts[key] = len(queries)
    return counts


def test_every_page_costs_the_same_queries_in_a_world_ten_times_larger(db, settings):
    # A session in use is saved again after a minute (to keep it alive): not
    # while the two worlds are counted, however long that takes.
    settings.SESSION_REFRESH_SECONDS = 24 * 3600
    w = worlds.build()
    people = clients(w)
    pages = every_page(w)
    warm_caches()
    small = count(people, pages)
    worlds.grow(w, GROWTH)
    cache.clear()  # what is shared for a while (the dashboard's counts) too
    large = count(people, every_page(w))
    assert large.keys() == small.keys()
    grew = {
        page: f"{small[page]} -> {large[page]} queries"
        for page in small
        if large[page] > small[page] + BOUND.get(page, (0, ""))[0]
    }
    assert grew == {}
    # Nothing is shrinking either: that would be a page the small world
    # did not fill (an empty list skips the queries for its rows).
    assert {p: (small[p], large[p]) for p in small if large[p] < small[p]} == {}


def _our_url_names(patterns, prefix="") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _our_url_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            module = getattr(pattern.callback, "__module__", "") or ""
            if module.split(".")[0] in OUR_APPS:
                names.add(prefix + pattern.name)
    return names


def test_every_page_of_ours_is_counted(db):
    """A new view or custom admin page is counted by the test above, or
    listed in NOT_PAGES with the reason it has no page."""
    w = worlds.build()
    visited = {resolve(page.url.split("?")[0]).view_name for page in every_page(w)}
    ours = _our_url_names(get_resolver().url_patterns)
    assert ours - visited - set(NOT_PAGES) == set()
    # The benchmark's do-nothing page is mounted only for benchmarks.
    assert set(NOT_PAGES) <= ours | {"bench_minimal"}
