"""An approved mentee ranks up to three of the mentors eligible for them."""

import pytest

from accounts.models import Interest
from matching.models import MenteePreference
from mentorship.models import Pairing
from mentorship.tests.factories import mentor_profile

from .conftest import approved_application
from .test_runs import mentor_in, person


@pytest.fixture
def application(cycle, mentee):
    cycle.preferences_open = True
    cycle.save()
    application = approved_application(mentee, cycle)
    application.interests.set(Interest.objects.filter(slug="breast"))
    return application


@pytest.fixture
def mentors(db):
    return {
        "dk": mentor_in("dk@example.com", "DK", "Europe/Copenhagen", ["breast"]),
        "jp": mentor_in("jp@example.com", "JP", "Asia/Tokyo", ["sarcoma"]),
        # Nigeria's own region (Sub-Saharan Africa) and country: never shown.
        "gh": mentor_in("gh@example.com", "GH", "Africa/Accra", ["breast"]),
        "ng": mentor_in("ng@example.com", "NG", "Africa/Lagos", ["breast"]),
        "full": mentor_in("full@example.com", "FR", "Europe/Paris", ["breast"]),
    }


def test_the_mentee_sees_only_mentors_eligible_for_them(client, application, mentors):
    mentors["full"].capacity = 1
    mentors["full"].save()
    Pairing.objects.create(
        cycle=application.cycle,
        mentee=person("other@example.com", "KE", "Africa/Nairobi"),
        mentor=mentors["full"].user,
    )
    client.force_login(application.applicant)
    page = client.get("/mentors/choose/").content.decode()
    assert "not a promise" in page
    # Each mentor's card is headed by their name (names this short could
    # also turn up inside the page's random CSRF token).
    assert "Dk</h3>" in page and "Jp</h3>" in page
    assert "Gh</h3>" not in page and "Ng</h3>" not in page
    assert "Full</h3>" not in page
    assert page.index("Dk</h3>") < page.index("Jp</h3>")  # the better fit first
    assert "You share:</strong> 1 shared interest: Breast" in page


def test_the_page_explains_fit_without_staff_bonuses(client, application, mentors):
    MenteePreference.objects.create(
        application=application, mentor=mentors["jp"], rank=1
    )
    application.waiting_for_mentor_since = application.created_at
    application.save()
    client.force_login(application.applicant)
    page = client.get("/mentors/choose/").content.decode()
    assert "1st choice" not in page and "offered first" not in page
    # ranked by fit, not by choice
    assert page.index("Dk</h3>") < page.index("Jp</h3>")


def test_the_mentee_ranks_and_changes_their_ranking(client, application, mentors):
    client.force_login(application.applicant)
    response = client.post(
        "/mentors/choose/",
        {"choice_1": mentors["jp"].pk, "choice_2": mentors["dk"].pk},
    )
    assert response["Location"] == "/mentors/choose/"
    ranked = MenteePreference.objects.filter(application=application)
    assert [(p.rank, p.mentor) for p in ranked] == [
        (1, mentors["jp"]),
        (2, mentors["dk"]),
    ]
    client.post("/mentors/choose/", {"choice_1": mentors["dk"].pk})
    assert [p.mentor for p in ranked.all()] == [mentors["dk"]]
    page = client.get("/mentors/choose/").content.decode()
    assert f'<option value="{mentors["dk"].pk}" selected>' in page


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"choice_1": "dk", "choice_2": "dk"}, "You chose this mentor already"),
        ({"choice_2": "dk"}, "Choose your first choice before a second."),
        ({"choice_1": "gh"}, "Select a valid choice."),
        ({"choice_1": "99999999999999999999999"}, "Select a valid choice."),
    ],
)
def test_a_bad_ranking_is_refused_at_the_field(
    client, application, mentors, choices, message
):
    data = {
        key: (str(mentors[value].pk) if value in mentors else value)
        for key, value in choices.items()
    }
    client.force_login(application.applicant)
    response = client.post("/mentors/choose/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MenteePreference.objects.exists()


def test_ranking_is_closed_unless_the_cycle_opens_it(client, application, mentors):
    application.cycle.preferences_open = False
    application.cycle.save()
    client.force_login(application.applicant)
    page = client.get("/mentors/choose/").content.decode()
    assert "There is nothing to rank for you now." in page
    client.post("/mentors/choose/", {"choice_1": mentors["dk"].pk})
    assert not MenteePreference.objects.exists()


def test_others_cannot_rank(client, application, mentors, stranger, mentor):
    mentor_profile(mentor)
    for person_ in (stranger, mentor):
        client.force_login(person_)
        page = client.get("/mentors/choose/").content.decode()
        assert "There is nothing to rank for you now." in page
    assert client.get("/mentors/choose/").status_code == 200
    client.logout()
    assert client.get("/mentors/choose/")["Location"].startswith("/accounts/login/")


def test_the_page_query_count_does_not_grow(
    client, application, django_assert_max_num_queries
):
    client.force_login(application.applicant)
    mentor_in("a0@example.com", "DK", "Europe/Copenhagen", ["breast"])
    with django_assert_max_num_queries(20) as few:
        client.get("/mentors/choose/")
    for n in range(1, 15):
        mentor_in(f"a{n}@example.com", "DK", "Europe/Copenhagen", ["breast"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/mentors/choose/").content.decode()
    assert page.count("<article") == 15
