"""Benchmark: a generated roster read, validated and committed end to end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4bench python benchmarks/import_members.py --rows 100000

Prints rows/s, seconds and peak memory for the engine, then times the same kind
of rows through a plain django-import-export ModelResource (on a sample of
--baseline-rows rows, extrapolated to --rows; the output says so). The
database is migrated first; everything the run creates is deleted afterwards.
"""

import argparse
import datetime
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

os.environ.setdefault("SECRET_KEY", "benchmark-only")
from registry import keys  # noqa: E402

# The published development keys (registry/keys.py): a benchmark's data protect nothing.
_FIELD_KEY, _INDEX_KEY = keys.development_keys()
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", _FIELD_KEY)
os.environ.setdefault("BLIND_INDEX_KEY", _INDEX_KEY)

HEADER = [
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "民族",
    "政治面貌",
    "学历",
    "手机号码",
    "入会时间",
    "就业状况",
    "工会职务",
    "籍贯",
    "工号",
]

TARGET_SECONDS = 8  # issue 12: 100,000 rows end to end
TARGET_MB = 300


def rows(count: int, seed: int = 7, start: int = 0):
    """`count` roster rows; rows of different `start`s (ranges apart) are different people."""
    from members.synthetic import GIVEN, SURNAMES, id_number

    rng = random.Random(seed)
    base = datetime.date(1960, 1, 1)
    for n in range(start, start + count):
        male = n % 2 == 0
        birth = base + datetime.timedelta(days=n % 15000)
        yield [
            n + 1,
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "男" if male else "女",
            id_number(region="430725", birth=birth, seq=n // 15000 * 7 + 1, male=male),
            rng.choice(["汉族", "土家族", "回族"]),
            rng.choice(["群众", "中共党员", "共青团员"]),
            rng.choice(["大学本科", "大专", "高中"]),
            f"13{n % 10}{n:08d}",
            datetime.date(2019, 6, 25),
            "在岗",
            "会员",
            "湖南桃源",
            f"G{n:06d}",
        ]


def write_roster(path: str, count: int) -> None:
    import django

    django.setup()
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("会员花名册")
    sheet.append(["桃源县基层工会会员花名册"])
    sheet.append(["工会名称：基准测试工会"])
    sheet.append(HEADER)
    for row in rows(count):
        sheet.append(row)
    sheet.append([])
    sheet.append(["填表说明：证件号码请设为文本格式。"])
    book.save(path)


def peak_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def backend_cpu_seconds() -> float | None:
    """CPU used so far by this connection's PostgreSQL backend (same host, /proc readable)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--keep", action="store_true", help="keep the last run's members")
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="imports timed one after another (a fresh union each); the median is compared "
        "with the target: this machine's speed varies by a second or two from run to run",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "roster.xlsx")
        started = time.perf_counter()
        writer = multiprocessing.get_context("spawn").Process(
            target=write_roster, args=(path, args.rows)
        )
        writer.start()
        writer.join()
        print(
            f"generated {args.rows} rows in {time.perf_counter() - started:.1f} s "
            f"({Path(path).stat().st_size / 1024 / 1024:.1f} MB xlsx, not timed)"
        )

        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from registry import codes
        from unions.models import Union

        print(
            f"load average before the runs: {load_average()} (this machine has {os.cpu_count()} cores)"
        )
        results = []
        for run in range(1, args.runs + 1):
            union = Union.objects.create(name=f"基准测试工会{time.time_ns()}", kind=codes.KIND_BASE)
            print(f"run {run} of {args.runs}")
            results.append(timed_import(path, union, officer(union)))
            if run < args.runs or not args.keep:
                cleanup(union)
        times = sorted(results)
        median = statistics.median(times)
        peak = peak_mb()
        verdict = "meets" if median <= TARGET_SECONDS and peak <= TARGET_MB else "misses"
        print(
            f"{args.runs} runs: {', '.join(f'{t:.2f}' for t in results)} s; median {median:.2f} s "
            f"({args.rows / median:,.0f} rows/s), fastest {times[0]:.2f} s; process peak "
            f"{peak:.0f} MB over all runs"
        )
        print(
            f"  {verdict} issue 12's target for 100,000 rows: ≤ {TARGET_SECONDS} s end to end "
            f"(median of the runs) and ≤ {TARGET_MB} MB peak"
        )
        encryption_cost(args.rows)
        union = Union.objects.create(name=f"基准测试工会{time.time_ns()}", kind=codes.KIND_BASE)
        baseline(union, args.baseline_rows, args.rows, median)
        cleanup(union)


def officer(union):
    """The union's 信息采集员: an upload's history names who recorded it, and each
    入会 event's recorded_by is checked against the accounts like any other key."""
    from unions.models import User

    return User.objects.create(
        username=f"bench-importer-{time.time_ns()}", union=union, role=User.Role.COLLECTOR
    )


def timed_import(path: str, union, by) -> float:
    """One import of the roster into `union` by the officer `by`, end to end (analysis
    and commit, as the worker's commit phase does them); prints its figures, returns
    the seconds."""
    from django.db import connection

    from imports.engine import analyse_members, commit_members, reader

    stages = {}

    def progress(stage, done, total):
        stages.setdefault(stage, time.perf_counter())

    before = peak_mb()
    cpu_started = cpu_seconds()
    backend_started = backend_cpu_seconds()
    started = time.perf_counter()
    plan = analyse_members(path, filename="roster.xlsx", union=union, progress=progress)
    analysed = time.perf_counter()
    summary = commit_members(plan, by=by)
    finished = time.perf_counter()
    cpu_used = cpu_seconds() - cpu_started
    backend_ended = backend_cpu_seconds()
    seconds = finished - started
    assert summary.status == "done", summary.message
    print(
        f"  engine ({connection.vendor}): {summary.rows} rows, created {summary.created}, "
        f"invalid {summary.invalid}"
    )
    for stage, at in stages.items():
        print(f"  stage {stage:<8} began at {at - started:6.2f} s")
    print(f"  analyse {analysed - started:.2f} s, commit {finished - analysed:.2f} s")
    print(
        f"  TOTAL {seconds:.2f} s, {summary.rows / seconds:,.0f} rows/s, "
        f"peak {peak_mb():.0f} MB (process; {before:.0f} MB before the import), "
        f"reader child peak {reader.last_child_peak_kb[0] / 1024:.0f} MB"
    )
    print(
        f"  CPU time in Python: {cpu_used:.2f} s (this process and the reader child; "
        f"PostgreSQL's own work is not included); load average after: {load_average()}"
    )
    if backend_started is not None and backend_ended is not None:
        backend = backend_ended - backend_started
        print(
            f"  CPU time in the PostgreSQL backend: {backend:.2f} s; "
            f"Python + PostgreSQL together: {cpu_used + backend:.2f} s of CPU"
        )
    return seconds


def encryption_cost(count: int) -> None:
    """What encryption at rest adds to the import, timed alone: per row two AES-GCM
    encryptions (ID, phone) as the COPY path does them, two HMAC blind indexes and the
    last-four columns (members/identity.py), and the blind index of the ID for matching."""
    from members import identity
    from registry.crypto import cipher

    numbers = [f"430725{19800101 + n % 28:08d}{n % 1000:03d}X" for n in range(count)]
    phones = [f"139{n:08d}" for n in range(count)]
    box = cipher()
    started = time.process_time()
    box.encrypt_many(numbers, "id_number")
    box.encrypt_many(phones, "mobile")
    encrypted = time.process_time()
    for number, phone in zip(numbers, phones, strict=True):
        identity.columns({"id_number": number, "mobile": phone})
        identity.id_hash(number)
    indexed = time.process_time()
    print(
        f"encryption at rest, timed alone for {count} rows: AES-GCM {encrypted - started:.2f} s, "
        f"blind indexes + last-4 columns {indexed - encrypted:.2f} s, "
        f"together {indexed - started:.2f} s of CPU"
    )


def baseline(union, sample: int, target: int, engine_seconds: float) -> None:
    """The same kind of rows through a plain ModelResource import (django-import-export)."""
    import tablib
    from import_export import fields, resources
    from import_export.widgets import ForeignKeyWidget

    from members import identity
    from members.models import Member
    from unions.models import Union

    class MemberResource(resources.ModelResource):
        union = fields.Field(attribute="union", column_name="union", widget=ForeignKeyWidget(Union))

        def get_instance(self, instance_loader, row):
            # The ID is encrypted at rest: an existing member is found by its blind index.
            return Member.objects.filter(
                id_type=row["id_type"], id_hash=identity.id_hash(row["id_number"])
            ).first()

        class Meta:
            model = Member
            import_id_fields = ("id_type", "id_number")
            fields = ("id_type", "id_number", "name", "gender", "mobile", "union", "extra")

    data = tablib.Dataset(
        headers=["id_type", "id_number", "name", "gender", "mobile", "union", "extra"]
    )
    for row in rows(sample, seed=99):
        data.append(
            [
                "01",
                row[3].replace("430725", "430702"),
                row[1],
                "1" if row[2] == "男" else "2",
                row[7],
                union.pk,
                "{}",
            ]
        )
    started = time.perf_counter()
    result = MemberResource().import_data(data, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    per_row = seconds / sample
    projected = per_row * target
    print(
        f"django-import-export ModelResource: {sample} rows in {seconds:.2f} s "
        f"({sample / seconds:,.0f} rows/s; totals {dict(result.totals)})"
    )
    print(
        f"  extrapolated to {target} rows: {projected:.0f} s "
        f"(measured on {sample} rows, scaled linearly) -> engine is {projected / engine_seconds:.0f}x faster"
    )


def cleanup(union) -> None:
    """Delete what the run created, and vacuum: a run that leaves 100,000 dead rows
    behind would slow the next run's lookups (autovacuum may not have caught up)."""
    from django.db import connection, transaction

    from members.models import Member, MemberChange, MembershipEvent
    from unions.models import Union, User

    # Straight DELETEs: Django's delete() would load the 100,000 members into this
    # process first, and the next run's peak memory would start from there.
    with transaction.atomic():
        members = Member.objects.filter(union=union)
        MembershipEvent.objects.filter(member__in=members)._raw_delete(connection.alias)
        MemberChange.objects.filter(member__in=members)._raw_delete(connection.alias)
        members._raw_delete(connection.alias)
        User.objects.filter(union=union).delete()
        Union.objects.filter(pk=union.pk).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Member, MembershipEvent, MemberChange):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


if __name__ == "__main__":
    main()
