"""A real Celery worker (a subprocess) on Redis processes import jobs, and a worker
killed with SIGKILL in the middle of writing leaves nothing half-applied: the
unacknowledged task is delivered again and the job completes exactly once.

Needs PostgreSQL (the worker opens the test database from another process) and
Redis; skipped without them unless CI is set."""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from openpyxl import Workbook

from imports import services
from imports.models import ImportJob
from members import services as member_services
from members import tallies
from members.models import Member, MemberChange
from members.synthetic import id_number
from registry import codes
from unions import services as union_services
from unions.models import AuditEntry, User

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
TASK = "imports.tasks.process_import_job"


def broker_url() -> str:
    configured = os.environ.get("CELERY_BROKER_URL", "")
    if configured.startswith("redis://"):
        return configured
    return os.environ.get("WORKER_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_broker():
    import redis

    url = broker_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError:
        _unavailable(f"Redis is not reachable at {url}")
    return url


@pytest.fixture
def database_url(db):
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("the worker subprocess needs a database another process can open (PostgreSQL)")
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """`celery worker` in its own process group, consuming a queue of its own."""

    def __init__(self, *, broker: str, database: str, media: Path, tmp: Path, queue: str):
        self.broker, self.database, self.media, self.tmp, self.queue = (
            broker,
            database,
            media,
            tmp,
            queue,
        )
        self.process = None
        self.runs = 0

    def start(self, concurrency: int = 1, **extra_env):
        self.runs += 1
        env = {
            **os.environ,
            "SECRET_KEY": "worker-test",
            "DEBUG": "0",
            "DATABASE_URL": self.database,
            "CELERY_BROKER_URL": self.broker,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MEDIA_ROOT": str(self.media),
            "VAR_DIR": str(self.tmp),
            "LOG_LEVEL": "INFO",
            **extra_env,
        }
        log = (self.tmp / f"worker-{self.runs}.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "registry",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                self.queue,
                "-n",
                f"test-{self.queue}-{self.runs}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self):
        """SIGKILL the worker and its pool children at once: no warm shutdown, no ack."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return "\n".join(
            (self.tmp / f"worker-{n}.log").read_text(errors="replace")[-3000:]
            for n in range(1, self.runs + 1)
        )


@pytest.fixture
def worker(redis_broker, database_url, media_root, tmp_path):
    queue = f"imports-test-{uuid.uuid4().hex[:10]}"
    w = Worker(
        broker=redis_broker, database=database_url, media=media_root, tmp=tmp_path, queue=queue
    )
    # not the current app: shared tasks would bind to it and ignore the eager test setting
    sender = Celery("sender", broker=redis_broker, set_as_current=False)
    w.send = lambda job: sender.send_task(TASK, args=[job.pk], queue=queue)
    yield w
    w.stop()
    with sender.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    sender.close()


@pytest.fixture
def make_job(tree, make_user, media_root):
    uploader = make_user(tree["base"], User.Role.COLLECTOR)

    def make(rows: int) -> ImportJob:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("会员信息")
        sheet.append(["姓名", "证件号码", "手机号码", "性别"])
        for n in range(1, rows + 1):
            sheet.append(["张三", many_ids(n), f"139{n:08d}", "男"])
        path = media_root.parent / "roster.xlsx"
        book.save(path)
        job = ImportJob(
            kind=ImportJob.Kind.MEMBERS,
            union=tree["base"],
            uploader=uploader,
            original_filename="花名册.xlsx",
            sha256=uuid.uuid4().hex * 2,
        )
        job.file.save("roster.xlsx", ContentFile(path.read_bytes()), save=False)
        job.save()
        return job

    return make


def many_ids(n: int) -> str:
    """Distinct valid IDs for large sheets (birth dates stay in the past)."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=n % 12000)
    return id_number(birth=birth, seq=n // 12000, male=True)


def wait_for(job: ImportJob, states, worker: Worker, timeout: float = 120) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.05)
    pytest.fail(f"job stayed {job.state!r} (stage {job.stage!r}); worker log:\n{worker.log()}")


def confirm(job: ImportJob) -> None:
    # As services.confirm_job does, but the message goes to the test worker's queue.
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.CONFIRMED, attempts=0, task_id=""
    )


def test_a_real_worker_analyses_then_commits_a_job(worker, make_job):
    job = make_job(rows=50)
    worker.start()

    worker.send(job)
    job = wait_for(job, {ImportJob.State.PREVIEW, ImportJob.State.FAILED}, worker)
    assert job.state == ImportJob.State.PREVIEW, job.error_message
    assert job.count("created") == 50 and Member.objects.count() == 0

    confirm(job)
    worker.send(job)
    job = wait_for(job, {ImportJob.State.DONE, ImportJob.State.FAILED}, worker)
    assert job.state == ImportJob.State.DONE, job.error_message
    assert Member.objects.filter(union=job.union).count() == 50
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT_COMMITTED).count() == 1


def test_worker_killed_while_writing_leaves_nothing_half_applied(worker, make_job):
    rows = 20_000
    job = make_job(rows=rows)
    worker.start()
    worker.send(job)
    job = wait_for(job, {ImportJob.State.PREVIEW, ImportJob.State.FAILED}, worker, timeout=180)
    assert job.state == ImportJob.State.PREVIEW, job.error_message

    confirm(job)
    worker.send(job)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state, stage = ImportJob.objects.values_list("state", "stage").get(pk=job.pk)
        if state == ImportJob.State.COMMITTING and stage == ImportJob.Stage.WRITE:
            break
        assert state not in ImportJob.FINISHED, worker.log()
        time.sleep(0.01)
    time.sleep(0.05)  # into the write transaction
    worker.kill()

    job.refresh_from_db()
    written = Member.objects.count()
    print(f"killed at state={job.state} stage={job.stage}: {written} members written")
    if job.state == ImportJob.State.DONE:  # the commit beat the kill: all of it, once
        assert written == rows
    else:
        assert job.state == ImportJob.State.COMMITTING
        assert written == 0, f"{written} of {rows} rows written by a killed worker"
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT_COMMITTED).exists()

    # A new worker: Redis hands the unacknowledged task out again once its
    # visibility timeout has passed, and the job is taken up where it stood.
    worker.start(CELERY_VISIBILITY_TIMEOUT="2")
    job = wait_for(job, {ImportJob.State.DONE, ImportJob.State.FAILED}, worker, timeout=180)
    assert job.state == ImportJob.State.DONE, job.error_message
    assert Member.objects.count() == rows, (job.summary, job.attempts, worker.log())
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT_COMMITTED).count() == 1
    assert job.attempts == 2
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST


def test_three_uploads_into_three_unions_commit_at_once(worker, tree, make_user, monkeypatch):
    """Uploads made and confirmed as the pages make them, three committing at the same
    time on a worker of three processes: each union gets its members once, on the first
    attempt (a deadlock would abort one: a retry), and the tallies stay equal to the counts.
    benchmarks/concurrent_imports.py does the same with ten 10,000-row uploads."""
    rows = 500
    monkeypatch.setattr(
        services, "queue", lambda job: transaction.on_commit(lambda: worker.send(job))
    )
    jobs = []
    for n in range(3):
        union = union_services.create_union(
            actor=None, parent=tree["county"], name=f"并发第{n + 1}工会", kind=codes.KIND_BASE
        )
        officer = make_user(union, User.Role.COLLECTOR)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("会员信息")
        sheet.append(["姓名", "证件号码", "手机号码", "性别"])
        for k in range(n * rows, (n + 1) * rows):
            sheet.append(["张三", many_ids(k + 1), f"139{k:08d}", "男"])
        path = worker.tmp / f"roster-{n}.xlsx"
        book.save(path)
        upload = SimpleUploadedFile("花名册.xlsx", path.read_bytes())
        jobs.append(
            (
                services.create_job(
                    uploader=officer, union=union, kind=ImportJob.Kind.MEMBERS, upload=upload
                ),
                officer,
            )
        )
    worker.start(concurrency=3)
    for job, _officer in jobs:
        job = wait_for(job, {ImportJob.State.PREVIEW, ImportJob.State.FAILED}, worker)
        assert job.state == ImportJob.State.PREVIEW, job.error_message

    for job, officer in jobs:
        job.refresh_from_db()
        assert services.confirm_job(job=job, user=officer)
    for job, _officer in jobs:
        job = wait_for(job, {ImportJob.State.DONE, ImportJob.State.FAILED}, worker)
        assert job.state == ImportJob.State.DONE, (job.error_message, worker.log())
        assert job.attempts == 1, worker.log()
        assert Member.objects.filter(union=job.union).count() == rows
    assert Member.objects.count() == 3 * rows
    assert tallies.differences() == []
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT_COMMITTED).count() == 3


def roster_upload(path: Path, numbers, phone_prefix: str) -> SimpleUploadedFile:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("会员信息")
    sheet.append(["姓名", "证件号码", "手机号码", "性别"])
    for n in numbers:
        sheet.append(["张三", many_ids(n), f"{phone_prefix}{n:08d}", "男"])
    book.save(path)
    return SimpleUploadedFile("花名册.xlsx", path.read_bytes())


def test_two_uploads_updating_the_same_people_in_opposite_orders_do_not_deadlock(
    worker, tree, make_user, monkeypatch
):
    """Two officers' sheets change the same 4,500 members, one sorted the other way round,
    confirmed together. The writer locks members in batches of 2,000: in sheet order the
    first batches were disjoint and each then waited for the other's (PostgreSQL aborted
    one, the worker retried it). Locked by primary key, the second simply waits."""
    people = range(1, 4501)
    member_services.register_members(
        [
            {
                "union_id": tree["base"].pk,
                "name": "张三",
                "id_type": "01",
                "id_number": many_ids(n),
                "gender": "1",
                "mobile": f"139{n:08d}",
            }
            for n in people
        ],
        by=None,
        source=MemberChange.Source.IMPORT,
    )
    monkeypatch.setattr(
        services, "queue", lambda job: transaction.on_commit(lambda: worker.send(job))
    )
    officers = [make_user(tree["base"], User.Role.COLLECTOR) for _ in range(2)]
    sheets = [(people, "137"), (reversed(people), "135")]
    jobs = [
        services.create_job(
            uploader=officer,
            union=tree["base"],
            kind=ImportJob.Kind.MEMBERS,
            upload=roster_upload(worker.tmp / f"roster-{prefix}.xlsx", numbers, prefix),
        )
        for officer, (numbers, prefix) in zip(officers, sheets, strict=True)
    ]
    worker.start(concurrency=2)
    for job in jobs:
        job = wait_for(job, {ImportJob.State.PREVIEW, ImportJob.State.FAILED}, worker)
        assert job.count("updated") == len(people), job.error_message
    for job, officer in zip(jobs, officers, strict=True):
        job.refresh_from_db()
        assert services.confirm_job(job=job, user=officer)
    for job in jobs:
        job = wait_for(job, {ImportJob.State.DONE, ImportJob.State.FAILED}, worker, timeout=180)
        assert job.state == ImportJob.State.DONE, job.error_message
        assert job.attempts == 1, worker.log()
        assert job.count("updated") == len(people)
    assert "deadlock" not in worker.log()
    assert Member.objects.count() == len(people)
    assert tallies.differences() == []
