"""Who mentors whom: an exact, certified optimum over all eligible pairs.

Pure: a scorer (anything with ``n_mentees``, ``n_mentors`` and
``block(rows, cols)`` returning integer scores, -1 where a pair is
ineligible; `scoring.PairScorer` in production, `DenseScores` over a plain
array in tests) and mentor capacities in, pairs out.

The objective is lexicographic: first as many matched mentees as possible,
then the largest total score. Why the answer is exact:

1. Weights. Every eligible pair gets ``w = BIG + score`` with ``BIG`` larger
   than any matching's total score. One more pair then always outweighs any
   gain in score, so a maximum-weight matching under ``w`` is exactly the
   lexicographic optimum.
2. Integrality. Maximum-weight bipartite b-matching (mentees take one mentor,
   mentor j takes at most ``capacity[j]``) is a linear programme with a
   totally unimodular constraint matrix: its LP optimum is attained by an
   integral matching, and LP duality applies to it. The dual is: find
   ``u_i >= 0`` per mentee and ``v_j >= 0`` per mentor with
   ``u_i + v_j >= w_ij`` for every eligible pair; any such (u, v) bounds every
   matching's weight by ``sum(u) + sum(capacity * v)``.
3. Certificate. The solver solves a restricted problem (each mentee's best few
   mentors and each mentor's best few mentees) with a sparse assignment
   algorithm, reads optimal integral duals off its residual graph, and then
   checks those duals against *every* eligible pair. If none is violated,
   (u, v) is feasible for the full problem and its bound equals the matching's
   weight, so the matching is optimal over all pairs. Violating pairs are added
   and the restricted problem solved again until the check passes. All of it in
   64-bit integers, so the proof is not a floating-point approximation.

Checking every pair would cost as much as scoring every pair again, so the
check uses what the first pass learnt: a pair left out of both its mentee's and
its mentor's list scores no more than the worst score on either list. Only
pairs whose duals fall short of that bound are scored again, exactly.

Ties between equally good matchings are broken by the algorithm, which is
deterministic; `propose` sorts people by id first, so the same people given in
another order get the same pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.scoring import (
    INELIGIBLE,
    HardRules,
    MenteeData,
    MentorData,
    PairScore,
    PairScorer,
    Weights,
    row_blocks,
    score,
)

# How many mentors per mentee, and extra mentees per mentor beyond its
# capacity, the restricted problem starts from. Short lists make the sparse
# solve fast; the certificate catches any pair they should have held. Mentors
# get long lists because mentees usually outnumber places: a mentor's slot is
# only proven well used once its list reaches the mentees left unmatched.
PER_MENTEE = 3
PER_MENTOR_EXTRA = 50
# Violations added per round, per mentee: the worst ones first. Adding all of
# them could add millions of pairs when the first duals are far off.
VIOLATORS_PER_MENTEE = 20
MAX_ROUNDS = 50
# The machine this runs on has two cores.
THREADS = 2


class DenseScores:
    """A full score matrix (mentees x mentors, -1 = ineligible) as a scorer."""

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=np.int64)
        self.n_mentees, self.n_mentors = self.scores.shape

    def block(self, rows, cols):
        return self.scores[np.ix_(rows, cols)]


@dataclass
class Matching:
    """Pairs as (mentee index, mentor index) into the scorer's rows and columns."""

    mentees: np.ndarray
    mentors: np.ndarray
    scores: np.ndarray
    optimal: bool
    rounds: int = 0
    candidates: int = 0
    diagnostics: dict = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return len(self.mentees)

    @property
    def total_score(self) -> int:
        return int(self.scores.sum())

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.mentees.tolist(), self.mentors.tolist(), strict=True))


def _tie_break(index: np.ndarray, bits: int) -> np.ndarray:
    """A pseudo-random mask per index, XOR-ed onto the other side's index.

    Equal scores are common (scores are small integers). Breaking ties by index
    would send every mentor's list to the same few low-numbered mentees and
    starve the restricted problem; XOR with a mask that differs per row
    orders ties differently for each row, yet is fixed by the input.
    """
    mixed = (index.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(64 - bits)).astype(np.int64)


def _bits(n: int) -> int:
    return max(1, int(n - 1).bit_length())


@dataclass
class _Candidates:
    rows: np.ndarray
    cols: np.ndarray
    scores: np.ndarray
    # Upper bounds on the score of any eligible pair outside the lists, per
    # mentee and per mentor; -1 when the lists hold every eligible pair.
    mentee_bound: np.ndarray
    mentor_bound: np.ndarray
    max_score: int


def _candidates(scorer, capacities, per_mentee, per_mentor_extra) -> _Candidates:
    """One pass over all pairs: each mentee's and each mentor's best partners.

    Keeps one more than it needs on each side, whose score is then the bound
    on everything left out. The mentees are split between two threads (numpy
    releases the GIL inside its loops), whose mentor lists merge exactly:
    the best few of a union are among the best few of each part.
    """
    n, m = scorer.n_mentees, scorer.n_mentors
    pass_ = _CandidatePass(scorer, capacities, per_mentee, per_mentor_extra)
    halves = [(0, n // 2), (n // 2, n)]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        parts = list(pool.map(lambda part: pass_.run(*part), halves))
    mentee_bound = np.full(n, INELIGIBLE, dtype=np.int64)
    for part in parts:
        mentee_bound[part["bounded"]] = part["bound"]
    pool_rows, pool_cols, pool_scores = pass_.reduce(
        *(np.concatenate([part["pool"][k] for part in parts]) for k in range(3))
    )
    rank = _rank_within_mentor(pool_cols)
    listed = rank < pass_.keep_col[pool_cols] - 1
    mentor_bound = np.full(m, INELIGIBLE, dtype=np.int64)
    mentor_bound[pool_cols[~listed]] = pool_scores[~listed]

    def gather(key, extra):
        return np.concatenate([*(part[key] for part in parts), extra])

    rows, cols, scores = _unique_pairs(
        gather("rows", pool_rows[listed]),
        gather("cols", pool_cols[listed]),
        gather("scores", pool_scores[listed]),
        m,
    )
    max_score = max(part["max_score"] for part in parts)
    return _Candidates(rows, cols, scores, mentee_bound, mentor_bound, max_score)


class _CandidatePass:
    def __init__(self, scorer, capacities, per_mentee, per_mentor_extra):
        self.scorer = scorer
        n, m = scorer.n_mentees, scorer.n_mentors
        self.per_mentee = per_mentee
        self.col_bits, self.row_bits = _bits(m), _bits(n)
        self.col_index = np.arange(m)
        self.col_mask = _tie_break(self.col_index, self.row_bits)
        self.keep_row = min(per_mentee + 1, m)
        self.keep_col = capacities.astype(np.int64) + per_mentor_extra + 1

    def run(self, first: int, last: int) -> dict:
        m = self.scorer.n_mentors
        found = {"rows": [], "cols": [], "scores": [], "bound": []}
        empty = np.empty(0, np.int64)
        pool = (empty, empty, empty)
        pending = []
        threshold = np.zeros(m, dtype=np.int64)
        threshold_key = np.full(m, -1, dtype=np.int64)
        max_score = 0
        for start, stop in row_blocks(last - first, m):
            rows = np.arange(first + start, first + stop)
            block = self.scorer.block(rows, self.col_index).astype(np.int64)
            max_score = max(max_score, int(block.max(initial=0)))
            self._mentee_lists(block, rows, found)

            hit_rows, hit_cols = self._mentor_hits(block, threshold, rows)
            hit_scores = block[hit_rows, hit_cols]
            hit_rows = rows[hit_rows]
            # Equal scores pass the threshold; only those whose tie-break also
            # beats the list's last entry can get in.
            keep = (
                self._mentor_keys(hit_rows, hit_cols, hit_scores)
                > threshold_key[hit_cols]
            )
            pending.append((hit_rows[keep], hit_cols[keep], hit_scores[keep]))
            # Re-sorting the lists costs as much as the lists are long, so it
            # waits until enough new entries have queued up.
            if sum(len(p[0]) for p in pending) >= max(len(pool[0]), m):
                pool = self.reduce(
                    *(np.concatenate(k) for k in zip(pool, *pending, strict=True))
                )
                pending = []
                threshold, threshold_key = self._thresholds(pool)
        pool = self.reduce(
            *(np.concatenate(k) for k in zip(pool, *pending, strict=True))
        )
        return {
            "rows": np.concatenate(found["rows"] or [empty]),
            "cols": np.concatenate(found["cols"] or [empty]),
            "scores": np.concatenate(found["scores"] or [empty]),
            "bounded": np.arange(first, last),
            "bound": np.concatenate(found["bound"] or [empty]),
            "pool": pool,
            "max_score": max_score,
        }

    def _mentee_lists(self, block, rows, found):
        m, take, per_mentee = self.scorer.n_mentors, self.keep_row, self.per_mentee
        mask = _tie_break(rows, self.col_bits)
        keys = (block << self.col_bits) | (self.col_index[None, :] ^ mask[:, None])
        top = np.argpartition(keys, m - take, axis=1)[:, m - take :]
        order = np.argsort(
            -np.take_along_axis(keys, top, axis=1), axis=1, kind="stable"
        )
        top = np.take_along_axis(top, order, axis=1)
        top_scores = np.take_along_axis(block, top, axis=1)
        listed = top_scores[:, :per_mentee] >= 0
        found["rows"].append(np.broadcast_to(rows[:, None], listed.shape)[listed])
        found["cols"].append(top[:, :per_mentee][listed])
        found["scores"].append(top_scores[:, :per_mentee][listed])
        if take > per_mentee:
            found["bound"].append(np.maximum(top_scores[:, per_mentee], INELIGIBLE))
        else:
            found["bound"].append(np.full(len(rows), INELIGIBLE, dtype=np.int64))

    def _mentor_keys(self, rows, cols, scores):
        return (scores << self.row_bits) | (rows ^ self.col_mask[cols])

    def _mentor_hits(self, block, threshold, rows):
        """Positions in the block that may enter their mentor's list.

        Usually few: only scores at or above the list's current last one.
        While the lists are still filling nearly every eligible pair
        qualifies, so each mentor's best few are picked column by column
        instead of sorting millions of entries.
        """
        passing = (block >= threshold[None, :]) & (block >= 0)
        if np.count_nonzero(passing) <= 8 * self.keep_col.sum():
            return np.nonzero(passing)
        take = min(int(self.keep_col.max()), len(rows))
        keys = (block.T << self.row_bits) | (rows[None, :] ^ self.col_mask[:, None])
        top = np.argpartition(keys, len(rows) - take, axis=1)[:, len(rows) - take :]
        hit_cols = np.repeat(self.col_index, take)
        hit_rows = top.ravel()
        eligible = block[hit_rows, hit_cols] >= 0
        return hit_rows[eligible], hit_cols[eligible]

    def reduce(self, rows, cols, scores):
        """Each mentor's best ``keep_col`` entries, sorted by mentor then key."""
        order = np.lexsort((-self._mentor_keys(rows, cols, scores), cols))
        rows, cols, scores = rows[order], cols[order], scores[order]
        kept = _rank_within_mentor(cols) < self.keep_col[cols]
        return rows[kept], cols[kept], scores[kept]

    def _thresholds(self, pool):
        """Each full list's last score and key; lists with room take anything."""
        rows, cols, scores = pool
        m = self.scorer.n_mentors
        last = np.flatnonzero(np.r_[cols[1:] != cols[:-1], True]) if len(cols) else cols
        full = np.bincount(cols, minlength=m) == self.keep_col
        score, key = np.zeros(m, np.int64), np.full(m, -1, np.int64)
        score[cols[last]] = scores[last]
        key[cols[last]] = self._mentor_keys(rows[last], cols[last], scores[last])
        return np.where(full, score, 0), np.where(full, key, -1)


def _rank_within_mentor(sorted_cols):
    """Position of each entry within its run of equal (sorted) columns."""
    if not len(sorted_cols):
        return sorted_cols
    starts = np.flatnonzero(np.r_[True, sorted_cols[1:] != sorted_cols[:-1]])
    lengths = np.diff(np.r_[starts, len(sorted_cols)])
    return np.arange(len(sorted_cols)) - np.repeat(starts, lengths)


def _unique_pairs(rows, cols, scores, m):
    codes = rows * m + cols
    codes, first = np.unique(codes, return_index=True)
    return codes // m, codes % m, scores[first]


def _restricted_optimum(rows, cols, weights, capacities, n):
    """Maximum-weight b-matching of the candidate pairs, and its LP duals."""
    mentee_of, mentor_of = _assign(rows, cols, weights, capacities, n)
    u, v = _duals(rows, cols, weights, capacities, mentee_of, mentor_of, n)
    return mentee_of, mentor_of, u, v


def _assign(rows, cols, weights, capacities, n):
    """Maximum-weight b-matching by sparse assignment (LAPJVsp).

    Each mentor becomes ``capacity`` identical slots, and each slot gets a
    private "leave empty" column, so a full matching of the slots always
    exists and an empty slot is worth what it is: nothing. Costs are shifted
    to be positive, as LAPJVsp wants non-zero entries; every slot is matched
    exactly once, so the shift changes no choice.
    """
    slots_of = capacities.astype(np.int64)
    first_slot = np.r_[0, np.cumsum(slots_of)]
    n_slots = int(first_slot[-1])
    copies = slots_of[cols]
    edge = np.repeat(np.arange(len(rows)), copies)
    copy = np.arange(len(edge)) - np.repeat(np.cumsum(copies) - copies, copies)
    shift = int(weights.max(initial=0)) + 1
    graph = csr_matrix(
        (
            np.r_[shift - weights[edge], np.full(n_slots, shift)].astype(np.float64),
            (
                np.r_[first_slot[cols[edge]] + copy, np.arange(n_slots)],
                np.r_[rows[edge], n + np.arange(n_slots)],
            ),
        ),
        shape=(n_slots, n + n_slots),
    )
    slot, taken = min_weight_full_bipartite_matching(graph)
    real = taken < n
    owner = np.repeat(np.arange(len(capacities)), slots_of)
    return taken[real], owner[slot[real]]


def _duals(rows, cols, weights, capacities, mentee_of, mentor_of, n):
    """Optimal integral LP duals of the restricted problem, from its optimum.

    The matching is an optimal circulation through a hub node (hub -> mentee
    -> mentor -> hub); optimal means its residual graph has no negative
    cycle, so shortest distances from a virtual source (Bellman-Ford) are
    potentials under which every residual arc has non-negative reduced cost.
    Then ``u_i = max(0, p_i - p_hub)`` and ``v_j = max(0, p_hub - p_j)`` are
    feasible for the b-matching dual and satisfy complementary slackness with
    the matching (tight on matched pairs, zero for unmatched mentees and for
    mentors with room), hence optimal. Mentee->mentor arcs are uncapacitated
    here (the hub arc already limits a mentee to one mentor), which is what
    keeps matched pairs tight.
    """
    m = len(capacities)
    hub = n + m
    matched = np.zeros(n, dtype=bool)
    matched[mentee_of] = True
    load = np.bincount(mentor_of, minlength=m)
    code = rows * m + cols
    order = np.argsort(code)
    matched_weight = weights[
        order[np.searchsorted(code[order], mentee_of * m + mentor_of)]
    ]
    mentee_ids, mentor_ids = np.arange(n), n + np.arange(m)
    free, taken = mentee_ids[~matched], mentee_ids[matched]
    room, busy = mentor_ids[load < capacities], mentor_ids[load > 0]
    tails = np.r_[
        rows,
        n + mentor_of,
        np.full(len(free), hub),
        taken,
        room,
        np.full(len(busy), hub),
    ]
    heads = np.r_[
        n + cols,
        mentee_of,
        free,
        np.full(len(taken), hub),
        np.full(len(room), hub),
        busy,
    ]
    costs = np.r_[
        -weights,
        matched_weight,
        np.zeros(len(tails) - len(rows) - len(mentee_of), np.int64),
    ]
    potential = _shortest_distances(tails, heads, costs, n + m + 1)
    u = np.maximum(0, potential[:n] - potential[hub])
    v = np.maximum(0, potential[hub] - potential[n:hub])
    return u, v


def _shortest_distances(tails, heads, costs, nodes):
    """Bellman-Ford from a virtual source joined to every node at cost 0.

    Vectorised rounds that stop as soon as nothing improves: the paths here
    are short, so this takes tens of rounds, not one per node.
    """
    order = np.argsort(heads, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    targets, starts = np.unique(heads, return_index=True)
    distance = np.zeros(nodes, dtype=np.int64)
    for _ in range(nodes + 1):
        best = np.minimum.reduceat(distance[tails] + costs, starts)
        improved = best < distance[targets]
        if not improved.any():
            return distance
        distance[targets[improved]] = best[improved]
    raise RuntimeError("The candidate matching is not optimal: negative cycle.")


def _violations(scorer, u, v, big, rows, cols, per_row):
    """Eligible pairs among ``rows`` x ``cols`` (sorted indices) that the duals
    do not cover, at most ``per_row`` per mentee, most violated first."""
    found = []
    slack_cols = v[cols] - big
    for start, stop in row_blocks(len(rows), len(cols)):
        chunk = rows[start:stop]
        scores = scorer.block(chunk, cols).astype(np.int64)
        excess = scores - u[chunk, None] - slack_cols[None, :]
        excess[scores < 0] = 0
        hit_rows, hit_cols = np.nonzero(excess > 0)
        if not len(hit_rows):
            continue
        order = np.lexsort((-excess[hit_rows, hit_cols], hit_rows))
        hit_rows, hit_cols = hit_rows[order], hit_cols[order]
        kept = _rank_within_mentor(hit_rows) < per_row
        hit_rows, hit_cols = hit_rows[kept], hit_cols[kept]
        found.append((chunk[hit_rows], cols[hit_cols], scores[hit_rows, hit_cols]))
    if not found:
        return None
    return tuple(np.concatenate(part) for part in zip(*found, strict=True))


def _suspects(candidates, u, v, big):
    """Mentees and mentors that could have a violated pair outside the lists.

    A left-out pair scores at most ``min(mentee_bound, mentor_bound)``; it can
    only beat its duals when both bounds exceed what the duals already cover.
    """
    slack = v - big
    open_rows = candidates.mentee_bound >= 0
    open_cols = candidates.mentor_bound >= 0
    if not open_rows.any() or not open_cols.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    cols = np.flatnonzero(
        open_cols & (candidates.mentor_bound - slack > u[open_rows].min())
    )
    if not len(cols):
        return np.empty(0, np.int64), cols
    rows = np.flatnonzero(open_rows & (candidates.mentee_bound - u > slack[cols].min()))
    return rows, cols


def _gap_closed(matching_weight, u, v, capacities) -> bool:
    dual_bound = int(u.sum()) + int((capacities * v).sum())
    return bool((u >= 0).all() and (v >= 0).all() and dual_bound == matching_weight)


def _big(n_mentees, capacities, max_score) -> int:
    return min(n_mentees, int(capacities.sum())) * max_score + 1


def solve(
    scorer,
    capacities,
    *,
    per_mentee: int = PER_MENTEE,
    per_mentor_extra: int = PER_MENTOR_EXTRA,
    max_rounds: int = MAX_ROUNDS,
) -> Matching:
    """The lexicographic optimum (most mentees matched, then most points).

    ``optimal`` is True only when the dual certificate covered every eligible
    pair; after ``max_rounds`` without one the best matching found is returned
    with ``optimal=False``.
    """
    capacities = np.asarray(capacities, dtype=np.int64)
    n, m = scorer.n_mentees, scorer.n_mentors
    candidates = _candidates(scorer, capacities, per_mentee, per_mentor_extra)
    big = _big(n, capacities, candidates.max_score)
    rows, cols, scores = candidates.rows, candidates.cols, candidates.scores
    optimal = False
    added = 0
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        weights = scores + big
        mentee_of, mentor_of, u, v = _restricted_optimum(
            rows, cols, weights, capacities, n
        )
        found = dict(zip((rows * m + cols).tolist(), scores.tolist(), strict=True))
        pair_scores = np.array(
            [found[code] for code in (mentee_of * m + mentor_of).tolist()],
            dtype=np.int64,
        )
        covered = bool((u[rows] + v[cols] >= weights).all())
        violators = _violations(
            scorer, u, v, big, *_suspects(candidates, u, v, big), VIOLATORS_PER_MENTEE
        )
        if violators is None:
            matching_weight = int(pair_scores.sum()) + big * len(pair_scores)
            optimal = covered and _gap_closed(matching_weight, u, v, capacities)
            break
        added += len(violators[0])
        rows, cols, scores = _unique_pairs(
            *(
                np.r_[a, b]
                for a, b in zip((rows, cols, scores), violators, strict=True)
            ),
            m,
        )
    order = np.argsort(mentee_of, kind="stable")
    return Matching(
        mentees=mentee_of[order],
        mentors=mentor_of[order],
        scores=pair_scores[order],
        optimal=optimal,
        rounds=rounds,
        candidates=len(rows),
        diagnostics={
            "violators_added": added,
            "mentee_duals": u,
            "mentor_duals": v,
            "big": big,
        },
    )


def certify(scorer, capacities, matching: Matching) -> bool:
    """Check a matching and its duals from scratch against every pair.

    Independent of how the matching was found: feasibility (eligible pairs,
    one mentor per mentee, capacities), dual feasibility over all pairs, and
    equal primal and dual values. Slow (scores every pair); for tests and
    audits.
    """
    capacities = np.asarray(capacities, dtype=np.int64)
    n, m = scorer.n_mentees, scorer.n_mentors
    u = matching.diagnostics["mentee_duals"]
    v = matching.diagnostics["mentor_duals"]
    big = matching.diagnostics["big"]
    max_score = max(
        int(scorer.block(np.arange(a, b), np.arange(m)).max(initial=0))
        for a, b in row_blocks(n, m)
    )
    actual = np.array(
        [scorer.block(np.array([i]), np.array([j]))[0, 0] for i, j in matching.pairs],
        dtype=np.int64,
    )
    feasible = (
        big >= _big(n, capacities, max_score)
        and len(set(matching.mentees.tolist())) == matching.matched
        and (np.bincount(matching.mentors, minlength=m) <= capacities).all()
        and (actual >= 0).all()
        and (actual == matching.scores).all()
    )
    weight = int(actual.sum()) + big * matching.matched
    return bool(
        feasible
        and _violations(scorer, u, v, big, np.arange(n), np.arange(m), 1) is None
        and _gap_closed(weight, u, v, capacities)
    )


def greedy(scorer, capacities) -> Matching:
    """The baseline: mentees in turn take their best mentor with room left."""
    left = np.array(capacities, dtype=np.int64)
    n, m = scorer.n_mentees, scorer.n_mentors
    mentees, mentors, scores = [], [], []
    for start, stop in row_blocks(n, m):
        block = scorer.block(np.arange(start, stop), np.arange(m))
        for offset, row in enumerate(block):
            options = np.where(left > 0, row, INELIGIBLE)
            best = int(options.argmax()) if m else 0
            if m and options[best] >= 0:
                left[best] -= 1
                mentees.append(start + offset)
                mentors.append(best)
                scores.append(int(options[best]))
    return Matching(
        mentees=np.array(mentees, dtype=np.int64),
        mentors=np.array(mentors, dtype=np.int64),
        scores=np.array(scores, dtype=np.int64),
        optimal=False,
    )


@dataclass
class Proposal:
    mentee_id: object
    mentor_id: object
    score: PairScore
    # The next best eligible mentors for this mentee, best first, as
    # (mentor id, score); some may be full, which is for staff to weigh.
    alternatives: list[tuple[object, int]]


@dataclass
class Proposals:
    pairs: list[Proposal]
    unmatched: list[object]
    optimal: bool
    matching: Matching


def propose(
    mentees: list[MenteeData],
    mentors: list[MentorData],
    weights: Weights | None = None,
    rules: HardRules | None = None,
    labels: Mapping | None = None,
    alternatives: int = 2,
) -> Proposals:
    """What the staff flow calls: people in, explained proposals out.

    People are sorted by id first, so the order they come in (a queryset's
    whim) never changes the pairs.
    """
    weights, rules, labels = weights or Weights(), rules or HardRules(), labels or {}
    mentees = sorted(mentees, key=lambda person: person.id)
    mentors = sorted(mentors, key=lambda person: person.id)
    scorer = PairScorer(mentees, mentors, weights, rules)
    matching = solve(scorer, [mentor.capacity for mentor in mentors])
    pairs = []
    for i, j in matching.pairs:
        row = scorer.block(np.array([i]), np.arange(len(mentors)))[0]
        row[j] = INELIGIBLE
        # Stable sort on -score: equal scores keep id order.
        others = [
            k for k in np.argsort(-row, kind="stable")[:alternatives] if row[k] >= 0
        ]
        pairs.append(
            Proposal(
                mentee_id=mentees[i].id,
                mentor_id=mentors[j].id,
                score=score(mentees[i], mentors[j], weights, labels),
                alternatives=[(mentors[k].id, int(row[k])) for k in others],
            )
        )
    placed = set(matching.mentees.tolist())
    unmatched = [mentee.id for i, mentee in enumerate(mentees) if i not in placed]
    return Proposals(pairs, unmatched, matching.optimal, matching)
