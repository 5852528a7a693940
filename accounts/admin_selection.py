"""Ids that come back from the admin's pages: the rows ticked in a list,
and the rows chosen in an autocomplete field. One that is not an id (a form
tampered with, a superscript digit) made Django's admin fail with a server
error while it looked the rows up. Here a ticked row that is not an id is
dropped before an action looks the rows up (an action left with nothing
selected says so), and a chosen one is not looked up to be shown again (the
field says the choice is not valid)."""

from django.contrib.admin import widgets
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from .forms import pk_or_none


def _ids(values) -> list:
    return [value for value in values if pk_or_none(value) is not None]


class AutocompleteSelect(widgets.AutocompleteSelect):
    """Django's, which looks up only the values that are ids when it shows
    the field again."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _ids(value), attr)


class SelectedIdsMixin:
    """Both guards, for every ModelAdmin, whose models all have whole-number
    ids: the project's admin site (``admin_site``) gives it to each one
    registered. Autocomplete fields are foreign keys (the project has no
    other kind), which take the widget above."""

    def response_action(self, request, queryset):
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        ids = _ids(selected)
        if ids != selected:
            post = request.POST.copy()
            post.setlist(ACTION_CHECKBOX_NAME, ids)
            request.POST = post
        return super().response_action(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                AutocompleteSelect(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
