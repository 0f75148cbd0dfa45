"""What the worker does with an import job, separate from Celery so it reads plainly.

Two phases, each started by one task delivery:

- analysis (queued → reading → validating → matching → preview): the engine reads,
  checks and compares the sheet; the summary and every problem are stored, the
  error report is written; nothing in the registry changes.
- commit (confirmed → committing → done): the engine analyses the stored file again
  (rights and registry as they are now) and writes the valid rows. The engine's
  writes and the job's "done" are one transaction, so a worker killed at any point
  leaves either nothing written (the job is taken up again) or everything written
  and the job done. A commit that runs twice finds every row unchanged.

A delivery first *claims* the job; a second delivery of the same job (Celery
redelivers unacknowledged tasks after a worker dies) takes it over only when the
first one is evidently gone. Each claim counts an attempt; after
IMPORT_MAX_ATTEMPTS the job is failed with a message instead of being tried forever.
"""

import datetime
import logging
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from imports import engine
from imports.models import ImportJob, ImportProblem
from registry.files import local_path
from unions.access import can_import, user_root
from unions.models import User

log = logging.getLogger(__name__)

State = ImportJob.State
ACTIVE = (*ImportJob.ANALYSING, State.COMMITTING)


class JobAbandoned(Exception):
    """The job was cancelled or taken over by another delivery while this one ran."""


def run(job_id: int, *, task_id: str) -> None:
    job = claim(job_id, task_id=task_id)
    if job is None:
        return
    uploader = User.objects.filter(pk=job.uploader_id).select_related("union").first()
    if uploader is None or not can_import(uploader, job.union, job.kind):
        fail(job.pk, message=rights_message())
        return
    try:
        if job.kind == ImportJob.Kind.RECONCILE:
            _compare_list(job, uploader=uploader)
        elif job.state == State.COMMITTING:
            commit(job, uploader=uploader)
        else:
            analyse(job, uploader=uploader)
    except engine.FileRejected as exc:
        fail(job.pk, message=exc.message, file_rejected=True)
    except JobAbandoned:
        log.info("import job %s was cancelled or taken over; stopping", job.pk)


def _compare_list(job: ImportJob, *, uploader: User) -> None:
    """A list compared with the registry (imports/reconcile/): analysed, never committed."""
    from imports.reconcile import jobs

    def still_mine() -> bool:
        if not _mine(job, ImportJob.ANALYSING).select_for_update().exists():
            raise JobAbandoned
        return True

    jobs.analyse(
        job, uploader=uploader, progress=Progress(job, commit_phase=False), still_mine=still_mine
    )


def claim(job_id: int, *, task_id: str) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not _may_take(job, task_id):
            return None
        if job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
            _fail_locked(job, too_many_attempts_message(job.attempts))
            return None
        commit_phase = job.state in (State.CONFIRMED, State.COMMITTING)
        job.state = State.COMMITTING if commit_phase else State.READING
        job.stage = ImportJob.Stage.READ
        job.rows_done = 0
        job.attempts += 1
        job.task_id = task_id
        job.heartbeat_at = timezone.now()
        job.save(
            update_fields=["state", "stage", "rows_done", "attempts", "task_id", "heartbeat_at"]
        )
        return job


def _may_take(job: ImportJob, task_id: str) -> bool:
    if job.state in (State.QUEUED, State.CONFIRMED):
        return True
    if job.state not in ACTIVE:
        return False  # preview, done, failed, cancelled: a late duplicate delivery
    # Running: ours again (redelivered after our worker died, or a retry), released
    # by the stall sweep, or silent for so long that its worker must be gone.
    stall = datetime.timedelta(minutes=settings.IMPORT_STALL_MINUTES)
    silent = job.heartbeat_at is None or job.heartbeat_at < timezone.now() - stall
    return job.task_id in ("", task_id) or silent


class Progress:
    """The engine's progress(stage, done, total), written to the job row a few times
    a second at most; stops the run when the job was cancelled or taken over."""

    INTERVAL = 0.5

    def __init__(self, job: ImportJob, *, commit_phase: bool):
        self.job = job
        self.commit_phase = commit_phase
        self.stage = None
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.last < self.INTERVAL and done < total:
            return
        self.stage, self.last = stage, now
        fields = {
            "stage": stage,
            "rows_done": done,
            "rows_total": total,
            "heartbeat_at": timezone.now(),
        }
        if not self.commit_phase and stage in ImportJob.STATE_OF_STAGE:
            fields["state"] = ImportJob.STATE_OF_STAGE[stage]
        allowed = (State.COMMITTING,) if self.commit_phase else ImportJob.ANALYSING
        if not _mine(self.job, allowed).update(**fields):
            raise JobAbandoned


def _mine(job: ImportJob, states):
    return ImportJob.objects.filter(pk=job.pk, task_id=job.task_id, state__in=states)


def _analyse_file(job: ImportJob, *, uploader: User, commit_phase: bool):
    if not job.has_file:
        raise engine.FileRejected(_("上传的文件已按保存期限清理，请重新上传。"))
    common = {
        "filename": job.original_filename,
        "progress": Progress(job, commit_phase=commit_phase),
    }
    # Rights were checked by `run` (can_import); the engine is given the scope, not the user.
    # The upload is in storage, maybe on another machine: read through a local copy.
    with local_path(job.file) as path:
        if job.kind == ImportJob.Kind.UNIONS:
            plan = engine.analyse_unions(path, root=job.union, **common)
        else:
            choice = job.summary if commit_phase else {}
            plan = engine.analyse_members(
                path,
                union=job.union,
                root=user_root(uploader),
                from_sheet=job.union_from_sheet,
                made_at=lambda union: previous_upload_at(job, union),
                keep_newer=not choice.get("overwrite_newer"),
                take_file_rows=choice.get("take_file_rows") or (),
                **common,
            )
    if plan.summary.status == "rejected":
        raise engine.FileRejected(plan.summary.message)
    return plan


def previous_upload_at(job: ImportJob, union=None):
    """When the union's previous roster upload was written: for the stale guard, the
    time a file without its own modified time is taken to be made at."""
    return (
        ImportJob.objects.filter(
            union=union or job.union,
            kind=job.kind,
            state=State.DONE,
            created_at__lt=job.created_at,
        )
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )


def analyse(job: ImportJob, *, uploader: User) -> None:
    plan = _analyse_file(job, uploader=uploader, commit_phase=False)
    report = _write_report(plan)
    with transaction.atomic():
        if not _mine(job, ImportJob.ANALYSING).select_for_update().exists():
            raise JobAbandoned
        _store_problems(job, plan.summary)
        _replace_report(job, report)
        job.summary = summary_json(plan.summary)
        _take_sheet_union(job, plan)
        job.state = State.PREVIEW
        job.stage = ""
        job.rows_done = job.rows_total = plan.summary.rows
        job.analysed_at = timezone.now()
        job.heartbeat_at = timezone.now()
        job.save()


def commit(job: ImportJob, *, uploader: User) -> None:
    plan = _analyse_file(job, uploader=uploader, commit_phase=True)
    if job.union_from_sheet and plan.union.pk != job.union_id:
        # The union the preview showed is no longer the one the sheet names (renamed,
        # moved or switched off meanwhile): never write into another one.
        raise engine.FileRejected(
            _("表格写明的工会与核对时不同（工会可能已改名、调整或停用），没有写入。请重新上传。")
        )
    report = _write_report(plan)
    Progress(job, commit_phase=True)(ImportJob.Stage.WRITE, 0, plan.summary.rows)
    with transaction.atomic():
        if not _mine(job, (State.COMMITTING,)).select_for_update().exists():
            raise JobAbandoned
        if job.kind == ImportJob.Kind.UNIONS:
            summary = engine.commit_unions(plan, by=uploader)
        else:
            summary = engine.commit_members(plan, by=uploader, source_ref=source_ref(job))
        if summary.status == "rejected":
            # The registry changed since the analysis; the engine wrote nothing.
            _fail_locked(job, summary.message)
            if report is not None:
                report.unlink(missing_ok=True)
            return
        _store_problems(job, summary)
        _replace_report(job, report)
        job.summary = summary_json(summary)
        job.state = State.DONE
        job.stage = ""
        job.rows_done = job.rows_total = summary.rows
        job.finished_at = job.heartbeat_at = timezone.now()
        job.save()


def _take_sheet_union(job: ImportJob, plan) -> None:
    """A job whose union was left open belongs to the union its sheet names."""
    if job.union_from_sheet and getattr(plan, "union", None) is not None:
        job.union = plan.union


def source_ref(job: ImportJob) -> str:
    return f"job:{job.pk}"


def summary_json(summary) -> dict:
    data = summary.as_json()
    data["error_count"] = len(data.pop("errors", []))
    data["warning_count"] = len(data.pop("warnings", []))
    return data


def _store_problems(job: ImportJob, summary) -> None:
    job.problems.all().delete()
    ImportProblem.objects.bulk_create(
        (
            ImportProblem(
                job=job,
                sheet=(p.sheet or "")[:100],
                row=p.row or None,
                column=(p.column or "")[:100],
                code=p.code[:40],
                message=(p.message or "")[:500],
                value=str(p.value or "")[:200],
                severity=p.severity or ImportProblem.Severity.ERROR,
            )
            for p in (*summary.errors, *summary.warnings)
        ),
        batch_size=1000,
    )


def _write_report(plan) -> Path | None:
    """The failed rows with the bad cells marked, when there are any."""
    if not plan.summary.errors:
        return None
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as out:
        path = Path(out.name)
    if engine.write_error_report(plan, path) <= 0:
        path.unlink(missing_ok=True)
        return None
    return path


def _replace_report(job: ImportJob, path: Path | None) -> None:
    old = job.report.name if job.report else ""
    job.report = None
    if path is not None:
        with path.open("rb") as fh:
            job.report.save("report.xlsx", File(fh), save=False)
        path.unlink(missing_ok=True)
    if old:
        # The old file goes only once the new state is stored.
        storage = job.report.storage
        transaction.on_commit(lambda: storage.delete(old))


def fail(job_id: int, *, message: str, file_rejected: bool = False) -> None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is not None and job.state in ImportJob.RUNNING:
            _fail_locked(job, message, file_rejected=file_rejected)


def _fail_locked(job: ImportJob, message: str, *, file_rejected: bool = False) -> None:
    job.state = State.FAILED
    job.error_message = message
    job.file_rejected = file_rejected
    job.stage = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error_message", "file_rejected", "stage", "finished_at"])
    log.warning("import job %s failed: %s", job.pk, message)


def rights_message() -> str:
    return _(
        "上传人已无权向该工会导入（账号已停用、角色已变更或工会已不在其管辖范围内），"
        "任务已停止，未写入任何数据。"
    )


def too_many_attempts_message(attempts: int) -> str:
    return _(
        "已尝试处理 %(n)d 次仍未完成，任务已停止，未写入任何数据。"
        "请稍后点击“重新处理”，如仍失败请联系上级工会或平台运维。"
    ) % {"n": attempts}


def error_message(exc: BaseException) -> str:
    return _("处理时出错，已多次重试仍未成功，未写入任何数据。请稍后点击“重新处理”。（%(e)s）") % {
        "e": type(exc).__name__
    }
