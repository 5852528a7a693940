import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts import personal_data
from accounts.models import User
from mentorship.models import Cycle, OutboundEmail
from mentorship.services import (
    absolute_url,
    batch_or_one_by_one,
    email_render_and_queue,
)

from . import eligibility, states
from .cv import detect_cv_type, same_cv
from .models import (
    FORMER_APPLICANT,
    Application,
    ApplicationEvent,
    DeclineReason,
    EligibilityOverride,
)

Status = Application.Status


class ApplicationError(Exception):
    """A request the application's state does not allow; the message says why."""


PURGED = (
    "This application's personal data has been removed; it is kept, without a "
    "name, only for the cycle's figures."
)


def rules_for(cycle: Cycle) -> eligibility.Rules:
    return eligibility.Rules(
        max_years_since_training=cycle.max_years_since_training,
        excluded_practice_countries=frozenset(
            c.code for c in cycle.excluded_practice_countries
        ),
        accepted_membership_types=frozenset(cycle.accepted_membership_types),
        accepts_concurrent_membership_application=(
            cycle.accepts_concurrent_membership_application
        ),
        min_monthly_hours=cycle.min_monthly_hours,
    )


def answers_of(application: Application) -> eligibility.Answers:
    return eligibility.Answers(
        membership_type=application.membership_type,
        membership_application_submitted=application.membership_application_submitted,
        still_in_training=application.still_in_training,
        training_completed_year=application.training_completed_year,
        practice_country=application.practice_country.code or "",
        english_writing=application.english_writing,
        english_speaking=application.english_speaking,
        monthly_hours=application.monthly_hours,
        prior_idea_award=application.prior_idea_award,
        statement=application.statement,
        has_cv=bool(application.cv),
    )


def _record(
    application, *, actor, description, note="", internal=False
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        status=application.status,
        description=description,
        note=note,
        internal=internal,
    )


def _check(name: str, application: Application) -> states.Transition:
    try:
        return states.check(name, application.status)
    except states.TransitionRefused as refused:
        raise ApplicationError(str(refused)) from None


def _save(application: Application, *, actor, reason: str, fields: list[str]):
    """Save the named fields; the change history records who and why."""
    application._history_user = actor
    application._change_reason = reason[:100]
    application.save(update_fields=[*fields, "updated_at"])


def _refresh_outcome(application: Application) -> None:
    """The outcome and the overridden criteria' outcomes, from the rules'
    results and staff's overrides: the caller saves both fields."""
    application.override_outcomes = dict(
        application.eligibility_overrides.values_list("criterion", "outcome")
    )
    application.eligibility_outcome = eligibility.summarize(
        eligibility.with_overrides(
            application.eligibility, application.override_outcomes
        )
    )


def _lock(application_id: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("cycle", "applicant")
        .get(pk=application_id)
    )


def _refuse_unless_open(application: Application, *, at) -> None:
    if application.status == Status.INFO_REQUESTED:
        return  # staff asked for changes: the window does not bind them
    if not application.cycle.is_open(at):
        raise ApplicationError(
            "Applications for this cycle are closed, so it can no longer be changed."
        )
    if application.status not in Application.EDITABLE:
        raise ApplicationError(
            f"This application is {application.get_status_display().lower()} "
            "and can no longer be changed."
        )


@transaction.atomic
def application_start(*, user: User, cycle: Cycle) -> Application:
    """The applicant's application to this cycle, created as a draft if new."""
    if not cycle.is_open():
        raise ApplicationError("Applications for this cycle are not open.")
    application, created = Application.objects.get_or_create(
        applicant=user,
        cycle=cycle,
        defaults={
            "time_zone": user.time_zone,
            "institution": user.institution,
            "practice_country": user.country,
        },
    )
    if created:
        _record(application, actor=user, description="Draft started")
    return application


@transaction.atomic
def application_update(
    *, application_id: int, actor: User, answers: dict, cv=None
) -> Application:
    """Save answers (and a new CV) while the window is open.

    Changing a submitted application turns it back into a draft, to be
    submitted again: staff must never review answers the rules have not seen.
    """
    application = Application.objects.select_for_update().get(pk=application_id)
    _refuse_unless_open(application, at=timezone.now())
    if cv is not None and same_cv(application.cv, application.cv_filename, cv):
        cv = None  # the same file again: not a change that reopens anything
    many = {k: answers.pop(k) for k in ("interests", "career_goals") if k in answers}
    changed = cv is not None or any(
        set(getattr(application, field).values_list("pk", flat=True))
        != {item.pk for item in value}
        for field, value in many.items()
    )
    for field, value in answers.items():
        current = getattr(application, field)
        if isinstance(value, list):  # a choice of several: order does not matter
            changed = changed or set(current) != set(value)
        else:
            changed = changed or current != value
        setattr(application, field, value)
    if cv is not None:
        _replace_cv(application, cv)
    # Saving the same answers again (a double click) changes nothing. Asked
    # for more information, the applicant changes answers in place and then
    # resubmits.
    reopened = changed and states.allows("reopen", application.status)
    if reopened:
        application.status = _check("reopen", application).target
    application.full_clean(exclude=["cv"], validate_unique=False)
    application._history_user = actor
    application.save()
    for field, value in many.items():
        getattr(application, field).set(value)
    if reopened:
        _record(
            application,
            actor=actor,
            description="Reopened for changes: submit again before the deadline",
        )
    return application


def _replace_cv(application: Application, upload) -> None:
    old = application.cv.name if application.cv else ""
    application.cv_filename = upload.name[-255:]
    # Stored under the type its content showed, whatever its name claimed.
    kind = detect_cv_type(upload) or "bin"
    application.cv.save(f"cv.{kind}", upload, save=False)
    if old:
        storage = application.cv.storage
        transaction.on_commit(lambda: storage.delete(old))


@transaction.atomic
def application_attach_cv(*, application_id: int, actor: User, cv) -> Application:
    """Keep a valid CV even when the rest of the form came back with errors."""
    return application_update(
        application_id=application_id, actor=actor, answers={}, cv=cv
    )


def application_save(
    *, application_id: int, actor: User, answers: dict, cv=None, submit: bool
) -> Application:
    """Save the applicant's answers and, with ``submit``, send them: submit a
    draft, or resubmit what staff asked to change.

    One transaction: a failure part way (the database lost mid-request)
    leaves the application as it was, never a submitted application turned
    back into a draft by its changes without the submission that followed.
    A submission the application's state refuses (ApplicationError) is
    raised after the answers are saved.
    """
    refusal = None
    with transaction.atomic():
        application = application_update(
            application_id=application_id, actor=actor, answers=answers, cv=cv
        )
        if submit:
            send = (
                application_resubmit
                if application.status == Status.INFO_REQUESTED
                else application_submit
            )
            try:
                application = send(application_id=application_id, actor=actor)
            except ApplicationError as error:
                refusal = error  # its savepoint is rolled back, the answers kept
    if refusal is not None:
        raise refusal
    return application


@transaction.atomic
def application_submit(*, application_id: int, actor: User) -> Application:
    """Run the eligibility rules and submit, or mark the application ineligible.

    Submitting twice (a double click, even two requests at the same instant)
    submits once: the second waits for the first's row lock, then finds the
    application submitted and changes nothing.
    """
    application = _lock(application_id)
    if application.status == Status.SUBMITTED:
        return application  # a double click: submitted once is enough
    told = application.eligibility if application.status == Status.INELIGIBLE else None
    now = timezone.now()
    _refuse_unless_open(application, at=now)
    _evaluate(application, at=now)
    failed = application.failed_criteria
    if failed and application.eligibility == told:
        # Not eligible again for the very same reasons (a double click, or
        # the same answers sent again): the applicant has been told.
        return application
    transition = _check("mark_ineligible" if failed else "submit", application)
    application.status = transition.target
    application.submitted_at = now
    description = (
        f"Not eligible: {', '.join(r['label'] for r in failed)}"
        if failed
        else "Submitted"
    )
    _save(
        application,
        actor=actor,
        reason=description,
        fields=[
            "eligibility",
            "eligibility_outcome",
            "override_outcomes",
            "status",
            "submitted_at",
        ],
    )
    event = _record(application, actor=actor, description=description)
    applicant = application.applicant
    email_render_and_queue(
        key=f"application:{application.pk}:event:{event.pk}",
        event="application.ineligible" if failed else "application.submitted",
        to=applicant.email,
        template="application_ineligible" if failed else "application_submitted",
        time_zone=applicant.time_zone,
        context={
            "application": application,
            "applicant": applicant,
            "failed": failed,
            "status_url": absolute_url(
                reverse("applications:detail", args=[application.pk])
            ),
        },
    )
    return application


def _evaluate(application: Application, *, at) -> None:
    """Run the rules over complete answers and store what they said."""
    missing = _missing_answers(application)
    if missing:
        raise ApplicationError(
            "Some answers are missing: " + ", ".join(missing) + ". Complete them first."
        )
    results = eligibility.evaluate(
        answers_of(application), rules_for(application.cycle), at.year
    )
    application.eligibility = [result.as_dict() for result in results]
    _refresh_outcome(application)


def _missing_answers(application: Application) -> list[str]:
    required = [
        "membership_type",
        "practice_country",
        "training_country",
        "institution",
        "position",
        "english_writing",
        "english_speaking",
        "monthly_hours",
        "statement",
        "meeting_ways",
        "time_zone",
        "cv",
    ]
    missing = [
        str(Application._meta.get_field(name).verbose_name)
        for name in required
        if getattr(application, name) in ("", None, [])
        or (name == "cv" and not application.cv)
    ]
    if application.prior_idea_award is None:
        missing.append("IDEA or IDEA-PC award")
    if (
        not application.still_in_training
        and application.training_completed_year is None
    ):
        missing.append("year you completed training")
    if not application.interests.exists():
        missing.append("professional interests")
    if not application.career_goals.exists():
        missing.append("career goals")
    if not application.consent:
        missing.append("consent")
    return missing


@transaction.atomic
def application_withdraw(*, application_id: int, actor: User) -> Application:
    application = _lock(application_id)
    if application.status == Status.WITHDRAWN:
        raise ApplicationError("This application is already withdrawn.")
    application.status = _check("withdraw", application).target
    # The applicant's own decision; the retention period counts from it.
    application.decided_at = timezone.now()
    description = "Withdrawn by the applicant"
    _save(application, actor=actor, reason=description, fields=["status", "decided_at"])
    _record(application, actor=actor, description=description)
    return application


@transaction.atomic
def application_resubmit(*, application_id: int, actor: User) -> Application:
    """Send changed answers back to staff after they asked for more
    information, and confirm it to the applicant by email. The rules run again
    so staff see what they say about the new answers."""
    application = _lock(application_id)
    if application.status == Status.RESUBMITTED:
        return application  # a double click: resubmitted once is enough
    transition = _check("resubmit", application)
    _evaluate(application, at=timezone.now())
    application.status = transition.target
    description = "Resubmitted with the information staff asked for"
    _save(
        application,
        actor=actor,
        reason=description,
        fields=["eligibility", "eligibility_outcome", "override_outcomes", "status"],
    )
    event = _record(application, actor=actor, description=description)
    _email_applicant(application, "resubmit", event=event)
    return application


# Staff review. Each decision emails the applicant under the key of the event
# it records; a repeated confirmation is refused by the state machine before
# it records anything, so it cannot email twice.

DECISION_EMAILS = {
    "approve": "application_approved",
    "decline": "application_declined",
    "waitlist": "application_waitlisted",
    "request_info": "application_info_requested",
    "reconsider": "application_reconsidered",
    "resubmit": "application_resubmitted",
}


def decision_email_context(application: Application) -> dict:
    return {
        "application": application,
        "applicant": application.applicant,
        "message": application.message_to_applicant,
        "status_url": absolute_url(
            reverse("applications:detail", args=[application.pk])
        ),
        "form_url": absolute_url(reverse("applications:form")),
    }


def decision_email_render(application: Application, transition: str) -> dict:
    """Subject and bodies of the email a transition sends, rendered as the
    outbox will render them (for the confirmation page's example)."""
    template = DECISION_EMAILS[transition]
    context = {**decision_email_context(application), "site_url": settings.SITE_URL}
    zone = application.applicant.time_zone or "UTC"
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        subject = " ".join(
            render_to_string(f"emails/{template}_subject.txt", context).split()
        )
        return {
            "to": application.applicant.email,
            "subject": subject,
            "text": render_to_string(f"emails/{template}.txt", context),
            "html": render_to_string(f"emails/{template}.html", context),
        }


def _email_applicant(application, transition, *, event):
    applicant = application.applicant
    email_render_and_queue(
        key=f"application:{application.pk}:{transition}:event:{event.pk}",
        event=f"application.{transition}",
        to=applicant.email,
        template=DECISION_EMAILS[transition],
        time_zone=applicant.time_zone or "UTC",
        context=decision_email_context(application),
    )


def _start_review_if_waiting(application, *, actor, why: str) -> None:
    """Review work on a submitted or resubmitted application starts its review."""
    if states.allows("start_review", application.status):
        application.status = _check("start_review", application).target
        _save(application, actor=actor, reason=why, fields=["status"])
        _record(application, actor=actor, description="Under review")


def _refuse_unless_reviewable(application: Application) -> None:
    if application.purged_at:
        raise ApplicationError(PURGED)
    if application.status not in states.REVIEWABLE:
        raise ApplicationError(
            f"This application is {application.get_status_display().lower()}; "
            "only submitted applications can be reviewed."
        )


@transaction.atomic
def application_start_review(
    *, application_id: int, actor: User, note: str = ""
) -> Application:
    application = _lock(application_id)
    application.status = _check("start_review", application).target
    _save(application, actor=actor, reason="Under review", fields=["status"])
    _record(application, actor=actor, description="Under review", note=note)
    return application


@transaction.atomic
def application_assign_reviewer(
    *,
    application_id: int,
    actor: User,
    reviewer: User | None,
    note: str = "",
) -> Application:
    """Give the application to a staff member to review (None: to nobody)."""
    application = _lock(application_id)
    _refuse_unless_reviewable(application)
    if reviewer is not None and not (reviewer.is_staff and reviewer.is_active):
        raise ApplicationError(f"{reviewer} is not active staff and cannot review.")
    description = (
        f"Reviewer: {reviewer.display_name}" if reviewer else "Reviewer removed"
    )
    if application.reviewer_id != (reviewer.pk if reviewer else None):
        application.reviewer = reviewer
        _save(application, actor=actor, reason=description, fields=["reviewer"])
        _record(
            application, actor=actor, description=description, note=note, internal=True
        )
    if reviewer is not None:
        _start_review_if_waiting(application, actor=actor, why=description)
    return application


@transaction.atomic
def application_rate(
    *,
    application_id: int,
    actor: User,
    rating: int,
    comment: str = "",
) -> Application:
    application = _lock(application_id)
    _refuse_unless_reviewable(application)
    if not 1 <= rating <= 5:
        raise ApplicationError("A rating is a whole number from 1 to 5.")
    comment = comment.strip()
    if (application.rating, application.rating_comment, application.rated_by_id) == (
        rating,
        comment,
        actor.pk,
    ):
        return application  # the same rating again: nothing new to record
    application.rating = rating
    application.rating_comment = comment
    application.rated_by = actor
    application.rated_at = timezone.now()
    description = f"Rated {rating} of 5"
    _save(
        application,
        actor=actor,
        reason=description,
        fields=["rating", "rating_comment", "rated_by", "rated_at"],
    )
    _record(
        application,
        actor=actor,
        description=description,
        note=application.rating_comment,
        internal=True,
    )
    _start_review_if_waiting(application, actor=actor, why=description)
    return application


def _decide(
    application,
    transition: str,
    *,
    actor,
    description: str,
    note: str,
    fields=(),
) -> Application:
    application.status = _check(transition, application).target
    fields = ["status", *fields]
    if transition != "reconsider":  # reconsidering reopens; it decides nothing
        application.decided_at = timezone.now()
        fields.append("decided_at")
    _save(application, actor=actor, reason=description, fields=fields)
    event = _record(application, actor=actor, description=description, note=note)
    _email_applicant(application, transition, event=event)
    return application


@transaction.atomic
def application_approve(
    *, application_id: int, actor: User, note: str = ""
) -> Application:
    application = _lock(application_id)
    _check("approve", application)
    refusal = approval_refusal(application)
    if refusal:
        raise ApplicationError(refusal)
    return _decide(
        application,
        "approve",
        actor=actor,
        description="Approved",
        note=note,
    )


def approval_refusal(application: Application) -> str:
    """Why staff may not approve this application now ('' if they may)."""
    if application.eligibility_outcome == eligibility.FAIL:
        failed = ", ".join(r["label"] for r in application.failed_criteria)
        return (
            f"It does not meet {failed}. Override that criterion with a note, "
            "or decline the application."
        )
    return ""


def decline_message(reason: DeclineReason | None, message: str) -> str:
    return "\n\n".join(part for part in (reason and reason.text, message) if part)


@transaction.atomic
def application_decline(
    *,
    application_id: int,
    actor: User,
    reason: DeclineReason | None = None,
    message: str = "",
    note: str = "",
) -> Application:
    """Decline with a reason from the list, words of one's own, or both; the
    applicant reads them in the email and on their application page."""
    text = decline_message(reason, message.strip())
    if not text:
        raise ApplicationError("Choose a reason or write one for the applicant.")
    application = _lock(application_id)
    application.decline_reason = reason
    application.message_to_applicant = text
    return _decide(
        application,
        "decline",
        actor=actor,
        description=f"Declined: {reason.title}" if reason else "Declined",
        note=note,
        fields=["decline_reason", "message_to_applicant"],
    )


@transaction.atomic
def application_waitlist(
    *, application_id: int, actor: User, note: str = ""
) -> Application:
    application = _lock(application_id)
    return _decide(
        application,
        "waitlist",
        actor=actor,
        description="Waitlisted",
        note=note,
    )


@transaction.atomic
def application_request_info(
    *,
    application_id: int,
    actor: User,
    question: str,
    note: str = "",
) -> Application:
    """Ask the applicant a question by email; they may then change their
    answers, even after the window has closed, and resubmit."""
    question = question.strip()
    if not question:
        raise ApplicationError("Write the question the applicant should answer.")
    application = _lock(application_id)
    application.message_to_applicant = question
    return _decide(
        application,
        "request_info",
        actor=actor,
        description="More information requested",
        note=note,
        fields=["message_to_applicant"],
    )


def override_refusal(application: Application, *, criterion: str) -> str:
    """Why staff may not override this criterion now ('' if they may)."""
    if application.status not in states.OVERRIDABLE:
        return (
            f"This application is {application.get_status_display().lower()}; "
            "eligibility can be overridden only before a decision."
        )
    if criterion not in {r["criterion"] for r in application.eligibility}:
        return "The rules have not evaluated this criterion for this application."
    return ""


@transaction.atomic
def application_override_eligibility(
    *,
    application_id: int,
    actor: User,
    criterion: str,
    outcome: str,
    note: str,
) -> Application:
    """Put staff's judgement in place of a rule's, with the reason why.

    A not-eligible application that no longer fails any criterion goes to
    review, and the applicant is told.
    """
    note = note.strip()
    if not note:
        raise ApplicationError("Write a note that says why you override the rule.")
    if outcome not in (eligibility.PASS, eligibility.FAIL):
        raise ApplicationError("An override says “meets” or “does not meet”.")
    application = _lock(application_id)
    refusal = override_refusal(application, criterion=criterion)
    if refusal:
        raise ApplicationError(refusal)
    EligibilityOverride.objects.update_or_create(
        application=application,
        criterion=criterion,
        defaults={"outcome": outcome, "note": note, "by": actor, "at": timezone.now()},
    )
    label = next(
        r["label"] for r in application.eligibility if r["criterion"] == criterion
    )
    verdict = "meets" if outcome == eligibility.PASS else "does not meet"
    description = f"Eligibility overridden: {verdict} “{label}”"
    _refresh_outcome(application)
    _save(
        application,
        actor=actor,
        reason=description,
        fields=["eligibility_outcome", "override_outcomes"],
    )
    _record(application, actor=actor, description=description, note=note, internal=True)
    if (
        application.status == Status.INELIGIBLE
        and application.eligibility_outcome != eligibility.FAIL
    ):
        _decide(
            application,
            "reconsider",
            actor=actor,
            description="Under review after staff reconsidered eligibility",
            note=note,
        )
    return application


@transaction.atomic
def application_mark_matched(
    *, application_id: int, actor: User | None = None
) -> Application:
    """An approved application has a mentor (called by matching, which sends
    the introduction itself)."""
    application = _lock(application_id)
    application.status = _check("mark_matched", application).target
    application.waiting_for_mentor_since = None
    description = "Matched with a mentor"
    _save(
        application,
        actor=actor,
        reason=description,
        fields=["status", "waiting_for_mentor_since"],
    )
    _record(application, actor=actor, description=description)
    return application


RETURNED_TO_STAFF = "The proposed pairing will not go ahead; waiting for a mentor"


def _return_to_staff(returns: list[tuple[Application, str]], *, actor) -> None:
    """Send each application back to staff, with the reason its pairing fell
    through: its status with its change history, and its two events, in a
    fixed number of queries however many. The caller holds the rows' locks."""
    if not returns:
        return
    now = timezone.now()
    for application, _ in returns:
        application.status = _check("return_to_staff", application).target
        application.waiting_for_mentor_since = now
        # What save() would do: the change history records who and why.
        application.updated_at = now
        application._history_user = actor
        application._change_reason = RETURNED_TO_STAFF[:100]
    bulk_update_with_history(
        [application for application, _ in returns],
        Application,
        ["status", "waiting_for_mentor_since", "updated_at"],
    )
    ApplicationEvent.objects.bulk_create(
        [
            event
            for application, reason in returns
            for event in (
                ApplicationEvent(
                    application=application,
                    actor=actor,
                    status=application.status,
                    description=RETURNED_TO_STAFF,
                ),
                ApplicationEvent(
                    application=application,
                    actor=actor,
                    status=application.status,
                    description="Why the pairing fell through",
                    note=reason,
                    internal=True,
                ),
            )
        ]
    )


@transaction.atomic
def application_return_to_staff(
    *, application_id: int, actor: User | None, reason: str
) -> Application:
    """A proposed pairing fell through; the mentee waits for another mentor.

    The reason (which may quote what the other person wrote) is for staff
    only. The mentee keeps their place: matching offers them first next time.
    """
    application = _lock(application_id)
    _return_to_staff([(application, reason)], actor=actor)
    return application


@transaction.atomic
def applications_return_to_staff(
    *, reasons: dict[int, str], actor: User | None
) -> list[Application]:
    """application_return_to_staff for many applications at once (their ids,
    each with its reason), in a fixed number of queries however many."""
    applications = list(
        Application.objects.select_for_update(of=("self",))
        .filter(pk__in=reasons)
        .order_by("pk")
    )
    _return_to_staff(
        [(application, reasons[application.pk]) for application in applications],
        actor=actor,
    )
    return applications


@transaction.atomic
def application_wait_for_mentor(*, application_id: int, actor: User) -> Application:
    """Staff put an approved mentee that matching could not place on the
    waitlist for a mentor; they are offered first when a mentor frees up."""
    application = _lock(application_id)
    if application.status != Status.APPROVED:
        raise ApplicationError(
            f"Only an approved application waits for a mentor; this one is "
            f"{application.get_status_display().lower()}."
        )
    if application.waiting_for_mentor_since:
        return application
    application.waiting_for_mentor_since = timezone.now()
    description = "On the waitlist for a mentor"
    _save(
        application,
        actor=actor,
        reason=description,
        fields=["waiting_for_mentor_since"],
    )
    event = _record(application, actor=actor, description=description)
    applicant = application.applicant
    email_render_and_queue(
        key=f"application:{application.pk}:event:{event.pk}",
        event="application.waiting_for_mentor",
        to=applicant.email,
        template="application_waiting_for_mentor",
        time_zone=applicant.time_zone,
        context=decision_email_context(application),
    )
    return application


@transaction.atomic
def application_save_staff_notes(
    *, application_id: int, actor: User, notes: str
) -> Application:
    application = _lock(application_id)
    notes = notes.strip()
    if notes != application.staff_notes:
        application.staff_notes = notes
        _save(application, actor=actor, reason="Staff notes", fields=["staff_notes"])
    return application


# Acting on many applications at once, with a dry run first.


@dataclass
class Outcome:
    """What an action did, or would do, to one application."""

    application: Application
    before: str
    after: str = ""
    emails: list[OutboundEmail] = dataclass_field(default_factory=list)
    refusal: str = ""

    @property
    def before_label(self) -> str:
        return states.label_of(self.before)

    @property
    def after_label(self) -> str:
        return states.label_of(self.after) if self.after else ""


class _DryRun(Exception):
    """Raised to roll back an action that was only previewed."""


def applications_act(
    *,
    application_ids: Iterable[int],
    act: Callable[[int], Application],
    dry_run: bool,
) -> list[Outcome]:
    """Run ``act`` on each application, each in its own transaction, and say
    what happened: the new status and the emails queued, or why it was refused.

    A dry run really runs each action, so it reports exactly what confirming
    would do, then rolls it back: nothing is changed and nothing is sent.
    """
    applications = (
        Application.objects.filter(pk__in=list(application_ids))
        .select_related("applicant", "cycle")
        .order_by("applicant__full_name", "applicant__email", "pk")
    )
    outcomes = []
    for application in applications:
        outcome = Outcome(application=application, before=application.status)
        last_email = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True)
        since = last_email.first() or 0
        try:
            with transaction.atomic():
                outcome.after = act(application.pk).status
                outcome.emails = list(
                    OutboundEmail.objects.filter(
                        pk__gt=since,
                        idempotency_key__startswith=f"application:{application.pk}:",
                    ).order_by("pk")
                )
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        except ApplicationError as refused:
            outcome.after = ""
            outcome.emails = []
            outcome.refusal = str(refused)
        outcomes.append(outcome)
    return outcomes


# Removing personal data: when the applicant deletes their account, and once
# a declined or withdrawn application is older than the retention period.


def retention_cutoff(now=None):
    """Applications declined or withdrawn before this are due for purging."""
    days = settings.APPLICATION_RETENTION_DAYS
    return (now or timezone.now()) - timedelta(days=days)


def purge_date(application: Application):
    """When the retention purge removes this application's personal data
    (None: never, or already done)."""
    if (
        application.purged_at
        or application.status not in states.RETAINED_FOR_A_PERIOD
        or application.decided_at is None
    ):
        return None
    return application.decided_at + timedelta(days=settings.APPLICATION_RETENTION_DAYS)


def applications_due_for_purge(*, now=None):
    return Application.objects.filter(
        status__in=states.RETAINED_FOR_A_PERIOD,
        purged_at__isnull=True,
        decided_at__lte=retention_cutoff(now),
    )


def _purge(purges: list[tuple[Application, str]], *, now) -> None:
    """Remove what identifies the applicant from each application, keeping
    the row for the figures (cycle, status, dates, country, eligibility):
    the link to their account, the free-text answers and staff's words about
    them, the CV (from disk, after commit), the change history and the
    overrides. Kept events lose their notes and the applicant's name as
    their actor; an internal event says what was done (each application's
    description) and why. The caller holds the rows' locks.

    A fixed number of queries however many applications (see
    PURGE_BATCH_QUERIES in the tests).
    """
    if not purges:
        return
    ids = [application.pk for application, _ in purges]
    events = ApplicationEvent.objects.filter(application_id__in=ids)
    # While the application still names its applicant.
    events.filter(actor_id=F("application__applicant_id")).update(actor=None)
    events.update(note="")
    # An update, not save(): the change history is being removed, not added to.
    Application.objects.filter(pk__in=ids).update(
        applicant=None,
        institution="",
        position="",
        statement="",
        time_zone="",
        cv="",
        cv_filename="",
        message_to_applicant="",
        staff_notes="",
        rating_comment="",
        override_outcomes={},
        purged_at=now,
    )
    Application.history.filter(id__in=ids).delete()
    EligibilityOverride.objects.filter(application_id__in=ids).delete()
    ApplicationEvent.objects.bulk_create(
        ApplicationEvent(
            application=application,
            status=application.status,
            description=description[:300],
            internal=True,
            at=now,
        )
        for application, description in purges
    )
    # The admin's log names each by its applicant: one statement for all,
    # its CASE a branch per cycle.
    by_cycle = defaultdict(list)
    for application, _ in purges:
        by_cycle[application.cycle].append(str(application.pk))
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id__in=[str(pk) for pk in ids],
    ).update(
        object_repr=Case(
            *(
                When(
                    object_id__in=object_ids,
                    then=Value(f"{FORMER_APPLICANT} · {cycle}"),
                )
                for cycle, object_ids in by_cycle.items()
            )
        ),
        change_message="",
    )
    files = [
        (application.cv.storage, application.cv.name)
        for application, _ in purges
        if application.cv
    ]
    if files:
        transaction.on_commit(lambda: personal_data.delete_files(files))


def _retention_purge_description(application: Application) -> str:
    days = settings.APPLICATION_RETENTION_DAYS
    status = application.get_status_display().lower()
    return f"Personal data removed: {status} more than {days} days ago"


@transaction.atomic
def _purge_due(application_ids: list[int], now) -> int:
    """The retention purge of those of these applications still due, each
    locked and looked at as it is now: one purged meanwhile (its applicant
    deleted their account, another run got there first) is left as it is.
    Returns how many were purged."""
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("cycle")
        .filter(pk__in=application_ids)
        .order_by("pk")
    )
    due = [
        application
        for application in locked
        if (date := purge_date(application)) is not None and date <= now
    ]
    _purge(
        [
            (application, _retention_purge_description(application))
            for application in due
        ],
        now=now,
    )
    return len(due)


def application_purge(*, application_id: int, now=None) -> bool:
    """The retention purge of one application, as applications_purge_due
    purges many; False when it is not (or no longer) due."""
    return bool(_purge_due([application_id], now or timezone.now()))


def applications_purge_due(*, now=None, batch_size: int = 200) -> int:
    """The daily retention purge. Returns how many applications it purged.

    Safe to run as often as one likes: each batch is purged in its own
    transaction, under its applications' row locks, on their state as it is
    then, in a fixed number of queries. A batch that fails is purged again
    one application at a time, so one broken application keeps only itself.
    """
    now = now or timezone.now()
    # The ids first, through the retention index (application_retention_idx).
    due = sorted(
        applications_due_for_purge(now=now).order_by().values_list("pk", flat=True)
    )
    return sum(
        batch_or_one_by_one(
            lambda ids: _purge_due(ids, now),
            due[start : start + batch_size],
            doing="Purging application",
        )
        for start in range(0, len(due), batch_size)
    )


def application_erase_for_account(*, application: Application, now) -> None:
    """The applicant deleted their account: an application still open is
    withdrawn (nobody is emailed), then its personal data removed."""
    application = _lock(application.pk)
    if application.purged_at:
        return
    if application.status in states.OPEN:
        application.status = _check("withdraw", application).target
        application.decided_at = now
        Application.objects.filter(pk=application.pk).update(
            status=application.status, decided_at=now
        )
        _record(
            application,
            actor=None,
            description="Withdrawn: the applicant deleted their account",
        )
    _purge(
        [(application, "Personal data removed: the applicant deleted their account")],
        now=now,
    )
