from django.contrib import admin

from progress.models import Campaign, Target


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "deadline", "is_current")
    readonly_fields = ("is_current",)
    actions = ["make_current"]

    @admin.action(description="设为当前采集行动")
    def make_current(self, request, queryset):
        from progress.targets import make_current

        if queryset.count() != 1:
            self.message_user(request, "请只选择一个采集行动。", level="error")
            return
        make_current(campaign=queryset.get())


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("union", "campaign", "members", "organisations", "set_by", "updated_at")
    list_filter = ("campaign",)
    search_fields = ("union__name",)
    raw_id_fields = ("union", "set_by")
    list_select_related = ("union", "campaign", "set_by")
