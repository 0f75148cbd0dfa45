"""A real Celery worker (a subprocess on Redis) runs a member export: the job goes from
queued to done with its progress and file, and the one audit entry is written. Needs
PostgreSQL and Redis, like tests/imports/test_worker_flow.py (skipped without them unless CI)."""

import time
import uuid

import pytest
from celery import Celery

from members import export_jobs
from members.models import ExportJob
from members.selectors import MemberFilter
from tests.imports.test_worker_flow import Worker, database_url, redis_broker  # noqa: F401
from unions.models import AuditEntry

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TASK = "members.tasks.run_export"


@pytest.fixture
def export_worker(redis_broker, database_url, media_root, tmp_path):  # noqa: F811
    queue = f"exports-test-{uuid.uuid4().hex[:10]}"
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


def test_the_worker_writes_the_export_and_audits_it_once(
    export_worker, tree, county_admin, make_member, monkeypatch
):
    for n in range(30):
        make_member(tree["school"], name=f"会员{n}")
    monkeypatch.setattr(export_jobs, "enqueue", lambda job_id: None)  # sent below instead
    job = export_jobs.start(
        user=county_admin, member_filter=MemberFilter(union=tree["county"]), fmt="csv"
    )
    export_worker.start()
    export_worker.send(job)

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    assert job.state == ExportJob.State.DONE, (job.state, job.message, export_worker.log())
    assert (job.rows_done, job.rows_total, job.filter) == (30, 30, {})
    assert job.file.read().decode("utf-8-sig").count("会员") >= 30
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == county_admin and entry.detail["rows"] == 30
