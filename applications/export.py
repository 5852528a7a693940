"""The review queue as CSV, for program officers' spreadsheets.

Every cell goes through `mentorship.export.escape_cell`, so an applicant's
answer can never run as a formula in staff's spreadsheet.
"""

import csv
from collections.abc import Iterable, Iterator

from django.utils import timezone

from accounts.models import MeetingWay
from mentorship.export import Echo, escape_cell

from . import eligibility, selectors
from .models import FORMER_APPLICANT, Application

CHUNK = 2000


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else ""


def _overrides(application) -> str:
    return "; ".join(
        f"{r['label']}: {eligibility.OUTCOME_LABELS[r['outcome']]} "
        f"({r['override'].note})"
        for r in application.effective_eligibility
        if r["override"]
    )


def _names(items) -> str:
    return "; ".join(item.name for item in items)


COLUMNS = [
    ("id", lambda a: a.pk),
    ("name", lambda a: a.applicant.full_name if a.applicant else FORMER_APPLICANT),
    ("email", lambda a: a.applicant.email if a.applicant else ""),
    ("country of practice", lambda a: a.practice_country.name),
    ("region", lambda a: a.sub_region),
    ("country of training", lambda a: a.training_country.name),
    ("institution", lambda a: a.institution),
    ("position", lambda a: a.position),
    ("cycle", lambda a: a.cycle.name),
    ("status", lambda a: a.get_status_display()),
    ("eligibility", lambda a: a.get_eligibility_outcome_display()),
    ("failed criteria", lambda a: "; ".join(r["label"] for r in a.failed_criteria)),
    ("overridden criteria", _overrides),
    ("membership", lambda a: a.get_membership_type_display()),
    ("still in training", lambda a: a.still_in_training),
    ("training completed", lambda a: a.training_completed_year),
    ("years since training", lambda a: a.years_since_training),
    ("written English", lambda a: a.get_english_writing_display()),
    ("spoken English", lambda a: a.get_english_speaking_display()),
    ("hours a month", lambda a: a.monthly_hours),
    ("interests", lambda a: "; ".join(a.interest_names())),
    ("career goals", lambda a: _names(a.career_goals.all())),
    (
        "ways to meet",
        lambda a: "; ".join(dict(MeetingWay.choices).get(w, w) for w in a.meeting_ways),
    ),
    ("time zone", lambda a: a.time_zone),
    ("past IDEA award", lambda a: a.prior_idea_award),
    ("statement", lambda a: a.statement),
    ("has CV", lambda a: bool(a.cv)),
    ("submitted", lambda a: _when(a.submitted_at)),
    ("reviewer", lambda a: a.reviewer.display_name if a.reviewer else ""),
    ("rating", lambda a: a.rating),
    ("rating comment", lambda a: a.rating_comment),
    ("decline reason", lambda a: a.decline_reason.title if a.decline_reason else ""),
    ("message to applicant", lambda a: a.message_to_applicant),
    ("decided", lambda a: _when(a.decided_at)),
    ("staff notes", lambda a: a.staff_notes),
]


def rows(applications: Iterable[Application]) -> Iterator[list]:
    yield [name for name, _ in COLUMNS]
    for application in applications:
        yield [escape_cell(value(application)) for _, value in COLUMNS]


def csv_lines(queryset) -> Iterator[str]:
    """The applications as CSV lines, read from the database in chunks so that
    a large export neither waits for every row nor holds them all in memory."""
    applications = (
        selectors.with_overrides_listed(selectors.review_queue(queryset))
        .prefetch_related("career_goals", "decline_reason")
        .iterator(chunk_size=CHUNK)
    )
    writer = csv.writer(Echo())
    for row in rows(applications):
        yield writer.writerow(row)
