from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from applications.models import Application
from mentorship.models import OutboundEmail
from mentorship.tasks import send_email

from .conftest import PDF_BYTES, pdf

FORM = reverse("applications:form")


def start(client, user):
    client.force_login(user)
    assert client.post(reverse("applications:apply")).url == FORM
    return Application.objects.get(applicant=user)


def submit(client, answers, cv=None, capture=None):
    data = {**answers, "action": "submit"}
    if cv is not None:
        data["cv"] = cv
    return client.post(FORM, data)


def test_anonymous_visitor_is_sent_to_log_in_and_back(client, open_cycle):
    page = client.get(reverse("applications:apply"))
    assert "Applications are open" in page.content.decode()
    assert f"?next={reverse('applications:apply')}" in page.content.decode()
    response = client.get(FORM)
    assert response.url.startswith(reverse("account_login"))


def test_draft_is_saved_resumed_and_submitted_with_one_email(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = start(client, mentee)
    assert application.status == "draft"
    # A draft may be half done.
    response = client.post(FORM, {"institution": "LUTH", "action": "save"})
    assert response.url == FORM
    application.refresh_from_db()
    assert application.institution == "LUTH"
    assert "LUTH" in client.get(FORM).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, complete_answers, cv=pdf())
    assert response.url == reverse("applications:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == "submitted"
    assert {r["criterion"]: r["outcome"] for r in application.eligibility}["cv"] == (
        "review"
    )
    assert [m.subject for m in mail.outbox] == [
        "Your application to the Virtual Mentors Program is submitted"
    ]
    page = client.get(response.url).content.decode()
    assert "Submitted" in page and "What happens next" in page

    # The send task delivered again (a retry, a redelivery) sends nothing new.
    confirmation = OutboundEmail.objects.get(event="application.submitted")
    assert send_email(confirmation.pk) is False
    assert len(mail.outbox) == 1

    # A double click: the same answers posted again submit nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        again = submit(client, complete_answers)
    assert again.status_code == 302
    application.refresh_from_db()
    assert application.status == "submitted"
    assert Application.objects.count() == 1
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.count() == 1


def test_a_double_click_with_the_cv_attached_submits_once(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    # The browser sends the whole form twice, the CV file with it each time.
    # The second copy of the same file once counted as a change: it reopened
    # the submitted application and submitted it again, with a second email.
    application = start(client, mentee)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = submit(client, complete_answers, cv=pdf())
        assert response.url == reverse("applications:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.cv_filename == "My CV.pdf"
    assert list(application.events.values_list("description", flat=True)) == [
        "Draft started",
        "Submitted",
    ]
    assert len(mail.outbox) == 1
    # A different file is a change: the application is submitted again with it.
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, complete_answers, cv=pdf(content=PDF_BYTES + b"%new\n"))
    assert application.events.filter(description="Submitted").count() == 2


def test_ineligible_answers_show_every_failed_criterion_and_can_be_corrected(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = start(client, mentee)
    bad = {**complete_answers, "practice_country": "US", "prior_idea_award": "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, bad, cv=pdf())
    application.refresh_from_db()
    assert application.status == "ineligible"
    page = client.get(response.url).content.decode()
    assert "outside United States" in page
    assert "IDEA or IDEA-PC recipients" in page
    body = mail.outbox[0].body
    assert "outside United States" in body and "IDEA" in body

    with django_capture_on_commit_callbacks(execute=True):
        submit(client, complete_answers)
    application.refresh_from_db()
    assert application.status == "submitted"
    assert len(mail.outbox) == 2
    descriptions = list(application.events.values_list("description", flat=True))
    assert descriptions[0] == "Draft started"
    assert descriptions[-1] == "Submitted"
    assert any(d.startswith("Reopened") for d in descriptions)


def test_sending_the_same_ineligible_answers_again_tells_the_applicant_once(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = start(client, mentee)
    bad = {**complete_answers, "practice_country": "US"}
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, bad, cv=pdf())
        response = submit(client, bad)  # a double click
    application.refresh_from_db()
    assert application.status == "ineligible"
    assert "outside United States" in client.get(response.url).content.decode()
    assert len(mail.outbox) == 1
    not_eligible = application.events.filter(description__startswith="Not eligible")
    assert not_eligible.count() == 1
    # Failing for another reason is news: the applicant hears of it.
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, {**bad, "prior_idea_award": "yes"})
    assert len(mail.outbox) == 2
    assert "IDEA" in mail.outbox[1].body


def test_errors_are_shown_at_the_field_and_nothing_typed_is_lost(
    client, mentee, open_cycle, complete_answers
):
    application = start(client, mentee)
    bad = {
        **complete_answers,
        "monthly_hours": "lots",
        "training_completed_year": "3020",
        "consent": "",
    }
    response = submit(client, bad, cv=pdf("kept.pdf"))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"monthly_hours", "training_completed_year", "consent"}
    html = response.content.decode()
    assert "Lagos University Teaching Hospital" in html
    assert "I want guidance on building" in html
    # The valid CV was kept, and the page says so.
    application.refresh_from_db()
    assert application.cv_filename == "kept.pdf"
    assert "kept.pdf" in html
    assert application.status == "draft"


def test_submission_after_the_window_closes_is_refused(
    client, mentee, open_cycle, complete_answers
):
    start(client, mentee)
    with time_machine.travel(open_cycle.closes_at + timedelta(seconds=1)):
        response = submit(client, complete_answers, cv=pdf())
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.status == "draft"


def test_closing_instant_is_exact(mentee, open_cycle, complete_answers):
    from applications import services

    application = services.application_start(user=mentee, cycle=open_cycle)
    with time_machine.travel(open_cycle.closes_at - timedelta(seconds=1), tick=False):
        assert open_cycle.is_open()
    with time_machine.travel(open_cycle.closes_at, tick=False):
        assert not open_cycle.is_open()
        with pytest.raises(services.ApplicationError, match="closed"):
            services.application_submit(application_id=application.pk, actor=mentee)


def test_withdraw(client, mentee, open_cycle):
    application = start(client, mentee)
    url = reverse("applications:withdraw", args=[application.pk])
    assert "Withdraw my application" in client.get(url).content.decode()
    client.post(url)
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert client.get(FORM).status_code == 302
    client.post(url)
    assert Application.objects.get().events.count() == 2


def test_one_application_per_person_per_cycle_in_the_database(mentee, open_cycle):
    from django.db import IntegrityError, transaction

    Application.objects.create(applicant=mentee, cycle=open_cycle)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(applicant=mentee, cycle=open_cycle)


def test_my_applications_lists_only_mine(client, mentee, stranger, open_cycle):
    Application.objects.create(applicant=stranger, cycle=open_cycle)
    client.force_login(mentee)
    page = client.get(reverse("applications:list")).content.decode()
    assert "You have not applied yet" in page


def test_the_quick_check_uses_the_rules_and_stores_nothing(client, open_cycle, db):
    answers = {
        "membership_type": "non_member",
        "training_completed_year": "2012",
        "practice_country": "US",
        "english_writing": "fluent",
        "english_speaking": "limited",
        "monthly_hours": "1",
        "prior_idea_award": "yes",
    }
    response = client.post(reverse("applications:check"), answers)
    html = response.content.decode()
    assert "You would not be eligible" in html
    for reason in (
        "membership application",
        "14 years ago",
        "outside United States",
        "speaking",
        "at least 2 hour",
        "IDEA-PC",
    ):
        assert reason in html
    assert not Application.objects.exists()

    good = {
        **answers,
        "membership_type": "full",
        "training_completed_year": "2020",
        "practice_country": "IN",
        "english_speaking": "fluent",
        "monthly_hours": "3",
        "prior_idea_award": "no",
    }
    assert (
        "You look eligible"
        in client.post(reverse("applications:check"), good).content.decode()
    )


def test_the_quick_check_validates_its_fields(client, db):
    response = client.post(reverse("applications:check"), {"monthly_hours": "-3"})
    assert response.status_code == 200
    assert {"membership_type", "monthly_hours", "prior_idea_award"} <= set(
        response.context["form"].errors
    )
