from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from mentorship.access import get_pairing_for_user

from . import services
from .forms import PairingAnswerForm


@require_POST
@login_required
def pairing_respond(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    form = PairingAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether you accept or decline the pairing.")
        return redirect("mentorship:pairing_detail", pairing.pk)
    accept = form.cleaned_data["answer"] == "accept"
    try:
        pairing = services.pairing_respond(
            pairing_id=pairing.pk,
            user=request.user,
            accept=accept,
            reason=form.cleaned_data["reason"],
        )
    except services.MatchingError as error:
        messages.info(request, str(error))
        return redirect("mentorship:pairing_detail", pairing.pk)
    if not accept:
        messages.success(
            request,
            "You declined the pairing. Thank you for telling us; staff will "
            "take it from here.",
        )
        return redirect("mentorship:pairing_list")
    if pairing.status == pairing.Status.CONFIRMED:
        messages.success(request, "You have both accepted: your pairing is confirmed.")
    else:
        other = pairing.other_person(request.user)
        messages.success(
            request,
            f"You accepted. We are waiting for {other.display_name} to answer; "
            "we will email you both when the pairing is confirmed.",
        )
    return redirect("mentorship:pairing_detail", pairing.pk)
