from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def render_mail(self, template_prefix, email, context, headers=None):
        # The outbox records which event caused each email; for account email
        # that is the template's name ("email_confirmation_signup", ...).
        headers = {
            **(headers or {}),
            "X-Outbox-Event": "account." + template_prefix.rsplit("/", 1)[-1],
        }
        return super().render_mail(template_prefix, email, context, headers)
