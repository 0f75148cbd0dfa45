"""Member export at province scale: 100,000 members to xlsx and CSV, time and peak memory.

    python benchmarks/export_members.py [--rows 100000] [--unions 10000] [--members 1000000]

Against the province database (benchmarks/province.py builds it when missing; DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/province). Each measurement runs in a child
process, so its peak resident memory is its own:

- writer: `members.export.export_members` over `--rows` members spread over the whole
  province (the first N by id) — the query, every column and extra key, masking rules,
  safe text, the file — as xlsx and as CSV (UTF-8 with BOM);
- job: one whole background export as the worker runs it (`members.export_jobs.run`: claim,
  the export rule — count, cap, the file, the audit entry — and storing the file) of the
  largest county, for an administrator at the root.

Prints wall seconds, rows/s, peak RSS and file size, and the load average; the targets are
100,000 members in ≤ 8 s and ≤ 200 MB.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import province  # noqa: E402

TARGET_S, TARGET_MB = 8.0, 200


def child_writer(rows: int, fmt: str) -> dict:
    from members.export import export_members
    from members.models import Member

    cutoff = Member.objects.order_by("pk").values_list("pk", flat=True)[rows - 1]
    queryset = Member.objects.filter(pk__lte=cutoff)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out." + fmt)
        start = time.perf_counter()
        written = export_members(queryset, path, fmt=fmt)
        seconds = time.perf_counter() - start
        size = os.path.getsize(path)
    return {"rows": written, "seconds": seconds, "size": size}


def child_job(fmt: str) -> dict:
    from django.conf import settings
    from django.db.models import Sum

    from members import export_jobs
    from members.models import ExportJob, UnionTally
    from members.selectors import MemberFilter
    from unions.access import subtree_q
    from unions.models import Union, User

    counties = Union.objects.filter(level=1)
    county = max(
        counties,
        key=lambda c: (
            UnionTally.objects.filter(subtree_q(c, "union")).aggregate(n=Sum("count"))["n"] or 0
        ),
    )
    settings.MEDIA_ROOT = tempfile.mkdtemp()
    export_jobs.enqueue = lambda job_id: None  # run it here, as the worker would
    admin = User.objects.get(username="bench_admin")
    ExportJob.objects.filter(user=admin, state__in=ExportJob.UNFINISHED).delete()
    job = export_jobs.start(
        user=admin, member_filter=MemberFilter(union=county, include_sub=True), fmt=fmt
    )
    start = time.perf_counter()
    export_jobs.run(job.pk)
    seconds = time.perf_counter() - start
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, (job.state, job.message)
    size = job.file.size
    job.file.delete(save=False)
    return {"rows": job.rows_done, "seconds": seconds, "size": size, "county": county.name}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--unions", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        province.setup_django(migrate=False)
        kind, fmt = args.child.split(":")
        result = child_writer(args.rows, fmt) if kind == "writer" else child_job(fmt)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_mb"] = usage.ru_maxrss / 1024
        result["cpu"] = usage.ru_utime + usage.ru_stime
        print(json.dumps(result, ensure_ascii=False))
        return 0
    province.setup_django()
    province.build(args.unions, args.members)
    load = os.getloadavg()
    print(f"load {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"\n{'what':<46}{'rows':>9}{'seconds':>9}{'rows/s':>9}{'CPU s':>7}{'peak MB':>9}{'file MB':>9}"
    )
    worst_s = worst_mb = 0.0
    for kind, fmt in (("writer", "xlsx"), ("writer", "csv"), ("job", "xlsx"), ("job", "csv")):
        out = (
            subprocess.run(  # noqa: S603 - our own script
                [sys.executable, __file__, "--rows", str(args.rows), "--child", f"{kind}:{fmt}"],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        label = f"{kind} {fmt}" + (f" ({r['county']})" if "county" in r else " (whole province)")
        print(
            f"{label:<46}{r['rows']:>9,}{r['seconds']:>9.2f}{r['rows'] / r['seconds']:>9,.0f}"
            f"{r['cpu']:>7.1f}"
            f"{r['peak_mb']:>9.0f}{r['size'] / 2**20:>9.1f}"
        )
        per_100k = r["seconds"] * 100_000 / max(r["rows"], 1)
        worst_s, worst_mb = max(worst_s, per_100k), max(worst_mb, r["peak_mb"])
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    ok = worst_s <= TARGET_S and worst_mb <= TARGET_MB
    print(
        f"slowest {worst_s:.1f} s per 100,000 rows, peak {worst_mb:.0f} MB — "
        f"{'meets' if ok else 'MISSES'} the {TARGET_S:.0f} s / {TARGET_MB} MB target"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
