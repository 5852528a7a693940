"""Everything the platform holds about one person, gathered from every app:
for the person's copy of it (the right of access) and for deleting it.

Each app describes what it holds about a person as a ``Part`` in its own
``personal_data`` module and registers it here from its ``AppConfig.ready()``.
Apps are ready in layer order, so the parts are too (this one, accounts,
first); this module, in the lowest layer, never imports the apps above it.

Deleting an account anonymises it (see ``accounts.models.User`` for why):
each part removes or blanks what is personal in its own tables, and the
accounts part, last, turns the user row into an anonymous one. The caller
holds the transaction; files are deleted from disk once it commits.
"""

import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.functions import Replace, Substr
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import get_valid_filename
from simple_history.models import HistoricalChanges

from .models import FORMER_PARTICIPANT, DataExport, MentorProfile, User

logger = logging.getLogger(__name__)

# A name shorter than this is not looked for in other people's text: it
# would match too many words that are not the person.
SHORTEST_NAME = 4


@dataclass
class Export:
    """What a part's ``export`` is given: the person, and the files that go
    into the zip beside the JSON (a CV)."""

    user: User
    files: list[tuple[str, Any]] = field(default_factory=list)

    def add_file(self, folder: str, field_file, filename: str) -> str:
        """Put a stored file into the zip; returns its path there."""
        name = get_valid_filename(filename) or "file"
        path = f"{folder}/{len(self.files) + 1}-{name}"
        self.files.append((path, field_file))
        return path

    def who(self, user_id: int | None, *, other=None, other_label="") -> str:
        """Who did something, as the person reads it: staff are not named."""
        if user_id is None:
            return "the program"
        if user_id == self.user.pk:
            return "you"
        if other is not None and user_id == other.pk:
            return other_label
        return "staff"


@dataclass
class Erasure:
    """What a part's ``erase`` is given: the person, the moment, the strings
    that name them in text, and a list of files to delete after commit."""

    user: User
    now: datetime
    addresses: tuple[str, ...]
    mentions: tuple[str, ...]
    files: list[tuple[Any, str]] = field(default_factory=list)

    def delete_file(self, field_file) -> None:
        if field_file:
            self.files.append((field_file.storage, field_file.name))

    def scrub(self, queryset, *fields: str) -> None:
        """Put "a former participant" in place of each mention of the person
        in these text columns (other people's notes, emails sent to others,
        descriptions of events), leaving the rest of the text as it is."""
        if not self.mentions:
            return
        model = queryset.model
        for name in fields:
            # One pass over the table per column, whatever the mentions: the
            # longest is replaced first, so a name inside an address is not.
            replaced = models.F(name)
            naming = models.Q(pk__in=[])
            for mention in self.mentions:
                replaced = Replace(
                    replaced, models.Value(mention), models.Value(FORMER_PARTICIPANT)
                )
                naming |= models.Q(**{f"{name}__contains": mention})
            max_length = model._meta.get_field(name).max_length
            if max_length:
                replaced = Substr(replaced, 1, max_length)
            queryset.filter(naming).update(**{name: replaced})

    def forget_in_admin_log(self, model, pks, label: str = FORMER_PARTICIPANT):
        """The admin's log of staff changes names each object it lists."""
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in pks],
        ).update(object_repr=label, change_message="")


@dataclass(frozen=True)
class Blocker:
    """Why an account cannot be deleted yet, and where staff resolve it."""

    text: str
    url: str = ""
    link_text: str = ""


def _nothing(user) -> list:
    return []


@dataclass(frozen=True)
class Part:
    """What one app holds about a person.

    ``export`` returns the JSON-ready data for the person's copy; ``erase``
    removes or anonymises it inside the caller's transaction; ``blockers``
    says why deleting must wait (a pairing under way); ``describe`` tells
    staff, before they approve, what ``erase`` will do.
    """

    name: str
    export: Callable[[Export], Any]
    erase: Callable[[Erasure], None]
    blockers: Callable[[User], list[Blocker]] = _nothing
    describe: Callable[[User], list[str]] = _nothing


_parts: dict[str, Part] = {}


def register(part: Part) -> None:
    _parts[part.name] = part


def parts() -> list[Part]:
    return list(_parts.values())


# The person's copy


ARCHIVE_README = """\
Your data from the Virtual Mentors Program
===========================================

data.json holds everything the program keeps about you, as of {generated}
(UTC): your account, your applications with your answers, the eligibility
results and what staff noted about them, your mentor profile, your pairings
with their contacts, Mentoring Plan, reminders and surveys, and the emails
we sent you. The cvs folder holds the CVs you uploaded.

About the other person of a pairing, it holds only what you could already
see on your pairing page: not their private notes, nor their survey answers.
"""


def gather(user: User) -> tuple[dict, list[tuple[str, Any]]]:
    """The person's data from every part, and the files that go with it."""
    export = Export(user=user)
    data = {"generated_at": timezone.now(), "person": user.email}
    for part in parts():
        data[part.name] = part.export(export)
    return data, export.files


def write_archive(user: User, destination) -> None:
    """Write the person's copy, a zip, into the open binary file
    ``destination``: README.txt, data.json and the stored files."""
    data, files = gather(user)
    generated = f"{data['generated_at']:%d %B %Y %H:%M}"
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", ARCHIVE_README.format(generated=generated))
        archive.writestr(
            "data.json",
            json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        )
        for path, field_file in files:
            try:
                with (
                    field_file.storage.open(field_file.name, "rb") as handle,
                    archive.open(path, "w") as target,
                ):
                    while chunk := handle.read(1024 * 1024):
                        target.write(chunk)
            except FileNotFoundError:
                archive.writestr(f"{path}.missing.txt", "This file was not found.")


# Deleting an account


def blockers(user: User) -> list[Blocker]:
    return [blocker for part in parts() for blocker in part.blockers(user)]


def describe(user: User) -> list[str]:
    return [line for part in parts() for line in part.describe(user)]


def addresses_of(user: User) -> tuple[str, ...]:
    found = {
        user.email,
        *EmailAddress.objects.filter(user=user).values_list("email", flat=True),
    }
    return tuple(sorted(address for address in found if address))


def mentions_of(user: User, addresses) -> tuple[str, ...]:
    """The strings that name the person in text: their email addresses and
    full name, also as HTML shows them; longest first, so a name inside an
    address is not replaced before the address."""
    found = set(addresses)
    name = " ".join(user.full_name.split())
    if len(name) >= SHORTEST_NAME:
        found.add(name)
    found |= {str(escape(text)) for text in found}
    return tuple(sorted(found, key=len, reverse=True))


def erase(user: User, *, now=None) -> Erasure:
    """Remove the person's data, part by part, the highest layer first (it
    may still need the layers below), the account itself last. Call inside a
    transaction; the files go once it commits."""
    addresses = addresses_of(user)
    erasure = Erasure(
        user=user,
        now=now or timezone.now(),
        addresses=addresses,
        mentions=mentions_of(user, addresses),
    )
    for part in reversed(parts()):
        part.erase(erasure)
    files = list(erasure.files)
    transaction.on_commit(lambda: delete_files(files))
    return erasure


def delete_files(files) -> None:
    """Delete stored files once their rows are committed; a file that cannot
    be deleted is logged, for an operator, and does not undo the rest."""
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Could not delete the private file %s", name)


# What accounts hold


def _history_models():
    return [
        model for model in apps.get_models() if issubclass(model, HistoricalChanges)
    ]


def _export(export: Export) -> dict:
    user = export.user
    profile = (
        MentorProfile.objects.filter(user=user)
        .prefetch_related("interests", "career_goals")
        .first()
    )
    return {
        "details": {
            "email": user.email,
            "full_name": user.full_name,
            "country": user.country.code,
            "country_name": user.country.name,
            "time_zone": user.time_zone,
            "institution": user.institution,
            "reminders": user.get_reminder_delivery_display(),
            "joined": user.date_joined,
            "last_login": user.last_login,
            "staff": user.is_staff,
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "two_factor_methods": sorted(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ),
        "mentor_profile": _export_profile(export, profile) if profile else None,
        "data_exports": [
            {
                "requested_at": e.requested_at,
                "status": e.get_status_display(),
                "ready_at": e.ready_at,
                "expires_at": e.expires_at,
                "downloaded_at": e.downloaded_at,
            }
            for e in user.data_exports.all()
        ],
        "deletion_requests": [
            {
                "requested_at": r.requested_at,
                "status": r.get_status_display(),
                "decided_at": r.decided_at,
                "refusal_reason": r.refusal_reason,
            }
            for r in user.deletion_requests.all()
        ],
    }


def _export_profile(export: Export, profile: MentorProfile) -> dict:
    # Staff's note with their decision was sent to the mentor; it is theirs.
    history = MentorProfile.history.filter(id=profile.pk).order_by("history_date")
    return {
        "status": profile.get_status_display(),
        "membership": profile.get_membership_type_display(),
        "years_experience": profile.years_experience,
        "position": profile.position,
        "oncology_areas": [i.name for i in profile.interests.all()],
        "career_goals": [i.name for i in profile.career_goals.all()],
        "languages": profile.language_names,
        "capacity": profile.capacity,
        "ways_to_meet": profile.meeting_way_labels,
        "bio": profile.bio,
        "available": profile.is_available,
        "agreed_at": profile.agreed_at,
        "decided_at": profile.decided_at,
        "decision_note": profile.decision_note,
        "created_at": profile.created_at,
        "changes": [
            {
                "at": row.history_date,
                "by": export.who(row.history_user_id),
                "change": row.get_history_type_display(),
                "status": row.status,
                "why": row.history_change_reason or "",
            }
            for row in history
        ],
    }


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    profile = MentorProfile.objects.filter(user=user).first()
    if profile is not None:
        # Kept, empty and inactive: past match runs' proposals point at it.
        MentorProfile.objects.filter(pk=profile.pk).update(
            status=MentorProfile.Status.INACTIVE,
            is_available=False,
            position="",
            bio="",
            decision_note="",
            languages=[],
            meeting_ways=[],
        )
        profile.interests.clear()
        profile.career_goals.clear()
        MentorProfile.history.filter(id=profile.pk).delete()
        erasure.forget_in_admin_log(MentorProfile, [profile.pk])
    for export in DataExport.objects.filter(user=user):
        erasure.delete_file(export.file)
    DataExport.objects.filter(user=user).delete()
    user.deletion_requests.filter(status="refused").update(
        refusal_reason="Removed with the account."
    )
    # Who made each change to other records (a Mentoring Plan they shared).
    for model in _history_models():
        model.objects.filter(history_user_id=user.pk).update(history_user=None)
    erasure.forget_in_admin_log(User, [user.pk])
    erasure.scrub(LogEntry.objects.all(), "object_repr", "change_message")

    user.email = f"deleted-{user.pk}@invalid"
    user.full_name = ""
    user.institution = ""
    user.time_zone = "UTC"
    user.reminder_delivery = User.ReminderDelivery.IMMEDIATE
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.deleted_at = erasure.now
    # Also ends every session: each carries a hash of the password.
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def _describe(user: User) -> list[str]:
    lines = [
        "The account is closed and anonymised: name, email addresses, "
        "institution, time zone, password and two-factor methods are removed; "
        "the country stays, for the figures by world region."
    ]
    if MentorProfile.objects.filter(user=user).exists():
        lines.append("The mentor profile is emptied and made inactive.")
    exports = DataExport.objects.filter(user=user).exclude(file="").count()
    if exports:
        lines.append(f"{exports} copy(ies) of their data deleted from disk.")
    return lines


ACCOUNTS = Part(name="account", export=_export, erase=_erase, describe=_describe)
