from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from mentorship.models import Pairing

from .models import Application


def get_application_for_user(user, pk: int) -> Application:
    """The application if this user may see it; 404 for everyone else.

    The applicant may, and staff who may view applications (as for the CV).
    """
    applications = Application.objects.select_related("cycle", "applicant")
    if user.is_staff and user.has_perm("applications.view_application"):
        return get_object_or_404(applications, pk=pk)
    return get_object_or_404(applications, pk=pk, applicant_id=user.pk)


def get_cv_application_for_user(user, pk: int) -> Application:
    """The application whose CV this user may download; 404 for everyone else.

    Besides the applicant and staff, the mentor of a pairing with the
    applicant in the application's cycle may: from the proposal on, so they
    can decide whether to accept, and not before.
    """
    applications = Application.objects.select_related("cycle", "applicant")
    if user.is_staff and user.has_perm("applications.view_application"):
        return get_object_or_404(applications, pk=pk)
    paired = Pairing.objects.filter(
        mentor_id=user.pk,
        mentee_id=OuterRef("applicant_id"),
        cycle_id=OuterRef("cycle_id"),
        status__in=Pairing.VISIBLE,
    )
    return get_object_or_404(
        applications.filter(Q(applicant_id=user.pk) | Exists(paired)), pk=pk
    )
