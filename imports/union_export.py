"""The organisation sheet as the union import reads it: a subtree's unions exported,
edited and uploaded again (`imports.engine.unions`). Unchanged, it gives only 未变化.

工会编码 (credit code, else system code) names each union and 上级工会编码 its parent, so
unions of one name tell apart; 工会路径 is for the reader and read as nothing.
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from registry import codes
from registry.cells import safe_text
from unions.models import Union

COLUMNS = [
    "序号",
    "工会名称",
    "工会编码",
    "工会路径",
    "工会类型",
    "上级工会",
    "上级工会编码",
    "统一社会信用代码",
    "建会日期",
    "届期",
    "工会负责人",
    "联系电话",
    "地址",
    "职工人数",
    "女职工人数",
    "单位名称",
    "单位统一社会信用代码",
    "单位性质",
    "单位地址",
]
TEXT_COLUMNS = {"工会编码", "上级工会编码", "统一社会信用代码", "联系电话", "单位统一社会信用代码"}
WIDTHS = {"工会名称": 30, "工会路径": 40, "上级工会": 30, "单位名称": 30, "地址": 30}


def union_rows(root: Union | None):
    """One list of values per active union of `root`'s subtree (None: the registry)."""
    unions = Union.objects.filter(is_active=True).order_by("tree_id", "lft")
    if root is not None:
        unions = unions.filter(tree_id=root.tree_id, lft__gte=root.lft, rght__lte=root.rght)
    unions = list(unions.prefetch_related("units"))
    by_id = {u.pk: u for u in unions}
    missing = {u.parent_id for u in unions if u.parent_id and u.parent_id not in by_id}
    parents = {**Union.objects.in_bulk(missing), **by_id}
    paths: dict[int, str] = {}
    for number, union in enumerate(unions, 1):
        parent = parents.get(union.parent_id)
        above = paths.get(union.parent_id) or (_path(parent) if parent else "")
        paths[union.pk] = f"{above} / {union.name}" if above else union.name
        unit = min(union.units.all(), key=lambda u: u.pk, default=None)
        yield [
            number,
            union.name,
            union.code,
            paths[union.pk],
            codes.UNION_KIND.name_of(union.kind),
            parent.name if parent else "",
            parent.code if parent else "",
            union.credit_code,
            union.founded_on,
            union.term_ends_on,
            union.chair,
            union.phone,
            union.address,
            union.staff_count,
            union.female_staff_count,
            unit.name if unit else "",
            unit.credit_code if unit else "",
            codes.UNIT_NATURE.name_of(unit.nature) if unit and unit.nature else "",
            unit.address if unit else "",
        ]


def _path(union: Union) -> str:
    return " / ".join(union.get_ancestors(include_self=True).values_list("name", flat=True))


def union_workbook(root: Union | None) -> tuple[bytes, int]:
    """The workbook and how many unions it lists."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工会组织")
    for index, name in enumerate(COLUMNS):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = WIDTHS.get(name, 14)
    sheet.freeze_panes = "A2"
    sheet.append([_bold(sheet, name) for name in COLUMNS])
    text_at = {COLUMNS.index(name) for name in TEXT_COLUMNS}
    count = 0
    for row in union_rows(root):
        cells = []
        for index, value in enumerate(row):
            if isinstance(value, str):
                value = safe_text(value)
            cell = _cell(sheet, value)
            if index in text_at:
                cell.number_format = "@"
            elif hasattr(value, "year"):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), count


def _cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    return WriteOnlyCell(sheet, value=None if value == "" else value)


def _bold(sheet, value):
    cell = _cell(sheet, value)
    cell.font = Font(bold=True)
    return cell
