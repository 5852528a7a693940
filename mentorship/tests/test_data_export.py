"""A person downloads everything the platform holds about them: asked for
behind a fresh password, built in the background, emailed as a link that
only they can use, for a week."""

import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import personal_data
from accounts.models import DataExport
from applications.models import Application
from applications.tests.conftest import PDF_BYTES
from mentorship import services
from mentorship.models import CheckIn, Cycle, Objective, Pairing
from mentorship.tests.personal_data_world import NAME, build_world, reauthenticate


@pytest.fixture
def world(mentee, mentor, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(mentee, mentor, staff)


def request_copy(client, capture):
    with capture(execute=True):
        return client.post(reverse("mentorship:data_export_request"))


def archive_of(export: DataExport) -> zipfile.ZipFile:
    with export.file.storage.open(export.file.name, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_asking_needs_the_password_again_then_the_link_is_emailed(
    client, world, mentee, django_capture_on_commit_callbacks
):
    client.force_login(mentee)
    capture = django_capture_on_commit_callbacks
    response = request_copy(client, capture)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not DataExport.objects.exists()

    # Giving the password goes on with the request that was held.
    mail.outbox.clear()
    with capture(execute=True):
        reauthenticate_url = response.url
        response = client.post(
            reauthenticate_url, {"password": "a-long-test-password-1"}
        )
    assert response.status_code == 302
    export = DataExport.objects.get(user=mentee)
    assert export.status == DataExport.Status.READY
    assert export.expires_at == export.ready_at + timedelta(days=7)
    assert Path(settings.PRIVATE_MEDIA_ROOT, export.file.name).is_file()

    [email] = mail.outbox
    assert email.to == [mentee.email]
    assert email.subject == "Your data is ready to download"
    link = reverse("mentorship:data_export_download", args=[export.pk])
    assert link in email.body

    page = client.get(reverse("accounts:profile")).content.decode()
    assert link in page
    assert "Download your data" in page


def test_asking_twice_while_it_is_prepared_makes_one(mentee):
    first = services.data_export_request(user=mentee)
    assert services.data_export_request(user=mentee) == first
    assert DataExport.objects.count() == 1


def test_the_copy_holds_everything_about_them_and_nothing_private_of_others(
    world, mentee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.data_export_request(user=mentee)
    export.refresh_from_db()
    archive = archive_of(export)
    names = archive.namelist()
    assert "README.txt" in names
    data = json.loads(archive.read("data.json"))
    assert set(data) >= {"account", "applications", "mentoring", "matching"}

    account = data["account"]
    assert account["details"]["email"] == mentee.email
    assert account["details"]["full_name"] == NAME
    assert account["email_addresses"] == [
        {"email": mentee.email, "verified": True, "primary": True}
    ]

    [application] = data["applications"]
    assert application["answers"]["why_you_want_a_mentor"].startswith("I want")
    # Staff's words about them are theirs to read (GDPR article 15).
    assert application["review"]["staff_notes"] == f"{NAME} impressed the panel."
    assert application["review"]["rating_comment"] == "Strong CV."
    assert any(e["staff_only"] for e in application["timeline"])
    assert application["eligibility"]["criteria"]
    cv_path = application["answers"]["cv_file"]
    assert cv_path.startswith("cvs/")
    assert archive.read(cv_path) == PDF_BYTES

    [pairing] = data["mentoring"]["pairings"]
    assert pairing["your_role"] == "mentee"
    assert pairing["mentor"] == "Henrik Larsen"
    notes = {c["logged_by"]: c["notes"] for c in pairing["contacts"]}
    texts = [c["notes"] for c in pairing["contacts"]]
    assert "My own private thoughts on the call." in texts  # their own, private
    assert f"{NAME} presented her research plan." in texts  # the mentor's, shared
    assert "The mentor's private worry." not in json.dumps(data)
    assert notes["you"] == "My own private thoughts on the call."
    assert (
        pairing["mentoring_plan"]["objectives"][0]["title"] == f"{NAME}'s first paper"
    )
    [survey] = pairing["your_surveys"]
    assert survey["what_helped"] == f"I am {NAME} and it helped."
    assert "More structure." not in json.dumps(data)  # the mentor's answer
    assert pairing["reminders_to_you"][0]["text"] == "Month 2 is half gone."
    assert [s["kind"] for s in pairing["staff_follow_ups"]] == [
        "Staff check-in",
        "Nudge sent",
    ]
    # What the mentor did is theirs: their steps are not in the timeline.
    assert all(e["by"] != "your mentor" for e in pairing["timeline"])

    emails = data["mentoring"]["emails_sent_to_you"]
    assert emails and all(e["to"] == mentee.email for e in emails)
    assert data["mentoring"]["notify_me_when_applications_open"][0]["email"] == (
        mentee.email
    )


def test_the_mentor_sees_their_side(world, mentor, django_capture_on_commit_callbacks):
    data, files = personal_data.gather(mentor)
    [pairing] = data["mentoring"]["pairings"]
    assert pairing["your_role"] == "mentor"
    assert pairing["mentee"] == NAME
    texts = [c["notes"] for c in pairing["contacts"]]
    assert "The mentor's private worry." in texts
    assert "My own private thoughts on the call." not in texts
    assert data["account"]["mentor_profile"]["bio"].startswith("Twenty years")
    assert data["applications"] == []
    assert files == []


def test_only_the_owner_downloads_it_fresh_and_never_cached(
    client, world, mentee, stranger, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.data_export_request(user=mentee)
    url = reverse("mentorship:data_export_download", args=[export.pk])

    client.force_login(stranger)
    reauthenticate(client)
    assert client.get(url).status_code == 404

    client.force_login(mentee)
    response = client.get(url)
    assert response.status_code == 302  # the password again first
    reauthenticate(client)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert re.match(
        r'attachment; filename="virtual-mentors-your-data-\d{4}-\d\d-\d\d\.zip"',
        response["Content-Disposition"],
    )
    content = b"".join(response.streaming_content)
    assert "data.json" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    export.refresh_from_db()
    assert export.downloaded_at is not None


def test_the_link_expires_after_a_week_and_the_sweep_deletes_the_file(
    client, mentee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.data_export_request(user=mentee)
    export.refresh_from_db()
    path = Path(settings.PRIVATE_MEDIA_ROOT, export.file.name)
    url = reverse("mentorship:data_export_download", args=[export.pk])
    client.force_login(mentee)

    # A week on, the session has long expired (SESSION_COOKIE_AGE): log in.
    with time_machine.travel(export.expires_at - timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.data_exports_sweep() == {"expired": 0, "queued": 0}
        client.force_login(mentee)
        reauthenticate(client)
        assert client.get(url).status_code == 200
    with time_machine.travel(export.expires_at, tick=False):
        client.force_login(mentee)
        reauthenticate(client)
        assert client.get(url).status_code == 409  # past its time, not swept yet
        with django_capture_on_commit_callbacks(execute=True):
            assert services.data_exports_sweep()["expired"] == 1
            assert services.data_exports_sweep()["expired"] == 0
        response = client.get(url)
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert not path.exists()
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED


def test_a_new_copy_replaces_the_older_one(mentee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.data_export_request(user=mentee)
    first.refresh_from_db()
    old_file = Path(settings.PRIVATE_MEDIA_ROOT, first.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        services.data_export_request(user=mentee)
    first.refresh_from_db()
    assert first.status == DataExport.Status.EXPIRED
    assert not old_file.exists()
    assert DataExport.objects.filter(status=DataExport.Status.READY).count() == 1


def test_a_lost_build_is_queued_again_and_built_once(
    mentee, django_capture_on_commit_callbacks
):
    export = services.data_export_request(user=mentee)  # its task never ran
    later = timezone.now() + timedelta(minutes=20)
    with (
        time_machine.travel(later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.data_exports_sweep()["queued"] == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY
    assert services.data_export_build(export_id=export.pk) is False


def test_building_costs_the_same_queries_however_much_there_is(
    world, mentee, mentor, staff
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            personal_data.gather(mentee)
        return len(captured)

    few = queries()
    pairing = world["pairing"]
    for day in range(3):
        CheckIn.objects.create(
            pairing=pairing,
            author=mentor,
            occurred_on=timezone.localdate() - timedelta(days=day + 1),
            way=CheckIn.Way.EMAIL,
            initiated_by=CheckIn.Initiator.MENTOR,
            minutes=10,
            notes=f"Note {day}",
        )
    for year in (2030, 2031):
        cycle = Cycle.objects.create(name=str(year))
        Pairing.objects.create(
            cycle=cycle, mentee=mentee, mentor=mentor, status=Pairing.Status.CANCELLED
        )
        Application.objects.create(applicant=mentee, cycle=cycle, statement="Again")
    Objective.objects.create(pairing=pairing, title="Another")
    assert queries() == few
