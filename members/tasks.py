"""Celery tasks of the member register. Each takes an ID and calls plain code."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from members import export_jobs


@shared_task(bind=True, acks_late=True)
def run_export(self, job_id: int) -> None:
    try:
        export_jobs.run(job_id, task_id=self.request.id or "")
    except SoftTimeLimitExceeded:
        export_jobs.fail(job_id, _("导出超时，未生成文件。请按工会或其他条件缩小范围后分批导出。"))


@shared_task
def sweep_exports() -> tuple[int, int]:
    return export_jobs.sweep()
