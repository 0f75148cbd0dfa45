"""The member list as an xlsx workbook: every column including extras, IDs and
phones as text, and no cell a spreadsheet would run as a formula.

Written row by row (openpyxl write-only mode), so memory stays flat however many
members the filter selects. To be unified with `imports.engine.export_members`.
"""

import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from members.models import Member

# Characters that make Excel, LibreOffice or WPS treat a cell as a formula (or that
# CSV round-trips turn into one). A leading apostrophe keeps the text as written.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

TEXT_FIELDS = ("id_number", "mobile")
COLUMNS = [
    ("name", "姓名"),
    ("id_type", "证件类型"),
    ("id_number", "证件号码"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("ethnicity", "民族"),
    ("political_status", "政治面貌"),
    ("education", "学历"),
    ("mobile", "手机号码"),
    ("join_date", "入会时间"),
    ("household_type", "户籍类型"),
    ("employment_status", "就业状况"),
    ("new_employment_form", "新就业形态劳动者"),
    ("union_post", "工会职务"),
    ("post_type", "专兼职"),
    ("status", "会籍状态"),
    ("union", "所在工会"),
    ("union_code", "工会编码"),
    ("unit", "工作单位"),
    ("confirmed_at", "最近核查"),
]


def safe_text(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _value(member: Member, field: str, *, masked: bool):
    if field == "id_number":
        return member.masked_id if masked else member.id_number
    if field == "mobile":
        return member.masked_mobile if masked else member.mobile
    if field == "union":
        return member.union.name
    if field == "union_code":
        return member.union.code
    if field == "unit":
        return member.unit.name if member.unit_id else ""
    if field == "new_employment_form":
        return {True: "是", False: "否"}.get(member.new_employment_form, "")
    if field == "confirmed_at":
        return member.confirmed_at.strftime("%Y-%m-%d") if member.confirmed_at else ""
    value = getattr(member, field)
    if hasattr(member, f"get_{field}_display"):
        return getattr(member, f"get_{field}_display")() if value else ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value or ""


def extra_keys(queryset) -> list[str]:
    """Every extra column any selected member carries, in first-seen order."""
    keys: dict[str, None] = {}
    for extra in queryset.order_by().values_list("extra", flat=True).iterator(chunk_size=2000):
        for key in extra or {}:
            keys.setdefault(key, None)
    return list(keys)


def write_members_xlsx(queryset, out, *, masked: bool = False) -> int:
    """Write the members of `queryset` to `out` (a path or binary file); returns rows written.
    With `masked`, IDs and phones are written as the lists show them."""
    extras = extra_keys(queryset)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("会员名单")
    bold = Font(bold=True)
    header = []
    for label in [label for _, label in COLUMNS] + extras:
        cell = WriteOnlyCell(sheet, value=safe_text(label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = 0
    members = queryset.select_related("union", "unit").order_by("union__lft", "pk")
    for member in members.iterator(chunk_size=2000):
        cells = []
        for field, _label in COLUMNS:
            cell = WriteOnlyCell(sheet, value=safe_text(_value(member, field, masked=masked)))
            if field in TEXT_FIELDS:
                cell.number_format = "@"
            cells.append(cell)
        for key in extras:
            cells.append(WriteOnlyCell(sheet, value=safe_text((member.extra or {}).get(key, ""))))
        sheet.append(cells)
        rows += 1
    workbook.save(out)
    return rows
