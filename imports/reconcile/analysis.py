"""Compare an outside list (payroll, social-insurance list, a government extract) with the
registry: who is on the list but not registered, who is registered but not on the list,
whose name or phone differ, and who is a member of another union. Writes nothing.

The list is read like a roster (the same reader, header locator, aliases and cell
normalisation as `imports.engine`): at least 姓名 and 证件号码, 工作单位 and 手机号码 when
present; every other column is left alone. Members are looked up by ID in batches.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q

from imports.engine import filetype
from imports.engine.headers import (
    IGNORED,
    Column,
    HeaderMatch,
    filled_count,
    header_text,
    is_example_row,
    is_headerish,
    is_note_row,
    locate_header,
    match_header,
)
from imports.engine.member_rows import ANCHORS, FIELD_LABELS, MEMBER_ALIASES, RowValidator
from imports.engine.problems import FileRejected, RowProblem
from imports.engine.reader import stream_sheets
from members import identity
from members.models import Member
from registry.validators import Problem, check_id_number, clean_number_text, upgrade_15_digit_id
from unions.access import subtree_q
from unions.models import Union, Unit

BATCH = 2000
HEADER_SCAN = 30
READ_FIELDS = ("name", "id_type", "id_number", "mobile", "unit")
# Members that count as registered here: not those whose membership already ended.
REGISTERED = (Member.Status.ACTIVE, Member.Status.RESERVED)
PROBLEMS_KEPT = 1000


@dataclass
class ListRow:
    sheet: str
    row: int
    name: str
    id_type: str
    id_number: str
    mobile: str = ""
    unit_name: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.id_type, self.id_number)


@dataclass
class Match:
    """A list row and the member registered under its ID (as a values() dict)."""

    row: ListRow
    member: dict
    differences: dict = field(default_factory=dict)  # field → registered value
    holder_name: str = ""


@dataclass
class Reconciliation:
    union: Union
    unit: Unit | None = None
    rows: int = 0  # list rows read (people, blank and note lines not counted)
    same: int = 0  # on the list and registered here with the same name and phone
    missing: list[ListRow] = field(default_factory=list)  # 应采未采
    absent: list[dict] = field(default_factory=list)  # registered here, not on the list
    mismatched: list[Match] = field(default_factory=list)
    elsewhere: list[Match] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # rows that could not be compared
    problem_count: int = 0
    duplicates: int = 0
    notices: list[str] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)  # how the list's columns were read
    has_mobile: bool = False

    def counts(self) -> dict:
        return {
            "rows": self.rows,
            "same": self.same,
            "on_list_not_registered": len(self.missing),
            "registered_not_on_list": len(self.absent),
            "mismatched": len(self.mismatched),
            "elsewhere": len(self.elsewhere),
            "problems": self.problem_count,
            "duplicates": self.duplicates,
        }


def _progress(callback, stage: str, done: int, total: int) -> None:
    if callback is not None:
        callback(stage, done, total)


def analyse_list(
    path, *, filename: str = "", union: Union, unit: Unit | None = None, progress=None
) -> Reconciliation:
    """Read the list and compare it with the members of `union`'s subtree (of `unit`, when
    given). Raises FileRejected with a Chinese message when the list cannot be used."""
    path = Path(path)
    filename = filename or path.name
    kind = filetype.sniff(path, filename)
    _progress(progress, "read", 0, 1)
    result = Reconciliation(union=union, unit=unit)
    rows = _read_rows(stream_sheets(path, kind, filename=filename), result, progress)
    _compare(rows, result, progress)
    return result


# ---- reading -------------------------------------------------------------------------


def _list_header(header: HeaderMatch) -> HeaderMatch:
    """The header with every column other than name, ID, phone and unit ignored: a list
    is compared, not imported, so its other columns are neither checked nor kept."""
    columns = [
        Column(c.index, c.header, c.field if c.field in READ_FIELDS else IGNORED)
        for c in header.columns
    ]
    return HeaderMatch(header.row_offset, columns, header.first_offset)


def _no_id_column(sheet: str, header: HeaderMatch) -> str:
    found = "、".join(f"“{c.header}”" for c in header.columns if c.header) or "（无）"
    return (
        f"名单“{sheet}”中没有证件号码列，无法比对。找到的列：{found}。"
        "请加上一列身份证号码（表头写“身份证号码”“公民身份号码”或“证件号码”）后重新上传。"
    )


def _near_header(sheet: str, head: list) -> str:
    """A sheet whose header names too little to be found (姓名 and 序号 alone): the
    first row that names any field, as the columns found."""
    for _number, cells in head:
        found = {match_header(c, MEMBER_ALIASES) for c in cells} if is_headerish(cells) else set()
        if "id_number" in found:
            return f"名单“{sheet}”的表头只认出证件号码一列，比对还需要“姓名”列，请补上后重新上传。"
        if found - {None}:
            columns = [Column(i, header_text(c), None) for i, c in enumerate(cells) if c]
            return _no_id_column(sheet, HeaderMatch(0, columns))
    return ""


def _read_rows(sheets, result: Reconciliation, progress) -> list[ListRow]:
    rows: list[ListRow] = []
    names: list[str] = []
    refusal = ""
    seen: dict[tuple[str, str], ListRow] = {}
    done = 0
    read_any = False
    for sheet in sheets:
        names.append(sheet.name)
        head = list(itertools.islice(sheet.rows, HEADER_SCAN))
        header = locate_header(
            head, MEMBER_ALIASES, anchors=ANCHORS, scan=HEADER_SCAN, merges=sheet.merges
        )
        if header is None:
            if any(filled_count(cells) for _, cells in head):
                refusal = refusal or _near_header(sheet.name, head)
                result.notices.append(f"工作表“{sheet.name}”没有姓名、证件号码等表头，已跳过。")
            continue
        if "id_number" not in header.fields:
            refusal = refusal or _no_id_column(sheet.name, header)
            result.notices.append(f"工作表“{sheet.name}”没有证件号码列，已跳过。")
            continue
        read_any = True
        header = _list_header(header)
        result.has_mobile = result.has_mobile or "mobile" in header.fields
        result.columns.extend(
            {
                "sheet": sheet.name,
                "header": c.header,
                "label": FIELD_LABELS.get(c.field, "不比对") if c.field != IGNORED else "不比对",
            }
            for c in header.columns
        )
        validator = RowValidator(sheet.name, header)
        validator.required = {"name", "id_number"}
        body = itertools.chain(head[header.row_offset + 1 :], sheet.rows)
        header_keys = [header_text(c) for c in head[header.row_offset][1]]
        for number, cells in body:
            done += 1
            if done % 5000 == 0:
                _progress(progress, "validate", done, max(done, sheet.height))
            if is_note_row(cells) or is_example_row(cells) or filled_count(cells) < 2:
                continue
            if [header_text(c) for c in cells] == header_keys:
                continue  # the header repeated on every printed page
            row = _list_row(validator, number, cells, result)
            if row is None:
                continue
            result.rows += 1
            if row.key in seen:
                result.duplicates += 1
                continue
            seen[row.key] = row
            rows.append(row)
    if not read_any:
        if refusal:
            raise FileRejected(refusal)
        shown = "、".join(f"“{n}”" for n in names) or "（无）"
        raise FileRejected(
            f"在工作表{shown}中没有找到名单的表头（至少要有“姓名”和“身份证号码”两列）。请检查表头行。"
        )
    if not result.rows and not result.problem_count:
        raise FileRejected("名单只有表头，没有人员。请检查是否上传了正确的文件。")
    _progress(progress, "validate", done, done)
    return rows


def _list_row(validator: RowValidator, number: int, cells: list, result) -> ListRow | None:
    checked = validator.validate(number, cells)
    if checked is None:
        return None
    # Only the ID decides whether a row can be compared: a name with a stray digit or a
    # phone that is not a mobile number is compared (or left out) as it is.
    id_header = validator.by_field.get("id_number", (0, ""))[1]
    id_type_header = validator.by_field.get("id_type", (0, ""))[1]
    id_problems = [p for p in checked.errors if p.column in (id_header, id_type_header)]
    if checked.key is None and id_problems and id_problems[0].code == "id_format":
        upgraded = _from_15_digits(validator, cells)
        if upgraded is not None:
            checked.key = upgraded
            id_problems = []
    if checked.key is None:
        result.problem_count += 1
        if len(result.problems) < PROBLEMS_KEPT:
            result.problems.append(
                id_problems[0]
                if id_problems
                else RowProblem(checked.sheet, number, "", "required", "缺少证件号码，无法比对。")
            )
        return None
    name = checked.data.get("name") or _raw(validator, cells, "name")
    return ListRow(
        sheet=checked.sheet,
        row=number,
        name=name[:50],
        id_type=checked.key[0],
        id_number=checked.key[1],
        # A phone that is not a mobile number is simply not compared.
        mobile=checked.data.get("mobile", ""),
        unit_name=checked.unit_name,
    )


def _raw(validator: RowValidator, cells: list, name: str) -> str:
    index, _header = validator.by_field.get(name, (None, ""))
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    return str(cells[index]).strip()


def _from_15_digits(validator: RowValidator, cells: list) -> tuple[str, str] | None:
    """A first-generation 15-digit number is compared as the 18 digits it converts to."""
    index, _header = validator.by_field["id_number"]
    number = clean_number_text(cells[index]).upper() if index < len(cells) else ""
    if len(number) != 15 or not number.isdigit():
        return None
    try:
        info = check_id_number(upgrade_15_digit_id(number))
    except Problem:
        return None
    return (info.id_type, info.number)


# ---- comparing -----------------------------------------------------------------------


def _batches(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


MEMBER_VALUES = ("id", "id_type", "id_number", "name", "mobile", "union_id", "unit_id", "status")


def _compare(rows: list[ListRow], result: Reconciliation, progress) -> None:
    union = result.union
    here = subtree_q(union, "union")
    holders: set[int] = set()
    total = len(rows)
    _progress(progress, "match", 0, total)
    done = 0
    for batch in _batches(rows, BATCH):
        wanted = Q()
        by_type: dict[str, set[str]] = {}
        for row in batch:
            by_type.setdefault(row.id_type, set()).add(row.id_number)
        for id_type, numbers in by_type.items():
            hashes = [identity.id_hash(number) for number in numbers]
            wanted |= Q(id_type=id_type, id_hash__any_of=hashes)
        found = {
            (m["id_type"], m["id_number"]): m
            for m in Member.objects.filter(wanted).values(
                *MEMBER_VALUES, "union__tree_id", "union__lft"
            )
        }
        for row in batch:
            member = found.get(row.key)
            if member is None:
                result.missing.append(row)
            elif not _inside(union, member):
                holders.add(member["union_id"])
                result.elsewhere.append(Match(row, member))
            else:
                differences = _differences(row, member)
                if differences:
                    result.mismatched.append(Match(row, member, differences))
                else:
                    result.same += 1
        done += len(batch)
        _progress(progress, "match", done, total)
    names = dict(Union.objects.filter(pk__in=holders).values_list("id", "name"))
    for match in result.elsewhere:
        match.holder_name = names.get(match.member["union_id"], "")
    listed = {row.key for row in rows}
    registered = Member.objects.filter(here, status__in=REGISTERED)
    if result.unit is not None:
        registered = registered.filter(unit=result.unit)
    for member in (
        registered.order_by("union_id", "name", "id")
        .values(*MEMBER_VALUES)
        .iterator(chunk_size=BATCH)
    ):
        if (member["id_type"], member["id_number"]) not in listed:
            result.absent.append(member)


def _inside(union: Union, member: dict) -> bool:
    return (
        member["union__tree_id"] == union.tree_id
        and union.lft <= member["union__lft"] <= union.rght
    )


def _differences(row: ListRow, member: dict) -> dict:
    """Name, and phone when the list has one: {field: registered value}."""
    differences = {}
    if row.name and row.name != member["name"]:
        differences["name"] = member["name"]
    if row.mobile and row.mobile != member["mobile"]:
        differences["mobile"] = member["mobile"]
    return differences
