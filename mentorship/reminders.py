"""Which monthly reminders are due for one person of a pairing, now.

Pure: the pairing's months (see `months.py`), the person's role and their
local time in, the reminders due out. The escalation ladder:

- the first days of a month with no contact yet: the mentee is reminded to
  reach out (the mentee initiates);
- mid-month, still none: both are reminded;
- a month ended with no contact: the mentor is told, and the pairing needs
  attention; two such months in a row put it at risk, and staff are alerted.

Reminders go out in the person's morning, so the hourly task only acts when
it is morning where they are; the window is two hours wide so that one
missed run loses nothing. Each reminder is keyed by its month, and the
database lets each go out once, ever.
"""

from dataclasses import dataclass
from datetime import datetime

from .months import MET, MISSED, Month

MORNING_HOURS = range(8, 10)
START_DAYS = 3  # the "start of the month" is its first three days
MID_MONTH_DAY = 14  # mid-month is days 15 to 17 of the month
MID_MONTH_DAYS = 3

REACH_OUT, MID_MONTH, MISSED_MONTH, AT_RISK, PULSE = (
    "reach_out",
    "mid_month",
    "missed",
    "at_risk",
    "pulse",
)
ACTIVITY_DUE, PLAN_REVIEW = "activity_due", "plan_review"
# Due activities and plan reviews are announced this many days ahead.
DAYS_AHEAD = 7
# The plan is reviewed at the end of these months, and at the end of the year.
REVIEW_MONTHS = (3, 6, 9)


@dataclass(frozen=True)
class Due:
    kind: str
    month: int
    # What the reminder is about, when it is not the month itself.
    about: str = ""
    text: str = ""

    @property
    def key(self) -> str:
        return self.about or f"month:{self.month}"


def current_month(months: list[Month], today) -> Month | None:
    return next((month for month in months if month.contains(today)), None)


def due(*, months: list[Month], role: str, local_now: datetime) -> list[Due]:
    """The reminders due for the mentee or the mentor at their local time."""
    if local_now.hour not in MORNING_HOURS:
        return []
    today = local_now.date()
    month = current_month(months, today)
    if month is None:
        return []
    day = (today - month.starts_on).days
    reminders = []
    if month.status != MET:
        if day < START_DAYS and role == "mentee":
            reminders.append(Due(REACH_OUT, month.number))
        if MID_MONTH_DAY <= day < MID_MONTH_DAY + MID_MONTH_DAYS:
            reminders.append(Due(MID_MONTH, month.number))
    previous = months[month.number - 2] if month.number > 1 else None
    if previous is not None and day < START_DAYS:
        reminders.append(Due(PULSE, previous.number))
    if (
        previous is not None
        and previous.status == MISSED
        and day < START_DAYS
        and role == "mentor"
    ):
        reminders.append(Due(MISSED_MONTH, previous.number))
    return reminders


def missed_in_a_row(months: list[Month], today) -> tuple[int, int]:
    """How many months just before the current one were missed in a row, and
    the number of the last of them (0 when none)."""
    month = current_month(months, today)
    if month is None:
        return 0, 0
    count = 0
    for earlier in reversed(months[: month.number - 1]):
        if earlier.status != MISSED:
            break
        count += 1
    return count, month.number - 1 if count else 0


def with_pulses(contacts: list, months_bounds: list, talked_months) -> list:
    """The contact dates plus, for each month someone said "yes, we talked"
    from the monthly pulse, that month's first day: the month counts as met."""
    return [
        *contacts,
        *(
            months_bounds[n - 1][0]
            for n in talked_months
            if 1 <= n <= len(months_bounds)
        ),
    ]


def plan_due(*, months: list[Month], activities, local_now: datetime) -> list[Due]:
    """Plan reminders due at the person's local time: activities not done
    that fall due within a week, and reviews a week ahead. ``activities`` are
    (id, title, due date) of the activities not done yet."""
    if local_now.hour not in MORNING_HOURS or not months:
        return []
    today = local_now.date()
    month = current_month(months, today)
    number = month.number if month else 0
    due = [
        Due(
            ACTIVITY_DUE,
            number,
            about=f"activity:{activity_id}",
            text=f"“{title}” is due on {due_on:%d %B %Y}.",
        )
        for activity_id, title, due_on in activities
        if 0 <= (due_on - today).days <= DAYS_AHEAD
    ]
    # A year of 3, 6 or 9 months ends on a review month: one review then.
    for review in sorted({*REVIEW_MONTHS, len(months)}):
        if review > len(months):
            continue
        review_on = months[review - 1].ends_on
        if 0 <= (review_on - today).days <= DAYS_AHEAD:
            due.append(
                Due(
                    PLAN_REVIEW,
                    review,
                    about=f"review:{review}",
                    text=f"Review your Mentoring Plan by {review_on:%d %B %Y}: "
                    "bring each objective's status up to date.",
                )
            )
    return due
