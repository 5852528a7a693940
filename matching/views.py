from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.links import url_for_each
from mentorship import selectors as mentorship_selectors
from mentorship import services as mentorship_services
from mentorship.access import get_pairing_for_user, staff_required
from mentorship.export import pairing_csv_lines
from mentorship.models import Pairing

from . import selectors, services
from .forms import (
    PairingAnswerForm,
    PreferencesForm,
    ProgressCycleForm,
    StaffCheckInForm,
)
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
    if pairing.confirmed_at:
        messages.success(
            request,
            "You have both accepted: your pairing is confirmed, and we have "
            "introduced you to one another by email.",
        )
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


# The staff progress dashboard

ATTENTION_PAGE_SIZE = 25


def _progress_url(cycle_id: int, page: str = "") -> str:
    query = {"cycle": cycle_id}
    if page.isascii() and page.isdigit():
        query["page"] = page
    return f"{reverse('matching:progress')}?{urlencode(query)}#attention"


def _cycle_figures(cycle):
    """The cycle's counts: pairs by state and month by month, the funnel,
    regions. They count every pairing, contact and application of the cycle
    (on the large demo some 150 ms of queries), so staff share them for
    PROGRESS_FIGURES_SECONDS (a minute); the pairs needing attention below
    them are read afresh each time. Kept per day in the staff member's time
    zone, which decides this month."""
    today = timezone.localdate()
    return cache.get_or_set(
        f"progress-figures:{cycle.pk}:{today.isoformat()}",
        lambda: (
            mentorship_selectors.cycle_progress(cycle, today=today),
            selectors.cycle_funnel(cycle),
            selectors.cycle_regions(cycle),
            # Names this count: the page keeps its rendering under it.
            timezone.now().isoformat(),
        ),
        settings.PROGRESS_FIGURES_SECONDS,
    )


@never_cache
@staff_required("mentorship.view_pairing")
def progress(request):
    form = ProgressCycleForm(request.GET or None)
    cycle = form.cleaned_data["cycle"] if form.is_valid() else None
    cycle = cycle or mentorship_selectors.progress_default_cycle()
    if cycle is None:
        return render(request, "matching/progress.html", {"form": form})
    if not form.is_bound:
        form = ProgressCycleForm(initial={"cycle": cycle})
    figures, funnel, regions, counted_at = _cycle_figures(cycle)
    page = Paginator(
        mentorship_selectors.pairings_needing_attention(cycle), ATTENTION_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    attention = mentorship_selectors.with_months(
        mentorship_selectors.attention_rows(page.object_list)
    )
    links = {
        "admin_url": url_for_each("admin:mentorship_pairing_change"),
        "nudge_url": url_for_each("matching:progress_nudge"),
        "check_in_url": url_for_each("matching:progress_check_in"),
    }
    for pairing in attention:
        for name, url in links.items():
            setattr(pairing, name, url(pairing.pk))
    return render(
        request,
        "matching/progress.html",
        {
            "form": form,
            # The form's choices, read in one query (a choice field's own
            # iterator counts them, then reads them through a cursor).
            "cycles": list(form.fields["cycle"].queryset),
            "cycle": cycle,
            "figures": figures,
            "counted_at": counted_at,
            "figures_seconds": settings.PROGRESS_FIGURES_SECONDS,
            "statuses": [
                (label, figures.by_status.get(value, 0))
                for value, label in Pairing.Status.choices
            ],
            "funnel": funnel,
            "regions": regions,
            "page": page,
            "attention": attention,
            "can_act": request.user.has_perm("mentorship.change_pairing"),
            "chart": {
                "months": [
                    {
                        "label": f"Month {month.number}",
                        "percent": month.percent,
                        "inProgress": month.in_progress,
                    }
                    for month in figures.months
                ],
                "funnel": [
                    {"label": stage.label, "count": stage.count} for stage in funnel
                ],
            },
        },
    )


@never_cache
@staff_required("mentorship.view_pairing")
def progress_export(request):
    form = ProgressCycleForm(request.GET)
    if not form.is_valid():
        raise Http404("No such cycle.")
    cycle = form.cleaned_data["cycle"]
    response = StreamingHttpResponse(
        pairing_csv_lines(cycle), content_type="text/csv; charset=utf-8"
    )
    name = slugify(cycle.name) or f"cycle-{cycle.pk}"
    response["Content-Disposition"] = (
        f'attachment; filename="pairings-{name}-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response


@staff_required("mentorship.change_pairing")
@require_POST
def progress_nudge(request, pk):
    pairing = get_object_or_404(Pairing, pk=pk)
    try:
        mentorship_services.pairing_nudge(pairing_id=pairing.pk, staff=request.user)
    except mentorship_services.PairingError as error:
        messages.info(request, str(error))
    else:
        messages.success(
            request,
            f"A nudge is on its way to {pairing.mentee.display_name} and "
            f"{pairing.mentor.display_name}.",
        )
    return redirect(_progress_url(pairing.cycle_id, request.POST.get("page", "")))


@never_cache
@staff_required("mentorship.change_pairing")
def progress_check_in(request, pk):
    pairing = get_object_or_404(
        Pairing.objects.select_related("cycle", "mentee", "mentor"), pk=pk
    )
    form = StaffCheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mentorship_services.pairing_note_staff_check_in(
                pairing_id=pairing.pk,
                staff=request.user,
                note=form.cleaned_data["note"],
            )
        except mentorship_services.PairingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Your check-in with {pairing.mentee.display_name} and "
                f"{pairing.mentor.display_name} is noted.",
            )
            return redirect(
                _progress_url(pairing.cycle_id, request.POST.get("page", ""))
            )
    return render(
        request,
        "matching/progress_check_in.html",
        {"pairing": pairing, "form": form, "page": request.POST.get("page", "")},
    )
