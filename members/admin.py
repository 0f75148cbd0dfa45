from django.contrib import admin

from members.models import Member, MembershipEvent


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Lists show masked IDs and phones; the full values stay on the change form."""

    list_display = ("name", "masked_id", "masked_mobile", "union", "status")
    list_filter = ("status", "gender")
    list_select_related = ("union",)
    search_fields = ("name", "=id_number", "=mobile")
    raw_id_fields = ("union", "unit")
    show_full_result_count = False

    @admin.display(description="证件号码")
    def masked_id(self, obj):
        return obj.masked_id

    @admin.display(description="手机号码")
    def masked_mobile(self, obj):
        return obj.masked_mobile


@admin.register(MembershipEvent)
class MembershipEventAdmin(admin.ModelAdmin):
    list_display = ("member", "kind", "on", "from_union", "to_union")
    list_filter = ("kind",)
    raw_id_fields = ("member", "from_union", "to_union", "recorded_by")
