"""Findings of a review, kept as tests: odd input never crashes or un-submits."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Interest
from applications.models import Application
from mentorship.services import email_render_and_queue
from mentorship.tests.world import rolled_back

from .conftest import pdf

FORM = reverse("applications:form")


def submitted(client, user, answers, capture):
    client.force_login(user)
    client.post(reverse("applications:apply"))
    with capture(execute=True):
        client.post(FORM, {**answers, "action": "submit", "cv": pdf()})
    application = Application.objects.get(applicant=user)
    assert application.status == "submitted"
    return application


# "²" passes str.isdigit() and fails int(): it was a server error; "١٢" (Arabic-
# Indic digits) was read as 12.
@pytest.mark.parametrize("value", ["9" * 25, "\u00b2", "\u0661\u0662", "-1"])
def test_an_interest_id_that_is_not_one_is_a_field_error(
    client, mentee, open_cycle, complete_answers, value
):
    client.force_login(mentee)
    client.post(reverse("applications:apply"))
    for field in ("interests", "career_goals"):
        response = client.post(
            FORM, {**complete_answers, field: [value], "action": "submit"}
        )
        assert response.status_code == 200
        assert field in response.context["form"].errors


@pytest.mark.parametrize("value", ["\u00b2", "abc", "9" * 25, "1 OR 1=1"])
def test_selected_rows_that_are_not_ids_select_nothing(
    client, staff, under_review, value
):
    # Django's admin looked the rows up with the id as it came: a server error.
    client.force_login(staff)
    for data in (
        {"action": "review_approve"},
        {"action": "review_approve", "step": "confirm"},
    ):
        with rolled_back() as written:
            response = client.post(
                reverse("admin:applications_application_changelist"),
                {**data, "_selected_action": [value]},
                follow=True,
            )
        assert response.status_code == 200
        assert not written
    under_review.refresh_from_db()
    assert under_review.status == "under_review"


def test_a_new_cv_on_a_form_with_errors_does_not_unsubmit(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    response = client.post(
        FORM,
        {
            **complete_answers,
            "monthly_hours": "abc",
            "action": "submit",
            "cv": pdf("new.pdf"),
        },
    )
    assert "Choose your CV again" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.cv_filename == "My CV.pdf"


def test_the_same_choices_in_another_order_change_nothing(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    client.post(
        FORM, {**complete_answers, "meeting_ways": ["email", "video"], "action": "save"}
    )
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.meeting_ways == ["email", "video"]


def test_a_retired_interest_stays_on_the_application(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    Interest.objects.filter(pk__in=complete_answers["interests"]).update(
        is_active=False
    )
    client.post(FORM, {**complete_answers, "action": "save"})
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.interests.count() == 1


def test_a_double_click_on_submit_is_a_success_not_an_error(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    submitted(client, mentee, complete_answers, django_capture_on_commit_callbacks)
    response = client.post(FORM, {**complete_answers, "action": "submit"}, follow=True)
    html = response.content.decode()
    assert "Your application is submitted" in html
    assert "already" not in html


def test_the_statement_is_limited_on_the_server(
    client, mentee, open_cycle, complete_answers
):
    client.force_login(mentee)
    client.post(reverse("applications:apply"))
    response = client.post(FORM, {"statement": "x" * 4001, "action": "save"})
    assert "statement" in response.context["form"].errors
    assert Application.objects.get().statement == ""


def test_a_cv_named_only_with_symbols_downloads_as_cv(client, mentee, open_cycle):
    client.force_login(mentee)
    client.post(reverse("applications:apply"))
    client.post(FORM, {"action": "save", "cv": pdf("★★.pdf")})
    application = Application.objects.get()
    response = client.get(reverse("applications:cv", args=[application.pk]))
    assert response.status_code == 200
    assert 'filename="cv.pdf"' in response["Content-Disposition"]


def test_plain_text_email_is_not_html_escaped(
    mentee, open_cycle, django_capture_on_commit_callbacks
):
    mentee.full_name = "Dr. O'Brien & Partner"
    with django_capture_on_commit_callbacks(execute=True):
        email_render_and_queue(
            key="t",
            event="t",
            to=mentee.email,
            template="application_submitted",
            context={"applicant": mentee, "application": None, "status_url": "u"},
        )
    assert "Dr. O'Brien & Partner" in mail.outbox[0].body


def test_an_empty_post_shows_the_form_again_and_changes_nothing(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    # It used to fail with a 500: the unbound form has no cleaned data.
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    response = client.post(FORM)
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.statement == complete_answers["statement"]
