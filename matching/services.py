"""Turning proposals into pairings, and the two people's answers to them."""

import dataclasses
import logging
import time
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.languages import language_names
from accounts.models import MentorProfile, User, meeting_way_labels
from applications import services as application_services
from applications.models import Application
from mentorship import services as mentorship_services
from mentorship.models import OutboundEmail, Pairing
from mentorship.months import add_months
from mentorship.selectors import local_time
from mentorship.services import (
    absolute_url,
    email_build,
    email_queue_many,
    email_render_and_queue,
    pairing_url,
)

from . import selectors, solver
from .models import MatchRun, MenteePreference, Proposal, Unmatched
from .scoring import (
    HardRules,
    MenteeData,
    MentorData,
    Weights,
    ineligibility,
    rank_mentors,
    score,
    utc_offset_minutes,
    working_hours_overlap,
)

logger = logging.getLogger(__name__)


class MatchingError(Exception):
    """A request the proposal's or pairing's state does not allow; says why."""


def _open_pairings(mentor_user_id: int, cycle_id: int) -> int:
    return Pairing.objects.filter(
        mentor_id=mentor_user_id, cycle_id=cycle_id, status__in=Pairing.OPEN
    ).count()


def _pairing_email(
    pairing: Pairing, person: User, *, template: str, **context
) -> OutboundEmail:
    """One of the two people's emails about their pairing, built in memory
    for email_queue_many."""
    other = pairing.other_person(person)
    return email_build(
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
            "pairing_url": pairing_url(pairing.pk),
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
    # Locked, so a swap made at the same moment is either before (and this
    # accepts the new mentor) or after (and finds the proposal accepted).
    proposals = list(
        Proposal.objects.select_for_update(of=("self",))
        .filter(pk__in=proposal_ids)
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
        # The run is a snapshot: since it was made the mentor may have paused,
        # staff may have excluded the pair, or one of them declined the other.
        refusal = hard_rule_refusal(proposal.application, mentor, cycle)
        if refusal:
            raise MatchingError(
                f"{proposal.application.applicant} cannot be paired with "
                f"{mentor.user} any more: {refusal}."
            )
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
        mentorship_services.pairing_record(
            pairing, actor=actor, description="Proposed by staff"
        )
        taken[mentor.pk] += 1
        proposal.status = Proposal.Status.ACCEPTED
        proposal.pairing = pairing
        proposal.save(update_fields=["status", "pairing"])
        email_queue_many(
            [
                _pairing_email(pairing, person, template="pairing_proposed")
                for person in (pairing.mentee, pairing.mentor)
            ]
        )
        pairings.append(pairing)
    return pairings


def hard_rule_refusal(
    application: Application, mentor: MentorProfile, cycle
) -> str | None:
    """Why this mentee and mentor may not be paired now, from fresh data."""
    applicant = application.applicant
    excluded = selectors.never_paired(
        cycle, mentee_ids=[applicant.pk], mentor_ids=[mentor.user_id]
    )
    rules = HardRules(
        same_sub_region_allowed=not cycle.require_different_sub_region,
        never_pair=frozenset({(application.pk, mentor.pk)} if excluded else ()),
    )
    return ineligibility(
        MenteeData(
            id=application.pk,
            country=application.practice_country.code or applicant.country.code,
        ),
        MentorData(
            id=mentor.pk,
            country=mentor.user.country.code,
            approved=mentor.status == MentorProfile.Status.APPROVED,
            active=mentor.user.is_active,
            available=mentor.is_available,
        ),
        rules,
    )


def _return_to_staff(cancelled: list[tuple[Pairing, str]], *, actor) -> None:
    """Each cancelled pairing's mentee goes back to staff, with the reason:
    a fixed number of queries however many."""
    matched = {
        (application.applicant_id, application.cycle_id): application
        for application in Application.objects.filter(
            applicant_id__in={pairing.mentee_id for pairing, _ in cancelled},
            cycle_id__in={pairing.cycle_id for pairing, _ in cancelled},
        ).only("pk", "applicant_id", "cycle_id", "status")
    }
    reasons = {}
    for pairing, reason in cancelled:
        application = matched.get((pairing.mentee_id, pairing.cycle_id))
        if application is None or application.status != Application.Status.MATCHED:
            # Withdrawn meanwhile, say: nothing to return; the pairing still ends.
            logger.warning(
                "Pairing %s ended; its application is not matched (%s)",
                pairing.pk,
                application and application.status,
            )
            continue
        reasons[application.pk] = reason
    if reasons:
        application_services.applications_return_to_staff(reasons=reasons, actor=actor)


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
        _cancel([(pairing, why)], actor=user, at=now)
        return pairing
    if pairing.accepted_by(user):
        return pairing
    setattr(pairing, f"{role}_accepted_at", now)
    fields = [f"{role}_accepted_at"]
    both = pairing.mentee_accepted_at and pairing.mentor_accepted_at
    if both:
        cycle = pairing.cycle
        starts_on = max(cycle.program_starts_on or now.date(), now.date())
        pairing.confirmed_at = now
        pairing.starts_on = starts_on
        pairing.months = cycle.program_months
        pairing.ends_on = add_months(starts_on, pairing.months)
        fields += ["confirmed_at", "starts_on", "months", "ends_on"]
    pairing.save(update_fields=fields)
    mentorship_services.pairing_record(
        pairing, actor=user, description=f"The {role} accepted"
    )
    if both:
        mentorship_services.pairing_set_status(
            pairing,
            Pairing.Status.CONFIRMED,
            actor=user,
            description="Confirmed: both accepted",
        )
        pairing_introduce(pairing)
    return pairing


def _profile_of(pairing: Pairing, person: User) -> dict:
    """What the introduction says about one of the two."""
    if person.pk == pairing.mentor_id:
        profile = (
            MentorProfile.objects.filter(user=person)
            .prefetch_related("interests", "career_goals")
            .first()
        )
        if profile is None:
            return {}
        return {
            "position": profile.position,
            "interests": [str(i) for i in profile.interests.all()],
            "career_goals": [str(g) for g in profile.career_goals.all()],
            "meeting_ways": profile.meeting_way_labels,
            "languages": profile.language_names,
        }
    application = (
        Application.objects.filter(applicant=person, cycle_id=pairing.cycle_id)
        .prefetch_related("interests", "career_goals")
        .first()
    )
    if application is None:
        return {}
    return {
        "position": application.position,
        "interests": [str(i) for i in application.interests.all()],
        "career_goals": [str(g) for g in application.career_goals.all()],
        "meeting_ways": meeting_way_labels(application.meeting_ways),
        "languages": language_names(["en", *application.languages]),
    }


def pairing_introduce(pairing: Pairing) -> None:
    """Introduce the two by email and mark the pairing introduced.

    The emails are outbox rows written in the caller's transaction, so the
    introduction is sent (by a task, or else by the sweep) exactly when the
    confirmation commits.
    """
    today = timezone.now().date()
    overlap = working_hours_overlap(
        utc_offset_minutes(pairing.mentee.time_zone, today),
        utc_offset_minutes(pairing.mentor.time_zone, today),
    )
    profiles = {
        person.pk: _profile_of(pairing, person)
        for person in (pairing.mentee, pairing.mentor)
    }
    for person in (pairing.mentee, pairing.mentor):
        other = pairing.other_person(person)
        email_render_and_queue(
            key=f"intro:pairing:{pairing.pk}:{pairing.role_of(person)}",
            event="pairing.introduction",
            to=person.email,
            template="pairing_introduction",
            time_zone=person.time_zone,
            context={
                "pairing": pairing,
                "person": person,
                "other": other,
                "role": pairing.role_of(person),
                "profile": profiles[other.pk],
                "other_time": local_time(
                    other.time_zone, reader_time_zone=person.time_zone
                ),
                "overlap_hours": overlap,
                "pairing_url": pairing_url(pairing.pk),
                "plan_url": absolute_url(reverse("mentorship:plan", args=[pairing.pk])),
            },
        )
    mentorship_services.pairing_set_status(
        pairing,
        Pairing.Status.INTRODUCED,
        actor=None,
        description="Introduced to one another by email",
    )


def _cancel(cancels: list[tuple[Pairing, str]], *, actor, at) -> None:
    """Cancel proposed pairings, each with its reason (for staff): status,
    when and why, the event; each mentee back to staff; both people told.
    A fixed number of queries however many. The caller holds the pairings'
    row locks and has checked that each is proposed.

    The emails are built before anything is written, so one that cannot be
    built writes nothing."""
    if not cancels:
        return
    emails = []
    for pairing, reason in cancels:
        pairing.status = Pairing.Status.CANCELLED
        pairing.ended_at = at
        pairing.end_reason = reason
        # The reason is for staff; neither person is told what the other said.
        emails += [
            _pairing_email(
                pairing,
                person,
                template="pairing_cancelled",
                you_declined=actor is not None and actor.pk == person.pk,
            )
            for person in (pairing.mentee, pairing.mentor)
        ]
    Pairing.objects.bulk_update(
        [pairing for pairing, _ in cancels], ["status", "ended_at", "end_reason"]
    )
    mentorship_services.pairings_record(cancels, actor=actor)
    _return_to_staff(cancels, actor=actor)
    email_queue_many(emails)


def _no_answer_reason(pairing: Pairing) -> str:
    silent = [
        str(person)
        for person, answered in (
            (pairing.mentee, pairing.mentee_accepted_at),
            (pairing.mentor, pairing.mentor_accepted_at),
        )
        if answered is None
    ]
    return (
        f"No answer from {' and '.join(silent)} within "
        f"{pairing.cycle.response_days} days."
    )


@transaction.atomic
def _expire(pairing_ids: list[int], now) -> int:
    """Cancel those of these proposals still unanswered past their date, each
    under its row lock, so an answer arriving at the same moment wins or
    loses cleanly. Returns how many."""
    pairings = list(
        Pairing.objects.select_for_update(of=("self",))
        .select_related("cycle", "mentee", "mentor")
        .filter(pk__in=pairing_ids, status=Pairing.Status.PROPOSED, respond_by__lt=now)
        .order_by("pk")
    )
    _cancel(
        [(pairing, _no_answer_reason(pairing)) for pairing in pairings],
        actor=None,
        at=now,
    )
    return len(pairings)


def pairings_expire_unanswered(*, now=None, batch_size: int = 200) -> int:
    """Cancel proposals whose answer is overdue; each mentee goes back to staff.

    In batches, each in its own transaction and a fixed number of queries. A
    batch that fails is cancelled again one proposal at a time, so one
    broken pairing holds up only itself (until the next run).
    """
    now = now or timezone.now()
    due = list(
        Pairing.objects.filter(status=Pairing.Status.PROPOSED, respond_by__lt=now)
        # The longest overdue first, through the index of answers awaited
        # (the pairings' own order would walk them all).
        .order_by("respond_by")
        .values_list("pk", flat=True)
    )
    return sum(
        # One broken pairing must not hold up the rest.
        mentorship_services.batch_or_one_by_one(
            lambda ids: _expire(ids, now),
            due[start : start + batch_size],
            doing="Expiring pairing",
        )
        for start in range(0, len(due), batch_size)
    )


# Match runs


def weights_for(cycle) -> Weights:
    return Weights.from_dict(cycle.matching_weights or {})


def _alternatives(result_alternatives, profiles) -> list[dict]:
    return [
        {"mentor": mentor_id, "name": str(profiles[mentor_id].user), "score": points}
        for mentor_id, points in result_alternatives
    ]


def unmatched_reason(mentee: MenteeData, mentors, rules: HardRules) -> str:
    """Why a mentee is left without a proposal, in words staff can act on."""
    where = (
        f"outside {mentee.country} and {mentee.sub_region}"
        if not rules.same_sub_region_allowed
        else f"outside {mentee.country}"
    )
    eligible = [m for m in mentors if ineligibility(mentee, m, rules) is None]
    if not eligible:
        return f"No approved, available mentor {where}."
    with_room = [m for m in eligible if m.capacity > 0]
    if not with_room:
        return f"All {len(eligible)} eligible mentor(s) {where} are full this cycle."
    sharing = [m for m in with_room if mentee.interests & m.interests]
    if not sharing:
        return (
            f"{len(with_room)} mentor(s) {where} had free places, but none shares "
            "an interest, and their places went to mentees they suit better."
        )
    return (
        f"{len(with_room)} mentor(s) {where} had free places "
        f"({len(sharing)} sharing an interest), but each place went to a mentee "
        "they suit better; more mentees are matched this way."
    )


@transaction.atomic
def match_run_create(*, cycle, actor: User, previous: MatchRun | None = None):
    """Propose matches for everyone waiting in the cycle and save them as a run.

    Re-running from a previous run keeps the pairs staff locked there and
    proposes for the rest. Nothing is applied: staff accept proposals later.
    """
    locked = (
        list(previous.proposals.filter(locked=True, status=Proposal.Status.PROPOSED))
        if previous
        else []
    )
    pool = selectors.pool_for_cycle(
        cycle,
        leave_out={p.application_id for p in locked},
        reserved=Counter(p.mentor_id for p in locked),
    )
    weights = weights_for(cycle)
    started = time.perf_counter()
    result = solver.propose(
        pool.mentees, pool.mentors, weights, pool.rules, pool.labels, alternatives=2
    )
    seconds = time.perf_counter() - started
    run = MatchRun.objects.create(
        cycle=cycle,
        created_by=actor,
        previous=previous,
        weights=weights.to_dict(),
        mentees=len(pool.mentees) + len(locked),
        slots=sum(m.capacity for m in pool.mentors) + len(locked),
        matched=len(result.pairs) + len(locked),
        total_score=sum(p.score.total for p in result.pairs)
        + sum(p.score for p in locked),
        optimal=result.optimal,
        seconds=seconds,
    )
    Proposal.objects.bulk_create(
        [
            Proposal(
                run=run,
                application_id=p.application_id,
                mentor_id=p.mentor_id,
                score=p.score,
                reasons=p.reasons,
                alternatives=p.alternatives,
                locked=True,
                swapped=p.swapped,
            )
            for p in locked
        ]
        + [
            Proposal(
                run=run,
                application_id=pair.mentee_id,
                mentor_id=pair.mentor_id,
                score=pair.score.total,
                reasons=pair.score.reasons,
                alternatives=_alternatives(pair.alternatives, pool.profiles),
            )
            for pair in result.pairs
        ]
    )
    # Earlier runs' proposals for the cycle are history now: accepting one
    # would bypass what staff see on this run.
    Proposal.objects.filter(run__cycle=cycle, status=Proposal.Status.PROPOSED).exclude(
        run=run
    ).update(status=Proposal.Status.SUPERSEDED, locked=False)
    mentees = {m.id: m for m in pool.mentees}
    Unmatched.objects.bulk_create(
        [
            Unmatched(
                run=run,
                application_id=mentee_id,
                reason=unmatched_reason(mentees[mentee_id], pool.mentors, pool.rules),
            )
            for mentee_id in result.unmatched
        ]
    )
    return run


def _live_proposal(proposal_id: int) -> Proposal:
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("run__cycle", "application__applicant", "mentor__user")
        .get(pk=proposal_id)
    )
    if proposal.status != Proposal.Status.PROPOSED:
        raise MatchingError(
            f"The proposal for {proposal.application.applicant} is already "
            f"{proposal.get_status_display().lower()}."
        )
    return proposal


def places_left_in_run(run: MatchRun, profiles) -> dict[int, int]:
    """Per mentor profile: places this cycle not taken by open pairings nor by
    the run's other live proposals."""
    proposed = Counter(
        run.proposals.filter(status=Proposal.Status.PROPOSED).values_list(
            "mentor_id", flat=True
        )
    )
    return {p.pk: p.capacity - p.taken - proposed[p.pk] for p in profiles}


def swap_options(proposal: Proposal):
    """Every approved mentor for this proposal's mentee: the eligible ones by
    score, with their free places in this run, and the others with why not."""
    cycle = proposal.run.cycle
    pool = selectors.pool_for_one(proposal.application, cycle)
    ranking = rank_mentors(
        pool.mentees[0], pool.mentors, weights_for(cycle), pool.rules, pool.labels
    )
    room = places_left_in_run(proposal.run, pool.profiles.values())
    return ranking, pool.profiles, room


@transaction.atomic
def proposal_swap(*, proposal_id: int, mentor_id: int, actor: User) -> Proposal:
    """Give the proposal's mentee another mentor staff chose from the ranking."""
    proposal = _live_proposal(proposal_id)
    if mentor_id == proposal.mentor_id:
        return proposal
    cycle = proposal.run.cycle
    pool = selectors.pool_for_one(proposal.application, cycle)
    mentor = next((m for m in pool.mentors if m.id == mentor_id), None)
    if mentor is None:
        raise MatchingError("That mentor is not an approved mentor.")
    mentee = pool.mentees[0]
    reason = ineligibility(mentee, mentor, pool.rules)
    if reason:
        raise MatchingError(
            f"{pool.profiles[mentor_id].user} cannot be proposed: {reason}."
        )
    if places_left_in_run(proposal.run, [pool.profiles[mentor_id]])[mentor_id] <= 0:
        raise MatchingError(
            f"{pool.profiles[mentor_id].user} has no free place left in these "
            "proposals; remove or swap one of their other mentees first."
        )
    points = score(mentee, mentor, weights_for(cycle), pool.labels)
    proposal.mentor_id = mentor_id
    proposal.score = points.total
    proposal.reasons = points.reasons
    proposal.swapped = True
    proposal.save(update_fields=["mentor", "score", "reasons", "swapped"])
    return proposal


@transaction.atomic
def proposal_set_locked(*, proposal_id: int, locked: bool) -> Proposal:
    proposal = _live_proposal(proposal_id)
    proposal.locked = locked
    proposal.save(update_fields=["locked"])
    return proposal


@transaction.atomic
def proposal_remove(*, proposal_id: int) -> Proposal:
    """Take a pair out of the proposals; re-running proposes for the mentee
    again."""
    proposal = _live_proposal(proposal_id)
    proposal.status = Proposal.Status.REMOVED
    proposal.locked = False
    proposal.save(update_fields=["status", "locked"])
    return proposal


# Mentee preferences

MAX_CHOICES = 3


def preferences_application(user: User):
    """The application through which this person may rank mentors now, if any:
    approved, in a cycle that has rankings open, and not yet paired."""
    return (
        Application.objects.filter(
            applicant=user,
            status=Application.Status.APPROVED,
            cycle__preferences_open=True,
        )
        .select_related("cycle", "applicant")
        .order_by("-cycle__opens_at", "-pk")
        .first()
    )


def preference_options(application: Application):
    """The mentors this mentee may rank: eligible, with a free place, best fit
    first, each with what the two share."""
    pool = selectors.pool_for_one(application, application.cycle)
    # Ranked and explained by what the two share only: the mentee's own
    # ranking and a waiting bonus are staff's business, not a fit.
    shared_only = dataclasses.replace(
        weights_for(application.cycle),
        first_choice=0,
        second_choice=0,
        third_choice=0,
        waiting=0,
    )
    mentee = dataclasses.replace(pool.mentees[0], preferred_mentors=(), waiting=False)
    ranking = rank_mentors(mentee, pool.mentors, shared_only, pool.rules, pool.labels)
    room = {m.id: m.capacity for m in pool.mentors}
    return [
        (pool.profiles[mentor_id], points)
        for mentor_id, points in ranking.eligible
        if room[mentor_id] > 0
    ]


@transaction.atomic
def preferences_save(*, application: Application, mentor_ids: list[int]) -> None:
    """Replace the mentee's ranking, best first. Every mentor must be one the
    mentee may rank, so a hand-made request cannot rank anyone else."""
    allowed = {profile.pk for profile, _ in preference_options(application)}
    if len(mentor_ids) > MAX_CHOICES or len(set(mentor_ids)) != len(mentor_ids):
        raise MatchingError(f"Rank up to {MAX_CHOICES} different mentors.")
    if not set(mentor_ids) <= allowed:
        raise MatchingError("One of the mentors cannot be ranked; choose again.")
    MenteePreference.objects.filter(application=application).delete()
    MenteePreference.objects.bulk_create(
        MenteePreference(application=application, mentor_id=mentor_id, rank=rank)
        for rank, mentor_id in enumerate(mentor_ids, start=1)
    )
