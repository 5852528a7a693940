from django.contrib import admin

from accounts.admin_pages import PlainActionCheckboxMixin
from accounts.models import User


def test_the_plain_selection_checkbox_is_djangos_own(db):
    person = User(pk=42, email="ana@example.com", full_name="Ana <Souza> & co")
    model_admin = admin.site.get_model_admin(User)
    djangos = admin.ModelAdmin.action_checkbox(model_admin, person)
    assert PlainActionCheckboxMixin().action_checkbox(person) == djangos
