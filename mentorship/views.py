from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health

USABLE = {"ok", "in-process"}


@require_GET
def home(request):
    return render(request, "mentorship/home.html")


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
