"""What matching reads from the database, as the plain data scoring expects.

Each function runs a fixed number of queries, whatever the number of mentees
and mentors.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import Interest, MeetingWay, MentorProfile
from accounts.regions import region_of
from applications.models import Application, ApplicationEvent, EligibilityOutcome
from mentorship.models import Cycle, Pairing, PairingEvent
from mentorship.selectors import YEAR_BEGUN

from .models import Exclusion, MenteePreference
from .scoring import HardRules, MenteeData, MentorData, utc_offset_minutes


@dataclass
class Pool:
    """The mentees waiting for a mentor in a cycle, and the mentors who could
    take them, keyed by application and mentor profile ids."""

    mentees: list[MenteeData]
    mentors: list[MentorData]
    rules: HardRules
    labels: dict
    applications: dict[int, Application]
    profiles: dict[int, MentorProfile]


def waiting_applications(cycle: Cycle):
    """Approved applications in the cycle whose applicant has no open pairing."""
    paired = Pairing.objects.filter(cycle=cycle, status__in=Pairing.OPEN).values(
        "mentee_id"
    )
    return (
        Application.objects.filter(cycle=cycle, status=Application.Status.APPROVED)
        .exclude(applicant_id__in=paired)
        .select_related("applicant")
        .prefetch_related("interests", "career_goals")
        .order_by("pk")
    )


def mentor_profiles(cycle: Cycle):
    """Approved mentors, with how many mentees they already have this cycle."""
    return (
        MentorProfile.objects.filter(status=MentorProfile.Status.APPROVED)
        .select_related("user")
        .prefetch_related("interests", "career_goals")
        .annotate(
            taken=Count(
                "user__pairings_as_mentor",
                filter=Q(
                    user__pairings_as_mentor__cycle=cycle,
                    user__pairings_as_mentor__status__in=Pairing.OPEN,
                ),
            )
        )
        .order_by("pk")
    )


def labels() -> dict:
    names = dict(Interest.objects.values_list("pk", "name"))
    return {**names, **dict(MeetingWay.choices)}


def mentee_data(application: Application, *, preferences=(), on=None) -> MenteeData:
    return MenteeData(
        id=application.pk,
        country=application.practice_country.code or application.applicant.country.code,
        interests=frozenset(i.pk for i in application.interests.all()),
        career_goals=frozenset(g.pk for g in application.career_goals.all()),
        meeting_ways=frozenset(application.meeting_ways),
        # English is a condition of the program, so every mentee speaks it.
        languages=frozenset(["en", *application.languages]),
        utc_offset=utc_offset_minutes(
            application.time_zone or application.applicant.time_zone, *_on(on)
        ),
        preferred_mentors=tuple(preferences),
        waiting=application.waiting_for_mentor_since is not None,
    )


def mentor_data(profile: MentorProfile, *, reserved: int = 0, on=None) -> MentorData:
    return MentorData(
        id=profile.pk,
        country=profile.user.country.code,
        capacity=max(0, profile.capacity - profile.taken - reserved),
        interests=frozenset(i.pk for i in profile.interests.all()),
        career_goals=frozenset(g.pk for g in profile.career_goals.all()),
        meeting_ways=frozenset(profile.meeting_ways),
        languages=frozenset(profile.languages),
        utc_offset=utc_offset_minutes(profile.user.time_zone, *_on(on)),
        approved=profile.status == MentorProfile.Status.APPROVED,
        active=profile.user.is_active,
        available=profile.is_available,
    )


def _on(day) -> tuple:
    # Working hours are compared on the day the cycle's year starts, when the
    # two people will be talking; daylight saving time makes the date matter.
    return (day,) if day else ()


def pool_for_cycle(
    cycle: Cycle,
    *,
    leave_out: Collection[int] = (),
    reserved: Mapping[int, int] | None = None,
) -> Pool:
    """Everyone matching may consider for a cycle.

    ``leave_out`` are applications already placed (pairs staff locked);
    ``reserved`` counts the places those pairs take, by mentor profile id.
    """
    reserved = reserved or {}
    applications = {
        a.pk: a for a in waiting_applications(cycle) if a.pk not in set(leave_out)
    }
    profiles = {p.pk: p for p in mentor_profiles(cycle)}
    ranked: dict[int, list[int]] = {}
    for application_id, mentor_id in (
        MenteePreference.objects.filter(application_id__in=applications)
        .order_by("application_id", "rank")
        .values_list("application_id", "mentor_id")
    ):
        ranked.setdefault(application_id, []).append(mentor_id)
    mentee_of_user = {a.applicant_id: a.pk for a in applications.values()}
    profile_of_user = {p.user_id: p.pk for p in profiles.values()}
    never_pair = frozenset(
        (mentee_of_user[mentee], profile_of_user[mentor])
        for mentee, mentor in never_paired(
            cycle, mentee_ids=mentee_of_user, mentor_ids=profile_of_user
        )
    )
    on = cycle.program_starts_on
    return Pool(
        mentees=[
            mentee_data(a, preferences=ranked.get(a.pk, ()), on=on)
            for a in applications.values()
        ],
        mentors=[
            mentor_data(p, reserved=reserved.get(p.pk, 0), on=on)
            for p in profiles.values()
        ],
        rules=HardRules(
            same_sub_region_allowed=not cycle.require_different_sub_region,
            never_pair=never_pair,
        ),
        labels=labels(),
        applications=applications,
        profiles=profiles,
    )


def pool_for_one(application: Application, cycle: Cycle) -> Pool:
    """One mentee and every approved mentor: for swapping a mentor by hand."""
    application = (
        Application.objects.select_related("applicant")
        .prefetch_related("interests", "career_goals")
        .get(pk=application.pk)
    )
    profiles = {p.pk: p for p in mentor_profiles(cycle)}
    ranked = list(
        MenteePreference.objects.filter(application=application)
        .order_by("rank")
        .values_list("mentor_id", flat=True)
    )
    excluded = {
        mentor
        for _, mentor in never_paired(
            cycle,
            mentee_ids=[application.applicant_id],
            mentor_ids=[p.user_id for p in profiles.values()],
        )
    }
    on = cycle.program_starts_on
    return Pool(
        mentees=[mentee_data(application, preferences=ranked, on=on)],
        mentors=[mentor_data(p, on=on) for p in profiles.values()],
        rules=HardRules(
            same_sub_region_allowed=not cycle.require_different_sub_region,
            never_pair=frozenset(
                (application.pk, p.pk)
                for p in profiles.values()
                if p.user_id in excluded
            ),
        ),
        labels=labels(),
        applications={application.pk: application},
        profiles=profiles,
    )


def never_paired(cycle: Cycle, *, mentee_ids, mentor_ids) -> set[tuple[int, int]]:
    """(mentee user id, mentor user id) pairs never to propose: staff
    exclusions, and pairs whose proposal in this cycle one of them declined or
    let lapse."""
    excluded = Exclusion.objects.filter(
        mentee_id__in=mentee_ids, mentor_id__in=mentor_ids
    ).values_list("mentee_id", "mentor_id")
    fell_through = Pairing.objects.filter(
        cycle=cycle,
        status=Pairing.Status.CANCELLED,
        mentee_id__in=mentee_ids,
        mentor_id__in=mentor_ids,
    ).values_list("mentee_id", "mentor_id")
    return set(excluded) | set(fell_through)


# The staff progress dashboard


@dataclass(frozen=True)
class Stage:
    label: str
    count: int
    explanation: str


def cycle_funnel(cycle: Cycle) -> list[Stage]:
    """How far the cycle's mentees got, from application to a completed year.
    Each stage counts the people who reached it, whatever happened after: an
    approved applicant who later withdrew still counts as approved. Two
    queries."""
    Status = Application.Status
    approved_once = ApplicationEvent.objects.filter(
        application=OuterRef("pk"), status=Status.APPROVED
    )
    applications = Application.objects.filter(
        cycle=cycle, submitted_at__isnull=False
    ).aggregate(
        submitted=Count("pk"),
        # The rules' outcome after staff overrides: an application the rules
        # ruled out stays ruled out when it is withdrawn or reopened.
        eligible=Count("pk", filter=~Q(eligibility_outcome=EligibilityOutcome.FAIL)),
        approved=Count(
            "pk",
            filter=Q(status__in=[Status.APPROVED, Status.MATCHED])
            | Q(Exists(approved_once)),
        ),
    )
    was_active = PairingEvent.objects.filter(
        pairing=OuterRef("pk"), status=Pairing.Status.ACTIVE
    )
    pairings = Pairing.objects.filter(cycle=cycle).aggregate(
        matched=Count("mentee", distinct=True),
        confirmed=Count("mentee", distinct=True, filter=Q(confirmed_at__isnull=False)),
        active=Count(
            "mentee",
            distinct=True,
            filter=Q(status__in=[Pairing.Status.ACTIVE, Pairing.Status.COMPLETED])
            | Q(Exists(was_active)),
        ),
        completed=Count(
            "mentee", distinct=True, filter=Q(status=Pairing.Status.COMPLETED)
        ),
    )
    return [
        Stage("Submitted", applications["submitted"], "Applications sent in"),
        Stage("Eligible", applications["eligible"], "Not ruled out by the rules"),
        Stage("Approved", applications["approved"], "Approved by staff"),
        Stage("Matched", pairings["matched"], "Proposed a mentor"),
        Stage("Confirmed", pairings["confirmed"], "Both accepted the pairing"),
        Stage("Active", pairings["active"], "In touch with their mentor"),
        Stage("Completed", pairings["completed"], "Completed the year"),
    ]


@dataclass
class RegionRow:
    region: str
    sub_region: str
    applied: int = 0
    mentees: int = 0
    mentors: int = 0


NOT_GIVEN = "Not given"


def cycle_regions(cycle: Cycle) -> list[RegionRow]:
    """Mentees who applied and who were matched, and mentors paired for the
    year, by UN M49 region and sub-region: mentees by the country they
    practise in, as their application says and matching reads it; mentors by
    their own. Three queries, grouped by country."""
    rows: dict[str, RegionRow] = {}

    def row(code) -> RegionRow:
        code = str(code or "")
        try:
            place = region_of(code)
            region, sub_region = place.region, place.sub_region
        except KeyError:
            region = sub_region = NOT_GIVEN
        return rows.setdefault(sub_region, RegionRow(region, sub_region))

    applied = (
        Application.objects.filter(cycle=cycle, submitted_at__isnull=False)
        .values_list("practice_country")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for code, n in applied:
        row(code).applied += n
    # Matched: the application led to a pairing. Counted from the
    # application, which keeps its country when its applicant's account is
    # deleted.
    for code, n in (
        Application.objects.filter(cycle=cycle, status=Application.Status.MATCHED)
        .values_list("practice_country")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        row(code).mentees += n
    paired = Pairing.objects.filter(cycle=cycle, status__in=YEAR_BEGUN)
    for code, n in (
        paired.values_list("mentor__country")
        .annotate(n=Count("mentor", distinct=True))
        .order_by()
    ):
        row(code).mentors += n
    return sorted(
        rows.values(),
        key=lambda r: (r.region == NOT_GIVEN, r.region, r.sub_region),
    )
