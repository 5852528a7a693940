import factory

from mentorship.models import OutboundEmail


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundEmail

    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    event = "test"
    to = factory.Sequence(lambda n: f"person{n}@example.com")
    from_email = "Program <program@example.org>"
    subject = "Hello"
    body_text = "Plain text body"
