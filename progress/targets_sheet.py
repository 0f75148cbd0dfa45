"""Reading a target sheet shaped like 桃工发〔2019〕12号 attachment 1.

Each sheet: a title row, a header row `序号 / 单位 / 会员信息采集（人） / 备注` (cells may
hold line breaks), unit rows, blank rows, and a `合计` row. The 合计 is not imported,
but one that disagrees with the rows above it is reported. Pure reading: no database.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

UNIT_HEADERS = {"单位", "单位名称", "工会名称", "工会组织", "单位（工会）名称"}
CODE_HEADERS = {"工会编码", "编码", "系统编码"}  # the target export's: tells same names apart
MEMBER_HEADER = re.compile(r"^会员(信息)?(采集|目标|任务)")
ORG_HEADER = re.compile(r"^(工会)?组织(信息)?(采集|目标|任务)")
TOTAL_NAMES = {"合计", "总计", "小计"}


@dataclass
class SheetProblem:
    sheet: str
    row: int  # as Excel shows it (1-based)
    code: str
    message: str
    value: str = ""
    severity: str = "error"

    def as_json(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "code": self.code,
            "message": self.message,
            "value": self.value,
            "severity": self.severity,
        }


@dataclass
class TargetRow:
    sheet: str
    row: int
    unit: str
    members: int
    organisations: int | None = None
    code: str = ""


@dataclass
class SheetResult:
    name: str
    title: str = ""
    rows: list[TargetRow] = field(default_factory=list)
    declared_total: int | None = None

    @property
    def total(self) -> int:
        return sum(r.members for r in self.rows)


@dataclass
class TargetSheet:
    sheets: list[SheetResult] = field(default_factory=list)
    problems: list[SheetProblem] = field(default_factory=list)

    @property
    def rows(self) -> list[TargetRow]:
        return [r for s in self.sheets for r in s.rows]


class SheetUnreadable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def squash(value) -> str:
    """A cell as text with every kind of whitespace removed (header cells wrap lines)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", "", str(value).replace("\u3000", " "))


def _number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = squash(value).replace(",", "").replace("，", "")
    return int(text) if text.isdigit() else None


def read_target_sheet(path: str | Path) -> TargetSheet:
    """Read every sheet through the import engine's guarded reader: the same type sniffing,
    size and zip-bomb checks, and parsing in a memory-limited child process, so a hostile
    target sheet cannot take the web process down."""
    from imports.engine import filetype
    from imports.engine.problems import FileRejected
    from imports.engine.reader import stream_sheets

    path = Path(path)
    result = TargetSheet()
    try:
        kind = filetype.sniff(path, path.name)
        for streamed in stream_sheets(path, kind, filename=path.name):
            rows: list[list] = []
            for row_number, cells in streamed.rows:
                rows.extend([] for _ in range(row_number - 1 - len(rows)))  # keep Excel's numbers
                rows.append(list(cells))
            sheet = _read_sheet(streamed.name, rows, result.problems)
            if sheet is not None:
                result.sheets.append(sheet)
    except FileRejected as rejected:
        raise SheetUnreadable(rejected.message) from None
    if not result.sheets:
        raise SheetUnreadable(
            "没有找到表头“单位”和“会员信息采集（人）”所在的行，请使用目标任务表的格式。"
        )
    return result


def _find_header(rows: list[list]) -> tuple[int, int, int, int | None, int | None] | None:
    for index, row in enumerate(rows[:30]):
        cells = [squash(c) for c in row]
        unit = next((i for i, c in enumerate(cells) if c in UNIT_HEADERS), None)
        members = next((i for i, c in enumerate(cells) if MEMBER_HEADER.match(c)), None)
        if unit is not None and members is not None:
            orgs = next((i for i, c in enumerate(cells) if ORG_HEADER.match(c)), None)
            code = next((i for i, c in enumerate(cells) if c in CODE_HEADERS), None)
            return index, unit, members, orgs, code
    return None


def _read_sheet(name: str, rows: list[list], problems: list[SheetProblem]) -> SheetResult | None:
    header = _find_header(rows)
    if header is None:
        return None
    header_index, unit_col, member_col, org_col, code_col = header
    title = next(
        (squash(c) for row in rows[:header_index] for c in row if squash(c)),
        "",
    )
    sheet = SheetResult(name=name, title=title)

    def cell(row, col):
        return row[col] if col is not None and col < len(row) else None

    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        excel_row = index + 1
        unit = str(cell(row, unit_col) or "").strip().strip("\u3000")
        raw = cell(row, member_col)
        if squash(unit) in TOTAL_NAMES:
            sheet.declared_total = _number(raw)
            if sheet.declared_total is not None and sheet.declared_total != sheet.total:
                problems.append(
                    SheetProblem(
                        name,
                        excel_row,
                        "total_mismatch",
                        f"“{name}”第 {excel_row} 行合计为 {sheet.declared_total}，"
                        f"但上面各行相加为 {sheet.total}；以各行为准。",
                        value=squash(raw),
                        severity="warning",
                    )
                )
            continue
        if not squash(raw):
            continue  # no target given (a blank row, or a unit left without one)
        if not unit:
            problems.append(
                SheetProblem(
                    name,
                    excel_row,
                    "unit_missing",
                    f"“{name}”第 {excel_row} 行有目标数但没有单位名称。",
                    squash(raw),
                )
            )
            continue
        members = _number(raw)
        if members is None:
            problems.append(
                SheetProblem(
                    name,
                    excel_row,
                    "bad_number",
                    f"“{name}”第 {excel_row} 行“{unit}”的会员目标数“{squash(raw)}”不是非负整数。",
                    squash(raw),
                )
            )
            continue
        organisations = _number(cell(row, org_col)) if org_col is not None else None
        code = squash(cell(row, code_col)).upper()
        sheet.rows.append(TargetRow(name, excel_row, unit, members, organisations, code))
    return sheet
