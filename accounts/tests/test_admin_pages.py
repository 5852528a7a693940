from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth.models import Permission
from django.template import Context, Engine
from django.urls import reverse, set_script_prefix
from django.utils import translation

from accounts.admin_pages import PlainActionCheckboxMixin, plain_app_list, plain_results
from accounts.admin_site import APP_LISTS_KEPT
from accounts.models import User
from conftest import make_user, squeezed


@pytest.mark.parametrize("language", ["en", "fr", "en"])
def test_the_plain_selection_checkbox_is_djangos_own(db, language):
    person = User(pk=42, email="ana@example.com", full_name="Ana <Souza> & co")
    model_admin = admin.site.get_model_admin(User)
    with translation.override(language):
        djangos = admin.ModelAdmin.action_checkbox(model_admin, person)
        assert PlainActionCheckboxMixin().action_checkbox(person) == djangos
    assert ("Choisir cet objet" in djangos) == (language == "fr")


@pytest.mark.parametrize("query", ["", "?o=-1&q=%20&p=1", "?_popup=1&_to_field=id"])
def test_plain_rows_are_djangos_own_on_every_list(client, staff, mentee, mentor, query):
    """Every admin list with rows, Django's rows and the plain ones side by
    side: fields of each kind (booleans, dates, foreign keys), methods,
    links, which keep the list's order, search and page; lists with
    editable cells, and pop-ups (whose links pick the row), fall back to
    Django's rows."""
    client.force_login(staff)
    compared = 0
    for model in admin.site._registry:
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        response = client.get(url + query)
        if response.status_code != 200 or "cl" not in response.context:
            continue
        cl = response.context["cl"]
        djangos = ["".join(row) for row in admin_list.results(cl)]
        assert ["".join(row) for row in plain_results(cl)] == djangos, model
        compared += bool(djangos)
    assert compared >= 5


DJANGOS_TEMPLATES = Engine(
    dirs=[Path(admin.__file__).parent / "templates"],
    libraries={"i18n": "django.templatetags.i18n"},
)


@pytest.mark.parametrize("who", ["superuser", "viewer", "nobody"])
def test_the_plain_app_list_is_djangos_own(rf, staff, who):
    """The admin's index (with its change links) and every admin page's side
    bar (without), the current app and model marked, a model someone may
    only view, and nothing to show; each written, then as kept."""
    person = staff
    if who != "superuser":
        person = make_user(f"{who}@example.com", is_staff=True)
    if who == "viewer":
        person.user_permissions.add(Permission.objects.get(codename="view_cycle"))
        person = type(person).objects.get(pk=person.pk)  # permissions re-read
    # Each address twice, with and without change links; each marks
    # another model.
    for path, show_changelinks in [
        (reverse("admin:mentorship_cycle_changelist"), False),
        (reverse("admin:mentorship_cycle_changelist"), False),
        (reverse("admin:mentorship_cycle_changelist"), True),
        (reverse("admin:mentorship_cycle_change", args=[7]), False),
        (reverse("admin:index"), True),
        (reverse("admin:index"), True),
        (reverse("admin:index"), False),
        (reverse("admin:accounts_user_changelist"), False),
    ]:
        request = rf.get(path)
        request.user = person
        app_list = admin.site.get_app_list(request)
        assert bool(app_list) == (who != "nobody")
        context = {
            "request": request,
            "app_list": app_list,
            "show_changelinks": show_changelinks,
        }
        djangos = DJANGOS_TEMPLATES.get_template("admin/app_list.html").render(
            Context(context)
        )
        ours = plain_app_list(app_list, path, show_changelinks)
        assert squeezed(ours) == squeezed(djangos), path
        if who == "viewer":
            assert ("current-model" in ours) == ("cycle" in path)
            assert ("viewlink" in ours) == show_changelinks


def _model_names(rf, person) -> list[str]:
    request = rf.get(reverse("admin:index"))
    request.user = type(person).objects.get(pk=person.pk)  # permissions re-read
    return [
        model["object_name"]
        for app in admin.site.get_app_list(request)
        for model in app["models"]
    ]


def test_the_app_list_follows_each_persons_permissions(rf, staff):
    """The admin site keeps each list it builds (``AdminSite.get_app_list``):
    a permission given or taken away shows at once, and two people with
    different permissions see their own."""
    viewer = make_user("viewer@example.com", is_staff=True)
    other = make_user("other@example.com", is_staff=True)
    assert _model_names(rf, viewer) == []
    viewer.user_permissions.add(Permission.objects.get(codename="view_cycle"))
    assert _model_names(rf, viewer) == ["Cycle"]
    other.user_permissions.add(Permission.objects.get(codename="view_pairing"))
    assert _model_names(rf, other) == ["Pairing"]
    viewer.user_permissions.add(Permission.objects.get(codename="view_pairing"))
    assert _model_names(rf, viewer) == ["Cycle", "Pairing"]
    viewer.user_permissions.remove(Permission.objects.get(codename="view_cycle"))
    assert _model_names(rf, viewer) == ["Pairing"]
    assert len(_model_names(rf, staff)) == len(admin.site._registry)


def test_the_admin_site_keeps_one_list_per_set_of_permissions(rf, staff):
    request = rf.get(reverse("admin:index"))
    request.user = staff
    kept = admin.site.get_app_list(request)
    assert admin.site.get_app_list(request) is kept
    assert admin.site.get_app_list(request, "mentorship") is not kept
    for n in range(3):
        viewer = make_user(f"viewer{n}@example.com", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_cycle"))
        _model_names(rf, viewer)
    assert len(admin.site._app_lists) == 3  # the same permissions, kept once
    # People with as many different permissions as there are lists kept: the
    # process forgets the lists it has rather than grow.
    for n, permission in enumerate(Permission.objects.all()[:APP_LISTS_KEPT]):
        viewer = make_user(f"other{n}@example.com", is_staff=True)
        viewer.user_permissions.add(permission)
        _model_names(rf, viewer)
        assert 1 <= len(admin.site._app_lists) <= APP_LISTS_KEPT
    assert admin.site.get_app_list(request) is not kept


def test_the_app_list_follows_the_address_the_site_is_served_under(rf, staff):
    request = rf.get("/admin/")
    request.user = staff
    assert admin.site.get_app_list(request)[0]["app_url"].startswith("/admin/")
    set_script_prefix("/mentoring/")
    try:
        app_url = admin.site.get_app_list(request)[0]["app_url"]
    finally:
        set_script_prefix("/")
    assert app_url.startswith("/mentoring/admin/")
