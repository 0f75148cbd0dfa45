"""Build collection sheets the way people send them (openpyxl and csv, in the test)."""

import csv
import datetime
from pathlib import Path

from openpyxl import Workbook

from members.synthetic import id_number


def person_id(
    n: int, *, male: bool = True, birth: datetime.date | None = None, region="430725"
) -> str:
    birth = birth or datetime.date(1980, 1, 1) + datetime.timedelta(days=37 * n)
    return id_number(region=region, birth=birth, seq=n, male=male)


def wrong_check_digit(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


def mobile(n: int) -> str:
    return f"139{n:08d}"


def workbook(
    path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None
) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in (merges or {}).get(title, []):
            sheet.merge_cells(cells)
    book.save(path)
    return path


def csv_file(path: Path, rows: list[list], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path
