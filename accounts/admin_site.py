"""The project's admin site: Django's, with guards against tampered input
given to every ModelAdmin registered on it. Ours, and the ones Django and
allauth bring (groups, sites, email addresses), which failed on such input:
no admin, of ours or of a package added later, can be left without them.

- ``SelectedIdsMixin`` (``admin_selection``): posted ids that are not ids.
- ``ListAddressMixin``: a list's address with a date whose period ends
  after the last date Python holds, or a search of more words than a query
  should hold.

It is the default site (``accounts.apps.AdminConfig``, in INSTALLED_APPS in
place of ``django.contrib.admin``), so ``admin.site`` and ``@admin.register``
are this site wherever they are used.

It also keeps the list of models each set of permissions may see (see
``AdminSite.get_app_list``)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import (
    SEARCH_VAR,
    ChangeList,
    ChangeListSearchForm,
)
from django.core.exceptions import ValidationError
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.text import smart_split

from .admin_selection import SelectedIdsMixin

MAX_SEARCH_WORDS = 10
MAX_SEARCH_LENGTH = 200


def few_words(value: str) -> None:
    if len(list(smart_split(value))) > MAX_SEARCH_WORDS:
        raise ValidationError(f"Search for at most {MAX_SEARCH_WORDS} words.")


class SearchForm(ChangeListSearchForm):
    """Django's search box, limited. Each word of a search is a condition on
    every search field, all in one query: a search of thousands of words (a
    long text pasted, or sent on purpose) made a query that PostgreSQL ran
    out of memory planning, and the operating system stopped the whole
    database server. A longer search is an error shown above the list,
    which lists everything, as Django does with any search it cannot read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[SEARCH_VAR] = forms.CharField(
            required=False,
            strip=False,
            max_length=MAX_SEARCH_LENGTH,
            validators=[few_words],
            error_messages={
                "max_length": f"Search for at most {MAX_SEARCH_LENGTH} characters."
            },
        )


class GuardedChangeList(ChangeList):
    """Django's list, with the search above. Its date hierarchy reads the
    year, month and day in the address, and the end of the period they
    name: a day, a month or a year in 9999 that ends in 10000 was a server
    error (OverflowError, ValueError), where a date that does not exist is
    an error of the address, which sends the list back with its error flag.
    Now both are."""

    search_form_class = SearchForm

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class ListAddressMixin:
    def get_changelist(self, request, **kwargs):
        return GuardedChangeList


GUARDS = (SelectedIdsMixin, ListAddressMixin)

# How many app lists a process keeps: one for each set of permissions staff
# hold, in each language, of which there are a handful.
APP_LISTS_KEPT = 64


class AppList(list):
    """``AdminSite.get_app_list``'s list as the site keeps it, with its HTML
    as ``accounts.admin_pages.plain_app_list`` writes it, kept with it for
    each way an address marks its app and model current."""

    def __init__(self, *args):
        super().__init__(*args)
        self.html: dict[tuple, str] = {}


def app_list_key(request, app_label=None) -> tuple:
    """What the list of models shown to this request's person depends on:
    their permissions (every ``has_*_permission`` of our admins is either
    Django's, which reads them, or a constant), the language, the address
    the site is served under, and the app asked for."""
    user = request.user
    if user.is_active and user.is_superuser:
        perms = frozenset("*")
    else:
        # Read once a request (Django keeps them on the user) and needed by
        # the page's own permission checks anyway.
        perms = frozenset(user.get_all_permissions())
    return (translation.get_language(), get_script_prefix(), app_label, perms)


class AdminSite(admin.AdminSite):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._app_lists: dict[tuple, AppList] = {}

    def get_app_list(self, request, app_label=None):
        """Django's, built once a process for each ``app_list_key``: every
        admin page lists every model in its side bar, and building the list
        (each model's permissions and addresses) then writing it took 3 ms
        of the review queue's 24. The list is shared: read it, never change
        it."""
        key = app_list_key(request, app_label)
        app_list = self._app_lists.get(key)
        if app_list is None:
            app_list = AppList(super().get_app_list(request, app_label))
            if len(self._app_lists) >= APP_LISTS_KEPT:
                self._app_lists.clear()
            self._app_lists[key] = app_list
        return app_list

    def forget_app_lists(self) -> None:
        self._app_lists.clear()

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        missing = tuple(guard for guard in GUARDS if not issubclass(admin_class, guard))
        if missing:
            admin_class = type(
                admin_class.__name__,
                (*missing, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)
        self.forget_app_lists()

    def unregister(self, model_or_iterable):
        super().unregister(model_or_iterable)
        self.forget_app_lists()
