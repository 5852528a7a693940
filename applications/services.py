from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from mentorship.models import Cycle
from mentorship.services import absolute_url, email_render_and_queue

from . import eligibility
from .cv import detect_cv_type
from .models import Application, ApplicationEvent

Status = Application.Status


class ApplicationError(Exception):
    """A request the application's state does not allow; the message says why."""


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


def _record(application, *, actor, description) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        status=application.status,
        description=description,
    )


def _refuse_unless_open(application: Application, *, at) -> None:
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
    # Saving the same answers again (a double click) changes nothing.
    reopened = changed and application.status != Status.DRAFT
    if reopened:
        application.status = Status.DRAFT
    application.full_clean(exclude=["cv"], validate_unique=False)
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


@transaction.atomic
def application_submit(*, application_id: int, actor: User) -> Application:
    """Run the eligibility rules and submit, or mark the application ineligible.

    Submitting twice (a double click) submits once.
    """
    application = (
        Application.objects.select_for_update()
        .select_related("cycle", "applicant")
        .get(pk=application_id)
    )
    if application.status == Status.SUBMITTED:
        return application  # a double click: submitted once is enough
    now = timezone.now()
    _refuse_unless_open(application, at=now)
    missing = _missing_answers(application)
    if missing:
        raise ApplicationError(
            "Some answers are missing: " + ", ".join(missing) + ". Complete them first."
        )
    results = eligibility.evaluate(
        answers_of(application), rules_for(application.cycle), now.year
    )
    failed = eligibility.failures(results)
    application.eligibility = [result.as_dict() for result in results]
    application.status = Status.INELIGIBLE if failed else Status.SUBMITTED
    application.submitted_at = now
    application.save(
        update_fields=["eligibility", "status", "submitted_at", "updated_at"]
    )
    event = _record(
        application,
        actor=actor,
        description=(
            f"Not eligible: {', '.join(r.label for r in failed)}"
            if failed
            else "Submitted"
        ),
    )
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
    application = Application.objects.select_for_update().get(pk=application_id)
    if application.status not in Application.EDITABLE:
        raise ApplicationError(
            f"This application is {application.get_status_display().lower()} "
            "and cannot be withdrawn."
        )
    application.status = Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    _record(application, actor=actor, description="Withdrawn by the applicant")
    return application
