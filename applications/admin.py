"""Staff review in the admin: the queue, the readable record, the decisions.

Every decision goes through a service; the pages here only collect what the
service needs, preview it (a dry run) and ask for confirmation.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, lru_cache

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, OrderBy, OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.admin_pages import (
    DeletePageQueriesMixin,
    HistoryAdmin,
    PlainActionCheckboxMixin,
)
from accounts.forms import pk_or_none
from accounts.models import MeetingWay
from accounts.regions import region_of, sub_regions
from mentorship.security import allow_email_styles

from . import eligibility, export, forms, selectors, services, states
from .models import (
    FORMER_APPLICANT,
    Application,
    DeclineReason,
    EligibilityOverride,
)

Status = Application.Status
STATUS_LABELS = dict(Status.choices)
OUTCOME_LABELS = dict(Application._meta.get_field("eligibility_outcome").flatchoices)

# A confirmation page lists every application it acts on; more than this is
# better done as several batches, filtered first.
MAX_BATCH = 500
# The retention page lists this many of each kind; the list filters show all.
RETENTION_PAGE_ROWS = 200


def _local_date(value) -> str:
    return timezone.localtime(value).strftime("%d %b %Y")


def _local_datetime(value) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M")


@dataclass(frozen=True)
class ReviewAction:
    """One thing staff can do to an application, alone or in bulk."""

    name: str
    label: str
    form: type[forms.ReviewForm]
    service: Callable[..., Application]
    # The state-machine transition it makes, if it always makes one.
    transition: str = ""

    def available_for(self, application: Application) -> bool:
        if application.purged_at:
            return False
        if self.transition:
            return states.allows(self.transition, application.status)
        if self.name == "override_eligibility":
            return application.status in states.OVERRIDABLE and bool(
                application.eligibility
            )
        return application.status in states.REVIEWABLE


REVIEW_ACTIONS = {
    action.name: action
    for action in (
        ReviewAction(
            "start_review",
            "Start the review",
            forms.NotedForm,
            services.application_start_review,
            transition="start_review",
        ),
        ReviewAction(
            "assign_reviewer",
            "Assign a reviewer",
            forms.AssignReviewerForm,
            services.application_assign_reviewer,
        ),
        ReviewAction("rate", "Rate", forms.RateForm, services.application_rate),
        ReviewAction(
            "approve",
            "Approve",
            forms.NotedForm,
            services.application_approve,
            transition="approve",
        ),
        ReviewAction(
            "waitlist",
            "Waitlist",
            forms.NotedForm,
            services.application_waitlist,
            transition="waitlist",
        ),
        ReviewAction(
            "request_info",
            "Request more information",
            forms.RequestInfoForm,
            services.application_request_info,
            transition="request_info",
        ),
        ReviewAction(
            "decline",
            "Decline",
            forms.DeclineForm,
            services.application_decline,
            transition="decline",
        ),
        ReviewAction(
            "override_eligibility",
            "Override eligibility",
            forms.OverrideEligibilityForm,
            services.application_override_eligibility,
        ),
    )
}


def _bulk_action(spec: ReviewAction):
    """The list's action for ``spec``: it opens the review page for the
    selected applications, which then posts back to the list, step by step."""

    def action(modeladmin, request, queryset):
        if "step" in request.POST:
            ids = _posted_ids(request)
        else:
            ids = list(queryset.values_list("pk", flat=True)[: MAX_BATCH + 1])
            if len(ids) > MAX_BATCH:
                modeladmin.message_user(
                    request,
                    f"Select at most {MAX_BATCH} applications at a time; "
                    "filter the list to narrow the selection.",
                    messages.ERROR,
                )
                return None
        url = request.get_full_path()
        return modeladmin._review_page(
            request, spec, ids, done_url=url, post_url=url, cancel_url=url, bulk=True
        )

    action.__name__ = f"review_{spec.name}"
    return admin.action(description=f"{spec.label}…", permissions=["change"])(action)


def _posted_ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
        pk = pk_or_none(value)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids[:MAX_BATCH]


def _criteria_of(ids) -> list[tuple[str, str]]:
    """The criteria the rules evaluated for these applications, in order."""
    labels: dict[str, str] = {}
    for results in Application.objects.filter(pk__in=ids).values_list(
        "eligibility", flat=True
    ):
        for result in results:
            labels.setdefault(result["criterion"], result["label"])
    return list(labels.items())


def _report(request, spec: ReviewAction, outcomes) -> None:
    done = [o for o in outcomes if not o.refusal]
    skipped = [o for o in outcomes if o.refusal]
    emails = sum(len(o.emails) for o in done)
    if done:
        messages.success(
            request,
            f"{spec.label}: done for {len(done)} application(s); "
            f"{emails} email(s) to applicants queued.",
        )
    for outcome in skipped[:20]:
        messages.warning(
            request, f"Skipped {outcome.application.applicant}: {outcome.refusal}"
        )
    if len(skipped) > 20:
        messages.warning(request, f"… and {len(skipped) - 20} more skipped.")
    if not outcomes:
        messages.warning(request, "None of the selected applications exists now.")


def _person_link(user) -> str:
    """A person, linked to their admin page as Django links a read-only
    foreign key."""
    if user is None:
        return "—"
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return format_html('<a href="{}">{}</a>', url, user)


def _definition_list(rows):
    return format_html(
        '<dl class="review-details">{}</dl>',
        format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows),
    )


@lru_cache(maxsize=1024)
def _country_and_region(code: str, language: str) -> tuple[str, str]:
    """A country's name (in ``language``) and UN M49 sub-region: looked up
    once, not on each of the queue's rows (django-countries translates the
    name anew each time)."""
    with translation.override(language):
        name = countries.name(code)
    try:
        return name, region_of(code).sub_region
    except KeyError:
        return name, ""


# The queue's filters


@lru_cache(maxsize=512)
def _country_options(selected: str, language: str) -> str:
    """The countries as options, ``selected`` marked: written once for each
    country (and language), not on each visit."""
    with translation.override(language):
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (code, " selected" if code == selected else "", name)
                for code, name in countries
            ),
        )


class CountryFilter(admin.ChoicesFieldListFilter):
    """The country of practice chosen from a drop-down list, in a form that
    sends the list's other filters, search and order along, where Django
    writes a link with its own address for each of some 250 countries: a
    side bar longer than the page, and about 3 ms of the queue's. The
    address is Django's (``practice_country__exact``); "All" sends it empty,
    which filters nothing."""

    template = "admin/applications/application/country_filter.html"

    def __init__(self, field, request, params, *args, **kwargs):
        super().__init__(field, request, params, *args, **kwargs)
        if self.lookup_val == [""]:
            del self.used_parameters[self.lookup_kwarg]
            self.lookup_val = None

    def choices(self, changelist):
        left_out = (self.lookup_kwarg, self.lookup_kwarg_isnull)
        selected = self.lookup_val[-1] if self.lookup_val else ""
        yield {
            "selected": self.lookup_val is None,
            "display": _("All"),
            "kept": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name not in left_out
                for value in values
            ],
            "options": _country_options(
                selected if selected in countries else "", translation.get_language()
            ),
        }


class SharedChoicesFilter(admin.RelatedFieldListFilter):
    """Django's filter by a related row, its choices shared for a while
    (``selectors.shared_filter_choices``)."""

    def field_choices(self, field, request, model_admin):
        read = super().field_choices
        return selectors.shared_filter_choices(
            f"{model_admin.opts.label_lower}.{self.field_path}",
            lambda: read(field, request, model_admin),
        )


class StatusFilter(admin.SimpleListFilter):
    """Drafts are the applicant's own until submitted: the queue leaves them
    out unless staff ask for them."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.filter(status=self.value())
        if self.value() is None:
            return queryset.exclude(status=Status.DRAFT)
        return queryset.none()

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        choices[0]["display"] = "All but drafts"
        return choices


@cache
def countries_in_sub_region() -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for code, _name in countries:
        try:
            grouped.setdefault(region_of(code).sub_region, []).append(code)
        except KeyError:
            continue
    return grouped


class RegionFilter(admin.SimpleListFilter):
    """The UN M49 sub-region of the country of practice, as matching uses it."""

    title = "region"
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sub_regions()]

    def queryset(self, request, queryset):
        if self.value():
            codes = countries_in_sub_region().get(self.value(), [])
            return queryset.filter(practice_country__in=codes)
        return queryset


class EligibilityFilter(admin.SimpleListFilter):
    title = "eligibility"
    parameter_name = "eligibility"

    def lookups(self, request, model_admin):
        return [
            *(
                (outcome, label)
                for outcome, label in eligibility.OUTCOME_LABELS.items()
            ),
            ("overridden", "Overridden by staff"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "overridden":
            return queryset.filter(
                Exists(EligibilityOverride.objects.filter(application=OuterRef("pk")))
            )
        if self.value() in eligibility.OUTCOME_LABELS:
            return queryset.filter(eligibility_outcome=self.value())
        return queryset


class NeedsMyReviewFilter(admin.SimpleListFilter):
    """Assigned to me and waiting for me: not yet rated, or changed by the
    applicant since staff asked for more information."""

    title = "my work"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("review", "Needs my review"), ("assigned", "Assigned to me")]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(reviewer=request.user).filter(
                Q(status=Status.RESUBMITTED)
                | Q(status=Status.UNDER_REVIEW, rating__isnull=True)
            )
        if self.value() == "assigned":
            return queryset.filter(reviewer=request.user)
        return queryset


class RetentionFilter(admin.SimpleListFilter):
    """Declined and withdrawn applications lose their personal data once the
    retention period has passed since the decision: staff see which, and
    when, before the daily purge does it."""

    title = "personal data"
    parameter_name = "retention"
    SOON_DAYS = 30

    def lookups(self, request, model_admin):
        return [
            ("due", "Due for removal (at the next daily purge)"),
            ("soon", f"To be removed within {self.SOON_DAYS} days"),
            ("removed", "Removed"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "due":
            return queryset.filter(
                pk__in=services.applications_due_for_purge(now=now).values("pk")
            )
        if self.value() == "soon":
            return queryset.filter(
                pk__in=services.applications_due_for_purge(
                    now=now + timedelta(days=self.SOON_DAYS)
                ).values("pk")
            )
        if self.value() == "removed":
            return queryset.filter(purged_at__isnull=False)
        return queryset


@admin.register(DeclineReason)
class DeclineReasonAdmin(DeletePageQueriesMixin, admin.ModelAdmin):
    list_display = ["title", "text", "is_active", "position"]
    list_editable = ["is_active", "position"]
    search_fields = ["title", "text"]


@admin.register(Application)
class ApplicationAdmin(PlainActionCheckboxMixin, HistoryAdmin):
    list_display = [
        "applicant_column",
        "country_column",
        "cycle",
        "status",
        "eligibility_column",
        "years_column",
        "interests_column",
        "submitted_column",
        "reviewer",
        "rating_column",
    ]
    list_filter = [
        ("cycle", SharedChoicesFilter),
        StatusFilter,
        NeedsMyReviewFilter,
        RegionFilter,
        ("practice_country", CountryFilter),
        EligibilityFilter,
        ("interests", SharedChoicesFilter),
        ("reviewer", SharedChoicesFilter),
        RetentionFilter,
    ]
    # Prefetched by get_queryset instead: see selectors.review_queue.
    list_select_related = ()
    search_fields = ["applicant__full_name", "applicant__email", "institution"]
    search_help_text = "Search by name, email or institution."
    ordering = ["-submitted_at", "-id"]
    # Each row's eleven cells go through the admin's rendering one by one:
    # 100 rows were half of the page's time (bench_pages' profile); 50 is a
    # screen or two of reading, and "Select all" still reaches every page.
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    change_list_template = "admin/applications/application/change_list.html"
    change_form_template = "admin/applications/application/change_form.html"
    fieldsets = [
        (
            "Applicant",
            {
                "fields": [
                    "applicant_details",
                    "cycle",
                    "status",
                    "submitted_at",
                    "retention",
                ]
            },
        ),
        (
            "Review",
            {
                "fields": [
                    "review_details",
                    "message_to_applicant",
                    "staff_notes",
                ]
            },
        ),
        ("Eligibility", {"fields": ["eligibility_details"]}),
        ("Answers", {"fields": ["answers", "statement_text", "cv_link"]}),
        ("Timeline (who, when, note)", {"fields": ["timeline"]}),
    ]
    readonly_fields = [
        "applicant_details",
        "cycle",
        "status",
        "submitted_at",
        "review_details",
        "message_to_applicant",
        "eligibility_details",
        "answers",
        "statement_text",
        "cv_link",
        "retention",
        "timeline",
    ]
    actions = [_bulk_action(spec) for spec in REVIEW_ACTIONS.values()]

    def get_queryset(self, request):
        return selectors.review_queue(super().get_queryset(request))

    def get_paginator(self, request, queryset, *args, **kwargs):
        paginator = super().get_paginator(request, queryset, *args, **kwargs)
        # Sorted or paged through, but neither filtered nor searched.
        if set(request.GET) <= {ORDER_VAR, PAGE_VAR}:
            paginator.count = selectors.whole_queue_count(queryset)
        return paginator

    def get_object(self, request, object_id, from_field=None):
        """Django's, with the record's related rows fetched as one record
        needs them (``selectors.application_record``)."""
        queryset = selectors.application_record(super().get_queryset(request))
        opts = self.model._meta
        field = opts.pk if from_field is None else opts.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def has_add_permission(self, request):
        return False  # applicants apply; staff review

    # The queue's columns

    @admin.display(description="Applicant", ordering="applicant__full_name")
    def applicant_column(self, obj):
        if obj.applicant is None:
            return FORMER_APPLICANT
        return format_html(
            "{}<br><small>{}</small>",
            obj.applicant.full_name or "—",
            obj.applicant.email,
        )

    @admin.display(description="Country and region", ordering="practice_country")
    def country_column(self, obj):
        code = obj.practice_country.code
        if not code:
            return "—"
        return format_html(
            "{}<br><small>{}</small>",
            *_country_and_region(code, translation.get_language()),
        )

    @admin.display(description="Submitted at", ordering="submitted_at")
    def submitted_column(self, obj):
        # Written as the record's page writes times: Django's own format
        # (``display_for_field``) took 25 µs a row.
        if obj.submitted_at is None:
            return "—"
        return format_html(
            '<span class="nowrap">{}</span>', _local_datetime(obj.submitted_at)
        )

    @admin.display(description="Eligibility", ordering="eligibility_outcome")
    def eligibility_column(self, obj):
        if not obj.eligibility_outcome:
            return "—"
        notes = [", ".join(r["label"] for r in obj.failed_criteria)]
        if obj.override_outcomes:
            notes.append("✎ overridden by staff")
        notes = [note for note in notes if note]
        # One format_html a row: each call costs more than the text it makes.
        return format_html(
            "<strong>{}</strong>" + "<br><small>{}</small>" * len(notes),
            OUTCOME_LABELS.get(obj.eligibility_outcome, obj.eligibility_outcome),
            *notes,
        )

    # Fewest years first; those still in training have none at all. Nulls are
    # placed explicitly, since databases disagree on where they go. Numbers
    # are given as text, which the admin shows as it is, without formatting
    # it as a number first.
    @admin.display(
        description="Years since training",
        ordering=OrderBy(
            F("training_completed_year"), descending=True, nulls_first=True
        ),
    )
    def years_column(self, obj):
        if obj.still_in_training:
            return "In training"
        years = obj.years_since_training
        return "—" if years is None else str(years)

    # Unrated sorts as 0, below every rating, on every database.
    @admin.display(description="Rating", ordering=Coalesce("rating", 0))
    def rating_column(self, obj):
        return str(obj.rating) if obj.rating else "—"

    @admin.display(description="Interests")
    def interests_column(self, obj):
        return ", ".join(obj.interest_names()) or "—"

    # The record's sections

    @admin.display(description="Applicant")
    def applicant_details(self, obj):
        user = obj.applicant
        if user is None:
            return f"{FORMER_APPLICANT}: the personal data is removed."
        region = f" ({obj.sub_region})" if obj.sub_region else ""
        rows = [
            ("Name", user.full_name or "—"),
            ("Email", user.email),
            ("Practises in", f"{obj.practice_country.name or '—'}{region}"),
            ("Trained in", obj.training_country.name or "—"),
            ("Institution", obj.institution or "—"),
            ("Position", obj.position or "—"),
            ("Time zone", obj.time_zone or user.time_zone),
        ]
        return _definition_list(rows)

    @admin.display(description="Review")
    def review_details(self, obj):
        rating = "—"
        if obj.rating:
            rating = f"{obj.rating} of 5 by {obj.rated_by or 'unknown'}, " + (
                _local_datetime(obj.rated_at)
            )
        rows = [
            ("Reviewer", str(obj.reviewer) if obj.reviewer else "Nobody yet"),
            ("Rating", rating),
            ("Rating comment", obj.rating_comment or "—"),
            ("Decline reason", str(obj.decline_reason or "—")),
        ]
        return _definition_list(rows)

    @admin.display(description="Each criterion")
    def eligibility_details(self, obj):
        if not obj.eligibility:
            return "Not evaluated yet: the application was never submitted."
        rows = []
        for result in obj.effective_eligibility:
            override = result["override"]
            who = ""
            if override:
                who = format_html(
                    "<br><strong>Overridden</strong> by {} on {} (the rule said "
                    "“{}”): {}",
                    override.by or "unknown",
                    _local_datetime(override.at),
                    eligibility.OUTCOME_LABELS[result["rule_outcome"]],
                    override.note,
                )
            rows.append(
                (
                    result["label"],
                    eligibility.OUTCOME_LABELS[result["outcome"]],
                    result["reason"],
                    who,
                )
            )
        return format_html(
            "<p><strong>Overall: {}</strong></p><table><thead><tr><th>Criterion"
            "</th><th>Outcome</th><th>Reason</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            obj.get_eligibility_outcome_display() or "—",
            format_html_join(
                "",
                "<tr><td>{}</td><td><strong>{}</strong></td><td>{}{}</td></tr>",
                rows,
            ),
        )

    @admin.display(description="Answers")
    def answers(self, obj):
        if obj.still_in_training:
            training = "Still in training"
        elif obj.training_completed_year:
            training = (
                f"Completed in {obj.training_completed_year} "
                f"({obj.years_since_training} years ago)"
            )
        else:
            training = "—"
        ways = dict(MeetingWay.choices)
        idea = {True: "Yes", False: "No", None: "—"}[obj.prior_idea_award]
        rows = [
            ("Membership", obj.get_membership_type_display() or "—"),
            (
                "Membership application sent",
                "Yes" if obj.membership_application_submitted else "No",
            ),
            ("Oncology training", training),
            ("Written English", obj.get_english_writing_display() or "—"),
            ("Spoken English", obj.get_english_speaking_display() or "—"),
            ("Hours a month", obj.monthly_hours if obj.monthly_hours else "—"),
            ("Ways to meet", ", ".join(ways.get(w, w) for w in obj.meeting_ways)),
            ("Interests", ", ".join(obj.interest_names()) or "—"),
            ("Career goals", ", ".join(g.name for g in obj.career_goals.all()) or "—"),
            ("Past IDEA or IDEA-PC award", idea),
        ]
        return _definition_list(rows)

    @admin.display(description="Why they want a mentor")
    def statement_text(self, obj):
        return format_html(
            '<div class="written-text">{}</div>',
            obj.statement or "—",
        )

    @admin.display(description="CV")
    def cv_link(self, obj):
        if not obj.cv:
            return "No CV"
        url = reverse("applications:cv", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.cv_filename)

    # Written as one table: as a read-only inline, Django built a formset
    # and a form for each line and rendered each of its six cells through
    # the admin's field machinery, for a timeline nobody edits.
    @admin.display(description="Status changes")
    def timeline(self, obj):
        events = obj.events.select_related("actor")
        if not events:
            return "None yet."
        return format_html(
            '<div class="timeline" role="region" aria-label="Timeline" tabindex="0">'
            '<table><thead><tr><th scope="col">When</th><th scope="col">Status</th>'
            '<th scope="col">What happened</th><th scope="col">Note</th>'
            '<th scope="col">By</th><th scope="col">Staff only</th></tr></thead>'
            "<tbody>{}</tbody></table></div>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>",
                (
                    (
                        _local_datetime(event.at),
                        STATUS_LABELS.get(event.status, event.status),
                        event.description,
                        event.note or "—",
                        _person_link(event.actor),
                        "Yes" if event.internal else "No",
                    )
                    for event in events
                ),
            ),
        )

    @admin.display(description="Personal data")
    def retention(self, obj):
        if obj.purged_at:
            return f"Removed on {_local_date(obj.purged_at)}."
        due = services.purge_date(obj)
        if due is None:
            return "Kept while the application is open or led to a pairing."
        days = settings.APPLICATION_RETENTION_DAYS
        return (
            f"Removed on or after {_local_date(due)}: {days} days after the "
            f"decision, by the daily purge."
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.purged_at:
            # Nothing personal may come back onto it.
            return [*self.readonly_fields, "staff_notes"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # Only the staff notes are editable here; decisions have their pages.
        services.application_save_staff_notes(
            application_id=obj.pk,
            actor=request.user,
            notes=form.cleaned_data["staff_notes"],
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None and self.has_change_permission(request, obj):
            context["review_actions"] = [
                action
                for action in REVIEW_ACTIONS.values()
                if action.available_for(obj)
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    # History is a record: it is read, never reverted, since a revert would
    # step around the state machine.

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # Extra pages: one application's review action, and the CSV export

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="applications_application_export",
            ),
            path(
                "retention/",
                self.admin_site.admin_view(self.retention_view),
                name="applications_application_retention",
            ),
            path(
                "<path:object_id>/review/<str:action>/",
                self.admin_site.admin_view(self.review_view),
                name="applications_application_review",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(
                reverse("admin:applications_application_changelist")
            )
        # The export fetches related rows its own way, chunk by chunk.
        queryset = changelist.get_queryset(request).prefetch_related(None)
        response = StreamingHttpResponse(
            export.csv_lines(queryset), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y-%m-%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="applications-{stamp}.csv"'
        )
        return response

    def retention_view(self, request):
        """What the daily purge removes next: due now, then day by day for
        the coming weeks."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        horizon = RetentionFilter.SOON_DAYS
        due = services.applications_due_for_purge(now=now)
        coming = (
            services.applications_due_for_purge(now=now + timedelta(days=horizon))
            .exclude(pk__in=due.values("pk"))
            .select_related("applicant", "cycle")
            .order_by("decided_at", "pk")
        )
        shown = RETENTION_PAGE_ROWS
        upcoming = [(a, services.purge_date(a)) for a in coming[:shown]]
        changelist = reverse("admin:applications_application_changelist")
        return TemplateResponse(
            request,
            "admin/applications/application/retention.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Personal data due for removal",
                "days": settings.APPLICATION_RETENTION_DAYS,
                "horizon": horizon,
                "due_count": due.count(),
                "due": due.select_related("applicant", "cycle").order_by(
                    "decided_at", "pk"
                )[:shown],
                "upcoming": upcoming,
                "upcoming_count": coming.count(),
                "shown": shown,
                "due_url": f"{changelist}?retention=due",
                "soon_url": f"{changelist}?retention=soon",
            },
        )

    def review_view(self, request, object_id, action):
        spec = REVIEW_ACTIONS.get(action)
        application = self.get_object(request, object_id)
        if spec is None or application is None:
            raise Http404("No such application or action.")
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        change_url = reverse(
            "admin:applications_application_change", args=[application.pk]
        )
        return self._review_page(
            request,
            spec,
            [application.pk],
            done_url=change_url,
            post_url=request.path,
            cancel_url=change_url,
        )

    def has_delete_permission(self, request, obj=None):
        # Deleting an application would lose its history and orphan its
        # pairing; staff decline it, and personal data is erased through the
        # account instead.
        return False

    # The dry run shows an example email.
    @allow_email_styles
    def _review_page(
        self, request, spec, ids, *, done_url, post_url, cancel_url, bulk=False
    ):
        """The form, then the dry run, then the real thing; the same steps for
        one application and for many."""
        step = request.POST.get("step", "") if request.method == "POST" else ""
        criteria = _criteria_of(ids) if spec.name == "override_eligibility" else ()
        form_class = spec.form
        if step in ("preview", "confirm", "edit"):
            form = form_class(request.POST, criteria=criteria)
        else:
            form = form_class(criteria=criteria)
            # An action that asks for nothing but an optional note (approve,
            # waitlist) goes straight to its preview.
            if set(form.fields) <= {"note"}:
                step = "preview"
                form = form_class(data={}, criteria=criteria)

        def act(application_id):
            return spec.service(
                application_id=application_id,
                actor=request.user,
                **form.cleaned_data,
            )

        show = "form"
        outcomes = []
        if step in ("preview", "confirm") and form.is_valid():
            outcomes = services.applications_act(
                application_ids=ids, act=act, dry_run=step == "preview"
            )
            if step == "confirm":
                _report(request, spec, outcomes)
                return HttpResponseRedirect(done_url)
            show = "preview"
        changing = [o for o in outcomes if not o.refusal]
        example = next((o.emails[0] for o in changing if o.emails), None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec.label}: {len(ids)} application(s)",
            "spec": spec,
            "form": form,
            "show": show,
            "ids": ids,
            "post_url": post_url,
            "cancel_url": cancel_url,
            "bulk": bulk,
            "selected_name": ACTION_CHECKBOX_NAME,
            "action_name": f"review_{spec.name}",
            "changing": changing,
            "skipped": [o for o in outcomes if o.refusal],
            "email_count": sum(len(o.emails) for o in changing),
            "example": example,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/applications/application/review.html", context
        )
