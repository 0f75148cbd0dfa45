from django.contrib import admin
from django.db.models import Q

from members import identity, services
from members.models import Member, MemberChange, MembershipEvent
from unions.admin import ReadOnlyAdmin


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Lists show masked IDs and phones; the full values stay on the change form."""

    list_display = ("name", "masked_id", "masked_mobile", "union", "status")
    list_filter = ("status", "gender")
    list_select_related = ("union",)
    search_fields = ("name",)
    raw_id_fields = ("union", "unit")
    show_full_result_count = False
    # Status changes are membership events (会籍变动) and go through the member pages;
    # nothing deletes a member.
    readonly_fields = ("status", "confirmed_at", "created_at")

    def get_search_results(self, request, queryset, search_term):
        """Besides names, a full ID number or phone, found by its blind index (both are
        encrypted, so SQL cannot compare them)."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            found |= queryset.filter(
                Q(id_hash=identity.id_hash(term.upper()))
                | Q(mobile_hash=identity.mobile_hash(term))
            )
        return found, duplicates

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the one writer, so the history (masked), the audit log and the
        tallies see an operator's edit like any other."""
        data = {k: v for k, v in form.cleaned_data.items() if k in services.EDITABLE_FIELDS}
        data["unit"] = form.cleaned_data.get("unit")
        union = form.cleaned_data["union"]
        source = MemberChange.Source.ADMIN
        # The form has already refused an ID registered to someone else (unique constraint).
        if change:
            services.update_member(
                member=obj, data=data, union=union, by=request.user, request=request, source=source
            )
        else:
            obj.pk = services.create_member(
                union=union, data=data, by=request.user, request=request, source=source
            ).pk
        obj.refresh_from_db()

    @admin.display(description="证件号码")
    def masked_id(self, obj):
        return obj.masked_id

    @admin.display(description="手机号码")
    def masked_mobile(self, obj):
        return obj.masked_mobile


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    """Read-only: events are written by the member services with the status they set."""

    list_display = ("member", "kind", "on", "from_union", "to_union")
    list_filter = ("kind",)
    raw_id_fields = ("member", "from_union", "to_union", "recorded_by")
