from django.core.management import call_command

from applications.models import Application


def test_demo_has_applications_in_every_state_from_several_regions(db):
    call_command("seed_demo")
    call_command("seed_demo")
    states = set(Application.objects.values_list("status", flat=True))
    assert states == {"draft", "submitted", "ineligible", "withdrawn"}
    countries = set(Application.objects.values_list("practice_country", flat=True))
    assert len(countries) >= 6
    assert Application.objects.filter(applicant__email="mentee@example.org").exists()
