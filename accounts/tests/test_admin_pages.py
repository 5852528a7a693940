from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.urls import reverse

from accounts.admin_pages import PlainActionCheckboxMixin, plain_results
from accounts.models import User


def test_the_plain_selection_checkbox_is_djangos_own(db):
    person = User(pk=42, email="ana@example.com", full_name="Ana <Souza> & co")
    model_admin = admin.site.get_model_admin(User)
    djangos = admin.ModelAdmin.action_checkbox(model_admin, person)
    assert PlainActionCheckboxMixin().action_checkbox(person) == djangos


def test_plain_rows_are_djangos_own_on_every_list(client, staff, mentee, mentor):
    """Every admin list with rows, Django's rows and the plain ones side by
    side: fields of each kind (booleans, dates, foreign keys), methods,
    links; lists with editable cells fall back to Django's rows."""
    client.force_login(staff)
    compared = 0
    for model in admin.site._registry:
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        response = client.get(url)
        if response.status_code != 200 or "cl" not in response.context:
            continue
        cl = response.context["cl"]
        djangos = ["".join(row) for row in admin_list.results(cl)]
        assert ["".join(row) for row in plain_results(cl)] == djangos, model
        compared += bool(djangos)
    assert compared >= 5
