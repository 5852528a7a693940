import random

import numpy as np
import pytest

from matching.scoring import (
    INELIGIBLE,
    HardRules,
    MenteeData,
    MentorData,
    PairScorer,
    Weights,
    ineligibility,
    rank_mentors,
    score,
    utc_offset_minutes,
    working_hours_overlap,
)


def mentee(country="BR", **fields):
    return MenteeData(id=fields.pop("id", "ana"), country=country, **fields)


def mentor(country="US", **fields):
    return MentorData(id=fields.pop("id", "bob"), country=country, **fields)


def test_brazilian_mentee_may_have_us_mentor_canadian_mentee_may_not():
    # Brazil is in Latin America and the Caribbean; Canada and the US are both
    # Northern America.
    assert ineligibility(mentee("BR"), mentor("US")) is None
    assert ineligibility(mentee("CA"), mentor("US")) == (
        "the mentor is in the same world region (Northern America)"
    )
    assert ineligibility(mentee("BR"), mentor("CA")) is None


def test_relaxing_to_different_country_only():
    relaxed = HardRules(same_sub_region_allowed=True)
    assert ineligibility(mentee("CA"), mentor("US"), relaxed) is None
    assert ineligibility(mentee("BR"), mentor("AR")) is not None
    assert ineligibility(mentee("BR"), mentor("AR"), relaxed) is None
    assert ineligibility(mentee("BR"), mentor("BR"), relaxed) == (
        "the mentor is in the same country (BR)"
    )


def test_mentor_status_and_staff_exclusions():
    assert "not approved" in ineligibility(mentee(), mentor(approved=False))
    assert "inactive" in ineligibility(mentee(), mentor(active=False))
    assert "opted out" in ineligibility(mentee(), mentor(available=False))
    never = HardRules(never_pair=frozenset({("ana", "bob")}))
    assert "never" in ineligibility(mentee(), mentor(), never)
    assert ineligibility(mentee(id="eve"), mentor(), never) is None


def test_score_and_reasons_in_words():
    labels = {1: "breast", 2: "thoracic", 3: "sarcoma", 10: "clinical research"}
    ana = mentee(
        interests=frozenset({1, 2, 3}),
        career_goals=frozenset({10}),
        meeting_ways=frozenset({"video"}),
        languages=frozenset({"pt", "en"}),
        utc_offset=-180,
        preferred_mentors=("bob", "carl"),
    )
    bob = mentor(
        interests=frozenset({1, 2, 3, 4}),
        career_goals=frozenset({10, 11}),
        meeting_ways=frozenset({"video", "email"}),
        languages=frozenset({"en"}),
        utc_offset=-300,
    )
    result = score(ana, bob, Weights(), labels)
    assert result.reasons == [
        "3 shared interests: breast, sarcoma, thoracic",
        "1 shared career goal: clinical research",
        "6 working hours overlap",
        "1 shared way to meet: video",
        "1 shared language: English",
        "mentee's 1st choice",
    ]
    assert result.total == 3 * 10 + 6 + 6 * 2 + 4 + 8 + 30
    carl = mentor(id="carl")
    assert score(ana, carl).reasons == ["mentee's 2nd choice"]
    assert score(ana, carl).total == 20


def test_working_hours_overlap_on_a_24_hour_circle():
    assert working_hours_overlap(0, 0) == 8
    assert working_hours_overlap(60, 0) == 7
    # Tokyo's 09:00-12:00 is Honolulu's 14:00-17:00 the day before.
    assert working_hours_overlap(9 * 60, -10 * 60) == 3
    assert working_hours_overlap(330, 0) == 2  # 2.5 hours, whole hours count
    assert working_hours_overlap(0, 12 * 60) == 0
    assert working_hours_overlap(None, 0) == 0


def test_offsets_are_read_on_the_reference_date():
    assert utc_offset_minutes("Asia/Kolkata") == 330
    assert utc_offset_minutes("America/New_York") == -300  # standard time
    assert utc_offset_minutes("Australia/Sydney") == 660  # southern summer
    assert utc_offset_minutes("") is None


def test_weights_from_a_stored_setting():
    assert Weights.from_dict({"interest": 3}).interest == 3
    assert Weights.from_dict(Weights().to_dict()) == Weights()
    with pytest.raises(ValueError, match="intrest"):
        Weights.from_dict({"intrest": 3})
    with pytest.raises(ValueError, match="0 or more"):
        Weights(language=-1)


def test_rank_mentors_orders_eligible_and_explains_the_rest():
    mentors = [
        mentor("US", id="low"),
        mentor("DE", id="high", interests=frozenset({1})),
        mentor("AR", id="near"),
        mentor("GB", id="tie"),
    ]
    ranking = rank_mentors(mentee("BR", interests=frozenset({1})), mentors)
    assert [mentor_id for mentor_id, _ in ranking.eligible] == ["high", "low", "tie"]
    assert ranking.ineligible == [
        (
            "near",
            "the mentor is in the same world region (Latin America and the Caribbean)",
        )
    ]


def random_people(rng, n_mentees, n_mentors):
    countries = ["BR", "AR", "US", "CA", "IN", "PK", "NG", "DE", "FR", "JP"]
    offsets = [None, 0, 60, -300, 330, 540, -180, 345]

    def traits():
        return {
            "country": rng.choice(countries),
            "interests": frozenset(rng.sample(range(16), rng.randint(0, 4))),
            "career_goals": frozenset(rng.sample(range(100, 107), rng.randint(0, 3))),
            "meeting_ways": frozenset(rng.sample(["email", "video", "phone"], 1)),
            "languages": frozenset(rng.sample(["en", "fr", "es", "pt"], 2)),
            "utc_offset": rng.choice(offsets),
        }

    mentors = [
        MentorData(
            id=j,
            capacity=rng.randint(1, 3),
            approved=rng.random() > 0.1,
            available=rng.random() > 0.1,
            **traits(),
        )
        for j in range(n_mentors)
    ]
    mentees = [
        MenteeData(
            id=i,
            preferred_mentors=tuple(rng.sample(range(n_mentors), rng.randint(0, 3))),
            waiting=rng.random() < 0.2,
            **traits(),
        )
        for i in range(n_mentees)
    ]
    return mentees, mentors


@pytest.mark.parametrize("relaxed", [False, True])
def test_vectorised_scores_equal_scalar_scores(relaxed):
    rng = random.Random(7)
    mentees, mentors = random_people(rng, 40, 25)
    rules = HardRules(
        same_sub_region_allowed=relaxed,
        never_pair=frozenset((rng.randrange(40), rng.randrange(25)) for _ in range(30)),
    )
    weights = Weights(interest=7, career_goal=5, working_hour=3, language=11)
    block = PairScorer(mentees, mentors, weights, rules).block(
        np.arange(40), np.arange(25)
    )
    for i, a in enumerate(mentees):
        for j, b in enumerate(mentors):
            expected = (
                INELIGIBLE if ineligibility(a, b, rules) else score(a, b, weights).total
            )
            assert block[i, j] == expected
    # Any sub-block agrees with the full one.
    rows, cols = np.array([3, 9, 30]), np.array([0, 4, 24])
    scorer = PairScorer(mentees, mentors, weights, rules)
    assert (scorer.block(rows, cols) == block[np.ix_(rows, cols)]).all()


def test_a_waiting_mentee_gets_the_last_place():
    from matching.solver import propose

    mentor = MentorData(id="m", country="DE", capacity=1, interests=frozenset({1}))
    new = MenteeData(id="a-new", country="IN", interests=frozenset({1}))
    waiting = MenteeData(id="b-waiting", country="KE", waiting=True)
    result = propose([new, waiting], [mentor])
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("b-waiting", "m")]
    assert "waiting for a mentor, so offered first" in result.pairs[0].score.reasons
    assert result.unmatched == ["a-new"]
