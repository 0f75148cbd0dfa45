from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from mptt.admin import DraggableMPTTAdmin

from unions.models import AuditEntry, Union, Unit, User


@admin.register(Union)
class UnionAdmin(DraggableMPTTAdmin):
    list_display = (
        "tree_actions",
        "indented_title",
        "kind",
        "credit_code",
        "system_code",
        "is_active",
    )
    list_display_links = ("indented_title",)
    list_filter = ("kind", "is_active")
    search_fields = ("name", "credit_code", "system_code")
    filter_horizontal = ("units",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "nature", "staff_count")
    search_fields = ("name", "credit_code")
    list_filter = ("nature",)


@admin.register(User)
class AccountAdmin(UserAdmin):
    list_display = ("username", "union", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    list_select_related = ("union",)
    raw_id_fields = ("union", "created_by")
    fieldsets = UserAdmin.fieldsets + (
        ("工会", {"fields": ("union", "role", "must_change_password", "created_by")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (("工会", {"fields": ("union", "role")}),)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_username", "action", "union", "object_repr", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_username", "object_repr")
    list_select_related = ("union",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _platform_operators_only(request) -> bool:
    """/ops/ is for platform operators (superusers) only; a staff flag alone opens nothing."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _platform_operators_only
