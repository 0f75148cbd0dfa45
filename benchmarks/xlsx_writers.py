"""Which xlsx writer for member exports: the same 100,000 rows × 23 columns through each.

    python benchmarks/xlsx_writers.py [--rows 100000] [--only NAME]

No database: the rows are synthetic members as the exporter hands them to the writer
(strings, two dates, IDs and phones that must stay text). Each writer runs in its own child
process, so its peak memory is its own; prints wall seconds, rows/s, peak RSS of the child
and the file size, plus the load average. Writers compared (all on PyPI):

- openpyxl write-only, every cell a styled WriteOnlyCell (what the export did before);
- openpyxl write-only, plain values (no per-cell style objects);
- xlsxwriter with constant_memory, text format on the ID and phone columns;
- pyexcelerate;
- rustpy-xlsxwriter (a Rust writer, rust_xlsxwriter, behind a Python API taking dict rows);
- csv (the second format: UTF-8 with BOM), for scale.
"""

import argparse
import csv
import datetime
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADERS = [
    "所在工会",
    "工会编码",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "民族",
    "政治面貌",
    "学历",
    "手机号码",
    "入会时间",
    "户籍类型",
    "就业状况",
    "新就业形态劳动者",
    "工会职务",
    "专兼职",
    "工作单位",
    "会籍状态",
    "最近核查",
    "籍贯",
    "工号",
    "身份类别",
]
TEXT = {"证件号码", "手机号码", "工会编码"}
DATES = {"出生日期", "入会时间", "最近核查"}


def rows(n: int):
    birth = datetime.date(1970, 1, 1)
    for i in range(n):
        yield [
            f"基准基层工会{i % 9000:05d}",
            f"LSBENCH{i % 9000:012d}",
            "王小明",
            "居民身份证",
            f"4201061970{i % 10**8:08d}",
            "男",
            birth + datetime.timedelta(days=i % 9000),
            "汉族",
            "群众",
            "大学本科",
            f"13{i:09d}",
            birth + datetime.timedelta(days=8000 + i % 9000),
            "城镇",
            "在岗",
            "否",
            "会员",
            "兼职",
            "",
            "在册",
            None,
            "湖北省武汉市",
            f"{i:08d}",
            "正式在职",
        ]


def openpyxl_styled(path, n):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("会员")
    header = []
    for h in HEADERS:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True)
        header.append(c)
    ws.append(header)
    for row in rows(n):
        cells = []
        for h, v in zip(HEADERS, row, strict=True):
            c = WriteOnlyCell(ws, value=v)
            if h in DATES and v is not None:
                c.number_format = "yyyy-mm-dd"
            elif h in TEXT:
                c.number_format = "@"
            cells.append(c)
        ws.append(cells)
    wb.save(path)


def openpyxl_plain(path, n):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("会员")
    ws.append(HEADERS)
    for row in rows(n):
        ws.append(row)
    wb.save(path)


def xlsxwriter_constant(path, n):
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("会员")
    bold, text, date = (
        wb.add_format({"bold": True}),
        wb.add_format({"num_format": "@"}),
        wb.add_format({"num_format": "yyyy-mm-dd"}),
    )
    for col, h in enumerate(HEADERS):
        if h in TEXT:
            ws.set_column(col, col, 20, text)
    ws.write_row(0, 0, HEADERS, bold)
    for r, row in enumerate(rows(n), 1):
        for col, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, datetime.date):
                ws.write_datetime(r, col, v, date)
            else:
                ws.write_string(r, col, v)
    wb.close()


def pyexcelerate_(path, n):
    from pyexcelerate import Workbook

    wb = Workbook()
    wb.new_sheet("会员", data=[HEADERS, *rows(n)])
    wb.save(path)


def rustpy(path, n):
    from rustpy_xlsxwriter import Format, write_worksheet

    text = Format().set_num_format("@")
    write_worksheet(
        (dict(zip(HEADERS, row, strict=True)) for row in rows(n)),
        path,
        sheet_name="会员",
        bold_headers=True,
        datetime_format="yyyy-mm-dd",
        column_formats={h: text for h in TEXT},
    )


def csv_bom(path, n):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for row in rows(n):
            w.writerow(["" if v is None else v for v in row])


WRITERS = {
    "openpyxl write-only, styled cells": openpyxl_styled,
    "openpyxl write-only, plain values": openpyxl_plain,
    "xlsxwriter constant_memory": xlsxwriter_constant,
    "pyexcelerate": pyexcelerate_,
    "rustpy-xlsxwriter": rustpy,
    "csv (utf-8-sig)": csv_bom,
}


def child(name: str, n: int) -> None:
    suffix = ".csv" if name.startswith("csv") else ".xlsx"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out" + suffix)
        start = time.perf_counter()
        WRITERS[name](path, n)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{seconds:.3f} {peak:.1f} {os.path.getsize(path)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return 0
    print(f"{args.rows:,} rows × {len(HEADERS)} columns; load {os.getloadavg()[0]:.1f}")
    print(f"{'writer':<36}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}{'file MB':>9}")
    for name in WRITERS:
        if args.only and args.only not in name:
            continue
        results = []
        for _ in range(args.runs):
            out = subprocess.run(  # noqa: S603 - our own script
                [sys.executable, __file__, "--rows", str(args.rows), "--child", name],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            results.append(tuple(float(x) for x in out))
        seconds = statistics.median(r[0] for r in results)
        peak = max(r[1] for r in results)
        size = results[0][2]
        print(
            f"{name:<36}{seconds:>9.2f}{args.rows / seconds:>10,.0f}{peak:>9.0f}{size / 2**20:>9.1f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
