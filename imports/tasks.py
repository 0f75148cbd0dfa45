"""Celery tasks of the collection flow. Each takes an ID and calls plain code.

Tasks are acknowledged late and rejected when their worker dies (settings), so a
killed worker's job is delivered again; `runner.claim` makes that safe.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.translation import gettext as _

from imports import runner, services
from imports.models import ImportJob

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=settings.IMPORT_MAX_ATTEMPTS, acks_late=True)
def process_import_job(self, job_id: int) -> None:
    try:
        runner.run(job_id, task_id=self.request.id or "")
    except SoftTimeLimitExceeded:
        runner.fail(
            job_id,
            message=_("文件太大，处理超时，未写入任何数据。请把表格拆成几个较小的文件分别上传。"),
        )
    except Exception as exc:
        attempts = ImportJob.objects.filter(pk=job_id).values_list("attempts", flat=True).first()
        if attempts is None or attempts >= settings.IMPORT_MAX_ATTEMPTS:
            log.exception("import job %s failed for good", job_id)
            runner.fail(job_id, message=runner.error_message(exc))
            return
        log.warning("import job %s: attempt %s failed (%r); retrying", job_id, attempts, exc)
        raise self.retry(exc=exc, countdown=min(60, 5 * 2**attempts)) from exc


@shared_task
def purge_old_uploads() -> int:
    return services.purge_old_uploads()


@shared_task
def recover_stalled_jobs() -> int:
    return services.recover_stalled_jobs()


@shared_task
def purge_reconcile_lists() -> int:
    from imports.reconcile import jobs

    return jobs.purge_old_lists()
