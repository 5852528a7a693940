"""The review queue and the decision pages in admin, as staff use them."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.core import mail
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.admin_pages import plain_fieldset, plain_results
from accounts.models import Interest
from applications import services
from applications.models import Application, DeclineReason
from conftest import make_user, squeezed
from mentorship.models import Cycle, OutboundEmail

from .conftest import make_submitted

LIST = reverse("admin:applications_application_changelist")


def change_url(application):
    return reverse("admin:applications_application_change", args=[application.pk])


def review_url(application, action):
    return reverse(
        "admin:applications_application_review", args=[application.pk, action]
    )


@pytest.fixture
def queue(open_cycle, staff):
    """Four applicants under review, one still submitted, one not eligible."""
    people = [
        ("ana@example.com", "Ana Souza", "BR", {}),
        ("kwame@example.com", "Kwame Mensah", "GH", {}),
        (
            "lin@example.com",
            "Lin Wei",
            "CN",
            {"still_in_training": True, "training_completed_year": None},
        ),
        ("priya@example.com", "Priya Raman", "IN", {"training_completed_year": 2018}),
    ]
    reviewing = []
    for email, name, country, answers in people:
        user = make_user(email, full_name=name, country=country)
        application = make_submitted(user, open_cycle, **answers)
        reviewing.append(
            services.application_assign_reviewer(
                application_id=application.pk, actor=staff, reviewer=staff
            )
        )
    waiting = make_submitted(
        make_user("omar@example.com", full_name="Omar Haddad", country="JO"),
        open_cycle,
    )
    ineligible = make_submitted(
        make_user("emily@example.com", full_name="Emily Carter", country="US"),
        open_cycle,
    )
    return {"reviewing": reviewing, "waiting": waiting, "ineligible": ineligible}


def bulk(client, action, applications, **data):
    return client.post(
        LIST,
        {
            "action": f"review_{action}",
            "_selected_action": [a.pk for a in applications],
            **data,
        },
    )


# Who may see it


@pytest.mark.parametrize("who", ["anonymous", "mentee", "stranger"])
def test_no_one_but_staff_reaches_any_review_page(client, who, request, submitted):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    urls = [
        LIST,
        change_url(submitted),
        review_url(submitted, "approve"),
        reverse("admin:applications_application_export"),
        reverse("admin:applications_application_history", args=[submitted.pk]),
        reverse("admin:applications_declinereason_changelist"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    response = bulk(client, "approve", [submitted], step="confirm")
    assert response.status_code == 302
    assert Application.objects.get().status == "submitted"


# Bulk decisions


def test_a_bulk_decision_previews_then_sends_one_email_each_once_confirmed(
    client, staff, queue, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    mail.outbox.clear()
    selected = [*queue["reviewing"], queue["waiting"]]
    with django_capture_on_commit_callbacks(execute=True):
        page = bulk(client, "approve", selected, index="0")
    # The first page is the dry run: every recipient, the skipped, an example.
    assert page.status_code == 200
    html = page.content.decode()
    for application in queue["reviewing"]:
        assert application.applicant.email in html
    assert "Will change: 4 application(s), 4 email(s)" in html
    assert "Skipped: 1 application(s)" in html
    assert "only when the application is under review or waitlisted" in html
    assert "Your application to the Virtual Mentors Program is approved" in html
    assert "Example email" in html
    # ... and it changed nothing, and sent nothing.
    assert not Application.objects.filter(status="approved").exists()
    assert not OutboundEmail.objects.filter(event="application.approve").exists()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        done = bulk(client, "approve", selected, step="confirm")
    assert done.status_code == 302
    assert Application.objects.filter(status="approved").count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        a.applicant.email for a in queue["reviewing"]
    )
    assert Application.objects.get(pk=queue["waiting"].pk).status == "submitted"

    # Confirming again (a double click, a reload) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        bulk(client, "approve", selected, step="confirm")
    assert len(mail.outbox) == 4
    assert OutboundEmail.objects.filter(event="application.approve").count() == 4


def test_a_bulk_decline_checks_its_form_and_keeps_what_was_typed(
    client, staff, queue, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    selected = queue["reviewing"][:2]
    form = bulk(client, "decline", selected, index="0")
    assert form.context["show"] == "form"
    missing = bulk(client, "decline", selected, step="preview")
    assert "Choose a reason" in str(missing.context["form"].errors["reason"])
    wrong = bulk(
        client,
        "decline",
        selected,
        step="preview",
        reason="9" * 30,
        message="We hope to see you next year.",
    )
    assert "reason" in wrong.context["form"].errors
    assert "We hope to see you next year." in wrong.content.decode()

    reason = DeclineReason.objects.get(title="No suitable mentor")
    preview = bulk(
        client,
        "decline",
        selected,
        step="preview",
        reason=reason.pk,
        message="We hope to see you next year.",
    )
    html = preview.content.decode()
    assert "Will change: 2 application(s), 2 email(s)" in html
    assert "We hope to see you next year." in html  # in the example email
    assert not Application.objects.filter(status="declined").exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bulk(
            client,
            "decline",
            selected,
            step="confirm",
            reason=reason.pk,
            message="We hope to see you next year.",
        )
    assert Application.objects.filter(status="declined").count() == 2
    assert len(mail.outbox) == 2
    assert all(reason.text in m.body for m in mail.outbox)


def test_bulk_assign_and_rate_send_nothing(client, staff, queue):
    client.force_login(staff)
    for action in ("assign_reviewer", "rate"):
        first = bulk(client, action, [queue["waiting"]], index="0")
        assert first.context["show"] == "form"  # they ask before anything else
    colleague = make_user("colleague@example.com", full_name="Cara Colleague")
    colleague.is_staff = True
    colleague.save()
    selected = [queue["waiting"], queue["reviewing"][0]]
    bulk(
        client,
        "assign_reviewer",
        selected,
        step="confirm",
        reviewer=colleague.pk,
    )
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in selected]).values_list(
            "reviewer", "status"
        )
    ) == {(colleague.pk, "under_review")}
    not_staff = bulk(
        client,
        "assign_reviewer",
        selected,
        step="preview",
        reviewer=queue["waiting"].applicant.pk,
    )
    assert "reviewer" in not_staff.context["form"].errors
    bulk(client, "rate", selected, step="confirm", rating="5")
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in selected]).values_list(
            "rating", flat=True
        )
    ) == {5}
    assert not OutboundEmail.objects.exclude(
        event__in=["application.submitted", "application.ineligible"]
    ).exists()


def test_an_override_without_a_note_is_refused_at_the_field(client, staff, queue):
    client.force_login(staff)
    application = queue["ineligible"]
    response = client.post(
        review_url(application, "override_eligibility"),
        {"step": "preview", "criterion": "country_of_practice", "outcome": "pass"},
    )
    assert response.status_code == 200
    assert "Write a note" in str(response.context["form"].errors["note"])
    assert not application.eligibility_overrides.exists()


def test_one_application_s_review_from_its_page(
    client, staff, queue, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    application = queue["ineligible"]
    page = client.get(change_url(application)).content.decode()
    assert review_url(application, "override_eligibility") in page
    assert review_url(application, "approve") not in page  # not possible now

    data = {
        "criterion": "country_of_practice",
        "outcome": "pass",
        "note": "Moved to Canada in May; documents seen.",
    }
    preview = client.post(
        review_url(application, "override_eligibility"), {**data, "step": "preview"}
    )
    html = preview.content.decode()
    assert "Not eligible → Under review" in html
    assert "is under review" in html  # the example email
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            review_url(application, "override_eligibility"),
            {**data, "step": "confirm"},
        )
    assert done.url == change_url(application)
    application.refresh_from_db()
    assert application.status == "under_review"
    assert len(mail.outbox) == 1
    record = client.get(change_url(application)).content.decode()
    assert "Moved to Canada in May; documents seen." in record
    assert "Overridden" in record
    listing = client.get(LIST, {"q": "emily"}).content.decode()
    assert "overridden by staff" in listing


def test_a_refused_single_action_says_why(client, staff, queue):
    client.force_login(staff)
    application = queue["waiting"]
    preview = client.get(review_url(application, "approve"))
    assert "Skipped: 1 application(s)" in preview.content.decode()
    assert "only when the application is under review" in preview.content.decode()
    client.post(review_url(application, "approve"), {"step": "confirm"})
    messages = [str(m) for m in client.get(change_url(application)).context["messages"]]
    assert any("not possible" in m for m in messages)
    assert Application.objects.get(pk=application.pk).status == "submitted"
    assert client.get(review_url(application, "no_such_action")).status_code == 404


# The queue and the record


def test_the_queue_shows_what_staff_decide_on(client, staff, queue):
    client.force_login(staff)
    html = client.get(LIST).content.decode()
    for text in (
        "Ana Souza",
        "ana@example.com",
        "Brazil",
        "Latin America and the Caribbean",
        "Northern America",
        "Needs review",
        "Fails",
        "Country of practice",  # the failed criterion is named
        "Sam Staff",
        "All but drafts",
    ):
        assert text in html, text


def test_the_queue_s_rows_are_djangos_own_cell_for_cell(client, staff, queue):
    """The rows are written a row at a time (accounts.admin_pages.
    plain_results), in the HTML Django's admin writes a cell at a time."""
    application = queue["reviewing"][0]
    application.applicant.full_name = "Ana <Souza> & co"
    application.applicant.save()
    services.application_rate(application_id=application.pk, actor=staff, rating=4)
    services.application_override_eligibility(
        application_id=queue["ineligible"].pk,
        actor=staff,
        criterion="country_of_practice",
        outcome="pass",
        note="Works across the border.",
    )
    client.force_login(staff)
    for params in ({}, {"o": "-5.3", "status": "under_review"}, {"q": "example"}):
        cl = client.get(LIST, params).context["cl"]
        djangos = ["".join(row) for row in admin_list.results(cl)]
        assert len(djangos) == len(cl.result_list) > 0
        assert ["".join(row) for row in plain_results(cl)] == djangos
    html = client.get(LIST).content.decode()
    assert "Ana &lt;Souza&gt; &amp; co" in html
    assert f'href="{change_url(application)}"' in html


def test_a_pop_up_list_gets_djangos_own_rows(client, staff, queue):
    client.force_login(staff)
    cl = client.get(LIST, {"_popup": "1"}).context["cl"]
    rows = list(plain_results(cl))
    assert [len(row) for row in rows] == [len(cl.list_display)] * len(rows)
    assert "data-popup-opener" in "".join(rows[0])


def test_the_queue_filters(client, staff, queue, mentee, open_cycle):
    client.force_login(staff)
    services.application_start(user=mentee, cycle=open_cycle)  # a draft

    def names(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return {a.applicant.full_name for a in response.context["cl"].result_list}

    assert "Amara Okafor" not in names()
    assert names(status="draft") == {"Amara Okafor"}
    assert names(region="Sub-Saharan Africa") == {"Kwame Mensah"}
    assert names(practice_country="CN") == {"Lin Wei"}
    assert names(eligibility="fail") == {"Emily Carter"}
    assert names(mine="review") == {
        "Ana Souza",
        "Kwame Mensah",
        "Lin Wei",
        "Priya Raman",
    }
    services.application_rate(
        application_id=queue["reviewing"][0].pk, actor=staff, rating=3
    )
    assert "Ana Souza" not in names(mine="review")
    assert names(reviewer__id__exact=staff.pk) == names(mine="assigned")
    interest = Interest.objects.filter(kind=Interest.Kind.AREA).first()
    assert len(names(interests__id__exact=interest.pk)) == 6
    assert names(cycle__id__exact=open_cycle.pk) == names()
    assert names(q="kwame@example") == {"Kwame Mensah"}
    assert names(q="teaching hospital") == names()
    # Sorted by rating, highest first: the rated one leads.
    column = client.get(LIST).context["cl"].list_display.index("rating_column")
    by_rating = client.get(LIST, {"o": f"-{column}"}).context["cl"].result_list
    assert by_rating[0].applicant.full_name == "Ana Souza"
    column = client.get(LIST).context["cl"].list_display.index("years_column")
    most = client.get(LIST, {"o": f"-{column}"}).context["cl"].result_list
    fewest = client.get(LIST, {"o": f"{column}"}).context["cl"].result_list
    assert most[0].applicant.full_name == "Priya Raman"
    assert most[len(most) - 1].applicant.full_name == "Lin Wei"
    assert fewest[0].applicant.full_name == "Lin Wei"
    # Newest first, as the queue opens; oldest first on a click.
    column = client.get(LIST).context["cl"].list_display.index("submitted_column")
    oldest = client.get(LIST, {"o": f"{column}"}).context["cl"].result_list
    assert [a.pk for a in oldest] == sorted(a.pk for a in oldest)
    newest = client.get(LIST).context["cl"].result_list
    assert [a.pk for a in newest] == sorted((a.pk for a in newest), reverse=True)


def test_the_queue_s_times_read_as_the_record_s(client, staff, queue):
    """Day, month, year and time in the staff member's time zone, kept on one
    line."""
    client.force_login(staff)
    html = client.get(LIST).content.decode()
    application = queue["waiting"]
    at = application.submitted_at.astimezone(ZoneInfo(staff.time_zone))
    assert (
        '<td class="field-submitted_column"><span class="nowrap">'
        f"{at:%d %b %Y %H:%M}</span></td>"
    ) in html


def test_the_country_filter_is_a_list_that_keeps_the_other_filters(
    client, staff, queue
):
    client.force_login(staff)
    params = {"status": "under_review", "q": "example", "o": "-5", "p": "1"}
    html = client.get(LIST, params).content.decode()
    country = "practice_country__exact"
    assert f'<label for="id_filter_{country}"' in html
    assert f'<select id="id_filter_{country}" name="{country}">' in html
    assert '<option value="" selected>All</option>' in html  # nothing chosen
    assert '<option value="CN">China</option>' in html
    for name, value in params.items():
        hidden = f'<input type="hidden" name="{name}" value="{value}">'
        # Choosing a country starts again from the first page.
        assert (hidden in html) == (name != "p"), name

    def names(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return {a.applicant.full_name for a in response.context["cl"].result_list}

    # What the form sends: a country, or "All" (empty), with the rest.
    assert names(**{country: "CN", "status": "under_review"}) == {"Lin Wei"}
    assert names(**{country: "", "status": "under_review"}) == names(
        status="under_review"
    )
    assert len(names(**{country: ""})) == 6
    html = client.get(LIST, {country: "CN"}).content.decode()
    assert '<option value="CN" selected>China</option>' in html
    assert '<option value="" selected>All</option>' not in html


def test_the_whole_queue_s_count_is_shared_for_a_minute(
    client, staff, queue, open_cycle, settings
):
    """The unfiltered queue's count (every application but drafts) is
    shared for QUEUE_COUNT_SECONDS; its rows, and every filtered or searched
    page's count, are read afresh."""
    client.force_login(staff)

    def count(**params):
        return client.get(LIST, params).context["cl"].result_count

    assert count() == 6
    late = make_submitted(
        make_user("late@example.com", full_name="Leila Late", country="MA"),
        open_cycle,
    )
    page = client.get(LIST, {"o": "-8"})
    assert page.context["cl"].result_count == 6  # shared, sorted or not
    assert late in page.context["cl"].result_list
    assert count(status="submitted") == 2  # Omar's and Leila's
    assert count(q="example.com") == 7
    cache.clear()  # the minute is over
    assert count() == 7
    settings.QUEUE_COUNT_SECONDS = 0
    make_submitted(
        make_user("later@example.com", full_name="Lars Later", country="NO"),
        open_cycle,
    )
    assert count() == 8


def test_the_queue_s_cycle_interest_and_reviewer_choices_are_shared_for_a_minute(
    client, staff, queue, open_cycle, settings
):
    """The side bar's cycles, interests and staff to filter by are shared
    with the count for QUEUE_COUNT_SECONDS; the rows they filter are not."""
    client.force_login(staff)

    def choices():
        filters = client.get(LIST).context["cl"].filter_specs
        return {
            spec.field_path: [label for _, label in spec.lookup_choices]
            for spec in filters
            if hasattr(spec, "lookup_choices") and hasattr(spec, "field_path")
        }

    first = choices()
    assert "cycle" not in first  # one cycle: nothing to choose
    assert staff.full_name in first["reviewer"]
    area = Interest.objects.filter(kind=Interest.Kind.AREA).first()
    assert area.name in first["interests"]
    Cycle.objects.create(
        name="2027-2028",
        opens_at=open_cycle.opens_at + timedelta(days=365),
        closes_at=open_cycle.closes_at + timedelta(days=365),
    )
    newcomer = make_user("nadia@example.com", full_name="Nadia Staff", is_staff=True)
    area.name = "Renamed area"
    area.save()
    assert choices() == first  # shared
    later = client.get(LIST, {"cycle__id__exact": open_cycle.pk})
    assert len(later.context["cl"].result_list) == 6  # rows read afresh
    cache.clear()  # the minute is over
    now = choices()
    assert sorted(now["cycle"]) == ["2026-2027", "2027-2028"]
    assert newcomer.full_name in now["reviewer"]
    assert "Renamed area" in now["interests"]
    settings.QUEUE_COUNT_SECONDS = 0
    newcomer.full_name = "Nadia Renamed"
    newcomer.save()
    assert "Nadia Renamed" in choices()["reviewer"]


def test_the_record_reads_as_a_whole(client, staff, under_review):
    client.force_login(staff)
    services.application_rate(
        application_id=under_review.pk, actor=staff, rating=4, comment="Clear goals"
    )
    html = client.get(change_url(under_review)).content.decode()
    for text in (
        "Amara Okafor",
        "Nigeria",
        "Teaching Hospital",
        "I want guidance on building a research program.",
        "Years since training",
        "You completed training in 2021",
        "Staff read your CV",
        reverse("applications:cv", args=[under_review.pk]),
        "Reviewer: Sam Staff",
        "Rated 4 of 5",
        "Clear goals",
        "staff_notes",
    ):
        assert text in html, text
    # The timeline, a line for each change: when, status, what, note, who,
    # and whether the applicant sees it.
    at = timezone.localtime(
        under_review.events.get(description="Rated 4 of 5").at
    ).strftime("%d %b %Y %H:%M")
    staff_url = reverse("admin:accounts_user_change", args=[staff.pk])
    assert (
        f"<tr><td>{at}</td><td>Under review</td><td>Rated 4 of 5</td>"
        f'<td>Clear goals</td><td><a href="{staff_url}">Sam Staff</a></td>'
        "<td>Yes</td></tr>"
    ) in html
    assert "<td>Submitted</td><td>Submitted</td><td>—</td>" in html


@pytest.mark.parametrize("purged", [False, True])
def test_the_record_s_read_only_fieldsets_are_djangos_own(
    client, staff, under_review, purged
):
    """The record's fieldsets of read-only fields are written in Python
    (accounts.admin_pages.plain_fieldset), in the HTML of Django's
    template; the one with the editable staff notes is Django's."""
    if purged:
        Application.objects.filter(pk=under_review.pk).update(
            purged_at=timezone.now(), applicant=None
        )
    client.force_login(staff)
    response = client.get(change_url(under_review))
    html = squeezed(response.content.decode())
    plain = 0
    for index, fieldset in enumerate(response.context["adminform"]):
        place = {"heading_level": 2, "prefix": "fieldset", "id_prefix": 0}
        djangos = squeezed(
            render_to_string(
                "admin/includes/fieldset.html",
                {"fieldset": fieldset, "id_suffix": index, **place},
            )
        )
        ours = plain_fieldset(fieldset, id_suffix=index, **place)
        if ours is not None:
            assert squeezed(ours) == djangos, fieldset.name
            plain += 1
        assert djangos in html, fieldset.name
    assert plain == 4  # all but the review's, with its notes and help text


def test_staff_notes_are_saved_from_the_record_and_history_is_read_only(
    client, staff, under_review
):
    client.force_login(staff)
    page = client.get(change_url(under_review))
    data = {"staff_notes": "Call her about the June start."}
    response = client.post(change_url(under_review), data)
    assert response.status_code == 302, page
    under_review.refresh_from_db()
    assert under_review.staff_notes == "Call her about the June start."
    assert under_review.status == "under_review"

    history = client.get(
        reverse("admin:applications_application_history", args=[under_review.pk])
    )
    assert history.status_code == 200
    assert "Staff notes" in history.content.decode()
    version = under_review.history.last()
    revert_url = reverse(
        "admin:applications_application_simple_history",
        args=[under_review.pk, version.history_id],
    )
    assert client.get(revert_url).status_code == 200
    assert client.post(revert_url, {"staff_notes": "x"}).status_code == 403


def test_the_eligibility_column_names_what_fails_and_any_override():
    column = admin.site.get_model_admin(Application).eligibility_column
    application = Application(
        eligibility_outcome="fail",
        eligibility=[
            {"criterion": "country", "label": "Practises <abroad>", "outcome": "fail"},
            {"criterion": "years", "label": "Early career", "outcome": "pass"},
            {"criterion": "english", "label": "English", "outcome": "fail"},
        ],
    )
    assert column(application) == (
        "<strong>Fails</strong><br><small>Practises &lt;abroad&gt;, English</small>"
    )
    application.override_outcomes = {"english": "pass"}
    assert column(application) == (
        "<strong>Fails</strong><br><small>Practises &lt;abroad&gt;</small>"
        "<br><small>✎ overridden by staff</small>"
    )
    application.override_outcomes = {"country": "pass"}
    application.eligibility = application.eligibility[:2]
    application.eligibility_outcome = "pass"
    assert column(application) == (
        "<strong>Passes</strong><br><small>✎ overridden by staff</small>"
    )
    application.override_outcomes = {}
    application.eligibility = application.eligibility[1:2]
    assert column(application) == "<strong>Passes</strong>"
    application.eligibility_outcome = ""
    assert column(application) == "—"
