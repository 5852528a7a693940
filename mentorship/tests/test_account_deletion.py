"""Deleting an account: the person asks, staff approve or refuse; approved,
nothing personal remains, the CV is gone from disk, the program's figures
are unchanged, and the other person of a pairing keeps their record."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import DataExport, DeletionRequest, User
from applications.models import Application
from conftest import PASSWORD, make_user
from matching import selectors as matching_selectors
from mentorship import selectors, services
from mentorship.models import (
    CheckIn,
    Cycle,
    Objective,
    OutboundEmail,
    Pairing,
    PulseAnswer,
    SurveyResponse,
)
from mentorship.tests.factories import mentor_profile
from mentorship.tests.personal_data_world import (
    NAME,
    build_world,
    reauthenticate,
    rows_naming,
)


@pytest.fixture
def world(mentee, mentor, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(mentee, mentor, staff)


def figures(cycle):
    return (
        selectors.cycle_progress(cycle),
        matching_selectors.cycle_funnel(cycle),
        matching_selectors.cycle_regions(cycle),
        selectors.survey_figures(cycle),
    )


def approve(user, staff, capture):
    request = services.deletion_request_create(user=user)
    with capture(execute=True):
        return services.deletion_request_approve(request_id=request.pk, actor=staff)


# Asking


def test_asking_needs_the_password_again_and_a_confirmation(client, mentee):
    client.force_login(mentee)
    url = reverse("mentorship:account_delete")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    reauthenticate(client)

    page = client.get(url).content.decode()
    assert "What is deleted" in page
    assert "What is kept, without your name" in page
    assert "a former participant" in page

    response = client.post(url, {})
    assert response.status_code == 200
    assert "Tick the box to confirm" in response.content.decode()
    assert 'aria-describedby="id_understood_error"' in response.content.decode()
    assert not DeletionRequest.objects.exists()

    response = client.post(url, {"understood": "on"})
    assert response.status_code == 302
    request = DeletionRequest.objects.get(user=mentee)
    assert request.status == DeletionRequest.Status.PENDING
    # Asking twice makes one request.
    client.post(url, {"understood": "on"})
    assert DeletionRequest.objects.count() == 1
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "You asked on" in profile


def test_the_person_is_told_of_the_request_and_can_cancel_it(
    client, mentee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.deletion_request_create(user=mentee)
    assert [m.subject for m in mail.outbox] == [
        "We have your request to delete your account"
    ]
    client.force_login(mentee)
    client.post(reverse("mentorship:account_delete_cancel"))
    request = DeletionRequest.objects.get()
    assert request.status == DeletionRequest.Status.CANCELLED
    assert request.decided_at is not None
    with pytest.raises(services.PersonalDataError):
        services.deletion_request_refuse(
            request_id=request.pk, actor=mentee, reason="x"
        )


def test_staff_refuse_with_a_reason_that_is_emailed(
    mentee, staff, django_capture_on_commit_callbacks
):
    request = services.deletion_request_create(user=mentee)
    with pytest.raises(services.PersonalDataError, match="Write the reason"):
        services.deletion_request_refuse(request_id=request.pk, actor=staff, reason=" ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.deletion_request_refuse(
            request_id=request.pk, actor=staff, reason="Your year ends next week."
        )
    request.refresh_from_db()
    assert request.status == DeletionRequest.Status.REFUSED
    assert request.decided_by == staff
    assert "Your year ends next week." in mail.outbox[0].body
    mentee.refresh_from_db()
    assert mentee.is_active and not mentee.is_deleted


# Approving


def test_a_pairing_under_way_must_end_before_the_account_is_deleted(
    mentee, mentor, staff, django_capture_on_commit_callbacks
):
    mentor_profile(mentor)
    pairing = Pairing.objects.create(
        cycle=Cycle.objects.create(name="2027"),
        mentee=mentee,
        mentor=mentor,
        status=Pairing.Status.ACTIVE,
    )
    request = services.deletion_request_create(user=mentee)
    with pytest.raises(services.PersonalDataError, match="under way"):
        services.deletion_request_approve(request_id=request.pk, actor=staff)
    mentee.refresh_from_db()
    assert not mentee.is_deleted
    assert DeletionRequest.objects.get().status == DeletionRequest.Status.PENDING

    services.pairing_end_early(pairing_id=pairing.pk, reason="Leaving.", actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.deletion_request_approve(request_id=request.pk, actor=staff)
    mentee.refresh_from_db()
    assert mentee.is_deleted


def test_staff_do_not_approve_their_own_request(staff):
    request = services.deletion_request_create(user=staff)
    with pytest.raises(services.PersonalDataError, match="Another member of staff"):
        services.deletion_request_approve(request_id=request.pk, actor=staff)


def test_after_deletion_nothing_personal_remains_and_the_figures_stand(
    client, world, mentee, mentor, staff, django_capture_on_commit_callbacks
):
    application, pairing, cycle = world["application"], world["pairing"], world["cycle"]
    cv = Path(settings.PRIVATE_MEDIA_ROOT) / application.cv.name
    assert cv.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        export = services.data_export_request(user=mentee)
    export.refresh_from_db()
    copy = Path(settings.PRIVATE_MEDIA_ROOT) / export.file.name
    assert copy.is_file()
    email = mentee.email
    assert rows_naming(email, NAME)  # the world names them, as it should
    before = figures(cycle)
    mentor_notes = CheckIn.objects.filter(author=mentor).count()
    mail.outbox.clear()

    request = approve(mentee, staff, django_capture_on_commit_callbacks)

    assert rows_naming(email, NAME) == []
    assert not cv.exists()
    assert not copy.exists()
    assert figures(cycle) == before

    mentee.refresh_from_db()
    assert mentee.email == f"deleted-{mentee.pk}@invalid"
    assert (mentee.full_name, mentee.institution) == ("", "")
    assert not mentee.is_active
    assert not mentee.has_usable_password()
    assert mentee.display_name == "a former participant"
    assert request.status == DeletionRequest.Status.DONE
    assert request.decided_by == staff

    # What stays, without a name: the application, the pairing's months,
    # the ratings; the person's own words are gone.
    application.refresh_from_db()
    assert application.applicant is None
    assert application.status == Application.Status.MATCHED
    assert (application.statement, application.cv.name, application.staff_notes) == (
        "",
        "",
        "",
    )
    assert application.purged_at is not None
    assert not Application.history.filter(id=application.pk).exists()
    assert CheckIn.objects.filter(pairing=pairing).count() == 3
    assert not CheckIn.objects.filter(author=mentee).exclude(notes="").exists()
    assert PulseAnswer.objects.filter(person=mentee).count() == 1
    survey = SurveyResponse.objects.get(person=mentee)
    assert (survey.rating, survey.helped) == (4, "")
    assert not DataExport.objects.filter(user=mentee).exists()
    # The plan they shared stays; who changed it is no longer them.
    assert Objective.objects.filter(pairing=pairing).count() == 1
    assert not Objective.history.filter(history_user=mentee).exists()

    # The last email goes to the address they had; the outbox forgets it.
    assert [m.to for m in mail.outbox] == [[email]]
    assert mail.outbox[0].subject == "Your account is deleted"
    row = OutboundEmail.objects.get(event="personal_data.deletion_done")
    assert row.status == OutboundEmail.Status.SENT
    assert (row.to, row.body_text) == ("", "")

    # They cannot log in any more.
    assert not client.login(email=email, password=PASSWORD)

    # The other person keeps their record and sees a former participant.
    assert CheckIn.objects.filter(author=mentor).count() == mentor_notes
    client.force_login(mentor)
    page = client.get(reverse("mentorship:pairing_detail", args=[pairing.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "A former participant" in text
    assert "a former participant presented her research plan." in text
    assert email not in text
    listing = client.get(reverse("mentorship:pairing_list")).content.decode()
    assert "A former participant" in listing


def test_a_second_approval_changes_nothing(
    world, mentee, staff, django_capture_on_commit_callbacks
):
    request = approve(mentee, staff, django_capture_on_commit_callbacks)
    with pytest.raises(services.PersonalDataError, match="already"):
        services.deletion_request_approve(request_id=request.pk, actor=staff)
    assert (
        OutboundEmail.objects.filter(event="personal_data.deletion_done").count() == 1
    )


def test_a_proposed_pairing_is_declined_on_their_behalf(
    mentee, mentor, staff, django_capture_on_commit_callbacks
):
    cycle = Cycle.objects.create(name="2027", response_days=14)
    other_mentee = make_user("other@example.com", full_name="Ola Other", country="KE")
    application = Application.objects.create(
        applicant=other_mentee,
        cycle=cycle,
        status=Application.Status.MATCHED,
        practice_country="KE",
    )
    mentor_profile(mentor)
    pairing = Pairing.objects.create(
        cycle=cycle, mentee=other_mentee, mentor=mentor, status=Pairing.Status.PROPOSED
    )
    mail.outbox.clear()
    approve(mentor, staff, django_capture_on_commit_callbacks)

    pairing.refresh_from_db()
    application.refresh_from_db()
    assert pairing.status == Pairing.Status.CANCELLED
    assert application.status == Application.Status.APPROVED  # back to staff
    assert application.applicant == other_mentee
    told = [m for m in mail.outbox if m.to == [other_mentee.email]]
    assert len(told) == 1
    assert mentor.full_name not in told[0].body
    assert rows_naming("mentor@example.com", "Henrik Larsen") == []


def test_the_follow_up_survey_skips_a_deleted_account(
    world, mentee, mentor, staff, django_capture_on_commit_callbacks
):
    approve(mentee, staff, django_capture_on_commit_callbacks)
    pairing = world["pairing"]
    later = pairing.ended_at + timedelta(days=200)  # past six months
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_send_follow_ups(now=later) == 1
    assert [m.to for m in mail.outbox] == [[mentor.email]]


def test_a_deleted_accounts_email_is_never_resent(db):
    row = services.email_queue(
        key="test:forget",
        event="personal_data.deletion_done",
        to="gone@example.com",
        subject="Your account is deleted",
        body_text="Bye",
        forget_after_sending=True,
    )
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.FAILED)
    services.email_resend(email_id=row.pk)
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.FAILED


def test_user_email_is_free_again_after_deletion(
    world, mentee, staff, django_capture_on_commit_callbacks
):
    email = mentee.email
    approve(mentee, staff, django_capture_on_commit_callbacks)
    # The address is no one's now: the person may sign up again one day.
    assert not User.objects.filter(email__iexact=email).exists()


def test_staff_cannot_delete_an_account_in_the_admin(client, mentee, mentor, db):
    # Deleting the row would take the pairings (and the program's figures)
    # with it and leave the CV on disk: a deletion is the person's request.
    admin_user = make_user(
        "root@example.com", full_name="Ada Admin", is_staff=True, is_superuser=True
    )
    client.force_login(admin_user)
    change = client.get(reverse("admin:accounts_user_change", args=[mentee.pk]))
    assert change.status_code == 200
    assert reverse("admin:accounts_user_delete", args=[mentee.pk]) not in (
        change.content.decode()
    )
    assert "deleted at the person's request" in change.content.decode()
    delete_url = reverse("admin:accounts_user_delete", args=[mentee.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:accounts_user_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [mentee.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=mentee.pk, deleted_at__isnull=True).exists()
