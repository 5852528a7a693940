import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from accounts.models import Interest

taxonomy = importlib.import_module("accounts.migrations.0004_interest_taxonomy")


def snapshot():
    return list(
        Interest.objects.order_by("slug").values_list(
            "slug", "kind", "name", "position", "is_active"
        )
    )


def test_migration_created_the_oncology_areas_and_career_goals(db):
    areas = Interest.objects.filter(kind=Interest.Kind.AREA)
    goals = Interest.objects.filter(kind=Interest.Kind.GOAL)
    assert areas.count() == 16
    assert goals.count() == 7
    assert Interest.objects.count() == 23
    assert set(areas.values_list("name", flat=True)) >= {
        "Breast",
        "Head and neck",
        "Neuro-oncology",
        "Global oncology",
    }
    assert "Grant and paper writing" in goals.values_list("name", flat=True)
    assert not Interest.objects.filter(is_active=False).exists()


def test_running_the_migration_again_changes_nothing(db):
    before = snapshot()
    taxonomy.create_taxonomy(django_apps, None)
    assert snapshot() == before


def test_running_again_does_not_revive_a_retired_interest(db):
    Interest.objects.filter(slug="sarcoma").update(is_active=False)
    taxonomy.create_taxonomy(django_apps, None)
    assert not Interest.objects.get(slug="sarcoma").is_active


def test_ordering_lists_areas_first_then_goals_in_position_order(db):
    names = list(Interest.objects.values_list("name", flat=True))
    assert names[0] == "Breast"
    assert names[15] == "Global oncology"
    assert names[16] == "Clinical practice"
    assert names[-1] == "Grant and paper writing"


def test_str_is_the_name(db):
    assert str(Interest.objects.get(slug="head-and-neck")) == "Head and neck"


@pytest.mark.parametrize("query", ["", "?kind__exact=goal&is_active__exact=1&q=res"])
def test_staff_can_list_interests_in_admin(client, staff, query):
    client.force_login(staff)
    response = client.get(reverse("admin:accounts_interest_changelist") + query)
    assert response.status_code == 200
    assert "Clinical research" in response.text


def test_staff_can_reorder_and_retire_from_the_list(client, staff):
    client.force_login(staff)
    interests = list(Interest.objects.all())
    data = {
        "form-TOTAL_FORMS": str(len(interests)),
        "form-INITIAL_FORMS": str(len(interests)),
        "_save": "Save",
    }
    for index, interest in enumerate(interests):
        data[f"form-{index}-id"] = str(interest.pk)
        data[f"form-{index}-position"] = str(interest.position)
        if interest.slug != "pediatric":
            data[f"form-{index}-is_active"] = "on"
        if interest.slug == "sarcoma":
            data[f"form-{index}-position"] = "1"
    response = client.post(reverse("admin:accounts_interest_changelist"), data)
    assert response.status_code == 302
    assert Interest.objects.get(slug="sarcoma").position == 1
    assert not Interest.objects.get(slug="pediatric").is_active
    assert Interest.objects.filter(is_active=True).count() == 22
