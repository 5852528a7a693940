"""The application's states and the transitions between them, in one place.

Pure: no queries. Services ask ``check`` before they change a status, so a
transition this table does not name cannot happen, whoever asks.
"""

from dataclasses import dataclass

from django.db.models import TextChoices


class Status(TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    INELIGIBLE = "ineligible", "Not eligible"
    UNDER_REVIEW = "under_review", "Under review"
    INFO_REQUESTED = "info_requested", "More information requested"
    RESUBMITTED = "resubmitted", "Resubmitted"
    WAITLISTED = "waitlisted", "Waitlisted"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    MATCHED = "matched", "Matched with a mentor"
    WITHDRAWN = "withdrawn", "Withdrawn"


class TransitionRefused(Exception):
    """A transition the current state does not allow; the message says why."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    by: str  # who may ask: "applicant", "staff" or "matching"


# An application is open until it is decided for good: declined, matched or
# withdrawn. The applicant may withdraw an open application.
CLOSED = frozenset({Status.DECLINED, Status.MATCHED, Status.WITHDRAWN})
OPEN = frozenset(Status.values) - CLOSED

# Decided for good without a mentoring year: such an application's personal
# data is removed once the retention period has passed since the decision.
RETAINED_FOR_A_PERIOD = (Status.DECLINED, Status.WITHDRAWN)

# States in which staff still owe the applicant an answer.
AWAITING_STAFF = frozenset(
    {Status.SUBMITTED, Status.UNDER_REVIEW, Status.RESUBMITTED, Status.WAITLISTED}
)
# States whose eligibility outcome staff may still override.
OVERRIDABLE = frozenset(
    {
        Status.SUBMITTED,
        Status.INELIGIBLE,
        Status.UNDER_REVIEW,
        Status.INFO_REQUESTED,
        Status.RESUBMITTED,
        Status.WAITLISTED,
    }
)
# States in which a reviewer can be assigned or a rating given: everything a
# reviewer can read, which excludes drafts and withdrawn applications.
REVIEWABLE = frozenset(Status.values) - {Status.DRAFT, Status.WITHDRAWN}


def _t(name, label, sources, target, by="staff") -> Transition:
    return Transition(name, label, frozenset(sources), target, by)


TRANSITIONS = {
    t.name: t
    for t in (
        _t(
            "submit",
            "Submit",
            {Status.DRAFT, Status.INELIGIBLE},
            Status.SUBMITTED,
            "applicant",
        ),
        _t(
            "mark_ineligible",
            "Mark not eligible",
            {Status.DRAFT, Status.INELIGIBLE},
            Status.INELIGIBLE,
            "applicant",
        ),
        # Changing answers before review starts: the rules must see them again.
        _t(
            "reopen",
            "Reopen as a draft",
            {Status.SUBMITTED, Status.INELIGIBLE},
            Status.DRAFT,
            "applicant",
        ),
        _t(
            "start_review",
            "Start the review",
            {Status.SUBMITTED, Status.RESUBMITTED},
            Status.UNDER_REVIEW,
        ),
        # An eligibility override made a not-eligible application eligible.
        _t("reconsider", "Reconsider", {Status.INELIGIBLE}, Status.UNDER_REVIEW),
        _t(
            "approve",
            "Approve",
            {Status.UNDER_REVIEW, Status.WAITLISTED},
            Status.APPROVED,
        ),
        _t(
            "decline",
            "Decline",
            {Status.UNDER_REVIEW, Status.WAITLISTED, Status.INFO_REQUESTED},
            Status.DECLINED,
        ),
        _t("waitlist", "Waitlist", {Status.UNDER_REVIEW}, Status.WAITLISTED),
        _t(
            "request_info",
            "Request more information",
            {Status.UNDER_REVIEW, Status.WAITLISTED},
            Status.INFO_REQUESTED,
        ),
        _t(
            "resubmit",
            "Resubmit",
            {Status.INFO_REQUESTED},
            Status.RESUBMITTED,
            "applicant",
        ),
        _t(
            "mark_matched",
            "Mark matched",
            {Status.APPROVED},
            Status.MATCHED,
            "matching",
        ),
        # A proposed pairing fell through: declined, or left unanswered.
        _t(
            "return_to_staff",
            "Return to staff for another mentor",
            {Status.MATCHED},
            Status.APPROVED,
            "matching",
        ),
        _t("withdraw", "Withdraw", OPEN, Status.WITHDRAWN, "applicant"),
    )
}


def label_of(status: str) -> str:
    return Status(status).label


def check(name: str, current: str) -> Transition:
    """The transition, if the current state allows it; otherwise refused with a
    message that names the state and the states it is allowed from."""
    transition = TRANSITIONS[name]
    if current in transition.sources:
        return transition
    allowed = " or ".join(
        sorted(label_of(source).lower() for source in transition.sources)
    )
    raise TransitionRefused(
        f"“{transition.label}” is not possible for an application that is "
        f"{label_of(current).lower()}; it is possible only when the application "
        f"is {allowed}."
    )


def allows(name: str, current: str) -> bool:
    return current in TRANSITIONS[name].sources
