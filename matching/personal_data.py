"""What matching holds about a person: their rankings of mentors, the
proposals made for them, and staff's "never pair" exclusions; a part of
``accounts.personal_data`` (registered in ``MatchingConfig.ready``)."""

from django.db.models import Q

from accounts.models import FORMER_PARTICIPANT, MentorProfile, User
from accounts.personal_data import Erasure, Export, Part
from mentorship.models import Pairing

from . import services
from .models import Exclusion, MenteePreference, Proposal


def _export(export: Export) -> dict:
    user = export.user
    preferences = (
        MenteePreference.objects.filter(application__applicant=user)
        .select_related("application__cycle", "mentor__user")
        .order_by("application__cycle__name", "rank")
    )
    proposals = (
        Proposal.objects.filter(Q(application__applicant=user) | Q(mentor__user=user))
        .select_related("run__cycle", "application__applicant", "mentor__user")
        .order_by("run__created_at", "pk")
    )
    # Staff's reason not to pair two people is about both of them; each may
    # read it in their copy (the form says so).
    exclusions = Exclusion.objects.filter(
        Q(mentee=user) | Q(mentor=user)
    ).select_related("mentee", "mentor")
    return {
        "your_rankings_of_mentors": [
            {"cycle": p.application.cycle.name, "rank": p.rank, "mentor": str(p.mentor)}
            for p in preferences
        ],
        "proposals": [_proposal(user, p) for p in proposals],
        "never_paired_with": [
            {
                "person": str(e.mentor if e.mentee_id == user.pk else e.mentee),
                "staff_note": e.note,
                "since": e.created_at,
            }
            for e in exclusions
        ],
    }


def _proposal(user, proposal: Proposal) -> dict:
    as_mentee = proposal.application.applicant_id == user.pk
    return {
        "cycle": proposal.run.cycle.name,
        "proposed_at": proposal.run.created_at,
        "your_role": "mentee" if as_mentee else "mentor",
        "with": str(
            proposal.mentor if as_mentee else proposal.application.applicant_label
        ),
        "fit_score": proposal.score,
        "why": proposal.reasons,
        "status": proposal.get_status_display(),
    }


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    # A proposal still waiting for answers is declined on their behalf: the
    # other person is told it will not go ahead, a mentee returns to staff.
    for pairing_id in Pairing.objects.filter(
        Q(mentee=user) | Q(mentor=user), status=Pairing.Status.PROPOSED
    ).values_list("pk", flat=True):
        services.pairing_respond(pairing_id=pairing_id, user=user, accept=False)
    Exclusion.objects.filter(Q(mentee=user) | Q(mentor=user)).delete()
    MenteePreference.objects.filter(application__applicant=user).delete()
    profile = MentorProfile.objects.filter(user=user).first()
    if profile is not None:
        _forget_in_alternatives(profile)


def _forget_in_alternatives(profile: MentorProfile) -> None:
    """Each proposal lists, by name, the next best mentors for its mentee;
    only runs since the mentor volunteered can list this one."""
    profile_id = profile.pk
    proposals = Proposal.objects.filter(run__created_at__gte=profile.created_at).only(
        "pk", "alternatives"
    )
    for proposal in proposals.iterator(chunk_size=1000):
        if not any(a.get("mentor") == profile_id for a in proposal.alternatives):
            continue
        alternatives = [
            {**a, "name": FORMER_PARTICIPANT} if a.get("mentor") == profile_id else a
            for a in proposal.alternatives
        ]
        Proposal.objects.filter(pk=proposal.pk).update(alternatives=alternatives)


def _describe(user: User) -> list[str]:
    proposed = Pairing.objects.filter(
        Q(mentee=user) | Q(mentor=user), status=Pairing.Status.PROPOSED
    ).count()
    if not proposed:
        return []
    return [
        f"{proposed} proposed pairing(s) declined on their behalf: the other "
        "person is told it will not go ahead; a mentee goes back to staff."
    ]


MATCHING = Part(name="matching", export=_export, erase=_erase, describe=_describe)
