"""How well a mentor suits a mentee, and whether they may be paired at all.

Pure: plain dataclasses and numpy arrays in, numbers and sentences out, no ORM.
The staff flow turns applications and mentor profiles into `MenteeData` and
`MentorData`; the solver reads the same rules through `PairScorer`, which scores
whole blocks of pairs at once and must agree with `score` pair by pair (the
tests check that it does).

The rules:

- Hard (`ineligibility`): the mentor is approved, active and not sitting the
  cycle out; staff have not said "never pair these two"; the mentor is from
  another country and, unless the cycle relaxes it, another UN M49 sub-region.
  A Canadian mentee may not have a US mentor (both Northern America); a
  Brazilian one may (Latin America and the Caribbean). Capacity is the
  solver's business, since it depends on the other pairs.
- Soft (`score`): an integer, the sum of the `Weights` terms, so that totals
  compare exactly and the solver's optimum is not at the mercy of rounding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np

from accounts.languages import LANGUAGES
from accounts.regions import sub_region_of

# Working hours are 09:00-17:00 local time, every day. Mentoring calls happen
# on weekdays and evenings too, but the overlap of office hours is what tells
# staff whether two people can talk without one of them staying up late.
WORK_START_MINUTE = 9 * 60
WORK_END_MINUTE = 17 * 60
MINUTES_PER_DAY = 24 * 60

# Offsets move with daylight saving time, so overlap is measured on one date.
# The staff flow should pass the cycle's start; this default is a mid-January
# Wednesday, when the northern hemisphere is on standard time, so that results
# do not change with the day the command happens to run.
REFERENCE_DATE = date(2026, 1, 14)

ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}
LANGUAGE_NAMES = dict(LANGUAGES)

# What `PairScorer.block` puts where a pair breaks a hard rule. Real scores are
# never negative (weights are checked to be), so one sentinel is enough.
INELIGIBLE = -1


@dataclass(frozen=True)
class Weights:
    """Points for each thing a pair shares. Staff may change them per cycle.

    Integers, so scores add up exactly; `from_dict` builds one from a stored
    setting and refuses keys it does not know rather than ignore a typo.
    """

    interest: int = 10  # per shared oncology area
    career_goal: int = 6  # per shared career goal
    first_choice: int = 30  # the mentee ranked this mentor first
    second_choice: int = 20
    third_choice: int = 10
    working_hour: int = 2  # per overlapping working hour, at most 8 hours
    meeting_way: int = 4  # at least one shared preferred way to meet
    language: int = 8  # at least one shared language
    # The mentee has been waiting for a mentor (waitlisted, or a proposed
    # pairing fell through): more than any combination of the rest is worth,
    # so when two mentees want the last place, the one waiting gets it.
    waiting: int = 200

    def __post_init__(self):
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(
                    f"Weight {item.name!r} must be a whole number of points, 0 "
                    f"or more; got {value!r}."
                )

    @classmethod
    def from_dict(cls, values: Mapping[str, int]) -> Weights:
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"Unknown matching weight(s): {', '.join(unknown)}. "
                f"Known weights: {', '.join(sorted(known))}."
            )
        return cls(**values)

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    def choice_bonus(self, rank: int) -> int:
        return (self.first_choice, self.second_choice, self.third_choice)[rank - 1]


@dataclass(frozen=True)
class HardRules:
    """The cycle's hard constraints beyond the fixed ones.

    ``same_sub_region_allowed`` is the cycle's relaxation to "different country
    only". ``never_pair`` holds staff exclusions as (mentee id, mentor id).
    """

    same_sub_region_allowed: bool = False
    never_pair: frozenset[tuple[Hashable, Hashable]] = frozenset()


def _sub_region(person) -> None:
    # Looked up from the country unless given, so callers cannot get the two
    # out of step by accident but tests may still pin a sub-region.
    if not person.sub_region:
        object.__setattr__(person, "sub_region", sub_region_of(person.country))


@dataclass(frozen=True)
class MenteeData:
    """What matching needs to know about an approved mentee.

    ``utc_offset`` is in minutes east of UTC (see `utc_offset_minutes`), or
    None when the mentee gave no time zone. ``preferred_mentors`` is the
    mentee's ranking, best first, at most three.
    """

    id: Hashable
    country: str
    interests: frozenset = frozenset()
    career_goals: frozenset = frozenset()
    meeting_ways: frozenset = frozenset()
    languages: frozenset = frozenset()
    utc_offset: int | None = None
    preferred_mentors: tuple = ()
    waiting: bool = False
    sub_region: str = ""

    def __post_init__(self):
        _sub_region(self)
        if len(self.preferred_mentors) > len(ORDINALS):
            raise ValueError(
                f"Mentee {self.id!r} ranks {len(self.preferred_mentors)} mentors; "
                f"at most {len(ORDINALS)} are allowed."
            )


@dataclass(frozen=True)
class MentorData:
    """What matching needs to know about a mentor.

    ``capacity`` is what is left for this cycle (the profile's 1-3 less the
    mentees already placed). ``available`` is False when the mentor has opted
    out of the cycle.
    """

    id: Hashable
    country: str
    capacity: int = 1
    interests: frozenset = frozenset()
    career_goals: frozenset = frozenset()
    meeting_ways: frozenset = frozenset()
    languages: frozenset = frozenset()
    utc_offset: int | None = None
    approved: bool = True
    active: bool = True
    available: bool = True
    sub_region: str = ""

    def __post_init__(self):
        _sub_region(self)
        if self.capacity < 0:
            raise ValueError(f"Mentor {self.id!r} has negative capacity.")


@dataclass(frozen=True)
class PairScore:
    total: int
    reasons: list[str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        return "; ".join(self.reasons)


def utc_offset_minutes(zone: str, on: date = REFERENCE_DATE) -> int | None:
    """Minutes east of UTC of an IANA zone at noon UTC on ``on``; None if blank."""
    if not zone:
        return None
    moment = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    return int(moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


def working_hours_overlap(offset_a: int | None, offset_b: int | None) -> int:
    """Whole hours that both people's 09:00-17:00 share.

    Days repeat, so the two windows sit on a 24-hour circle: Tokyo's morning
    meets Honolulu's afternoon of the day before.
    """
    if offset_a is None or offset_b is None:
        return 0
    shift = (offset_a - offset_b) % MINUTES_PER_DAY
    shift = min(shift, MINUTES_PER_DAY - shift)
    return max(0, WORK_END_MINUTE - WORK_START_MINUTE - shift) // 60


def ineligibility(
    mentee: MenteeData, mentor: MentorData, rules: HardRules = HardRules()
) -> str | None:
    """Why this pair may never be proposed, or None when it may."""
    if not mentor.approved:
        return "the mentor is not approved"
    if not mentor.active:
        return "the mentor's account is inactive"
    if not mentor.available:
        return "the mentor has opted out of this cycle"
    if (mentee.id, mentor.id) in rules.never_pair:
        return "staff said never to pair these two"
    if mentee.country.upper() == mentor.country.upper():
        return f"the mentor is in the same country ({mentor.country.upper()})"
    if not rules.same_sub_region_allowed and mentee.sub_region == mentor.sub_region:
        return f"the mentor is in the same world region ({mentor.sub_region})"
    return None


def _label(value, labels: Mapping) -> str:
    return str(labels.get(value, LANGUAGE_NAMES.get(value, value)))


def _shared(kind: str, plural: str, values: Collection, labels: Mapping) -> str:
    names = ", ".join(sorted(_label(value, labels) for value in values))
    noun = kind if len(values) == 1 else plural
    return f"{len(values)} {noun}: {names}"


def score(
    mentee: MenteeData,
    mentor: MentorData,
    weights: Weights = Weights(),
    labels: Mapping = {},
) -> PairScore:
    """The pair's points and, in words, where they come from.

    ``labels`` names interests, goals and ways to meet (id or slug to name);
    languages fall back to their English names.
    """
    total = 0
    reasons = []
    interests = mentee.interests & mentor.interests
    if interests:
        total += weights.interest * len(interests)
        reasons.append(
            _shared("shared interest", "shared interests", interests, labels)
        )
    goals = mentee.career_goals & mentor.career_goals
    if goals:
        total += weights.career_goal * len(goals)
        reasons.append(
            _shared("shared career goal", "shared career goals", goals, labels)
        )
    hours = working_hours_overlap(mentee.utc_offset, mentor.utc_offset)
    if hours:
        total += weights.working_hour * hours
        reasons.append(f"{hours} working hour{'s' if hours > 1 else ''} overlap")
    ways = mentee.meeting_ways & mentor.meeting_ways
    if ways:
        total += weights.meeting_way
        reasons.append(
            _shared("shared way to meet", "shared ways to meet", ways, labels)
        )
    languages = mentee.languages & mentor.languages
    if languages:
        total += weights.language
        reasons.append(
            _shared("shared language", "shared languages", languages, labels)
        )
    if mentor.id in mentee.preferred_mentors:
        rank = mentee.preferred_mentors.index(mentor.id) + 1
        total += weights.choice_bonus(rank)
        reasons.append(f"mentee's {ORDINALS[rank]} choice")
    if mentee.waiting and weights.waiting:
        total += weights.waiting
        reasons.append("waiting for a mentor, so offered first")
    return PairScore(total, reasons)


@dataclass(frozen=True)
class Ranking:
    """One mentee's mentors: the eligible best first, the others with why not."""

    eligible: list[tuple[Hashable, PairScore]]
    ineligible: list[tuple[Hashable, str]]


def rank_mentors(
    mentee: MenteeData,
    mentors: Iterable[MentorData],
    weights: Weights = Weights(),
    rules: HardRules = HardRules(),
    labels: Mapping = {},
) -> Ranking:
    """For staff swapping a mentor, and for "the next two best": every mentor,
    eligible ones by score (then id, so the order is stable), the rest with
    the rule they break. Free capacity is the caller's to show."""
    eligible, ineligible = [], []
    for mentor in mentors:
        reason = ineligibility(mentee, mentor, rules)
        if reason:
            ineligible.append((mentor.id, reason))
        else:
            eligible.append((mentor.id, score(mentee, mentor, weights, labels)))
    eligible.sort(key=lambda item: (-item[1].total, item[0]))
    return Ranking(eligible, ineligible)


# --- Many pairs at once ------------------------------------------------------


def _bitmasks(sets: Iterable[Collection]) -> np.ndarray:
    """Each set as a row of bits over the values seen, in the narrowest dtype.

    Shared values then cost one AND and one popcount per pair, however many
    values there are, and narrow dtypes keep the big blocks cheap to move.
    """
    sets = list(sets)
    vocabulary = {
        value: index
        for index, value in enumerate(
            sorted({value for values in sets for value in values}, key=repr)
        )
    }
    words = max(1, -(-len(vocabulary) // 64))
    masks = np.zeros((len(sets), words), dtype=np.uint64)
    for row, values in enumerate(sets):
        for value in values:
            bit = vocabulary[value]
            masks[row, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    if words == 1:
        for dtype in (np.uint8, np.uint16, np.uint32):
            if len(vocabulary) <= np.iinfo(dtype).bits:
                return masks.astype(dtype)
    return masks


@cache
def _hours_between(offsets: tuple) -> np.ndarray:
    return np.array(
        [[working_hours_overlap(a, b) for b in offsets] for a in offsets],
        dtype=np.int32,
    )


class PairScorer:
    """The same rules and scores as `ineligibility` and `score`, for blocks of
    pairs: ``block(rows, cols)`` is the scores of those mentees against those
    mentors, with `INELIGIBLE` where a hard rule forbids the pair.

    The solver asks for blocks rather than the whole matrix because at 50,000
    mentees and 10,000 mentors the whole matrix would not fit in memory.
    """

    def __init__(
        self,
        mentees: list[MenteeData],
        mentors: list[MentorData],
        weights: Weights = Weights(),
        rules: HardRules = HardRules(),
    ):
        self.n_mentees = len(mentees)
        self.n_mentors = len(mentors)
        self.weights = weights
        self.check_sub_region = not rules.same_sub_region_allowed
        people = [*mentees, *mentors]

        def split(array):
            return array[: len(mentees)], array[len(mentees) :]

        self.interests = split(_bitmasks(p.interests for p in people))
        self.goals = split(_bitmasks(p.career_goals for p in people))
        self.ways = split(_bitmasks(p.meeting_ways for p in people))
        self.languages = split(_bitmasks(p.languages for p in people))
        self.countries = split(_codes(p.country.upper() for p in people))
        self.sub_regions = split(_codes(p.sub_region for p in people))
        offsets = sorted({p.utc_offset for p in people}, key=lambda o: (o is None, o))
        index = {offset: i for i, offset in enumerate(offsets)}
        self.offsets = split(np.array([index[p.utc_offset] for p in people]))
        self.hour_points = weights.working_hour * _hours_between(tuple(offsets))
        self.mentor_open = np.array(
            [m.approved and m.active and m.available for m in mentors], dtype=bool
        )
        self.waiting_points = weights.waiting * np.array(
            [m.waiting for m in mentees], dtype=np.int32
        )

        mentor_index = {m.id: j for j, m in enumerate(mentors)}
        mentee_index = {m.id: i for i, m in enumerate(mentees)}
        # Preferences and exclusions are few: kept as (row, column) lists and
        # applied to the block they fall in.
        bonus = {}
        for i, mentee in enumerate(mentees):
            for rank, mentor_id in enumerate(mentee.preferred_mentors, start=1):
                if mentor_id in mentor_index:
                    bonus[i, mentor_index[mentor_id]] = weights.choice_bonus(rank)
        self.preferences = _sparse(bonus)
        excluded = {
            (mentee_index[a], mentor_index[b]): 1
            for a, b in rules.never_pair
            if a in mentee_index and b in mentor_index
        }
        self.exclusions = _sparse(excluded)

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Scores of mentees ``rows`` against mentors ``cols`` (sorted indices)."""
        mentee, mentor = rows[:, None], cols[None, :]
        w = self.weights
        out = _weighted_overlap(self.interests, mentee, mentor, w.interest)
        out += _weighted_overlap(self.goals, mentee, mentor, w.career_goal)
        out += _any_shared(self.ways, mentee, mentor, w.meeting_way)
        out += _any_shared(self.languages, mentee, mentor, w.language)
        out += self.hour_points[self.offsets[0][mentee], self.offsets[1][mentor]]
        at_rows, at_cols, bonus = _within(self.preferences, rows, cols)
        out[at_rows, at_cols] += bonus
        out += self.waiting_points[mentee]

        eligible = self.countries[0][mentee] != self.countries[1][mentor]
        if self.check_sub_region:
            eligible &= self.sub_regions[0][mentee] != self.sub_regions[1][mentor]
        eligible &= self.mentor_open[mentor]
        out[~eligible] = INELIGIBLE
        at_rows, at_cols, _ = _within(self.exclusions, rows, cols)
        out[at_rows, at_cols] = INELIGIBLE
        return out


def row_blocks(n_rows: int, n_cols: int, cells: int = 250_000):
    """Row ranges whose blocks hold about ``cells`` pairs: enough that numpy's
    loops dominate Python's overhead, few enough that a block's temporaries
    (a megabyte each) stay in the CPU cache, which measured twice as fast as
    blocks of millions."""
    step = max(1, cells // max(1, n_cols))
    for start in range(0, n_rows, step):
        yield start, min(n_rows, start + step)


def _codes(values: Iterable[str]) -> np.ndarray:
    _, inverse = np.unique(np.array(list(values), dtype=object), return_inverse=True)
    return inverse.astype(np.int32)


def _sparse(entries: Mapping[tuple[int, int], int]):
    keys = sorted(entries)
    rows = np.array([k[0] for k in keys], dtype=np.int64)
    cols = np.array([k[1] for k in keys], dtype=np.int64)
    values = np.array([entries[k] for k in keys], dtype=np.int32)
    return rows, cols, values


def _within(sparse, rows: np.ndarray, cols: np.ndarray):
    """The entries of a sparse (row, col, value) list that fall in the block,
    at their positions in it."""
    entry_rows, entry_cols, values = sparse
    at_rows = np.searchsorted(rows, entry_rows)
    at_cols = np.searchsorted(cols, entry_cols)
    inside = (at_rows < len(rows)) & (at_cols < len(cols))
    inside[inside] &= (rows[at_rows[inside]] == entry_rows[inside]) & (
        cols[at_cols[inside]] == entry_cols[inside]
    )
    return at_rows[inside], at_cols[inside], values[inside]


def _weighted_overlap(masks, mentee, mentor, weight: int) -> np.ndarray:
    mentees, mentors = masks
    count = np.zeros((mentee.shape[0], mentor.shape[1]), dtype=np.int32)
    for word in range(mentees.shape[1]):
        count += np.bitwise_count(mentees[mentee, word] & mentors[mentor, word])
    return count * np.int32(weight)


def _any_shared(masks, mentee, mentor, weight: int) -> np.ndarray:
    mentees, mentors = masks
    shared = np.zeros((mentee.shape[0], mentor.shape[1]), dtype=bool)
    for word in range(mentees.shape[1]):
        shared |= (mentees[mentee, word] & mentors[mentor, word]) != 0
    return shared * np.int32(weight)
