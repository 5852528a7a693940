from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, F, OuterRef, Prefetch
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import DataExport, DeletionRequest, Interest, MentorProfile

from . import health, selectors, services, surveys
from .access import get_pairing_for_user, staff_required
from .forms import (
    SURVEY_FORMS,
    AccountDeleteForm,
    ActivityForm,
    AvailabilityForm,
    CheckInForm,
    MentorProfileForm,
    NotificationRequestForm,
    ObjectiveForm,
)
from .models import (
    Activity,
    CheckIn,
    Cycle,
    IntroCall,
    Objective,
    Pairing,
    SurveyResponse,
)
from .plan_pdf import plan_pdf

USABLE = {"ok", "in-process"}


def _render_home(request, *, notify_form=None):
    context = {
        "cycle_status": selectors.cycle_status(),
        "notify_form": notify_form or NotificationRequestForm(),
    }
    return render(request, "mentorship/home.html", context)


@require_GET
def home(request):
    return _render_home(request)


@require_POST
def notification_request(request):
    form = NotificationRequestForm(request.POST)
    if not form.is_valid():
        # The home page again, with the error at the field and the address as
        # typed, so it can be corrected rather than typed again.
        return _render_home(request, notify_form=form)
    email = form.cleaned_data["email"]
    services.notification_request(email=email)
    messages.success(
        request, f"Thank you. We will email {email} when applications open."
    )
    return redirect("home")


# Mail programs that offer one-click unsubscribe (RFC 8058) POST here without a
# CSRF token; the signed token in the URL is what authorises the request.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request, token):
    if request.method == "POST":
        notification = services.notification_unsubscribe(token=token)
        state = "done"
    else:
        notification = services.notification_for_token(token=token)
        state = "confirm"
    if notification is None:
        return render(
            request, "mentorship/unsubscribe.html", {"state": "invalid"}, status=400
        )
    return render(
        request,
        "mentorship/unsubscribe.html",
        {"state": state, "notification": notification},
    )


def bench_minimal(request):
    """Nothing but the middleware and a response: what `manage.py
    bench_pages` compares the pages with. Mounted only when the setting
    BENCH_MINIMAL_VIEW is on."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def healthz(request):
    checks = {
        "database": health.database_status(),
        "broker": health.broker_status(),
    }
    healthy = all(state in USABLE for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


# Mentors


def _mentor_profile_of(user) -> MentorProfile | None:
    return MentorProfile.objects.filter(user=user).first()


@never_cache
@login_required
def mentor_volunteer(request):
    if _mentor_profile_of(request.user):
        return redirect("mentorship:mentor_profile")
    form = MentorProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.mentor_volunteer(
                user=request.user,
                person=form.person(),
                profile=form.profile(),
                interests=form.cleaned_data["interests"],
                career_goals=form.cleaned_data["career_goals"],
            )
        except services.MentorError as error:
            # Sent twice, from two tabs: the first one counted.
            messages.info(request, str(error))
        else:
            messages.success(
                request,
                "Thank you for offering to mentor. Staff will review your profile "
                "and email you their decision.",
            )
        return redirect("mentorship:mentor_profile")
    return render(request, "mentorship/mentor_volunteer.html", {"form": form})


@never_cache
@login_required
def mentor_profile(request):
    mentor = _mentor_profile_of(request.user)
    if mentor is None:
        return redirect("mentorship:mentor_volunteer")
    form = MentorProfileForm(request.POST or None, instance=mentor, user=request.user)
    if request.method == "POST" and form.is_valid():
        was_declined = mentor.status == MentorProfile.Status.DECLINED
        services.mentor_profile_update(
            mentor=mentor,
            person=form.person(),
            profile=form.profile(),
            interests=form.cleaned_data["interests"],
            career_goals=form.cleaned_data["career_goals"],
        )
        messages.success(
            request,
            "Your profile is saved and sent to staff to look at again."
            if was_declined
            else "Your profile is saved.",
        )
        return redirect("mentorship:mentor_profile")
    # Shown from the database, not from what the form has just been given.
    saved = MentorProfile.objects.get(pk=mentor.pk)
    return render(
        request,
        "mentorship/mentor_profile.html",
        {"form": form, "mentor": saved},
    )


@require_POST
@login_required
def mentor_availability(request):
    mentor = _mentor_profile_of(request.user)
    form = AvailabilityForm(request.POST)
    if mentor is None or not form.is_valid():
        return redirect("mentorship:mentor_profile")
    available = form.cleaned_data["available"]
    services.mentor_set_availability(mentor=mentor, available=available)
    messages.success(
        request,
        "You are available: staff may propose new mentees to you."
        if available
        else "You are paused: staff will not propose new mentees to you until "
        "you make yourself available again. Your current pairings go on.",
    )
    return redirect("mentorship:mentor_profile")


# The pairing portal


@login_required
def pairing_list(request):
    pairings = list(selectors.pairings_for_user(request.user))
    waiting = {}
    for survey in SurveyResponse.objects.filter(
        person=request.user, answered_at__isnull=True
    ).order_by("invited_at"):
        waiting.setdefault(survey.pairing_id, []).append(survey)
    for pairing in pairings:
        pairing.role = pairing.role_of(request.user)
        pairing.other = pairing.other_person(request.user)
        pairing.surveys_waiting = waiting.get(pairing.pk, [])
    return render(
        request,
        "mentorship/pairing_list.html",
        {"pairings": pairings, "mentor": _mentor_profile_of(request.user)},
    )


@never_cache
@login_required
def pairing_detail(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    return _render_pairing(request, pairing)


def _render_pairing(request, pairing, *, checkin_form=None, status=200):
    role = pairing.role_of(request.user)
    other = pairing.other_person(request.user)
    mentor_profile = None
    if role == "mentee":
        mentor_profile = (
            MentorProfile.objects.filter(user_id=pairing.mentor_id)
            .prefetch_related(
                Prefetch("interests", queryset=Interest.objects.order_by("position")),
                Prefetch(
                    "career_goals", queryset=Interest.objects.order_by("position")
                ),
            )
            .first()
        )
    checkins = list(
        pairing.checkins.select_related("author").prefetch_related("topics")
    )
    under_way = pairing.status in Pairing.UNDER_WAY
    return render(
        request,
        "mentorship/pairing_detail.html",
        {
            "pairing": pairing,
            "role": role,
            "other": other,
            "mentor_profile": mentor_profile,
            "other_time": selectors.local_time(
                other.time_zone, reader_time_zone=request.user.time_zone
            ),
            "statuses": Pairing.Status,
            "under_way": Pairing.UNDER_WAY,
            "you_accepted": pairing.accepted_by(request.user),
            "call": IntroCall.objects.filter(pairing=pairing)
            .exclude(status=IntroCall.Status.CANCELLED)
            .first(),
            "now": timezone.now(),
            "months": selectors.pairing_months(pairing, checkins),
            "checkins": checkins,
            "checkin_form": (checkin_form or CheckInForm(pairing=pairing))
            if under_way
            else None,
            "surveys": SurveyResponse.objects.filter(
                pairing=pairing, person=request.user
            ).order_by("invited_at"),
        },
        status=status,
    )


def _checkins_url(pairing) -> str:
    return reverse("mentorship:pairing_detail", args=[pairing.pk]) + "#checkins"


@require_POST
@login_required
def checkin_log(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    form = CheckInForm(request.POST, pairing=pairing)
    if not form.is_valid():
        # The page again, with the errors at their fields and the answers kept.
        return _render_pairing(request, pairing, checkin_form=form, status=400)
    try:
        services.checkin_log(
            pairing_id=pairing.pk, author=request.user, **form.cleaned_data
        )
    except services.PairingError as error:
        messages.error(request, str(error))
    else:
        other = pairing.other_person(request.user)
        messages.success(
            request,
            f"Contact logged. We have asked {other.display_name} to confirm it.",
        )
    return redirect(_checkins_url(pairing))


@require_POST
@login_required
def checkin_answer(request, pk, checkin_pk):
    pairing = get_pairing_for_user(request.user, pk)
    checkin = get_object_or_404(CheckIn, pk=checkin_pk, pairing=pairing)
    answer = request.POST.get("answer")
    if answer not in ("yes", "no"):
        messages.error(request, "Choose “Yes, we met” or “That's not right”.")
    else:
        try:
            services.checkin_answer(
                checkin_id=checkin.pk, user=request.user, agree=answer == "yes"
            )
        except services.PairingError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                "Thank you: confirmed."
                if answer == "yes"
                else "Thank you. We have noted that this contact is not right; "
                "staff will see it.",
            )
    return redirect(_checkins_url(pairing))


@never_cache
@login_required
def pairing_intro_call_ics(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    call = get_object_or_404(
        IntroCall.objects.select_related("host"),
        pairing=pairing,
        status=IntroCall.Status.SCHEDULED,
    )
    response = HttpResponse(
        services.intro_call_invitation(call), content_type="text/calendar"
    )
    response["Content-Disposition"] = 'attachment; filename="intro-call.ics"'
    return response


# The Mentoring Plan


# The plan page holds the forms to add an objective and an activity, both
# with a "title": the prefix keeps their ids, and so their labels, apart.
ADD_ACTIVITY_PREFIX = "activity"


def _plan_page(
    request, pairing, *, objective_form=None, activity_form=None, status=200
):
    objectives = list(pairing.objectives.all())
    activities = list(pairing.activities.select_related("objective"))
    editable = pairing.status in Pairing.UNDER_WAY
    return render(
        request,
        "mentorship/plan.html",
        {
            "pairing": pairing,
            "other": pairing.other_person(request.user),
            "objectives": objectives,
            "activities": activities,
            "editable": editable,
            "objective_form": objective_form or ObjectiveForm(),
            "activity_form": activity_form
            or ActivityForm(pairing=pairing, prefix=ADD_ACTIVITY_PREFIX),
            "starter": pairing.cycle.plan_starter.strip() and not objectives,
            "changes": selectors.plan_changes(pairing),
            "today": timezone.localdate(),
        },
        status=status,
    )


def _plan_url(pairing) -> str:
    return reverse("mentorship:plan", args=[pairing.pk])


@never_cache
@login_required
def plan(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    return _plan_page(request, pairing)


@require_POST
@login_required
def plan_objective_add(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    form = ObjectiveForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, pairing, objective_form=form, status=400)
    return _plan_save(
        request,
        pairing,
        lambda: services.plan_objective_save(
            pairing_id=pairing.pk, user=request.user, **form.cleaned_data
        ),
        "Objective added.",
    )


@require_POST
@login_required
def plan_activity_add(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    form = ActivityForm(request.POST, pairing=pairing, prefix=ADD_ACTIVITY_PREFIX)
    if not form.is_valid():
        return _plan_page(request, pairing, activity_form=form, status=400)
    return _plan_save(
        request,
        pairing,
        lambda: services.plan_activity_save(
            pairing_id=pairing.pk, user=request.user, **form.cleaned_data
        ),
        "Activity added.",
    )


@require_POST
@login_required
def plan_start(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    return _plan_save(
        request,
        pairing,
        lambda: services.plan_start_from_template(
            pairing_id=pairing.pk, user=request.user
        ),
        "Your plan starts from the program's suggested objectives; change them "
        "to make them yours.",
    )


def _plan_save(request, pairing, save, done: str):
    try:
        save()
    except services.PairingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect(_plan_url(pairing))


def _plan_item_edit(request, pairing, form, what: str, save):
    """The edit page of one objective or activity, and saving it."""
    if request.method == "POST" and form.is_valid():
        return _plan_save(
            request,
            pairing,
            lambda: save(form.cleaned_data),
            f"{what.capitalize()} saved.",
        )
    return render(
        request,
        "mentorship/plan_edit.html",
        {"pairing": pairing, "form": form, "what": what},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def plan_objective_edit(request, pk, objective_pk):
    pairing = get_pairing_for_user(request.user, pk)
    objective = get_object_or_404(Objective, pk=objective_pk, pairing=pairing)
    form = ObjectiveForm(request.POST or None, instance=objective)
    return _plan_item_edit(
        request,
        pairing,
        form,
        "objective",
        lambda fields: services.plan_objective_save(
            pairing_id=pairing.pk,
            user=request.user,
            objective_id=objective.pk,
            **fields,
        ),
    )


@never_cache
@login_required
def plan_activity_edit(request, pk, activity_pk):
    pairing = get_pairing_for_user(request.user, pk)
    activity = get_object_or_404(Activity, pk=activity_pk, pairing=pairing)
    form = ActivityForm(request.POST or None, instance=activity, pairing=pairing)
    return _plan_item_edit(
        request,
        pairing,
        form,
        "activity",
        lambda fields: services.plan_activity_save(
            pairing_id=pairing.pk,
            user=request.user,
            activity_id=activity.pk,
            **fields,
        ),
    )


@never_cache
@login_required
def plan_download(request, pk):
    pairing = get_pairing_for_user(request.user, pk)
    content = plan_pdf(
        pairing,
        pairing.objectives.all(),
        pairing.activities.select_related("objective"),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="mentoring-plan.pdf"'
    return response


# The monthly pulse: answered from the email, without logging in.


@never_cache
@require_http_methods(["GET", "POST"])
def pulse(request, token):
    """Show what the link will record; record it only on the button.

    Mail programs open links to scan them, so opening the link changes
    nothing: the one click that answers is the button on this page.
    """
    try:
        data = services.pulse_read(token)
    except services.PairingError as error:
        return render(
            request, "mentorship/pulse.html", {"error": str(error)}, status=400
        )
    if request.method == "POST":
        try:
            services.pulse_answer(token=token)
        except services.PairingError as error:
            return render(
                request, "mentorship/pulse.html", {"error": str(error)}, status=400
            )
        return render(request, "mentorship/pulse.html", {"done": True, **data})
    return render(request, "mentorship/pulse.html", data)


# Surveys


@never_cache
@login_required
def survey(request, pk, kind):
    """One person's closing or follow-up survey: answered once, from the
    email's link or the pairing page. Only someone it was sent to sees it."""
    pairing = get_pairing_for_user(request.user, pk)
    response = get_object_or_404(
        SurveyResponse, pairing=pairing, person=request.user, kind=kind
    )
    form = None
    if not response.is_answered:
        data = request.POST if request.method == "POST" else None
        form = SURVEY_FORMS[kind](data, role=response.role)
    if request.method == "POST":
        if form is None:
            messages.info(request, "You have answered this survey already; thank you.")
            return redirect("mentorship:survey", pairing.pk, kind)
        if form.is_valid():
            try:
                services.survey_answer(
                    pairing_id=pairing.pk,
                    person=request.user,
                    kind=kind,
                    answers=form.cleaned_data,
                )
            except services.PairingError as error:
                # Answered meanwhile, from another tab.
                messages.info(request, str(error))
                return redirect("mentorship:survey", pairing.pk, kind)
            messages.success(request, "Thank you: your answers are recorded.")
            return redirect("mentorship:pairing_detail", pairing.pk)
    return render(
        request,
        "mentorship/survey.html",
        {
            "pairing": pairing,
            "other": pairing.other_person(request.user),
            "response": response,
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


@never_cache
@staff_required("mentorship.view_surveyresponse")
def survey_results(request):
    """Staff read a cycle's survey results: figures by role, and what people
    wrote. A fixed number of queries, whatever the number of answers."""
    # Newest year first, whatever the database does with empty dates.
    cycles = list(
        Cycle.objects.annotate(
            surveyed=Exists(
                SurveyResponse.objects.filter(pairing__cycle=OuterRef("pk"))
            )
        ).order_by(
            F("program_starts_on").desc(nulls_last=True),
            F("opens_at").desc(nulls_last=True),
            "-pk",
        )
    )
    chosen = request.GET.get("cycle", "")
    cycle = next((c for c in cycles if str(c.pk) == chosen), None) or next(
        (c for c in cycles if c.surveyed), cycles[0] if cycles else None
    )
    context = {"cycles": cycles, "cycle": cycle}
    if cycle is not None:
        figures = selectors.survey_figures(cycle)
        context |= {
            "closing_rows": surveys.closing_rows(figures[SurveyResponse.Kind.CLOSING]),
            "follow_up_rows": surveys.follow_up_rows(
                figures[SurveyResponse.Kind.FOLLOW_UP]
            ),
            "column_names": [name for name, _ in surveys.columns({})],
            "comments": selectors.survey_comments(cycle),
        }
    return render(request, "mentorship/survey_results.html", context)


# Your data: a copy to download, and deleting the account. The account page
# (accounts) shows both; the steps that change something are here, with the
# services that email.


@require_POST
@login_required
@reauthentication_required
def data_export_request(request):
    services.data_export_request(user=request.user)
    messages.success(
        request,
        "We are preparing a copy of your data. We will email you a link to "
        "download it, usually within minutes.",
    )
    return redirect(reverse("accounts:profile") + "#your-data")


@require_GET
@login_required
@reauthentication_required
def data_export_download(request, pk):
    """The person's copy, to them alone (others get 404), never cached."""
    export = get_object_or_404(DataExport, pk=pk, user=request.user)
    if not export.is_downloadable():
        return render(
            request,
            "mentorship/data_export_unavailable.html",
            {"export": export},
            status=410 if export.status == DataExport.Status.EXPIRED else 409,
        )
    services.data_export_record_download(export=export)
    local = timezone.localdate(export.ready_at)
    response = FileResponse(
        export.file.storage.open(export.file.name, "rb"),
        as_attachment=True,
        filename=f"virtual-mentors-your-data-{local:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required
def account_delete(request):
    """What deleting the account does, then the request for it; staff decide."""
    pending = request.user.deletion_requests.filter(
        status=DeletionRequest.Status.PENDING
    ).first()
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if pending is None and form.is_valid():
        services.deletion_request_create(user=request.user)
        messages.success(
            request,
            "We have your request to delete your account. Staff will deal with "
            "it and email you.",
        )
        return redirect(reverse("accounts:profile") + "#delete-account")
    return render(
        request,
        "mentorship/account_delete.html",
        {
            "form": form,
            "pending": pending,
            "under_way_with": [
                pairing.other_person(request.user)
                for pairing in selectors.pairings_for_user(request.user).filter(
                    status__in=Pairing.UNDER_WAY
                )
            ],
        },
    )


@require_POST
@login_required
def account_delete_cancel(request):
    if services.deletion_request_cancel(user=request.user):
        messages.success(request, "Your request is cancelled: your account stays.")
    return redirect(reverse("accounts:profile") + "#delete-account")
