import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import MembershipType
from matching.scoring import Weights
from mentorship import services
from mentorship.demo import OPEN_CYCLE_NAME, PAST_CYCLE_NAME
from mentorship.demo import seed as seed_demo_cycles
from mentorship.models import Cycle
from mentorship.selectors import cycle_status

pytestmark = pytest.mark.django_db

KOLKATA = ZoneInfo("Asia/Kolkata")
OPENS = datetime(2027, 1, 15, 9, 0, tzinfo=KOLKATA)
CLOSES = datetime(2027, 3, 1, 17, 30, tzinfo=KOLKATA)
SECOND = timedelta(seconds=1)


def make_cycle(name="2027 cycle", opens_at=OPENS, closes_at=CLOSES, **fields):
    return services.cycle_save(
        cycle=Cycle(name=name, opens_at=opens_at, closes_at=closes_at, **fields)
    )


def text(response):
    """The page's words, tags removed and whitespace collapsed."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# The window, to the second


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        (OPENS - SECOND, False),
        (OPENS, True),
        (CLOSES - SECOND, True),
        (CLOSES, False),
    ],
)
def test_the_window_opens_and_closes_at_exact_instants(instant, is_open):
    cycle = make_cycle()
    with time_machine.travel(instant, tick=False):
        status = cycle_status()
        assert status.is_open is is_open
        assert (status.open_cycle == cycle) is is_open
        assert cycle.is_open() is is_open


def test_before_the_window_the_cycle_is_next_and_after_it_nothing_is():
    cycle = make_cycle()
    assert cycle_status(at=OPENS - SECOND).next_cycle == cycle
    after = cycle_status(at=CLOSES)
    assert after.open_cycle is None
    assert after.next_cycle is None


# What the home page says, in the visitor's zone


def test_open_cycle_shows_the_closing_time_in_the_users_zone(client, mentee):
    make_cycle()
    with time_machine.travel(OPENS, tick=False):
        # Logged in at the travelled-to time, or the session has expired.
        client.force_login(mentee)  # Africa/Lagos, UTC+1
        response = client.get(reverse("home"))
    # 17:30 in Kolkata is 12:00 UTC, 13:00 in Lagos.
    assert "Applications are open until 1 March 2027, 13:00 (Africa/Lagos)." in text(
        response
    )
    html = response.content.decode()
    assert f'href="{reverse("applications:apply")}"' in html
    assert f'href="{reverse("applications:check")}"' in html
    assert "Notify me when applications open" not in html


def test_an_anonymous_visitor_sees_the_zone_of_their_browser(client):
    make_cycle()
    client.cookies["tz"] = "Asia%2FKolkata"
    with time_machine.travel(OPENS, tick=False):
        response = client.get(reverse("home"))
    assert "open until 1 March 2027, 17:30 (Asia/Kolkata)" in text(response)


def test_a_scheduled_cycle_shows_its_opening_in_the_users_zone(client, staff):
    make_cycle()
    with time_machine.travel(OPENS - timedelta(days=10), tick=False):
        client.force_login(staff)  # America/New_York, UTC-5 in January
        page = text(client.get(reverse("home")))
    # 09:00 in Kolkata is 03:30 UTC, 22:30 the day before in New York.
    assert (
        "Applications are closed. The next cycle opens "
        "14 January 2027, 22:30 (America/New_York)."
    ) in page
    assert "Notify me when applications open" in page


def test_a_cycle_known_only_by_season(client):
    Cycle.objects.create(name="2027-2028 cycle", expected_opening="Fall 2027")
    page = text(client.get(reverse("home")))
    assert "Applications are closed. The next cycle opens in Fall 2027." in page
    assert "Notify me when applications open" in page


def test_no_cycle_at_all_just_says_closed(client):
    response = client.get(reverse("home"))
    page = text(response)
    assert "Applications are closed." in page
    assert "next cycle" not in page
    html = response.content.decode()
    assert f'action="{reverse("notification_request")}"' in html
    assert "csrfmiddlewaretoken" in html
    assert '<label for="notify-email"' in html


def test_home_keeps_one_heading_of_level_one_in_both_states(client):
    assert len(re.findall(r"<h1[\s>]", client.get("/").content.decode())) == 1
    make_cycle()
    with time_machine.travel(OPENS, tick=False):
        html = client.get("/").content.decode()
    assert len(re.findall(r"<h1[\s>]", html)) == 1


# One window at a time


def test_an_overlapping_window_is_refused_by_the_service():
    make_cycle()
    with pytest.raises(ValidationError) as caught:
        make_cycle(
            name="Overlapping", opens_at=CLOSES - SECOND, closes_at=CLOSES + SECOND
        )
    assert "overlaps “2027 cycle”" in caught.value.message_dict["opens_at"][0]
    assert not Cycle.objects.filter(name="Overlapping").exists()


def test_a_window_may_open_the_instant_the_previous_one_closes():
    make_cycle()
    make_cycle(name="Next", opens_at=CLOSES, closes_at=CLOSES + timedelta(days=30))
    assert Cycle.objects.count() == 2


def test_moving_a_cycle_is_checked_against_the_others_but_not_itself():
    cycle = make_cycle()
    cycle.closes_at = CLOSES + timedelta(days=1)
    services.cycle_save(cycle=cycle)
    other = make_cycle(
        name="Later",
        opens_at=CLOSES + timedelta(days=10),
        closes_at=CLOSES.replace(year=2028),
    )
    other.opens_at = CLOSES
    with pytest.raises(ValidationError):
        services.cycle_save(cycle=other)
    other.refresh_from_db()
    assert other.opens_at == CLOSES + timedelta(days=10)


@pytest.mark.parametrize(
    ("opens_at", "closes_at", "field"),
    [
        (OPENS, None, "closes_at"),
        (None, CLOSES, "opens_at"),
        (CLOSES, OPENS, "closes_at"),
        (OPENS, OPENS, "closes_at"),
    ],
)
def test_an_incomplete_or_backwards_window_is_refused_at_its_field(
    opens_at, closes_at, field
):
    with pytest.raises(ValidationError) as caught:
        make_cycle(opens_at=opens_at, closes_at=closes_at)
    assert field in caught.value.message_dict
    assert not Cycle.objects.exists()


# The admin


def admin_data(**overrides):
    """The add form as a browser posts it; times are in the staff member's
    zone (America/New_York)."""
    data = {
        "name": "2027 cycle",
        "opens_at_0": "2027-01-14",
        "opens_at_1": "22:30:00",
        "closes_at_0": "2027-03-01",
        "closes_at_1": "07:00:00",
        "expected_opening": "",
        "program_starts_on": "2027-05-01",
        "program_months": "12",
        "max_years_since_training": "10",
        "excluded_practice_countries": ["US"],
        "accepted_membership_types": ["in_training", "full"],
        "accepts_concurrent_membership_application": "on",
        "min_monthly_hours": "2",
        "cv_max_mb": "5",
        "require_different_sub_region": "on",
        "response_days": "14",
        **{f"weight_{name}": str(v) for name, v in Weights().to_dict().items()},
    }
    return {**data, **overrides}


def test_staff_add_a_cycle_in_their_own_time_zone(client, staff):
    client.force_login(staff)
    response = client.post(reverse("admin:mentorship_cycle_add"), admin_data())
    assert response.status_code == 302
    cycle = Cycle.objects.get()
    assert cycle.opens_at == OPENS
    assert cycle.closes_at == CLOSES
    assert cycle.accepted_membership_types == [
        MembershipType.IN_TRAINING,
        MembershipType.FULL,
    ]


def test_staff_announce_a_cycle_by_season_without_dates(client, staff):
    client.force_login(staff)
    data = admin_data(expected_opening="Fall 2027")
    for field in ("opens_at_0", "opens_at_1", "closes_at_0", "closes_at_1"):
        data[field] = ""
    response = client.post(reverse("admin:mentorship_cycle_add"), data)
    assert response.status_code == 302
    assert cycle_status().next_cycle.expected_opening == "Fall 2027"


def test_editing_a_cycle_does_not_clash_with_itself(client, staff):
    cycle = make_cycle()
    client.force_login(staff)
    response = client.post(
        reverse("admin:mentorship_cycle_change", args=[cycle.pk]),
        admin_data(name="Renamed", closes_at_1="08:00:00"),
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.name == "Renamed"
    assert cycle.closes_at == CLOSES + timedelta(hours=1)


def test_the_admin_shows_an_overlap_at_the_field_and_saves_nothing(client, staff):
    make_cycle(name="Existing")
    client.force_login(staff)
    response = client.post(
        reverse("admin:mentorship_cycle_add"),
        admin_data(name="Clashing", closes_at_0="2027-04-01"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "overlaps “Existing”" in errors["opens_at"][0]
    assert "overlaps “Existing”" in response.content.decode()
    assert list(Cycle.objects.values_list("name", flat=True)) == ["Existing"]


def test_the_admin_refuses_a_backwards_window_at_the_field(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:mentorship_cycle_add"), admin_data(closes_at_0="2027-01-01")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["closes_at"] == ["Applications must close after they open."]
    assert not Cycle.objects.exists()


def test_the_admin_asks_for_at_least_one_membership_type(client, staff):
    client.force_login(staff)
    data = admin_data()
    del data["accepted_membership_types"]
    response = client.post(reverse("admin:mentorship_cycle_add"), data)
    assert response.status_code == 200
    assert "Choose at least one membership type." in response.content.decode()
    assert not Cycle.objects.exists()


def test_the_admin_edits_membership_types_as_checkboxes(client, staff):
    cycle = make_cycle()
    client.force_login(staff)
    html = client.get(
        reverse("admin:mentorship_cycle_change", args=[cycle.pk])
    ).content.decode()
    assert html.count('type="checkbox" name="accepted_membership_types"') == len(
        MembershipType
    )
    assert re.search(r'value="full_discounted"[^>]*checked', html)
    assert not re.search(r'value="non_member"[^>]*checked', html)


def test_the_admin_list_shows_the_window_in_the_staff_members_zone(client, staff):
    make_cycle()
    with time_machine.travel(OPENS, tick=False):
        client.force_login(staff)
        response = client.get(reverse("admin:mentorship_cycle_changelist"))
    html = response.content.decode()
    assert "14 Jan 2027, 22:30 to 1 Mar 2027, 07:00 (America/New_York)" in html
    assert 'alt="True"' in html  # open now


def test_the_notification_admin_filters_and_searches(client, staff):
    client.force_login(staff)
    services.notification_request(email="waiting@example.com")
    url = reverse("admin:mentorship_openingnotification_changelist")
    assert "waiting@example.com" in client.get(url, {"notified": "no"}).content.decode()
    assert (
        "waiting@example.com"
        not in client.get(url, {"notified": "yes"}).content.decode()
    )
    assert "waiting@example.com" in client.get(url, {"q": "waiting"}).content.decode()
    assert (
        "waiting@example.com"
        not in client.get(url, {"unsubscribed": "yes"}).content.decode()
    )


# Demo data


def test_demo_cycles_are_stable_open_now_and_never_overlap():
    seed_demo_cycles()
    first = list(Cycle.objects.order_by("name").values())
    seed_demo_cycles()
    assert list(Cycle.objects.order_by("name").values()) == first
    assert cycle_status().open_cycle.name == OPEN_CYCLE_NAME
    past = Cycle.objects.get(name=PAST_CYCLE_NAME)
    assert past.closes_at <= Cycle.objects.get(name=OPEN_CYCLE_NAME).opens_at


def test_demo_cycles_move_along_when_seeded_much_later():
    seed_demo_cycles()
    with time_machine.travel(timedelta(days=400)):
        seed_demo_cycles()
        assert cycle_status().open_cycle.name == OPEN_CYCLE_NAME
    assert Cycle.objects.count() == 2


def test_staff_set_the_matching_weights_per_cycle(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:mentorship_cycle_add"),
        admin_data(weight_interest="25", weight_language="-1"),
    )
    assert "Ensure this value is greater than or equal to 0." in (
        response.content.decode()
    )
    client.post(reverse("admin:mentorship_cycle_add"), admin_data(weight_interest="25"))
    cycle = Cycle.objects.get(name="2027 cycle")
    assert cycle.matching_weights == {"interest": 25}
    page = client.get(reverse("admin:mentorship_cycle_change", args=[cycle.pk]))
    assert 'name="weight_interest" value="25"' in page.content.decode()
