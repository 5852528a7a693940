import pytest

from applications import states
from applications.models import Application
from applications.states import Status

EXPECTED = {
    "submit": ({"draft", "ineligible"}, "submitted"),
    "mark_ineligible": ({"draft", "ineligible"}, "ineligible"),
    "reopen": ({"submitted", "ineligible"}, "draft"),
    "start_review": ({"submitted", "resubmitted"}, "under_review"),
    "reconsider": ({"ineligible"}, "under_review"),
    "approve": ({"under_review", "waitlisted"}, "approved"),
    "decline": ({"under_review", "waitlisted", "info_requested"}, "declined"),
    "waitlist": ({"under_review"}, "waitlisted"),
    "request_info": ({"under_review", "waitlisted"}, "info_requested"),
    "resubmit": ({"info_requested"}, "resubmitted"),
    "mark_matched": ({"approved"}, "matched"),
    "return_to_staff": ({"matched"}, "approved"),
    "withdraw": (
        {
            "draft",
            "submitted",
            "ineligible",
            "under_review",
            "info_requested",
            "resubmitted",
            "waitlisted",
            "approved",
        },
        "withdrawn",
    ),
}


def test_the_table_is_the_issue_s_state_machine():
    assert {
        name: (set(t.sources), t.target) for name, t in states.TRANSITIONS.items()
    } == EXPECTED
    assert Application.Status is Status


@pytest.mark.parametrize(
    ("name", "source"),
    [(name, source) for name, (sources, _) in EXPECTED.items() for source in sources],
)
def test_each_transition_is_allowed_from_its_sources(name, source):
    assert states.check(name, source).target == EXPECTED[name][1]
    assert states.allows(name, source)


@pytest.mark.parametrize(
    ("name", "source"),
    [
        (name, source)
        for name, (sources, _) in EXPECTED.items()
        for source in set(Status.values) - sources
    ],
)
def test_each_transition_is_refused_from_every_other_state(name, source):
    assert not states.allows(name, source)
    with pytest.raises(states.TransitionRefused) as refused:
        states.check(name, source)
    message = str(refused.value)
    assert states.TRANSITIONS[name].label in message
    assert Status(source).label.lower() in message
    for allowed in EXPECTED[name][0]:
        assert Status(allowed).label.lower() in message


def test_closed_states_are_final_for_the_applicant():
    for closed in ("declined", "matched", "withdrawn"):
        assert not states.allows("withdraw", closed)
        assert closed not in states.OPEN
