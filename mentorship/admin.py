from django.contrib import admin, messages

from . import services
from .models import OutboundEmail


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
