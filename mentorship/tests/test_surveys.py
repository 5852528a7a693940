"""The closing and follow-up surveys: answered once by the people they were
sent to, the follow-up six months on, and the results per cycle for staff."""

import re
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from conftest import make_user
from mentorship import services
from mentorship.models import Cycle, OutboundEmail, Pairing, SurveyResponse
from mentorship.tests.factories import mentor_profile

Status = Pairing.Status
Kind = SurveyResponse.Kind


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def closed(db, mentee, mentor, django_capture_on_commit_callbacks):
    """A pairing whose year closed, completed, at 12:00 UTC on 2 January 2028."""
    mentor_profile(mentor)
    pairing = Pairing.objects.create(
        cycle=Cycle.objects.create(name="2027"),
        mentee=mentee,
        mentor=mentor,
        status=Status.ACTIVE,
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 1, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.pairings_close_due(now=at(2028, 1, 2, 12))
    pairing.refresh_from_db()
    assert pairing.status == Status.COMPLETED
    mail.outbox.clear()
    return pairing


def survey_url(pairing, kind="closing"):
    return f"/pairings/{pairing.pk}/survey/{kind}/"


CLOSING_ANSWERS = {
    "rating": "5",
    "objectives_achieved": "most",
    "would_recommend": "yes",
    "helped": "  Monthly calls kept me going.  ",
    "to_change": "",
    "take_part_again": "yes",
}


def test_each_person_answers_the_closing_survey_once(client, closed, mentee, mentor):
    client.force_login(mentor)
    page = client.get(survey_url(closed)).content.decode()
    assert "Would you mentor again in a future cycle?" in page
    client.force_login(mentee)
    page = client.get(survey_url(closed)).content.decode()
    assert "<h1" in page and "Closing survey</h1>" in page
    assert "Would you like to be mentored again in a future cycle?" in page
    assert "Henrik Larsen does not see them" in page

    response = client.post(survey_url(closed), CLOSING_ANSWERS, follow=True)
    assert response.redirect_chain == [(f"/pairings/{closed.pk}/", 302)]
    page = response.content.decode()
    assert "Thank you: your answers are recorded." in page
    assert "You answered the closing survey on" in page
    answer = SurveyResponse.objects.get(person=mentee, kind=Kind.CLOSING)
    assert answer.answered_at is not None
    assert (answer.rating, answer.objectives_achieved) == (5, "most")
    assert (answer.would_recommend, answer.take_part_again) == (True, True)
    assert (answer.helped, answer.to_change) == ("Monthly calls kept me going.", "")
    assert closed.events.last().description == "The mentee answered the closing survey"

    # A second answer is refused kindly, and the first is kept.
    again = client.post(
        survey_url(closed), {**CLOSING_ANSWERS, "rating": "1"}, follow=True
    )
    assert again.redirect_chain == [(survey_url(closed), 302)]
    page = again.content.decode()
    assert "You have answered this survey already; thank you." in page
    assert "You answered this survey on" in page
    assert '<form method="post" novalidate>' not in page
    answer.refresh_from_db()
    assert answer.rating == 5
    with pytest.raises(services.PairingError, match="answered this survey already"):
        services.survey_answer(
            pairing_id=closed.pk,
            person=mentee,
            kind=Kind.CLOSING,
            answers={
                "rating": 1,
                "objectives_achieved": "none",
                "would_recommend": False,
                "helped": "",
                "to_change": "",
                "take_part_again": False,
            },
        )


def test_the_survey_is_only_for_the_people_it_was_sent_to(
    client, closed, mentee, stranger
):
    client.force_login(stranger)
    assert client.get(survey_url(closed)).status_code == 404
    assert client.post(survey_url(closed), CLOSING_ANSWERS).status_code == 404
    client.force_login(mentee)
    # Not sent yet, or no such survey.
    assert client.get(survey_url(closed, "follow_up")).status_code == 404
    assert client.get(survey_url(closed, "nonsense")).status_code == 404
    # A NUL in the kind was a server error on PostgreSQL; an address with a
    # NUL is now refused before any view runs.
    assert client.get(survey_url(closed, "closing\x00")).status_code == 400
    client.logout()
    response = client.get(survey_url(closed))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not SurveyResponse.objects.filter(answered_at__isnull=False).exists()


def test_a_wrong_answer_keeps_what_was_typed(client, closed, mentee):
    client.force_login(mentee)
    response = client.post(
        survey_url(closed),
        {
            "rating": "6",
            "objectives_achieved": "some",
            "helped": "Our <b>monthly</b> calls",
            "to_change": "More structure",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Some answers need your attention" in page
    assert "Choose a rating from 1 to 5." in page
    assert "Say whether you would recommend the program." in page
    assert "Say whether you would take part again." in page
    assert "Our &lt;b&gt;monthly&lt;/b&gt; calls</textarea>" in page
    assert "More structure</textarea>" in page
    assert re.search(r'value="some"[^>]*checked', page)
    assert re.search(r'<label\s+for="id_helped"', page)
    assert not SurveyResponse.objects.filter(answered_at__isnull=False).exists()


def test_the_pairing_list_links_the_survey_waiting(client, closed, mentee):
    client.force_login(mentee)
    page = client.get("/pairings/").content.decode()
    assert survey_url(closed) in page
    assert "Answer the closing survey" in page
    client.post(survey_url(closed), CLOSING_ANSWERS)
    page = client.get("/pairings/").content.decode()
    assert survey_url(closed) not in page


def test_the_database_keeps_the_answers_honest(closed, mentee):
    survey = SurveyResponse.objects.get(person=mentee)
    with transaction.atomic(), pytest.raises(IntegrityError):
        SurveyResponse.objects.filter(pk=survey.pk).update(
            answered_at=timezone.now(),
            rating=6,
            objectives_achieved="all",
            would_recommend=True,
            take_part_again=True,
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        # A closing survey answered without its answers.
        SurveyResponse.objects.filter(pk=survey.pk).update(answered_at=timezone.now())
    with transaction.atomic(), pytest.raises(IntegrityError):
        # The follow-up's question is not the closing survey's.
        SurveyResponse.objects.filter(pk=survey.pk).update(
            answered_at=timezone.now(),
            rating=4,
            objectives_achieved="all",
            would_recommend=True,
            take_part_again=True,
            still_in_contact=True,
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        SurveyResponse.objects.create(
            pairing=closed, person=mentee, role="mentee", kind=Kind.CLOSING
        )


# The follow-up, six months on


def follow_ups(when, capture):
    with capture(execute=True):
        return services.surveys_send_follow_ups(now=when)


def test_the_follow_up_goes_once_six_months_after_the_close(
    client, closed, mentee, mentor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert follow_ups(at(2028, 7, 2, 11, 59), capture) == 0
    assert mail.outbox == []
    assert follow_ups(at(2028, 7, 2, 12), capture) == 2
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        (mentee.email, "Six months on: three questions about your mentoring year"),
        (mentor.email, "Six months on: three questions about your mentoring year"),
    ]
    assert all(survey_url(closed, "follow_up") in m.body for m in mail.outbox)
    mail.outbox.clear()
    assert follow_ups(at(2028, 7, 2, 13), capture) == 0
    assert follow_ups(at(2029, 1, 1), capture) == 0
    assert mail.outbox == []

    client.force_login(mentor)
    page = client.get(survey_url(closed, "follow_up")).content.decode()
    assert "for your mentee&#x27;s career or your own?" in page
    client.force_login(mentee)
    page = client.get(survey_url(closed, "follow_up")).content.decode()
    assert "Are you still in contact with each other?" in page
    response = client.post(
        survey_url(closed, "follow_up"),
        {"still_in_contact": "yes", "progress": "I lead a trial now.", "rating": "4"},
    )
    assert response.status_code == 302
    answer = SurveyResponse.objects.get(person=mentee, kind=Kind.FOLLOW_UP)
    assert (answer.still_in_contact, answer.progress, answer.rating) == (
        True,
        "I lead a trial now.",
        4,
    )
    assert answer.objectives_achieved == "" and answer.would_recommend is None


def test_each_closing_survey_is_marked_once_its_follow_up_went(
    closed, mentee, mentor, django_capture_on_commit_callbacks
):
    # The mentee's follow-up went out before closing surveys were marked
    # (the migration marks those; here one it missed): it is not sent
    # again, and the closing survey is marked so the task skips it from now.
    SurveyResponse.objects.create(
        pairing=closed,
        person=mentee,
        role="mentee",
        kind=Kind.FOLLOW_UP,
        invited_at=at(2028, 7, 1),
    )
    assert follow_ups(at(2028, 7, 2, 12), django_capture_on_commit_callbacks) == 1
    assert [m.to[0] for m in mail.outbox] == [mentor.email]
    marks = dict(
        SurveyResponse.objects.filter(kind=Kind.CLOSING).values_list(
            "person", "follow_up_sent_at"
        )
    )
    assert marks == {mentee.pk: at(2028, 7, 2, 12), mentor.pk: at(2028, 7, 2, 12)}


def test_no_follow_up_without_a_closing_survey(
    mentee, mentor, django_capture_on_commit_callbacks
):
    # Ended with no contact ever: no closing survey, so no follow-up either.
    Pairing.objects.create(
        cycle=Cycle.objects.create(name="2027"),
        mentee=mentee,
        mentor=mentor,
        status=Status.ENDED,
        ended_at=at(2028, 1, 1),
    )
    assert follow_ups(at(2028, 8, 1), django_capture_on_commit_callbacks) == 0


# Follow-ups in batches

# Following up a batch: the due ids, the savepoint, the lock, the follow-ups
# sent before, the new ones, the closing surveys marked, the emails
# (written, then read back to hand on), the savepoint released, and the due
# ids again, none left.
FOLLOW_UP_BATCH_QUERIES = 10


def closed_pairs(mentor, start, count):
    """Pairings closed on 2 January 2028, a closing survey sent to each of
    the two; one in three mentees had their follow-up sent already."""
    cycle = Cycle.objects.first()
    pairings = []
    for number in range(start, start + count):
        pairing = Pairing.objects.create(
            cycle=cycle,
            mentee=make_user(
                f"closed{number}@example.com",
                full_name=f"Mentee {number}",
                time_zone="Asia/Manila",
            ),
            mentor=mentor,
            status=Status.COMPLETED,
            ended_at=at(2028, 1, 2, 12),
        )
        for person in (pairing.mentee, mentor):
            SurveyResponse.objects.create(
                pairing=pairing,
                person=person,
                role=pairing.role_of(person),
                kind=Kind.CLOSING,
                invited_at=at(2028, 1, 2, 12),
            )
        if number % 3 == 0:
            SurveyResponse.objects.create(
                pairing=pairing,
                person=pairing.mentee,
                role="mentee",
                kind=Kind.FOLLOW_UP,
                invited_at=at(2028, 7, 1),
            )
        pairings.append(pairing)
    return pairings


def test_following_up_a_batch_costs_the_same_queries_however_many(
    closed, mentor, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    closed_pairs(mentor, 1, 2)
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(FOLLOW_UP_BATCH_QUERIES) as few,
    ):
        assert services.surveys_send_follow_ups(now=at(2028, 7, 2, 12)) == 6
    closed_pairs(mentor, 3, 30)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        assert services.surveys_send_follow_ups(now=at(2028, 7, 2, 12)) == 50
    assert len(mail.outbox) == 50
    assert not SurveyResponse.objects.filter(
        kind=Kind.CLOSING, follow_up_sent_at__isnull=True
    ).exists()


def test_a_batch_sends_what_following_up_one_at_a_time_sends(
    closed, mentor, monkeypatch, django_capture_on_commit_callbacks
):
    closed_pairs(mentor, 1, 6)

    def followed_up_in_batches_of(size):
        with transaction.atomic():
            with django_capture_on_commit_callbacks() as callbacks:
                sent = services.surveys_send_follow_ups(
                    now=at(2028, 7, 2, 12), batch_size=size
                )
            handed_on = []
            monkeypatch.setattr(services, "_send_in_background", handed_on.append)
            for callback in callbacks:
                callback()
            rows = {
                "surveys": sorted(
                    SurveyResponse.objects.values_list(
                        "pairing_id",
                        "person_id",
                        "kind",
                        "role",
                        "invited_at",
                        "follow_up_sent_at",
                    )
                ),
                "emails": sorted(
                    OutboundEmail.objects.values_list(
                        "idempotency_key",
                        "event",
                        "to",
                        "subject",
                        "body_text",
                        "body_html",
                    )
                ),
                "handed_on": sorted(
                    OutboundEmail.objects.filter(pk__in=handed_on).values_list(
                        "idempotency_key", flat=True
                    )
                ),
            }
            transaction.set_rollback(True)
        return sent, rows

    one_at_a_time = followed_up_in_batches_of(1)
    assert followed_up_in_batches_of(200) == one_at_a_time
    sent, rows = one_at_a_time
    assert sent == len(rows["handed_on"]) == 2 + 2 * 6 - 2
    follow_ups = [row for row in rows["emails"] if row[1] == "survey.follow_up"]
    assert len(follow_ups) == sent
    assert all("in 2027 came to its end" in row[4] for row in follow_ups)


def test_one_broken_follow_up_does_not_stop_the_others(
    closed, mentee, mentor, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    closed_pairs(mentor, 1, 1)
    real = services._follow_up_email

    def breaks_for_mentee(closing_survey):
        if closing_survey.person_id == mentee.pk:
            raise RuntimeError("broken")
        return real(closing_survey)

    monkeypatch.setattr(services, "_follow_up_email", breaks_for_mentee)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_send_follow_ups(now=at(2028, 7, 2, 12)) == 3
    assert mentee.email not in {m.to[0] for m in mail.outbox}
    assert len(mail.outbox) == 3
    waiting = SurveyResponse.objects.get(person=mentee, kind=Kind.CLOSING)
    assert waiting.follow_up_sent_at is None
    assert f"Follow-up of closing survey {waiting.pk} failed" in caplog.text
    monkeypatch.setattr(services, "_follow_up_email", real)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_send_follow_ups(now=at(2028, 7, 2, 13)) == 1


# Results for staff


def answered(pairing, person, **answers):
    return SurveyResponse.objects.create(
        pairing=pairing,
        person=person,
        role=pairing.role_of(person),
        kind=answers.pop("kind", Kind.CLOSING),
        answered_at=timezone.now() if answers else None,
        **answers,
    )


def closing_answers(rating, achieved, recommend, again, helped=""):
    return {
        "rating": rating,
        "objectives_achieved": achieved,
        "would_recommend": recommend,
        "take_part_again": again,
        "helped": helped,
    }


def closed_pairing(cycle, number):
    return Pairing.objects.create(
        cycle=cycle,
        mentee=make_user(f"mentee{cycle.pk}-{number}@example.com"),
        mentor=make_user(f"mentor{cycle.pk}-{number}@example.com"),
        status=Status.COMPLETED,
        ended_at=timezone.now(),
    )


@pytest.fixture
def results(db):
    cycle = Cycle.objects.create(name="2027", program_starts_on=date(2027, 1, 1))
    first, second = closed_pairing(cycle, 1), closed_pairing(cycle, 2)
    answered(
        first,
        first.mentee,
        **closing_answers(5, "all", True, True, "<script>alert(1)</script>"),
    )
    answered(first, first.mentor, **closing_answers(3, "some", False, True))
    answered(second, second.mentee)  # sent, not answered
    answered(second, second.mentor, **closing_answers(4, "most", True, False))
    answered(
        first,
        first.mentee,
        kind=Kind.FOLLOW_UP,
        rating=4,
        still_in_contact=True,
        progress="Promoted to consultant",
    )
    answered(first, first.mentor, kind=Kind.FOLLOW_UP)
    # Another cycle's answers are not counted.
    earlier = Cycle.objects.create(name="2026", program_starts_on=date(2026, 1, 1))
    other = closed_pairing(earlier, 1)
    answered(other, other.mentee, **closing_answers(1, "none", False, False))
    return cycle


def test_staff_see_a_cycles_results_by_role(client, staff, results):
    client.force_login(staff)
    response = client.get(f"/staff/surveys/?cycle={results.pk}")
    assert response.status_code == 200
    rows = {
        label: [str(cell) for cell in cells]
        for label, cells in response.context["closing_rows"]
    }
    assert response.context["column_names"] == ["Mentees", "Mentors", "All"]
    assert rows["Answered, of those sent the survey"] == [
        "1 of 2 (50%)",
        "2 of 2 (100%)",
        "3 of 4 (75%)",
    ]
    assert rows["Average overall rating (1 to 5)"] == ["5.0", "3.5", "4.0"]
    assert rows["All objectives achieved"] == [
        "1 of 1 (100%)",
        "0 of 2 (0%)",
        "1 of 3 (33%)",
    ]
    assert rows["Most achieved"][2] == "1 of 3 (33%)"
    assert rows["None achieved"][2] == "0 of 3 (0%)"
    assert rows["Would recommend the program"] == [
        "1 of 1 (100%)",
        "1 of 2 (50%)",
        "2 of 3 (67%)",
    ]
    assert rows["Would take part again (mentor again, be mentored again)"] == [
        "1 of 1 (100%)",
        "1 of 2 (50%)",
        "2 of 3 (67%)",
    ]
    follow_up = {
        label: [str(cell) for cell in cells]
        for label, cells in response.context["follow_up_rows"]
    }
    assert follow_up["Answered, of those sent the survey"] == [
        "1 of 1 (100%)",
        "0 of 1 (0%)",
        "1 of 2 (50%)",
    ]
    assert follow_up["Still in contact"] == ["1 of 1 (100%)", "—", "1 of 1 (100%)"]
    assert follow_up["Average lasting value (1 to 5)"] == ["4.0", "—", "4.0"]

    page = response.content.decode()
    assert '<th scope="row">Would recommend the program</th>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Promoted to consultant" in page
    assert "style=" not in page


def test_without_a_choice_the_latest_cycle_with_surveys_is_shown(
    client, staff, results
):
    # Newer, nothing sent yet.
    Cycle.objects.create(name="2028", program_starts_on=date(2028, 1, 1))
    client.force_login(staff)
    response = client.get("/staff/surveys/?cycle=nonsense")
    assert response.context["cycle"] == results
    assert "2028 (no surveys yet)" in response.content.decode()


def test_the_results_page_reads_the_same_queries_for_any_number_of_answers(
    client, staff, results, django_assert_max_num_queries
):
    client.force_login(staff)
    url = f"/staff/surveys/?cycle={results.pk}"
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for number in range(3, 23):
        pairing = closed_pairing(results, number)
        for person in (pairing.mentee, pairing.mentor):
            answered(
                pairing, person, **closing_answers(4, "most", True, True, f"#{number}")
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    rows = dict(response.context["closing_rows"])
    assert str(rows["Answered, of those sent the survey"][2]) == "43 of 44 (98%)"
    assert "#22" in response.content.decode()


def test_the_results_are_for_staff_who_may_see_surveys(client, results, mentee):
    response = client.get("/staff/surveys/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    # Anyone else who may not read them gets the 404 a stranger gets.
    client.force_login(mentee)
    assert client.get("/staff/surveys/").status_code == 404
    clerk = make_user("clerk@example.com", is_staff=True)
    client.force_login(clerk)
    assert client.get("/staff/surveys/").status_code == 404
    clerk.user_permissions.add(Permission.objects.get(codename="view_surveyresponse"))
    client.force_login(clerk)
    assert client.get("/staff/surveys/").status_code == 200


def test_the_admin_lists_surveys_read_only(client, staff, results):
    client.force_login(staff)
    url = "/admin/mentorship/surveyresponse/"
    response = client.get(
        url, {"kind": "closing", "pairing__cycle__id__exact": results.pk}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 4
    assert 'href="/staff/surveys/"' in response.content.decode()
    assert client.get(url, {"role": "mentor", "answered": "yes"}).status_code == 200
    assert client.get(url + "add/").status_code == 403
