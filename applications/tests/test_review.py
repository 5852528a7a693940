"""The staff review services: each decision, its email, its record."""

from datetime import timedelta
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications import services
from applications.models import Application, DeclineReason, EligibilityOverride
from applications.services import ApplicationError
from conftest import make_user
from mentorship.models import OutboundEmail

from .conftest import make_submitted, pdf


def emails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_assigning_a_reviewer_starts_the_review_and_is_internal(
    submitted, staff, mentee
):
    application = services.application_assign_reviewer(
        application_id=submitted.pk, actor=staff, reviewer=staff
    )
    assert application.status == "under_review"
    assert application.reviewer == staff
    internal = application.events.get(description__startswith="Reviewer")
    assert internal.internal and internal.actor == staff
    assert not OutboundEmail.objects.filter(event__startswith="application.start")


def test_only_active_staff_can_review(submitted, staff, stranger):
    with pytest.raises(ApplicationError, match="not active staff"):
        services.application_assign_reviewer(
            application_id=submitted.pk, actor=staff, reviewer=stranger
        )
    assert Application.objects.get().reviewer is None


def test_approval_emails_the_applicant_once_after_commit_and_is_recorded(
    under_review, staff, mentee, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.application_approve(
            application_id=under_review.pk, actor=staff, note="Strong CV"
        )
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    application = Application.objects.get()
    assert application.status == "approved"
    assert application.decided_at is not None
    [email] = emails_to(mentee.email)
    assert (
        email.subject == "Your application to the Virtual Mentors Program is approved"
    )
    assert reverse("applications:detail", args=[application.pk]) in email.body
    event = application.events.last()
    assert (event.description, event.note, event.actor) == (
        "Approved",
        "Strong CV",
        staff,
    )
    history = application.history.first()
    assert history.status == "approved"
    assert history.history_user == staff
    assert history.history_change_reason == "Approved"


def test_a_decision_confirmed_twice_emails_once(
    under_review, staff, mentee, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_waitlist(application_id=under_review.pk, actor=staff)
    assert OutboundEmail.objects.filter(event="application.waitlist").count() == 1
    with pytest.raises(ApplicationError, match="not possible"):
        services.application_waitlist(application_id=under_review.pk, actor=staff)
    assert len(emails_to(mentee.email)) == 1


def test_decline_sends_the_reason_and_the_words_and_shows_them_to_the_applicant(
    client, under_review, staff, mentee, django_capture_on_commit_callbacks
):
    reason = DeclineReason.objects.get(title="Limited places")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decline(
            application_id=under_review.pk,
            actor=staff,
            reason=reason,
            message="Please apply again next year.",
            note="Internal: borderline",
        )
    application = Application.objects.get()
    assert application.status == "declined"
    assert application.decline_reason == reason
    [email] = emails_to(mentee.email)
    assert reason.text in email.body and "apply again next year" in email.body
    assert "borderline" not in email.body
    client.force_login(mentee)
    page = client.get(reverse("applications:detail", args=[application.pk]))
    html = page.content.decode()
    assert reason.text in html and "Please apply again next year." in html
    assert "borderline" not in html
    assert "Declined" in html


def test_decline_needs_a_reason_or_words(under_review, staff):
    with pytest.raises(ApplicationError, match="Choose a reason"):
        services.application_decline(
            application_id=under_review.pk, actor=staff, message="   "
        )
    assert Application.objects.get().status == "under_review"


def test_a_waitlisted_application_can_be_approved_later(under_review, staff):
    services.application_waitlist(application_id=under_review.pk, actor=staff)
    services.application_approve(application_id=under_review.pk, actor=staff)
    assert Application.objects.get().status == "approved"


def test_request_info_then_the_applicant_edits_after_the_window_and_resubmits(
    client,
    under_review,
    staff,
    mentee,
    open_cycle,
    complete_answers,
    django_capture_on_commit_callbacks,
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_request_info(
            application_id=under_review.pk,
            actor=staff,
            question="Which hospital will you work at from June?",
        )
    [asked] = emails_to(mentee.email)
    assert "Which hospital will you work at from June?" in asked.body
    assert reverse("applications:form") in asked.body

    form_url = reverse("applications:form")
    with time_machine.travel(open_cycle.closes_at + timedelta(days=3)):
        client.force_login(mentee)
        page = client.get(form_url).content.decode()
        assert "Which hospital will you work at from June?" in page
        assert "Send to staff" in page
        # A mistake on the form keeps what was typed and changes nothing.
        bad = {**complete_answers, "monthly_hours": "many", "action": "submit"}
        response = client.post(form_url, {**bad, "institution": "New Clinic"})
        assert response.status_code == 200
        assert "New Clinic" in response.content.decode()
        assert Application.objects.get().status == "info_requested"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                form_url,
                {**complete_answers, "institution": "New Clinic", "action": "submit"},
            )
    application = Application.objects.get()
    assert response.url == reverse("applications:detail", args=[application.pk])
    assert application.status == "resubmitted"
    assert application.institution == "New Clinic"
    assert application.eligibility  # the rules saw the new answers
    confirmation = emails_to(mentee.email)[-1]
    assert (
        confirmation.subject == "Your changes are sent to the Virtual Mentors Program"
    )

    services.application_start_review(application_id=application.pk, actor=staff)
    assert Application.objects.get().status == "under_review"


def test_a_resubmitted_application_cannot_be_changed_until_staff_ask_again(
    client, under_review, staff, mentee
):
    services.application_request_info(
        application_id=under_review.pk, actor=staff, question="Your CV, please."
    )
    services.application_resubmit(application_id=under_review.pk, actor=mentee)
    application = Application.objects.get()
    assert not application.is_editable
    client.force_login(mentee)
    assert client.get(reverse("applications:form")).status_code == 302


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (services.application_approve, {}),
        (services.application_waitlist, {}),
        (services.application_request_info, {"question": "Why?"}),
        (services.application_decline, {"message": "No."}),
    ],
)
def test_decisions_are_refused_before_the_review_starts(submitted, staff, call, kwargs):
    with pytest.raises(ApplicationError, match=r"“.*” is not possible") as refused:
        call(application_id=submitted.pk, actor=staff, **kwargs)
    assert "submitted" in str(refused.value)
    assert Application.objects.get().status == "submitted"
    assert not OutboundEmail.objects.exclude(event="application.submitted").exists()


def test_decided_applications_refuse_other_decisions(under_review, staff):
    services.application_approve(application_id=under_review.pk, actor=staff)
    with pytest.raises(ApplicationError, match="approved"):
        services.application_decline(
            application_id=under_review.pk, actor=staff, message="No"
        )
    with pytest.raises(ApplicationError, match="approved"):
        services.application_waitlist(application_id=under_review.pk, actor=staff)
    with pytest.raises(ApplicationError, match="not possible"):
        services.application_resubmit(application_id=under_review.pk, actor=staff)


def test_matching_marks_an_approved_application_matched_and_nothing_else(
    under_review, staff
):
    with pytest.raises(ApplicationError, match="under review"):
        services.application_mark_matched(application_id=under_review.pk)
    services.application_approve(application_id=under_review.pk, actor=staff)
    application = services.application_mark_matched(application_id=under_review.pk)
    assert application.status == "matched"
    with pytest.raises(ApplicationError, match="matched"):
        services.application_withdraw(application_id=under_review.pk, actor=staff)


def test_the_applicant_can_withdraw_while_under_review(client, under_review, mentee):
    client.force_login(mentee)
    url = reverse("applications:withdraw", args=[under_review.pk])
    detail = client.get(reverse("applications:detail", args=[under_review.pk]))
    assert url in detail.content.decode()
    client.post(url)
    assert Application.objects.get().status == "withdrawn"


def test_an_override_without_a_note_is_refused(submitted, staff):
    with pytest.raises(ApplicationError, match="note"):
        services.application_override_eligibility(
            application_id=submitted.pk,
            actor=staff,
            criterion="cv",
            outcome="pass",
            note="  ",
        )
    assert not EligibilityOverride.objects.exists()
    # The database holds the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        EligibilityOverride.objects.create(
            application=submitted, criterion="cv", outcome="pass", note="", by=staff
        )


def test_overriding_the_criteria_staff_judge_makes_the_application_pass(
    submitted, staff
):
    assert submitted.eligibility_outcome == "review"
    for criterion in ("cv", "interest_statement"):
        services.application_override_eligibility(
            application_id=submitted.pk,
            actor=staff,
            criterion=criterion,
            outcome="pass",
            note="Read it: convincing.",
        )
    application = Application.objects.get()
    assert application.eligibility_outcome == "pass"
    cv = next(r for r in application.effective_eligibility if r["criterion"] == "cv")
    assert cv["outcome"] == "pass" and cv["rule_outcome"] == "review"
    assert cv["override"].note == "Read it: convincing." and cv["override"].by == staff
    assert application.override_outcomes == {"cv": "pass", "interest_statement": "pass"}


def _kept_as_the_overrides_say(application: Application) -> bool:
    rows = dict(application.eligibility_overrides.values_list("criterion", "outcome"))
    return application.override_outcomes == rows


def test_the_application_keeps_what_staff_overrode_as_its_overrides_say(
    submitted, staff, settings
):
    """``override_outcomes`` (what the review queue's rows read) follows the
    overrides through a change of mind, a resubmission and the purge of the
    personal data, which deletes the overrides' notes."""
    for outcome in ("fail", "pass"):
        services.application_override_eligibility(
            application_id=submitted.pk,
            actor=staff,
            criterion="cv",
            outcome=outcome,
            note="Read it again.",
        )
        application = Application.objects.get()
        assert application.override_outcomes == {"cv": outcome}
        assert _kept_as_the_overrides_say(application)
    assert application.failed_criteria == []
    pk = submitted.pk
    services.application_start_review(application_id=pk, actor=staff)
    services.application_request_info(
        application_id=pk, actor=staff, question="Send your CV in PDF."
    )
    services.application_resubmit(application_id=pk, actor=submitted.applicant)
    application = Application.objects.get()
    assert application.override_outcomes == {"cv": "pass"}
    assert _kept_as_the_overrides_say(application)
    services.application_start_review(application_id=pk, actor=staff)
    services.application_decline(
        application_id=pk, actor=staff, reason=DeclineReason.objects.first()
    )
    later = services.purge_date(Application.objects.get()) + timedelta(days=1)
    assert services.application_purge(application_id=pk, now=later)
    application = Application.objects.get()
    assert application.override_outcomes == {}
    assert _kept_as_the_overrides_say(application)


def test_the_migration_fills_what_staff_overrode(submitted, staff):
    migration = import_module(
        "applications.migrations.0009_keep_override_outcomes_on_the_application"
    )
    EligibilityOverride.objects.create(
        application=submitted,
        criterion="cv",
        outcome="fail",
        note="Not a CV.",
        by=staff,
    )
    EligibilityOverride.objects.create(
        application=submitted,
        criterion="interest_statement",
        outcome="pass",
        note="Clear.",
        by=staff,
    )
    assert Application.objects.get().override_outcomes == {}
    migration.fill_override_outcomes(apps, None)
    application = Application.objects.get()
    assert application.override_outcomes == {
        "cv": "fail",
        "interest_statement": "pass",
    }
    assert [r["criterion"] for r in application.failed_criteria] == ["cv"]


def test_overriding_a_failed_criterion_reopens_an_ineligible_application(
    client, open_cycle, staff, django_capture_on_commit_callbacks
):
    applicant = make_user("old@example.com", full_name="Ola Old", country="KE")
    application = make_submitted(applicant, open_cycle, training_completed_year=2010)
    assert application.status == "ineligible"
    with pytest.raises(ApplicationError, match="not possible"):
        services.application_approve(application_id=application.pk, actor=staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_override_eligibility(
            application_id=application.pk,
            actor=staff,
            criterion="years_since_training",
            outcome="pass",
            note="Career break of 3 years for family reasons.",
        )
    application.refresh_from_db()
    assert application.status == "under_review"
    assert application.eligibility_outcome == "review"
    [email] = emails_to(applicant.email)
    assert "under review" in email.subject
    assert "Career break" not in email.body


def test_approval_is_refused_while_a_criterion_fails(under_review, staff):
    services.application_override_eligibility(
        application_id=under_review.pk,
        actor=staff,
        criterion="cv",
        outcome="fail",
        note="The CV is somebody else's.",
    )
    with pytest.raises(ApplicationError, match="does not meet CV"):
        services.application_approve(application_id=under_review.pk, actor=staff)
    assert Application.objects.get().eligibility_outcome == "fail"


def test_ratings_are_one_to_five_in_the_service_and_the_database(under_review, staff):
    with pytest.raises(ApplicationError, match="1 to 5"):
        services.application_rate(application_id=under_review.pk, actor=staff, rating=6)
    services.application_rate(
        application_id=under_review.pk, actor=staff, rating=4, comment="Good"
    )
    # The same rating again records nothing new.
    services.application_rate(
        application_id=under_review.pk, actor=staff, rating=4, comment="Good"
    )
    application = Application.objects.get()
    assert (application.rating, application.rated_by) == (4, staff)
    assert application.events.filter(description="Rated 4 of 5").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(rating=0)


def test_staff_only_lines_and_notes_never_reach_the_applicant(
    client, under_review, staff, mentee
):
    services.application_rate(
        application_id=under_review.pk, actor=staff, rating=2, comment="Weak essay"
    )
    services.application_save_staff_notes(
        application_id=under_review.pk, actor=staff, notes="Knows the director"
    )
    client.force_login(mentee)
    html = client.get(reverse("applications:detail", args=[under_review.pk])).content
    html = html.decode()
    assert "Under review" in html
    for secret in ("Weak essay", "Knows the director", "Reviewer", "Rated"):
        assert secret not in html


def test_a_draft_cannot_be_reviewed(mentee, open_cycle, staff):
    application = services.application_start(user=mentee, cycle=open_cycle)
    with pytest.raises(ApplicationError, match="draft"):
        services.application_assign_reviewer(
            application_id=application.pk, actor=staff, reviewer=staff
        )
    with pytest.raises(ApplicationError, match="draft"):
        services.application_override_eligibility(
            application_id=application.pk,
            actor=staff,
            criterion="cv",
            outcome="pass",
            note="x",
        )


def test_a_new_cv_is_kept_on_error_when_staff_asked_for_information(
    client, under_review, staff, mentee, complete_answers
):
    services.application_request_info(
        application_id=under_review.pk, actor=staff, question="A newer CV?"
    )
    client.force_login(mentee)
    client.post(
        reverse("applications:form"),
        {
            **complete_answers,
            "monthly_hours": "x",
            "action": "submit",
            "cv": pdf("new.pdf"),
        },
    )
    application = Application.objects.get()
    assert application.cv_filename == "new.pdf"
    assert application.status == "info_requested"
