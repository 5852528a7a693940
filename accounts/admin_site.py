"""The project's admin site: Django's, with the guards against posted ids
that are not ids (``admin_selection``) given to every ModelAdmin registered
on it. Ours, and the ones Django and allauth bring (groups, sites, email
addresses), which looked such ids up as they came, with a server error: no
admin, of ours or of a package added later, can be left without them.

It is the default site (``accounts.apps.AdminConfig``, in INSTALLED_APPS in
place of ``django.contrib.admin``), so ``admin.site`` and ``@admin.register``
are this site wherever they are used."""

from django.contrib import admin

from .admin_selection import SelectedIdsMixin


class AdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SelectedIdsMixin):
            admin_class = type(
                admin_class.__name__,
                (SelectedIdsMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)
