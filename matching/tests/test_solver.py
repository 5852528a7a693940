import random

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from matching.scoring import HardRules, ineligibility
from matching.solver import DenseScores, certify, greedy, propose, solve
from matching.tests.test_scoring import random_people


def reference(scores, capacities):
    """Independent exact answer: dense assignment on slot-expanded columns."""
    n = scores.shape[0]
    slots = np.repeat(np.arange(scores.shape[1]), capacities)
    big = min(n, len(slots)) * max(int(scores.max(initial=0)), 0) + 1
    expanded = scores[:, slots]
    weights = np.where(expanded >= 0, expanded + big, 0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    used = weights[rows, cols] > 0
    return int(used.sum()), int(expanded[rows[used], cols[used]].sum())


def random_case(rng):
    n, m = int(rng.integers(1, 30)), int(rng.integers(1, 14))
    scores = rng.integers(0, int(rng.integers(1, 40)), size=(n, m))
    scores[rng.random((n, m)) < rng.random()] = -1
    return scores, rng.integers(0, 4, size=m)


def assert_feasible(result, scores, capacities):
    assert len(set(result.mentees.tolist())) == result.matched
    assert (np.bincount(result.mentors, minlength=len(capacities)) <= capacities).all()
    assert (scores[result.mentees, result.mentors] >= 0).all()
    assert (scores[result.mentees, result.mentors] == result.scores).all()


def test_optimal_against_dense_assignment_on_random_cases():
    rng = np.random.default_rng(2024)
    rounds = []
    for _ in range(250):
        scores, capacities = random_case(rng)
        # Deliberately short lists, so that the certificate has work to do.
        result = solve(
            DenseScores(scores),
            capacities,
            per_mentee=int(rng.integers(1, 3)),
            per_mentor_extra=int(rng.integers(0, 2)),
        )
        assert result.optimal
        assert_feasible(result, scores, capacities)
        assert (result.matched, result.total_score) == reference(scores, capacities)
        rounds.append(result.rounds)
    assert max(rounds) > 1


def test_cardinality_comes_before_score():
    # Mentee 0 would score 100 with mentor 0, but then mentee 1 has no one.
    scores = np.array([[100, 1], [5, -1]])
    result = solve(DenseScores(scores), [1, 1])
    assert result.pairs == [(0, 1), (1, 0)]
    assert result.optimal


def test_certificate_catches_a_pruning_that_misses_the_optimum():
    # Every mentee's best is mentor 0 and every mentor's best is mentee 0, so
    # lists of one keep only row 0 and column 0: at most two pairs. The duals
    # show the pairs between the others would help; they are added.
    scores = np.array([[9, 8, 8, 8], [5, 1, 1, 1], [5, 1, 1, 1], [5, 1, 1, 1]])
    result = solve(DenseScores(scores), [1, 1, 1, 1], per_mentee=1, per_mentor_extra=0)
    assert result.rounds > 1
    assert result.diagnostics["violators_added"] > 0
    assert result.optimal
    assert (result.matched, result.total_score) == reference(scores, np.ones(4, int))


def test_not_reported_optimal_without_a_certificate():
    scores = np.array([[9, 8, 8, 8], [5, 1, 1, 1], [5, 1, 1, 1], [5, 1, 1, 1]])
    result = solve(
        DenseScores(scores),
        [1, 1, 1, 1],
        per_mentee=1,
        per_mentor_extra=0,
        max_rounds=1,
    )
    assert not result.optimal


def test_forged_matchings_fail_the_independent_check():
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 20, size=(12, 6))
    scores[rng.random(scores.shape) < 0.3] = -1
    capacities = np.array([2, 1, 3, 1, 2, 1])
    scorer = DenseScores(scores)
    result = solve(scorer, capacities)
    assert certify(scorer, capacities, result)

    dropped = solve(scorer, capacities)
    dropped.mentees, dropped.mentors = dropped.mentees[1:], dropped.mentors[1:]
    dropped.scores = dropped.scores[1:]
    assert not certify(scorer, capacities, dropped)

    inflated = solve(scorer, capacities)
    inflated.scores = inflated.scores + 1
    assert not certify(scorer, capacities, inflated)

    ineligible = np.argwhere(scores < 0)[0]
    forged = solve(scorer, capacities)
    forged.mentees = np.r_[forged.mentees[1:], ineligible[0]]
    forged.mentors = np.r_[forged.mentors[1:], ineligible[1]]
    assert not certify(scorer, capacities, forged)


def test_same_input_same_output_and_order_does_not_matter():
    rng = random.Random(11)
    mentees, mentors = random_people(rng, 60, 25)
    rules = HardRules(never_pair=frozenset({(0, 1), (5, 7)}))
    first = propose(mentees, mentors, rules=rules)
    again = propose(mentees, mentors, rules=rules)
    shuffled_mentees, shuffled_mentors = mentees[:], mentors[:]
    rng.shuffle(shuffled_mentees)
    rng.shuffle(shuffled_mentors)
    shuffled = propose(shuffled_mentees, shuffled_mentors, rules=rules)

    def pairs(run):
        return sorted((p.mentee_id, p.mentor_id) for p in run.pairs)

    assert first.optimal
    assert pairs(first) == pairs(again) == pairs(shuffled)
    assert first.unmatched == shuffled.unmatched


def test_proposals_respect_hard_rules_and_capacity_and_explain_themselves():
    rng = random.Random(3)
    mentees, mentors = random_people(rng, 50, 20)
    rules = HardRules(never_pair=frozenset({(m.id, 0) for m in mentees}))
    run = propose(mentees, mentors, rules=rules)
    mentee_by_id = {m.id: m for m in mentees}
    mentor_by_id = {m.id: m for m in mentors}
    load = {}
    for proposal in run.pairs:
        mentor = mentor_by_id[proposal.mentor_id]
        assert ineligibility(mentee_by_id[proposal.mentee_id], mentor, rules) is None
        assert proposal.mentor_id != 0
        load[mentor.id] = load.get(mentor.id, 0) + 1
        assert proposal.score.total >= 0
        assert len(proposal.alternatives) <= 2
        assert proposal.mentor_id not in [a for a, _ in proposal.alternatives]
    assert all(load[j] <= mentor_by_id[j].capacity for j in load)
    assert len(run.pairs) + len(run.unmatched) == len(mentees)


@pytest.mark.parametrize("seed", range(20))
def test_greedy_is_feasible_and_never_beats_the_optimum(seed):
    scores, capacities = random_case(np.random.default_rng(seed))
    baseline = greedy(DenseScores(scores), capacities)
    best = solve(DenseScores(scores), capacities)
    assert_feasible(baseline, scores, capacities)
    assert (baseline.matched, baseline.total_score) <= (best.matched, best.total_score)


def test_no_mentors_or_no_eligible_pairs():
    empty = solve(DenseScores(np.full((3, 2), -1)), [1, 2])
    assert empty.matched == 0
    assert empty.optimal
