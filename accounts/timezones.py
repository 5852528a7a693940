"""The IANA time zones a person can choose from, and how to check one."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def _known_zones() -> frozenset[str]:
    # Reading the time zone database walks the file system: once is enough.
    return frozenset(zoneinfo.available_timezones())


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    # Legacy aliases ("US/Eastern", "Etc/GMT+5") confuse more than they help.
    names = sorted(
        name
        for name in _known_zones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


@cache
def _choice_names() -> frozenset[str]:
    return frozenset(name for name, _ in time_zone_choices())


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


@cache  # a ZoneInfo keeps only a few zones in its own cache
def zone_or_utc(name: str) -> zoneinfo.ZoneInfo:
    """The zone of that name, or UTC for a blank or unknown one (a row written
    around the forms), so that showing a time never fails."""
    if name and name in _known_zones():
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo("UTC")
