import re

from django.urls import reverse


def test_home_explains_the_program(client, db):
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Virtual Mentors Program" in html
    assert "at least once a month" in html
    assert "IDEA-PC" in html
    assert reverse("account_signup") in html


def test_base_layout_is_accessible(client, db):
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert 'name="viewport"' in html
    assert "cdn" not in html.lower()


def test_allauth_pages_use_the_site_layout_with_one_heading(client, db):
    for name in ("account_login", "account_signup", "account_reset_password"):
        html = client.get(reverse(name)).content.decode()
        assert "Skip to main content" in html, name
        assert len(re.findall(r"<h1[\s>]", html)) == 1, name
        assert "form-control" in html, name


def test_visitor_time_zone_cookie_is_used(client, db):
    from django.utils import timezone

    client.cookies["tz"] = "Asia%2FKolkata"
    client.get(reverse("home"))
    # The middleware activates per request and the page renders in that zone;
    # a bad cookie is ignored rather than trusted.
    client.cookies["tz"] = "Not/AZone"
    assert client.get(reverse("home")).status_code == 200
    assert timezone.get_current_timezone_name() == "UTC"
