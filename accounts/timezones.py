"""The IANA time zones a person can choose from, and how to check one."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    # Legacy aliases ("US/Eastern", "Etc/GMT+5") confuse more than they help.
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


@cache
def _choice_names() -> frozenset[str]:
    return frozenset(name for name, _ in time_zone_choices())


@cache
def _known_zones() -> frozenset[str]:
    # zoneinfo.available_timezones() walks the time zone database's folders
    # on every call: milliseconds, where a page or a reminder asks twice.
    return frozenset(zoneinfo.available_timezones())


def is_valid_time_zone(name: str) -> bool:
    return name in _choice_names()


def validate_time_zone(name: str) -> None:
    if not is_valid_time_zone(name):
        raise ValidationError(
            "“%(name)s” is not a time zone we know. Choose one from the list, "
            "for example Europe/Paris or Asia/Kolkata.",
            code="invalid_time_zone",
            params={"name": name},
        )


def zone_or_utc(name: str) -> zoneinfo.ZoneInfo:
    """The zone of that name, or UTC for a blank or unknown one (a row written
    around the forms), so that showing a time never fails."""
    if name and name in _known_zones():
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo("UTC")
