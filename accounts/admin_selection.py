"""Admin actions act on the rows ticked in a list: their ids come back in the
POST. One that is not an id (a form tampered with, a superscript digit) made
Django's admin fail with a server error while it looked the rows up; here it
is dropped first, and an action left with nothing selected says so."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from .forms import pk_or_none


class SelectedIdsMixin:
    """For every ModelAdmin, whose models all have whole-number ids: the
    project's admin site (``admin_site``) gives it to each one registered."""

    def response_action(self, request, queryset):
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        ids = [value for value in selected if pk_or_none(value) is not None]
        if ids != selected:
            post = request.POST.copy()
            post.setlist(ACTION_CHECKBOX_NAME, ids)
            request.POST = post
        return super().response_action(request, queryset)
