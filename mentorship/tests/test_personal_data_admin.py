"""Staff decide deletion requests in the admin, from a page that says what
happens, and see (never open) the copies of their data people asked for."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from accounts.models import DataExport, DeletionRequest
from conftest import make_user
from mentorship import services
from mentorship.models import Cycle, Pairing
from mentorship.tests.factories import mentor_profile

LIST = reverse("admin:accounts_deletionrequest_changelist")


def decide_url(request, decision):
    return reverse("admin:accounts_deletionrequest_decide", args=[request.pk, decision])


@pytest.fixture
def pending(mentee):
    return services.deletion_request_create(user=mentee)


def test_the_approval_page_says_what_happens_and_nothing_happens_before_confirming(
    client, staff, mentee, pending, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    listing = client.get(LIST).content.decode()
    assert "Amara Okafor" in listing
    change = client.get(
        reverse("admin:accounts_deletionrequest_change", args=[pending.pk])
    ).content.decode()
    assert decide_url(pending, "approve") in change

    page = client.get(decide_url(pending, "approve")).content.decode()
    assert "deletes each account below now, and for good" in page
    assert "The account is closed and anonymised" in page
    assert "a former participant" in page
    mentee.refresh_from_db()
    assert not mentee.is_deleted

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(pending, "approve"), {"confirm": "1"})
    assert response.status_code == 302
    mentee.refresh_from_db()
    assert mentee.is_deleted
    pending.refresh_from_db()
    assert pending.status == DeletionRequest.Status.DONE
    # Decided: no more buttons.
    change = client.get(
        reverse("admin:accounts_deletionrequest_change", args=[pending.pk])
    ).content.decode()
    assert decide_url(pending, "approve") not in change


def test_a_pairing_under_way_is_named_with_the_way_to_end_it(
    client, staff, mentee, mentor, pending
):
    mentor_profile(mentor)
    pairing = Pairing.objects.create(
        cycle=Cycle.objects.create(name="2027"),
        mentee=mentee,
        mentor=mentor,
        status=Pairing.Status.ACTIVE,
    )
    client.force_login(staff)
    assert 'alt="True"' in client.get(LIST).content.decode()  # under way
    page = client.get(decide_url(pending, "approve")).content.decode()
    assert "Cannot be approved now" in page
    assert reverse("admin:mentorship_pairing_end", args=[pairing.pk]) in page
    assert 'name="confirm"' not in page
    client.post(decide_url(pending, "approve"), {"confirm": "1"})
    mentee.refresh_from_db()
    assert not mentee.is_deleted


def test_refusing_needs_a_reason_which_is_emailed(
    client, staff, mentee, pending, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    response = client.post(
        decide_url(pending, "refuse"), {"confirm": "1", "reason": ""}
    )
    assert response.status_code == 200
    assert "Write the reason" in response.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            decide_url(pending, "refuse"),
            {"confirm": "1", "reason": "Your year ends next week; ask then."},
        )
    pending.refresh_from_db()
    assert pending.status == DeletionRequest.Status.REFUSED
    assert [m.to for m in mail.outbox] == [[mentee.email]]
    assert "Your year ends next week; ask then." in mail.outbox[0].body


def test_the_list_action_confirms_first_and_skips_what_is_decided(
    client, staff, mentee, stranger, pending, django_capture_on_commit_callbacks
):
    other = services.deletion_request_create(user=stranger)
    services.deletion_request_cancel(user=stranger)
    client.force_login(staff)
    selected = {"action": "approve", ACTION_CHECKBOX_NAME: [pending.pk, other.pk]}
    page = client.post(LIST, selected).content.decode()
    assert "This request is cancelled by the person" in page
    assert "Delete 1 account for good" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LIST, {**selected, "confirm": "1"})
    mentee.refresh_from_db()
    stranger.refresh_from_db()
    assert mentee.is_deleted
    assert not stranger.is_deleted


def test_staff_without_the_permission_see_but_do_not_decide(client, mentee, pending):
    viewer = make_user("viewer@example.com", full_name="Vi Ewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_deletionrequest"))
    client.force_login(viewer)
    assert client.get(LIST).status_code == 200
    assert client.get(decide_url(pending, "approve")).status_code == 403
    assert (
        client.post(decide_url(pending, "approve"), {"confirm": "1"}).status_code == 403
    )
    mentee.refresh_from_db()
    assert not mentee.is_deleted


def test_staff_see_the_copies_asked_for_and_can_withdraw_one(
    client, staff, mentee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.data_export_request(user=mentee)
    export.refresh_from_db()
    path = Path(settings.PRIVATE_MEDIA_ROOT, export.file.name)
    client.force_login(staff)
    listing = reverse("admin:accounts_dataexport_changelist")
    page = client.get(listing).content.decode()
    assert "Ready to download" in page
    detail = client.get(reverse("admin:accounts_dataexport_change", args=[export.pk]))
    assert detail.status_code == 200
    assert export.file.name not in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            listing, {"action": "expire_now", ACTION_CHECKBOX_NAME: [export.pk]}
        )
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED
    assert not path.exists()
