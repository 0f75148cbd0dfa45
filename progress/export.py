"""The progress report (每月进度通报) and seed 000's statistics table as xlsx."""

import datetime
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from members.models import Member
from progress.coverage import Coverage, UnbuiltUnit
from progress.rollups import Progress
from progress.statistics import UnionStatistics

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
LAGGING = PatternFill("solid", fgColor="F8D7DA")
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _put(ws, row: int, col: int, value):
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"  # text, never a formula a spreadsheet would run
    return cell


PERCENT = "0.0%"
INTEGER = "#,##0"


def _table(
    ws,
    title: str,
    subtitle: str,
    header: list[str],
    rows: list[list],
    widths: list[int],
    *,
    data_rows: int | None = None,
    percent_columns: frozenset[str] = frozenset(),
):
    """A titled table: numbers stay numbers (counts with thousands separators, rates as
    percentages), the header row frozen, filters on the first `data_rows` rows (the
    per-union lines; totals below them stay out of sorting), and columns that are empty in
    every row left out (the first two, 序号 and the name, always stay)."""
    keep = [i for i in range(len(header)) if i < 2 or any(row[i] not in (None, "") for row in rows)]
    header = [header[i] for i in keep]
    rows = [[row[i] for i in keep] for row in rows]
    widths = [widths[i] for i in keep]
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    _put(ws, 1, 1, title).font = TITLE
    _put(ws, 2, 1, subtitle)
    for col, text in enumerate(header, 1):
        cell = _put(ws, 3, col, text)
        cell.font, cell.alignment = BOLD, WRAP
    for r, values in enumerate(rows, 4):
        for col, value in enumerate(values, 1):
            cell = _put(ws, r, col, value)
            if isinstance(value, float) and header[col - 1] in percent_columns:
                cell.number_format = PERCENT
            elif isinstance(value, int) and col > 1:
                cell.number_format = INTEGER
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A4"
    last = 3 + (len(rows) if data_rows is None else data_rows)
    ws.auto_filter.ref = f"A3:{get_column_letter(len(header))}{last}"
    return header


def _sum(values) -> int | None:
    """A total of figures that may be unknown (None): unknown when all of them are."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _coverage_cells(cov: Coverage | None) -> list:
    """职工人数, members in the rate, 入会率, units, with a union, 建会率 (blank inside a base union)."""
    if cov is None or cov.part_of_id:
        return [None] * 6
    return [
        cov.employees,
        cov.members,
        cov.join_rate,
        cov.units,
        cov.units_with_union,
        cov.union_rate,
    ]


COVERAGE_HEADER = [
    "职工人数（人）",
    "计入入会率的会员（人）",
    "入会率",
    "单位（个）",
    "已建会单位（个）",
    "建会率",
]


def progress_workbook(
    progress: Progress,
    *,
    month_start: dict[int, int] | None = None,
    unbuilt: list[UnbuiltUnit] | None = None,
) -> bytes:
    """`month_start`: {union id: members} at the start of the month, for 本月新增;
    `unbuilt`: the subtree's 未建会单位, listed on a sheet of their own."""
    month_start = month_start or {}

    def this_month(line):
        start = month_start.get(line.union.pk)
        return None if start is None else line.members - start

    node, campaign = progress.node, progress.campaign
    wb = Workbook()
    ws = wb.active
    ws.title = "进度通报"
    subtitle = (
        f"采集行动：{campaign.name}；截止 {campaign.deadline:%Y年%m月%d日}，剩余 {progress.days_left} 天；"
        if campaign
        else "（没有当前采集行动）"
    ) + f"统计日期：{progress.today:%Y年%m月%d日}"
    header = [
        "序号",
        "单位",
        "目标任务数（人）",
        "已采集（人）",
        "完成率",
        "差额（人）",
        "按进度应采集（人）",
        "本周新增（人）",
        "本月新增（人）",
        "进度",
        "下级组织（个）",
        "组织目标数（个）",
        *COVERAGE_HEADER,
    ]
    rows = []
    for i, line in enumerate(progress.children, 1):
        status = "落后" if line.behind else ("" if line.target is None else "正常")
        rows.append(
            [
                i,
                line.union.name,
                line.target,
                line.members,
                line.rate,
                line.gap,
                line.expected,
                line.added_this_week,
                this_month(line),
                status,
                line.organisations,
                line.organisations_target,
                *_coverage_cells(line.coverage),
            ]
        )
    rows.append(
        [
            "",
            "合计",
            progress.allocated,
            sum(c.members for c in progress.children),
            "",
            "",
            "",
            _sum(c.added_this_week for c in progress.children),
            _sum(this_month(c) for c in progress.children),
            "",
            "",
            "",
            *[""] * 6,
        ]
    )
    rows.append(
        [
            "",
            f"{node.union.name}（本级及全部下级）",
            node.target,
            node.members,
            node.rate,
            node.gap,
            node.expected,
            node.added_this_week,
            this_month(node),
            "落后" if node.behind else "",
            node.organisations,
            node.organisations_target,
            *_coverage_cells(node.coverage),
        ]
    )
    if progress.unallocated is not None:
        rows.append(["", "未分解到下级的目标数", progress.unallocated, *[""] * 15])
    shown = _table(
        ws,
        f"{node.union.name}会员实名制信息采集进度通报",
        subtitle,
        header,
        rows,
        [6, 36, 12, 12, 10, 12, 14, 12, 12, 8, 12, 12, 12, 14, 10, 10, 12, 10],
        data_rows=len(progress.children),
        percent_columns=frozenset({"完成率", "入会率", "建会率"}),
    )
    for r, line in enumerate(progress.children, 4):
        if line.behind:
            for col in range(1, len(shown) + 1):
                ws.cell(row=r, column=col).fill = LAGGING
    _coverage_notes(ws, node.coverage, row=ws.max_row + 2)
    if unbuilt:
        _table(
            wb.create_sheet("未建会单位"),
            f"{node.union.name}未建会单位",
            "单位已登记，但没有在用的基层工会（单独基层工会、联合基层工会及其分会、工会小组）覆盖。",
            ["序号", "单位名称", "统一社会信用代码", "职工人数", "登记工会"],
            [
                [i, u.name, u.credit_code or "", u.staff_count, u.recorded_by]
                for i, u in enumerate(unbuilt, 1)
            ],
            [6, 36, 22, 10, 36],
        )
    return _save(wb)


def _coverage_notes(ws, cov: Coverage | None, *, row: int) -> None:
    """What the rates leave out, in words under the table."""
    if cov is None or cov.part_of_id:
        return
    notes = ["入会率 = 计入入会率的会员 ÷ 职工人数；建会率 = 已建会单位 ÷ 已登记单位。"]
    if cov.units_without_staff:
        notes.append(
            f"{cov.units_without_staff} 个单位未填职工人数，不计入入会率"
            f"（所在工会的 {cov.members_without_staff} 名会员也不计入）。"
        )
    if cov.members_without_unit:
        notes.append(f"未关联单位的会员 {cov.members_without_unit} 名，不计入入会率。")
    for i, text in enumerate(notes):
        _put(ws, row + i, 2, text)


def statistics_workbook(
    total: UnionStatistics,
    stats: list[UnionStatistics],
    *,
    year: int,
    as_of: datetime.date | None = None,
) -> bytes:
    """`stats` per child; the 合计 row is `total`, the whole subtree including the union itself;
    `as_of`: the day of the nightly figures they come from (None: counted now)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "会员人数统计表"
    header = [
        "序号",
        "部门工会名称",
        "会员数",
        "本年度\n退休数",
        "女会员数",
        "享受\n职工福利数",
        "只享受会员\n福利人数",
    ]
    rows = [
        [
            i,
            s.union.name,
            s.members,
            s.retired_this_year,
            s.women,
            s.staff_welfare,
            s.member_welfare_only,
        ]
        for i, s in enumerate(stats, 1)
    ]
    rows.append(
        [
            "",
            "合计（含本级）",
            total.members,
            total.retired_this_year,
            total.women,
            total.staff_welfare,
            total.member_welfare_only,
        ]
    )
    _table(
        ws,
        f"{total.union.name}会员人数统计表（{year}年）",
        "会员数含本年度退休会员；劳务派遣、临聘人员只享受会员福利，其余身份类别享受职工福利。"
        + (f"数字为 {as_of:%Y年%m月%d日} 夜间统计。" if as_of else ""),
        header,
        rows,
        [6, 36, 10, 10, 10, 12, 12],
        data_rows=len(stats),
    )
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _status(value: str) -> str:
    return str(Member.Status(value).label) if value in Member.Status.values else value


def comparison_workbook(comparison, *, union) -> bytes:
    """Two control points compared: members per union, then the members added, removed
    and changed (names and masked IDs only)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "各工会人数"
    older, newer = comparison.older, comparison.newer
    subtitle = (
        f"控制点一：{older.taken_at:%Y-%m-%d %H:%M}；控制点二：{newer.taken_at:%Y-%m-%d %H:%M}"
    )
    _table(
        ws,
        f"{union.name}控制点比对",
        subtitle,
        ["序号", "工会", "控制点一在册", "控制点二在册", "增减"],
        [[i, name, a, b, b - a] for i, (name, a, b) in enumerate(comparison.per_union, 1)],
        [6, 36, 14, 14, 10],
    )
    for title, rows in (
        ("新增会员", [[m.name, m.masked_id, _status(m.status)] for m in comparison.added]),
        ("减少会员", [[m.name, m.masked_id, _status(m.status)] for m in comparison.removed]),
        (
            "信息变动会员",
            [[n.name, n.masked_id, _status(n.status)] for _o, n in comparison.changed],
        ),
    ):
        sheet = wb.create_sheet(title)
        _table(
            sheet,
            title,
            subtitle,
            ["序号", "姓名", "证件号码（脱敏）", "会籍状态"],
            [[i, *row] for i, row in enumerate(rows, 1)],
            [6, 16, 24, 12],
        )
    return _save(wb)
