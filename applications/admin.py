from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .models import Application, ApplicationEvent


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ["at", "status", "description", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["applicant", "practice_country", "cycle", "status", "submitted_at"]
    list_filter = ["cycle", "status", "practice_country"]
    list_select_related = ["applicant", "cycle"]
    search_fields = ["applicant__email", "applicant__full_name", "institution"]
    show_full_result_count = False
    inlines = [ApplicationEventInline]
    readonly_fields = ["eligibility_outcomes", "cv_link", "submitted_at", "created_at"]
    exclude = ["eligibility", "cv"]
    autocomplete_fields = ["applicant"]

    @admin.display(description="Eligibility")
    def eligibility_outcomes(self, obj):
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong> ({}): {}</li>",
                ((r["label"], r["outcome"], r["reason"]) for r in obj.eligibility),
            ),
        )

    @admin.display(description="CV")
    def cv_link(self, obj):
        if not obj.cv:
            return "No CV"
        url = reverse("applications:cv", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.cv_filename)
