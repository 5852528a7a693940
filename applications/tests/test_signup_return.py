import re

from django.core import mail
from django.urls import reverse


def test_a_visitor_who_signs_up_from_apply_comes_back_to_apply(
    client, open_cycle, django_capture_on_commit_callbacks
):
    apply_url = reverse("applications:apply")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{reverse('account_signup')}?next={apply_url}",
            {
                "email": "new.mentee@example.com",
                "password1": "a-long-signup-password-9",
                "password2": "a-long-signup-password-9",
                "full_name": "Chidi Eze",
                "country": "NG",
                "time_zone": "Africa/Lagos",
                "next": apply_url,
            },
        )
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    response = client.post(link)
    assert response.url == apply_url
    assert "Start your application" in client.get(apply_url).content.decode()
