from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "会员"

    def ready(self):
        from registry import lookups  # noqa: F401 - registers `__any_of` on CharField
