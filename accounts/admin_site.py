"""The project's admin site: Django's, with guards against tampered input
given to every ModelAdmin registered on it. Ours, and the ones Django and
allauth bring (groups, sites, email addresses), which failed with a server
error on such input: no admin, of ours or of a package added later, can be
left without them.

- ``SelectedIdsMixin`` (``admin_selection``): posted ids that are not ids.
- ``DateHierarchyMixin``: a date in a list's address whose period ends
  after the last date Python holds.

It is the default site (``accounts.apps.AdminConfig``, in INSTALLED_APPS in
place of ``django.contrib.admin``), so ``admin.site`` and ``@admin.register``
are this site wherever they are used."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

from .admin_selection import SelectedIdsMixin


class DateHierarchyChangeList(ChangeList):
    """Django's list. Its date hierarchy reads the year, month and day in
    the address, and the end of the period they name: a day, a month or a
    year in 9999 that ends in 10000 was a server error (OverflowError,
    ValueError), where a date that does not exist is an error of the
    address, which sends the list back with its error flag. Now both are."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class DateHierarchyMixin:
    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList


GUARDS = (SelectedIdsMixin, DateHierarchyMixin)


class AdminSite(admin.AdminSite):
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
