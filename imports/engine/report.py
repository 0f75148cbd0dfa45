"""The error report: failed rows written back as they were, bad cells highlighted,
each problem as a cell comment, and a 错误说明 column to read row by row.

The user fixes the report and uploads it again: its header row is the original
one, and the 错误说明 column is ignored on import."""

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from imports.engine.member_rows import display
from registry.cells import safe_text

BAD = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
WARN = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")
BOLD = Font(bold=True)
EXPLAIN = "错误说明"


def write_error_report(plan, out_path) -> int:
    """Write the plan's failed rows; returns how many rows were written."""
    workbook = Workbook(write_only=True)
    written = 0
    for report in plan.sheets:
        if not report.failed:
            continue
        sheet = workbook.create_sheet(title=_sheet_title(report.name, workbook))
        headers = report.headers
        header_cells = []
        for _, header in headers:
            cell = WriteOnlyCell(sheet, value=safe_text(header))
            cell.font = BOLD
            header_cells.append(cell)
        explain = WriteOnlyCell(sheet, value=EXPLAIN)
        explain.font = BOLD
        sheet.append([*header_cells, explain])
        for row in report.failed:
            by_column: dict[str, list] = {}
            for problem in row.errors:
                by_column.setdefault(problem.column, []).append(problem)
            cells = []
            for index, header in headers:
                value = row.cells[index] if index < len(row.cells) else None
                cell = WriteOnlyCell(sheet, value=_cell_value(value))
                cell.number_format = "@"
                problems = by_column.get(header)
                if problems:
                    cell.fill = BAD
                    cell.comment = Comment("\n".join(p.message for p in problems), "工会两库")
                cells.append(cell)
            lines = [f"[{p.column}] {p.message}" if p.column else p.message for p in row.errors]
            note = WriteOnlyCell(sheet, value=safe_text(f"原第{row.row}行：" + "；".join(lines)))
            note.fill = BAD
            sheet.append([*cells, note])
            written += 1
    if not written:
        sheet = workbook.create_sheet(title="错误报告")
        sheet.append(["没有错误行。"])
    workbook.save(out_path)
    return written


def _cell_value(value):
    # Values go back as text so IDs keep every digit; dates as ISO text.
    if value is None:
        return None
    return safe_text(display(value))


def _sheet_title(name: str, workbook) -> str:
    title = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Sheet"
    existing = {ws.title for ws in workbook.worksheets}
    base, n = title, 2
    while title in existing:
        title = f"{base[:28]}({n})"
        n += 1
    return title
