"""``{% plain_result_list cl %}``: Django admin's ``{% result_list cl %}``
with the rows written by ``accounts.admin_pages.plain_results``."""

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.base import InclusionAdminNode

from accounts.admin_pages import plain_results

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
