"""Writes of the browser collection flow: create, confirm, cancel, retry, clean up jobs.

The work itself (reading, checking, writing members) runs in the worker; see
`imports.runner`. Jobs are queued only after the transaction that created or
changed them has committed, so the worker always finds the row it is given.
"""

import datetime
import hashlib
import logging

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from imports.models import ImportJob
from unions.models import Union, User

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".xlsx", ".xls", ".ods", ".csv")


def queue(job: ImportJob) -> None:
    from imports.tasks import process_import_job

    transaction.on_commit(lambda: process_import_job.delay(job.pk))


def file_sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def create_job(
    *,
    uploader: User,
    union: Union,
    kind: str,
    upload: UploadedFile,
    unit=None,
    union_from_sheet: bool = False,
) -> ImportJob:
    """Store the upload, record the job and queue its analysis. `union_from_sheet`: no
    union was chosen; the 工会名称：line of a member sheet names it (`union`, the
    uploader's own, when it names none)."""
    job = ImportJob(
        kind=kind,
        union=union,
        unit=unit,
        union_from_sheet=union_from_sheet and kind == ImportJob.Kind.MEMBERS,
        uploader=uploader,
        original_filename=upload.name[:255],
        file_size=upload.size,
        sha256=file_sha256(upload),
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    queue(job)
    return job


@transaction.atomic
def confirm_job(
    *, job: ImportJob, user: User, overwrite_newer: bool = False, take_file_rows=()
) -> bool:
    """Preview → confirmed; the worker analyses again and commits. False if too late,
    or when no row of the file can be imported. `overwrite_newer`: rows whose member
    changed in the registry after the file was made take the file's values too;
    `take_file_rows`: only these (sheet, row) of them do."""
    if job.nothing_importable or job.kind == ImportJob.Kind.RECONCILE:
        return False  # a compared list is never imported; its actions are per member
    chosen = [[str(sheet), int(row)] for sheet, row in take_file_rows]
    changed = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.PREVIEW).update(
        summary={**job.summary, "overwrite_newer": overwrite_newer, "take_file_rows": chosen},
        state=ImportJob.State.CONFIRMED,
        confirmed_at=timezone.now(),
        confirmed_by=user,
        attempts=0,
        task_id="",
        error_message="",
    )
    if changed:
        queue(job)
    return bool(changed)


CANCELLABLE = (
    ImportJob.State.QUEUED,
    *ImportJob.ANALYSING,
    ImportJob.State.PREVIEW,
    ImportJob.State.CONFIRMED,
)


@transaction.atomic
def cancel_job(*, job: ImportJob, user: User) -> bool:
    """Nothing is written for a cancelled job; a running analysis stops at its next step."""
    changed = ImportJob.objects.filter(pk=job.pk, state__in=CANCELLABLE).update(
        state=ImportJob.State.CANCELLED, finished_at=timezone.now(), stage=""
    )
    return bool(changed)


@transaction.atomic
def retry_job(*, job: ImportJob, user: User) -> bool:
    """A failed job starts over: analysis first, nothing was written. Not a file that
    could not be read: the same bytes would fail the same way."""
    if not job.has_file or job.file_rejected:
        return False
    changed = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.FAILED).update(
        state=ImportJob.State.QUEUED,
        attempts=0,
        task_id="",
        error_message="",
        finished_at=None,
        stage="",
        rows_done=0,
    )
    if changed:
        queue(job)
    return bool(changed)


def purge_old_uploads(*, now: datetime.datetime | None = None) -> int:
    """Delete stored uploads and error reports older than IMPORT_FILE_RETENTION_DAYS.
    The job row (who, when, counts, problems) stays as history."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    old = (
        ImportJob.objects.filter(created_at__lt=cutoff, file_purged_at__isnull=True)
        .exclude(state__in=ImportJob.RUNNING)
        .exclude(kind=ImportJob.Kind.RECONCILE)  # imports.reconcile.jobs.purge_old_lists
    )
    purged = 0
    for job in old.iterator():
        for field in (job.file, job.report):
            if field:
                field.delete(save=False)
        job.file_purged_at = now
        job.save(update_fields=["file", "report", "file_purged_at"])
        purged += 1
    if purged:
        log.info("purged the files of %d import jobs older than %s", purged, cutoff)
    return purged


def stalled_jobs(*, now: datetime.datetime | None = None):
    """Jobs a worker should hold but nobody has touched for IMPORT_STALL_MINUTES:
    the worker died (or the queued message was lost)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.IMPORT_STALL_MINUTES)
    return ImportJob.objects.annotate(
        last_sign=Coalesce("heartbeat_at", "confirmed_at", "created_at")
    ).filter(state__in=ImportJob.RUNNING, last_sign__lt=cutoff)


def recover_stalled_jobs(*, now: datetime.datetime | None = None) -> int:
    """Queue stalled jobs again; the worker's claim gives up on them after
    IMPORT_MAX_ATTEMPTS and marks them failed with a message."""
    count = 0
    for job in stalled_jobs(now=now):
        with transaction.atomic():
            # An empty task_id lets the next delivery take the job over.
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), task_id="")
            queue(job)
        count += 1
    if count:
        log.warning("re-queued %d stalled import jobs", count)
    return count
