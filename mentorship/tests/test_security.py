"""What every page tells the browser: the Content Security Policy, with no
inline code of ours for it to block; the other security headers; and no copy
of a signed-in person's pages kept in any cache."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from applications import services as applications_services
from applications.tests.conftest import make_submitted
from mentorship import services
from mentorship.models import Cycle, IntroCall, Pairing
from mentorship.tests.factories import mentor_profile

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def policy_of(response) -> dict[str, str]:
    directives = (d.strip() for d in response["Content-Security-Policy"].split(";"))
    return dict(d.split(" ", 1) for d in directives if d)


class InlineCode(HTMLParser):
    """Whatever in a page the policy would block: an inline script (a
    `json_script` data block is not one: it does not run), a <style> block, a
    style or on* event attribute, a javascript: link."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        runs = attributes.get("type") != "application/json"
        if tag == "script" and not attributes.get("src") and runs:
            self.found.append(f"<script> without src: {self.get_starttag_text()}")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attributes.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on {self.get_starttag_text()}")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on {self.get_starttag_text()}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.fixture
def world(db, mentee, mentor, staff):
    """A cycle open for applications, an application with its CV under review,
    and a pairing under way with a plan and an introductory call."""
    now = timezone.now()
    cycle = Cycle.objects.create(
        name="2026-2027",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=30),
        program_starts_on=timezone.localdate() - timedelta(days=40),
    )
    application = applications_services.application_assign_reviewer(
        application_id=make_submitted(mentee, cycle).pk, actor=staff, reviewer=staff
    )
    mentor_profile(mentor)
    pairing = Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Pairing.Status.ACTIVE,
        confirmed_at=now,
        starts_on=timezone.localdate() - timedelta(days=40),
        ends_on=timezone.localdate() + timedelta(days=325),
    )
    objective = services.plan_objective_save(
        pairing_id=pairing.pk, user=mentee, title="Publish a first paper"
    )
    activity = services.plan_activity_save(
        pairing_id=pairing.pk,
        user=mentee,
        title="Draft the abstract",
        due_on=timezone.localdate() + timedelta(days=20),
        objective=objective,
    )
    IntroCall.objects.create(
        pairing=pairing,
        starts_at=now + timedelta(days=3),
        duration_minutes=30,
        location="https://meet.example.org/intro",
        host=staff,
        uid="intro-call-test@example.org",
    )
    return {
        "cycle": cycle,
        "application": application,
        "pairing": pairing,
        "objective": objective,
        "activity": activity,
    }


def public_pages(world):
    pulse = services._pulse_links(world["pairing"], 1, world["pairing"].mentee)
    return [
        reverse("home"),
        reverse("applications:check"),
        reverse("applications:apply"),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        pulse["yes_url"].removeprefix(services.absolute_url("")),
    ]


def mentee_pages(world):
    pairing, application = world["pairing"], world["application"]
    return [
        reverse("applications:list"),
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:withdraw", args=[application.pk]),
        reverse("mentorship:pairing_list"),
        reverse("mentorship:pairing_detail", args=[pairing.pk]),
        reverse("mentorship:plan", args=[pairing.pk]),
        reverse(
            "mentorship:plan_objective_edit",
            args=[pairing.pk, world["objective"].pk],
        ),
        reverse(
            "mentorship:plan_activity_edit", args=[pairing.pk, world["activity"].pk]
        ),
        reverse("matching:preferences"),
        reverse("accounts:profile"),
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("mfa_index"),
    ]


def mentor_pages(world):
    return [
        reverse("mentorship:mentor_profile"),
        reverse("mentorship:pairing_detail", args=[world["pairing"].pk]),
    ]


def staff_pages(world):
    application, pairing = world["application"], world["pairing"]
    pages = [
        reverse("matching:progress"),
        reverse("matching:progress_check_in", args=[pairing.pk]),
        reverse("admin:index"),
        reverse("admin:applications_application_change", args=[application.pk]),
        reverse(
            "admin:applications_application_review", args=[application.pk, "approve"]
        ),
        reverse("admin:mentorship_pairing_change", args=[pairing.pk]),
        reverse("admin:mentorship_pairing_intro_call", args=[pairing.pk]),
        reverse("admin:mentorship_pairing_extend", args=[pairing.pk]),
        reverse("admin:mentorship_pairing_end", args=[pairing.pk]),
        reverse("mentorship:survey_results"),
        reverse("admin:outbox_previews"),
        reverse("admin:outbox_preview", args=["pairing_introduction"]),
        reverse("admin:matching_matchrun_propose"),
    ]
    # Every model's list and add page: Django's admin templates with ours.
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_add".format(*info)))
    return pages


def fetch(client, url):
    response = client.get(url)
    assert response.status_code in (200, 403), (url, response.status_code)
    return response


def assert_strict_page(response, url):
    assert policy_of(response) == POLICY, url
    assert inline_code(response.content.decode()) == [], url


def test_public_pages_carry_the_policy_and_no_inline_code(client, world):
    for url in public_pages(world):
        assert_strict_page(fetch(client, url), url)


def test_the_pairs_pages_carry_the_policy_and_no_inline_code(
    client, world, mentee, mentor
):
    client.force_login(mentee)
    for url in mentee_pages(world):
        assert_strict_page(fetch(client, url), url)
    client.force_login(mentor)
    for url in mentor_pages(world):
        assert_strict_page(fetch(client, url), url)


def test_staff_pages_carry_the_policy_and_no_inline_code(client, world, staff):
    client.force_login(staff)
    for url in staff_pages(world):
        response = fetch(client, url)
        if response.status_code == 403:  # an add page that is not offered
            continue
        page = policy_of(response)
        # The pages that show an email as it will look allow style attributes
        # (mentorship.security.allow_email_styles); nothing else changes.
        if page.pop("style-src-attr", None) is not None:
            assert url in (
                reverse("admin:outbox_preview", args=["pairing_introduction"]),
                reverse(
                    "admin:applications_application_review",
                    args=[world["application"].pk, "approve"],
                ),
            ), url
        assert page == POLICY, url
        assert inline_code(response.content.decode()) == [], url


def test_the_email_previews_allow_style_attributes_and_nothing_more(
    client, world, staff
):
    client.force_login(staff)
    for url in (
        reverse("admin:outbox_preview", args=["pairing_introduction"]),
        reverse(
            "admin:applications_application_review",
            args=[world["application"].pk, "approve"],
        ),
    ):
        response = client.get(url)
        assert policy_of(response) == {**POLICY, "style-src-attr": "'unsafe-inline'"}
        # The email is whole inside the sandboxed frame, its quotes escaped:
        # none of it is part of the admin page.
        html = response.content.decode()
        assert ' sandbox srcdoc="&lt;p&gt;Dear ' in html, url
        assert inline_code(html) == [], url
    assert (
        "&lt;h2 style=&quot;font-size:1.1em&quot;&gt;"
        in client.get(
            reverse("admin:outbox_preview", args=["pairing_introduction"])
        ).content.decode()
    )


def test_the_checker_finds_inline_code():
    assert inline_code(
        '<script>alert(1)</script><script src="/s.js"></script>'
        '<script type="application/json" id="d">{}</script>'
        '<style>p{}</style><p style="color:red" onclick="x()">'
        '<a href="javascript:void(0)">'
    ) == [
        "<script> without src: <script>",
        "<style> block",
        'style= on <p style="color:red" onclick="x()">',
        'onclick= on <p style="color:red" onclick="x()">',
        'javascript: URL on <a href="javascript:void(0)">',
    ]


def test_every_response_sets_the_other_security_headers(client, world, mentee):
    urls = [reverse("home"), reverse("account_login")]
    responses = [client.get(url) for url in urls]
    client.force_login(mentee)
    responses.append(
        client.get(reverse("mentorship:pairing_detail", args=[world["pairing"].pk]))
    )
    responses.append(
        client.get(reverse("applications:cv", args=[world["application"].pk]))
    )
    for response in responses:
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_pages_of_a_signed_in_person_are_not_stored(
    client, world, mentee, mentor, staff
):
    pairing, application = world["pairing"], world["application"]
    client.force_login(mentor)
    cv = client.get(reverse("applications:cv", args=[application.pk]))
    assert cv.status_code == 200 and no_store(cv)
    for url in (
        reverse("mentorship:pairing_list"),
        reverse("mentorship:pairing_detail", args=[pairing.pk]),
        reverse("mentorship:plan", args=[pairing.pk]),
        reverse("mentorship:plan_pdf", args=[pairing.pk]),
        reverse("mentorship:pairing_intro_call_ics", args=[pairing.pk]),
        reverse("mentorship:mentor_profile"),
        reverse("accounts:profile"),
        reverse("account_email"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), url

    client.force_login(mentee)
    for url in (
        reverse("applications:list"),
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:cv", args=[application.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), url

    client.force_login(staff)
    for url in (
        reverse("matching:progress"),
        reverse("matching:progress_export") + f"?cycle={world['cycle'].pk}",
        reverse("admin:index"),
        reverse("admin:applications_application_changelist"),
        reverse("admin:applications_application_change", args=[application.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), url


def test_public_pages_may_be_cached(client, db):
    # Nothing personal on them: no reason to make every visit a full load.
    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")


def test_the_survey_page_carries_the_policy_and_no_inline_code(
    client, world, mentee, staff
):
    pairing = world["pairing"]
    services.pairing_end_early(pairing_id=pairing.pk, reason="Moved", actor=staff)
    client.force_login(mentee)
    url = reverse("mentorship:survey", args=[pairing.pk, "closing"])
    response = fetch(client, url)
    assert response.status_code == 200
    assert_strict_page(response, url)


def test_an_address_with_a_nul_character_is_a_bad_request(client, world, staff):
    # PostgreSQL refuses NUL in a query: these were server errors there.
    client.force_login(staff)
    pairing = world["pairing"]
    for url in (
        "/admin/mentorship/outboundemail/?status=%00",
        "/admin/applications/application/?practice_country__exact=NG%00",
        "/admin/accounts/mentorprofile/?interest=%00",
        "/admin/mentorship/pairing/?q=%00",
        "/admin/mentorship/pairing/?%00=1",
        f"/pairings/{pairing.pk}/survey/closing%00/",
        "/?next=%00",
    ):
        assert client.get(url).status_code == 400, url
    # The same pages without it are pages.
    assert client.get("/admin/mentorship/outboundemail/?status=sent").status_code == 200
