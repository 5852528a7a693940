"""Staff preview every email template with sample data, in admin."""

from matching.email_previews import template_names
from mentorship.models import OutboundEmail


def preview_text(page: str) -> str:
    return page.split('<pre class="email-text">', 1)[1].split("</pre>")[0]


def test_every_template_renders_with_sample_data(client, staff):
    client.force_login(staff)
    index = client.get("/admin/mentorship/outboundemail/previews/").content.decode()
    names = template_names()
    assert {"pairing_introduction", "intro_call", "mentor_approved"} <= set(names)
    for name in names:
        assert f"/admin/mentorship/outboundemail/previews/{name}/" in index
        response = client.get(f"/admin/mentorship/outboundemail/previews/{name}/")
        page = response.content.decode()
        assert response.status_code == 200, name
        assert "<h2>Subject</h2>\n<p></p>" not in page, name
        lines = [line for line in preview_text(page).splitlines() if line.strip()]
        assert "Virtual Mentors Program" in lines[-1], name
        assert "{{" not in page and "{%" not in page, name
        # The whole email is the frame's document, escaped into its srcdoc:
        # a quote in it must not end the attribute and spill into the page.
        srcdoc = page.split(' srcdoc="', 1)[1].split('"></iframe>', 1)[0]
        assert "<" not in srcdoc and '"' not in srcdoc, name
    assert not OutboundEmail.objects.exists()


def test_an_unknown_template_is_404_and_strangers_are_sent_away(client, staff, mentee):
    client.force_login(staff)
    assert (
        client.get("/admin/mentorship/outboundemail/previews/nope/").status_code == 404
    )
    client.force_login(mentee)
    response = client.get("/admin/mentorship/outboundemail/previews/")
    assert response.status_code == 302
