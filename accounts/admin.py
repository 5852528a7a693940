from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError

from .admin_pages import DeletePageQueriesMixin
from .models import Interest, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class DeletedFilter(admin.SimpleListFilter):
    """Deleted accounts stay, anonymised, for the program's figures."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Not deleted"), ("yes", "Deleted at the person's request")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """People's accounts. Not deleted here: a deletion goes through the
    person's deletion request (Deletion requests), which removes their files
    and their personal data from history and the outbox and keeps the
    program's figures; deleting the row would take their pairings with it
    and leave their CV on disk. Clearing "Active" stops someone signing in."""

    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "country",
        "time_zone",
        "is_staff",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_active", DeletedFilter, "country"]
    search_fields = ["email", "full_name", "institution"]
    fieldsets = [
        (
            None,
            {
                "fields": ["email", "password"],
                "description": "An account is deleted at the person's request, "
                "under Deletion requests; to stop someone signing in, clear "
                "“Active”.",
            },
        ),
        ("Person", {"fields": ["full_name", "country", "time_zone", "institution"]}),
        (
            "Permissions",
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined", "deleted_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined", "deleted_at"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Interest)
class InterestAdmin(DeletePageQueriesMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "position", "is_active", "slug"]
    list_editable = ["position", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class LocalDateFieldListFilter(admin.DateFieldListFilter):
    """Django's filter of a list by a time's date. Its links carry each time
    with its UTC offset; a time without one (typed into the address, or
    tampered with) is read in the staff member's time zone, as a form reads
    it, instead of reaching the database as a naive time, which Django warns
    of and reads in the server's. One that is no time at all is an error of
    the list's address, as a bad value of any other filter is."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        read = forms.DateTimeField().to_python
        for name in (self.lookup_kwarg_since, self.lookup_kwarg_until):
            if name in self.used_parameters:
                try:
                    self.used_parameters[name] = [
                        read(value) for value in self.used_parameters[name]
                    ]
                except ValidationError as error:
                    raise IncorrectLookupParameters(error) from error


# allauth's admin for authenticators shows and edits their data: the secret of
# each staff member's authenticator app (stored as it is, unencrypted) and the
# seed of their recovery codes, to anyone allowed to view the model. Here it
# only lists them, and deletes one when its owner has lost both their phone
# and their recovery codes: they set the app up again at their next login.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AllauthAuthenticatorAdmin):
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields
    list_filter = [
        "type",
        ("created_at", LocalDateFieldListFilter),
        ("last_used_at", LocalDateFieldListFilter),
    ]
    search_fields = ["user__email", "user__full_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
