from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404
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


def staff_required(permission: str):
    """For staff pages outside the admin: a visitor is sent to log in; anyone
    else who is not staff with ``permission`` gets the 404 a stranger gets,
    so the page does not even admit it exists."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_active and user.is_staff and user.has_perm(permission)):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
