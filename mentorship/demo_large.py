"""The large demo's cycles: the demo's open and past cycles and three older
ones, a year apart, whose mentoring years are over. Idempotent: found by
name, saved through the service that keeps windows apart."""

from datetime import timedelta

from .demo import OPEN_CYCLE_NAME, PAST_CYCLE_NAME, save_cycle
from .models import Cycle

OLDER_CYCLE_NAMES = [
    "2024\N{EN DASH}2025 cycle",
    "2023\N{EN DASH}2024 cycle",
    "2022\N{EN DASH}2023 cycle",
]


def cycles() -> list[Cycle]:
    """Oldest first, the cycle open now last."""
    names = [*reversed(OLDER_CYCLE_NAMES), PAST_CYCLE_NAME, OPEN_CYCLE_NAME]
    by_name = Cycle.objects.in_bulk(names, field_name="name")
    return [by_name[name] for name in names]


def seed(scale=None) -> str:
    past = Cycle.objects.get(name=PAST_CYCLE_NAME)
    for years, name in enumerate(OLDER_CYCLE_NAMES, 1):
        opens_at = past.opens_at - timedelta(days=365 * years)
        closes_at = opens_at + (past.closes_at - past.opens_at)
        save_cycle(
            name,
            opens_at=opens_at,
            closes_at=closes_at,
            expected_opening="",
            program_starts_on=(closes_at + timedelta(days=45)).date(),
        )
    return f"{len(OLDER_CYCLE_NAMES)} older cycles"
