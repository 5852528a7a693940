from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mentorship.access import get_pairing_for_user

from . import services
from .forms import PairingAnswerForm, PreferencesForm
from .models import MenteePreference


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


@never_cache
@login_required
def mentor_preferences(request):
    application = services.preferences_application(request.user)
    if application is None:
        return render(request, "matching/preferences_closed.html", status=200)
    options = services.preference_options(application)
    current = list(
        MenteePreference.objects.filter(application=application)
        .order_by("rank")
        .values_list("mentor_id", flat=True)
    )
    form = PreferencesForm(request.POST or None, options=options, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_save(
                application=application, mentor_ids=form.ranking()
            )
        except services.MatchingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Your ranking is saved.")
            return redirect("matching:preferences")
    return render(
        request,
        "matching/preferences.html",
        {"application": application, "options": options, "form": form},
    )
