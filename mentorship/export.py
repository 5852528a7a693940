"""CSV for staff's spreadsheets: safe cells, streamed, and the pairings of a
cycle with their months.

Every text cell that a spreadsheet would read as a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading
apostrophe, so what someone typed can never run in staff's spreadsheet.
"""

import csv
from collections.abc import Iterator
from functools import cache

from django.db.models import Max
from django_countries import countries

from . import months as program
from . import selectors
from .models import Cycle, Pairing

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONTH_CODES = {
    program.MET: "met",
    program.MISSED: "missed",
    program.CURRENT: "current",
    program.UPCOMING: "upcoming",
    program.CLOSED: "after end",
}


def escape_cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class Echo:
    """A file-like object that hands back what is written, for streaming."""

    def write(self, value):
        return value


@cache
def _country_name(code: str) -> str:
    return countries.name(code) if code else ""


def _person(user) -> list:
    return [user.full_name, user.email, _country_name(str(user.country))]


def pairing_rows(cycle: Cycle) -> Iterator[list]:
    """A header, then one row per pairing of the cycle (proposals that fell
    through left out): who, how it stands, and each month's status."""
    longest = Pairing.objects.filter(cycle=cycle).aggregate(Max("months"))
    length = longest["months__max"] or cycle.program_months
    yield [
        "pairing",
        "cycle",
        "mentee",
        "mentee email",
        "mentee country",
        "mentor",
        "mentor email",
        "mentor country",
        "status",
        "attention",
        "starts on",
        "ends on",
        "closed on",
        "end reason",
        "last contact",
        "months met",
        "months missed",
        *(f"month {number}" for number in range(1, length + 1)),
    ]
    for pairing in selectors.pairings_for_export(cycle):
        statuses = [MONTH_CODES[month.status] for month in pairing.year]
        statuses += [""] * (length - len(statuses))
        yield [
            escape_cell(cell)
            for cell in (
                pairing.pk,
                cycle.name,
                *_person(pairing.mentee),
                *_person(pairing.mentor),
                pairing.get_status_display(),
                pairing.get_attention_display() if pairing.attention else "",
                pairing.starts_on or "",
                pairing.ends_on or "",
                selectors.closed_on(pairing) or "",
                pairing.end_reason,
                pairing.last_contact or "",
                statuses.count(MONTH_CODES[program.MET]),
                statuses.count(MONTH_CODES[program.MISSED]),
                *statuses,
            )
        ]


def pairing_csv_lines(cycle: Cycle) -> Iterator[str]:
    writer = csv.writer(Echo())
    for row in pairing_rows(cycle):
        yield writer.writerow(row)
