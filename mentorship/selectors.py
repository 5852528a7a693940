from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.timezones import zone_or_utc

from . import months as program
from . import reminders, surveys
from .models import (
    Activity,
    CheckIn,
    Cycle,
    Objective,
    Pairing,
    PulseAnswer,
    StaffContact,
    SurveyResponse,
)


@dataclass(frozen=True)
class CycleStatus:
    """Where applications stand at one instant."""

    open_cycle: Cycle | None
    next_cycle: Cycle | None

    @property
    def is_open(self) -> bool:
        return self.open_cycle is not None


def cycle_status(*, at=None) -> CycleStatus:
    """The cycle open at ``at`` (default: now), or else the one to come.

    The next cycle is the first one with dates still ahead; failing that, the
    latest cycle announced only by season ("Fall 2027").
    """
    at = at or timezone.now()
    # Windows are half-open, [opens_at, closes_at): at the closing instant
    # applications are already closed.
    open_cycle = (
        Cycle.objects.filter(opens_at__lte=at, closes_at__gt=at)
        .order_by("opens_at")
        .first()
    )
    next_cycle = None
    if open_cycle is None:
        next_cycle = (
            Cycle.objects.filter(opens_at__gt=at).order_by("opens_at").first()
            or Cycle.objects.filter(opens_at__isnull=True)
            .exclude(expected_opening="")
            .order_by("-created_at", "-pk")
            .first()
        )
    return CycleStatus(open_cycle=open_cycle, next_cycle=next_cycle)


def overlapping_cycles(cycle: Cycle):
    """Other cycles whose application window shares an instant with this one's."""
    if cycle.opens_at is None or cycle.closes_at is None:
        return Cycle.objects.none()
    return Cycle.objects.filter(
        opens_at__lt=cycle.closes_at, closes_at__gt=cycle.opens_at
    ).exclude(pk=cycle.pk)


def pairings_for_user(user) -> QuerySet[Pairing]:
    """The pairings this person belongs to, as mentee or mentor, newest first.

    Cancelled proposals are left out: the two people never became a pair.
    """
    return (
        Pairing.objects.filter(Q(mentee=user) | Q(mentor=user))
        .filter(status__in=Pairing.VISIBLE)
        .select_related("cycle", "mentee", "mentor")
    )


@dataclass(frozen=True)
class LocalTime:
    """What time it is for someone else, and how far that is from the reader."""

    now: datetime
    time_zone: str
    hours_ahead: float

    @property
    def difference(self) -> str:
        if self.hours_ahead == 0:
            return "the same time as you"
        hours = abs(self.hours_ahead)
        whole = int(hours)
        minutes = round((hours - whole) * 60)
        amount = f"{whole} h" + (f" {minutes} min" if minutes else "")
        return f"{amount} {'ahead of' if self.hours_ahead > 0 else 'behind'} you"


def local_time(time_zone: str, *, reader_time_zone: str, at=None) -> LocalTime:
    at = at or timezone.now()
    theirs = at.astimezone(zone_or_utc(time_zone))
    mine = at.astimezone(zone_or_utc(reader_time_zone))
    offset = theirs.utcoffset() - mine.utcoffset()
    return LocalTime(
        now=theirs,
        time_zone=time_zone,
        hours_ahead=offset.total_seconds() / 3600,
    )


def pairing_months(pairing: Pairing, checkins) -> list[program.Month]:
    """The pairing's year as months, seen from the reader's today; empty until
    the year has a start. ``checkins`` are the pairing's, already fetched."""
    if pairing.starts_on is None:
        return []
    count = pairing.months
    talked = set(
        pairing.pulse_answers.filter(talked=True).values_list("month", flat=True)
    )
    return program.month_statuses(
        starts_on=pairing.starts_on,
        count=count,
        contacts=reminders.with_pulses(
            [c.occurred_on for c in checkins if c.counts],
            program.program_months(pairing.starts_on, count),
            talked,
        ),
        today=timezone.localdate(),
        closed_on=closed_on(pairing),
    )


def closed_on(pairing: Pairing) -> date | None:
    """The reader's date on which the pairing closed, once it has."""
    if pairing.status in (Pairing.Status.COMPLETED, Pairing.Status.ENDED) and (
        pairing.ended_at
    ):
        return timezone.localdate(pairing.ended_at)
    return None


@dataclass(frozen=True)
class PlanChange:
    at: datetime
    who: str
    what: str


def plan_changes(pairing: Pairing, *, limit: int = 40) -> list[PlanChange]:
    """The plan's changes, newest first: who changed which objective or
    activity, and how. Two queries, whatever the plan's size."""
    changes = []
    for model, noun in ((Objective, "objective"), (Activity, "activity")):
        rows = (
            model.history.filter(pairing_id=pairing.pk)
            .select_related("history_user")
            .order_by("id", "history_date", "history_id")
        )
        previous = {}
        for row in rows:
            before = previous.get(row.id)
            previous[row.id] = row
            # No user: a deleted account, or a change made outside the site.
            who = row.history_user.display_name if row.history_user else "Someone"
            if before is None:
                what = f"added the {noun} “{row.title}”"
            else:
                changed = {change.field for change in row.diff_against(before).changes}
                # In the order of the form, not of the diff.
                fields = [
                    str(field.verbose_name)
                    for field in model._meta.fields
                    if field.name in changed
                ]
                if not fields:
                    continue
                what = f"changed {', '.join(fields)} of the {noun} “{row.title}”"
            changes.append(PlanChange(row.history_date, who, what))
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes[:limit]


# Progress, for staff

# Pairings whose year has begun: their months count in the progress figures.
YEAR_BEGUN = (*Pairing.UNDER_WAY, Pairing.Status.COMPLETED, Pairing.Status.ENDED)


@dataclass(frozen=True)
class MonthRate:
    """Month n of the program year, over the pairs of a cycle: how many had
    begun it while still together, and how many of those were in touch."""

    number: int
    met: int
    pairs: int
    # Some pairs are in this month now: its figure is still growing.
    in_progress: bool

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.pairs) if self.pairs else None


@dataclass(frozen=True)
class CycleProgress:
    by_status: dict[str, int]
    met_this_month: int
    under_way: int
    months: list[MonthRate]
    disputed: int

    @property
    def percent_this_month(self) -> int | None:
        if not self.under_way:
            return None
        return round(100 * self.met_this_month / self.under_way)


def met_months(pairings: QuerySet[Pairing]) -> tuple[QuerySet, QuerySet]:
    """The months these pairings were in touch, as two querysets: months with
    a contact that counts, and months a "yes, we talked" pulse answer vouches
    for that have no such contact (so no month is counted twice)."""
    counted = CheckIn.objects.filter(
        pairing__in=pairings, month__gte=1, month__lte=F("pairing__months")
    ).exclude(confirmation=CheckIn.Confirmation.DISPUTED)
    vouched = PulseAnswer.objects.filter(pairing__in=pairings, talked=True).exclude(
        Exists(counted.filter(pairing=OuterRef("pairing"), month=OuterRef("month")))
    )
    return counted, vouched


def progress_default_cycle() -> Cycle | None:
    """The cycle staff most likely want to watch: the latest whose pairs have
    begun their year, else the latest cycle."""
    under_way = Pairing.objects.filter(
        cycle=OuterRef("pk"), status__in=Pairing.UNDER_WAY
    )
    return (
        Cycle.objects.filter(
            Exists(under_way), program_starts_on__lte=timezone.localdate()
        )
        .order_by("-program_starts_on", "-pk")
        .first()
        or Cycle.objects.first()
    )


def cycle_progress(cycle: Cycle, *, today: date | None = None) -> CycleProgress:
    """The cycle's pairs by state and month by month, in a fixed number of
    queries: the counting is done by the database, grouped by the pairs'
    start dates (which most pairs of a cycle share), not pair by pair."""
    today = today or timezone.localdate()
    by_status = dict(
        Pairing.objects.filter(cycle=cycle)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    begun = Pairing.objects.filter(
        cycle=cycle, status__in=YEAR_BEGUN, starts_on__lte=today
    )
    groups = list(
        begun.values("starts_on", "months", "status")
        .annotate(ended_on=TruncDate("ended_at"), n=Count("pk"))
        .order_by()
    )
    met = Counter()  # (starts_on, months, status, month) -> pairs in touch
    for rows in met_months(begun):
        for starts_on, months, status, month, n in (
            rows.values_list(
                "pairing__starts_on", "pairing__months", "pairing__status", "month"
            )
            .annotate(n=Count("pairing", distinct=True))
            .order_by()
        ):
            met[starts_on, months, status, month] += n

    length = max((group["months"] for group in groups), default=cycle.program_months)
    pairs, in_progress = Counter(), set()
    met_this_month = under_way = 0
    for group in groups:
        starts_on, status, n = group["starts_on"], group["status"], group["n"]
        current = program.month_number(starts_on, today)
        for number, (first, last) in enumerate(
            program.program_months(starts_on, group["months"]), 1
        ):
            if first > today or (group["ended_on"] and group["ended_on"] < first):
                break
            pairs[number] += n
            if status in Pairing.UNDER_WAY and first <= today <= last:
                in_progress.add(number)
        if status in Pairing.UNDER_WAY and current <= group["months"]:
            under_way += n
            # Pairs under way have no end date: one group per start and length.
            met_this_month += met[starts_on, group["months"], status, current]
    month_met = Counter()
    for (_starts_on, _months, _status, month), n in met.items():
        month_met[month] += n
    return CycleProgress(
        by_status=by_status,
        met_this_month=met_this_month,
        under_way=under_way,
        months=[
            MonthRate(number, month_met[number], pairs[number], number in in_progress)
            for number in range(1, length + 1)
        ],
        disputed=CheckIn.objects.filter(
            pairing__cycle=cycle, confirmation=CheckIn.Confirmation.DISPUTED
        ).count(),
    )


def _months_met(pairings) -> dict[int, set[int]]:
    """For pairings already fetched: the months each was in touch. One
    query, however many pairings."""
    met = defaultdict(set)
    ids = [pairing.pk for pairing in pairings]
    counted, vouched = met_months(Pairing.objects.filter(pk__in=ids))
    # Without the models' own order, which a UNION may not have in its parts.
    pairs = counted.values_list("pairing_id", "month").order_by()
    for pairing_id, month in pairs.union(
        vouched.values_list("pairing_id", "month").order_by()
    ):
        met[pairing_id].add(month)
    return met


def months_of(pairing: Pairing, met: set[int], today: date) -> list[program.Month]:
    """A pairing's months from the month numbers it was in touch."""
    if pairing.starts_on is None:
        return []
    bounds = program.program_months(pairing.starts_on, pairing.months)
    return program.month_statuses(
        starts_on=pairing.starts_on,
        count=pairing.months,
        contacts=[bounds[n - 1][0] for n in met if 1 <= n <= len(bounds)],
        today=today,
        closed_on=closed_on(pairing),
    )


def with_months(pairings, *, today: date | None = None) -> list[Pairing]:
    """The pairings, each with ``year`` (its months) and ``months_missed``."""
    today = today or timezone.localdate()
    pairings = list(pairings)
    met = _months_met(pairings)
    for pairing in pairings:
        pairing.year = months_of(pairing, met[pairing.pk], today)
        pairing.months_missed = sum(
            month.status == program.MISSED for month in pairing.year
        )
    return pairings


# Longest out of touch first, never in touch before all.
ATTENTION_ORDER = (F("last_contact_on").asc(nulls_first=True), "starts_on", "pk")


def pairings_needing_attention(cycle: Cycle) -> QuerySet[Pairing]:
    """Pairs under way flagged by the monthly check, longest out of touch
    first: only what orders them, for a paginator to count and slice. Pass a
    page of it to ``attention_rows`` for what the list shows."""
    return (
        Pairing.objects.filter(cycle=cycle, status__in=Pairing.UNDER_WAY)
        .exclude(attention="")
        .order_by(*ATTENTION_ORDER)
    )


def attention_rows(page: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """A slice of ``pairings_needing_attention``, in its order, with the
    pair's people and the last thing staff did about them, looked up for the
    slice's pairs only. One query."""
    staff = StaffContact.objects.filter(pairing=OuterRef("pk")).order_by("-at", "-pk")
    return (
        Pairing.objects.filter(pk__in=page.values("pk"))
        .select_related("mentee", "mentor")
        .annotate(
            last_staff_at=Subquery(staff.values("at")[:1]),
            last_staff_kind=Subquery(staff.values("kind")[:1]),
        )
        .order_by(*ATTENTION_ORDER)
    )


def pairings_for_export(cycle: Cycle, *, chunk: int = 1000):
    """Every pairing of the cycle with its months, a chunk at a time: a fixed
    number of queries per chunk, so the export's cost grows with its rows
    only."""
    today = timezone.localdate()
    contacts = CheckIn.objects.exclude(
        confirmation=CheckIn.Confirmation.DISPUTED
    ).order_by("-occurred_on")
    queryset = (
        Pairing.objects.filter(cycle=cycle)
        .exclude(status=Pairing.Status.CANCELLED)
        .select_related("mentee", "mentor")
        .annotate(
            last_contact=Subquery(
                contacts.filter(pairing=OuterRef("pk")).values("occurred_on")[:1]
            )
        )
        .order_by("pk")
    )
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk)[:chunk])
        if not batch:
            return
        yield from with_months(batch, today=today)
        last_pk = batch[-1].pk


def survey_figures(cycle: Cycle) -> dict[str, dict[str, surveys.Figures]]:
    """The cycle's surveys counted by kind and role: who was sent one, who
    answered, and how. One query, whatever the number of answers."""
    answered = Q(answered_at__isnull=False)
    rows = (
        SurveyResponse.objects.filter(pairing__cycle=cycle)
        .values("kind", "role")
        .annotate(
            invited=Count("pk"),
            answered=Count("pk", filter=answered),
            rating_sum=Sum("rating", filter=answered, default=0),
            recommend=Count("pk", filter=Q(would_recommend=True)),
            again=Count("pk", filter=Q(take_part_again=True)),
            in_contact=Count("pk", filter=Q(still_in_contact=True)),
            **{
                f"achieved_{key}": Count("pk", filter=Q(objectives_achieved=key))
                for key in SurveyResponse.Achieved.values
            },
        )
        .order_by()
    )
    figures: dict[str, dict[str, surveys.Figures]] = {
        kind: {} for kind in SurveyResponse.Kind.values
    }
    for row in rows:
        achieved = {
            key: row[f"achieved_{key}"] for key in SurveyResponse.Achieved.values
        }
        figures[row["kind"]][row["role"]] = surveys.Figures(
            invited=row["invited"],
            answered=row["answered"],
            rating_sum=row["rating_sum"],
            recommend=row["recommend"],
            again=row["again"],
            in_contact=row["in_contact"],
            achieved=achieved,
        )
    return figures


@dataclass(frozen=True)
class SurveyComment:
    role: str
    text: str


def survey_comments(cycle: Cycle) -> dict[str, list[SurveyComment]]:
    """What people wrote in the cycle's surveys, question by question, oldest
    answer first; who wrote it is left out. One query."""
    comments = {"helped": [], "to_change": [], "progress": []}
    rows = (
        SurveyResponse.objects.filter(pairing__cycle=cycle, answered_at__isnull=False)
        .exclude(helped="", to_change="", progress="")
        .order_by("answered_at", "pk")
        .values_list("role", *comments)
    )
    for role, *texts in rows:
        for name, text in zip(comments, texts, strict=True):
            if text:
                comments[name].append(SurveyComment(role, text))
    return comments
