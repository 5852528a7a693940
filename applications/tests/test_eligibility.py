"""Each eligibility rule at its boundaries (pure functions, no database)."""

import pytest

from applications import eligibility as e

RULES = e.Rules(
    max_years_since_training=10,
    excluded_practice_countries=frozenset({"US"}),
    accepted_membership_types=frozenset({"in_training", "full", "full_discounted"}),
    accepts_concurrent_membership_application=True,
    min_monthly_hours=2,
)
GOOD = e.Answers(
    membership_type="full",
    training_completed_year=2020,
    practice_country="IN",
    english_writing="fluent",
    english_speaking="fluent",
    monthly_hours=4,
    prior_idea_award=False,
    statement="I want to grow as a clinical researcher.",
    has_cv=True,
)


def outcome(rule, year=2026, rules=RULES, **changes):
    return rule(e.Answers(**{**GOOD.__dict__, **changes}), rules, year)


def test_a_good_applicant_passes_or_goes_to_staff_review():
    results = e.evaluate(GOOD, RULES, 2026)
    assert e.failures(results) == []
    assert {r.criterion: r.outcome for r in results} == {
        "membership": "pass",
        "years_since_training": "pass",
        "country_of_practice": "pass",
        "english": "pass",
        "monthly_commitment": "pass",
        "prior_idea_award": "pass",
        "interest_statement": "review",
        "cv": "review",
    }


@pytest.mark.parametrize(
    ("completed", "expected"), [(2017, "pass"), (2016, "fail"), (2015, "fail")]
)
def test_fewer_than_ten_years_since_training(completed, expected):
    result = outcome(e.years_since_training, training_completed_year=completed)
    assert result.outcome == expected
    if expected == "fail":
        assert f"{2026 - completed} years ago" in result.reason


def test_still_in_training_passes_without_a_year():
    result = outcome(
        e.years_since_training, still_in_training=True, training_completed_year=None
    )
    assert result.outcome == "pass"


def test_the_cycle_sets_the_years_limit():
    strict = e.Rules(**{**RULES.__dict__, "max_years_since_training": 5})
    assert (
        outcome(
            e.years_since_training, rules=strict, training_completed_year=2022
        ).outcome
        == "pass"
    )
    assert (
        outcome(
            e.years_since_training, rules=strict, training_completed_year=2021
        ).outcome
        == "fail"
    )


def test_practising_in_the_united_states_fails_elsewhere_passes():
    us = outcome(e.country_of_practice, practice_country="US")
    assert us.outcome == "fail"
    assert "outside United States" in us.reason
    assert outcome(e.country_of_practice, practice_country="CA").outcome == "pass"


def test_country_of_practice_not_of_training_decides():
    # Trained in the US, practising in India: eligible; the reverse is not.
    answers = e.Answers(**{**GOOD.__dict__, "practice_country": "IN"})
    assert e.country_of_practice(answers, RULES, 2026).outcome == "pass"
    answers = e.Answers(**{**GOOD.__dict__, "practice_country": "US"})
    assert e.country_of_practice(answers, RULES, 2026).outcome == "fail"


@pytest.mark.parametrize(
    ("kind", "submitted", "expected"),
    [
        ("in_training", False, "pass"),
        ("full", False, "pass"),
        ("full_discounted", False, "pass"),
        ("non_member", True, "pass"),
        ("non_member", False, "fail"),
    ],
)
def test_membership(kind, submitted, expected):
    result = outcome(
        e.membership, membership_type=kind, membership_application_submitted=submitted
    )
    assert result.outcome == expected


def test_non_members_refused_when_the_cycle_wants_members_only():
    members_only = e.Rules(
        **{**RULES.__dict__, "accepts_concurrent_membership_application": False}
    )
    result = outcome(
        e.membership,
        rules=members_only,
        membership_type="non_member",
        membership_application_submitted=True,
    )
    assert result.outcome == "fail"


def test_english_names_what_is_not_fluent():
    result = outcome(e.english, english_speaking="working")
    assert result.outcome == "fail"
    assert "speaking" in result.reason and "writing" not in result.reason.split(";")[1]


@pytest.mark.parametrize(("hours", "expected"), [(2, "pass"), (1, "fail"), (0, "fail")])
def test_monthly_commitment(hours, expected):
    assert outcome(e.monthly_commitment, monthly_hours=hours).outcome == expected


def test_past_idea_or_idea_pc_recipients_are_not_eligible():
    result = outcome(e.prior_idea_award, prior_idea_award=True)
    assert result.outcome == "fail"
    assert "IDEA-PC" in result.reason
    assert outcome(e.prior_idea_award, prior_idea_award=None).outcome == "fail"


def test_statement_and_cv_go_to_staff_or_fail_when_missing():
    assert outcome(e.interest_statement, statement="  ").outcome == "fail"
    assert outcome(e.cv_present, has_cv=False).outcome == "fail"


def test_every_failure_is_reported_not_only_the_first():
    answers = e.Answers(
        **{
            **GOOD.__dict__,
            "practice_country": "US",
            "prior_idea_award": True,
            "monthly_hours": 0,
        }
    )
    failed = e.failures(e.evaluate(answers, RULES, 2026))
    assert [r.criterion for r in failed] == [
        "country_of_practice",
        "monthly_commitment",
        "prior_idea_award",
    ]
