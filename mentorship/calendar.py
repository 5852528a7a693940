"""Calendar invitations (iCalendar, RFC 5545) for the introductory call.

The event is written in UTC, so every calendar shows it at the right instant
in its owner's own zone. Its UID stays the same for the call's whole life and
SEQUENCE grows with each change (RFC 5546): a calendar that has the invitation
updates or removes that event instead of adding another.
"""

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//Virtual Mentors Program//Introductory calls//EN"


def intro_call_ics(
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    location: str,
    organizer: tuple[str, str],
    attendees: list[tuple[str, str]],
    cancelled: bool = False,
    stamp: datetime | None = None,
) -> bytes:
    """The invitation (METHOD:REQUEST) or its cancellation (METHOD:CANCEL).

    ``organizer`` and ``attendees`` are (name, email) pairs.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _address(*organizer))
    for name, email in attendees:
        attendee = _address(name, email)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["RSVP"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def _address(name: str, email: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    return address
