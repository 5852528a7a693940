"""What applications hold about a person: their applications, as a part of
``accounts.personal_data`` (registered in ``ApplicationsConfig.ready``)."""

from django.db.models import Prefetch

from accounts.models import User, meeting_way_labels
from accounts.personal_data import Erasure, Export, Part

from . import services
from .models import Application, ApplicationEvent


def _export(export: Export) -> list[dict]:
    """Every application of the person, with what staff wrote about it.

    Staff's notes, ratings, internal timeline entries and override notes are
    included although the applicant's pages do not show them: the right of
    access (GDPR article 15) covers opinions others hold about a person, not
    only what they gave, and none of it is about anyone else. The help texts
    of those fields tell staff so. Staff are named only as "staff".
    """
    applications = (
        Application.objects.filter(applicant=export.user)
        .select_related("cycle", "decline_reason")
        .prefetch_related(
            "interests",
            "career_goals",
            "eligibility_overrides",
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("at", "pk")),
        )
        .order_by("created_at", "pk")
    )
    applications = list(applications)
    # The change history is no relation to prefetch: one query for them all.
    changes = {}
    for row in Application.history.filter(id__in=[a.pk for a in applications]).order_by(
        "history_date", "history_id"
    ):
        changes.setdefault(row.id, []).append(row)
    return [
        _application(export, application, changes.get(application.pk, []))
        for application in applications
    ]


def _application(export: Export, a: Application, changes) -> dict:
    cv = None
    if a.cv:
        cv = export.add_file("cvs", a.cv, f"{a.cycle.name} {a.cv_filename or 'cv'}")
    return {
        "cycle": a.cycle.name,
        "status": a.get_status_display(),
        "created_at": a.created_at,
        "submitted_at": a.submitted_at,
        "decided_at": a.decided_at,
        "answers": {
            "membership": a.get_membership_type_display(),
            "membership_application_sent": a.membership_application_submitted,
            "still_in_training": a.still_in_training,
            "training_completed_year": a.training_completed_year,
            "practice_country": a.practice_country.code,
            "training_country": a.training_country.code,
            "institution": a.institution,
            "position": a.position,
            "written_english": a.get_english_writing_display(),
            "spoken_english": a.get_english_speaking_display(),
            "monthly_hours": a.monthly_hours,
            "why_you_want_a_mentor": a.statement,
            "oncology_areas": [i.name for i in a.interests.all()],
            "career_goals": [i.name for i in a.career_goals.all()],
            "ways_to_meet": meeting_way_labels(a.meeting_ways),
            "other_languages": a.languages,
            "time_zone": a.time_zone,
            "prior_idea_award": a.prior_idea_award,
            "consent": a.consent,
            "cv_file": cv,
            "cv_filename": a.cv_filename,
        },
        "eligibility": {
            "outcome": a.get_eligibility_outcome_display(),
            "criteria": [
                {
                    "criterion": r["label"],
                    "outcome": r["outcome"],
                    "reason": r["reason"],
                    "staff_override_note": r["override"].note if r["override"] else "",
                }
                for r in a.effective_eligibility
            ],
        },
        "message_from_staff": a.message_to_applicant,
        "decline_reason": a.decline_reason.text if a.decline_reason else "",
        "review": {
            "reviewer_assigned": a.reviewer_id is not None,
            "rating": a.rating,
            "rating_comment": a.rating_comment,
            "staff_notes": a.staff_notes,
        },
        "timeline": [
            {
                "at": e.at,
                "status": e.get_status_display(),
                "what": e.description,
                "by": export.who(e.actor_id),
                "staff_note": e.note,
                "staff_only": e.internal,
            }
            for e in a.events.all()
        ],
        "changes": [
            {
                "at": row.history_date,
                "by": export.who(row.history_user_id),
                "change": row.get_history_type_display(),
                "status": row.status,
                "why": row.history_change_reason or "",
            }
            for row in changes
        ],
    }


def _erase(erasure: Erasure) -> None:
    for application in Application.objects.filter(applicant=erasure.user):
        services.application_erase_for_account(application=application, now=erasure.now)
    # Other applications' timelines may name them: a mentor who declined a
    # mentee, a reviewer who was staff.
    erasure.scrub(ApplicationEvent.objects.all(), "description", "note")


def _describe(user: User) -> list[str]:
    count = Application.objects.filter(applicant=user).count()
    if not count:
        return []
    return [
        f"{count} application(s): withdrawn if still open (nobody is emailed); "
        "the answers, the CV (from disk), staff's notes and the change history "
        "removed; the rows stay without a name for the cycle figures."
    ]


APPLICATIONS = Part(
    name="applications", export=_export, erase=_erase, describe=_describe
)
