"""Find the header row of a sheet as people fill it, and map its headers to fields.

Sheets arrive with title rows, header-area lines (工会名称:…), merged titles,
headers broken over two lines (会员信息采\\n集（人）) and notes or signature
lines below the table (填表说明, 备注, 填表人, 报送负责人签名). A header is
matched by name through aliases; a column with no field keeps its header so
its values can be stored in the member's `extra`.
"""

import re
import unicodedata
from dataclasses import dataclass

_SPACE = re.compile(r"[\s\u3000]+")
_HINT = re.compile(r"[(（][^)）]*[)）]$")
_MARKS = str.maketrans({"*": "", "＊": "", "★": "", "※": "", ":": "", "：": ""})

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
)


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
    row_offset: int  # index into the sheet's rows
    columns: list[Column]

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
    for field, names in table.items():
        for name in names:
            aliases[header_key(name)] = field
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


def _alias_key(value: object, aliases: dict[str, str]) -> str:
    key = header_key(value)
    return key if key in aliases else _HINT.sub("", key)


def locate_header(
    rows: list[tuple[int, list]],
    aliases: dict[str, str],
    *,
    anchors: set[str],
    scan: int = 30,
) -> HeaderMatch | None:
    """The first row among the top `scan` rows with the most recognised headers
    (at least two, one of them an anchor field such as 姓名 or 证件号码)."""
    best: HeaderMatch | None = None
    best_score = 1
    for offset, (_, cells) in enumerate(rows[:scan]):
        found = [match_header(cell, aliases) for cell in cells]
        fields = {f for f in found if f and f != IGNORED}
        if not fields & anchors or len(fields) <= best_score:
            continue
        best_score = len(fields)
        # Two columns for one field (手机号码 and 联系电话): the better-known name wins,
        # the other keeps its values in extra.
        rank = {key: position for position, key in enumerate(aliases)}
        owner: dict[str, tuple[int, int]] = {}
        for index, (cell, field) in enumerate(zip(cells, found, strict=True)):
            if field and field != IGNORED:
                candidate = (rank.get(_alias_key(cell, aliases), len(rank)), index)
                owner[field] = min(owner.get(field, candidate), candidate)
        columns: list[Column] = []
        for index, (cell, field) in enumerate(zip(cells, found, strict=True)):
            header = header_text(cell)
            if not header:
                continue
            if field and field != IGNORED and owner[field][1] != index:
                field = None
            columns.append(Column(index=index, header=header, field=field))
        best = HeaderMatch(row_offset=offset, columns=columns)
    return best


def is_note_row(cells: list) -> bool:
    """Notes and signature lines below the table: not members, not errors."""
    for cell in cells:
        if cell is None or cell == "":
            continue
        if not isinstance(cell, str):
            return False
        text = header_text(cell)
        if not text:
            continue
        text = unicodedata.normalize("NFKC", text)
        return text.startswith(tuple(unicodedata.normalize("NFKC", p) for p in NOTE_PREFIXES))
    return False


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def filled_count(cells: list) -> int:
    return sum(1 for cell in cells if not is_blank(cell))
