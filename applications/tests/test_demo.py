from django.core.management import call_command

from applications.models import Application, ApplicationEvent
from mentorship.models import OutboundEmail


def test_demo_has_applications_in_every_state_from_several_regions(db):
    call_command("seed_demo")
    made = (ApplicationEvent.objects.count(), OutboundEmail.objects.count())
    call_command("seed_demo")
    # Seeding again takes no step twice and emails nobody again.
    assert (ApplicationEvent.objects.count(), OutboundEmail.objects.count()) == made
    states = set(Application.objects.values_list("status", flat=True))
    # Matching's demo pairs some approved mentees and leaves others to match.
    assert states == set(Application.Status.values)
    priya = Application.objects.get(applicant__email="mentee@example.org")
    assert priya.status == "matched"
    assert priya.eligibility_outcome == "pass"
    assert Application.objects.filter(status="approved").count() >= 2
    assert Application.objects.filter(reviewer__email="staff@example.org").exists()
    countries = set(Application.objects.values_list("practice_country", flat=True))
    assert len(countries) >= 6
    assert Application.objects.filter(applicant__email="mentee@example.org").exists()
