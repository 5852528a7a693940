"""Proposing matches for a cycle, and staff adjusting them in admin."""

import pytest
from django.core import mail

from accounts.models import Interest
from applications.models import Application
from conftest import make_user
from matching import services
from matching.models import Exclusion, MatchRun, MenteePreference, Proposal
from mentorship.models import Pairing
from mentorship.tests.factories import mentor_profile

from .conftest import approved_application


def person(email, country, time_zone, name=None):
    user = make_user(email, full_name=name or email.split("@")[0].title())
    user.country, user.time_zone = country, time_zone
    user.save()
    return user


def mentee_in(cycle, email, country, time_zone, slugs, **fields):
    application = approved_application(
        person(email, country, time_zone), cycle, meeting_ways=["video"], **fields
    )
    application.interests.set(Interest.objects.filter(slug__in=slugs))
    return application


def mentor_in(email, country, time_zone, slugs, **fields):
    profile = mentor_profile(person(email, country, time_zone), **fields)
    profile.interests.set(Interest.objects.filter(slug__in=slugs))
    return profile


@pytest.fixture
def people(cycle):
    """Brazil and Canada mentees; US, German and Argentinian mentors."""
    return {
        "br": mentee_in(cycle, "br@example.com", "BR", "America/Sao_Paulo", ["breast"]),
        "ca": mentee_in(cycle, "ca@example.com", "CA", "America/Toronto", ["breast"]),
        "us": mentor_in(
            "us@example.com", "US", "America/New_York", ["breast"], capacity=1
        ),
        "de": mentor_in(
            "de@example.com", "DE", "Europe/Berlin", ["sarcoma"], capacity=1
        ),
        "ar": mentor_in(
            "ar@example.com",
            "AR",
            "America/Argentina/Buenos_Aires",
            ["breast"],
            capacity=1,
        ),
    }


def pairs(run):
    return {
        p.application.applicant.email: p.mentor.user.email
        for p in run.proposals.select_related("application__applicant", "mentor__user")
    }


def test_a_run_respects_the_sub_region_rule_and_explains_itself(cycle, staff, people):
    run = services.match_run_create(cycle=cycle, actor=staff)
    # A Brazilian mentee may have a US mentor; a Canadian one may not (both
    # Northern America). The Argentinian mentor shares Brazil's region, not
    # Canada's.
    assert pairs(run) == {
        "br@example.com": "us@example.com",
        "ca@example.com": "ar@example.com",
    }
    assert run.matched == 2 and run.mentees == 2 and run.optimal
    br = run.proposals.get(application=people["br"])
    assert "1 shared interest: Breast" in br.reasons
    assert [a["name"] for a in br.alternatives] == ["De"]
    assert not mail.outbox
    assert not Pairing.objects.exists()


def test_the_cycle_may_relax_to_another_country_only(cycle, staff, people):
    for name in ("br", "de", "ar"):
        people[name].delete()
    strict = services.match_run_create(cycle=cycle, actor=staff)
    assert pairs(strict) == {}
    cycle.require_different_sub_region = False
    cycle.save()
    relaxed = services.match_run_create(cycle=cycle, actor=staff)
    assert pairs(relaxed) == {"ca@example.com": "us@example.com"}


def test_unmatched_mentees_are_listed_with_a_reason(cycle, staff, people):
    people["de"].delete()
    people["ar"].delete()
    run = services.match_run_create(cycle=cycle, actor=staff)
    [entry] = run.unmatched.all()
    assert entry.application == people["ca"]
    assert entry.reason == (
        "No approved, available mentor outside CA and Northern America."
    )


def test_never_pair_and_a_paused_mentor_are_honoured(cycle, staff, people):
    Exclusion.objects.create(
        mentee=people["br"].applicant, mentor=people["us"].user, note="Colleagues"
    )
    people["de"].is_available = False
    people["de"].save()
    run = services.match_run_create(cycle=cycle, actor=staff)
    assert pairs(run) == {"ca@example.com": "ar@example.com"}
    [entry] = run.unmatched.all()
    assert entry.application == people["br"]
    assert entry.reason.startswith("No approved, available mentor outside BR")


def test_the_mentees_first_choice_counts(cycle, staff, people):
    other = mentor_in("gb@example.com", "GB", "Europe/London", ["breast"], capacity=1)
    MenteePreference.objects.create(application=people["br"], mentor=other, rank=1)
    run = services.match_run_create(cycle=cycle, actor=staff)
    proposal = run.proposals.get(application=people["br"])
    assert proposal.mentor == other
    assert "mentee's 1st choice" in proposal.reasons


def test_a_waiting_mentee_is_offered_first(cycle, staff, people):
    people["de"].delete()
    people["ar"].delete()
    late = mentee_in(cycle, "ng@example.com", "NG", "Africa/Lagos", ["sarcoma"])
    late.waiting_for_mentor_since = late.created_at
    late.save()
    run = services.match_run_create(cycle=cycle, actor=staff)
    assert pairs(run) == {"ng@example.com": "us@example.com"}


def test_mentees_already_paired_and_full_mentors_are_left_out(cycle, staff, people):
    Pairing.objects.create(
        cycle=cycle, mentee=people["br"].applicant, mentor=people["us"].user
    )
    people["br"].status = Application.Status.MATCHED
    people["br"].save()
    run = services.match_run_create(cycle=cycle, actor=staff)
    assert pairs(run) == {"ca@example.com": "ar@example.com"}
    assert run.slots == 2


def test_swap_lock_remove_and_rerun(cycle, staff, people):
    run = services.match_run_create(cycle=cycle, actor=staff)
    br = run.proposals.get(application=people["br"])
    ca = run.proposals.get(application=people["ca"])
    with pytest.raises(services.MatchingError, match="same world region"):
        services.proposal_swap(
            proposal_id=br.pk, mentor_id=people["ar"].pk, actor=staff
        )
    swapped = services.proposal_swap(
        proposal_id=br.pk, mentor_id=people["de"].pk, actor=staff
    )
    assert swapped.mentor == people["de"] and swapped.swapped
    assert "1 shared interest: Breast" not in swapped.reasons
    with pytest.raises(services.MatchingError, match="no free place"):
        services.proposal_swap(
            proposal_id=ca.pk, mentor_id=people["de"].pk, actor=staff
        )
    services.proposal_remove(proposal_id=br.pk)
    services.proposal_swap(proposal_id=ca.pk, mentor_id=people["de"].pk, actor=staff)
    services.proposal_set_locked(proposal_id=ca.pk, locked=True)
    with pytest.raises(services.MatchingError, match="already removed"):
        services.proposal_set_locked(proposal_id=br.pk, locked=True)

    again = services.match_run_create(cycle=cycle, actor=staff, previous=run)
    # The locked pair stays; the Brazilian mentee is proposed again.
    assert pairs(again) == {
        "ca@example.com": "de@example.com",
        "br@example.com": "us@example.com",
    }
    assert again.proposals.get(application=people["ca"]).locked
    assert again.previous == run


def test_staff_use_the_run_page(
    client,
    cycle,
    staff,
    people,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    client.force_login(staff)
    page = client.get("/admin/matching/matchrun/propose/")
    assert page.status_code == 200
    response = client.post("/admin/matching/matchrun/propose/", {"cycle": ""})
    assert "Choose the cycle to propose matches for." in response.content.decode()
    response = client.post("/admin/matching/matchrun/propose/", {"cycle": cycle.pk})
    run = MatchRun.objects.get()
    assert response["Location"] == f"/admin/matching/matchrun/{run.pk}/change/"
    with django_assert_max_num_queries(12):
        page = client.get(response["Location"]).content.decode()
    assert "proven optimal" in page
    assert "1 shared interest: Breast" in page

    br = run.proposals.get(application=people["br"])
    swap = client.get(f"/admin/matching/matchrun/{run.pk}/proposals/{br.pk}/swap/")
    text = swap.content.decode()
    assert (
        "the mentor is in the same world region (Latin America and the Caribbean)"
        in text
    )
    assert "Choose De" in text
    assert "Proposed now" in text

    act = f"/admin/matching/matchrun/{run.pk}/act/"
    client.post(act, {"action": "lock", "target": br.pk})
    br.refresh_from_db()
    assert br.locked
    with django_capture_on_commit_callbacks(execute=True):
        client.post(act, {"action": "accept", "target": br.pk})
    br.refresh_from_db()
    assert br.status == Proposal.Status.ACCEPTED
    assert br.pairing.status == Pairing.Status.PROPOSED
    assert len(mail.outbox) == 2
    response = client.post(act, {"action": "accept", "target": br.pk}, follow=True)
    assert "already accepted" in response.content.decode()
    confirm = client.post(act, {"action": "accept_all"}).content.decode()
    assert "Accept these 1 pair?" in confirm
    assert Pairing.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(act, {"action": "accept_all", "confirm": "yes"})
    assert Pairing.objects.count() == 2
    assert (
        client.post(
            act, {"action": "lock", "target": "999999999999999999999"}
        ).status_code
        == 404
    )


def test_the_run_page_query_count_does_not_grow(
    client, cycle, staff, django_assert_max_num_queries
):
    client.force_login(staff)

    def add(n, start):
        for i in range(start, start + n):
            mentee_in(cycle, f"m{i}@example.com", "KE", "Africa/Nairobi", ["breast"])
            mentor_in(f"t{i}@example.com", "FR", "Europe/Paris", ["breast"], capacity=1)

    add(2, 0)
    run = services.match_run_create(cycle=cycle, actor=staff)
    with django_assert_max_num_queries(12) as small:
        client.get(f"/admin/matching/matchrun/{run.pk}/change/")
    add(20, 2)
    run = services.match_run_create(cycle=cycle, actor=staff)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(f"/admin/matching/matchrun/{run.pk}/change/")
    assert page.content.decode().count("Swap mentor") == 22


def test_waitlisting_an_unmatched_mentee(
    client, cycle, staff, people, django_capture_on_commit_callbacks
):
    people["de"].delete()
    people["ar"].delete()
    run = services.match_run_create(cycle=cycle, actor=staff)
    entry = run.unmatched.get()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/admin/matching/matchrun/{run.pk}/act/",
            {"action": "waitlist", "target": entry.pk},
        )
    entry.application.refresh_from_db()
    assert entry.application.waiting_for_mentor_since is not None
    assert [m.subject for m in mail.outbox] == ["You are on the waitlist for a mentor"]


def test_only_staff_reach_matching(client, cycle, mentor, staff, people):
    run = services.match_run_create(cycle=cycle, actor=staff)
    client.force_login(mentor)
    for url in (
        "/admin/matching/matchrun/propose/",
        f"/admin/matching/matchrun/{run.pk}/change/",
        f"/admin/matching/matchrun/{run.pk}/act/",
    ):
        response = client.post(url, {"action": "accept_all", "cycle": cycle.pk})
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Pairing.objects.exists()


def test_staff_without_matching_permissions_see_no_run(client, cycle, staff, people):
    run = services.match_run_create(cycle=cycle, actor=staff)
    clerk = make_user("clerk@example.com", is_staff=True)
    client.force_login(clerk)
    assert client.get(f"/admin/matching/matchrun/{run.pk}/change/").status_code == 403
    response = client.post(
        f"/admin/matching/matchrun/{run.pk}/act/", {"action": "accept_all"}
    )
    assert response.status_code == 403


def test_a_proposal_with_no_other_mentor_passes_the_models_checks(
    cycle, staff, mentee, mentor
):
    # A mentee with one eligible mentor has no alternatives, and a pair that
    # shares nothing the weights count no reasons: the model refused what
    # the solver saves (found by the hostile-input tests).
    approved_application(mentee, cycle, meeting_ways=["video"])
    mentor_profile(mentor)
    proposal = services.match_run_create(cycle=cycle, actor=staff).proposals.get()
    assert proposal.alternatives == []
    proposal.full_clean()
    proposal.reasons = []
    proposal.full_clean()
