"""Demo cycles: one open now, one that closed last year. Idempotent."""

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from . import services
from .models import Cycle

OPEN_CYCLE_NAME = "2026\N{EN DASH}2027 cycle"
PAST_CYCLE_NAME = "2025\N{EN DASH}2026 cycle"
PLAN_STARTER = (
    "Agree how and how often we meet\n"
    "Define one clinical or research goal for the next six months\n"
    "Plan one presentation, paper or grant application"
)


def _nine_am_utc(day) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


def save_cycle(name: str, **fields) -> Cycle:
    cycle = Cycle.objects.filter(name=name).first() or Cycle(name=name)
    for field, value in fields.items():
        setattr(cycle, field, value)
    # Through the service, so demo data keeps the one-open-window rule too.
    return services.cycle_save(cycle=cycle)


def seed():
    # Whole days, so running the command again the same day changes nothing,
    # while the open cycle stays open whenever the demo is seeded.
    today = timezone.now().date()
    opens_at = _nine_am_utc(today - timedelta(weeks=3))
    closes_at = _nine_am_utc(today + timedelta(days=90))
    # The open cycle first: its window only ever moves later, so it never
    # meets the past cycle's old window, which is then moved behind it.
    save_cycle(
        OPEN_CYCLE_NAME,
        opens_at=opens_at,
        closes_at=closes_at,
        expected_opening="",
        program_starts_on=(closes_at + timedelta(days=45)).date(),
        plan_starter=PLAN_STARTER,
    )
    past_opens_at = opens_at - timedelta(days=365)
    past_closes_at = past_opens_at + timedelta(days=90)
    save_cycle(
        PAST_CYCLE_NAME,
        opens_at=past_opens_at,
        closes_at=past_closes_at,
        expected_opening="",
        program_starts_on=(past_closes_at + timedelta(days=45)).date(),
    )
    return []
