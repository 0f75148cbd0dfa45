"""Member exports as background jobs: start one, run it on the worker, sweep old ones.

The export rule itself (which members, cap, masking, one audit entry) is
`members.exports.export`; this module carries a filter to the worker, reports progress on
the job row, keeps the file for `MEMBER_EXPORT_KEEP_HOURS` and makes sure no job is left
running: a job whose worker has been silent `MEMBER_EXPORT_STALL_MINUTES` is failed by the
sweep (Celery beat) or when its owner starts the next one.

Reports of other apps (the progress page's 进度通报 and 会员人数统计表) run on the same
jobs: the app registers a `Report` (how to write it, what to call the file) at start-up
and `start_report` queues it; the rest — one unfinished job per account, progress page,
audited download, the file's time, the sweep — is shared. Reports and exports read from
the replica when there is one (`registry.db_router`).
"""

import datetime
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members import exports
from members.models import ExportJob
from members.selectors import MemberFilter, SearchTooShort
from registry.db_router import reading_from_replica
from unions import audit
from unions.access import union_in_scope, user_root
from unions.models import AuditEntry, Union, User

log = logging.getLogger(__name__)

State = ExportJob.State
FILTER_FIELDS = [f for f in MemberFilter.__dataclass_fields__ if f != "union"]


class ExportRunning(Exception):
    """The account already has an export queued or running."""

    def __init__(self, job: ExportJob):
        self.job = job
        super().__init__(self.message)

    message = _("您已有一个导出正在进行，请等它完成后再导出。")


def running_for(user: User) -> ExportJob | None:
    if not user.is_authenticated:
        return None
    return ExportJob.objects.filter(user=user, state__in=ExportJob.UNFINISHED).first()


def jobs_for(user: User):
    """An account's own exports: nobody else's file is reachable, not even an admin's."""
    return ExportJob.objects.filter(user=user).select_related("union")


def _stall_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.MEMBER_EXPORT_STALL_MINUTES)


def _is_stalled(job: ExportJob) -> bool:
    last = job.heartbeat_at or job.created_at
    return last < _stall_cutoff()


def start(
    *, user: User, member_filter: MemberFilter, fmt: str = "xlsx", via: str = "web"
) -> ExportJob:
    """Queue an export of `member_filter` for `user`. Raises ExportRunning when one is
    unfinished (a stalled one is failed first, so a dead worker blocks nobody),
    SearchTooShort for a digit search too short to run."""
    if fmt not in ExportJob.Format.values:
        fmt = ExportJob.Format.XLSX
    if member_filter.q:
        from members.selectors import search_q

        search_q(member_filter.q)  # raises SearchTooShort before anything is queued
    member_filter = exports.for_user(member_filter, user)
    data = {name: getattr(member_filter, name) for name in FILTER_FIELDS}
    data["union"] = member_filter.union.pk if member_filter.union else None
    return _queue_job(
        user=user,
        union=member_filter.union,
        data=data,
        summary=member_filter.summary(),
        fmt=fmt,
        via=via,
        masked=exports.masked_for(user),
    )


@dataclass(frozen=True)
class Report:
    """A report another app writes through export jobs.

    `write(user=, union=, params=)` returns the file's bytes (xlsx) and reads what it
    needs (run on the replica, if any); `filename(union)` names the download."""

    title: str
    write: Callable[..., bytes]
    filename: Callable[[Union], str]


REPORTS: dict[str, Report] = {}
REPORT_VIA = "report"  # `ExportJob.via` of a report job: the page says 已生成, not 名会员


def register_report(name: str, report: Report) -> None:
    REPORTS[name] = report


def start_report(*, user: User, union: Union, name: str, params: dict | None = None) -> ExportJob:
    """Queue the report `name` of `union` (in the user's scope, checked by the caller and
    again by the worker) for `user`. Raises ExportRunning like `start`."""
    report = REPORTS[name]
    return _queue_job(
        user=user,
        union=union,
        data={"report": name, "union": union.pk, "params": params or {}},
        summary=f"{report.title}：{union.name}",
        fmt=ExportJob.Format.XLSX,
        via=REPORT_VIA,
        masked=False,
    )


def is_report(job: ExportJob) -> bool:
    return job.via == REPORT_VIA


def _queue_job(*, user, union, data, summary, fmt, via, masked) -> ExportJob:
    """One unfinished job per account (a stalled one is failed first, so a dead worker
    blocks nobody); the job goes to the worker once this transaction commits."""
    current = running_for(user)
    if current is not None:
        if not _is_stalled(current):
            raise ExportRunning(current)
        fail(current.pk, _stalled_message())
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                user=user,
                union=union,
                filter=data,
                summary=summary[:500],
                format=fmt,
                via=via,
                masked=masked,
            )
    except IntegrityError:  # a second click raced the first: one unfinished job per account
        raise ExportRunning(running_for(user)) from None
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    """Hand the job to the worker (the tests run it in place instead)."""
    from members.tasks import run_export

    run_export.delay(job_id)


def _stalled_message() -> str:
    return _("导出中断（后台任务没有响应），未生成文件。请重新导出。")


def fail(job_id: int, message: str) -> None:
    ExportJob.objects.filter(pk=job_id, state__in=ExportJob.UNFINISHED).update(
        state=State.FAILED, message=message[:500], finished_at=timezone.now(), filter={}
    )


class _Progress:
    """rows done → the job row, at most twice a second; also the heartbeat."""

    INTERVAL = 0.5

    def __init__(self, job: ExportJob):
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.INTERVAL and done < total:
            return
        self.last = now
        ExportJob.objects.filter(pk=self.job.pk, state=State.RUNNING).update(
            rows_done=done, rows_total=total, heartbeat_at=timezone.now()
        )


def run(job_id: int, *, task_id: str = "") -> None:
    """The worker's side: claim the job, check the owner's rights as they are now, write
    the file through the one export rule, keep it for its time."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != State.QUEUED:
            return  # a late duplicate delivery, or failed by the sweep meanwhile
        job.state, job.task_id = State.RUNNING, task_id
        job.started_at = job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "task_id", "started_at", "heartbeat_at"])
    user = User.objects.filter(pk=job.user_id).first()
    data = dict(job.filter)
    union = Union.objects.filter(pk=data.pop("union", None)).first() if data.get("union") else None
    if user is None or user_root(user) is None or (union and not union_in_scope(user, union)):
        fail(job.pk, _("您的账号或所选工会已不在可导出的范围内，未生成文件。"))
        return
    if "report" in data:
        _run_report(job, user=user, union=union, data=data)
        return
    member_filter = MemberFilter(
        union=union, **{k: v for k, v in data.items() if k in FILTER_FIELDS}
    )
    suffix = "." + job.format
    try:
        with tempfile.TemporaryFile(suffix=suffix) as out:
            rows, masked = exports.export(
                out,
                user=user,
                member_filter=member_filter,
                via=job.via,
                fmt=job.format,
                progress=_Progress(job),
                refuse_empty=True,
            )
            out.seek(0)
            root = union or user_root(user)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            filename = f"会员名单-{root.name}-{stamp}{suffix}"
            _store(job, File(out), filename=filename, rows=rows, masked=masked)
    except (exports.ExportTooLarge, exports.NothingToExport) as refused:
        fail(job.pk, refused.message)
    except SearchTooShort:
        fail(job.pk, _("按证件号码或手机号码查找时请至少输入后4位数字。"))
    except Exception:
        log.exception("export job %s failed", job.pk)
        fail(job.pk, _("导出失败，未生成文件。请稍后重试；如仍失败，请联系平台运维。"))
        raise


def _store(job: ExportJob, content, *, filename: str, rows: int, masked: bool) -> None:
    """The file is written: keep it for its time, unless the sweep failed the job meanwhile."""
    suffix = "." + job.format
    with transaction.atomic():
        current = ExportJob.objects.select_for_update().get(pk=job.pk)
        if current.state != State.RUNNING:
            return  # failed by the sweep while we wrote: drop the file
        current.file.save(f"export-{job.pk}{suffix}", content, save=False)
        now = timezone.now()
        current.state = State.DONE
        current.rows_done = current.rows_total = rows
        current.masked = masked  # the rights as they were when the file was written
        current.filename = filename
        current.finished_at = now
        current.expires_at = now + datetime.timedelta(hours=settings.MEMBER_EXPORT_KEEP_HOURS)
        current.filter = {}
        current.save()


def _run_report(job: ExportJob, *, user: User, union: Union | None, data: dict) -> None:
    report = REPORTS.get(data["report"])
    if report is None or union is None:
        fail(job.pk, _("无法生成这份报表，请回到进度页重新导出。"))
        return
    try:
        with reading_from_replica():
            content = report.write(user=user, union=union, params=data.get("params") or {})
        audit.record(
            AuditEntry.Action.EXPORT,
            actor=user,
            union=union,
            obj=union,
            detail={"report": data["report"], "job": job.pk, **(data.get("params") or {})},
        )
        _store(job, ContentFile(content), filename=report.filename(union), rows=1, masked=False)
    except Exception:
        log.exception("report job %s failed", job.pk)
        fail(job.pk, _("导出失败，未生成文件。请稍后重试；如仍失败，请联系平台运维。"))
        raise


def sweep() -> tuple[int, int]:
    """Fail jobs whose worker went silent (queued or running), delete files past their
    time. Returns (failed, expired)."""
    cutoff = _stall_cutoff()
    stalled = ExportJob.objects.filter(state__in=ExportJob.UNFINISHED).filter(
        heartbeat_at__lt=cutoff
    ) | ExportJob.objects.filter(
        state=State.QUEUED, heartbeat_at__isnull=True, created_at__lt=cutoff
    )
    failed = 0
    for job_id in stalled.values_list("pk", flat=True):
        fail(job_id, _stalled_message())
        failed += 1
    expired = 0
    for job in ExportJob.objects.filter(state=State.DONE, expires_at__lt=timezone.now()):
        expire(job)
        expired += 1
    return failed, expired


def expire(job: ExportJob) -> None:
    if job.file:
        job.file.delete(save=False)
    job.state = State.EXPIRED
    job.save(update_fields=["state", "file"])


def downloadable(job: ExportJob) -> bool:
    if job.state != State.DONE or not job.file:
        return False
    if job.expires_at and job.expires_at < timezone.now():
        expire(job)
        return False
    return True
