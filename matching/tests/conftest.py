from datetime import date

import pytest

from applications.models import Application
from conftest import make_user
from matching.models import MatchRun, Proposal
from mentorship.models import Cycle
from mentorship.tests.factories import mentor_profile


@pytest.fixture
def cycle(db):
    return Cycle.objects.create(
        name="2027-2028", program_starts_on=date(2027, 3, 1), response_days=10
    )


def approved_application(user, cycle, **fields):
    return Application.objects.create(
        applicant=user,
        cycle=cycle,
        status=Application.Status.APPROVED,
        practice_country=user.country,
        time_zone=user.time_zone,
        statement="I want a mentor in breast oncology.",
        **fields,
    )


@pytest.fixture
def run(cycle, staff):
    return MatchRun.objects.create(cycle=cycle, created_by=staff)


@pytest.fixture
def proposal(run, mentee, mentor, cycle):
    application = approved_application(mentee, cycle)
    profile = mentor_profile(mentor, capacity=1)
    return Proposal.objects.create(
        run=run,
        application=application,
        mentor=profile,
        score=30,
        reasons=["1 shared interest: breast"],
    )


def another_mentee(email, cycle, country="KE", time_zone="Africa/Nairobi"):
    user = make_user(email, full_name=email.split("@")[0], country=country)
    user.time_zone = time_zone
    user.save()
    return approved_application(user, cycle)
