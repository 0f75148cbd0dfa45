"""A list comparison's result as rows: for the command's JSON (from the analysis) and for
the page and the workbook (from the stored entries). IDs and phones are masked unless
the caller says the reader may see them; the same keys either way."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from imports.models import ImportJob, ReconcileEntry
from imports.reconcile.analysis import Reconciliation
from members.models import Member
from registry.cells import safe_text
from registry.validators import mask_id, mask_phone
from unions.models import Union

Group = ReconcileEntry.Group
KEYS = {
    Group.MISSING: "on_list_not_registered",
    Group.ABSENT: "registered_not_on_list",
    Group.MISMATCHED: "mismatched",
    Group.ELSEWHERE: "elsewhere",
}
LABELS = {"name": _lazy("姓名"), "mobile": _lazy("手机号码")}
STATUS = dict(Member.Status.choices)


def _id(value: str, masked: bool) -> str:
    return mask_id(value) if masked else value


def _phone(value: str, masked: bool) -> str:
    return mask_phone(value) if masked else value


def changes(registered: dict, listed: dict, *, masked: bool) -> list[dict]:
    """old (registered) → new (on the list), per differing field."""
    return [
        {
            "field": name,
            "label": str(LABELS.get(name, name)),
            "old": _phone(old or "", masked) if name == "mobile" else old,
            "new": _phone(listed.get(name) or "", masked) if name == "mobile" else listed.get(name),
        }
        for name, old in registered.items()
        if name in LABELS
    ]


def result_json(result: Reconciliation, *, masked: bool = True) -> dict:
    """The command's `--json`: {on_list_not_registered, registered_not_on_list, mismatched,
    elsewhere}, each {count, rows}."""
    unions = dict(
        Union.objects.filter(pk__in={m["union_id"] for m in result.absent}).values_list(
            "id", "name"
        )
    )
    groups = {
        "on_list_not_registered": [
            {
                "sheet": r.sheet,
                "row": r.row,
                "name": r.name,
                "id_number": _id(r.id_number, masked),
                "mobile": _phone(r.mobile, masked),
                "unit": r.unit_name,
            }
            for r in result.missing
        ],
        "registered_not_on_list": [
            {
                "name": m["name"],
                "id_number": _id(m["id_number"], masked),
                "mobile": _phone(m["mobile"], masked),
                "union": unions.get(m["union_id"], ""),
                "status": str(STATUS.get(m["status"], m["status"])),
            }
            for m in result.absent
        ],
        "mismatched": [
            {
                "sheet": x.row.sheet,
                "row": x.row.row,
                "name": x.row.name,
                "id_number": _id(x.row.id_number, masked),
                "changes": changes(
                    x.differences, {"name": x.row.name, "mobile": x.row.mobile}, masked=masked
                ),
            }
            for x in result.mismatched
        ],
        "elsewhere": [
            {
                "sheet": x.row.sheet,
                "row": x.row.row,
                "name": x.row.name,
                "id_number": _id(x.row.id_number, masked),
                "union": x.holder_name,
            }
            for x in result.elsewhere
        ],
    }
    return {key: {"count": len(rows), "rows": rows} for key, rows in groups.items()}


def entry_row(entry: ReconcileEntry, *, masked: bool) -> dict:
    """One stored entry as the page and the workbook show it."""
    member = entry.member
    row = {
        "pk": entry.pk,
        "row": entry.row,
        "name": entry.name,
        "id_number": _id(entry.id_number, masked),
        "mobile": _phone(entry.mobile, masked),
        "unit": entry.unit_name,
        "action": entry.get_action_display() if entry.action else "",
        "done": entry.done_at is not None,
    }
    if entry.group == Group.ABSENT and member is not None:
        row["union"] = member.union.name
        row["status"] = member.get_status_display()
    elif entry.group == Group.ELSEWHERE:
        row["union"] = entry.registered.get("union", "")
    elif entry.group == Group.MISMATCHED:
        row["changes"] = changes(
            entry.registered, {"name": entry.name, "mobile": entry.mobile}, masked=masked
        )
    return row


SHEETS = [
    (
        Group.MISSING,
        _lazy("应采未采"),
        [_lazy("行号"), _lazy("姓名"), _lazy("证件号码"), _lazy("手机号码"), _lazy("工作单位")],
    ),
    (
        Group.ABSENT,
        _lazy("已登记名单中没有"),
        [_lazy("姓名"), _lazy("证件号码"), _lazy("手机号码"), _lazy("所在工会"), _lazy("会籍状态")],
    ),
    (
        Group.MISMATCHED,
        _lazy("信息不一致"),
        [_lazy("行号"), _lazy("姓名"), _lazy("证件号码"), _lazy("不一致之处")],
    ),
    (
        Group.ELSEWHERE,
        _lazy("已在其他工会登记"),
        [_lazy("行号"), _lazy("姓名"), _lazy("证件号码"), _lazy("所在工会")],
    ),
]


def _cells(group: str, r: dict) -> list:
    if group == Group.MISSING:
        cells = [r["row"], r["name"], r["id_number"], r["mobile"], r["unit"]]
    elif group == Group.ABSENT:
        cells = [r["name"], r["id_number"], r["mobile"], r.get("union", ""), r.get("status", "")]
    elif group == Group.MISMATCHED:
        shown = "；".join(f"{c['label']}：{c['old']} → {c['new']}" for c in r.get("changes", []))
        cells = [r["row"], r["name"], r["id_number"], shown]
    else:
        cells = [r["row"], r["name"], r["id_number"], r.get("union", "")]
    return [safe_text(c) if isinstance(c, str) else c for c in [*cells, r["action"]]]


def write_workbook(job: ImportJob, out, *, masked: bool) -> int:
    """The four groups on four sheets (plus a summary); returns the rows written."""
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("说明"))
    summary.append([_("名单比对结果")])
    summary.append([_("名单"), safe_text(job.original_filename)])
    summary.append([_("比对的工会"), job.union.name])
    if job.unit_id:
        summary.append([_("单位"), job.unit.name])
    summary.append([_("结果"), job.summary.get("message", "")])
    if masked:
        summary.append([_("证件号码和手机号码已脱敏。")])
    written = 0
    entries = job.entries.select_related("member", "member__union")
    for group, title, header in SHEETS:
        sheet = book.create_sheet(str(title))
        bold = []
        for text in [*header, _("处理")]:
            cell = WriteOnlyCell(sheet, value=str(text))
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for entry in entries.filter(group=group).order_by("row", "id").iterator(chunk_size=2000):
            sheet.append(_cells(group, entry_row(entry, masked=masked)))
            written += 1
    book.save(out)
    return written
