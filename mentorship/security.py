"""What the browser is told about our pages, beyond what settings say, and
what it may not send.

The Content Security Policy itself is in settings (`CONTENT_SECURITY_POLICY`);
here are the few exceptions to it, each with its reason, the rule that keeps
personal pages out of every cache, and the refusal of addresses that hold a
NUL character.
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.core.exceptions import BadRequest
from django.utils.cache import add_never_cache_headers

# Emails carry their styles in style="" attributes, because mail programs
# drop stylesheets. Staff see an email as it will look in a sandboxed
# <iframe srcdoc>, and a srcdoc document inherits the policy of the page that
# holds it: under ours, the email would show unstyled. On the pages that show
# an email, and only there, style attributes are allowed. <style> elements and
# every script stay blocked, and the sandbox runs nothing the email holds
# anyway. The pages are staff-only and the emails come from our templates.
allow_email_styles = csp_update({"style-src-attr": [UNSAFE_INLINE]})


def no_store_when_signed_in(get_response):
    """Every response to a signed-in person may hold their personal data (an
    application, a CV, a pairing, the staff dashboard, the admin): tell
    browsers and proxies to keep no copy, so that the back button on a shared
    computer, or a cache between, shows nothing after they leave. One rule for
    every page rather than a decorator on each, so a new page cannot forget it.
    Pages that need no login but show personal data (the monthly pulse, an
    unsubscribe link) say `never_cache` themselves."""

    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response

    return middleware


def refuse_nul_in_url(get_response):
    """A NUL character has no place in an address: no page takes one, and
    PostgreSQL refuses one in a query, so a NUL in a filter of an admin list
    (``?status=%00``) or in a part of a path that a view looks up was a
    server error. Such a request is a 400 before any view runs. What is
    posted needs no such rule: every form field refuses NUL with a message
    at the field."""

    def middleware(request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise BadRequest("The address holds a NUL character.")
        return get_response(request)

    return middleware
