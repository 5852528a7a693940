from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import Pairing


def get_pairing_for_user(user, pk: int) -> Pairing:
    """The pairing if this person is its mentee or mentor; 404 for everyone else.

    Staff see every pairing in the admin; this page is the pair's own.
    """
    pairings = Pairing.objects.select_related("cycle", "mentee", "mentor").filter(
        Q(mentee=user) | Q(mentor=user), status__in=Pairing.VISIBLE
    )
    return get_object_or_404(pairings, pk=pk)
