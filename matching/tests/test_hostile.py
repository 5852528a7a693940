"""Hostile input to matching: a pairing's answer, the mentee's ranking of
mentors, staff's progress dashboard (its filters, export, nudges and
check-ins), and the admin's match runs and exclusions. Property-based tests
(Hypothesis) post random and hostile data, other people's ids among it:
never a server error; nothing written when refused; what is taken is clean,
and shown escaped.

The generated requests are in ``mentorship/tests/hostile.py``; each example
is undone before the next (``mentorship/tests/world.py``).
"""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.testing import Client
from conftest import make_user
from matching import services
from matching.models import Exclusion, MatchRun, MenteePreference, Proposal
from mentorship.models import Pairing, StaffContact
from mentorship.tests.hostile import (
    changelist_url,
    check_admin_actions,
    check_admin_change_forms,
    check_admin_lists,
    check_get,
    check_post,
    examples,
    form_data,
    page_form,
    succeeded,
)
from mentorship.tests.world import build_world

from .conftest import approved_application

PREFERENCES = reverse("matching:preferences")
PROGRESS = reverse("matching:progress")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db, mentee, mentor, staff):
    world = build_world(mentee=mentee, mentor=mentor, staff=staff)
    # Rankings are open, and a mentee approved this year may rank mentors.
    world.cycle.preferences_open = True
    world.cycle.save(update_fields=["preferences_open"])
    world.ranking = approved_application(
        make_user("ranking@example.com", full_name="Rana Ranking", country="EG"),
        world.cycle,
    )
    # A pair proposed to each other, waiting for both answers.
    world.proposed = Pairing.objects.create(
        cycle=world.cycle,
        mentee=make_user("proposed@example.com", full_name="Pia Proposed"),
        mentor=make_user("proposed.mentor@example.com", full_name="Pavel Mentor"),
        status=Pairing.Status.PROPOSED,
    )
    return world


@pytest.fixture
def as_staff(world):
    return logged_in(world.staff)


def pairing_pks(world):
    """A pairing's id in an address: the person's own, one under way, a
    closed one, somebody else's, and one that cannot exist."""
    return st.sampled_from(
        [
            world.proposed.pk,
            world.pairing.pk,
            world.closed_pairing.pk,
            world.other_pairing.pk,
            2**63,
        ]
    )


@examples(20)
@given(st.data())
def test_answering_a_proposed_pairing(world, data):
    person = data.draw(
        st.sampled_from([world.proposed.mentee, world.proposed.mentor, world.mentee])
    )
    pk = data.draw(pairing_pks(world), label="pairing")
    post = data.draw(
        form_data(
            {"answer": "accept", "reason": "I am away for most of the year."},
            *world.others(),
            extra=("mentee", "mentor", "status"),
        )
    )

    def saved():
        pairing = Pairing.objects.get(pk=pk)
        assert (pairing.mentee_id, pairing.mentor_id) == (
            world.proposed.mentee_id,
            world.proposed.mentor_id,
        )
        return [pairing]

    check_post(
        logged_in(person),
        reverse("matching:respond", args=[pk]),
        post,
        saved=saved,
        shown_at=reverse("mentorship:pairing_detail", args=[pk]),
    )


@examples(20)
@given(st.data())
def test_ranking_mentors(world, data):
    options = services.preference_options(world.ranking)
    mentors = [str(profile.pk) for profile, _ in options]
    assert mentors, "the ranking mentee has mentors to rank"
    post = data.draw(
        form_data(
            {f"choice_{rank}": pk for rank, pk in enumerate(mentors[:3], start=1)},
            *world.others(),
            world.mentor_profile.pk,
            extra=("choice_4", "application", "rank"),
        )
    )

    def saved():
        ranked = list(MenteePreference.objects.filter(application=world.ranking))
        assert {str(preference.mentor_id) for preference in ranked} <= set(mentors)
        return ranked

    check_post(
        logged_in(world.ranking.applicant),
        PREFERENCES,
        post,
        saved=saved,
        shown_at=PREFERENCES,
    )


PROGRESS_QUERY = ("cycle", "page", "status", "q", "o")


@examples(10)
@given(st.data())
def test_the_progress_dashboard_takes_any_query(as_staff, world, data):
    ids = (world.cycle.pk, world.past_cycle.pk, *world.others())
    query = data.draw(form_data({}, *ids, extra=PROGRESS_QUERY))
    check_get(as_staff, PROGRESS, query)
    check_get(as_staff, reverse("matching:progress_export"), query)


@examples(15)
@given(st.data())
def test_nudging_a_pair(as_staff, world, data):
    pk = data.draw(pairing_pks(world), label="pairing")
    post = data.draw(form_data({"page": "2"}, *world.others(), extra=("pairing",)))
    check_post(
        as_staff,
        reverse("matching:progress_nudge", args=[pk]),
        post,
        saved=lambda: StaffContact.objects.filter(pairing_id=pk),
        shown_at=PROGRESS,
    )


@examples(20)
@given(st.data())
def test_noting_a_staff_check_in(as_staff, world, data):
    pk = data.draw(pairing_pks(world), label="pairing")
    post = data.draw(
        form_data(
            {"note": "Both are well; they meet every other week.", "page": "1"},
            *world.others(),
            extra=("kind", "by", "pairing"),
        )
    )

    def saved():
        contacts = list(StaffContact.objects.filter(pairing_id=pk))
        assert {contact.by_id for contact in contacts} == {world.staff.pk}
        return contacts

    check_post(
        as_staff,
        reverse("matching:progress_check_in", args=[pk]),
        post,
        saved=saved,
        shown_at=reverse("admin:mentorship_pairing_change", args=[pk]),
    )


ADMIN_MODELS = [MatchRun, Exclusion, MenteePreference]


@pytest.fixture
def with_admin_rows(world):
    Exclusion.objects.create(
        mentee=world.other_mentee, mentor=world.mentor, note="Same hospital."
    )
    MenteePreference.objects.create(
        application=world.application, mentor=world.mentor_profile, rank=1
    )
    return world


@examples(10)
@given(st.data())
def test_the_matching_admin_lists_take_any_query(as_staff, with_admin_rows, data):
    world = with_admin_rows
    check_admin_lists(as_staff, world.staff, ADMIN_MODELS, data, *world.others())


@examples(10)
@given(st.data())
def test_the_matching_admin_actions_take_only_ids(as_staff, with_admin_rows, data):
    world = with_admin_rows
    check_admin_actions(as_staff, world.staff, ADMIN_MODELS, data, *world.others())


@examples(8)
@given(st.data())
def test_changing_an_exclusion(as_staff, with_admin_rows, data):
    world = with_admin_rows
    check_admin_change_forms(as_staff, world.staff, [Exclusion], data, *world.others())


@examples(10)
@given(st.data())
def test_proposing_matches(as_staff, world, data):
    post = data.draw(
        form_data({"cycle": str(world.cycle.pk)}, world.past_cycle.pk, 2**63)
    )
    check_post(
        as_staff,
        reverse("admin:matching_matchrun_propose"),
        post,
        saved=MatchRun.objects.all,
        shown_at=changelist_url(MatchRun),
        took=succeeded,
    )


RUN_ACTIONS = ["lock", "unlock", "remove", "accept", "accept_all", "rerun", "waitlist"]


@examples(40)
@given(st.data())
def test_acting_on_a_match_run(as_staff, world, data):
    run = data.draw(st.sampled_from([world.run.pk] * 3 + [2**63]), label="run")
    # The targets of this run, and of no run at all.
    targets = (world.proposal.pk, world.unmatched.pk, *world.others())
    post = data.draw(
        form_data(
            {"action": "lock", "target": str(world.proposal.pk), "confirm": "yes"},
            *targets,
            extra=("run",),
        ).flatmap(
            lambda post: st.sampled_from([*RUN_ACTIONS, None]).map(
                lambda action: post if action is None else {**post, "action": action}
            )
        )
    )

    def saved():
        proposals = list(Proposal.objects.filter(run__cycle=world.cycle))
        assert {proposal.run.cycle_id for proposal in proposals} == {world.cycle.pk}
        return proposals

    check_post(
        as_staff,
        reverse("admin:matching_matchrun_act", args=[run]),
        post,
        saved=saved,
        shown_at=reverse("admin:matching_matchrun_change", args=[world.run.pk]),
        took=succeeded,
    )


@examples(15)
@given(st.data())
def test_swapping_a_proposals_mentor(as_staff, world, data):
    post = data.draw(
        form_data(
            {"mentor": str(world.other_mentor_profile.pk)},
            *world.others(),
            world.mentor_profile.pk,
            extra=("proposal", "run", "score", "locked"),
        )
    )
    url = reverse(
        "admin:matching_matchrun_swap", args=[world.run.pk, world.proposal.pk]
    )
    check_post(
        as_staff,
        url,
        post,
        saved=lambda: Proposal.objects.filter(pk=world.proposal.pk),
        shown_at=reverse("admin:matching_matchrun_change", args=[world.run.pk]),
        took=succeeded,
    )


@examples(15)
@given(st.data())
def test_adding_an_exclusion(as_staff, world, data):
    url = reverse("admin:matching_exclusion_add")
    valid = page_form(as_staff.get(url), "exclusion_form")
    post = data.draw(
        form_data(
            {
                **valid,
                "mentee": str(world.other_mentee.pk),
                "mentor": str(world.mentor.pk),
                "note": "They work in the same department.",
            },
            *world.others(),
            extra=("created_by",),
        )
    )

    def saved():
        exclusions = list(Exclusion.objects.all())
        assert {exclusion.created_by_id for exclusion in exclusions} == {world.staff.pk}
        return exclusions

    check_post(
        as_staff,
        url,
        post,
        saved=saved,
        shown_at=changelist_url(Exclusion),
        took=succeeded,
    )


@examples(15)
@given(
    query=form_data(
        {
            "term": "Oluchi",
            "app_label": "matching",
            "model_name": "exclusion",
            "field_name": "mentee",
        },
        extra=("page",),
    )
)
def test_the_exclusion_forms_people_search_takes_any_query(as_staff, world, query):
    # The mentee and mentor fields look people up as staff type.
    check_get(as_staff, reverse("admin:autocomplete"), query)


# Findings, kept as plain tests.


@pytest.mark.parametrize("value", ["abc", "\u00b2", '"><script>alert(1)</script>'])
def test_a_person_in_an_exclusion_that_is_no_id_is_a_field_error(
    as_staff, world, value
):
    # The form shown again looked the people up by the values as they came:
    # a server error.
    response, taken = check_post(
        as_staff,
        reverse("admin:matching_exclusion_add"),
        {"mentee": value, "mentor": str(world.mentor.pk), "note": "Same ward."},
    )
    assert response.status_code == 200 and not taken
    assert "mentee" in response.context["adminform"].form.errors
