from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from accounts import personal_data
from accounts.admin_pages import DeletePageQueriesMixin, HistoryAdmin
from accounts.models import DataExport, DeletionRequest, Interest, MentorProfile
from accounts.regions import countries_in_sub_region, sub_region_of, sub_regions
from accounts.timezones import zone_or_utc
from matching import email_previews
from matching.scoring import Weights

from . import closing, services
from .forms import (
    CycleAdminForm,
    IntroCallForm,
    IntroCallOutcomeForm,
    PairingEndForm,
    PairingExtendForm,
)
from .models import (
    CheckIn,
    Cycle,
    IntroCall,
    OpeningNotification,
    OutboundEmail,
    Pairing,
    PairingEvent,
    StaffContact,
    SurveyResponse,
)
from .security import allow_email_styles


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "to",
        "event",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "event"]
    # Recipient first: "every email we sent this person" is the usual question.
    search_fields = ["to", "subject", "idempotency_key"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend"]
    readonly_fields = [
        field.name for field in OutboundEmail._meta.fields if field.name != "id"
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    change_list_template = "admin/mentorship/outboundemail/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("previews/", wrap(self.previews_view), name="outbox_previews"),
            path(
                "previews/<slug:name>/",
                wrap(self.preview_view),
                name="outbox_preview",
            ),
            *super().get_urls(),
        ]

    def previews_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/mentorship/outboundemail/previews.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Email templates",
                "names": email_previews.template_names(),
            },
        )

    @allow_email_styles
    def preview_view(self, request, name):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            preview = email_previews.render_preview(name)
        except KeyError:
            raise Http404("No such email template.") from None
        return TemplateResponse(
            request,
            "admin/mentorship/outboundemail/preview.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Email: {name}",
                "preview": preview,
            },
        )

    @admin.action(description="Send the selected failed emails again")
    def resend(self, request, queryset):
        failed = queryset.filter(status=OutboundEmail.Status.FAILED)
        ids = list(failed.values_list("pk", flat=True))
        for email_id in ids:
            services.email_resend(email_id=email_id)
        self.message_user(
            request,
            f"{len(ids)} email(s) queued again; others were not failed.",
            messages.SUCCESS,
        )


def _local(value):
    return formats.date_format(timezone.localtime(value), "j M Y, H:i")


WEIGHT_LABELS = {
    "interest": "Points per shared oncology area",
    "career_goal": "Points per shared career goal",
    "first_choice": "Points when the mentee ranked the mentor first",
    "second_choice": "… second",
    "third_choice": "… third",
    "working_hour": "Points per overlapping working hour (09:00-17:00)",
    "meeting_way": "Points for a shared way to meet",
    "language": "Points for a shared language",
    "waiting": "Points for a mentee waiting for a mentor (offered first)",
}


class _CycleMatchingForm(CycleAdminForm):
    """The cycle form with the matching weights as number fields (declared
    below, one per weight).

    The weights are the matching layer's; the admin wires them in so staff
    set them per cycle next to the cycle's other rules.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = Weights.from_dict(self.instance.matching_weights or {})
        for name, value in current.to_dict().items():
            self.initial.setdefault(f"weight_{name}", value)

    def clean(self):
        cleaned = super().clean()
        weights = {name: cleaned.get(f"weight_{name}") for name in Weights().to_dict()}
        if None not in weights.values():
            # Only what differs from the defaults is stored, so a later change
            # of a default reaches cycles that never chose otherwise.
            defaults = Weights().to_dict()
            self.instance.matching_weights = {
                name: value
                for name, value in weights.items()
                if value != defaults[name]
            }
        return cleaned


CycleMatchingForm = type(
    "CycleMatchingForm",
    (_CycleMatchingForm,),
    {
        f"weight_{name}": forms.IntegerField(
            label=WEIGHT_LABELS[name],
            min_value=0,
            max_value=1000,
            error_messages={"required": "Enter a whole number of points."},
        )
        for name in Weights().to_dict()
    },
)


@admin.register(Cycle)
class CycleAdmin(DeletePageQueriesMixin, admin.ModelAdmin):
    form = CycleMatchingForm
    list_display = ["name", "window", "open_now", "program_starts_on"]
    search_fields = ["name"]
    fieldsets = [
        (
            "Application window",
            {
                "fields": [
                    "name",
                    "opens_at",
                    "closes_at",
                    "expected_opening",
                ]
            },
        ),
        (
            "Mentoring year",
            {"fields": ["program_starts_on", "program_months", "plan_starter"]},
        ),
        (
            "Eligibility",
            {
                "fields": [
                    "max_years_since_training",
                    "excluded_practice_countries",
                    "accepted_membership_types",
                    "accepts_concurrent_membership_application",
                    "min_monthly_hours",
                    "cv_max_mb",
                ]
            },
        ),
        (
            "Matching",
            {
                "fields": [
                    "require_different_sub_region",
                    "preferences_open",
                    "response_days",
                ]
            },
        ),
        (
            "Matching weights",
            {
                "description": "How much each thing a mentee and mentor share "
                "counts when matches are proposed. Matching first pairs as many "
                "mentees as it can, then prefers the best total fit.",
                "fields": [f"weight_{name}" for name in Weights().to_dict()],
            },
        ),
    ]

    @admin.display(description="application window", ordering="opens_at")
    def window(self, cycle):
        # The request's active time zone is the staff member's own.
        if cycle.opens_at is None:
            return cycle.expected_opening or "Not set"
        zone = timezone.get_current_timezone_name()
        return f"{_local(cycle.opens_at)} to {_local(cycle.closes_at)} ({zone})"

    @admin.display(description="open now?", boolean=True)
    def open_now(self, cycle):
        return cycle.is_open()

    def save_model(self, request, obj, form, change):
        # The form has checked the window already; the service checks it again
        # under a lock, against a cycle saved meanwhile by someone else.
        services.cycle_save(cycle=obj)


class _HasTimeFilter(admin.SimpleListFilter):
    """Yes/no on whether a nullable time field is set."""

    field_name = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(
                **{f"{self.field_name}__isnull": self.value() == "no"}
            )
        return queryset


class NotifiedFilter(_HasTimeFilter):
    title = "notified"
    parameter_name = "notified"
    field_name = "notified_at"


class UnsubscribedFilter(_HasTimeFilter):
    title = "unsubscribed"
    parameter_name = "unsubscribed"
    field_name = "unsubscribed_at"


@admin.register(OpeningNotification)
class OpeningNotificationAdmin(DeletePageQueriesMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "waiting_for",
        "created_at",
        "notified_at",
        "unsubscribed_at",
    ]
    list_filter = [NotifiedFilter, UnsubscribedFilter, "cycle"]
    search_fields = ["email"]
    list_select_related = ["cycle"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "notified_at", "unsubscribed_at"]

    @admin.display(description="waiting for", ordering="cycle")
    def waiting_for(self, notification):
        return notification.cycle or "Whichever cycle opens next"


# Mentors

MentorStatus = MentorProfile.Status


class SubRegionFilter(admin.SimpleListFilter):
    title = "world region"
    parameter_name = "sub_region"
    country_field = "user__country"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sub_regions()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        codes = countries_in_sub_region(self.value())
        return queryset.filter(**{f"{self.country_field}__in": codes})


class ExperienceFilter(admin.SimpleListFilter):
    title = "experience"
    parameter_name = "experience"

    def lookups(self, request, model_admin):
        expected = MentorProfile.EXPECTED_YEARS
        return [
            ("flagged", f"Fewer than {expected} years (flagged)"),
            ("expected", f"{expected} years or more"),
        ]

    def queryset(self, request, queryset):
        expected = MentorProfile.EXPECTED_YEARS
        if self.value() == "flagged":
            return queryset.filter(years_experience__lt=expected)
        if self.value() == "expected":
            return queryset.filter(years_experience__gte=expected)
        return queryset


class InterestFilter(admin.SimpleListFilter):
    title = "oncology area"
    parameter_name = "interest"

    def lookups(self, request, model_admin):
        return Interest.objects.filter(kind=Interest.Kind.AREA).values_list(
            "slug", "name"
        )

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(interests__slug=self.value())


class DecisionForm(forms.Form):
    note = forms.CharField(
        label="Note to the mentor (optional, included in the email)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


# What each decision is called on buttons and pages.
DECISIONS = {
    MentorStatus.APPROVED: "Approve",
    MentorStatus.DECLINED: "Decline",
    MentorStatus.INACTIVE: "Make inactive",
}


@admin.register(MentorProfile)
class MentorProfileAdmin(DeletePageQueriesMixin, HistoryAdmin):
    list_display = [
        "user",
        "country",
        "region",
        "status",
        "flag",
        "years_experience",
        "capacity",
        "open_pairings",
        "is_available",
        "created_at",
    ]
    list_filter = [
        "status",
        ExperienceFilter,
        "is_available",
        SubRegionFilter,
        InterestFilter,
        "capacity",
    ]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__full_name", "user__institution", "position"]
    ordering = ["-created_at"]
    show_full_result_count = False
    actions = ["approve", "decline", "make_inactive"]
    filter_horizontal = ["interests", "career_goals"]
    readonly_fields = [
        "status",
        "experience_flag",
        "agreed_at",
        "decided_at",
        "decided_by",
        "decision_note",
        "created_at",
    ]
    fieldsets = [
        (
            "Decision",
            {
                "fields": [
                    "status",
                    "experience_flag",
                    "decided_at",
                    "decided_by",
                    "decision_note",
                ]
            },
        ),
        (
            "Profile",
            {
                "fields": [
                    "user",
                    "membership_type",
                    "years_experience",
                    "position",
                    "interests",
                    "career_goals",
                    "languages",
                    "meeting_ways",
                    "bio",
                ]
            },
        ),
        (
            "Availability",
            {"fields": ["capacity", "is_available", "agreed_at", "created_at"]},
        ),
    ]
    change_form_template = "admin/accounts/mentorprofile/change_form.html"

    def has_add_permission(self, request):
        # Mentors volunteer themselves, agreeing to the program's expectations.
        return False

    def get_readonly_fields(self, request, obj=None):
        # A profile belongs to the person who volunteered; moving it to another
        # account would skip their agreement and staff's review.
        return [*self.readonly_fields, "user"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_pairing_count=Count(
                    "user__pairings_as_mentor",
                    filter=Q(user__pairings_as_mentor__status__in=Pairing.OPEN),
                )
            )
        )

    @admin.display(description="country", ordering="user__country")
    def country(self, mentor):
        return mentor.user.country.name

    @admin.display(description="world region")
    def region(self, mentor):
        return sub_region_of(mentor.user.country) if mentor.user.country else ""

    @admin.display(description="flag")
    def flag(self, mentor):
        if mentor.experience_flag:
            return format_html(
                '<span title="{}">Under {} years</span>',
                mentor.experience_flag,
                MentorProfile.EXPECTED_YEARS,
            )
        return ""

    @admin.display(description="open pairings", ordering="open_pairing_count")
    def open_pairings(self, mentor):
        return f"{mentor.open_pairing_count} of {mentor.capacity}"

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path(
                "<int:pk>/decide/<str:status>/",
                decide,
                name="accounts_mentorprofile_decide",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["decisions"] = [
                (
                    label,
                    reverse("admin:accounts_mentorprofile_decide", args=[obj.pk, s]),
                )
                for s, label in DECISIONS.items()
                if services.mentor_decision_allowed(obj, s)
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.action(description="Approve the selected mentors")
    def approve(self, request, queryset):
        return self._decide(request, queryset, MentorStatus.APPROVED)

    @admin.action(description="Decline the selected mentors")
    def decline(self, request, queryset):
        return self._decide(request, queryset, MentorStatus.DECLINED)

    @admin.action(description="Make the selected mentors inactive")
    def make_inactive(self, request, queryset):
        return self._decide(request, queryset, MentorStatus.INACTIVE)

    def decide_view(self, request, pk, status):
        if status not in DECISIONS:
            raise PermissionDenied
        get_object_or_404(MentorProfile, pk=pk)
        response = self._decide(
            request, self.get_queryset(request).filter(pk=pk), status, single=True
        )
        return response or redirect("admin:accounts_mentorprofile_change", pk)

    def _decide(self, request, queryset, status, *, single=False):
        """Ask for an optional note and a confirmation; then decide each one.

        Nothing changes and no email goes out until staff confirm.
        """
        if not self.has_change_permission(request):
            raise PermissionDenied
        mentors = list(queryset.select_related("user"))
        allowed = [m for m in mentors if services.mentor_decision_allowed(m, status)]
        skipped = [m for m in mentors if m not in allowed]
        form = DecisionForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            decided = 0
            for mentor in allowed:
                try:
                    services.mentor_decide(
                        profile_id=mentor.pk,
                        status=status,
                        actor=request.user,
                        note=form.cleaned_data["note"],
                    )
                except services.MentorError as error:
                    # Decided by someone else since the page was shown.
                    self.message_user(request, str(error), messages.WARNING)
                else:
                    decided += 1
            self.message_user(
                request,
                f"{MentorStatus(status).label}: {decided} mentor(s); each was "
                "emailed the decision.",
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/accounts/mentorprofile/decide.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"{DECISIONS[status]}: confirm",
                "decision": DECISIONS[status],
                "status": status,
                "allowed": allowed,
                "skipped": skipped,
                "form": form,
                "single": single,
                "action": request.POST.get("action", ""),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


class PairingEventInline(admin.TabularInline):
    model = PairingEvent
    extra = 0
    can_delete = False
    fields = ["at", "status", "description", "actor"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "pairing")

    def has_add_permission(self, request, obj=None):
        return False


class StaffContactInline(admin.TabularInline):
    """Nudges sent and staff check-ins noted, from the progress dashboard."""

    model = StaffContact
    extra = 0
    can_delete = False
    fields = ["at", "kind", "by", "note"]
    readonly_fields = fields
    verbose_name = "staff follow-up"

    def get_queryset(self, request):
        # Each row's label names the pairing's two people.
        return (
            super()
            .get_queryset(request)
            .select_related(
                "by", "pairing__mentee", "pairing__mentor", "pairing__cycle"
            )
        )

    def has_add_permission(self, request, obj=None):
        return False


class CheckInInline(admin.TabularInline):
    model = CheckIn
    extra = 0
    can_delete = False
    fields = ["occurred_on", "way", "initiated_by", "minutes", "author", "confirmation"]
    readonly_fields = fields
    ordering = ["-occurred_on"]

    def get_queryset(self, request):
        # Each row's label names the pairing's two people.
        return (
            super()
            .get_queryset(request)
            .select_related(
                "author", "pairing__mentee", "pairing__mentor", "pairing__cycle"
            )
        )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    """Contacts the pairs logged; "disputed" lists the ones the other person
    said did not happen, for staff to follow up."""

    list_display = [
        "occurred_on",
        "pairing",
        "way",
        "minutes",
        "author",
        "confirmation",
    ]
    list_filter = ["confirmation", "way", "pairing__cycle"]
    list_select_related = [
        "pairing__mentee",
        "pairing__mentor",
        "pairing__cycle",
        "author",
    ]
    search_fields = [
        "pairing__mentee__full_name",
        "pairing__mentee__email",
        "pairing__mentor__full_name",
        "pairing__mentor__email",
    ]
    date_hierarchy = "occurred_on"
    show_full_result_count = False
    # Staff see that a contact happened, not what was said: the notes are the
    # pair's (and private ones their author's alone).
    exclude = ["notes"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    """Every pairing, for staff to look up and to host the introductory call.
    Pairings are made by matching."""

    list_display = [
        "mentee",
        "mentor",
        "cycle",
        "status",
        "intro_call_at",
        "starts_on",
        "ends_on",
    ]
    list_filter = ["status", "cycle", "intro_call__status"]
    list_select_related = ["mentee", "mentor", "cycle", "intro_call"]
    search_fields = [
        "mentee__email",
        "mentee__full_name",
        "mentor__email",
        "mentor__full_name",
    ]
    show_full_result_count = False
    date_hierarchy = "proposed_at"
    inlines = [CheckInInline, StaffContactInline, PairingEventInline]
    change_form_template = "admin/mentorship/pairing/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The record is read-only; the introductory call has its own page.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="introductory call", ordering="intro_call__starts_at")
    def intro_call_at(self, pairing):
        call = getattr(pairing, "intro_call", None)
        if call is None:
            return "Not scheduled"
        if call.status != IntroCall.Status.SCHEDULED:
            return call.get_status_display()
        return _local(call.starts_at)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/intro-call/",
                wrap(self.intro_call_view),
                name="mentorship_pairing_intro_call",
            ),
            path(
                "<int:pk>/extend/",
                wrap(self.extend_view),
                name="mentorship_pairing_extend",
            ),
            path("<int:pk>/end/", wrap(self.end_view), name="mentorship_pairing_end"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["under_way"] = obj is not None and obj.status in Pairing.UNDER_WAY
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _closing_page(self, request, pk):
        """The pairing for a page that changes its year. Seeing the page needs
        view permission; sending it (which emails both people) needs the
        permission to change pairings, although the record itself stays
        read-only in the admin."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST" and not request.user.has_perm(
            "mentorship.change_pairing"
        ):
            raise PermissionDenied
        return get_object_or_404(
            Pairing.objects.select_related("mentee", "mentor", "cycle"), pk=pk
        )

    def _render_closing_page(self, request, pairing, template, title, **context):
        return TemplateResponse(
            request,
            f"admin/mentorship/pairing/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"{title}: {pairing.mentee} and {pairing.mentor}",
                "pairing": pairing,
                "under_way": pairing.status in Pairing.UNDER_WAY,
                **context,
            },
        )

    def extend_view(self, request, pk):
        pairing = self._closing_page(request, pk)
        form = PairingExtendForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                pairing = services.pairing_extend(
                    pairing_id=pairing.pk, actor=request.user, **form.cleaned_data
                )
            except services.PairingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Extended: the year now has {pairing.months} months and runs "
                    f"until {pairing.ends_on:%d %B %Y}. Both were told by email.",
                    messages.SUCCESS,
                )
                return redirect("admin:mentorship_pairing_change", pairing.pk)
        return self._render_closing_page(
            request, pairing, "extend.html", "Extend the year", form=form
        )

    def end_view(self, request, pk):
        pairing = self._closing_page(request, pk)
        objectives = list(pairing.objectives.all())
        met = closing.objectives_met(o.status for o in objectives)
        form = PairingEndForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                pairing = services.pairing_end_early(
                    pairing_id=pairing.pk,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    count_as_completed=form.cleaned_data["count_as_completed"],
                )
            except services.PairingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{pairing.get_status_display()}. Both were told by email.",
                    messages.SUCCESS,
                )
                return redirect("admin:mentorship_pairing_change", pairing.pk)
        return self._render_closing_page(
            request,
            pairing,
            "end.html",
            "End early",
            form=form,
            objectives=objectives,
            objectives_met=met,
        )

    def intro_call_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Seeing the call needs view permission; scheduling, moving,
        # cancelling or reporting on it emails people, so it needs the
        # permission to change introductory calls.
        if request.method == "POST" and not request.user.has_perm(
            "mentorship.change_introcall"
        ):
            raise PermissionDenied
        pairing = get_object_or_404(
            Pairing.objects.select_related("mentee", "mentor", "cycle"), pk=pk
        )
        call = IntroCall.objects.filter(pairing=pairing).select_related("host").first()
        action = request.POST.get("action") if request.method == "POST" else None
        initial = {"host": request.user}
        if call is not None and call.status == IntroCall.Status.SCHEDULED:
            initial = {
                "starts_at": timezone.localtime(call.starts_at),
                "duration_minutes": call.duration_minutes,
                "location": call.location,
                "host": call.host,
            }
        form = IntroCallForm(
            request.POST if action == "schedule" else None, initial=initial
        )
        outcome = IntroCallOutcomeForm(request.POST if action == "record" else None)
        try:
            if action == "schedule" and form.is_valid():
                services.intro_call_schedule(
                    pairing_id=pairing.pk, actor=request.user, **form.cleaned_data
                )
                self.message_user(
                    request,
                    "The invitation is on its way to the mentee, the mentor and "
                    "the host, each in their own time zone.",
                    messages.SUCCESS,
                )
                return redirect("admin:mentorship_pairing_intro_call", pairing.pk)
            if action == "cancel":
                services.intro_call_cancel(pairing_id=pairing.pk, actor=request.user)
                self.message_user(
                    request, "Cancelled; everyone was told.", messages.SUCCESS
                )
                return redirect("admin:mentorship_pairing_intro_call", pairing.pk)
            if action == "record" and outcome.is_valid():
                services.intro_call_record(
                    pairing_id=pairing.pk, actor=request.user, **outcome.cleaned_data
                )
                self.message_user(request, "Recorded.", messages.SUCCESS)
                return redirect("admin:mentorship_pairing_intro_call", pairing.pk)
        except services.PairingError as error:
            self.message_user(request, str(error), messages.ERROR)
        people = [
            ("Mentee", pairing.mentee),
            ("Mentor", pairing.mentor),
            *([("Host", call.host)] if call else []),
        ]
        return TemplateResponse(
            request,
            "admin/mentorship/pairing/intro_call.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Introductory call: {pairing.mentee} and {pairing.mentor}",
                "pairing": pairing,
                "call": call,
                "form": form,
                "outcome": outcome,
                "can_schedule": pairing.status in Pairing.UNDER_WAY,
                "times": [
                    (
                        role,
                        person,
                        timezone.localtime(
                            call.starts_at, zone_or_utc(person.time_zone)
                        )
                        if call
                        else None,
                    )
                    for role, person in people
                ],
            },
        )


class AnsweredFilter(_HasTimeFilter):
    title = "answered"
    parameter_name = "answered"
    field_name = "answered_at"


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """Every survey sent, and the answers; read-only. The results per cycle
    are at /staff/surveys/."""

    list_display = [
        "person",
        "role",
        "kind",
        "pairing",
        "invited_at",
        "answered_at",
        "rating",
    ]
    list_filter = ["kind", "role", AnsweredFilter, "pairing__cycle"]
    list_select_related = [
        "person",
        "pairing__mentee",
        "pairing__mentor",
        "pairing__cycle",
    ]
    search_fields = ["person__email", "person__full_name"]
    date_hierarchy = "invited_at"
    show_full_result_count = False
    change_list_template = "admin/mentorship/surveyresponse/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Personal data: copies people asked for, and requests to delete accounts.
# The models are the accounts app's; their workflow (and its emails) is the
# program core's, so their pages are wired here.


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    """Who asked for a copy of their data and when; never its content (the
    file is the person's alone). Staff may withdraw a link early."""

    list_display = [
        "user",
        "status",
        "requested_at",
        "ready_at",
        "expires_at",
        "size",
        "downloaded_at",
    ]
    list_filter = ["status"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__full_name"]
    date_hierarchy = "requested_at"
    show_full_result_count = False
    fields = [
        "user",
        "status",
        "requested_at",
        "ready_at",
        "expires_at",
        "size",
        "downloaded_at",
    ]
    readonly_fields = fields
    actions = ["expire_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_expire_permission(self, request):
        return request.user.has_perm("accounts.change_dataexport")

    @admin.action(
        description="Delete the selected copies now (their links stop working)",
        permissions=["expire"],
    )
    def expire_now(self, request, queryset):
        ids = list(
            queryset.filter(status=DataExport.Status.READY).values_list("pk", flat=True)
        )
        expired = sum(services.data_export_expire(export_id=pk) for pk in ids)
        self.message_user(
            request,
            f"{expired} copy(ies) deleted; others were not ready to download.",
            messages.SUCCESS,
        )


class DeletionRefusalForm(forms.Form):
    reason = forms.CharField(
        label="Reason (emailed to the person)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        error_messages={"required": "Write the reason; the person is emailed it."},
    )


class _ConfirmForm(forms.Form):
    """Approving asks for nothing but the confirmation itself."""


DELETION_DECISIONS = {
    "approve": "Approve and delete the account",
    "refuse": "Refuse",
}


@admin.register(DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):
    """People's requests to delete their account. Staff approve (the account
    is deleted at once; a pairing under way must be ended first) or refuse
    with a reason the person is emailed; both from a confirmation page."""

    list_display = [
        "person",
        "status",
        "requested_at",
        "pairing_under_way",
        "decided_at",
        "decided_by",
    ]
    list_filter = ["status"]
    list_select_related = ["user", "decided_by"]
    search_fields = ["user__email", "user__full_name"]
    date_hierarchy = "requested_at"
    show_full_result_count = False
    fields = [
        "user",
        "status",
        "requested_at",
        "decided_at",
        "decided_by",
        "refusal_reason",
    ]
    readonly_fields = fields
    actions = ["approve", "refuse"]
    change_form_template = "admin/accounts/deletionrequest/change_form.html"

    def has_add_permission(self, request):
        return False  # the person asks, from their account page

    def has_change_permission(self, request, obj=None):
        return False  # the record is read-only; decisions have their pages

    def has_delete_permission(self, request, obj=None):
        return False  # the record that a deletion was asked for and done

    def has_decide_permission(self, request):
        return request.user.has_perm("accounts.change_deletionrequest")

    def get_queryset(self, request):
        under_way = Pairing.objects.filter(
            Q(mentee=OuterRef("user")) | Q(mentor=OuterRef("user")),
            status__in=Pairing.UNDER_WAY,
        )
        return super().get_queryset(request).annotate(under_way=Exists(under_way))

    @admin.display(description="person", ordering="user__email")
    def person(self, request_row):
        user = request_row.user
        if user.is_deleted:
            return user.display_name
        return f"{user.display_name} <{user.email}>"

    @admin.display(description="pairing under way", boolean=True)
    def pairing_under_way(self, request_row):
        return request_row.under_way

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/decide/<str:decision>/",
                wrap(self.decide_view),
                name="accounts_deletionrequest_decide",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["decisions"] = []
        if (
            obj is not None
            and obj.status == DeletionRequest.Status.PENDING
            and self.has_decide_permission(request)
        ):
            context["decisions"] = [
                (
                    label,
                    reverse("admin:accounts_deletionrequest_decide", args=[obj.pk, d]),
                )
                for d, label in DELETION_DECISIONS.items()
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.action(
        description="Approve: delete the selected accounts…", permissions=["decide"]
    )
    def approve(self, request, queryset):
        return self._decide(request, queryset, "approve")

    @admin.action(description="Refuse the selected requests…", permissions=["decide"])
    def refuse(self, request, queryset):
        return self._decide(request, queryset, "refuse")

    def decide_view(self, request, pk, decision):
        if decision not in DELETION_DECISIONS:
            raise Http404("No such decision.")
        get_object_or_404(DeletionRequest, pk=pk)
        response = self._decide(
            request, self.get_queryset(request).filter(pk=pk), decision, single=True
        )
        return response or redirect("admin:accounts_deletionrequest_change", pk)

    def _decide(self, request, queryset, decision, *, single=False):
        """What each decision does, person by person (for approval: what is
        deleted, what is kept, and what must happen first); nothing changes
        and no email goes until staff confirm."""
        if not self.has_decide_permission(request):
            raise PermissionDenied
        rows = []
        for deletion in queryset.select_related("user").order_by("requested_at"):
            blockers = []
            lines = []
            if deletion.status != DeletionRequest.Status.PENDING:
                blockers.append(
                    personal_data.Blocker(
                        f"This request is {deletion.get_status_display().lower()}."
                    )
                )
            elif decision == "approve":
                blockers = personal_data.blockers(deletion.user)
                if deletion.user_id == request.user.pk:
                    blockers.append(
                        personal_data.Blocker(
                            "Your own request is approved by another member of staff."
                        )
                    )
                lines = personal_data.describe(deletion.user)
            rows.append((deletion, lines, blockers))
        allowed = [deletion for deletion, _, blockers in rows if not blockers]
        form_class = DeletionRefusalForm if decision == "refuse" else _ConfirmForm
        form = form_class(request.POST if "confirm" in request.POST else None)
        if allowed and form.is_valid():
            done = 0
            for deletion in allowed:
                try:
                    if decision == "approve":
                        services.deletion_request_approve(
                            request_id=deletion.pk, actor=request.user
                        )
                    else:
                        services.deletion_request_refuse(
                            request_id=deletion.pk,
                            actor=request.user,
                            reason=form.cleaned_data["reason"],
                        )
                except services.PersonalDataError as error:
                    self.message_user(request, str(error), messages.WARNING)
                else:
                    done += 1
            outcome = (
                "account(s) deleted; each person is told by email"
                if decision == "approve"
                else "request(s) refused; each person is emailed the reason"
            )
            self.message_user(request, f"{done} {outcome}.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/accounts/deletionrequest/decide.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"{DELETION_DECISIONS[decision]}: confirm",
                "decision": decision,
                "decision_label": DELETION_DECISIONS[decision],
                "rows": rows,
                "allowed": allowed,
                "form": form,
                "single": single,
                "action": request.POST.get("action", ""),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
