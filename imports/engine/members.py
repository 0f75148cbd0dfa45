"""Member imports: analyse a sheet against the registry, then hand it to the writer.

`analyse_members` reads, validates and compares, writing nothing; `commit_members`
hands the plan's valid rows to `members.services.apply_roster`, the one writer of
members, which writes them in one transaction. The engine is given the root of what
the import may touch (the uploader's subtree, checked by the caller through
`unions.access.can_import`), never a user. Lookups are one query per batch of IDs.
"""

import datetime
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from imports.engine import filetype
from imports.engine.gcpause import paused_gc
from imports.engine.headers import (
    filled_count,
    is_example_row,
    is_note_row,
    locate_header,
    union_line,
)
from imports.engine.member_rows import (
    ANCHORS,
    CHOICE_FIELDS,
    FIELD_LABELS,
    MEMBER_ALIASES,
    MemberRow,
    RowValidator,
    column_label,
    display,
    missing_required_columns,
    required_fields,
)
from imports.engine.problems import FileRejected, ImportSummary
from imports.engine.reader import stream_sheets
from imports.engine.scope import UnionDirectory, exists_outside
from imports.engine.sheet_union import sheet_union
from members import identity, services
from members.models import Member
from registry.validators import mask_id, mask_phone
from unions.access import subtree_q
from unions.models import Union, Unit, User

BATCH = 2000
HEADER_SCAN = 30
COMPARED = [
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "political_status",
    "education",
    "mobile",
    "join_date",
    "household_type",
    "employment_status",
    "new_employment_form",
    "union_post",
    "post_type",
]


@dataclass
class SheetReport:
    """What the error report needs: the header row as written and the failed rows."""

    name: str
    header_row: int
    headers: list[tuple[int, str]]  # (column index, header)
    failed: list[MemberRow] = field(default_factory=list)


@dataclass
class MemberPlan:
    summary: ImportSummary
    union: Union | None = None
    filename: str = ""
    creates: list[dict] = field(default_factory=list)
    updates: list[tuple[int, dict]] = field(default_factory=list)  # pk, values to set
    conflicts: list[tuple[int, int, int, dict]] = field(default_factory=list)
    sheets: list[SheetReport] = field(default_factory=list)
    # 工会名称：… lines above the tables: {sheet, row, name, code}
    union_lines: list[dict] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.summary.status == "rejected"


def _progress(callback, stage: str, done: int, total: int) -> None:
    if callback is not None:
        callback(stage, done, total)


def analyse_members(
    path,
    *,
    filename: str = "",
    union: Union | None,
    root: Union | None = None,
    from_sheet: bool = False,
    progress=None,
    made_at=None,
    keep_newer: bool = True,
    take_file_rows=(),
) -> MemberPlan:
    """Read, validate and compare with the registry. Writes nothing.

    `union` receives the rows; `root` (default: `union`) bounds which unions the rows
    may name and which registered members count as this import's own.
    `from_sheet`: the union was left open (no `--union`, nothing chosen on the form):
    the 工会名称：… line above the table names it, inside `root` (None: the whole
    registry); `union` is then only the fallback for a file without such a line
    (None: such a file is rejected). The union used is in `summary.union`.
    The stale guard: a member changed in the registry after the file was made (the
    xlsx's own modified time, else `made_at`, e.g. the union's previous upload; a
    callable is given the union) and changed again by the row is reported
    `stored_newer`; with `keep_newer` (default) the stored record is kept and the row
    counts as unchanged, except the rows in `take_file_rows` ((sheet, row) pairs),
    which take the file's values.
    A file that cannot be read as a whole gives a plan whose summary is
    "rejected" with the reason; row problems are listed in the summary."""
    path = Path(path)
    filename = filename or path.name
    try:
        if not from_sheet:
            root = root or union
            if not root.contains(union):
                raise FileRejected(
                    f"工会“{union.name}”不在本次导入的范围（{root.name}及其下级）内。"
                )
        kind = filetype.sniff(path, filename)
        _progress(progress, "read", 0, 1)
        sheets = stream_sheets(path, kind, filename=filename)
        plan = MemberPlan(summary=ImportSummary(), union=union, filename=filename)
        with paused_gc():
            rows = _validated_rows(sheets, plan, progress)
            if from_sheet:  # the union is known once every sheet's header has been read
                rows = list(rows)
                union, root = sheet_union(plan, chosen=union, root=root, from_sheet=True)
                plan.union = union
            made = filetype.made_at(path, kind) or (
                made_at(union) if callable(made_at) else made_at
            )
            matcher = _Matcher(plan, root=root, union=union)
            matcher.made_at, matcher.keep_newer = made, keep_newer
            matcher.take_file_rows = {(str(s), int(r)) for s, r in take_file_rows}
            for batch in _batched(rows):
                matcher.feed(batch)
            matcher.close(progress)
            if not from_sheet:
                sheet_union(plan, chosen=union, root=root, from_sheet=False)
    except FileRejected as rejected:
        return MemberPlan(
            summary=ImportSummary.rejected(rejected.message), union=union, filename=filename
        )
    plan.summary.message = "预检：" + _done_message(plan.summary)
    return plan


SKIPPED_SHOWN = 200  # skipped lines listed per sheet; the rest are only counted


def _batched(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _validated_rows(sheets, plan: MemberPlan, progress) -> Iterator[MemberRow]:
    """Read every sheet that looks like a roster, row by row as they come; skip the
    others with a notice. A file with no roster, or none but a header, is rejected
    (FileRejected) once it has been read through."""
    found = 0
    names: list[str] = []
    missing_columns: list[str] = []
    done = 0
    for sheet in sheets:
        names.append(sheet.name)
        head = list(itertools.islice(sheet.rows, HEADER_SCAN))
        header = locate_header(
            head, MEMBER_ALIASES, anchors=ANCHORS, scan=HEADER_SCAN, merges=sheet.merges
        )
        if header is None:
            if any(filled_count(cells) for _, cells in head):
                plan.summary.notices.append(
                    f"工作表“{sheet.name}”没有会员信息的表头（姓名、证件号码等），不是会员花名册，已跳过。"
                )
            continue
        missing = missing_required_columns(sheet.name, header)
        if missing:
            missing_columns.append(missing)
            absent = "、".join(
                f"“{FIELD_LABELS.get(f, f)}”" for f in required_fields() if f not in header.fields
            )
            plan.summary.notices.append(
                f"工作表“{sheet.name}”没有{absent}列，不是会员花名册，已跳过。"
            )
            continue
        for line_number, cells in head[: header.first_offset]:
            line = union_line(cells)
            if line is not None:
                name, code = line
                plan.union_lines.append(
                    {"sheet": sheet.name, "row": line_number, "name": name, "code": code}
                )
                break
        number, header_cells = head[header.row_offset]
        report = SheetReport(
            name=sheet.name,
            header_row=number,
            headers=[(c.index, c.header) for c in header.columns],
        )
        plan.sheets.append(report)
        reading = _reading(sheet.name, head, header)
        plan.summary.sheets.append(reading)

        def skip(row_number: int, reason: str, *, notice=False, name=sheet.name, r=reading):
            r["skipped_count"] += 1
            if len(r["skipped"]) < SKIPPED_SHOWN:
                r["skipped"].append({"row": row_number, "reason": reason})
            if notice and len(plan.summary.notices) < SKIPPED_SHOWN:
                plan.summary.notices.append(f"工作表“{name}”第{row_number}行：{reason}，已跳过。")

        validator = RowValidator(sheet.name, header)
        header_keys = [str(c) for c in header_cells]
        first_header = header_keys[0] if header_keys else None
        body = itertools.chain(head[header.row_offset + 1 :], sheet.rows)
        in_notes = False
        for number, cells in body:
            done += 1
            if done % 5000 == 0:
                _progress(progress, "validate", done, max(done, sheet.height))
            if is_note_row(cells):
                in_notes = True
                skip(number, NOTE_REASON, notice=True)
                continue
            if in_notes and filled_count(cells) < 2:
                if filled_count(cells):
                    skip(number, "填表说明（续）")
                continue  # the numbered lines of a 填表说明 go on below it
            in_notes = False
            if cells and str(cells[0]) == first_header and [str(c) for c in cells] == header_keys:
                skip(number, "重复的表头")
                continue  # the header repeated (printed sheets repeat it on every page)
            if is_example_row(cells):
                skip(number, "填表示例行，不是会员", notice=True)
                continue
            row = validator.validate(number, cells)
            if row is None:
                if filled_count(cells):
                    skip(number, "只有一个单元格有内容（如部门名称或备注），不是会员")
                continue
            row.report = report
            found += 1
            yield row
    if not plan.sheets:
        if missing_columns:
            raise FileRejected(missing_columns[0])
        shown = "、".join(f"“{n}”" for n in names) or "（无）"
        raise FileRejected(
            f"在工作表{shown}中没有找到会员信息的表头（至少要有“姓名”“身份证号码”等列）。请使用采集模板，或检查表头行。"
        )
    if not found:
        raise FileRejected("表格只有表头，没有会员数据行。请填写会员信息后再上传。")
    _progress(progress, "validate", done, done)


NOTE_REASON = "填表说明、备注或签名、联系电话行"


def _reading(name: str, head: list, header) -> dict:
    """How a sheet was read, for the preview and --json."""
    return {
        "name": name,
        "header_rows": [head[i][0] for i in range(header.first_offset, header.row_offset + 1)],
        "columns": [
            {
                "header": c.header,
                "field": c.field,
                "label": column_label(c.field),
            }
            for c in header.columns
        ],
        "skipped": [],
        "skipped_count": 0,
    }


class _Matcher:
    """Resolves unions, duplicates and existing members for all rows in bulk."""

    def __init__(self, plan: MemberPlan, *, root: Union, union: Union):
        self.plan = plan
        self.first_seen: dict[tuple[str, str], MemberRow] = {}
        self.units: dict[str, set[int]] = {}
        self.directory = UnionDirectory(root)
        self.unit_names: dict | None = None
        self.made_at: datetime.datetime | None = None
        self.keep_newer = True
        self.take_file_rows: set[tuple[str, int]] = set()
        self.target = self.directory.node(union.pk)
        if self.target is None:
            raise FileRejected(f"工会“{union.name}”已停用或不存在。")

    def feed(self, rows: list[MemberRow]) -> None:
        """Match one batch of rows (in sheet order; a duplicate is found against every
        row fed before it)."""
        summary = self.plan.summary
        summary.rows += len(rows)
        self._resolve_unions(rows)
        self._find_duplicates(rows)
        self._resolve_units(rows)
        good = [r for r in rows if not r.errors]
        if good:
            self._compare(good)
        for row in rows:
            summary.warnings.extend(row.warnings)
            if row.errors:
                summary.errors.extend(row.errors)
                row.report.failed.append(row)
                if any(p.code == "member_elsewhere" for p in row.errors):
                    summary.conflicts += 1
                else:
                    summary.invalid += 1

    def close(self, progress) -> None:
        summary = self.plan.summary
        summary.created = len(self.plan.creates)
        summary.updated = len(self.plan.updates)
        _progress(progress, "match", summary.rows, summary.rows)

    # -- unions named in the row -------------------------------------------------------

    def _by_code_or_path(self, row: MemberRow) -> bool:
        """The export's 工会编码 (unique) or 工会路径 names the union: nothing else needed."""
        found = []
        if row.union_code:
            found = self.directory.find(row.union_code)
        if len(found) != 1 and row.union_path:
            found = self.directory.find_path(row.union_path)
        if len(found) != 1:
            return False
        row.union_id = found[0].id
        row.union_named = True
        return True

    def _resolve_unions(self, rows: list[MemberRow]) -> None:
        unresolved: list[tuple[MemberRow, str, str]] = []
        for row in rows:
            row.union_id = self.target.id
            row.union_named = False
            if (row.union_code or row.union_path) and self._by_code_or_path(row):
                continue
            if row.union_code and not row.union_refs:
                unresolved.append((row, _header_of(row, "union_code"), row.union_code))
                continue
            anchor = None
            for _, header, text in sorted(row.union_refs):
                if anchor is not None:
                    found = self.directory.find(text, anchor)
                else:
                    found = self.directory.find(text, self.target) or self.directory.find(text)
                if not found:
                    unresolved.append((row, header, text))
                    anchor = None
                    break
                if len(found) > 1:
                    paths = "；".join(self.directory.path(n) for n in found[:3])
                    row.error(
                        header,
                        "union_ambiguous",
                        f"“{text}”对应多个工会（{paths}），请同时填写上级工会名称或改填工会编码。",
                        text,
                    )
                    anchor = None
                    break
                anchor = found[0]
            if anchor is not None:
                row.union_id = anchor.id
                row.union_named = True
        outside = exists_outside({text for _, _, text in unresolved})
        for row, header, text in unresolved:
            if text in outside:
                row.error(
                    header,
                    "union_out_of_scope",
                    f"工会“{text}”不在本次导入的范围（{self.directory.root.name}及其下级）内，不能导入到该工会。",
                    text,
                )
            else:
                row.error(
                    header,
                    "union_unknown",
                    f"找不到名称或编码为“{text}”的工会，请核对名称（须与系统中的工会名称完全一致）或先建立该工会。",
                    text,
                )

    def _find_duplicates(self, rows: list[MemberRow]) -> None:
        first_seen = self.first_seen
        for row in rows:
            key = row.key
            if key is None:
                continue
            first = first_seen.setdefault(key, row)
            if first is not row:
                where = (
                    f"第{first.row}行"
                    if first.sheet == row.sheet
                    else f"工作表“{first.sheet}”第{first.row}行"
                )
                row.error(
                    _header_of(row, "id_number"),
                    "duplicate_in_file",
                    f"证件号码与{where}重复，同一人只能填写一次，请删除重复的行。",
                    row.data["id_number"],
                )

    def _resolve_units(self, rows: list[MemberRow]) -> None:
        units = self.units  # by name, across batches: a unit is looked up once
        names = {r.unit_name for r in rows if r.unit_name and r.unit_name not in units}
        if names:
            for name in names:
                units[name] = set()
            for pk, name in (
                Unit.objects.filter(name__in=names)
                .filter(subtree_q(self.directory.root, "unions"))
                .values_list("id", "name")
                .distinct()
            ):
                units[name].add(pk)
        for row in rows:
            if not row.unit_name:
                continue
            found = units.get(row.unit_name, set())
            if len(found) == 1:
                row.data["unit_id"] = next(iter(found))
            else:
                # Not a registered unit: kept as written, under one name the export reads.
                row.extra[UNIT_EXTRA] = row.unit_name

    # -- the registry ------------------------------------------------------------------

    def _compare(self, rows: list[MemberRow]) -> None:
        by_type: dict[str, list[str]] = {}
        hashes: dict[tuple[str, str], str] = {}
        for row in rows:
            id_type, number = key = row.key
            hashes[key] = digest = identity.id_hash(number)
            by_type.setdefault(id_type, []).append(digest)
        # (id_type, id_hash) is the unique index (the ID itself is encrypted, matched by
        # its blind index): one index scan per batch.
        wanted = Q()
        for id_type, digests in by_type.items():
            wanted |= Q(id_type=id_type, id_hash__any_of=digests)
        existing = {
            (m["id_type"], m["id_number"]): m
            for m in Member.objects.filter(wanted).values(
                "id",
                "id_type",
                "id_number",
                "union_id",
                "unit_id",
                "extra",
                "status",
                "updated_at",
                *COMPARED,
            )
        }
        holders = {
            m["union_id"] for m in existing.values() if self.directory.node(m["union_id"]) is None
        }
        holder_names = dict(Union.objects.filter(pk__in=holders).values_list("id", "name"))
        for row in rows:
            current = existing.get(row.key)
            if row.status_text:
                _check_status(row, current)
            if current is None:
                self.plan.creates.append(_create_values(row, hashes[row.key]))
                continue
            holder = self.directory.node(current["union_id"])
            ours = holder is not None and (
                self.target.contains(holder) or holder.id == row.union_id
            )
            if not ours:
                name = holder.name if holder else holder_names.get(current["union_id"], "")
                row.error(
                    _header_of(row, "id_number"),
                    "member_elsewhere",
                    f"该证件号码已登记在“{name}”，不能直接导入到本工会。{ELSEWHERE_PENDING}",
                    mask_id(row.data["id_number"]),
                )
                self.plan.conflicts.append(
                    (current["id"], current["union_id"], row.union_id, _proposed(row))
                )
                continue
            values = _update_values(current, row)
            changes = services.changed_fields(current, values)
            if not changes:
                self.plan.summary.unchanged += 1
                continue
            # A workbook's time has whole seconds: a change within its second is not newer.
            newer = self.made_at is not None and current["updated_at"] > self.made_at + SECOND
            kept = newer and self.keep_newer and (row.sheet, row.row) not in self.take_file_rows
            if newer:
                self._warn_newer(row, current["updated_at"], kept=kept)
            if kept:
                self.plan.summary.unchanged += 1
                self.plan.summary.kept_newer += 1
            else:
                self.plan.updates.append((current["id"], values))
            # Every stale row is listed (its choice is made there), the others up to a limit.
            shown = len(self.plan.summary.changes)
            if shown < CHANGES_SHOWN or (newer and shown < STALE_SHOWN):
                described = self._describe(row, changes)
                if newer:
                    described["newer"] = True
                    described["kept"] = kept
                self.plan.summary.changes.append(described)

    def _warn_newer(self, row: MemberRow, updated: datetime.datetime, *, kept: bool) -> None:
        local = timezone.localtime
        row.warn(
            _header_of(row, "id_number"),
            "stored_newer",
            f"登记库中的信息更新：该会员在{local(updated):%Y-%m-%d %H:%M}修改过，晚于本表"
            f"（{local(self.made_at):%Y-%m-%d %H:%M}）。"
            + (
                "默认保留登记库中的值；确认导入时可逐行或全部选择用表中的值覆盖。"
                if kept
                else "已选择用表中的值覆盖。"
            ),
            mask_id(row.data["id_number"]),
        )

    def _describe(self, row: MemberRow, changes: dict) -> dict:
        """One updated member for the preview: each field old → new, IDs and phones masked."""
        shown = []
        for name, (old, new) in changes.items():
            if name == "extra":
                old, new = old or {}, new or {}
                for key in new:
                    if old.get(key) != new.get(key):
                        shown.append(
                            {"field": key, "label": key, "old": old.get(key, ""), "new": new[key]}
                        )
                continue
            shown.append(
                {
                    "field": name,
                    "label": FIELD_LABELS.get(name.removesuffix("_id"), name),
                    "old": self._shown(name, old),
                    "new": self._shown(name, new),
                }
            )
        return {
            "sheet": row.sheet,
            "row": row.row,
            "name": row.data.get("name", ""),
            "id": mask_id(row.key[1]) if row.key else "",
            "changes": shown,
        }

    def _shown(self, name: str, value) -> str:
        if value is None or value == "":
            return ""
        if name == "mobile":
            return mask_phone(str(value))
        if name == "union_id":
            node = self.directory.node(value)
            return self.directory.path(node) if node else str(value)
        if name == "unit_id":
            return self._unit_names().get(value, "")
        if name in CHOICE_FIELDS:
            return CHOICE_FIELDS[name].name_of(value)
        if name == "new_employment_form":
            return "是" if value else "否"
        return display(value)

    def _unit_names(self) -> dict:
        if self.unit_names is None:
            self.unit_names = dict(
                Unit.objects.filter(subtree_q(self.directory.root, "unions"))
                .values_list("id", "name")
                .distinct()
            )
        return self.unit_names


# member_elsewhere says what will happen until the commit has made it happen.
ELSEWHERE_PENDING = "确认导入后将向该工会发出转会申请，待其办理转出后生效。"
ELSEWHERE_DONE = "已生成转会申请，待该工会办理转出后生效。"
SECOND = datetime.timedelta(seconds=1)
CHANGES_SHOWN = 1000  # updated members described in the preview; the rest are counted
STALE_SHOWN = 5000  # stale rows are listed beyond that, for their per-row choice
UNIT_EXTRA = "工作单位"  # an unregistered 工作单位 is kept in `extra` under this name
STATUS_LABELS = dict(Member.Status.choices)


def _check_status(row: MemberRow, current: dict | None) -> None:
    """会籍状态 is only compared: it changes through 会籍变动, never through a roster."""
    header = _header_of(row, "status")
    registered = current["status"] if current else Member.Status.ACTIVE
    if not row.status:
        row.warn(
            header,
            "status_differs",
            f"会籍状态“{row.status_text}”无法识别，导入不改变会籍状态；如需变动请到“会员管理 → 会籍变动”办理。",
            row.status_text,
        )
    elif row.status != registered:
        now = STATUS_LABELS.get(registered, registered)
        where = "登记库中为" if current else "新登记的会员为"
        row.warn(
            header,
            "status_differs",
            f"表中会籍状态为“{row.status_text}”，{where}“{now}”。导入不改变会籍状态，请到“会员管理 → 会籍变动”办理。",
            row.status_text,
        )


def _header_of(row: MemberRow, name: str) -> str:
    return row.field_headers.get(name, "")


def _create_values(row: MemberRow, id_hash: str) -> dict:
    values = row.data  # not needed on the row any more: reuse rather than copy
    values["union_id"] = row.union_id
    values["extra"] = row.extra
    values["id_hash"] = id_hash  # matched by it: the writer need not compute it again
    return values


def _update_values(current: dict, row: MemberRow) -> dict:
    skip = ("id_type", "id_number", *row.derived)
    values = {k: v for k, v in row.data.items() if k not in skip}
    if row.union_named:
        values["union_id"] = row.union_id
    if row.extra:
        values["extra"] = {**(current["extra"] or {}), **row.extra}
    return values


def _json_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _proposed(row: MemberRow) -> dict:
    proposed = {k: _json_value(v) for k, v in row.data.items()}
    proposed["union_id"] = row.union_id
    if row.extra:
        proposed["extra"] = dict(row.extra)
    return proposed


# ---- commit ---------------------------------------------------------------------------


def commit_members(
    plan: MemberPlan,
    *,
    by: User | None,
    all_or_nothing: bool = False,
    source_ref: str = "",
    progress=None,
) -> ImportSummary:
    """Hand the plan's valid rows to the member writer; a failure leaves nothing written.
    `by` is the account the history and the audit log name (None: an operator's command)."""
    if plan.rejected:
        return plan.summary
    if all_or_nothing and plan.summary.invalid:
        return blocked(plan.summary)
    try:
        with paused_gc(), transaction.atomic():
            services.apply_roster(
                roster_of(plan),
                by=by,
                source_ref=source_ref or plan.filename[:50],
                progress=progress,
            )
    except IntegrityError:
        return registry_changed()
    return committed(plan.summary)


def roster_of(plan: MemberPlan) -> services.Roster:
    return services.Roster(
        union=plan.union,
        creates=plan.creates,
        updates=plan.updates,
        conflicts=plan.conflicts,
        filename=plan.filename,
        counts=plan.summary.counts(),
    )


def blocked(summary: ImportSummary) -> ImportSummary:
    """All or nothing asked for, and some rows have errors: nothing is written."""
    refused = ImportSummary(**{**summary.__dict__})
    refused.status = "rejected"
    refused.message = f"有 {summary.invalid} 行存在错误。按“全部正确才入库”的要求，本次没有写入任何数据，请改正后重新上传。"
    refused.created = refused.updated = refused.unchanged = 0
    return refused


def registry_changed() -> ImportSummary:
    """The registry changed between the check and the commit (someone registered one of
    these people meanwhile): the unique index refused a row and nothing was written."""
    return ImportSummary.rejected(
        "检查之后、入库之前，登记库中的数据已被修改（例如有人同时登记了表中的人员），本次没有写入任何数据。请重新导入。"
    )


def committed(summary: ImportSummary) -> ImportSummary:
    for problem in summary.errors:
        if problem.code == "member_elsewhere":
            problem.message = problem.message.replace(ELSEWHERE_PENDING, ELSEWHERE_DONE)
    summary.message = _done_message(summary, committed=True)
    return summary


def _done_message(s: ImportSummary, *, committed: bool = False) -> str:
    parts = [f"共 {s.rows} 行：新增 {s.created}，更新 {s.updated}，未变化 {s.unchanged}"]
    if s.invalid:
        parts.append(f"{s.invalid} 行有错误未导入")
    if s.conflicts:
        then = "已生成转会申请" if committed else "确认后将生成转会申请"
        parts.append(f"{s.conflicts} 行已在其他工会登记（{then}）")
    return "；".join(parts) + "。"
