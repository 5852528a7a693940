"""Django's email API routed through the outbox.

``EMAIL_BACKEND`` points here, so every email the project sends, its own or a
library's (allauth's verification and password-reset mail), becomes an
``OutboundEmail`` row first and is delivered by the outbox with the backend
named in ``OUTBOX_DELIVERY_BACKEND``.
"""

import uuid

from django.core.mail.backends.base import BaseEmailBackend

from . import services

EVENT_HEADER = "X-Outbox-Event"


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        count = 0
        for message in email_messages:
            headers = dict(message.extra_headers)
            event = headers.pop(EVENT_HEADER, "mail")
            html = next(
                (
                    content
                    for content, mimetype in getattr(message, "alternatives", [])
                    if mimetype == "text/html"
                ),
                "",
            )
            if message.content_subtype == "html" and not html:
                html = message.body
            message_id = uuid.uuid4().hex
            for recipient in message.recipients():
                services.email_queue(
                    key=f"{event}:{message_id}:{recipient}",
                    event=event,
                    to=recipient,
                    subject=message.subject,
                    body_text=message.body,
                    body_html=html,
                    from_email=message.from_email,
                    attachments=[
                        services.attachment(filename, content, mimetype)
                        for filename, content, mimetype in message.attachments
                    ],
                    headers=headers,
                )
            count += 1
        return count
