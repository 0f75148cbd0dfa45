from django.apps import AppConfig


class UnionsConfig(AppConfig):
    name = "unions"
    verbose_name = "工会组织"

    def ready(self):
        from unions import signals  # noqa: F401
