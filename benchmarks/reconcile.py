"""Benchmark: 名单比对 of a large outside list against a union's members.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gonghui_bench python benchmarks/reconcile.py --rows 100000

Registers --rows members in a fresh union (bulk, as the province benchmark does), writes a
list of the same size (80 % registered alike, 10 % with another phone, 10 % not
registered) and times the comparison the worker runs (imports.reconcile.analysis) and
storing its result, printing seconds, rows/s and peak memory. Everything it creates is
deleted afterwards.
"""

import argparse
import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from openpyxl import Workbook

    from imports.models import ImportJob
    from imports.reconcile import jobs
    from imports.reconcile.analysis import analyse_list
    from members.models import Member
    from members.synthetic import id_number
    from registry import codes
    from unions.models import Union

    call_command("migrate", verbosity=0)
    union = Union.objects.create(name=f"名单比对基准工会{time.time_ns()}", kind=codes.KIND_BASE)
    n = args.rows
    people = []
    for i in range(n):
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=i % 15000)
        people.append((f"职工{i}", id_number(birth=birth, seq=i // 15000 * 7 + 1), f"139{i:08d}"))
    registered = int(n * 0.9)
    Member.objects.bulk_create(
        (
            Member(union=union, name=name, id_number=number, mobile=phone)
            for name, number, phone in people[:registered]
        ),
        batch_size=5000,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "名单.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet("参保名单")
        sheet.append(["序号", "姓名", "公民身份号码", "联系电话"])
        for i, (name, number, phone) in enumerate(people):
            if int(n * 0.8) <= i < registered:
                phone = f"137{i:08d}"
            sheet.append([i + 1, name, number, phone])
        book.save(path)
        try:
            started = time.perf_counter()
            result = analyse_list(path, union=union)
            analysed = time.perf_counter() - started
            job = ImportJob.objects.create(
                kind=ImportJob.Kind.RECONCILE, union=union, sha256="0" * 64
            )
            started = time.perf_counter()
            jobs.store(job, result)
            stored = time.perf_counter() - started
            counts = result.counts()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"rows on the list:       {n:,}")
            print(f"analysis (read+match):  {analysed:.1f} s ({n / analysed:,.0f} rows/s)")
            print(f"storing the result:     {stored:.1f} s")
            print(f"peak memory:            {peak} MB")
            print(f"groups:                 {counts}")
        finally:
            ImportJob.objects.filter(union=union).delete()
            Member.objects.filter(union=union).delete()
            union.delete()


if __name__ == "__main__":
    main()
