"""Hostile input to the admin of people, and of what Django and allauth
bring (groups, sites, email addresses): findings kept as plain tests."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.db.models import IntegerField

from accounts.admin_selection import SelectedIdsMixin
from accounts.testing import Client
from mentorship.tests.hostile import changelist_url, check_post
from mentorship.tests.world import build_world


@pytest.fixture
def world(db, mentee, mentor, staff):
    world = build_world(mentee=mentee, mentor=mentor, staff=staff)
    Group.objects.create(name="Reviewers")
    return world


@pytest.fixture
def as_staff(world):
    client = Client()
    client.force_login(world.staff)
    return client


@pytest.mark.parametrize("model", [Group, Site, EmailAddress])
@pytest.mark.parametrize("value", ["abc", "\u00b2", "1 OR 1=1"])
def test_the_admins_django_and_allauth_bring_drop_ids_that_are_not_ids(
    as_staff, world, model, value
):
    # Django's and allauth's admins looked the rows up with the ids as they
    # came: a server error.
    action = "make_verified" if model is EmailAddress else "delete_selected"
    response, taken = check_post(
        as_staff,
        changelist_url(model),
        {"action": action, ACTION_CHECKBOX_NAME: [value]},
    )
    assert response.status_code == 302
    assert not taken


def test_every_admin_drops_ids_that_are_not_ids():
    # Those of Django and allauth too, and any a package registers later:
    # the site gives the guard to each.
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, SelectedIdsMixin), model
        # The guard keeps whole numbers only.
        assert isinstance(model._meta.pk, IntegerField), model
