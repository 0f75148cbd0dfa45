from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "采集进度"

    def ready(self):
        from progress import reports

        reports.register()  # the progress workbooks run as export jobs
