"""The staff-hosted introductory call: scheduling across time zones, the
calendar invitation, moving and cancelling it, and what the pair sees."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from mentorship import services
from mentorship.models import Cycle, IntroCall, Pairing
from mentorship.tests.factories import mentor_profile

Status = Pairing.Status


@pytest.fixture
def pairing(db, mentee, mentor, staff):
    mentee.time_zone = "Asia/Kolkata"
    mentee.save()
    mentor.time_zone = "America/New_York"
    mentor.save()
    mentor_profile(mentor)
    cycle = Cycle.objects.create(name="2027")
    return Pairing.objects.create(
        cycle=cycle, mentee=mentee, mentor=mentor, status=Status.INTRODUCED
    )


def invitation(message):
    [(filename, content, mimetype)] = message.attachments
    assert filename == "intro-call.ics"
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event, mimetype


@time_machine.travel(datetime(2027, 3, 1, 12, tzinfo=UTC), tick=False)
def test_staff_schedule_in_their_zone_and_each_person_sees_their_own(
    client, staff, pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    client.force_login(staff)  # staff are in America/New_York
    url = f"/admin/mentorship/pairing/{pairing.pk}/intro-call/"
    assert "Schedule the call" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "action": "schedule",
                # Wednesday 10 March 2027, 09:00 in New York (EST, UTC-5).
                "starts_at": "2027-03-10T09:00",
                "duration_minutes": "45",
                "location": "https://meet.example.org/intro-42",
                "host": staff.pk,
            },
        )
    assert response.status_code == 302
    call = IntroCall.objects.get()
    assert call.starts_at == datetime(2027, 3, 10, 14, tzinfo=UTC)
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {mentee.email, mentor.email, staff.email}
    assert "Wednesday 10 March 2027, 19:30 to 20:15 your time (Asia/Kolkata)" in (
        sent[mentee.email].body
    )
    assert "Wednesday 10 March 2027, 09:00 to 09:45 your time (America/New_York)" in (
        sent[mentor.email].body
    )
    assert "(14:00 UTC)" in sent[mentor.email].body
    assert sent[mentee.email].subject.startswith("Introductory call with your mentor")
    page = client.get(url).content.decode()
    assert "Wednesday 10 March 2027, 19:30" in page  # the mentee, in Kolkata
    assert "Wednesday 10 March 2027, 09:00" in page  # the mentor, in New York
    for message in sent.values():
        calendar, event, mimetype = invitation(message)
        assert mimetype == "text/calendar; method=REQUEST"
        assert calendar["METHOD"] == "REQUEST"
        assert event.decoded("DTSTART") == datetime(2027, 3, 10, 14, tzinfo=UTC)
        assert event.decoded("DTEND") == datetime(2027, 3, 10, 14, 45, tzinfo=UTC)
        assert str(event["UID"]) == call.uid
        assert int(event["SEQUENCE"]) == 0
        assert "https://meet.example.org/intro-42" in str(event["LOCATION"])


@time_machine.travel(datetime(2027, 3, 1, 12, tzinfo=UTC), tick=False)
def test_moving_the_call_across_a_dst_change_updates_the_same_event(
    staff, pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    first = datetime(2027, 3, 10, 14, tzinfo=UTC)  # before New York's DST change
    with django_capture_on_commit_callbacks(execute=True):
        call = services.intro_call_schedule(
            pairing_id=pairing.pk,
            starts_at=first,
            duration_minutes=30,
            location="https://meet.example.org/a",
            host=staff,
            actor=staff,
        )
    mail.outbox.clear()
    later = datetime(2027, 3, 17, 14, tzinfo=UTC)  # after it (EDT, UTC-4)
    with django_capture_on_commit_callbacks(execute=True):
        services.intro_call_schedule(
            pairing_id=pairing.pk,
            starts_at=later,
            duration_minutes=30,
            location="https://meet.example.org/a",
            host=staff,
            actor=staff,
        )
    sent = {m.to[0]: m for m in mail.outbox}
    assert "has moved" in sent[mentor.email].body
    assert "Wednesday 17 March 2027, 10:00" in sent[mentor.email].body
    # India has no daylight saving time: still 19:30 there.
    assert "Wednesday 17 March 2027, 19:30" in sent[mentee.email].body
    _, event, _ = invitation(sent[mentee.email])
    assert str(event["UID"]) == call.uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == later

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.intro_call_schedule(
            pairing_id=pairing.pk,
            starts_at=later,
            duration_minutes=30,
            location="https://meet.example.org/a",
            host=staff,
            actor=staff,
        )
    assert mail.outbox == []  # nothing changed, nobody is bothered

    with django_capture_on_commit_callbacks(execute=True):
        services.intro_call_cancel(pairing_id=pairing.pk, actor=staff)
    calendar, event, mimetype = invitation(mail.outbox[0])
    assert calendar["METHOD"] == "CANCEL" and mimetype.endswith("method=CANCEL")
    assert str(event["UID"]) == call.uid and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert mail.outbox[0].subject.startswith("Cancelled: introductory call")


def test_the_form_refuses_bad_input_at_the_field(client, staff, pairing):
    client.force_login(staff)
    url = f"/admin/mentorship/pairing/{pairing.pk}/intro-call/"
    response = client.post(
        url,
        {
            "action": "schedule",
            "starts_at": "2001-01-01T09:00",
            "duration_minutes": "500",
            "location": "",
            "host": "999999999999999999999",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose a time in the future." in page
    assert "A call lasts 10 to 180 minutes." in page
    assert "Give the link or phone details to join." in page
    assert not IntroCall.objects.exists()
    assert (
        client.post(url, {"action": "schedule", "starts_at": "soon"}).status_code == 200
    )


def test_a_proposed_pairing_has_no_call_yet(staff, pairing):
    pairing.status = Status.PROPOSED
    pairing.save()
    with pytest.raises(services.PairingError, match="once both people have accepted"):
        services.intro_call_schedule(
            pairing_id=pairing.pk,
            starts_at=datetime(2030, 1, 1, tzinfo=UTC),
            duration_minutes=30,
            location="x",
            host=staff,
            actor=staff,
        )


def test_a_held_call_makes_the_pairing_active(staff, pairing):
    start = datetime(2030, 1, 6, 15, tzinfo=UTC)
    services.intro_call_schedule(
        pairing_id=pairing.pk,
        starts_at=start,
        duration_minutes=30,
        location="tel:+1 555 0100, code 42",
        host=staff,
        actor=staff,
    )
    with pytest.raises(services.PairingError, match="not started yet"):
        services.intro_call_record(
            pairing_id=pairing.pk, held=True, note="", actor=staff
        )
    services.intro_call_record(
        pairing_id=pairing.pk,
        held=True,
        note="Warm start; they chose video calls.",
        actor=staff,
        now=start + timedelta(hours=1),
    )
    pairing.refresh_from_db()
    assert pairing.status == Status.ACTIVE
    assert pairing.events.last().description == (
        "Active: the introductory call was held"
    )


def test_the_pair_see_the_call_and_download_it(
    client, staff, pairing, mentee, stranger
):
    services.intro_call_schedule(
        pairing_id=pairing.pk,
        starts_at=datetime(2030, 1, 6, 15, tzinfo=UTC),
        duration_minutes=30,
        location="https://meet.example.org/b",
        host=staff,
        actor=staff,
    )
    client.force_login(mentee)  # Asia/Kolkata
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "Sunday 6 January 2030, 20:30" in page
    assert "your time: in " in page
    assert "Add to your calendar (.ics)" in page
    download = client.get(f"/pairings/{pairing.pk}/intro-call.ics")
    assert download["Content-Type"] == "text/calendar"
    [event] = Calendar.from_ical(download.content).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2030, 1, 6, 15, tzinfo=UTC)
    client.force_login(stranger)
    assert client.get(f"/pairings/{pairing.pk}/intro-call.ics").status_code == 404


def test_only_staff_schedule_calls(client, pairing, mentor):
    client.force_login(mentor)
    response = client.post(
        f"/admin/mentorship/pairing/{pairing.pk}/intro-call/",
        {"action": "cancel"},
    )
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_view_only_staff_see_the_call_page_but_cannot_change_it(client, pairing):
    from django.contrib.auth.models import Permission

    from conftest import make_user

    clerk = make_user("clerk@example.com", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_pairing"))
    client.force_login(clerk)
    url = f"/admin/mentorship/pairing/{pairing.pk}/intro-call/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "action": "schedule",
            "starts_at": "2030-01-01T09:00",
            "duration_minutes": "30",
            "location": "x",
            "host": clerk.pk,
        },
    )
    assert response.status_code == 403
    assert not IntroCall.objects.exists()


def test_a_missed_call_can_be_rescheduled_but_a_held_one_cannot(staff, pairing):
    start = datetime(2030, 1, 6, 15, tzinfo=UTC)
    schedule = {
        "pairing_id": pairing.pk,
        "duration_minutes": 30,
        "location": "https://meet.example.org/c",
        "host": staff,
        "actor": staff,
    }
    services.intro_call_schedule(starts_at=start, **schedule)
    after = start + timedelta(hours=1)
    services.intro_call_record(
        pairing_id=pairing.pk, held=False, note="", actor=staff, now=after
    )
    with pytest.raises(services.PairingError, match="no scheduled"):
        services.intro_call_record(
            pairing_id=pairing.pk, held=True, note="", actor=staff, now=after
        )
    call = services.intro_call_schedule(starts_at=start + timedelta(days=7), **schedule)
    assert call.status == IntroCall.Status.SCHEDULED and call.sequence == 1
    services.intro_call_record(
        pairing_id=pairing.pk,
        held=True,
        note="",
        actor=staff,
        now=start + timedelta(days=8),
    )
    with pytest.raises(services.PairingError, match="already taken place"):
        services.intro_call_schedule(starts_at=start + timedelta(days=30), **schedule)


def test_a_new_host_takes_over_and_the_old_one_is_released(
    staff, pairing, django_capture_on_commit_callbacks
):
    from conftest import make_user

    other_host = make_user("host2@example.com", is_staff=True, full_name="Hana Host")
    start = datetime(2030, 1, 6, 15, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        call = services.intro_call_schedule(
            pairing_id=pairing.pk,
            starts_at=start,
            duration_minutes=30,
            location="x",
            host=staff,
            actor=staff,
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.intro_call_schedule(
            pairing_id=pairing.pk,
            starts_at=start,
            duration_minutes=30,
            location="x",
            host=other_host,
            actor=staff,
        )
    to_old = [m for m in mail.outbox if m.to == [staff.email]]
    assert len(to_old) == 1
    calendar, event, _ = invitation(to_old[0])
    assert calendar["METHOD"] == "CANCEL" and str(event["UID"]) == call.uid
    assert {m.to[0] for m in mail.outbox} == {
        staff.email,
        other_host.email,
        pairing.mentee.email,
        pairing.mentor.email,
    }


def test_a_blank_time_zone_shows_utc_instead_of_failing(client, staff, pairing, mentee):
    services.intro_call_schedule(
        pairing_id=pairing.pk,
        starts_at=datetime(2030, 1, 6, 15, tzinfo=UTC),
        duration_minutes=30,
        location="x",
        host=staff,
        actor=staff,
    )
    type(pairing.mentor).objects.filter(pk=pairing.mentor_id).update(time_zone="")
    client.force_login(mentee)
    assert client.get(f"/pairings/{pairing.pk}/").status_code == 200
    client.force_login(staff)
    url = f"/admin/mentorship/pairing/{pairing.pk}/intro-call/"
    assert client.get(url).status_code == 200
