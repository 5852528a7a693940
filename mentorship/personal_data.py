"""What the program core holds about a person: their pairings and everything
in them, the reminders and emails sent to them, and "notify me" requests; a
part of ``accounts.personal_data`` (registered in ``MentorshipConfig.ready``).
"""

import base64

from django.db.models import Prefetch, Q
from django.urls import reverse

from accounts.models import User
from accounts.personal_data import Blocker, Erasure, Export, Part

from .models import (
    Activity,
    CheckIn,
    IntroCall,
    Objective,
    OpeningNotification,
    OutboundEmail,
    Pairing,
    PairingEvent,
    PulseAnswer,
    Reminder,
    StaffContact,
    SurveyResponse,
)

# What stays of a staff check-in's note (the database wants one).
REMOVED = "Removed with a participant's account."


def _pairings_of(user):
    return Pairing.objects.filter(Q(mentee=user) | Q(mentor=user))


def _address_q(field: str, addresses) -> Q:
    query = Q(pk__in=[])
    for address in addresses:
        query |= Q(**{f"{field}__iexact": address})
    return query


def _export(export: Export) -> dict:
    user = export.user
    pairings = (
        _pairings_of(user)
        .select_related("cycle", "mentee", "mentor", "intro_call")
        .prefetch_related(
            Prefetch("events", queryset=PairingEvent.objects.order_by("at", "pk")),
            Prefetch(
                "checkins",
                queryset=CheckIn.objects.prefetch_related("topics").order_by(
                    "occurred_on", "pk"
                ),
            ),
            "objectives",
            Prefetch(
                "activities", queryset=Activity.objects.select_related("objective")
            ),
            "staff_contacts",
            Prefetch(
                "reminders",
                queryset=Reminder.objects.filter(person=user),
                to_attr="my_reminders",
            ),
            Prefetch(
                "pulse_answers",
                queryset=PulseAnswer.objects.filter(person=user),
                to_attr="my_pulse_answers",
            ),
            Prefetch(
                "surveys",
                queryset=SurveyResponse.objects.filter(person=user),
                to_attr="my_surveys",
            ),
        )
        .order_by("proposed_at", "pk")
    )
    addresses = {user.email, *user.emailaddress_set.values_list("email", flat=True)}
    emails = OutboundEmail.objects.filter(_address_q("to", addresses)).order_by(
        "created_at", "pk"
    )
    notifications = OpeningNotification.objects.filter(
        _address_q("email", addresses)
    ).select_related("cycle")
    return {
        "pairings": [_pairing(export, pairing) for pairing in pairings],
        "emails_sent_to_you": [
            {
                "created_at": e.created_at,
                "sent_at": e.sent_at,
                "status": e.get_status_display(),
                "to": e.to,
                "subject": e.subject,
                "text": e.body_text,
            }
            for e in emails
        ],
        "notify_me_when_applications_open": [
            {
                "email": n.email,
                "cycle": n.cycle.name if n.cycle else "whichever opens next",
                "asked_at": n.created_at,
                "notified_at": n.notified_at,
                "unsubscribed_at": n.unsubscribed_at,
            }
            for n in notifications
        ],
    }


def _pairing(export: Export, pairing: Pairing) -> dict:
    """One pairing as the person knows it, and what staff noted about it.

    Of the other person, only what the pairing page shows: their name, their
    notes that are not private, not their survey answers nor what they did
    (their own actions are theirs). Staff's reason for closing a pairing and
    their check-in notes concern both people and are in both copies; the
    forms where staff write them say so. A cancelled pairing's reason is
    left out: it quotes what the one who declined wrote, for staff only.
    """
    user = export.user
    role = pairing.role_of(user)
    other = pairing.other_person(user)
    other_role = "your mentor" if role == "mentee" else "your mentee"

    def who(user_id):
        return export.who(user_id, other=other, other_label=other_role)

    call = getattr(pairing, "intro_call", None)
    cancelled = pairing.status == Pairing.Status.CANCELLED
    return {
        "cycle": pairing.cycle.name,
        "your_role": role,
        other_role.removeprefix("your "): other.display_name,
        "status": pairing.get_status_display(),
        "proposed_at": pairing.proposed_at,
        "you_accepted_at": getattr(pairing, f"{role}_accepted_at"),
        "confirmed_at": pairing.confirmed_at,
        "starts_on": pairing.starts_on,
        "months": pairing.months,
        "ends_on": pairing.ends_on,
        "ended_at": pairing.ended_at,
        "why_it_ended": "" if cancelled else pairing.end_reason,
        "attention": pairing.get_attention_display() if pairing.attention else "",
        "timeline": [
            {
                "at": e.at,
                "status": e.get_status_display(),
                "what": e.description,
                "by": who(e.actor_id),
            }
            for e in pairing.events.all()
            if e.actor_id is None or e.actor_id != other.pk
        ],
        "introductory_call": {
            "starts_at": call.starts_at,
            "minutes": call.duration_minutes,
            "where": call.location,
            "status": call.get_status_display(),
            "staff_note": call.outcome_note,
        }
        if call
        else None,
        "contacts": [
            {
                "date": c.occurred_on,
                "month_of_the_year": c.month,
                "way": c.get_way_display(),
                "minutes": c.minutes,
                "started_by": c.get_initiated_by_display(),
                "topics": [t.name for t in c.topics.all()],
                "other_topics": c.other_topics,
                "logged_by": who(c.author_id),
                # The other person's private notes are theirs alone.
                "notes": c.notes
                if c.author_id == user.pk or not c.notes_private
                else "",
                "notes_private": c.notes_private if c.author_id == user.pk else None,
                "confirmation": c.get_confirmation_display(),
            }
            for c in pairing.checkins.all()
        ],
        "mentoring_plan": {
            "objectives": [
                {
                    "title": o.title,
                    "what_success_looks_like": o.success,
                    "target_date": o.target_date,
                    "status": o.get_status_display(),
                }
                for o in pairing.objectives.all()
            ],
            "activities": [
                {
                    "title": a.title,
                    "due_on": a.due_on,
                    "done_on": a.done_on,
                    "towards": a.objective.title if a.objective else "",
                }
                for a in pairing.activities.all()
            ],
        },
        "staff_follow_ups": [
            {"at": s.at, "kind": s.get_kind_display(), "note": s.note}
            for s in pairing.staff_contacts.all()
        ],
        "reminders_to_you": [
            {"at": r.created_at, "kind": r.get_kind_display(), "text": r.text}
            for r in pairing.my_reminders
        ],
        "your_monthly_answers": [
            {"month": p.month, "talked": p.talked, "answered_at": p.answered_at}
            for p in pairing.my_pulse_answers
        ],
        "your_surveys": [
            {
                "kind": s.get_kind_display(),
                "sent_at": s.invited_at,
                "answered_at": s.answered_at,
                "rating": s.rating,
                "objectives_achieved": s.get_objectives_achieved_display(),
                "would_recommend": s.would_recommend,
                "what_helped": s.helped,
                "what_to_change": s.to_change,
                "take_part_again": s.take_part_again,
                "still_in_contact": s.still_in_contact,
                "progress_since": s.progress,
            }
            for s in pairing.my_surveys
        ],
    }


def _blockers(user: User) -> list[Blocker]:
    under_way = (
        _pairings_of(user)
        .filter(status__in=Pairing.UNDER_WAY)
        .select_related("mentee", "mentor", "cycle")
    )
    return [
        Blocker(
            text=f"The pairing with {pairing.other_person(user)} ({pairing.cycle}) is "
            f"under way ({pairing.get_status_display().lower()}): end it early "
            "first, or refuse the request.",
            url=reverse("admin:mentorship_pairing_end", args=[pairing.pk]),
            link_text="End the pairing early",
        )
        for pairing in under_way
    ]


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    pairings = _pairings_of(user)
    # Staff's words about the pair: the status says how it ended.
    pairings.update(end_reason="")
    IntroCall.objects.filter(pairing__in=pairings).update(outcome_note="")
    StaffContact.objects.filter(
        pairing__in=pairings, kind=StaffContact.Kind.CHECK_IN
    ).update(note=REMOVED)
    StaffContact.objects.filter(pairing__in=pairings).exclude(
        kind=StaffContact.Kind.CHECK_IN
    ).update(note="")
    # Their contacts stay (the months they count for are figures), without
    # what they wrote; the other person's notes stay, without their name.
    CheckIn.objects.filter(author=user).update(notes="", other_topics="")
    erasure.scrub(CheckIn.objects.filter(pairing__in=pairings), "notes", "other_topics")
    # The Mentoring Plan is both people's: kept, with their name taken out.
    for model in (Objective, Objective.history.model):
        erasure.scrub(model.objects.filter(pairing__in=pairings), "title", "success")
    for model in (Activity, Activity.history.model):
        erasure.scrub(model.objects.filter(pairing__in=pairings), "title")
    erasure.scrub(PairingEvent.objects.filter(pairing__in=pairings), "description")
    Reminder.objects.filter(
        Q(person=user) | _address_q("recipient", erasure.addresses)
    ).delete()
    erasure.scrub(Reminder.objects.filter(pairing__in=pairings), "text")
    # Ratings and choices stay for the survey figures; their words go.
    SurveyResponse.objects.filter(person=user).update(
        helped="", to_change="", progress=""
    )
    OpeningNotification.objects.filter(_address_q("email", erasure.addresses)).delete()
    OutboundEmail.objects.filter(_address_q("to", erasure.addresses)).delete()
    # Emails to others that name them (an introduction, a closing email):
    # none can be older than their account.
    since = OutboundEmail.objects.filter(created_at__gte=user.date_joined)
    erasure.scrub(since, "subject", "body_text", "body_html")
    _drop_attachments_naming(since.exclude(attachments=[]), erasure.mentions)


def _drop_attachments_naming(emails, mentions) -> None:
    """Calendar invitations name every attendee; an email's copy in the
    outbox loses an attachment that names the person."""
    for email in emails.only("pk", "attachments").iterator(chunk_size=500):
        kept = [
            item
            for item in email.attachments
            if not any(
                mention.encode() in base64.b64decode(item.get("content", ""))
                for mention in mentions
            )
        ]
        if len(kept) != len(email.attachments):
            OutboundEmail.objects.filter(pk=email.pk).update(attachments=kept)


def _describe(user: User) -> list[str]:
    lines = []
    pairings = _pairings_of(user).count()
    if pairings:
        lines.append(
            f"{pairings} pairing(s) kept for the figures, with the other person "
            "seeing “a former participant”: their contact notes, survey "
            "comments, and staff's notes about the pair removed; their name "
            "taken out of the other person's notes and the plan."
        )
    addresses = {user.email, *user.emailaddress_set.values_list("email", flat=True)}
    emails = OutboundEmail.objects.filter(_address_q("to", addresses)).count()
    if emails:
        lines.append(f"{emails} email(s) sent to them deleted from the outbox.")
    return lines


MENTORSHIP = Part(
    name="mentoring",
    export=_export,
    erase=_erase,
    blockers=_blockers,
    describe=_describe,
)
