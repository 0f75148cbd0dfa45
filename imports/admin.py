from django.contrib import admin

from imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Platform operators watch jobs here; they do not edit them."""

    list_display = [
        "id",
        "created_at",
        "union",
        "uploader",
        "original_filename",
        "state",
        "attempts",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["original_filename", "union__name", "uploader__username"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
