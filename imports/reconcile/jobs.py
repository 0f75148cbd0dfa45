"""A list comparison as a background job: an `ImportJob` of kind "reconcile", so it
reuses the upload's storage, the worker's claim, progress bar, stall recovery, cancel
and retry (imports.runner, imports.services). Its analysis stores the result as
`ReconcileEntry` rows for the page, the workbook and the confirmed actions; it never
writes a member. The list file and the entries go after RECONCILE_FILE_RETENTION_DAYS.
"""

import datetime
import logging

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from imports import services
from imports.engine import FileRejected
from imports.models import ImportJob, ImportProblem, ReconcileEntry
from imports.reconcile.analysis import Reconciliation, analyse_list
from registry.validators import mask_phone
from unions import audit
from unions.models import AuditEntry, Union, Unit, User

log = logging.getLogger(__name__)

Group = ReconcileEntry.Group


def start(*, user: User, union: Union, unit: Unit | None, upload: UploadedFile) -> ImportJob:
    """Store the list and queue its comparison (the caller checked `can_import(…,
    "reconcile")`)."""
    return services.create_job(
        uploader=user, union=union, kind=ImportJob.Kind.RECONCILE, upload=upload, unit=unit
    )


def analyse(job: ImportJob, *, uploader: User, progress, still_mine) -> None:
    """The worker's side (called by imports.runner): compare, then store the result in
    one transaction, if the job is still this delivery's (`still_mine()`)."""
    if not job.has_file:
        raise FileRejected(_("上传的名单已按保存期限清理，请重新上传。"))
    result = analyse_list(
        job.file.path,
        filename=job.original_filename,
        union=job.union,
        unit=job.unit,
        progress=progress,
    )
    with transaction.atomic():
        if not still_mine():
            return
        store(job, result)
        job.state = ImportJob.State.PREVIEW
        job.stage = ""
        job.rows_done = job.rows_total = result.rows
        job.analysed_at = job.finished_at = job.heartbeat_at = timezone.now()
        job.save()
        audit.record(
            AuditEntry.Action.RECONCILE_RUN,
            actor=uploader,
            union=job.union,
            obj=job,
            detail={"filename": job.original_filename, **result.counts()},
        )


def store(job: ImportJob, result: Reconciliation) -> None:
    job.entries.all().delete()
    job.problems.all().delete()
    ReconcileEntry.objects.bulk_create(entries_of(job, result), batch_size=2000)
    ImportProblem.objects.bulk_create(
        (
            ImportProblem(
                job=job,
                sheet=p.sheet[:100],
                row=p.row or None,
                column=(p.column or "")[:100],
                code=p.code[:40],
                message=p.message[:500],
                value=str(p.value or "")[:200],
            )
            for p in result.problems
        ),
        batch_size=1000,
    )
    job.summary = {
        **result.counts(),
        "unit": result.unit.name if result.unit else "",
        "has_mobile": result.has_mobile,
        "notices": result.notices[:200],
        "columns": result.columns[:100],
        "message": summary_message(result.counts()),
    }


def entries_of(job: ImportJob, result: Reconciliation):
    for row in result.missing:
        yield _entry(job, Group.MISSING, row)
    for match in result.mismatched:
        yield _entry(job, Group.MISMATCHED, match.row, match.member, match.differences)
    for match in result.elsewhere:
        entry = _entry(job, Group.ELSEWHERE, match.row, match.member)
        entry.registered = {"union": match.holder_name}
        yield entry
    for member in result.absent:
        yield ReconcileEntry(
            job=job,
            group=Group.ABSENT,
            name=member["name"],
            id_type=member["id_type"],
            id_number=member["id_number"],
            mobile=member["mobile"],
            member_id=member["id"],
        )


def _entry(job, group, row, member=None, differences=None) -> ReconcileEntry:
    return ReconcileEntry(
        job=job,
        group=group,
        sheet=row.sheet[:100],
        row=row.row,
        name=row.name[:50],
        id_type=row.id_type,
        id_number=row.id_number,
        mobile=row.mobile[:20],
        unit_name=row.unit_name[:200],
        member_id=member["id"] if member else None,
        registered=_masked(differences or {}),
    )


def _masked(registered: dict) -> dict:
    """The registered phone is kept masked: the JSON column is not encrypted, and the
    member's own record holds the full number."""
    if registered.get("mobile"):
        return {**registered, "mobile": mask_phone(registered["mobile"])}
    return registered


def summary_message(counts: dict) -> str:
    return (
        f"名单共 {counts['rows']} 人：已登记且一致 {counts['same']}，"
        f"应采未采 {counts['on_list_not_registered']}，"
        f"已登记但不在名单中 {counts['registered_not_on_list']}，"
        f"信息不一致 {counts['mismatched']}，"
        f"已在其他工会登记 {counts['elsewhere']}"
        + (f"；{counts['problems']} 行证件号码有误未比对" if counts.get("problems") else "")
        + "。"
    )


def purge_old_lists(*, now: datetime.datetime | None = None) -> int:
    """Delete the stored lists (and the results holding their ID numbers) older than
    RECONCILE_FILE_RETENTION_DAYS; the job row (who, when, counts) stays as history."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.RECONCILE_FILE_RETENTION_DAYS)
    old = ImportJob.objects.filter(
        kind=ImportJob.Kind.RECONCILE, created_at__lt=cutoff, file_purged_at__isnull=True
    ).exclude(state__in=ImportJob.RUNNING)
    purged = 0
    for job in old.iterator():
        with transaction.atomic():
            if job.file:
                job.file.delete(save=False)
            job.entries.all().delete()
            job.problems.all().delete()
            job.file_purged_at = now
            job.save(update_fields=["file", "file_purged_at"])
        purged += 1
    if purged:
        log.info("purged %d compared lists older than %s", purged, cutoff)
    return purged
