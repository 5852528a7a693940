"""The program year as months, and how each month of a pairing stands.

Pure: dates in, statuses out. Month n of a pairing runs from the same day of
the month n-1 months after the start to the day before the next one (a start
on 31 January makes the second month begin on 28 or 29 February), so every
pairing's months line up with its own start rather than with the calendar.
"""

import calendar
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

MET, MISSED, CURRENT, UPCOMING = "met", "missed", "current", "upcoming"
# A month that began after the pairing closed early: not missed, not held.
CLOSED = "closed"
LABELS = {
    MET: "Met",
    MISSED: "Missed",
    CURRENT: "This month",
    UPCOMING: "To come",
    CLOSED: "After the end",
}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Month:
    number: int  # 1 for the first month of the year
    starts_on: date
    ends_on: date  # the last day in it
    status: str

    @property
    def label(self) -> str:
        return LABELS[self.status]

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def month_number(starts_on: date, day: date) -> int:
    """Which month of the year starting on ``starts_on`` holds ``day``: 1 for
    the first; 0 for a day before the start. Counts on past the year's end."""
    number = (day.year - starts_on.year) * 12 + day.month - starts_on.month
    if add_months(starts_on, number) > day:
        number -= 1
    return max(number + 1, 0)


# Most pairs of a cycle share their start, and reports ask for thousands.
@lru_cache(maxsize=4096)
def program_months(starts_on: date, count: int) -> tuple[tuple[date, date], ...]:
    """(first day, last day) of each month of the year."""
    return tuple(
        (add_months(starts_on, n), add_months(starts_on, n + 1) - timedelta(days=1))
        for n in range(count)
    )


def month_statuses(
    *,
    starts_on: date,
    count: int,
    contacts: list[date],
    today: date,
    closed_on: date | None = None,
) -> list[Month]:
    """Each month: met if a contact falls in it; otherwise current while today
    is in it, upcoming before it starts, missed once it is over; and, for a
    pairing that closed on ``closed_on``, closed from the first month that
    began after that day.

    ``today`` is the reader's own date, so the month turns at their midnight.
    """
    months = []
    contacts = sorted(contacts)
    for number, (first, last) in enumerate(program_months(starts_on, count), 1):
        # The first contact on or after the month's first day, if any.
        index = bisect_left(contacts, first)
        if index < len(contacts) and contacts[index] <= last:
            status = MET
        elif closed_on is not None and first > closed_on:
            status = CLOSED
        elif closed_on is not None and closed_on < last and today > closed_on:
            # The month the pairing closed in, without a contact.
            status = MISSED
        elif first <= today <= last:
            status = CURRENT
        elif today < first:
            status = UPCOMING
        else:
            status = MISSED
        months.append(Month(number, first, last, status))
    return months
