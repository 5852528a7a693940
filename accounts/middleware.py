import zoneinfo
from urllib.parse import unquote

from django.utils import timezone

from .timezones import is_valid_time_zone

# Set by static/js/site.js from the browser, so that visitors who are not
# logged in also see dates in their own time zone.
BROWSER_TIME_ZONE_COOKIE = "tz"


def time_zone_middleware(get_response):
    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            name = user.time_zone
        else:
            name = unquote(request.COOKIES.get(BROWSER_TIME_ZONE_COOKIE, ""))
        if is_valid_time_zone(name):
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return get_response(request)

    return middleware
