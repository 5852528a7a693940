from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import health, selectors, services
from .forms import NotificationRequestForm

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
