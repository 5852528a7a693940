"""The end of a pairing's year: when it is over, how it closes, and when the
follow-up survey is due.

Pure: dates, times and statuses in, answers out.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from accounts.timezones import zone_or_utc

from .months import add_months

COMPLETED, ENDED = "completed", "ended"
NO_CONTACT_REASON = "The year ended without a logged contact."
# The follow-up survey goes this many months after a pairing closed.
FOLLOW_UP_MONTHS = 6
# Staff extend a year by one to twelve months at a time.
EXTEND_MONTHS = range(1, 13)
OBJECTIVE_DONE, OBJECTIVE_DROPPED = "done", "dropped"


def year_over(ends_on: date, time_zones: Iterable[str], now: datetime) -> bool:
    """Whether the year is over for everyone in it: ``ends_on`` (the first day
    after the last month) has begun where each of them lives.

    Each person's months turn at their own midnight (see `months.py`), so the
    year closes when the later of the two has finished its last day; neither
    sees their pairing completed while their last month is still running.
    """
    return all(
        now.astimezone(zone_or_utc(zone)).date() >= ends_on for zone in time_zones
    )


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str
    description: str
    # A closing survey asks about a mentorship that happened; a pair that
    # never had a contact is not asked to rate one.
    surveyed: bool


def year_end_outcome(*, had_contact: bool) -> Outcome:
    """How a pairing whose year is over closes: completed if the pair were in
    contact at all (the introductory call held, a contact logged, or a "yes,
    we talked"); otherwise ended, not counted as a success."""
    if had_contact:
        return Outcome(COMPLETED, "", "Completed: the year is over", surveyed=True)
    return Outcome(
        ENDED,
        NO_CONTACT_REASON,
        "Ended, not completed: the year ended without a logged contact",
        surveyed=False,
    )


def early_end_outcome(
    *, reason: str, count_as_completed: bool, had_contact: bool
) -> Outcome:
    """How a pairing that staff end before its year is over closes: counted
    as completed only when staff say so (its objectives met, which they
    check), otherwise ended. Both are surveyed, as at the end of a year,
    unless they were never in contact."""
    if count_as_completed:
        return Outcome(
            COMPLETED,
            reason,
            f"Ended early by staff, counted as completed: {reason}",
            surveyed=True,
        )
    return Outcome(
        ENDED, reason, f"Ended early by staff: {reason}", surveyed=had_contact
    )


def objectives_met(statuses: Iterable[str]) -> bool:
    """The plan's objectives are met: at least one is done, and every one not
    dropped is done. A plan whose objectives were all dropped met nothing."""
    kept = [status for status in statuses if status != OBJECTIVE_DROPPED]
    return bool(kept) and all(status == OBJECTIVE_DONE for status in kept)


def follow_up_cutoff(now: datetime) -> datetime:
    """Pairings that closed at or before this instant are due their follow-up
    survey: six calendar months before ``now``."""
    day = add_months(now.date(), -FOLLOW_UP_MONTHS)
    return now.replace(year=day.year, month=day.month, day=day.day)
