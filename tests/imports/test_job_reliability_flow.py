"""What the worker does when deliveries repeat, workers die or rights change.

A job is left by a dead worker in the state it had reached; these tests put jobs
in those states and deliver the real task to them (run in this process)."""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from openpyxl import Workbook

from imports import services
from imports.models import ImportJob
from imports.tasks import process_import_job
from members.models import Member
from tests.imports.sheets import mobile, person_id
from unions.models import User

pytestmark = pytest.mark.django_db


def sheet_bytes(n_rows: int = 3) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "证件号码", "手机号码"])
    for n in range(1, n_rows + 1):
        sheet.append(["张三", person_id(n), mobile(n)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def collector(tree, make_user, media_root):
    return make_user(tree["base"], User.Role.COLLECTOR)


@pytest.fixture
def make_job(collector, tree):
    def make(*, state=ImportJob.State.QUEUED, rows=3, **fields):
        job = ImportJob(
            kind=ImportJob.Kind.MEMBERS,
            union=tree["base"],
            uploader=collector,
            original_filename="花名册.xlsx",
            sha256="0" * 64,
            state=state,
            **fields,
        )
        job.file.save("roster.xlsx", ContentFile(sheet_bytes(rows)), save=False)
        job.save()
        return job

    return make


def deliver(job: ImportJob, task_id: str = "delivery-1") -> ImportJob:
    """One delivery of the queued task, as a worker would run it."""
    process_import_job.apply(args=[job.pk], task_id=task_id)
    job.refresh_from_db()
    return job


def test_delivery_analyses_a_queued_job(make_job):
    job = deliver(make_job())
    assert job.state == ImportJob.State.PREVIEW
    assert (job.rows_done, job.rows_total, job.count("created")) == (3, 3, 3)
    assert job.attempts == 1


def test_redelivery_after_the_worker_died_mid_analysis_finishes_the_job(make_job):
    # The worker died while validating: same task id, heartbeat still recent.
    job = make_job(
        state=ImportJob.State.VALIDATING,
        task_id="delivery-1",
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    job = deliver(job, "delivery-1")
    assert job.state == ImportJob.State.PREVIEW
    assert job.attempts == 2


def test_redelivery_after_the_worker_died_mid_commit_writes_everything_once(make_job):
    job = make_job(
        state=ImportJob.State.COMMITTING,
        task_id="delivery-7",
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    job = deliver(job, "delivery-7")
    assert job.state == ImportJob.State.DONE
    assert Member.objects.count() == 3
    # A late duplicate of the same message finds the job done and does nothing.
    job = deliver(job, "delivery-7")
    assert job.state == ImportJob.State.DONE and job.count("created") == 3
    assert Member.objects.count() == 3


def test_a_job_another_live_worker_holds_is_left_alone(make_job):
    job = make_job(
        state=ImportJob.State.MATCHING,
        task_id="someone-else",
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    job = deliver(job, "delivery-2")
    assert job.state == ImportJob.State.MATCHING and job.attempts == 1


def test_a_job_whose_worker_went_silent_is_taken_over(make_job, settings):
    job = make_job(
        state=ImportJob.State.MATCHING,
        task_id="dead-worker",
        attempts=1,
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=settings.IMPORT_STALL_MINUTES + 1),
    )
    job = deliver(job, "delivery-3")
    assert job.state == ImportJob.State.PREVIEW


def test_stall_sweep_queues_silent_jobs_again(
    make_job, celery_eager, django_capture_on_commit_callbacks
):
    silent = make_job(
        state=ImportJob.State.READING,
        task_id="dead-worker",
        attempts=1,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
    )
    lively = make_job(
        state=ImportJob.State.READING, task_id="alive", attempts=1, heartbeat_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.recover_stalled_jobs() == 1

    silent.refresh_from_db()
    lively.refresh_from_db()
    assert silent.state == ImportJob.State.PREVIEW and silent.attempts == 2
    assert lively.state == ImportJob.State.READING and lively.task_id == "alive"


def test_a_job_that_keeps_dying_is_failed_after_the_bounded_attempts(make_job, settings):
    job = make_job(
        state=ImportJob.State.READING,
        task_id="delivery-1",
        attempts=settings.IMPORT_MAX_ATTEMPTS,
        heartbeat_at=timezone.now(),
    )
    job = deliver(job, "delivery-1")
    assert job.state == ImportJob.State.FAILED
    assert f"已尝试处理 {settings.IMPORT_MAX_ATTEMPTS} 次" in job.error_message
    assert not Member.objects.exists()


def test_an_error_is_retried_a_bounded_number_of_times_then_failed(make_job, settings):
    job = make_job()
    job.file.storage.delete(job.file.name)  # the stored file vanished from the disk

    job = deliver(job)

    assert job.state == ImportJob.State.FAILED
    assert job.attempts == settings.IMPORT_MAX_ATTEMPTS
    assert "重新处理" in job.error_message


def test_failed_job_can_be_retried_from_the_start(make_job, collector):
    job = make_job(state=ImportJob.State.FAILED, attempts=3, error_message="旧错误")
    assert services.retry_job(job=job, user=collector) is True
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_message) == (ImportJob.State.QUEUED, 0, "")
    job = deliver(job)
    assert job.state == ImportJob.State.PREVIEW


@pytest.mark.parametrize(
    "change",
    ["deactivated", "demoted", "moved_away"],
)
def test_the_task_rechecks_the_uploaders_rights_when_it_runs(make_job, collector, tree, change):
    job = make_job(state=ImportJob.State.CONFIRMED)
    if change == "deactivated":
        collector.is_active = False
    elif change == "demoted":
        collector.role = User.Role.VIEWER
    else:
        collector.union = tree["school"]
    collector.save()

    job = deliver(job)

    assert job.state == ImportJob.State.FAILED
    assert "上传人已无权" in job.error_message
    assert not Member.objects.exists()


def test_cancelling_during_analysis_stops_the_job(make_job, collector):
    job = make_job()
    services.cancel_job(job=job, user=collector)
    job = deliver(job)
    assert job.state == ImportJob.State.CANCELLED
    assert not job.problems.exists() and not job.summary


def test_progress_is_written_to_the_job_for_the_page_to_poll(make_job, client, collector):
    from django.urls import reverse

    from imports.runner import Progress, claim

    job = claim(make_job().pk, task_id="delivery-1")
    Progress(job, commit_phase=False)("validate", 40, 100)

    client.force_login(collector)
    status = client.get(reverse("imports:job_status", args=[job.pk])).json()
    assert (status["state"], status["stage_label"]) == ("validating", "校验")
    assert (status["rows_done"], status["rows_total"], status["running"]) == (40, 100, True)
    assert 15 < status["percent"] < 60


def test_a_running_analysis_stops_at_its_next_step_once_cancelled(make_job, collector):
    from imports.runner import JobAbandoned, Progress, claim

    job = claim(make_job().pk, task_id="delivery-1")
    progress = Progress(job, commit_phase=False)
    progress("read", 1, 1)
    services.cancel_job(job=job, user=collector)

    with pytest.raises(JobAbandoned):
        progress("validate", 3, 3)
    job.refresh_from_db()
    assert job.state == ImportJob.State.CANCELLED
