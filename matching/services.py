"""Turning proposals into pairings, and the two people's answers to them."""

import calendar
from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import MentorProfile, User
from applications import services as application_services
from applications.models import Application
from mentorship.models import Pairing
from mentorship.services import absolute_url, email_render_and_queue

from .models import Proposal


class MatchingError(Exception):
    """A request the proposal's or pairing's state does not allow; says why."""


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _open_pairings(mentor_user_id: int, cycle_id: int) -> int:
    return Pairing.objects.filter(
        mentor_id=mentor_user_id, cycle_id=cycle_id, status__in=Pairing.OPEN
    ).count()


def _pairing_email(pairing: Pairing, person: User, *, template: str, **context):
    other = pairing.other_person(person)
    email_render_and_queue(
        key=f"pairing:{pairing.pk}:{template}:{person.pk}",
        event=f"pairing.{template.removeprefix('pairing_')}",
        to=person.email,
        template=template,
        time_zone=person.time_zone,
        context={
            "pairing": pairing,
            "person": person,
            "other": other,
            "role": pairing.role_of(person),
            "pairing_url": absolute_url(
                reverse("mentorship:pairing_detail", args=[pairing.pk])
            ),
            **context,
        },
    )


@transaction.atomic
def proposals_accept(*, proposal_ids: list[int], actor: User) -> list[Pairing]:
    """Make each proposal a pairing waiting for both people's answers.

    All or nothing. The mentors' profile rows are locked (in primary key
    order, so two staff accepting at once queue rather than deadlock) before
    their open pairings are counted, so capacity holds under concurrency; the
    database's one-open-pairing-per-mentee constraint backs the rest.
    """
    proposals = list(
        Proposal.objects.filter(pk__in=proposal_ids)
        .select_related("run__cycle", "application__applicant", "mentor__user")
        .order_by("pk")
    )
    mentor_ids = sorted({p.mentor_id for p in proposals})
    mentors = {
        m.pk: m
        for m in MentorProfile.objects.select_for_update()
        .filter(pk__in=mentor_ids)
        .order_by("pk")
    }
    taken: dict[int, int] = {}
    pairings = []
    for proposal in proposals:
        if proposal.status != Proposal.Status.PROPOSED:
            raise MatchingError(
                f"The proposal for {proposal.application.applicant} is already "
                f"{proposal.get_status_display().lower()}."
            )
        cycle = proposal.run.cycle
        mentor = mentors[proposal.mentor_id]
        if mentor.status != MentorProfile.Status.APPROVED:
            raise MatchingError(f"{mentor.user} is no longer an approved mentor.")
        if mentor.pk not in taken:
            taken[mentor.pk] = _open_pairings(mentor.user_id, cycle.pk)
        if taken[mentor.pk] >= mentor.capacity:
            raise MatchingError(
                f"{mentor.user} has no room left: {mentor.capacity} "
                f"mentee{'s' if mentor.capacity > 1 else ''} this cycle."
            )
        application = proposal.application
        if Pairing.objects.filter(
            mentee_id=application.applicant_id, cycle=cycle, status__in=Pairing.OPEN
        ).exists():
            raise MatchingError(f"{application.applicant} already has a mentor.")
        try:
            application_services.application_mark_matched(
                application_id=application.pk, actor=actor
            )
        except application_services.ApplicationError as error:
            raise MatchingError(f"{application.applicant}: {error}") from None
        now = timezone.now()
        pairing = Pairing.objects.create(
            cycle=cycle,
            mentee_id=application.applicant_id,
            mentor_id=mentor.user_id,
            status=Pairing.Status.PROPOSED,
            proposed_at=now,
            respond_by=now + timedelta(days=cycle.response_days),
        )
        taken[mentor.pk] += 1
        proposal.status = Proposal.Status.ACCEPTED
        proposal.pairing = pairing
        proposal.save(update_fields=["status", "pairing"])
        for person in (pairing.mentee, pairing.mentor):
            _pairing_email(pairing, person, template="pairing_proposed")
        pairings.append(pairing)
    return pairings


def _return_to_staff(pairing: Pairing, *, actor, reason: str) -> None:
    application = Application.objects.get(
        applicant_id=pairing.mentee_id, cycle_id=pairing.cycle_id
    )
    application_services.application_return_to_staff(
        application_id=application.pk, actor=actor, reason=reason
    )


@transaction.atomic
def pairing_respond(
    *, pairing_id: int, user: User, accept: bool, reason: str = ""
) -> Pairing:
    """One of the two people accepts or declines a proposed pairing.

    When both have accepted, the pairing is confirmed and its year is set. A
    decline cancels it and returns the mentee to staff with the reason.
    """
    pairing = (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("cycle", "mentee", "mentor")
        .get(pk=pairing_id)
    )
    if user.pk not in (pairing.mentee_id, pairing.mentor_id):
        raise MatchingError("This pairing is not yours to answer.")
    if pairing.status != Pairing.Status.PROPOSED:
        raise MatchingError(
            f"This pairing is {pairing.get_status_display().lower()}; "
            "it no longer waits for an answer."
        )
    role = pairing.role_of(user)
    now = timezone.now()
    if not accept:
        reason = " ".join(reason.split())
        why = f"The {role}, {user}, declined" + (f": {reason}" if reason else ".")
        _cancel(pairing, actor=user, reason=why, at=now)
        return pairing
    if pairing.accepted_by(user):
        return pairing
    setattr(pairing, f"{role}_accepted_at", now)
    fields = [f"{role}_accepted_at"]
    if pairing.mentee_accepted_at and pairing.mentor_accepted_at:
        cycle = pairing.cycle
        starts_on = max(cycle.program_starts_on or now.date(), now.date())
        pairing.status = Pairing.Status.CONFIRMED
        pairing.confirmed_at = now
        pairing.starts_on = starts_on
        pairing.ends_on = add_months(starts_on, cycle.program_months)
        fields += ["status", "confirmed_at", "starts_on", "ends_on"]
    pairing.save(update_fields=fields)
    if pairing.status == Pairing.Status.CONFIRMED:
        for person in (pairing.mentee, pairing.mentor):
            _pairing_email(pairing, person, template="pairing_confirmed")
    return pairing


def _cancel(pairing: Pairing, *, actor, reason: str, at) -> None:
    pairing.status = Pairing.Status.CANCELLED
    pairing.ended_at = at
    pairing.end_reason = reason
    pairing.save(update_fields=["status", "ended_at", "end_reason"])
    _return_to_staff(pairing, actor=actor, reason=reason)
    # The reason is for staff; neither person is told what the other said.
    for person in (pairing.mentee, pairing.mentor):
        _pairing_email(
            pairing,
            person,
            template="pairing_cancelled",
            you_declined=actor is not None and actor.pk == person.pk,
        )


def pairings_expire_unanswered(*, now=None, batch_size: int = 200) -> int:
    """Cancel proposals whose answer is overdue; each mentee goes back to staff.

    Each pairing is handled in its own transaction, under its row lock, so an
    answer arriving at the same moment wins or loses cleanly.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        ids = list(
            Pairing.objects.filter(
                status=Pairing.Status.PROPOSED, respond_by__lt=now
            ).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return expired
        for pairing_id in ids:
            with transaction.atomic():
                pairing = (
                    Pairing.objects.select_for_update(of=("self",))
                    .select_related("cycle", "mentee", "mentor")
                    .filter(pk=pairing_id, status=Pairing.Status.PROPOSED)
                    .first()
                )
                if pairing is None:
                    continue
                silent = [
                    str(person)
                    for person, answered in (
                        (pairing.mentee, pairing.mentee_accepted_at),
                        (pairing.mentor, pairing.mentor_accepted_at),
                    )
                    if answered is None
                ]
                reason = (
                    f"No answer from {' and '.join(silent)} within "
                    f"{pairing.cycle.response_days} days."
                )
                _cancel(pairing, actor=None, reason=reason, at=now)
                expired += 1
