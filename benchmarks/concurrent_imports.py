"""Benchmark: ten roster uploads into ten unions at once, through a real Celery worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gonghui_bench_concurrent \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/11 \\
        python benchmarks/concurrent_imports.py [--uploads 10] [--rows 10000] [--concurrency 2]

Issue 12, item 4: "ten 10,000-row uploads into ten unions at once through the real worker
all succeed, no deadlock; print the throughput." Steps:

1. migrate; a county (地方总工会) with `--uploads` base unions under it, made through
   unions.services, and a 采集员 account per union (opened by a county admin);
2. one sheet per union (benchmarks/import_members.py's rows, a different range of people
   each, so no ID is in two sheets), not timed;
3. `celery -A registry worker --concurrency N` started as a subprocess on the broker of
   CELERY_BROKER_URL (its queue purged first: use a Redis db of the benchmark's own);
4. the uploads made as the upload page makes them (imports.services.create_job, one per
   union by its officer), each analysed by the worker to its preview; then all confirmed
   at once as the confirm button does (services.confirm_job), and the commits awaited;
5. per job: rows, state, attempts, queue wait, analysis and commit seconds; the wall
   time and rows/s; then the registry proved: every union holds its rows, the tallies
   equal the counts (members.tallies.differences() empty), one audit entry per import.

A deadlock shows either as a job that PostgreSQL aborted (the worker retries it: attempts
above 1, its reason in the worker's log, printed) or as jobs that never finish (the
waiting locks are printed at --timeout). Exits 1 when a job failed or was retried, or a
check failed. Afterwards the imported members (with their events and tallies) are deleted
and the tables vacuumed, as import_members.py does; the small rest (the county, its unions,
accounts, jobs and audit entries) stays as the record of the run. `--keep` keeps all.
"""

import argparse
import datetime
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import import_members  # noqa: E402  (sets up the path, settings module and development keys)
from import_members import load_average  # noqa: E402

POLL = 0.1  # seconds between looks at the job rows


def write_sheet(path: str, union_name: str, start: int, count: int) -> None:
    """A roster as an officer fills the system's template: title, 工会名称：line, header."""
    import django

    django.setup()
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("会员花名册")
    sheet.append([f"{union_name}会员花名册"])
    sheet.append([f"工会名称：{union_name}"])
    sheet.append(import_members.HEADER)
    for row in import_members.rows(count, seed=start + 1, start=start):
        sheet.append(row)
    book.save(path)


def setup_registry(uploads: int, stamp: str):
    """A county, `uploads` base unions below it and one 采集员 per union."""
    from registry import codes
    from unions import services
    from unions.models import User

    county = services.create_union(
        actor=None,
        parent=None,
        name=f"并发导入测试县总工会{stamp}",
        kind=codes.KIND_LOCAL_FEDERATION,
    )
    admin = User(username=f"concurrent-admin-{stamp}", union=county, role=User.Role.ADMIN)
    admin.set_unusable_password()
    admin.save()
    unions, officers = [], []
    for n in range(1, uploads + 1):
        union = services.create_union(
            actor=admin, parent=county, name=f"并发导入测试第{n}工会{stamp}", kind=codes.KIND_BASE
        )
        officer, _password = services.create_account(
            actor=admin,
            union=union,
            username=f"concurrent-{stamp}-{n}",
            role=User.Role.COLLECTOR,
            full_name=f"采集员{n}",
        )
        unions.append(union)
        officers.append(officer)
    return county, unions, officers


class Worker:
    """`celery -A registry worker` in its own process group, logging to a file."""

    def __init__(self, *, concurrency: int, log: Path, env: dict):
        self.log_path = log
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
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
                "-n",
                f"concurrent-imports-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the worker exited at start:\n{self.log()}")
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise SystemExit(f"the worker was not ready after {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown: finish, then exit
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Watch:
    """When each job was first seen in each state (polled), and the most attempts each
    phase took (a confirmation sets a job's count back to 0)."""

    COMMIT_STATES = ("confirmed", "committing", "done")

    def __init__(self, jobs):
        self.ids = [job.pk for job in jobs]
        self.seen: dict[tuple[int, str], float] = {}
        self.attempts: dict[tuple[int, str], int] = {}

    def look(self) -> dict[int, str]:
        from imports.models import ImportJob

        now = time.time()
        states = {}
        for pk, state, attempts in ImportJob.objects.filter(pk__in=self.ids).values_list(
            "pk", "state", "attempts"
        ):
            states[pk] = state
            self.seen.setdefault((pk, state), now)
            key = (pk, "commit" if state in self.COMMIT_STATES else "analysis")
            self.attempts[key] = max(self.attempts.get(key, 0), attempts)
        return states

    def tries(self, pk: int) -> str:
        return f"{self.attempts.get((pk, 'analysis'), 0)}+{self.attempts.get((pk, 'commit'), 0)}"

    def until(self, states: set, *, timeout: float, worker: Worker) -> bool:
        """Poll until every job is in one of `states` (or finished); False at the timeout."""
        from imports.models import ImportJob

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.look()
            if all(s in states or s in ImportJob.FINISHED for s in now.values()):
                return True
            if worker.process.poll() is not None:
                print(f"!! the worker exited (status {worker.process.returncode})")
                return False
            time.sleep(POLL)
        return False

    def first(self, pk: int, *states) -> float | None:
        times = [self.seen[(pk, s)] for s in states if (pk, s) in self.seen]
        return min(times) if times else None


def waiting_locks() -> list[tuple]:
    """Sessions of this database waiting on a lock, and who blocks them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, pg_blocking_pids(pid), wait_event_type, wait_event,"
            " now() - query_start, left(query, 120) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per phase")
    parser.add_argument("--keep", action="store_true", help="keep the imported members")
    args = parser.parse_args()

    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith(("redis://", "rediss://")):
        raise SystemExit("set CELERY_BROKER_URL to a Redis database of this benchmark's own")

    with tempfile.TemporaryDirectory(prefix="concurrent-imports-") as tmp:
        tmp = Path(tmp)
        os.environ["MEDIA_ROOT"] = str(tmp / "media")  # the uploads, for both processes
        return run(args, broker, tmp)


def run(args, broker: str, tmp: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from registry.celery import app

    call_command("migrate", verbosity=0)
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    county, unions, officers = setup_registry(args.uploads, stamp)
    total_rows = args.uploads * args.rows

    started = time.perf_counter()
    sheets = [tmp / f"roster-{n}.xlsx" for n in range(args.uploads)]
    with multiprocessing.get_context("spawn").Pool(min(2, os.cpu_count() or 1)) as pool:
        pool.starmap(
            write_sheet,
            [
                (str(path), union.name, n * args.rows, args.rows)
                for n, (path, union) in enumerate(zip(sheets, unions, strict=True))
            ],
        )
    print(
        f"generated {args.uploads} sheets of {args.rows} rows in "
        f"{time.perf_counter() - started:.1f} s (not timed), under {county.name}"
    )

    app.control.purge()  # nothing left over from an earlier run reaches this worker
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        "VAR_DIR": str(tmp),
        "LOG_LEVEL": "INFO",
    }
    worker = Worker(concurrency=args.concurrency, log=tmp / "worker.log", env=env)
    try:
        worker.wait_ready()
        return drive(args, unions, officers, sheets, worker, total_rows)
    finally:
        worker.stop()
        if not args.keep:
            cleanup(unions)


def drive(args, unions, officers, sheets, worker: Worker, total_rows: int) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports import services
    from imports.models import ImportJob

    print(
        f"worker ready (--concurrency {args.concurrency}); load average before: "
        f"{load_average()} ({os.cpu_count()} cores)"
    )
    began = time.time()
    jobs = []
    for union, officer, path in zip(unions, officers, sheets, strict=True):
        upload = SimpleUploadedFile(f"{union.name}会员花名册.xlsx", path.read_bytes())
        jobs.append(
            services.create_job(
                uploader=officer, union=union, kind=ImportJob.Kind.MEMBERS, upload=upload
            )
        )
    watch = Watch(jobs)
    analysed = watch.until({ImportJob.State.PREVIEW}, timeout=args.timeout, worker=worker)
    previewed = time.time()
    if not analysed:
        return stuck(watch, worker, "analysis")

    confirmed_at = time.time()
    refused = []
    for job, officer in zip(jobs, officers, strict=True):
        job.refresh_from_db()
        if job.state == ImportJob.State.PREVIEW and not services.confirm_job(job=job, user=officer):
            refused.append(job.pk)
    print(
        f"all {len(jobs)} analysed {previewed - began:.1f} s after the first upload; "
        f"confirmed together in {(time.time() - confirmed_at) * 1000:.0f} ms"
    )
    committed = watch.until(set(), timeout=args.timeout, worker=worker)
    ended = time.time()
    if not committed:
        return stuck(watch, worker, "commit")

    ok = report(jobs, watch, began, confirmed_at, ended, total_rows, args)
    ok &= prove(unions, args.rows, len(jobs)) and not refused
    retried = [
        line for line in worker.log().splitlines() if "retrying" in line or "deadlock" in line
    ]
    if retried:
        ok = False
        print("!! the worker retried (a transaction aborted, a deadlock among them):")
        print("\n".join(f"   {line}" for line in retried[:20]))
    if refused:
        print(f"!! confirm_job refused jobs {refused}")
    print(f"load average after: {load_average()}")
    print("RESULT:", "all uploads imported, registry consistent" if ok else "FAILED")
    return 0 if ok else 1


def report(jobs, watch: Watch, began, confirmed_at, ended, total_rows: int, args) -> bool:
    from imports.models import ImportJob

    analysing = (*ImportJob.ANALYSING,)
    ok = True
    print(
        f"{'job':>6} {'union':<10} {'rows':>7} {'state':<9} {'tries':>5} "
        f"{'wait s':>7} {'analyse s':>9} {'wait s':>7} {'commit s':>8}"
    )
    for job in jobs:
        job.refresh_from_db()
        start_a = watch.first(job.pk, *analysing, ImportJob.State.PREVIEW)
        end_a = job.analysed_at.timestamp() if job.analysed_at else None
        start_c = watch.first(job.pk, ImportJob.State.COMMITTING, ImportJob.State.DONE)
        end_c = job.finished_at.timestamp() if job.finished_at else None

        def span(a, b):
            return f"{b - a:.1f}" if a is not None and b is not None else "-"

        print(
            f"{job.pk:>6} {short_name(job.union):<10} {job.count('rows'):>7} {job.state:<9} "
            f"{watch.tries(job.pk):>5} {span(job.created_at.timestamp(), start_a):>7} "
            f"{span(start_a, end_a):>9} {span(confirmed_at, start_c):>7} {span(start_c, end_c):>8}"
        )
        if job.state != ImportJob.State.DONE:
            ok = False
            print(f"!! job {job.pk} {job.state}: {job.error_message}")
        elif job.count("created") != args.rows or job.count("invalid"):
            ok = False
            print(
                f"!! job {job.pk}: created {job.count('created')}, invalid {job.count('invalid')}"
            )
    wall = ended - began
    commit_wall = ended - confirmed_at
    print(
        f"TOTAL {total_rows:,} rows in {wall:.1f} s from the first upload to the last commit: "
        f"{total_rows / wall:,.0f} rows/s overall (worker --concurrency {args.concurrency}); "
        f"commits alone {commit_wall:.1f} s from the confirmation, {total_rows / commit_wall:,.0f} rows/s"
    )
    return ok


def short_name(union) -> str:
    """第n工会, without the run's stamp."""
    return union.name.removeprefix("并发导入测试")[:-14]


def prove(unions, rows: int, uploads: int) -> bool:
    """The registry after the run: every union holds its rows, the tallies equal the counts."""
    from django.db.models import Count

    from members import tallies
    from members.models import Member
    from unions.models import AuditEntry

    ids = [union.pk for union in unions]
    held = dict(
        Member.objects.filter(union_id__in=ids)
        .values_list("union_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    total = sum(held.values())
    short = {pk: held.get(pk, 0) for pk in ids if held.get(pk, 0) != rows}
    differences = tallies.differences()
    audited = AuditEntry.objects.filter(
        action=AuditEntry.Action.IMPORT_COMMITTED, union_id__in=ids
    ).count()
    print(
        f"registry: {total:,} members in the {len(ids)} unions (expected {rows * uploads:,}); "
        f"unions not holding {rows:,}: {short or 'none'}; tally differences: "
        f"{len(differences)}; import audit entries: {audited}"
    )
    for difference in differences[:10]:
        print(f"!! tally {difference}")
    ok = total == rows * uploads and not short and not differences and audited == uploads
    if not ok:
        print("!! the registry does not hold what the uploads contained")
    return ok


def stuck(watch: Watch, worker: Worker, phase: str) -> int:
    from imports.models import ImportJob

    print(f"!! {phase} did not finish: job states now {watch.look()}")
    for row in waiting_locks():
        print(f"!! waiting on a lock: {row}")
    for job in ImportJob.objects.filter(pk__in=watch.ids, state=ImportJob.State.FAILED):
        print(f"!! job {job.pk} failed: {job.error_message}")
    print("worker log (end):\n" + worker.log()[-4000:])
    return 1


def cleanup(unions) -> None:
    """Delete the imported members with their events, history, transfer requests and
    tallies (the tallies stay equal to the counts), and vacuum, as import_members.py does."""
    from django.db import connection, transaction

    from members.models import Member, MemberChange, MembershipEvent, TransferRequest, UnionTally

    ids = [union.pk for union in unions]
    with transaction.atomic():
        members = Member.objects.filter(union_id__in=ids)
        MembershipEvent.objects.filter(member__in=members).delete()
        MemberChange.objects.filter(member__in=members).delete()
        TransferRequest.objects.filter(member__in=members).delete()
        members.delete()
        UnionTally.objects.filter(union_id__in=ids).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Member, MembershipEvent, MemberChange):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


if __name__ == "__main__":
    sys.exit(main())
