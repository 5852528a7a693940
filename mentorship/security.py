"""What the browser is told about our pages, beyond what settings say.

The Content Security Policy itself is in settings (`CONTENT_SECURITY_POLICY`);
here are the few exceptions to it, each with its reason.
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update

# Emails carry their styles in style="" attributes, because mail programs
# drop stylesheets. Staff see an email as it will look in a sandboxed
# <iframe srcdoc>, and a srcdoc document inherits the policy of the page that
# holds it: under ours, the email would show unstyled. On the pages that show
# an email, and only there, style attributes are allowed. <style> elements and
# every script stay blocked, and the sandbox runs nothing the email holds
# anyway. The pages are staff-only and the emails come from our templates.
allow_email_styles = csp_update({"style-src-attr": [UNSAFE_INLINE]})
