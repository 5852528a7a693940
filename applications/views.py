from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.views.decorators.cache import never_cache

from mentorship.models import Cycle
from mentorship.selectors import cycle_status

from . import eligibility, services
from .access import get_application_for_user, get_cv_application_for_user
from .cv import CONTENT_TYPES
from .forms import ApplicationForm, EligibilityCheckForm
from .models import Application


def check(request):
    """The public eligibility check: the real rules, nothing stored."""
    form = EligibilityCheckForm(request.POST or None)
    results = None
    status = cycle_status()
    if request.method == "POST" and form.is_valid():
        # Without a cycle to ask, the program's standing rules (the defaults).
        rules = services.rules_for(status.open_cycle or status.next_cycle or Cycle())
        answers = eligibility.Answers(
            **{
                name: form.cleaned_data[name]
                for name in form.fields
                if name in eligibility.Answers.__dataclass_fields__
            }
        )
        results = eligibility.evaluate(
            answers, rules, timezone.now().year, eligibility.QUICK_CHECK
        )
    return render(
        request,
        "applications/check.html",
        {
            "form": form,
            "results": results,
            "failed": results and eligibility.failures(results),
            "cycle_status": status,
        },
    )


def apply(request):
    status = cycle_status()
    application = None
    if request.user.is_authenticated and status.open_cycle:
        application = (
            Application.objects.filter(applicant=request.user, cycle=status.open_cycle)
            .select_related("cycle")
            .first()
        )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if status.open_cycle is None:
            messages.error(request, "Applications are closed.")
            return redirect("applications:apply")
        services.application_start(user=request.user, cycle=status.open_cycle)
        return redirect("applications:form")
    return render(
        request,
        "applications/apply.html",
        {"cycle_status": status, "application": application},
    )


# Storing a CV does not change these applications' status, so a valid CV is
# kept even when other answers on the form need correcting.
KEEPS_CV_ON_ERROR = (Application.Status.DRAFT, Application.Status.INFO_REQUESTED)


def _application_to_edit(user) -> Application | None:
    """The application the form edits: the one staff asked to change, if any
    (whether or not applications are open), else this cycle's."""
    applications = Application.objects.filter(applicant=user).select_related("cycle")
    asked = (
        applications.filter(status=Application.Status.INFO_REQUESTED)
        .order_by("-created_at")
        .first()
    )
    if asked is not None:
        return asked
    open_cycle = cycle_status().open_cycle
    return applications.filter(cycle=open_cycle).first() if open_cycle else None


def _saved_message(application: Application) -> str:
    if application.status == Application.Status.INFO_REQUESTED:
        return "Your changes are saved. Send them to staff when you are ready."
    return "Your draft is saved. Submit it before the deadline."


@never_cache
@login_required
def application_form(request):
    application = _application_to_edit(request.user)
    if application is None:
        messages.info(request, "Start an application while applications are open.")
        return redirect("applications:apply")
    if not application.is_editable:
        messages.info(request, "This application can no longer be changed.")
        return redirect("applications:detail", pk=application.pk)

    submitting = request.POST.get("action") == "submit"
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        instance=application,
        submitting=submitting,
        max_cv_mb=application.cycle.cv_max_mb,
    )
    # A POST with nothing in it (no browser sends one: the form always has its
    # fields and a button) leaves the form unbound; it is shown again as it is.
    if request.method == "POST" and form.is_bound:
        valid = form.is_valid()
        upload = form.cleaned_data.get("cv") if "cv" not in form.errors else None
        if not valid:
            if upload and application.status in KEEPS_CV_ON_ERROR:
                # Keep the chosen CV, so it need not be chosen again.
                services.application_attach_cv(
                    application_id=application.pk, actor=request.user, cv=upload
                )
                application.refresh_from_db()
            elif upload:
                # Storing it would turn a submitted application back into a
                # draft; nothing else here was saved either.
                form.add_error(
                    "cv", "Choose your CV again after fixing the other answers."
                )
            return render(
                request,
                "applications/form.html",
                {"form": form, "application": application},
            )
        answers = {k: v for k, v in form.cleaned_data.items() if k != "cv"}
        try:
            application = services.application_save(
                application_id=application.pk,
                actor=request.user,
                answers=answers,
                cv=upload or None,
                submit=submitting,
            )
        except services.ApplicationError as error:
            messages.error(request, str(error))
            return redirect("applications:detail", pk=application.pk)
        if not submitting:
            messages.success(request, _saved_message(application))
            return redirect("applications:form")
        # The confirmation is an outbox row committed with the submission: it
        # is sent even if the broker is down now (the sweep sends it later),
        # so the page can promise it without knowing how the hand-off went.
        confirmation = f"We will email a confirmation to {request.user.email}."
        if application.status == Application.Status.RESUBMITTED:
            messages.success(
                request, f"Your changes are sent to staff. Thank you! {confirmation}"
            )
        elif application.status == Application.Status.INELIGIBLE:
            messages.warning(request, "Your application does not meet every criterion.")
        else:
            messages.success(
                request, f"Your application is submitted. Thank you! {confirmation}"
            )
        return redirect("applications:detail", pk=application.pk)
    return render(
        request, "applications/form.html", {"form": form, "application": application}
    )


@login_required
def my_applications(request):
    applications = (
        Application.objects.filter(applicant=request.user)
        .select_related("cycle")
        .order_by("-created_at")
    )
    return render(
        request,
        "applications/list.html",
        {"applications": applications, "cycle_status": cycle_status()},
    )


@never_cache
@login_required
def application_detail(request, pk):
    application = get_application_for_user(request.user, pk)
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "events": application.events.filter(internal=False),
            "eligibility": application.effective_eligibility,
            "purge_on": services.purge_date(application),
        },
    )


@login_required
def application_withdraw(request, pk):
    application = get_application_for_user(request.user, pk)
    if application.applicant_id != request.user.pk:
        raise Http404
    if request.method == "POST":
        try:
            services.application_withdraw(
                application_id=application.pk, actor=request.user
            )
            messages.success(request, "Your application is withdrawn.")
        except services.ApplicationError as error:
            messages.error(request, str(error))
        return redirect("applications:detail", pk=application.pk)
    return render(request, "applications/withdraw.html", {"application": application})


@never_cache
@login_required
def cv_download(request, pk):
    application = get_cv_application_for_user(request.user, pk)
    if not application.cv:
        raise Http404
    try:
        handle = application.cv.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    extension = application.cv.name.rsplit(".", 1)[-1]
    try:
        stem = get_valid_filename(application.cv_filename.rsplit(".", 1)[0])[:80]
    except SuspiciousFileOperation:  # a name of symbols only
        stem = "cv"
    filename = f"{stem}.{extension}"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
