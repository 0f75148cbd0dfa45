"""Union imports: the organisation sheet (seed 002 / 004) plus a 上级工会 column.

Each row creates or updates one union (matched by its credit code, else by name
under the same parent) and the work unit it covers. A 上级工会 names an existing
union (by name or code) inside the import's scope, or another row of the file.
The engine is given the root of that scope (checked by the caller through
`unions.access.can_import`), never a user; a row reaching outside it is refused with
`union_out_of_scope`. Writes go through `unions.services.apply_union_sheet`.
"""

from dataclasses import dataclass, field
from pathlib import Path

from imports.engine import filetype
from imports.engine.headers import (
    IGNORED,
    build_aliases,
    filled_count,
    is_blank,
    is_example_row,
    is_note_row,
    locate_header,
)
from imports.engine.member_rows import display
from imports.engine.problems import FileRejected, ImportSummary, RowProblem
from imports.engine.reader import stream_sheets
from imports.engine.scope import UnionDirectory, exists_outside
from registry import codes
from registry.codes import normalize_key
from registry.validators import (
    Problem,
    check_credit_code,
    check_date,
    clean_number_text,
    parse_count,
)
from unions import services
from unions.models import Union, User

UNION_HEADERS = {
    # The export's 工会路径 and 会员人数 are read as nothing (工会编码 names the union).
    IGNORED: ["序号", "编号", "错误说明", "会员人数", "备注", "工会路径"],
    "name": ["工会名称", "工会组织名称", "基层工会名称", "单位工会名称"],
    "code": ["工会编码", "系统编码"],
    "parent": ["上级工会", "上级工会名称", "隶属工会", "主管工会", "上级工会组织"],
    "parent_code": ["上级工会编码"],
    "kind": ["工会类型", "基层工会类型", "组织类型", "工会组织类型"],
    "credit_code": [
        "工会统一社会信用代码",
        "社会团体法人统一社会信用代码",
        "社团法人统一社会信用代码",
        "社团法人和其他组织统一社会信用代码",
        "社会团体法人和其他组织统一社会信用代码",
        "工会社会信用代码",
        "工会法人统一社会信用代码",
        "统一社会信用代码",
    ],
    "founded_on": ["建会时间", "建会日期", "成立时间", "成立日期"],
    "term_ends_on": ["届期", "届满时间", "届期截止", "本届届满日期", "届满日期"],
    "chair": ["工会负责人", "工会主席", "负责人"],
    "phone": ["联系电话", "电话", "工会联系电话"],
    "address": ["地址", "工会地址"],
    "staff_count": ["职工人数", "职工数"],
    "female_staff_count": ["女职工人数", "女职工数"],
    "unit_name": ["单位名称", "所在单位", "工作单位", "单位"],
    "unit_credit_code": [
        "单位组织机构代码证",
        "单位统一社会信用代码",
        "单位社会信用代码",
        "组织机构代码",
        "单位组织机构代码",
        "法人和其他组织统一社会信用代码(组织机构代码)",
        "单位法人和其他组织统一社会信用代码",
    ],
    "unit_nature": ["单位性质"],
    "unit_address": ["单位地址"],
}
UNION_ALIASES = build_aliases(UNION_HEADERS)
UNION_LABELS = {IGNORED: "不导入", **{f: names[0] for f, names in UNION_HEADERS.items()}}
UNION_LABELS["credit_code"] = "统一社会信用代码"
UNION_LABELS["unit_credit_code"] = "单位统一社会信用代码"
NOTE_REASON = "填表说明、备注或签名、联系电话行"
UNION_FIELDS = [
    "kind",
    "credit_code",
    "founded_on",
    "term_ends_on",
    "chair",
    "phone",
    "address",
    "staff_count",
    "female_staff_count",
]


@dataclass
class UnionRow:
    sheet: str
    row: int
    cells: list
    headers: dict[str, str]
    data: dict = field(default_factory=dict)
    unit: dict = field(default_factory=dict)
    parent_text: str = ""
    parent_code: str = ""
    code: str = ""  # 工会编码 (credit or system code): names an existing union
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    existing_id: int | None = None
    parent_id: int | None = None
    parent_row: "UnionRow | None" = None
    report: object = None
    diff: dict = field(default_factory=dict)

    def error(self, name: str, code: str, message: str, value: object = "") -> None:
        self.errors.append(
            RowProblem(
                self.sheet, self.row, self.headers.get(name, ""), code, message, display(value)
            )
        )


@dataclass
class UnionPlan:
    summary: ImportSummary
    filename: str = ""
    root: Union | None = None
    rows: list[UnionRow] = field(default_factory=list)  # valid rows in creation order
    sheets: list = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.summary.status == "rejected"


def analyse_unions(
    path,
    *,
    filename: str = "",
    root: Union | None = None,
    progress=None,
) -> UnionPlan:
    """Read and validate an organisation sheet; writes nothing. `root` bounds the
    scope (None: a platform operator, the whole registry)."""
    path = Path(path)
    filename = filename or path.name
    try:
        if root is not None and not root.is_active:
            raise FileRejected(f"工会“{root.name}”已停用，不能导入。")
        kind = filetype.sniff(path, filename)
        if progress:
            progress("read", 0, 1)
        sheets = stream_sheets(path, kind, filename=filename)
        plan = UnionPlan(summary=ImportSummary(), filename=filename, root=root)
        rows = _read_rows(sheets, plan)
        _match(plan, rows, root)
    except FileRejected as rejected:
        return UnionPlan(
            summary=ImportSummary.rejected(rejected.message), filename=filename, root=root
        )
    plan.summary.message = "预检：" + _message(plan.summary)
    return plan


def _read_rows(sheets, plan: UnionPlan) -> list[UnionRow]:
    from imports.engine.members import SheetReport

    rows = []
    for streamed in sheets:
        sheet = _Materialised(streamed.name, list(streamed.rows))
        header = locate_header(sheet.rows, UNION_ALIASES, anchors={"name"}, merges=streamed.merges)
        if header is None:
            if any(filled_count(cells) for _, cells in sheet.rows[:30]):
                plan.summary.notices.append(f"工作表“{sheet.name}”没有工会组织信息的表头，已跳过。")
            continue
        reading = {
            "name": sheet.name,
            "header_rows": [
                sheet.rows[i][0] for i in range(header.first_offset, header.row_offset + 1)
            ],
            "columns": [
                {"header": c.header, "field": c.field, "label": UNION_LABELS.get(c.field, "")}
                for c in header.columns
            ],
            "skipped": [],
            "skipped_count": 0,
        }
        plan.summary.sheets.append(reading)
        columns = [(c.index, c.header, c.field) for c in header.columns if c.field != IGNORED]
        headers = {f: h for _, h, f in columns if f}
        report = SheetReport(
            name=sheet.name,
            header_row=sheet.rows[header.row_offset][0],
            headers=[(c.index, c.header) for c in header.columns],
        )
        plan.sheets.append(report)
        in_notes = False
        for number, cells in sheet.rows[header.row_offset + 1 :]:
            if is_note_row(cells):
                in_notes = True
                reading["skipped"].append({"row": number, "reason": NOTE_REASON})
                reading["skipped_count"] += 1
                continue
            if in_notes and filled_count(cells) < 2:
                continue
            in_notes = False
            if is_example_row(cells):
                reading["skipped"].append({"row": number, "reason": "填表示例行，不是工会"})
                reading["skipped_count"] += 1
                plan.summary.notices.append(
                    f"工作表“{sheet.name}”第{number}行：填表示例行，不是工会，已跳过。"
                )
                continue
            values = {}
            for index, _, name in columns:
                value = cells[index] if index < len(cells) else None
                if name and not is_blank(value):
                    values[name] = value
            if not values:
                continue
            row = UnionRow(sheet.name, number, cells, headers)
            row.report = report
            _validate(row, values)
            rows.append(row)
    if not plan.sheets:
        raise FileRejected(
            "没有找到工会组织信息的表头（至少要有“工会名称”列和其他信息列）。请检查表头行。"
        )
    if not rows:
        raise FileRejected("表格只有表头，没有工会数据行。")
    return rows


@dataclass
class _Materialised:
    name: str
    rows: list


def _validate(row: UnionRow, values: dict) -> None:
    if "name" not in values:
        row.error("name", "required", "工会名称不能为空。")
    else:
        row.data["name"] = " ".join(display(values["name"]).split())
    row.parent_code = clean_number_text(values.get("parent_code", "")).upper()
    row.parent_text = display(values.get("parent", "")) or row.parent_code
    row.code = clean_number_text(values.get("code", "")).upper()
    if "kind" in values:
        kind = codes.UNION_KIND.resolve(values["kind"])
        if kind is None:
            names = "、".join(codes.UNION_KIND.names)
            row.error(
                "kind",
                "invalid_choice",
                f"“{display(values['kind'])}”不是有效的工会类型。{_did_you_mean(codes.UNION_KIND, values['kind'])}可选：{names}。",
                values["kind"],
            )
        else:
            row.data["kind"] = kind
    for name, target in (("credit_code", row.data), ("unit_credit_code", row.unit)):
        if name in values:
            try:
                target["credit_code"] = check_credit_code(values[name])
            except Problem as problem:
                row.error(name, problem.code, problem.message, values[name])
    for name in ("founded_on", "term_ends_on"):
        if name in values:
            try:
                row.data[name] = check_date(values[name], label=row.headers[name])
            except Problem as problem:
                row.error(name, problem.code, problem.message, values[name])
    for name in ("staff_count", "female_staff_count"):
        if name in values:
            try:
                row.data[name] = parse_count(values[name])
            except Problem as problem:
                row.error(name, problem.code, problem.message, values[name])
    for name in ("chair", "phone", "address"):
        if name in values:
            row.data[name] = (
                clean_number_text(values[name]) if name == "phone" else display(values[name])
            )
    if "unit_name" in values:
        row.unit["name"] = display(values["unit_name"])
    if "unit_address" in values:
        row.unit["address"] = display(values["unit_address"])
    if "unit_nature" in values:
        nature = codes.UNIT_NATURE.resolve(values["unit_nature"])
        if nature is None:
            row.error(
                "unit_nature",
                "invalid_choice",
                f"“{display(values['unit_nature'])}”不是有效的单位性质。{_did_you_mean(codes.UNIT_NATURE, values['unit_nature'])}可选：{'、'.join(codes.UNIT_NATURE.names)}。",
                values["unit_nature"],
            )
        else:
            row.unit["nature"] = nature
    if row.unit and "name" not in row.unit:
        if "credit_code" in row.unit:
            row.unit["name"] = row.data.get("name", "")
        else:
            row.unit = {}  # an address or nature alone names no unit
    if row.unit and row.data.get("staff_count") is not None:
        # seed 002 lists 职工人数 among the unit's items: the unit keeps it too (入会率)
        row.unit["staff_count"] = row.data["staff_count"]


def _did_you_mean(code_list: codes.CodeList, value: object) -> str:
    close = code_list.suggest(value)
    return f"您是否要填：{'、'.join(close)}？" if close else ""


def _match(plan: UnionPlan, rows: list[UnionRow], root: Union | None) -> None:
    summary = plan.summary
    summary.rows = len(rows)
    directory = UnionDirectory(root)
    codes_in_file = [r.data["credit_code"] for r in rows if "credit_code" in r.data]
    by_code = dict(
        Union.objects.filter(credit_code__in=codes_in_file).values_list("credit_code", "id")
    )
    in_file: dict[str, UnionRow] = {}
    seen_codes: dict[str, UnionRow] = {}
    for row in rows:
        code = row.data.get("credit_code")
        if code and code in seen_codes:
            row.error(
                "credit_code",
                "duplicate_in_file",
                f"统一社会信用代码与第{seen_codes[code].row}行重复（一码一单位）。",
                code,
            )
        elif code:
            seen_codes[code] = row
        if "name" in row.data:
            in_file.setdefault(normalize_key(row.data["name"]), row)
    unresolved = []
    unknown_codes = []
    for row in rows:
        if row.errors or not row.code:
            continue
        found = directory.find(row.code)
        if len(found) == 1:
            row.existing_id = found[0].id
        else:
            unknown_codes.append(row)
    _unknown_codes(unknown_codes)
    root_parent = _parent_keys(root)
    for row in rows:
        if row.errors:
            continue
        parent_node = None
        if (
            root is not None
            and row.existing_id == root.pk
            and normalize_key(row.parent_text) in root_parent
        ):
            # The scope's own top, with its parent as exported: that parent is outside
            # the scope, and the row does not move it.
            row.parent_text = ""
        if row.parent_text:
            found = directory.find(row.parent_code) if row.parent_code else []
            if len(found) != 1:
                found = directory.find(row.parent_text)
            if len(found) > 1:
                row.error(
                    "parent",
                    "union_ambiguous",
                    f"上级工会“{row.parent_text}”对应多个工会，请改填工会编码。",
                    row.parent_text,
                )
                continue
            if found:
                parent_node = found[0]
                row.parent_id = parent_node.id
            elif (
                normalize_key(row.parent_text) in in_file
                and in_file[normalize_key(row.parent_text)] is not row
            ):
                row.parent_row = in_file[normalize_key(row.parent_text)]
            else:
                unresolved.append(row)
                continue
        code = row.data.get("credit_code")
        if row.existing_id is not None:
            pass  # named by its 工会编码
        elif code and code in by_code:
            node = directory.node(by_code[code])
            if node is None:
                row.error(
                    "credit_code",
                    "union_out_of_scope",
                    f"统一社会信用代码为{code}的工会已登记，但不在您的管辖范围内。",
                    code,
                )
                continue
            row.existing_id = node.id
        else:
            siblings = [
                n
                for n in directory.find(row.data["name"])
                if n.name == row.data["name"]
                and (row.parent_text == "" or n.parent_id == row.parent_id)
            ]
            if row.parent_row is None and len(siblings) == 1:
                row.existing_id = siblings[0].id
        if row.existing_id is None:
            if not row.parent_text and root is not None:
                row.error("parent", "required", "新建工会须填写上级工会（名称或编码）。")
                continue
            if "kind" not in row.data:
                row.error("kind", "required", "新建工会须填写工会类型。")
                continue
        elif row.parent_id is not None:
            node = directory.node(row.existing_id)
            current_parent = node.parent_id if node else None
            if row.parent_id != current_parent and (root is not None and node.id == root.pk):
                row.error(
                    "parent",
                    "union_out_of_scope",
                    "不能调整本级工会自己的上级工会，请联系上级工会办理。",
                    row.parent_text,
                )
            elif node is not None and node.contains(parent_node):
                row.error(
                    "parent",
                    "parent_unknown",
                    "上级工会不能是本工会自己或它的下级工会。",
                    row.parent_text,
                )
    outside = exists_outside({r.parent_text for r in unresolved})
    for row in unresolved:
        if row.parent_text in outside:
            row.error(
                "parent",
                "union_out_of_scope",
                f"上级工会“{row.parent_text}”不在您的管辖范围内。",
                row.parent_text,
            )
        else:
            row.error(
                "parent",
                "parent_unknown",
                f"找不到上级工会“{row.parent_text}”，请核对名称或编码，或在本表中先列出该上级工会。",
                row.parent_text,
            )
    # A row whose in-file parent failed cannot be created either.
    changed = True
    while changed:
        changed = False
        for row in rows:
            if not row.errors and row.parent_row is not None and row.parent_row.errors:
                row.error(
                    "parent",
                    "parent_unknown",
                    f"上级工会“{row.parent_text}”所在的第{row.parent_row.row}行有错误，请先改正该行。",
                    row.parent_text,
                )
                changed = True
    existing = {
        u.pk: u
        for u in Union.objects.filter(
            pk__in=[r.existing_id for r in rows if r.existing_id]
        ).prefetch_related("units")
    }
    ordered = _creation_order([r for r in rows if not r.errors])
    for row in ordered:
        if row.existing_id:
            union = existing[row.existing_id]
            diff = {k: v for k, v in row.data.items() if getattr(union, k) != v}
            if row.parent_id and row.parent_id != union.parent_id:
                diff["parent_id"] = row.parent_id
            if row.unit and _unit_differs(union, row.unit):
                diff["unit"] = row.unit
            row.diff = diff
            if diff:
                summary.updated += 1
            else:
                summary.unchanged += 1
        else:
            summary.created += 1
    plan.rows = ordered
    for row in rows:
        summary.warnings.extend(row.warnings)
        if row.errors:
            summary.errors.extend(row.errors)
            summary.invalid += 1
            row.report.failed.append(row)


def _parent_keys(root: Union | None) -> set[str]:
    """The names and codes of the parent of the scope's top, as an export writes them."""
    parent = root.parent if root is not None else None
    if parent is None:
        return set()
    return {normalize_key(parent.name), normalize_key(parent.code)} - {""}


def _unknown_codes(rows: list[UnionRow]) -> None:
    outside = exists_outside({r.code for r in rows})
    for row in rows:
        if row.code in outside:
            row.error(
                "code",
                "union_out_of_scope",
                f"工会编码为{row.code}的工会不在您的管辖范围内。",
                row.code,
            )
        else:
            row.error(
                "code",
                "union_unknown",
                f"找不到工会编码为“{row.code}”的工会。新建的工会请不要填写工会编码（系统自动赋码），"
                "已有的工会请核对编码。",
                row.code,
            )


def _unit_differs(union: Union, values: dict) -> bool:
    for unit in union.units.all():
        same = (
            unit.credit_code == values["credit_code"]
            if values.get("credit_code")
            else unit.name == values.get("name")
        )
        if same:
            return any(getattr(unit, k) != v for k, v in values.items())
    return True


def _creation_order(rows: list[UnionRow]) -> list[UnionRow]:
    ordered, placed = [], set()
    pending = list(rows)
    while pending:
        rest = []
        for row in pending:
            if row.parent_row is None or id(row.parent_row) in placed:
                ordered.append(row)
                placed.add(id(row))
            else:
                rest.append(row)
        if len(rest) == len(pending):  # a cycle in the file: keep the rest out
            for row in rest:
                row.error(
                    "parent", "parent_unknown", "上级工会关系循环引用，请核对。", row.parent_text
                )
            break
        pending = rest
    return ordered


def commit_unions(
    plan: UnionPlan, *, by: User | None, all_or_nothing: bool = False
) -> ImportSummary:
    """Hand the plan's valid rows to the union writer; `by` is the account the audit
    log names (None: an operator's command)."""
    summary = plan.summary
    if plan.rejected:
        return summary
    if all_or_nothing and summary.invalid:
        summary.status = "rejected"
        summary.message = (
            f"有 {summary.invalid} 行存在错误，本次没有写入任何数据，请改正后重新上传。"
        )
        summary.created = summary.updated = summary.unchanged = 0
        return summary
    written = [row for row in plan.rows if not (row.existing_id and not row.diff)]
    keys = {id(row) for row in written}
    sheet_rows = []
    for row in written:
        parent_id, parent_row = row.parent_id, None
        if row.parent_row is not None:
            if id(row.parent_row) in keys:
                parent_row = id(row.parent_row)
            else:  # an unchanged union of the sheet: it is already where it is
                parent_id = row.parent_row.existing_id
        sheet_rows.append(
            services.SheetRow(
                key=id(row),
                fields=row.data,
                existing_id=row.existing_id,
                parent_id=parent_id,
                parent_row=parent_row,
                unit=row.unit,
            )
        )
    services.apply_union_sheet(
        sheet_rows,
        root=plan.root,
        by=by if by is not None and by.pk else None,
        filename=plan.filename,
        counts=summary.counts(),
    )
    summary.message = _message(summary)
    return summary


def _message(s: ImportSummary) -> str:
    text = f"共 {s.rows} 行：新建 {s.created}，更新 {s.updated}，未变化 {s.unchanged}"
    if s.invalid:
        text += f"；{s.invalid} 行有错误未导入"
    return text + "。"
