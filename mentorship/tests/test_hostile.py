"""Hostile input to the program's pages: the notification request and its
unsubscribe link, volunteering and the mentor's profile, check-ins and
their answers, the monthly pulse link, the Mentoring Plan, surveys, the
survey results, "your data" and deleting an account; and to the admin's
lists and pages of cycles, mentors, pairings (the introductory call,
extending and ending a year), emails, surveys and personal data.

Property-based tests (Hypothesis) post random and hostile data, other
people's ids and tampered links among it: never a server error; nothing
written when refused; what is taken is clean, and shown escaped. The
generated requests are in ``hostile.py``; each example is undone before the
next (``world.py``).
"""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import DataExport, DeletionRequest, Interest, MentorProfile
from accounts.testing import Client
from mentorship.models import (
    Activity,
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    OpeningNotification,
    OutboundEmail,
    Pairing,
    PulseAnswer,
    SurveyResponse,
)

from .hostile import (
    changelist_url,
    check_admin_actions,
    check_admin_change_forms,
    check_admin_lists,
    check_get,
    check_post,
    examples,
    form_data,
    hostile_text,
    succeeded,
)
from .personal_data_world import reauthenticate
from .world import build_world


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db, mentee, mentor, staff):
    world = build_world(mentee=mentee, mentor=mentor, staff=staff)
    world.data_export = DataExport.objects.create(user=mentee)
    world.other_data_export = DataExport.objects.create(user=world.other_mentee)
    world.deletion_request = DeletionRequest.objects.create(user=world.other_mentee)
    return world


@pytest.fixture
def as_mentee(world):
    return logged_in(world.mentee)


@pytest.fixture
def reauthenticated(as_mentee):
    """The mentee, who has just given the password again, as the pages of
    her data ask."""
    reauthenticate(as_mentee)
    return as_mentee


@pytest.fixture
def as_mentor(world):
    return logged_in(world.mentor)


@pytest.fixture
def as_staff(world):
    return logged_in(world.staff)


def interest_ids(kind) -> list[str]:
    return [
        str(pk)
        for pk in Interest.objects.filter(kind=kind, is_active=True).values_list(
            "pk", flat=True
        )[:2]
    ]


def someone_elses_ids(world):
    """The other pair's ids, and interests no form offers in a field: a
    career goal where an area goes, and a retired one."""
    retired = Interest.objects.filter(is_active=False).values_list("pk", flat=True)
    return (*world.others(), *interest_ids(Interest.Kind.GOAL)[:1], *retired[:1])


def tampered(token: str) -> st.SearchStrategy[str]:
    """A signed link's token as a careless or hostile visitor may send it:
    as it is, with a character changed, cut short, lengthened, or no token
    at all."""
    return st.one_of(
        st.just(token),
        st.builds(
            lambda at, character: token[:at] + character + token[at + 1 :],
            st.integers(min_value=0, max_value=len(token) - 1),
            st.sampled_from("AZaz09-_:."),
        ),
        st.integers(min_value=0, max_value=len(token) - 1).map(lambda at: token[:at]),
        st.sampled_from([token + "A", token + ":" + token, token.upper()]),
        hostile_text(),
    ).filter(bool)


def url_with(name: str, *args) -> str:
    """The address of `name` with `args` in it: ids as they are, and text
    as it comes, quoted (which `reverse` would refuse)."""
    marks = [arg if isinstance(arg, int) else f"TEXT{n}" for n, arg in enumerate(args)]
    url = reverse(name, args=marks)
    for mark, arg in zip(marks, args, strict=True):
        if not isinstance(arg, int):
            url = url.replace(mark, quote(arg, safe=""))
    return url


# Public pages


@examples(12)
@given(
    data=form_data(
        {"email": "reader@example.com"}, extra=("cycle", "notified_at", "is_staff")
    )
)
def test_asking_to_be_told_when_applications_open(client, world, data):
    check_post(
        client,
        reverse("notification_request"),
        data,
        saved=OpeningNotification.objects.all,
        shown_at=reverse("home"),
    )


@examples(20)
@given(st.data())
def test_the_unsubscribe_link(client, world, data):
    token = data.draw(
        st.one_of(tampered(world.notification_token), st.just(world.pulse_token))
    )
    url = url_with("notification_unsubscribe", token)
    check_get(client, url)

    def saved():
        # The link stops the emails to the address it was sent to alone.
        stopped = OpeningNotification.objects.filter(unsubscribed_at__isnull=False)
        assert {n.email for n in stopped} == {world.notification.email}
        return OpeningNotification.objects.all()

    # Mail programs' one-click unsubscribe posts the link as it is.
    check_post(
        client,
        url,
        {},
        saved=saved,
        took=lambda response: response.status_code == 200,
    )


@examples(20)
@given(st.data())
def test_the_pulse_link(client, world, data):
    token = data.draw(
        st.one_of(tampered(world.pulse_token), st.just(world.notification_token))
    )
    url = url_with("mentorship:pulse", token)
    check_get(client, url)

    def saved():
        # The answer the link was made for, whatever else was posted.
        answers = list(PulseAnswer.objects.all())
        assert [(a.pairing, a.person, a.month, a.talked) for a in answers] == [
            (world.pairing, world.mentee, 1, True)
        ]
        return answers

    check_post(
        client,
        url,
        data.draw(form_data({}, extra=("talked", "month", "person", "pairing"))),
        saved=saved,
        took=lambda response: response.status_code == 200,
    )


@examples(6)
@given(query=form_data({}, extra=("cycle", "page", "q", "next")))
def test_the_pages_of_a_pair_take_any_query(as_mentee, world, query):
    for name, args in [
        ("home", []),
        ("mentorship:pairing_list", []),
        ("mentorship:pairing_detail", [world.pairing.pk]),
        ("mentorship:pairing_detail", [world.other_pairing.pk]),
        ("mentorship:plan", [world.pairing.pk]),
        ("mentorship:plan_pdf", [world.pairing.pk]),
        ("mentorship:plan_pdf", [world.other_pairing.pk]),
        ("mentorship:pairing_intro_call_ics", [world.pairing.pk]),
        ("mentorship:survey", [world.closed_pairing.pk, "closing"]),
        ("mentorship:mentor_profile", []),
        ("accounts:profile", []),
    ]:
        check_get(as_mentee, reverse(name, args=args), query)


# Mentors


def mentor_answers(**fields) -> dict:
    return {
        "country": "IN",
        "institution": "Tata Memorial Hospital",
        "time_zone": "Asia/Kolkata",
        "membership_type": "full",
        "years_experience": "12",
        "position": "Consultant oncologist",
        "interests": interest_ids(Interest.Kind.AREA),
        "career_goals": interest_ids(Interest.Kind.GOAL),
        "languages": ["en", "hi"],
        "capacity": "2",
        "meeting_ways": ["video", "email"],
        "bio": "Fifteen years in head and neck oncology.",
        **fields,
    }


MENTOR_EXTRA = ("status", "user", "decided_by", "is_available", "agreed_at")


@examples(20)
@given(st.data())
def test_volunteering_to_mentor(stranger, world, data):
    post = data.draw(
        form_data(
            mentor_answers(agree="on"), *someone_elses_ids(world), extra=MENTOR_EXTRA
        )
    )

    def saved():
        profile = MentorProfile.objects.get(user=stranger)
        assert profile.status == MentorProfile.Status.PENDING
        return [profile, profile.user]

    check_post(
        logged_in(stranger),
        reverse("mentorship:mentor_volunteer"),
        post,
        saved=saved,
        shown_at=reverse("mentorship:mentor_profile"),
    )


@examples(20)
@given(st.data())
def test_the_mentors_profile(as_mentor, world, data):
    post = data.draw(
        form_data(mentor_answers(), *someone_elses_ids(world), extra=MENTOR_EXTRA)
    )

    def saved():
        profile = MentorProfile.objects.get(pk=world.mentor_profile.pk)
        assert profile.user == world.mentor
        return [profile, profile.user]

    check_post(
        as_mentor,
        reverse("mentorship:mentor_profile"),
        post,
        saved=saved,
        shown_at=reverse("mentorship:mentor_profile"),
    )
    check_post(
        as_mentor,
        reverse("mentorship:mentor_availability"),
        data.draw(form_data({"available": "no"}, extra=("capacity",))),
        saved=lambda: [MentorProfile.objects.get(pk=world.mentor_profile.pk)],
    )


# Check-ins


def pair_pks(world):
    """A pairing's id in an address: the pair's own, their closed one, the
    other pair's, and one that cannot exist."""
    return st.sampled_from(
        [world.pairing.pk] * 3
        + [world.closed_pairing.pk, world.other_pairing.pk, 2**63]
    )


@examples(25)
@given(st.data())
def test_logging_a_check_in(as_mentee, world, data):
    pk = data.draw(pair_pks(world), label="pairing")
    yesterday = timezone.localdate() - timedelta(days=1)
    post = data.draw(
        form_data(
            {
                "occurred_on": f"{yesterday}",
                "way": "video",
                "initiated_by": "mentor",
                "minutes": "40",
                "topics": interest_ids(Interest.Kind.AREA),
                "other_topics": "Grant writing",
                "notes": "We planned the abstract.",
                "notes_private": "on",
            },
            *someone_elses_ids(world),
            extra=("author", "pairing", "confirmation"),
        )
    )

    def saved():
        checkins = list(CheckIn.objects.filter(pairing_id=pk))
        assert pk == world.pairing.pk
        assert {checkin.author_id for checkin in checkins} <= {
            world.mentee.pk,
            world.mentor.pk,
        }
        return checkins

    check_post(
        as_mentee,
        reverse("mentorship:checkin_log", args=[pk]),
        post,
        saved=saved,
        shown_at=reverse("mentorship:pairing_detail", args=[world.pairing.pk]),
    )


@examples(15)
@given(st.data())
def test_answering_a_check_in(as_mentor, world, data):
    pk = data.draw(pair_pks(world), label="pairing")
    checkin = data.draw(
        st.sampled_from([world.checkin.pk, world.other_checkin.pk]), label="check-in"
    )
    # Confirmed, or disputed.
    answer = data.draw(st.sampled_from(["yes", "no"]), label="answer")
    post = data.draw(form_data({"answer": answer}, extra=("confirmation", "author")))
    check_post(
        as_mentor,
        reverse("mentorship:checkin_answer", args=[pk, checkin]),
        post,
        saved=lambda: CheckIn.objects.filter(pk=world.checkin.pk),
    )


# The Mentoring Plan


@examples(20)
@given(st.data())
def test_adding_to_the_plan(as_mentee, world, data):
    pk = data.draw(pair_pks(world), label="pairing")
    soon = timezone.localdate() + timedelta(days=30)
    objective = data.draw(
        form_data(
            {
                "title": "Submit a grant application",
                "success": "Submitted before the deadline.",
                "target_date": f"{soon}",
                "status": "on_track",
            },
            *someone_elses_ids(world),
            extra=("pairing", "position"),
        ),
        label="objective",
    )
    activity = data.draw(
        form_data(
            {
                "activity-title": "Read two funded proposals",
                "activity-due_on": f"{soon}",
                "activity-objective": str(world.objective.pk),
                "activity-done_on": "",
            },
            *someone_elses_ids(world),
            extra=("activity-pairing",),
        ),
        label="activity",
    )

    def saved():
        assert pk == world.pairing.pk
        return [
            *Objective.objects.filter(pairing_id=pk),
            *Activity.objects.filter(pairing_id=pk),
        ]

    plan = reverse("mentorship:plan", args=[world.pairing.pk])
    for name, post in [
        ("mentorship:plan_objective_add", objective),
        ("mentorship:plan_activity_add", activity),
        ("mentorship:plan_start", {}),
    ]:
        check_post(
            as_mentee,
            reverse(name, args=[pk]),
            post,
            saved=saved,
            shown_at=plan,
        )


@examples(20)
@given(st.data())
def test_editing_the_plan(as_mentor, world, data):
    pk = data.draw(pair_pks(world), label="pairing")
    objective = data.draw(
        st.sampled_from([world.objective.pk, world.other_objective.pk]),
        label="objective",
    )
    activity = data.draw(
        st.sampled_from([world.activity.pk, world.other_activity.pk]),
        label="activity",
    )
    today = timezone.localdate()
    objective_post = data.draw(
        form_data(
            {
                "title": "Publish a first paper",
                "success": "Accepted by a journal.",
                "target_date": f"{today + timedelta(days=90)}",
                "status": "done",
            },
            *someone_elses_ids(world),
            extra=("pairing",),
        ),
        label="objective's answers",
    )
    activity_post = data.draw(
        form_data(
            {
                "title": "Draft the abstract",
                "due_on": f"{today + timedelta(days=20)}",
                "objective": str(world.objective.pk),
                "done_on": f"{today}",
            },
            *someone_elses_ids(world),
            extra=("pairing",),
        ),
        label="activity's answers",
    )

    def saved():
        assert pk == world.pairing.pk
        objectives = list(Objective.objects.filter(pairing_id=pk))
        activities = list(Activity.objects.filter(pairing_id=pk))
        assert {a.objective_id for a in activities} <= {o.pk for o in objectives} | {
            None
        }
        return [*objectives, *activities]

    plan = reverse("mentorship:plan", args=[world.pairing.pk])
    check_post(
        as_mentor,
        reverse("mentorship:plan_objective_edit", args=[pk, objective]),
        objective_post,
        saved=saved,
        shown_at=plan,
    )
    check_post(
        as_mentor,
        reverse("mentorship:plan_activity_edit", args=[pk, activity]),
        activity_post,
        saved=saved,
        shown_at=plan,
    )


# Surveys


@examples(20)
@given(st.data())
def test_answering_a_survey(as_mentee, world, data):
    pk = data.draw(
        st.sampled_from([world.closed_pairing.pk] * 3 + [world.pairing.pk]),
        label="pairing",
    )
    kind = data.draw(
        st.one_of(st.sampled_from(["closing"] * 3 + ["follow_up"]), hostile_text()),
        label="kind",
    )
    post = data.draw(
        form_data(
            {
                "rating": "4",
                "objectives_achieved": "most",
                "would_recommend": "yes",
                "helped": "Monthly calls kept me going.",
                "to_change": "A shorter application form.",
                "take_part_again": "yes",
            },
            *someone_elses_ids(world),
            extra=("person", "role", "answered_at", "still_in_contact"),
        )
    )

    def saved():
        answered = list(SurveyResponse.objects.filter(answered_at__isnull=False))
        assert {response.person_id for response in answered} == {world.mentee.pk}
        return answered

    check_post(
        as_mentee,
        url_with("mentorship:survey", pk, kind),
        post,
        saved=saved,
        shown_at=reverse("mentorship:pairing_detail", args=[pk]),
    )


@examples(10)
@given(st.data())
def test_the_survey_results_take_any_query(as_staff, world, data):
    ids = (world.cycle.pk, world.past_cycle.pk, *world.others())
    query = data.draw(form_data({}, *ids, extra=("cycle", "kind", "page")))
    check_get(as_staff, reverse("mentorship:survey_results"), query)


# Your data


@examples(10)
@given(st.data())
def test_asking_for_a_copy_of_your_data(reauthenticated, world, data):
    post = data.draw(form_data({}, *world.others(), extra=("user", "status")))

    def saved():
        exports = list(DataExport.objects.filter(user=world.mentee))
        assert not DataExport.objects.filter(user=world.other_mentee).exclude(
            pk=world.other_data_export.pk
        )
        return exports

    check_post(
        reauthenticated,
        reverse("mentorship:data_export_request"),
        post,
        saved=saved,
        shown_at=reverse("accounts:profile"),
    )
    export = data.draw(
        st.sampled_from([world.data_export.pk, world.other_data_export.pk, 2**63])
    )
    check_get(
        reauthenticated,
        reverse("mentorship:data_export_download", args=[export]),
        data.draw(form_data({}, extra=("token", "user"))),
    )


@examples(12)
@given(st.data())
def test_asking_to_delete_your_account(reauthenticated, world, data):
    post = data.draw(
        form_data({"understood": "on"}, *world.others(), extra=("user", "status"))
    )

    def saved():
        requests = list(DeletionRequest.objects.filter(user=world.mentee))
        assert [r.status for r in requests] == [DeletionRequest.Status.PENDING]
        return requests

    check_post(
        reauthenticated,
        reverse("mentorship:account_delete"),
        post,
        saved=saved,
        shown_at=reverse("accounts:profile"),
    )
    check_post(
        reauthenticated,
        reverse("mentorship:account_delete_cancel"),
        data.draw(form_data({}, *world.others(), extra=("user", "request"))),
        saved=lambda: DeletionRequest.objects.filter(user=world.mentee),
    )


# The admin

ADMIN_MODELS = [
    OutboundEmail,
    Cycle,
    OpeningNotification,
    MentorProfile,
    CheckIn,
    Pairing,
    SurveyResponse,
    DataExport,
    DeletionRequest,
]


@examples(8)
@given(st.data())
def test_the_program_admin_lists_take_any_query(as_staff, world, data):
    check_admin_lists(as_staff, world.staff, ADMIN_MODELS, data, *world.others())


@examples(8)
@given(st.data())
def test_the_program_admin_actions_take_only_ids(as_staff, world, data):
    check_admin_actions(as_staff, world.staff, ADMIN_MODELS, data, *world.others())


def admin_pair_pks(world):
    return st.sampled_from(
        [world.pairing.pk] * 3 + [world.closed_pairing.pk, world.other_pairing.pk]
    )


@examples(30)
@given(st.data())
def test_the_introductory_call_page(as_staff, world, data):
    pk = data.draw(admin_pair_pks(world), label="pairing")
    action = data.draw(
        st.one_of(
            st.sampled_from(["schedule", "record", "cancel"]),
            st.sampled_from(["schedule", "record"]),
            hostile_text(),
        ),
        label="action",
    )
    next_week = timezone.localtime() + timedelta(days=7)
    post = data.draw(
        form_data(
            {
                "starts_at": f"{next_week:%Y-%m-%dT%H:%M}",
                "duration_minutes": "45",
                "location": "https://meet.example.org/intro-2",
                "host": str(world.staff.pk),
                "held": "yes",
                "note": "Both joined on time.",
            },
            *world.others(),
            extra=("pairing", "status", "uid"),
        )
    )
    url = reverse("admin:mentorship_pairing_intro_call", args=[pk])
    check_post(
        as_staff,
        url,
        {**post, "action": action},
        saved=IntroCall.objects.all,
        shown_at=url,
        took=succeeded,
    )


@examples(25)
@given(st.data())
def test_extending_or_ending_a_year(as_staff, world, data):
    pk = data.draw(admin_pair_pks(world), label="pairing")
    page = data.draw(st.sampled_from(["extend", "end"]), label="page")
    post = data.draw(
        form_data(
            {
                "months": "3",
                "reason": "Parental leave for three months.",
                "count_as_completed": "on",
            },
            *world.others(),
            extra=("ends_on", "status"),
        )
    )

    def saved():
        pairing = Pairing.objects.get(pk=pk)
        assert (pairing.mentee_id, pairing.mentor_id) in {
            (world.mentee.pk, world.mentor.pk),
            (world.other_mentee.pk, world.other_mentor.pk),
        }
        return [pairing]

    check_post(
        as_staff,
        reverse(f"admin:mentorship_pairing_{page}", args=[pk]),
        post,
        saved=saved,
        shown_at=reverse("admin:mentorship_pairing_change", args=[pk]),
        took=succeeded,
    )


@examples(20)
@given(st.data())
def test_deciding_on_a_mentor(as_staff, world, data):
    profile = data.draw(
        st.sampled_from([world.mentor_profile.pk, world.other_mentor_profile.pk])
    )
    decision = data.draw(
        st.one_of(st.sampled_from(["approved", "declined", "inactive"]), hostile_text())
    )
    post = data.draw(
        form_data(
            {"confirm": "yes", "note": "Welcome back next year."},
            *world.others(),
            extra=("status", "decided_by"),
        )
    )
    check_post(
        as_staff,
        url_with("admin:accounts_mentorprofile_decide", profile, decision),
        post,
        saved=MentorProfile.objects.all,
        shown_at=changelist_url(MentorProfile),
        took=succeeded,
    )


@examples(20)
@given(st.data())
def test_deciding_on_a_request_to_delete_an_account(as_staff, world, data):
    decision = data.draw(
        st.one_of(st.sampled_from(["approve", "refuse"]), hostile_text())
    )
    post = data.draw(
        form_data(
            {"confirm": "yes", "reason": "A pairing is under way; end it first."},
            *world.others(),
            extra=("user", "status"),
        )
    )
    check_post(
        as_staff,
        url_with(
            "admin:accounts_deletionrequest_decide", world.deletion_request.pk, decision
        ),
        post,
        saved=DeletionRequest.objects.all,
        shown_at=changelist_url(DeletionRequest),
        took=succeeded,
    )


@examples(10)
@given(st.data())
def test_the_program_admin_change_forms(as_staff, world, data):
    models = [Cycle, OpeningNotification, MentorProfile]
    check_admin_change_forms(as_staff, world.staff, models, data, *world.others())


@examples(10)
@given(
    name=st.one_of(
        st.sampled_from(["pairing_cancelled", "base", "_layout", "__init__", "-"]),
        st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True),
    )
)
def test_an_email_preview_of_any_name(as_staff, world, name):
    check_get(as_staff, reverse("admin:outbox_preview", args=[name]))


# Findings, kept as plain tests.


@pytest.mark.parametrize(
    "period",
    [
        {"year": "9999"},
        {"year": "9999", "month": "12"},
        {"year": "9999", "month": "12", "day": "31"},
    ],
)
def test_a_period_ending_after_the_year_9999_is_an_error_of_the_address(
    as_staff, world, period
):
    # Django's date hierarchy computed the period's end, in the year 10000:
    # a server error on every list with one.
    for model in ADMIN_MODELS:
        field = admin.site.get_model_admin(model).date_hierarchy
        if field:
            query = {f"{field}__{part}": value for part, value in period.items()}
            response = check_get(as_staff, changelist_url(model), query)
            assert response["Location"].endswith("?e=1"), model


def test_a_search_of_too_many_words_is_an_error_not_a_query(as_staff, world):
    # Each word is a condition on every search field: a search of thousands
    # of words (" OR 1=1" over and over) made a query that PostgreSQL ran out
    # of memory planning, and the whole database server was stopped.
    url = changelist_url(Pairing)
    found = check_get(as_staff, url, {"q": "Amara Henrik"}).context["cl"]
    assert set(found.result_list) == {world.pairing, world.closed_pairing}
    for search, error in [
        (" ".join(["Amara"] * 11), "Search for at most 10 words."),
        ("' OR 1=1 " * 1500, "Search for at most 200 characters."),
    ]:
        response = check_get(as_staff, url, {"q": search})
        assert response.status_code == 200
        assert error in response.content.decode()
        assert response.context["cl"].query == ""
