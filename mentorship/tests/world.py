"""A small world with one thing of each kind, for the tests that visit every
page (the permission matrix) or attack every form (hostile input).

Two pairs live side by side in the open cycle: the mentee with the mentor,
and the other mentee with the other mentor, each with an application, a
check-in, a Mentoring Plan and an introductory call. So every URL's
parameters can be filled with the mentee's own records, and with records that
are somebody else's. The mentee and the mentor also had a pairing in an
earlier cycle, closed, with a closing survey sent to both.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import MentorProfile, User
from applications import services as applications_services
from applications.models import Application, DeclineReason
from applications.tests.conftest import make_submitted
from conftest import make_user
from matching.models import MatchRun, Proposal, Unmatched
from matching.scoring import Weights
from mentorship import services
from mentorship.models import (
    Activity,
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    OpeningNotification,
    Pairing,
    SurveyResponse,
)
from mentorship.tests.factories import mentor_profile


@dataclass
class World:
    mentee: User
    mentor: User
    staff: User
    other_mentee: User
    other_mentor: User
    cycle: Cycle
    past_cycle: Cycle
    application: Application
    other_application: Application
    pairing: Pairing
    other_pairing: Pairing
    closed_pairing: Pairing
    checkin: CheckIn
    other_checkin: CheckIn
    objective: Objective
    other_objective: Objective
    activity: Activity
    other_activity: Activity
    mentor_profile: MentorProfile
    other_mentor_profile: MentorProfile
    notification: OpeningNotification
    notification_token: str
    pulse_token: str
    run: MatchRun
    proposal: Proposal
    unmatched: Unmatched
    decline_reason: DeclineReason

    def others(self) -> tuple[int, ...]:
        """Ids of the other pair's records: what a field that takes an id,
        or an address with one, may be sent to reach somebody else's."""
        return (
            self.other_mentee.pk,
            self.other_mentor.pk,
            self.other_application.pk,
            self.other_pairing.pk,
            self.other_checkin.pk,
            self.other_objective.pk,
            self.other_activity.pk,
            self.other_mentor_profile.pk,
        )


def _under_way(cycle, mentee, mentor, *, staff, started_days_ago=40):
    now = timezone.now()
    today = timezone.localdate()
    pairing = Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        status=Pairing.Status.ACTIVE,
        mentee_accepted_at=now,
        mentor_accepted_at=now,
        confirmed_at=now - timedelta(days=started_days_ago),
        starts_on=today - timedelta(days=started_days_ago),
        ends_on=today + timedelta(days=365 - started_days_ago),
    )
    objective = services.plan_objective_save(
        pairing_id=pairing.pk, user=mentee, title="Publish a first paper"
    )
    activity = services.plan_activity_save(
        pairing_id=pairing.pk,
        user=mentee,
        title="Draft the abstract",
        due_on=today + timedelta(days=20),
        objective=objective,
    )
    checkin = services.checkin_log(
        pairing_id=pairing.pk,
        author=mentee,
        occurred_on=today - timedelta(days=2),
        way=CheckIn.Way.VIDEO,
        initiated_by=CheckIn.Initiator.MENTEE,
        minutes=45,
        notes="We talked about the abstract.",
    )
    IntroCall.objects.create(
        pairing=pairing,
        starts_at=now + timedelta(days=3),
        duration_minutes=30,
        location="https://meet.example.org/intro",
        host=staff,
        uid=f"intro-call-{pairing.pk}@example.org",
    )
    return pairing, objective, activity, checkin


def build_world(*, mentee, mentor, staff) -> World:
    now = timezone.now()
    today = timezone.localdate()
    other_mentee = make_user(
        "other.mentee@example.com",
        full_name="Oluchi Other",
        country="KE",
        time_zone="Africa/Nairobi",
    )
    other_mentor = make_user(
        "other.mentor@example.com",
        full_name="Ingrid Other",
        country="SE",
        time_zone="Europe/Stockholm",
    )
    profile = mentor_profile(mentor)
    other_profile = mentor_profile(other_mentor)

    # Last year: the mentee and the mentor's pairing, closed, with the
    # closing survey sent to both.
    past_cycle = Cycle.objects.create(
        name="2024-2025", program_starts_on=today - timedelta(days=500)
    )
    closed_pairing = Pairing.objects.create(
        cycle=past_cycle,
        mentee=mentee,
        mentor=mentor,
        status=Pairing.Status.COMPLETED,
        confirmed_at=now - timedelta(days=500),
        starts_on=today - timedelta(days=500),
        ends_on=today - timedelta(days=135),
        ended_at=now - timedelta(days=135),
    )
    for person, role in ((mentee, "mentee"), (mentor, "mentor")):
        SurveyResponse.objects.create(
            pairing=closed_pairing,
            person=person,
            role=role,
            kind=SurveyResponse.Kind.CLOSING,
        )

    # This year: applications open, both mentees applied and are paired.
    cycle = Cycle.objects.create(
        name="2026-2027",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=30),
        program_starts_on=today - timedelta(days=40),
    )
    application = applications_services.application_assign_reviewer(
        application_id=make_submitted(mentee, cycle).pk, actor=staff, reviewer=staff
    )
    other_application = make_submitted(other_mentee, cycle)
    pairing, objective, activity, checkin = _under_way(
        cycle, mentee, mentor, staff=staff
    )
    other_pairing, other_objective, other_activity, other_checkin = _under_way(
        cycle, other_mentee, other_mentor, staff=staff
    )

    notification = services.notification_request(email="visitor@example.com")
    pulse_url = services._pulse_links(pairing, 1, mentee)["yes_url"]
    run = MatchRun.objects.create(
        cycle=cycle, created_by=staff, weights=Weights().to_dict()
    )
    proposal = Proposal.objects.create(
        run=run, application=application, mentor=profile, score=30
    )
    unmatched = Unmatched.objects.create(
        run=run, application=other_application, reason="No mentor with room."
    )
    decline_reason = DeclineReason.objects.create(
        title="Outside the program", text="The program is for oncologists."
    )
    return World(
        mentee=mentee,
        mentor=mentor,
        staff=staff,
        other_mentee=other_mentee,
        other_mentor=other_mentor,
        cycle=cycle,
        past_cycle=past_cycle,
        application=application,
        other_application=other_application,
        pairing=pairing,
        other_pairing=other_pairing,
        closed_pairing=closed_pairing,
        checkin=checkin,
        other_checkin=other_checkin,
        objective=objective,
        other_objective=other_objective,
        activity=activity,
        other_activity=other_activity,
        mentor_profile=profile,
        other_mentor_profile=other_profile,
        notification=notification,
        notification_token=services.notification_unsubscribe_token(notification),
        pulse_token=pulse_url.rstrip("/").rsplit("/", 1)[-1],
        run=run,
        proposal=proposal,
        unmatched=unmatched,
        decline_reason=decline_reason,
    )


# A request saves its session now and then, to keep it alive
# (accounts.middleware.session_refresh_middleware): not a change of anything
# the request was about.
NOT_A_CHANGE = {"django_session"}
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
SAVEPOINT = re.compile(
    r'^\s*(SAVEPOINT|ROLLBACK TO SAVEPOINT|RELEASE SAVEPOINT)\s+"?(\w+)"?', re.I
)


def tables_written(queries) -> set[str]:
    """The tables that these SQL statements insert into, update or delete
    from, and did not roll back to a savepoint since (as a dry run does): a
    stricter test than comparing rows, which sees ``update()`` and raw SQL as
    well as ``save()``."""
    writes: list[str] = []
    marks: dict[str, int] = {}
    for query in queries:
        if match := WRITE.match(query["sql"]):
            writes.append(match[1])
        elif match := SAVEPOINT.match(query["sql"]):
            command, name = match[1].upper(), match[2]
            if command == "SAVEPOINT":
                marks[name] = len(writes)
            elif command == "ROLLBACK TO SAVEPOINT":
                # A savepoint made before the capture began undoes it all.
                del writes[marks.get(name, 0) :]
    return set(writes) - NOT_A_CHANGE


@contextmanager
def rolled_back():
    """Run the block, then undo it: every request of a test that makes many
    meets the same world. Yields a set that is filled, as the block ends,
    with the tables the block wrote to."""
    written: set[str] = set()
    with transaction.atomic():
        # The connection keeps its last queries_limit queries: once a test has
        # made that many, a block's queries would count from the end of a full
        # log, and none would be seen. Each block starts from an empty log.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            yield written
        assert len(queries) < connection.queries_limit, "more queries than kept"
        written.update(tables_written(queries))
        transaction.set_rollback(True)
