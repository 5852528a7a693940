"""What our admin pages share so that they stay cheap at scale.

Two pages Django and django-simple-history build a row at a time are made
to cost a fixed number of queries however many rows they list. Each row on
them is named by its model's ``str()``, and ours name the people and the
cycle (``Application`` is "applicant · cycle", ``Pairing`` "mentee with
mentor (cycle)"): read one row at a time, that is a query or three per row.
``DeletePageQueriesMixin`` and ``HistoryAdmin`` fetch those related rows
with the rows themselves. ``matching/tests/test_page_queries.py`` counts
the pages.

``PlainActionCheckboxMixin`` writes a list's selection checkboxes as Django
does, without a form widget's template per row.
"""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

# How far a row's name reaches: a check-in names its pairing, which names
# its mentee, mentor and cycle.
NAME_DEPTH = 2


def name_paths(model, depth: int = NAME_DEPTH, prefix: str = "") -> list[str]:
    """The ``select_related`` paths of the foreign keys a row of ``model``
    has, ``depth`` levels deep: what its name may read (an application names
    its applicant, who may be gone)."""
    paths = []
    for field in model._meta.concrete_fields:
        if field.many_to_one:
            path = f"{prefix}{field.name}"
            paths.append(path)
            if depth > 1:
                paths += name_paths(field.related_model, depth - 1, f"{path}__")
    return paths


class _NamedObjects(NestedObjects):
    """Django's collector for the delete page, which reads each model's
    related rows in one query per model already, and now fetches what the
    rows' names read along with them."""

    def related_objects(self, related_model, related_fields, objs):
        queryset = super().related_objects(related_model, related_fields, objs)
        return queryset.select_related(*name_paths(related_model))


def deleted_objects(objs, request, admin_site):
    """``django.contrib.admin.utils.get_deleted_objects`` (Django 5.2) with
    the collector above; otherwise the same."""
    try:
        obj = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = _NamedObjects(using=router.db_for_write(obj._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed = set()

    def format_callback(obj):
        opts = obj._meta
        no_edit_link = f"{capfirst(opts.verbose_name)}: {obj}"
        if not admin_site.is_registered(obj.__class__):
            return no_edit_link
        model_admin = admin_site.get_model_admin(obj.__class__)
        if not model_admin.has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            admin_url = reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                None,
                (quote(obj.pk),),
            )
        except NoReverseMatch:
            return no_edit_link
        return format_html(
            '{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), admin_url, obj
        )

    to_delete = collector.nested(format_callback)
    protected = [format_callback(obj) for obj in collector.protected]
    model_count = {
        model._meta.verbose_name_plural: len(objs)
        for model, objs in collector.model_objs.items()
    }
    return to_delete, model_count, perms_needed, protected


class DeletePageQueriesMixin:
    """For a ModelAdmin whose records staff may delete: the confirmation
    page lists what goes with the record (or what keeps it) in one query
    per related model, not one or more per row."""

    def get_deleted_objects(self, objs, request):
        return deleted_objects(objs, request, self.admin_site)


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin, whose history page names each version
    with the related rows it has fetched already.

    The page's first column is each version's ``str()``, made from a fresh
    instance of the model (``history_object``) that knows nothing of the
    rows the history query selected; here each gets them.
    """

    def set_history_delta_changes(self, request, historical_records, **kwargs):
        for record in historical_records:
            version = record.history_object
            version._state.fields_cache.update(record._state.fields_cache)
            # ``history_object`` is a plain descriptor: this shadows it.
            record.history_object = version
        super().set_history_delta_changes(request, historical_records, **kwargs)


class PlainActionCheckboxMixin:
    """The selection checkbox of each row of a list, as Django's admin writes
    it (the same HTML), without rendering a form widget's template for each
    row: on a list of 100 applications that was a third of the time spent
    on the rows."""

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )
