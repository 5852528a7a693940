"""The Mentoring Plan: objectives and a timeline, edited by both, every
change kept, downloadable as a PDF."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship import services
from mentorship.models import Activity, Cycle, Objective, Pairing
from mentorship.tests.factories import mentor_profile

Status = Pairing.Status


@pytest.fixture
def pairing(db, mentee, mentor):
    mentor_profile(mentor)
    cycle = Cycle.objects.create(
        name="2026", plan_starter="Agree how we meet\n\n  Write a first paper  \n"
    )
    return Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Status.ACTIVE,
        starts_on=timezone.localdate() - timedelta(days=10),
        ends_on=timezone.localdate() + timedelta(days=355),
    )


def plan_url(pairing, rest=""):
    return f"/pairings/{pairing.pk}/plan/{rest}"


def test_both_edit_the_plan_and_every_change_is_kept(client, pairing, mentee, mentor):
    client.force_login(mentee)
    page = client.get(plan_url(pairing)).content.decode()
    assert "Start from the program's suggested objectives" in page
    client.post(plan_url(pairing, "start/"))
    assert [o.title for o in pairing.objectives.all()] == [
        "Agree how we meet",
        "Write a first paper",
    ]
    paper = pairing.objectives.get(title="Write a first paper")

    client.force_login(mentor)
    response = client.post(
        plan_url(pairing, f"objectives/{paper.pk}/"),
        {
            "title": "Submit a first paper",
            "success": "Accepted by a peer-reviewed journal",
            "target_date": "2027-06-30",
            "status": "on_track",
        },
    )
    assert response["Location"] == plan_url(pairing)
    client.post(
        plan_url(pairing, "activities/"),
        {
            "activity-title": "Draft the methods",
            "activity-due_on": "2027-02-01",
            "activity-objective": paper.pk,
        },
    )
    activity = Activity.objects.get()
    assert activity.objective == paper

    page = client.get(plan_url(pairing)).content.decode()
    assert "Submit a first paper" in page and "On track" in page
    assert "Draft the methods" in page
    assert (
        "Henrik Larsen changed title, what success looks like, target date, "
        "status of the objective “Submit a first paper”"
    ) in page
    assert "Amara Okafor added the objective “Agree how we meet”" in page
    assert "Henrik Larsen added the activity “Draft the methods”" in page
    assert paper.history.first().history_user == mentor


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (
            "objectives/",
            {"title": "  ", "status": "not_started"},
            "Name the objective.",
        ),
        (
            "objectives/",
            {"title": "X", "status": "maybe"},
            "Select a valid choice.",
        ),
        (
            "activities/",
            {"activity-title": "Read", "activity-due_on": "soon"},
            "Enter a date like",
        ),
        (
            "activities/",
            {
                "activity-title": "Read",
                "activity-due_on": "2027-01-01",
                "activity-done_on": "2100-01-01",
            },
            "It cannot be done on a day still to come.",
        ),
    ],
)
def test_bad_input_is_refused_at_the_field_and_kept(
    client, pairing, mentee, url, data, message
):
    client.force_login(mentee)
    response = client.post(plan_url(pairing, url), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Objective.objects.exists() and not Activity.objects.exists()


def test_an_activity_cannot_point_at_another_plans_objective(
    client, pairing, mentee, stranger
):
    other = Pairing.objects.create(
        cycle=pairing.cycle,
        mentee=stranger,
        mentor=pairing.mentor,
        status=Status.ACTIVE,
    )
    foreign = Objective.objects.create(pairing=other, title="Theirs")
    client.force_login(mentee)
    response = client.post(
        plan_url(pairing, "activities/"),
        {
            "activity-title": "Read",
            "activity-due_on": "2027-01-01",
            "activity-objective": foreign.pk,
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Activity.objects.exists()


def test_each_field_of_the_plan_page_has_its_own_id_and_label(client, pairing, mentee):
    client.force_login(mentee)
    page = client.get(plan_url(pairing)).content.decode()
    ids = re.findall(r' id="(id_[^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert 'for="id_title"' in page and 'for="id_activity-title"' in page


def test_strangers_get_404_everywhere(client, pairing, stranger):
    objective = Objective.objects.create(pairing=pairing, title="Ours")
    client.force_login(stranger)
    for url in (
        plan_url(pairing),
        plan_url(pairing, f"objectives/{objective.pk}/"),
        f"/pairings/{pairing.pk}/mentoring-plan.pdf",
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(plan_url(pairing, "objectives/"), {"title": "x"}).status_code == 404
    )
    assert Objective.objects.count() == 1


def test_a_long_plan_still_downloads(client, pairing, mentee):
    Objective.objects.create(pairing=pairing, title="Long", success="word " * 400)
    client.force_login(mentee)
    response = client.get(f"/pairings/{pairing.pk}/mentoring-plan.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    too_long = client.post(
        plan_url(pairing, "objectives/"),
        {"title": "X", "success": "x" * 2001, "status": "not_started"},
    )
    assert too_long.status_code == 400
    assert "at most 2000 characters" in too_long.content.decode()


def test_the_plan_downloads_as_a_pdf(client, pairing, mentee):
    objective = Objective.objects.create(
        pairing=pairing, title="Submit <a> paper & more"
    )
    Activity.objects.create(
        pairing=pairing, title="Draft", due_on=timezone.localdate(), objective=objective
    )
    client.force_login(mentee)
    response = client.get(f"/pairings/{pairing.pk}/mentoring-plan.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="mentoring-plan.pdf"' in response["Content-Disposition"]


def test_a_finished_pairing_keeps_its_plan_read_only(client, pairing, mentee):
    Objective.objects.create(pairing=pairing, title="Ours")
    pairing.status = Status.COMPLETED
    pairing.save()
    client.force_login(mentee)
    page = client.get(plan_url(pairing)).content.decode()
    assert "Ours" in page and "Add an objective" not in page
    with pytest.raises(services.PairingError, match="under way"):
        services.plan_objective_save(pairing_id=pairing.pk, user=mentee, title="New")


def test_the_plan_page_query_count_does_not_grow(
    client, pairing, mentee, django_assert_max_num_queries
):
    client.force_login(mentee)

    def add(n):
        for i in range(n):
            objective = services.plan_objective_save(
                pairing_id=pairing.pk, user=mentee, title=f"Objective {i}"
            )
            services.plan_activity_save(
                pairing_id=pairing.pk,
                user=mentee,
                title=f"Step {i}",
                due_on=timezone.localdate(),
                objective=objective,
            )

    add(1)
    with django_assert_max_num_queries(20) as few:
        client.get(plan_url(pairing))
    add(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(plan_url(pairing)).content.decode()
    assert page.count(">Change<span") == 26
