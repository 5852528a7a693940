"""Contacts logged by the pair, confirmed by the other, and the year's months."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import Interest
from mentorship import services
from mentorship.models import CheckIn, Cycle, Pairing
from mentorship.months import (
    CURRENT,
    MET,
    MISSED,
    UPCOMING,
    month_number,
    month_statuses,
    program_months,
)
from mentorship.tests.factories import mentor_profile

Status = Pairing.Status


@pytest.fixture
def pairing(db, mentee, mentor):
    mentor_profile(mentor)
    cycle = Cycle.objects.create(name="2026")
    return Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Status.INTRODUCED,
        confirmed_at=timezone.now() - timedelta(days=40),
        starts_on=timezone.localdate() - timedelta(days=35),
        ends_on=timezone.localdate() + timedelta(days=330),
    )


def answers(**overrides):
    return {
        "occurred_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "way": "video",
        "initiated_by": "mentee",
        "minutes": "45",
        "topics": [str(Interest.objects.get(slug="breast").pk)],
        "other_topics": "  fellowship   applications ",
        "notes": "Talked through her first protocol.",
        **overrides,
    }


def test_the_mentee_logs_a_contact_and_the_mentor_confirms_it(
    client, pairing, mentee, mentor, django_capture_on_commit_callbacks
):
    client.force_login(mentee)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/pairings/{pairing.pk}/checkins/", answers())
    assert response["Location"] == f"/pairings/{pairing.pk}/#checkins"
    checkin = CheckIn.objects.get()
    assert (checkin.author, checkin.way, checkin.minutes) == (mentee, "video", 45)
    assert checkin.other_topics == "fellowship applications"
    assert [t.slug for t in checkin.topics.all()] == ["breast"]
    pairing.refresh_from_db()
    assert pairing.status == Status.ACTIVE
    [message] = mail.outbox
    assert message.to == [mentor.email]
    assert "please confirm" in message.subject

    client.force_login(mentor)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "---------" not in page  # no empty radio choice
    assert "Yes, we met" in page
    assert "Talked through her first protocol." in page
    client.post(
        f"/pairings/{pairing.pk}/checkins/{checkin.pk}/answer/", {"answer": "yes"}
    )
    checkin.refresh_from_db()
    assert checkin.confirmation == CheckIn.Confirmation.CONFIRMED
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "Yes, we met" not in page
    assert "month-met" in page


def test_a_disputed_contact_is_shown_to_staff_and_does_not_count(
    client, pairing, mentee, mentor, staff
):
    checkin = services.checkin_log(
        pairing_id=pairing.pk,
        author=mentee,
        occurred_on=timezone.localdate() - timedelta(days=1),
        way="phone",
        initiated_by="mentee",
        minutes=20,
    )
    client.force_login(mentor)
    client.post(
        f"/pairings/{pairing.pk}/checkins/{checkin.pk}/answer/", {"answer": "no"}
    )
    checkin.refresh_from_db()
    assert checkin.confirmation == CheckIn.Confirmation.DISPUTED
    assert "is not right" in pairing.events.last().description
    client.force_login(staff)
    listing = client.get("/admin/mentorship/checkin/?confirmation__exact=disputed")
    assert "Amara Okafor" in listing.content.decode()
    client.force_login(mentee)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "Not confirmed: the other person disagrees" in page
    assert "month-met" not in page


def test_private_notes_stay_with_their_author(client, pairing, mentee, mentor):
    services.checkin_log(
        pairing_id=pairing.pk,
        author=mentor,
        occurred_on=timezone.localdate(),
        way="email",
        initiated_by="mentee",
        minutes=10,
        notes="She seems tired; ask about workload.",
        notes_private=True,
    )
    client.force_login(mentee)
    assert (
        "ask about workload"
        not in client.get(f"/pairings/{pairing.pk}/").content.decode()
    )
    client.force_login(mentor)
    page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "ask about workload" in page and "(private to you)" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("occurred_on", "", "Enter the date of the contact."),
        ("occurred_on", "2100-01-01", "The date is in the future"),
        ("occurred_on", "2001-01-01", "That is before you both accepted"),
        ("way", "pigeon", "Select a valid choice."),
        ("minutes", "0", "Enter a length from 1 to 600 minutes."),
        ("minutes", "", "Enter about how many minutes it took."),
        ("topics", ["99999999999999999999999"], "Select a valid choice."),
    ],
)
def test_a_bad_contact_is_refused_at_its_field_and_the_rest_is_kept(
    client, pairing, mentee, field, value, message
):
    client.force_login(mentee)
    response = client.post(
        f"/pairings/{pairing.pk}/checkins/", answers(**{field: value})
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "Talked through her first protocol." in page
    assert not CheckIn.objects.exists()


def test_strangers_and_the_author_cannot_answer(client, pairing, mentee, stranger):
    checkin = services.checkin_log(
        pairing_id=pairing.pk,
        author=mentee,
        occurred_on=timezone.localdate(),
        way="video",
        initiated_by="mentee",
        minutes=30,
    )
    client.force_login(stranger)
    url = f"/pairings/{pairing.pk}/checkins/{checkin.pk}/answer/"
    assert client.post(url, {"answer": "yes"}).status_code == 404
    assert (
        client.post(f"/pairings/{pairing.pk}/checkins/", answers()).status_code == 404
    )
    client.force_login(mentee)
    client.post(url, {"answer": "yes"})
    checkin.refresh_from_db()
    assert checkin.confirmation == CheckIn.Confirmation.WAITING
    assert client.get(url).status_code == 405


def test_contacts_are_logged_only_while_the_pairing_is_under_way(pairing, mentee):
    pairing.status = Status.PROPOSED
    pairing.save()
    with pytest.raises(services.PairingError, match="under way"):
        services.checkin_log(
            pairing_id=pairing.pk,
            author=mentee,
            occurred_on=timezone.localdate(),
            way="video",
            initiated_by="mentee",
            minutes=30,
        )


def test_the_pairing_keeps_the_day_of_its_latest_contact_that_counts(
    pairing, mentee, mentor
):
    def log(day):
        return services.checkin_log(
            pairing_id=pairing.pk,
            author=mentee,
            occurred_on=day,
            way="video",
            initiated_by="mentee",
            minutes=30,
        )

    def stored():
        pairing.refresh_from_db()
        return pairing.last_contact_on

    today = timezone.localdate()
    assert stored() is None
    latest = log(today - timedelta(days=3))
    assert stored() == today - timedelta(days=3)
    log(today - timedelta(days=20))  # logged late: not the latest
    assert stored() == today - timedelta(days=3)
    services.checkin_answer(checkin_id=latest.pk, user=mentor, agree=False)
    assert stored() == today - timedelta(days=20)  # a disputed one does not count


def test_the_pairing_page_query_count_does_not_grow_with_contacts(
    client, pairing, mentee, django_assert_max_num_queries
):
    client.force_login(mentee)

    def log(n):
        for _ in range(n):
            services.checkin_log(
                pairing_id=pairing.pk,
                author=mentee,
                occurred_on=timezone.localdate(),
                way="video",
                initiated_by="mentee",
                minutes=30,
            )

    log(1)
    with django_assert_max_num_queries(20) as few:
        client.get(f"/pairings/{pairing.pk}/")
    log(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    assert page.count("Video call, 30 minutes") == 16


def test_the_empty_contact_form_is_rendered_once_and_shows_the_topics_as_they_are(
    client, pairing, mentee, mentor
):
    url = f"/pairings/{pairing.pk}/"
    fields = "mentorship/_checkin_fields.html"
    client.force_login(mentee)
    first = client.get(url)
    assert fields in [t.name for t in first.templates]
    # The mentor's page, or the mentee's again: the same fields, not rendered.
    client.force_login(mentor)
    again = client.get(url)
    assert fields not in [t.name for t in again.templates]
    assert 'name="topics" value="' in again.content.decode()

    topic = Interest.objects.get(slug="breast")
    topic.name = "Breast cancer, early and metastatic"
    topic.save()
    assert "Breast cancer, early and metastatic" in client.get(url).content.decode()
    topic.is_active = False
    topic.save()
    page = client.get(url).content.decode()
    assert "Breast cancer, early and metastatic" not in page
    assert f'value="{topic.pk}"' not in page


@time_machine.travel(datetime(2026, 12, 1, 9, 30, tzinfo=UTC), tick=False)
def test_the_kept_contact_form_is_the_form_as_rendered_afresh(
    client, pairing, mentee, settings
):
    url = f"/pairings/{pairing.pk}/"
    client.force_login(mentee)
    client.get(url)
    kept = client.get(url).content.decode()
    settings.CACHES = {
        **settings.CACHES,
        "fragments": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    afresh = client.get(url)
    assert "mentorship/_checkin_fields.html" in [t.name for t in afresh.templates]
    # The only difference allowed: the per-request CSRF token.
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", kept) == strip.sub("", afresh.content.decode())


def test_a_refused_contact_is_shown_with_its_answers_not_the_kept_empty_form(
    client, pairing, mentee
):
    client.force_login(mentee)
    client.get(f"/pairings/{pairing.pk}/")  # keeps the empty fields
    response = client.post(
        f"/pairings/{pairing.pk}/checkins/", answers(minutes="0", way="phone")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a length from 1 to 600 minutes." in page
    assert re.search(r'name="way" value="phone"[^>]* checked>', page)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 2, 10), [MET] + [UPCOMING] * 11),
        (date(2027, 3, 5), [MET, CURRENT] + [UPCOMING] * 10),
        (date(2027, 4, 10), [MET, MISSED, CURRENT] + [UPCOMING] * 9),
        (date(2028, 2, 1), [MET] + [MISSED] * 11),
    ],
)
def test_months_count_from_the_start(today, expected):
    months = month_statuses(
        starts_on=date(2027, 1, 31),
        count=12,
        contacts=[date(2027, 2, 2)],
        today=today,
    )
    assert [m.status for m in months] == expected
    # 31 January: the second month starts on the last day of February.
    assert (months[1].starts_on, months[0].ends_on) == (
        date(2027, 2, 28),
        date(2027, 2, 27),
    )
    assert months[-1].ends_on == date(2028, 1, 30)


@pytest.mark.parametrize(
    ("day", "number"),
    [
        (date(2027, 1, 30), 0),
        (date(2027, 1, 31), 1),
        (date(2027, 2, 27), 1),
        # The month clamps to February's last day, and starts the second month.
        (date(2027, 2, 28), 2),
        (date(2027, 3, 30), 2),
        (date(2027, 3, 31), 3),
        (date(2028, 1, 30), 12),
        (date(2028, 1, 31), 13),
    ],
)
def test_month_number_agrees_with_the_months(day, number):
    assert month_number(date(2027, 1, 31), day) == number
    months = program_months(date(2027, 1, 31), 13)
    if number:
        first, last = months[number - 1]
        assert first <= day <= last


def test_a_logged_contact_knows_its_month(client, pairing, mentee):
    client.force_login(mentee)
    client.post(f"/pairings/{pairing.pk}/checkins/", answers())
    checkin = CheckIn.objects.get()
    assert checkin.month == month_number(pairing.starts_on, checkin.occurred_on) == 2


def test_the_month_turns_at_the_readers_midnight(client, pairing, mentee):
    # 23:30 UTC on 31 January is already 1 February in Kolkata: month 2.
    pairing.starts_on = date(2027, 1, 1)
    pairing.confirmed_at = datetime(2026, 12, 1, tzinfo=UTC)
    pairing.save()
    mentee.time_zone = "Asia/Kolkata"
    mentee.save()
    with time_machine.travel(datetime(2027, 1, 31, 23, 30, tzinfo=UTC), tick=False):
        client.force_login(mentee)
        page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    first, second = page.split('<li class="month month-')[1:3]
    assert first.startswith("missed") and second.startswith("current")
    mentee.time_zone = "America/New_York"
    mentee.save()
    with time_machine.travel(datetime(2027, 1, 31, 23, 30, tzinfo=UTC), tick=False):
        client.force_login(mentee)
        page = client.get(f"/pairings/{pairing.pk}/").content.decode()
    first = page.split('<li class="month month-')[1]
    assert first.startswith("current")


def test_an_answer_cannot_be_changed_or_given_after_the_year(
    client, pairing, mentee, mentor
):
    checkin = services.checkin_log(
        pairing_id=pairing.pk,
        author=mentee,
        occurred_on=timezone.localdate(),
        way="video",
        initiated_by="mentee",
        minutes=30,
    )
    services.checkin_answer(checkin_id=checkin.pk, user=mentor, agree=False)
    with pytest.raises(services.PairingError, match="answered"):
        services.checkin_answer(checkin_id=checkin.pk, user=mentor, agree=True)
    late = services.checkin_log(
        pairing_id=pairing.pk,
        author=mentee,
        occurred_on=timezone.localdate(),
        way="email",
        initiated_by="mentee",
        minutes=5,
    )
    pairing.status = Status.COMPLETED
    pairing.save()
    with pytest.raises(services.PairingError, match="no longer under way"):
        services.checkin_answer(checkin_id=late.pk, user=mentor, agree=True)


def test_notes_are_limited(client, pairing, mentee):
    client.force_login(mentee)
    response = client.post(
        f"/pairings/{pairing.pk}/checkins/", answers(notes="x" * 4001)
    )
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_admin_pairing_page_does_not_grow_with_contacts(
    client, pairing, mentee, staff, django_assert_max_num_queries
):
    def log(n):
        for _ in range(n):
            services.checkin_log(
                pairing_id=pairing.pk,
                author=mentee,
                occurred_on=timezone.localdate(),
                way="video",
                initiated_by="mentee",
                minutes=30,
            )

    client.force_login(staff)
    url = f"/admin/mentorship/pairing/{pairing.pk}/change/"
    log(1)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    log(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_contact_after_the_year_is_refused_at_its_field(client, pairing, mentee):
    # The contact is two days ago: the first day after the year.
    pairing.ends_on = timezone.localdate() - timedelta(days=2)
    pairing.save()
    client.force_login(mentee)
    response = client.post(f"/pairings/{pairing.pk}/checkins/", answers())
    page = response.content.decode()
    assert response.status_code == 400
    last_day = pairing.ends_on - timedelta(days=1)
    assert f"Your year ended on {last_day:%d %B %Y}" in page
    assert "Talked through her first protocol." in page
    assert not CheckIn.objects.exists()
