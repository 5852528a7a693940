"""Django admin's pages, written in Python where its templates are slow
(see ``accounts.admin_pages``):

- ``{% plain_result_list cl %}``: Django's ``{% result_list cl %}`` with the
  rows written by ``plain_results``;
- ``{% plain_app_list app_list show_changelinks %}``: Django's
  ``admin/app_list.html``, by ``plain_app_list``;
- ``{% plain_fieldset fieldset … as html %}``: Django's
  ``admin/includes/fieldset.html`` for a read-only fieldset, by
  ``plain_fieldset``; empty for any other, which the template then includes
  as Django does."""

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.base import InclusionAdminNode

from accounts.admin_pages import plain_app_list, plain_fieldset, plain_results

register = template.Library()


def plain_result_list(cl):
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(plain_results(cl)),
    }


@register.tag(name="plain_result_list")
def plain_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=plain_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


@register.simple_tag(name="plain_app_list", takes_context=True)
def plain_app_list_tag(context, app_list, show_changelinks=False):
    request = context.get("request")
    return plain_app_list(app_list, request.path if request else "", show_changelinks)


@register.simple_tag(name="plain_fieldset")
def plain_fieldset_tag(fieldset, heading_level, prefix, id_prefix, id_suffix):
    return plain_fieldset(
        fieldset,
        heading_level=heading_level,
        prefix=prefix,
        id_prefix=id_prefix,
        id_suffix=id_suffix,
    )
