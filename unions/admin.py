from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from mptt.admin import MPTTModelAdmin

from unions import pledge, services
from unions.models import AuditEntry, PledgeVersion, Union, Unit, User


@admin.register(Union)
class UnionAdmin(MPTTModelAdmin):
    """Every change goes through `unions.services` (tree lock, one audit entry per union
    created, changed, moved or switched off). No drag-and-drop: django-mptt's would move
    nodes without the lock. Unions are switched off, never deleted."""

    list_display = ("name", "kind", "credit_code", "system_code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "credit_code", "system_code")
    filter_horizontal = ("units",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {k: data[k] for k in services.UNION_FIELDS if k in data}
        actor, parent = request.user, data.get("parent")
        if not change:
            obj.pk = services.create_union(actor=actor, parent=parent, request=request, **fields).pk
            obj.refresh_from_db()
            if "is_active" in data and not data["is_active"]:
                services.set_union_active(actor=actor, union=obj, active=False, request=request)
            return
        services.update_union(actor=actor, union=obj, request=request, **fields)
        if parent is not None and parent.pk != form.initial.get("parent"):
            services.move_union(actor=actor, union=obj, new_parent=parent, request=request)
        if "is_active" in data:
            try:
                services.set_union_active(
                    actor=actor, union=obj, active=data["is_active"], request=request
                )
            except ValidationError as refused:
                self.message_user(request, " ".join(refused.messages), level=messages.ERROR)
        obj.refresh_from_db()


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only their services write (audit entries, membership events)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_username", "action", "union", "object_repr", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_username", "object_repr")
    list_select_related = ("union",)


@admin.register(PledgeVersion)
class PledgeVersionAdmin(admin.ModelAdmin):
    """保密承诺书: the operator publishes a new version (a copy of the current text to
    edit); published versions are never changed or deleted, since signatures name them."""

    list_display = ("version", "title", "published_at", "published_by")
    fields = ("title", "text")
    readonly_fields = ()

    def get_changeform_initial_data(self, request):
        current = pledge.current()
        return {"title": current.title, "text": current.text}

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        published = pledge.publish(
            title=form.cleaned_data["title"],
            text=form.cleaned_data["text"],
            by=request.user,
            request=request,
        )
        obj.pk = published.pk
        obj.refresh_from_db()


def _platform_operators_only(request) -> bool:
    """/ops/ is for platform operators (superusers) only; a staff flag alone opens nothing."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _platform_operators_only
