"""Export members to xlsx: every column including extras, IDs and phones as text,
no cell a spreadsheet would run as a formula."""

import time

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from registry.cells import safe_text

_PATHS: dict[int, tuple[float, str]] = {}


def union_path(union) -> str:
    """桃源县总工会 / 一中工会 / 语文组: with 工会编码, what lets a re-import tell two
    unions of one name apart. One query per union, remembered for a minute."""
    now = time.monotonic()
    known = _PATHS.get(union.pk)
    if known is None or now - known[0] > 60:
        names = union.get_ancestors(include_self=True).values_list("name", flat=True)
        if len(_PATHS) > 20000:
            _PATHS.clear()
        known = _PATHS[union.pk] = (now, " / ".join(names))
    return known[1]


# Every column is read back by the import engine (imports/engine/member_rows.py):
# 所在工会, 工会编码 and 工会路径 name the union; 会籍状态 is compared, never written
# (a difference is a warning pointing to 会籍变动); 最近核查 is ignored. So an export
# imported again unchanged gives only "未变化" (tests/imports/test_round_trips.py).
COLUMNS = [
    ("所在工会", lambda m: m.union.name),
    ("工会编码", lambda m: m.union.code),
    ("工会路径", lambda m: union_path(m.union)),
    ("姓名", lambda m: m.name),
    ("证件类型", lambda m: m.get_id_type_display()),
    ("证件号码", lambda m: m.id_number),
    ("性别", lambda m: m.get_gender_display()),
    ("出生日期", lambda m: m.birth_date),
    ("民族", lambda m: m.get_ethnicity_display()),
    ("政治面貌", lambda m: m.get_political_status_display()),
    ("学历", lambda m: m.get_education_display()),
    ("手机号码", lambda m: m.mobile),
    ("入会时间", lambda m: m.join_date),
    ("户籍类型", lambda m: m.get_household_type_display()),
    ("就业状况", lambda m: m.get_employment_status_display()),
    (
        "新就业形态劳动者",
        lambda m: (
            "" if m.new_employment_form is None else ("是" if m.new_employment_form else "否")
        ),
    ),
    ("工会职务", lambda m: m.get_union_post_display()),
    ("专兼职", lambda m: m.get_post_type_display()),
    # An unregistered unit is kept in extra["工作单位"] by the import.
    ("工作单位", lambda m: m.unit.name if m.unit_id else (m.extra or {}).get("工作单位", "")),
    ("会籍状态", lambda m: m.get_status_display()),
    ("最近核查", lambda m: m.confirmed_at.date() if m.confirmed_at else None),
]
TEXT_COLUMNS = {"证件号码", "手机号码", "工会编码"}


MASKED = {"证件号码": lambda m: m.masked_id, "手机号码": lambda m: m.masked_mobile}


def export_members(queryset, out_path, *, masked: bool = False) -> int:
    """Write `queryset` (already narrowed by the access rule) to `out_path` (a path or a
    binary file); returns rows. With `masked`, IDs and phones are written as lists show
    them (for read-only accounts)."""
    queryset = queryset.select_related("union", "unit").order_by("union__lft", "id")
    extra_keys: dict[str, None] = {}
    for extra in queryset.values_list("extra", flat=True).iterator(chunk_size=5000):
        for key in extra or {}:
            extra_keys.setdefault(key, None)
    extras = [k for k in extra_keys if k not in {name for name, _ in COLUMNS}]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("会员")
    header = []
    for name in [*(n for n, _ in COLUMNS), *extras]:
        cell = WriteOnlyCell(sheet, value=safe_text(name))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for member in queryset.iterator(chunk_size=2000):
        cells = []
        for name, getter in COLUMNS:
            if masked and name in MASKED:
                getter = MASKED[name]
            cells.append(_cell(sheet, getter(member), text=name in TEXT_COLUMNS))
        for key in extras:
            cells.append(_cell(sheet, (member.extra or {}).get(key), text=True))
        sheet.append(cells)
        count += 1
    workbook.save(out_path)
    return count


def _cell(sheet, value, *, text: bool):
    if value is None or value == "":
        return WriteOnlyCell(sheet, value=None)
    if hasattr(value, "isoformat"):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    cell = WriteOnlyCell(sheet, value=safe_text(value))
    cell.data_type = "s"
    if text:
        cell.number_format = "@"
    return cell
