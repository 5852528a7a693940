"""Time the matching solver on synthetic data shaped like a real cycle.

    python manage.py bench_matching --mentees 50000 --mentors 10000 --seed 1

No database: the data is made up in memory. The last line printed is one JSON
object, so scripts can read the figures without parsing the table.
"""

import json
import resource
import time
import zoneinfo
from collections import defaultdict
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from accounts.regions import countries_in_sub_region, sub_regions
from matching.scoring import (
    HardRules,
    MenteeData,
    MentorData,
    PairScorer,
    Weights,
    utc_offset_minutes,
)
from matching.solver import greedy, solve

# Where applicants and volunteers come from, roughly: mentees mostly from low-
# and middle-income countries, mentors mostly from the big oncology workforces.
# Every other country gets weight 1, so the long tail of small countries is
# there too, as it is in real cycles.
MENTEE_WEIGHTS = {
    "IN": 120,
    "NG": 60,
    "EG": 45,
    "PK": 40,
    "BR": 35,
    "MX": 30,
    "PH": 30,
    "KE": 25,
    "ET": 20,
    "GH": 20,
    "CO": 18,
    "PE": 15,
    "BD": 15,
    "ID": 15,
    "VN": 12,
    "TR": 12,
    "IR": 12,
    "UG": 12,
    "TZ": 10,
    "CM": 10,
    "ZA": 10,
    "AR": 10,
    "MA": 10,
    "TN": 8,
    "NP": 8,
    "LK": 8,
    "SD": 8,
    "ZW": 6,
    "RW": 6,
    "MY": 6,
    "TH": 6,
    "CN": 6,
    "UA": 5,
    "RO": 5,
    "CL": 5,
    "EC": 5,
    "SA": 4,
}
MENTOR_WEIGHTS = {
    "US": 250,
    "CA": 30,
    "GB": 30,
    "DE": 20,
    "FR": 18,
    "IT": 18,
    "ES": 15,
    "AU": 15,
    "JP": 12,
    "NL": 10,
    "CH": 8,
    "SE": 6,
    "IN": 15,
    "BR": 10,
    "IL": 6,
    "KR": 6,
    "SG": 5,
    "BE": 5,
    "IE": 4,
    "AT": 4,
    "DK": 4,
    "NO": 4,
    "MX": 4,
    "ZA": 4,
    "EG": 3,
    "NG": 3,
    "CN": 5,
    "PT": 3,
}
# A second language by M49 sub-region, besides English for most people.
LANGUAGE_OF_REGION = {
    "Latin America and the Caribbean": "es",
    "Northern Africa": "ar",
    "Western Asia": "ar",
    "Sub-Saharan Africa": "fr",
    "Southern Asia": "hi",
    "Eastern Asia": "zh",
    "South-eastern Asia": "ms",
    "Eastern Europe": "ru",
    "Central Asia": "ru",
    "Southern Europe": "it",
    "Western Europe": "de",
    "Northern Europe": "sv",
}
LANGUAGE_OF_COUNTRY = {"BR": "pt", "FR": "fr", "ES": "es", "PT": "pt", "CA": "fr"}
OTHER_LANGUAGES = ["fr", "es", "ar", "pt", "de", "zh", "ru", "sw", "hi", "ja"]

# The taxonomy's 16 oncology areas and 7 career goals, by position; popular
# ones first, as applications cluster on a few (breast, thoracic, GI).
AREAS = list(range(1, 17))
GOALS = list(range(101, 108))
MEETING_WAYS = ["email", "phone", "video", "in_person"]
MEETING_WAY_ODDS = [0.6, 0.3, 0.85, 0.1]


def zones_by_country() -> dict[str, list[str]]:
    for root in zoneinfo.TZPATH:
        table = Path(root) / "zone.tab"
        if table.exists():
            zones = defaultdict(list)
            for line in table.read_text().splitlines():
                if line and not line.startswith("#"):
                    code, _, name = line.split("\t")[:3]
                    zones[code].append(name)
            return zones
    raise CommandError("No zone.tab found in the system time zone database.")


def _zipf(n: int, exponent: float = 0.8) -> np.ndarray:
    odds = 1 / np.arange(1, n + 1) ** exponent
    return odds / odds.sum()


class Synthetic:
    """Random mentees and mentors whose countries, zones and languages agree."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        zones = zones_by_country()
        self.region = {
            code: region
            for region in sub_regions()
            for code in countries_in_sub_region(region)
            if code in zones
        }
        self.countries = sorted(self.region)
        self.offsets = {
            code: [utc_offset_minutes(zone) for zone in zones[code]]
            for code in self.countries
        }

    def _pick_countries(self, n: int, weights: dict) -> list[str]:
        odds = np.array([weights.get(code, 1) for code in self.countries], float)
        picks = self.rng.choice(len(self.countries), size=n, p=odds / odds.sum())
        return [self.countries[p] for p in picks]

    def _subset(self, values, odds, low: int, high: int) -> frozenset:
        size = self.rng.integers(low, high + 1)
        picks = self.rng.choice(len(values), size=size, replace=False, p=odds)
        return frozenset(values[p] for p in picks)

    def _person(self, country: str) -> dict:
        rng = self.rng
        languages = set()
        if rng.random() < 0.92:
            languages.add("en")
        local = LANGUAGE_OF_COUNTRY.get(
            country, LANGUAGE_OF_REGION.get(self.region[country])
        )
        if local and rng.random() < 0.7:
            languages.add(local)
        if rng.random() < 0.15 or not languages:
            languages.add(OTHER_LANGUAGES[rng.integers(len(OTHER_LANGUAGES))])
        ways = frozenset(
            way
            for way, odds in zip(MEETING_WAYS, MEETING_WAY_ODDS, strict=True)
            if rng.random() < odds
        ) or frozenset({"email"})
        offsets = self.offsets[country]
        return {
            "country": country,
            "sub_region": self.region[country],
            "meeting_ways": ways,
            "languages": frozenset(languages),
            "utc_offset": offsets[rng.integers(len(offsets))],
        }

    def mentors(self, n: int) -> list[MentorData]:
        rng = self.rng
        return [
            MentorData(
                id=f"mentor-{index:06d}",
                capacity=int(rng.choice([1, 2, 3], p=[0.4, 0.35, 0.25])),
                interests=self._subset(AREAS, _zipf(len(AREAS)), 1, 5),
                career_goals=self._subset(GOALS, _zipf(len(GOALS), 0.5), 1, 4),
                # A few profiles are pending or paused, as in any real cycle.
                approved=rng.random() > 0.02,
                available=rng.random() > 0.03,
                **self._person(country),
            )
            for index, country in enumerate(self._pick_countries(n, MENTOR_WEIGHTS))
        ]

    def mentees(self, n: int, mentors: list[MentorData]) -> list[MenteeData]:
        rng = self.rng
        mentees = []
        for index, country in enumerate(self._pick_countries(n, MENTEE_WEIGHTS)):
            person = self._person(country)
            # One mentee in ten ranks a few mentors, always eligible ones:
            # the preferences page never offers anyone else.
            ranked = []
            if mentors and rng.random() < 0.1:
                for pick in rng.choice(len(mentors), size=min(10, len(mentors))):
                    mentor = mentors[pick]
                    if (
                        mentor.sub_region != person["sub_region"]
                        and mentor.id not in ranked
                        and len(ranked) < rng.integers(1, 4)
                    ):
                        ranked.append(mentor.id)
            mentees.append(
                MenteeData(
                    id=f"mentee-{index:06d}",
                    interests=self._subset(AREAS, _zipf(len(AREAS)), 1, 4),
                    career_goals=self._subset(GOALS, _zipf(len(GOALS), 0.5), 1, 3),
                    preferred_mentors=tuple(ranked),
                    **person,
                )
            )
        return mentees

    def exclusions(self, mentees, mentors) -> frozenset:
        """Staff's "never pair" list: one for about every hundred mentees."""
        if not mentees or not mentors:
            return frozenset()
        count = len(mentees) // 100
        rows = self.rng.integers(len(mentees), size=count)
        cols = self.rng.integers(len(mentors), size=count)
        return frozenset(
            (mentees[i].id, mentors[j].id) for i, j in zip(rows, cols, strict=True)
        )


class Command(BaseCommand):
    help = "Time the matching solver and a greedy baseline on synthetic data."

    def add_arguments(self, parser):
        parser.add_argument("--mentees", type=int, default=300)
        parser.add_argument("--mentors", type=int, default=150)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--relax",
            action="store_true",
            help='Apply the "different country only" rule instead of sub-regions.',
        )

    def handle(self, *args, **options):
        data = Synthetic(options["seed"])
        mentors = data.mentors(options["mentors"])
        mentees = data.mentees(options["mentees"], mentors)
        rules = HardRules(
            same_sub_region_allowed=options["relax"],
            never_pair=data.exclusions(mentees, mentors),
        )
        capacities = np.array([mentor.capacity for mentor in mentors])

        # Peak memory is the process's maximum resident set size
        # (getrusage ru_maxrss): everything, the synthetic data and Python
        # included, so it overstates the solver's own share. tracemalloc would
        # isolate it but slows the pure-Python parts severalfold.
        started = time.perf_counter()
        scorer = PairScorer(mentees, mentors, Weights(), rules)
        encoded = time.perf_counter()
        result = solve(scorer, capacities)
        seconds = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        greedy_started = time.perf_counter()
        baseline = greedy(scorer, capacities)
        greedy_seconds = time.perf_counter() - greedy_started

        figures = {
            "mentees": len(mentees),
            "mentors": len(mentors),
            "slots": int(capacities.sum()),
            "matched": result.matched,
            "score": result.total_score,
            "optimal": result.optimal,
            "greedy_matched": baseline.matched,
            "greedy_score": baseline.total_score,
            "seconds": round(seconds, 3),
            "encode_seconds": round(encoded - started, 3),
            "greedy_seconds": round(greedy_seconds, 3),
            "peak_mib": round(peak_mib, 1),
            "peak_mib_source": "ru_maxrss of the whole process, after solving",
            "rounds": result.rounds,
            "candidates": result.candidates,
            "violators_added": result.diagnostics["violators_added"],
            "seed": options["seed"],
        }
        rows = [
            ("", "solver", "greedy"),
            ("matched", result.matched, baseline.matched),
            ("total score", result.total_score, baseline.total_score),
            ("certified optimal", "yes" if result.optimal else "NO", "-"),
            ("seconds", f"{seconds:.3f}", f"{greedy_seconds:.3f}"),
        ]
        self.stdout.write(
            f"{len(mentees)} mentees, {len(mentors)} mentors, "
            f"{figures['slots']} slots, seed {options['seed']}"
        )
        for label, ours, theirs in rows:
            self.stdout.write(f"  {label:<18}{ours!s:>14}{theirs!s:>14}")
        self.stdout.write(
            f"  {result.rounds} round(s), {result.candidates} candidate pairs, "
            f"{figures['violators_added']} added by the certificate; "
            f"peak {peak_mib:.1f} MiB (process max RSS)"
        )
        self.stdout.write(json.dumps(figures))
