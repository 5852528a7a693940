from django import template

from accounts.models import meeting_way_labels

from ..models import Application

register = template.Library()


@register.inclusion_tag("applications/_for_mentor.html")
def mentee_application(pairing):
    """The mentee's application for the pairing's cycle, as their mentor sees it.

    Lives here so the pairing page (mentorship) can show it without the lower
    layer importing this one; the caller has already checked the reader is
    the pairing's mentor.
    """
    application = (
        Application.objects.filter(applicant_id=pairing.mentee_id, cycle=pairing.cycle)
        .prefetch_related("interests", "career_goals")
        .first()
    )
    return {
        "application": application,
        "meeting_ways": meeting_way_labels(application.meeting_ways)
        if application
        else [],
    }
