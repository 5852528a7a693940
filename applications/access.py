from django.shortcuts import get_object_or_404

from .models import Application


def get_application_for_user(user, pk: int) -> Application:
    """The application if this user may see it; 404 for everyone else.

    The applicant and staff may. (Matched mentors join when pairings exist.)
    """
    applications = Application.objects.select_related("cycle", "applicant")
    if user.is_staff:
        return get_object_or_404(applications, pk=pk)
    return get_object_or_404(applications, pk=pk, applicant_id=user.pk)
