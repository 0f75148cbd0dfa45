"""Find the header of a sheet as people build it, and map its headers to fields.

Sheets arrive with title rows, header-area lines (工会名称:…), merged titles,
headers broken over two lines (会员信息采\\n集（人）), headers of two or three rows
(a group cell such as 会员基本信息 merged across 姓名/性别/身份证号, other cells
merged down across the rows), and notes, signature or contact lines below the
table (填表说明, 备注, 经办人：… 联系电话：…) or a template's 示例 row inside it.
A header is matched by name through aliases; a column with no field keeps its
header so its values can be stored in the member's `extra`.
"""

import re
import unicodedata
from dataclasses import dataclass

_SPACE = re.compile(r"[\s\u3000]+")
_HINT = re.compile(r"[(（][^)）]*[)）]$")
_MARKS = str.maketrans({"*": "", "＊": "", "★": "", "※": "", ":": "", "：": ""})
_DIGIT_RUN = re.compile(r"\d{6}")

IGNORED = "_ignored"

NOTE_PREFIXES = (
    "填表说明",
    "说明",
    "备注",
    "注：",
    "注:",
    "注1",
    "填表人",
    "填报人",
    "制表人",
    "审核人",
    "报送负责人",
    "报送人",
    "负责人签名",
    "单位负责人",
    "联系人",
    "报送时间",
    "填报时间",
    "填表时间",
    "合计",
    "总计",
    "小计",
    "签名",
    "盖章",
    # signature and contact lines: 经办人：张三  联系电话：0736-…
    "经办人",
    "联系电话：",
    "联系电话:",
    "电话：",
    "电话:",
    "审核：",
    "审核:",
    "单位（盖章）",
    "主管领导",
    "分管领导",
    "制表日期",
    "填报日期",
    "填表日期",
)
_NOTE_PREFIXES = tuple(unicodedata.normalize("NFKC", p) for p in NOTE_PREFIXES)
EXAMPLE_MARKS = ("示例", "样例", "范例", "填写示例", "填表示例", "举例", "例:")


def header_text(value: object) -> str:
    """The header as written, without line breaks and surrounding spaces."""
    if value is None:
        return ""
    return _SPACE.sub("", str(value)).strip()


def header_key(value: object) -> str:
    return unicodedata.normalize("NFKC", header_text(value)).translate(_MARKS).upper()


@dataclass
class Column:
    index: int
    header: str  # as written (line breaks removed)
    field: str | None  # None: unknown, kept in `extra`


@dataclass
class HeaderMatch:
    row_offset: int  # index into the sheet's rows: the header's last row
    columns: list[Column]
    first_offset: int = -1  # the header's first row (headers of two or three rows)

    def __post_init__(self) -> None:
        if self.first_offset < 0:
            self.first_offset = self.row_offset

    @property
    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.field and c.field != IGNORED}

    def column_for(self, field: str) -> Column | None:
        for column in self.columns:
            if column.field == field:
                return column
        return None


def build_aliases(table: dict[str, list[str]]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for field_name, names in table.items():
        for name in names:
            aliases[header_key(name)] = field_name
    return aliases


def match_header(value: object, aliases: dict[str, str]) -> str | None:
    key = header_key(value)
    if not key:
        return None
    if key in aliases:
        return aliases[key]
    stripped = _HINT.sub("", key)
    if stripped != key and stripped in aliases:
        return aliases[stripped]
    return None


def _alias_rank(header: str, rank: dict[str, int]) -> int:
    key = header_key(header)
    if key in rank:
        return rank[key]
    return rank.get(_HINT.sub("", key), len(rank))


def is_headerish(cells: list) -> bool:
    """Could this row be (part of) a header: text, at most one stray number or date,
    nothing that looks like an ID number or a phone."""
    texts = others = 0
    for cell in cells:
        if cell is None or cell == "":
            continue
        if not isinstance(cell, str):
            others += 1
            if others > 1:
                return False
        elif _DIGIT_RUN.search(cell):
            return False
        else:
            texts += 1
    return texts > 0


def _spread_across(rows: list[tuple[int, list]], merges) -> list[list]:
    """Copies of the rows with each cell merged across columns repeated in every column
    it covers (a group header over its sub-columns)."""
    by_row: dict[int, list[tuple[int, int]]] = {}
    for (first_row, first_col), (last_row, last_col) in merges or ():
        if last_col > first_col and first_row < len(rows):
            for r in range(first_row, last_row + 1):
                by_row.setdefault(r, []).append((first_col, last_col))
    spread = []
    for number, cells in rows:
        cells = list(cells)
        for first_col, last_col in by_row.get(number - 1, ()):
            if first_col < len(cells) and not is_blank(cells[first_col]):
                if last_col >= len(cells):
                    cells.extend([""] * (last_col + 1 - len(cells)))
                for c in range(first_col + 1, last_col + 1):
                    if is_blank(cells[c]):
                        cells[c] = cells[first_col]
        spread.append(cells)
    return spread


def locate_header(
    rows: list[tuple[int, list]],
    aliases: dict[str, str],
    *,
    anchors: set[str],
    scan: int = 30,
    merges=None,
    depth: int = 3,
) -> HeaderMatch | None:
    """The header among the top `scan` rows with the most recognised fields (at least
    two, one of them an anchor field such as 姓名 or 证件号码): one row, or two or three
    consecutive text rows read together. Per column the lowest row that names a field
    wins, so 学历 written in the first row (merged down or not) counts as much as 姓名
    under its group cell in the second. Ties go to the shallower, earlier header."""
    top = _spread_across(rows[:scan], merges)
    found_rows = [[match_header(cell, aliases) for cell in cells] for cells in top]
    headerish = [is_headerish(cells) for cells in top]
    rank = {key: position for position, key in enumerate(aliases)}
    best: HeaderMatch | None = None
    best_score = 1
    for end in range(len(top)):
        if not headerish[end]:
            continue
        for size in range(1, depth + 1):
            start = end - size + 1
            if start < 0 or not headerish[start]:
                break
            chosen = _read_band(top, found_rows, start, end)
            fields = {f for f, _, _ in chosen if f and f != IGNORED}
            if not fields & anchors or len(fields) <= best_score:
                continue
            best_score = len(fields)
            best = _header_match(chosen, top, start, end, rank)
    if best is not None:
        # Group rows above that name no field themselves (会员基本信息 over 姓名/性别, with
        # 学历 merged down beside it) still belong to the header.
        while (
            best.row_offset - best.first_offset + 1 < depth
            and best.first_offset > 0
            and _is_group_row(top[best.first_offset - 1])
        ):
            best.first_offset -= 1
    return best


def _is_group_row(cells: list) -> bool:
    """Text cells over several columns, none of them a 工会名称：… line or a title."""
    if not is_headerish(cells):
        return False
    texts = {header_text(c) for c in cells if not is_blank(c)}
    return len(texts) >= 2 and not any(":" in t or "：" in t for t in texts)


def _read_band(top, found_rows, start: int, end: int) -> list[tuple[str | None, str, int]]:
    """Per column of the rows start..end: (field, header, row it was read from)."""
    width = max(len(top[r]) for r in range(start, end + 1))
    chosen = []
    for index in range(width):
        found, header, source = None, "", -1
        for r in range(end, start - 1, -1):  # the lowest row first
            cells = top[r]
            if index >= len(cells) or is_blank(cells[index]):
                continue
            if not header:
                header, source = header_text(cells[index]), r
            if found_rows[r][index]:
                found, header, source = found_rows[r][index], header_text(cells[index]), r
                break
        chosen.append((found, header, source))
    return chosen


def _header_match(chosen, top, start: int, end: int, rank: dict) -> HeaderMatch:
    # Two columns for one field (手机号码 and 联系电话): the better-known name wins,
    # the other keeps its values in extra.
    owner: dict[str, tuple[int, int]] = {}
    for index, (found, header, _) in enumerate(chosen):
        if found and found != IGNORED:
            candidate = (_alias_rank(header, rank), index)
            owner[found] = min(owner.get(found, candidate), candidate)
    columns: list[Column] = []
    seen: set[str] = set()
    for index, (found, header, source) in enumerate(chosen):
        if not header:
            continue
        if found and found != IGNORED and owner[found][1] != index:
            found = None
        if found is None and header in seen:
            # An unknown sub-column named like another (家庭成员 / 姓名): add its group.
            groups = [
                header_text(top[r][index])
                for r in range(start, source)
                if index < len(top[r]) and not is_blank(top[r][index])
            ]
            if groups and groups[-1] != header:
                header = f"{groups[-1]}/{header}"
        seen.add(header)
        columns.append(Column(index=index, header=header, field=found))
    return HeaderMatch(row_offset=end, columns=columns, first_offset=start)


def is_note_row(cells: list) -> bool:
    """Notes, signature and contact lines below the table: not members, not errors."""
    for cell in cells:
        if cell is None or cell == "":
            continue
        if not isinstance(cell, str):
            return False
        text = header_text(cell)
        if not text:
            continue
        text = unicodedata.normalize("NFKC", text)
        return text.startswith(_NOTE_PREFIXES)
    return False


def is_example_row(cells: list) -> bool:
    """A template's example row left in the table: 示例 (样例, 例：…) in one of its first
    two filled cells, or a value marked （示例）."""
    seen = 0
    for cell in cells:
        if is_blank(cell):
            continue
        seen += 1
        if isinstance(cell, str):
            text = unicodedata.normalize("NFKC", header_text(cell))
            if text.startswith(EXAMPLE_MARKS) or text == "例" or text.endswith("(示例)"):
                return True
        if seen == 2:
            return False
    return False


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def filled_count(cells: list) -> int:
    return sum(1 for cell in cells if not is_blank(cell))


_UNION_LINE = re.compile(r"工会名称\s*:\s*(.*)")
_NEXT_LABEL = re.compile(r"\s+\S{1,8}:")
_UNION_CODE = re.compile(r"(?:工会)?编码\s*:\s*([0-9A-Za-z]{4,})")


def union_line(cells: list) -> tuple[str, str] | None:
    """(name, code) from a 工会名称：… line above a table, as the system's own templates
    write it (工会名称：X　编码：Y　下载时间：…) or as people do (工会名称： | X in the next
    cell). None when the row is no such line."""
    texts = [unicodedata.normalize("NFKC", str(c)).strip() for c in cells if not is_blank(c)]
    for position, text in enumerate(texts):
        found = _UNION_LINE.search(text)
        if found is None:
            continue
        name = _NEXT_LABEL.split(found.group(1), maxsplit=1)[0].strip()
        rest = " ".join(texts[position:])
        if not name and position + 1 < len(texts) and ":" not in texts[position + 1]:
            name = texts[position + 1]
        code = _UNION_CODE.search(rest)
        name = _SPACE.sub("", name)
        if name or code:
            return name, code.group(1).upper() if code else ""
    return None
