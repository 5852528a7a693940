from django.contrib import admin, messages
from django.utils import formats, timezone

from . import services
from .forms import CycleAdminForm
from .models import Cycle, OpeningNotification, OutboundEmail


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


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    form = CycleAdminForm
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
        ("Mentoring year", {"fields": ["program_starts_on", "program_months"]}),
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
class OpeningNotificationAdmin(admin.ModelAdmin):
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
