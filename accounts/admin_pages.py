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
does, without a form widget's template per row, ``plain_results`` a list's
rows as Django does, a row at a time rather than a cell at a time (``{%
plain_result_list cl %}`` in a change list template), and ``plain_app_list``
the list of models of the admin's index and of the side bar on every admin
page (``templates/admin/app_list.html``), and ``plain_fieldset`` a change
form's fieldset of read-only fields; the tags are in
``accounts/templatetags/plain_admin.py``.
"""

import contextlib
import datetime
import functools
from urllib.parse import quote as url_quote

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    NestedObjects,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    quote,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models, router
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from .links import url_for_each

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
            _checkbox_html(translation.get_language()),
            ACTION_CHECKBOX_NAME,
            obj.pk,
            str(obj),
        )


@functools.cache
def _checkbox_html(language: str | None) -> str:
    """The checkbox with its label in ``language``, which Django's
    translation gives as a format string for the row's name, as it is."""
    return (
        '<input type="checkbox" name="{}" value="{}" class="action-select" '
        f'aria-label="{_("Select this object for an action - {}")}">'
    )


def plain_results(cl):
    """The rows of a change list, each one string with the HTML of Django's
    ``items_for_result`` (Django 5.2), cell for cell.

    Django finds out what each cell is (a field, a method of the admin…),
    its empty value and its classes once per cell, and the results template
    writes each cell on its own: on the review queue's 50 rows of 11 columns
    that was a third of the page. Here each column is looked at once per
    page and each row is written by one ``format_html``. A list Django does
    more for (editable cells, a pop-up, columns named otherwise than by a
    field or a method of the admin) gets Django's own rows.
    """
    columns = _plain_columns(cl)
    if columns is None:
        yield from admin_list.results(cl)
        return
    row_format = "".join(column.html for column in columns)
    for result in cl.result_list:
        args = []
        try:
            for column in columns:
                args += column.cell(result)
        except NoReverseMatch:  # no change page: Django writes the name alone
            yield admin_list.ResultList(
                None, admin_list.items_for_result(cl, result, None)
            )
            continue
        yield admin_list.ResultList(None, [format_html(row_format, *args)])


class _Column:
    """One column of a change list, looked at once per page as Django's
    ``lookup_field`` looks at each cell."""

    def __init__(self, cl, name, *, link, first):
        self.cl = cl
        self.name = name
        self.link = link
        self.default_empty = cl.model_admin.get_empty_value_display()
        self.empty = self.default_empty
        self.choices = None
        self.method = None
        self.boolean = False
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, name)
        except FieldDoesNotExist:
            if name == "__str__" or not hasattr(cl.model_admin, name):
                raise
            self.field = None
            self.method = getattr(cl.model_admin, name)
            self.empty = getattr(self.method, "empty_value_display", self.empty)
            self.boolean = getattr(self.method, "boolean", False)
        # Django shows a method's value, and an automatic primary key's, as a
        # plain value; a field's through display_for_field.
        self.plain = self.field is None or self.field.auto_created
        if not self.plain and getattr(self.field, "flatchoices", None):
            # List-like choices can't be a dict's keys: display_for_field copes.
            with contextlib.suppress(TypeError):
                self.choices = dict(self.field.flatchoices)
        classes = "action-checkbox" if name == "action_checkbox" else f"field-{name}"
        self.classes = format_html("{}", classes)
        self.nowrap = format_html("{} nowrap", classes)
        tag = "th" if first else "td"
        cell = '<a href="{}">{}</a>' if link else "{}"
        self.html = f'<{tag} class="{{}}">{cell}</{tag}>'
        if link:
            self.url_for = _row_links(cl)

    def cell(self, result) -> tuple:
        try:
            classes, text = self.display(result)
        except ObjectDoesNotExist:
            classes, text = self.classes, self.default_empty
        if self.link:
            return classes, self.url_for(result), text
        return classes, text

    def display(self, result):
        field = self.field
        value = self.method(result) if field is None else getattr(result, self.name)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if self.plain:
            text = display_for_value(value, self.empty, self.boolean)
            if isinstance(value, (datetime.date, datetime.time)):
                return self.nowrap, text
            return self.classes, text
        if isinstance(field.remote_field, models.ManyToOneRel):
            text = self.empty if value is None else value
        elif self.choices is not None:
            text = self.choices.get(value, self.empty)
        else:
            text = display_for_field(value, field, self.empty, avoid_link=self.link)
        if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
            return self.nowrap, text
        return self.classes, text


def _row_links(cl):
    """Django's link from a list to each row's page, with the list's filters
    kept (``add_preserved_filters(…, cl.url_for_result(row))``), for rows
    with integer keys: the address reversed once, the filters, the same for
    every row, added once. A filtered list took a ``reverse`` and a
    ``resolve`` a row."""
    opts = cl.opts
    link_for = url_for_each(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        current_app=cl.model_admin.admin_site.name,
    )
    context = {"preserved_filters": cl.preserved_filters, "opts": opts}
    filters = {}

    def url_for(result) -> str:
        pk = getattr(result, cl.pk_attname)
        if type(pk) is not int:
            return add_preserved_filters(context, cl.url_for_result(result))
        url = link_for(pk)
        if "query" not in filters:
            # What Django adds to a row's address: the same for every row.
            filters["query"] = add_preserved_filters(context, url).removeprefix(url)
        return url + filters["query"]

    return url_for


def _plain_columns(cl) -> list[_Column] | None:
    """The list's columns, or None where Django's own rows are needed."""
    if cl.formset or cl.is_popup or cl.to_field:
        return None
    columns = []
    first = True
    for name in cl.list_display:
        if not isinstance(name, str):
            return None
        if cl.list_display_links is None:
            link = False
        else:
            link = (first and not cl.list_display_links) or (
                name in cl.list_display_links
            )
        try:
            columns.append(_Column(cl, name, link=link, first=link and first))
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            return None
        if link:
            first = False
    return columns


def plain_app_list(app_list, path: str, show_changelinks: bool) -> str:
    """Django's ``admin/app_list.html`` (Django 5.2), the same HTML but for
    the spaces between tags, written in Python: the side bar of every admin
    page lists every model (some 25), and the template's loop, which tests
    each one against the address three times, took 3.7 ms of each page.
    ``path`` is the request's."""
    if not app_list:
        # Django's own message, so that its translations apply.
        nothing = _("You don’t have permission to view or edit anything.")  # noqa: RUF001
        return format_html("<p>{}</p>", nothing)
    here = url_quote(path)

    def html():
        return format_html_join(
            "", "{}", ((_app_html(app, here, show_changelinks),) for app in app_list)
        )

    kept = getattr(app_list, "html", None)
    if kept is None:
        return html()
    # A list the admin site keeps (``accounts.admin_site.AppList``) is written
    # once a process for each way the address marks its app and model current.
    current = tuple(
        (
            _at(app["app_url"], here),
            *(_at(m.get("admin_url"), here) for m in app["models"]),
        )
        for app in app_list
    )
    key = (show_changelinks, current)
    if key not in kept:
        kept[key] = html()
    return kept[key]


def _at(url, here: str) -> bool:
    """The template's ``url in request.path|urlencode``, which is false
    where the URL is None."""
    return isinstance(url, str) and url in here


def _app_html(app, here: str, show_changelinks: bool) -> str:
    label = app["app_label"]
    title = format_html(
        _braces(_("Models in the %(name)s application")).replace("%(name)s", "{}"),
        app["name"],
    )
    return format_html(
        '<div class="app-{} module{}"><table><caption><a href="{}" '
        'class="section" title="{}">{}</a></caption><thead class="visually-hidden">'
        '<tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
        "</tr></thead>{}</table></div>",
        label,
        " current-app" if _at(app["app_url"], here) else "",
        app["app_url"],
        title,
        app["name"],
        _("Model name"),
        _("Add link"),
        _("Change or view list link"),
        format_html_join(
            "",
            "{}",
            (
                (_model_html(label, model, here, show_changelinks),)
                for model in app["models"]
            ),
        ),
    )


def _model_html(label: str, model, here: str, show_changelinks: bool) -> str:
    name = model["object_name"].lower()
    admin_url = model.get("admin_url")
    current = _at(admin_url, here)
    if admin_url:
        link = (
            '<a href="{}" aria-current="page">{}</a>'
            if current
            else '<a href="{}">{}</a>'
        )
        heading = format_html(link, admin_url, model["name"])
    else:
        heading = model["name"]
    add = ""
    if model.get("add_url"):
        add = format_html(
            '<a href="{}" class="addlink" aria-describedby="{}-{}">{}</a>',
            model["add_url"],
            label,
            name,
            _("Add"),
        )
    change = ""
    if admin_url and show_changelinks:
        if model.get("view_only"):
            kind, text = "viewlink", _("View")
        else:
            kind, text = "changelink", _("Change")
        change = format_html(
            '<td><a href="{}" class="{}" aria-describedby="{}-{}">{}</a></td>',
            admin_url,
            kind,
            label,
            name,
            text,
        )
    elif show_changelinks:
        change = format_html("<td>{}</td>", "")
    return format_html(
        '<tr class="model-{}{}"><th scope="row" id="{}-{}">{}</th><td>{}</td>{}</tr>',
        name,
        " current-model" if current else "",
        label,
        name,
        heading,
        add,
        change,
    )


def _braces(text: str) -> str:
    """A translated text made a format string for ``format_html``."""
    return text.replace("{", "{{").replace("}", "}}")


def plain_fieldset(fieldset, *, heading_level, prefix, id_prefix, id_suffix):
    """Django's ``admin/includes/fieldset.html`` (Django 5.2), the same HTML
    but for the spaces between tags, for a fieldset whose fields are all
    read-only, one a line, without help texts, description or collapsing;
    None for any other, which Django's template writes. An application's
    record is mostly such fieldsets, whose template took 3.5 ms of the
    page."""
    if fieldset.description or fieldset.is_collapsible:
        return None
    lines = []
    for line in fieldset:
        fields = list(line)
        if (
            len(fields) != 1
            or not fields[0].is_readonly
            or fields[0].field["help_text"]
        ):
            return None
        lines.append((line, fields[0]))
    heading_id = f"{prefix}-{id_prefix}-{id_suffix}-heading"
    if fieldset.name:
        opening = format_html(
            '<fieldset class="module aligned {}" aria-labelledby="{}">'
            '<h{} id="{}" class="fieldset-heading">{}</h{}>',
            fieldset.classes,
            heading_id,
            heading_level,
            heading_id,
            fieldset.name,
            heading_level,
        )
    else:
        opening = format_html('<fieldset class="module aligned {}">', fieldset.classes)
    return format_html(
        "{}{}</fieldset>",
        opening,
        format_html_join(
            "",
            '<div class="form-row{}{}"><div><div class="flex-container">{}'
            '<div class="readonly">{}</div></div></div></div>',
            (
                (
                    "" if line.has_visible_field else " hidden",
                    f" field-{field.field['name']}" if field.field["name"] else "",
                    field.label_tag(),
                    field.contents(),
                )
                for line, field in lines
            ),
        ),
    )
