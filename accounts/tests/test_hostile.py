"""Hostile input to the account pages, the sign-up form, and the admin of
people and of what Django and allauth bring (groups, sites, email
addresses, authenticators): never a server error, nothing written when
refused, what is taken is clean and shown escaped.

The generated requests are in ``mentorship/tests/hostile.py``; each example
is undone before the next (``mentorship/tests/world.py``).
"""

import zoneinfo
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db.models import SET_NULL, DateTimeField, ForeignKey, IntegerField
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.admin import LocalDateFieldListFilter
from accounts.admin_site import GUARDS
from accounts.models import Interest, User
from accounts.testing import Client
from conftest import PASSWORD
from mentorship.tests.hostile import (
    admin_request,
    changelist_url,
    check_admin_actions,
    check_admin_change_forms,
    check_admin_lists,
    check_get,
    check_post,
    examples,
    form_data,
    succeeded,
)
from mentorship.tests.personal_data_world import reauthenticate
from mentorship.tests.world import build_world

PROFILE = reverse("accounts:profile")
SIGNUP = reverse("account_signup")

# The admin lists of this layer, and the ones Django and allauth register.
ADMIN_MODELS = [User, Interest, Authenticator, Group, Site, EmailAddress]


@pytest.fixture
def world(db, mentee, mentor, staff):
    world = build_world(mentee=mentee, mentor=mentor, staff=staff)
    Group.objects.create(name="Reviewers")
    return world


@pytest.fixture
def as_mentee(world):
    client = Client()
    client.force_login(world.mentee)
    return client


@pytest.fixture
def reauthenticated(as_mentee):
    """The mentee, who has just given her password again, as changing her
    email addresses asks."""
    reauthenticate(as_mentee)
    return as_mentee


@pytest.fixture
def as_staff(world):
    client = Client()
    client.force_login(world.staff)
    return client


def someone_elses_ids(world):
    retired = Interest.objects.filter(is_active=False).values_list("pk", flat=True)
    return (*world.others(), *retired[:1])


@given(
    data=form_data(
        {
            "full_name": "Amara N. Okafor",
            "country": "GH",
            "time_zone": "Africa/Accra",
            "institution": "Korle Bu Teaching Hospital",
            "reminder_delivery": "weekly",
        },
        extra=("email", "is_staff", "is_superuser", "password", "id"),
    )
)
def test_profile(as_mentee, world, data):
    def saved():
        user = User.objects.get(pk=world.mentee.pk)
        # What the form does not have is never taken from the POST.
        assert (user.email, user.is_staff, user.is_superuser) == (
            "mentee@example.com",
            False,
            False,
        )
        assert user.check_password(PASSWORD)
        return [user]

    check_post(as_mentee, PROFILE, data, saved=saved, shown_at=PROFILE)


@examples(10)
@given(
    data=form_data(
        {
            "email": "new.person@example.com",
            "password1": "a-long-signup-password-9",
            "password2": "a-long-signup-password-9",
            "full_name": "Nadia New",
            "country": "EG",
            "time_zone": "Africa/Cairo",
        },
        extra=("is_staff", "is_superuser"),
    )
)
def test_signup(client, world, data):
    def saved():
        user = User.objects.get(email__iexact="new.person@example.com")
        assert not user.is_staff and not user.is_superuser
        return [user]

    check_post(
        client,
        SIGNUP,
        data,
        saved=saved,
        # allauth says "we sent you an email" as a notice, not a success.
        took=lambda response: response.status_code == 302,
    )


def stays_on_the_site(response) -> bool:
    """A redirect, to a page of this site: a `next` that came in never
    sends the person elsewhere."""
    location = urlsplit(response.get("Location", "//elsewhere"))
    return response.status_code == 302 and not (location.scheme or location.netloc)


@examples(12)
@given(st.data())
def test_logging_in_and_resetting_a_password(client, world, data):
    # Each example starts with no failed attempt counted against it.
    cache.clear()
    back = st.sampled_from(["/apply/", "https://evil.example/", "//evil.example"])
    for name, valid in [
        ("account_login", {"login": "mentee@example.com", "password": PASSWORD}),
        ("account_reset_password", {"email": "mentee@example.com"}),
    ]:
        post = data.draw(
            form_data({**valid, "next": data.draw(back)}, extra=("remember",)),
            label=name,
        )
        response, taken = check_post(
            client,
            reverse(name),
            post,
            saved=lambda: [User.objects.get(pk=world.mentee.pk)],
            took=lambda response: response.status_code == 302,
        )
        assert not taken or stays_on_the_site(response), response["Location"]


@examples(10)
@given(
    data=form_data(
        {"email": "amara.okafor@example.org", "action_add": ""},
        extra=("primary", "verified", "user"),
    )
)
def test_adding_an_email_address(reauthenticated, world, data):
    def saved():
        addresses = list(EmailAddress.objects.filter(user=world.mentee))
        assert not any(a.verified for a in addresses if a.email != world.mentee.email)
        return addresses

    check_post(
        reauthenticated,
        reverse("account_email"),
        data,
        saved=saved,
        shown_at=reverse("account_email"),
        took=lambda response: response.status_code == 302,
    )


# Each example visits every list, so that none is left to chance.
@examples(6)
@given(st.data())
def test_admin_lists_take_any_query(as_staff, world, data):
    ids = someone_elses_ids(world)
    check_admin_lists(as_staff, world.staff, ADMIN_MODELS, data, *ids)


@examples(6)
@given(st.data())
def test_admin_actions_take_only_ids(as_staff, world, data):
    ids = someone_elses_ids(world)
    check_admin_actions(as_staff, world.staff, ADMIN_MODELS, data, *ids)


@examples(8)
@given(st.data())
def test_admin_change_forms(as_staff, world, data):
    models = [User, Interest, Group, Site, EmailAddress]
    ids = someone_elses_ids(world)
    check_admin_change_forms(as_staff, world.staff, models, data, *ids)


@examples(15)
@given(st.data())
def test_the_interests_list_edits_only_its_rows(as_staff, world, data):
    interest = Interest.objects.order_by("pk").first()
    post = data.draw(
        form_data(
            {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-MIN_NUM_FORMS": "0",
                "form-MAX_NUM_FORMS": "1000",
                "form-0-id": str(interest.pk),
                "form-0-position": "7",
                "form-0-is_active": "on",
                "_save": "Save",
            },
            *someone_elses_ids(world),
        )
    )
    check_post(
        as_staff,
        changelist_url(Interest),
        post,
        saved=Interest.objects.all,
        shown_at=changelist_url(Interest),
        took=succeeded,
    )


@examples(15)
@given(
    data=form_data(
        {
            "name": "Palliative care research",
            "kind": "area",
            "position": "12",
            "is_active": "on",
            "slug": "palliative-care-research",
        }
    )
)
def test_adding_an_interest(as_staff, world, data):
    url = reverse("admin:accounts_interest_add")
    check_post(
        as_staff,
        url,
        data,
        saved=lambda: Interest.objects.filter(slug=data.get("slug", "")),
        shown_at=changelist_url(Interest),
        took=succeeded,
    )


# Found by the tests above, and kept as plain tests.


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


def test_every_admin_list_is_attacked():
    # Each app's hostile tests name the lists they attack; a list added
    # without being named fails here.
    from applications.tests.test_hostile import ADMIN_MODELS as APPLICATIONS
    from matching.tests.test_hostile import ADMIN_MODELS as MATCHING
    from mentorship.tests.test_hostile import ADMIN_MODELS as MENTORSHIP

    attacked = {*ADMIN_MODELS, *APPLICATIONS, *MATCHING, *MENTORSHIP}
    assert set(admin.site._registry) == attacked


def test_every_admin_has_the_sites_guards():
    # Those of Django and allauth too, and any a package registers later:
    # the site gives the guards to each.
    for model, model_admin in admin.site._registry.items():
        for guard in GUARDS:
            assert isinstance(model_admin, guard), (model, guard)
        # The guard keeps whole numbers only.
        assert isinstance(model._meta.pk, IntegerField), model
        # It guards autocomplete fields that are foreign keys.
        for name in model_admin.get_autocomplete_fields(None):
            assert isinstance(model._meta.get_field(name), ForeignKey), name


def test_a_date_in_the_address_of_a_list_is_read_in_the_staff_members_zone(
    as_staff, world
):
    # A time without its offset reached the database naive: a warning, and
    # in the server's time zone; in tests, warnings of naive times fail.
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(world.staff.time_zone))
    url = changelist_url(Authenticator)
    since = check_get(as_staff, url, {"created_at__gte": f"{today}"})
    until = check_get(as_staff, url, {"created_at__lt": f"{today}"})
    made_today = Authenticator.objects.count()
    assert (since.context["cl"].result_count, until.context["cl"].result_count) == (
        made_today,
        0,
    )
    for value in ("9999-12-31", "0001-01-01 00:00"):
        assert check_get(as_staff, url, {"last_used_at__lt": value}).status_code == 200
    wrong = check_get(as_staff, url, {"created_at__gte": "2027-02-30"})
    assert wrong["Location"].endswith("?e=1")


def test_every_list_filter_by_date_reads_times_in_the_staff_members_zone(staff):
    request = admin_request(staff)
    for model_admin in admin.site._registry.values():
        for spec in model_admin.get_changelist_instance(request).filter_specs:
            if isinstance(spec, admin.DateFieldListFilter) and isinstance(
                spec.field, DateTimeField
            ):
                assert isinstance(spec, LocalDateFieldListFilter), model_admin


def test_a_row_whose_author_is_gone_passes_the_models_checks():
    # Who made an exclusion or a match run, who noted a staff check-in or
    # overrode a rule: each is emptied when that account is deleted, but was
    # not allowed empty, so the row as kept failed the model's own checks.
    ours = ("accounts", "mentorship", "applications", "matching")
    for model in apps.get_models():
        if model._meta.app_label not in ours or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if field.many_to_one and field.remote_field.on_delete is SET_NULL:
                assert field.blank, f"{model.__name__}.{field.name}"
