from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.timezones import zone_or_utc

from . import months as program
from . import reminders, surveys
from .models import Activity, Cycle, Objective, Pairing, SurveyResponse


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
    )


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
