"""Export members to xlsx or CSV: every column including extras, IDs and phones as text,
no cell a spreadsheet would run as a formula.

COLUMNS says what is exported (header, getter on a member); the rest is how the file is
written. The xlsx writer was chosen by measurement (benchmarks/xlsx_writers.py,
docs/decisions.md).
"""

import codecs
import csv
import datetime
import io
import itertools
import json
import time

from django.db import connections, models

from registry.cells import FORMULA_STARTS, safe_text
from registry.crypto import EncryptedTextField, cipher
from registry.validators import mask_id, mask_phone

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


def _remember_paths(unions) -> None:
    """Fill `union_path`'s memory for `unions` at once: their ancestors are read a tree
    level per query (a few queries per batch of members) instead of one query per union
    — at 100,000 members spread over 10,000 unions those queries were most of an
    export's time."""
    from unions.models import Union

    now = time.monotonic()
    wanted = [u for u in unions if u.pk not in _PATHS or now - _PATHS[u.pk][0] > 60]
    if not wanted:
        return
    known = {u.pk: (u.name, u.parent_id) for u in wanted}
    asked: set = set()
    while missing := {p for _n, p in known.values() if p and p not in known} - asked:
        asked |= missing
        for pk, name, parent in Union.objects.filter(pk__in=missing).values_list(
            "pk", "name", "parent_id"
        ):
            known[pk] = (name, parent)
    if len(_PATHS) > 20000:
        _PATHS.clear()
    for union in wanted:
        names, node = [], union.pk
        while node in known:
            name, node = known[node]
            names.append(name)
        _PATHS[union.pk] = (now, " / ".join(reversed(names)))


# Every column is read back by the import engine (imports/engine/member_rows.py):
# 所在工会, 工会编码 and 工会路径 name the union; 会籍状态 is compared, never written
# (a difference is a warning pointing to 会籍变动); 最近核查 is ignored. So an export
# imported again unchanged gives only "未变化" (tests/imports/test_round_trips.py).
# Each column names what it shows: the member's union (name, code, path), or a Member
# field, written as the field's kind says (`_cell`): a choice as its label, an encrypted
# field decrypted, a date as a date, a yes/no as 是/否, the work unit by its name.
COLUMNS = [
    ("所在工会", "union.name"),
    ("工会编码", "union.code"),
    ("工会路径", "union.path"),
    ("姓名", "name"),
    ("证件类型", "id_type"),
    ("证件号码", "id_number"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("民族", "ethnicity"),
    ("政治面貌", "political_status"),
    ("学历", "education"),
    ("手机号码", "mobile"),
    ("入会时间", "join_date"),
    ("户籍类型", "household_type"),
    ("就业状况", "employment_status"),
    ("新就业形态劳动者", "new_employment_form"),
    ("工会职务", "union_post"),
    ("专兼职", "post_type"),
    # An unregistered unit is kept in extra["工作单位"] by the import.
    ("工作单位", "unit"),
    ("会籍状态", "status"),
    ("最近核查", "confirmed_at"),
]
TEXT_COLUMNS = {"证件号码", "手机号码", "工会编码"}
UNIT_EXTRA = "工作单位"

# For read-only accounts: IDs and phones as lists show them.
MASKED = {"id_number": mask_id, "mobile": mask_phone}

PROGRESS_EVERY = 2000  # rows between two progress reports
CHUNK = 5000  # rows per fetch from the database's cursor


def export_members(
    queryset, out_path, *, masked: bool = False, fmt: str = "xlsx", progress=None
) -> int:
    """Write `queryset` (already narrowed by the access rule) to `out_path` (a path or a
    binary file) as xlsx or CSV (UTF-8 with BOM); returns rows. With `masked`, IDs and
    phones are written as lists show them (for read-only accounts). `progress(done)` is
    called every PROGRESS_EVERY rows and at the end."""
    queryset = queryset.order_by("union__lft", "id")
    extras = _extra_keys(queryset)
    header = [safe_text(name) for name in [*(n for n, _ in COLUMNS), *extras]]
    rows = _rows(queryset, extras, masked=masked, progress=progress)
    if fmt == "csv":
        return _write_csv(out_path, header, rows)
    return _write_xlsx(out_path, header, rows)


def _extra_keys(queryset) -> list[str]:
    """Every extra key any selected member has. PostgreSQL lists them itself (one
    DISTINCT over jsonb_object_keys, sorted); elsewhere one pass over the JSON column,
    in first-seen order."""
    columns = {name for name, _ in COLUMNS}
    connection = connections[queryset.db]  # the replica's, for an export routed there
    if connection.vendor == "postgresql":
        inner, params = queryset.order_by().values("extra").query.sql_with_params()
        with connection.cursor() as cursor:
            # `inner` is Django's own compiled SQL; every value is a parameter.
            cursor.execute(
                f"SELECT DISTINCT jsonb_object_keys(q.extra) AS k FROM ({inner}) q"  # noqa: S608
                " WHERE jsonb_typeof(q.extra) = 'object' ORDER BY k",
                params,
            )
            return [k for (k,) in cursor.fetchall() if k not in columns]
    extra_keys: dict[str, None] = {}
    for extra in queryset.values_list("extra", flat=True).iterator(chunk_size=5000):
        for key in extra or {}:
            extra_keys.setdefault(key, None)
    return [k for k in extra_keys if k not in columns]


def _rows(queryset, extras, *, masked: bool, progress):
    """One list of values per member: text already made safe (no formula), dates as
    dates, empty cells as None.

    At 100,000 members the per-cell work is what an export costs, so the rows are read
    as the database holds them (one server-side cursor, no model instances, no Django
    field conversions) and each column gets one converter chosen once (`_cell`): a
    label from a dict made once, a decryption through one AES-GCM object per purpose.
    Unions, their paths and units are read once per batch of rows that needs them."""
    from members.models import Member

    places = _Places()
    fields = ["union_id", "extra"]
    cells = []
    for _name, source in COLUMNS:
        if source.startswith("union."):
            convert, field = places.union_cell(source.removeprefix("union.")), "union_id"
        elif source == "unit":
            convert, field = places.units.__getitem__, "unit_id"
        else:
            field = source
            convert = _cell(Member._meta.get_field(source), MASKED.get(source) if masked else None)
        if field not in fields:
            fields.append(field)
        cells.append((convert, fields.index(field)))
    unit_at = [source for _n, source in COLUMNS].index("unit")
    unit_id_at = fields.index("unit_id")
    none = [None] * len(extras)
    count = 0
    for batch in _fetch(queryset, fields):
        places.read(batch, fields.index("union_id"), unit_id_at)
        for values in batch:
            row = [convert(values[at]) for convert, at in cells]
            extra = values[1]
            if extra and type(extra) is str:
                extra = json.loads(extra)
            if not isinstance(extra, dict):
                extra = {}
            if values[unit_id_at] is None:
                row[unit_at] = _value(extra.get(UNIT_EXTRA))
            row.extend([_value(extra.get(key)) for key in extras] if extra else none)
            yield row
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    if progress is not None:
        progress(count)


def _fetch(queryset, fields):
    """Batches of plain rows of `fields`, as the database holds them (encrypted fields
    sealed, `extra` as JSON text), through a server-side cursor where the database
    allows one (as QuerySet.iterator() would): memory stays flat."""
    connection = connections[queryset.db]
    query = queryset.select_related(None).values_list(*fields).query
    sql, params = query.get_compiler(queryset.db).as_sql()
    server_side = connection.features.can_use_chunked_reads and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    )
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK):
            yield batch


class _Places:
    """The cells naming a member's union (name, code, path) and work unit, by id, read
    for a batch of rows at once (the paths a tree level per query, `_remember_paths`)."""

    def __init__(self):
        self.unions: dict[str, dict] = {"name": {}, "code": {}, "path": {}}
        self.units: dict = {None: None}

    def union_cell(self, attribute: str):
        return self.unions[attribute].__getitem__

    def read(self, batch, union_at: int, unit_at: int) -> None:
        from unions.models import Union, Unit

        names = self.unions["name"]
        missing = {v[union_at] for v in batch} - names.keys()
        if missing:
            found = Union.objects.in_bulk(missing)
            _remember_paths(found.values())
            for pk, union in found.items():
                names[pk] = _value(union.name)
                self.unions["code"][pk] = _value(union.code)
                self.unions["path"][pk] = _value(union_path(union))
        missing = {v[unit_at] for v in batch} - self.units.keys()
        if missing:
            found = Unit.objects.filter(pk__in=missing).values_list("pk", "name")
            self.units.update((pk, _value(name)) for pk, name in found)


class _Labels(dict):
    """code → the cell of its label; a code without one is written as it is."""

    def __missing__(self, value):
        return _value(value)


_YES_NO = {None: None, True: "是", False: "否"}


def _cell(field, mask=None):
    """The converter from a stored value of `field` to its cell."""
    if field.choices:
        return _Labels(
            {value: _value(str(label)) for value, label in field.flatchoices}
        ).__getitem__
    if isinstance(field, EncryptedTextField):
        decrypt = cipher().decryptor(field.purpose)
        if mask is None:
            return lambda stored: None if stored is None else _value(decrypt(stored))
        return lambda stored: None if stored is None else _value(mask(decrypt(stored)))
    if isinstance(field, models.BooleanField):
        return _YES_NO.__getitem__
    if isinstance(field, models.DateTimeField):
        return lambda value: value.date() if value else None
    return _value


def _value(value):
    """A cell's value: None for empty, dates as they are, anything else as safe text
    (registry.cells.safe_text, inlined: it runs for every cell)."""
    if value is None or value == "":
        return None
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, datetime.date):
        return value
    return safe_text(value)


def _write_csv(out_path, header, rows) -> int:
    """CSV for other systems: UTF-8 with a BOM (so Excel reads the Chinese), every value
    as text, dates as YYYY-MM-DD, an empty cell as nothing. Rows are formatted a batch
    at a time into memory and encoded at once: half the time of a write per row."""
    handle, close = _open(out_path)
    try:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        handle.write(codecs.BOM_UTF8)
        count = 0
        rows = iter(rows)
        while batch := list(itertools.islice(rows, CHUNK)):
            writer.writerows(batch)  # None is written as an empty field
            count += len(batch)
            _flush(text, handle)
        _flush(text, handle)
    finally:
        if close:
            handle.close()
    return count


def _flush(text: io.StringIO, handle) -> None:
    handle.write(text.getvalue().encode())
    text.seek(0)
    text.truncate()


def _write_xlsx(out_path, header, rows) -> int:
    """xlsx through rustpy-xlsxwriter (rust_xlsxwriter underneath), streaming: rows are
    written as they come and memory stays flat. It writes every str as a string cell
    (never a formula; the values are made safe above anyway), dates with a date format,
    and the ID, phone and code columns carry the text format "@" so a user typing into
    them later keeps text too."""
    from rustpy_xlsxwriter import Format, write_worksheet

    count = 0

    def records():
        nonlocal count
        for row in rows:
            count += 1
            yield dict(zip(header, row, strict=True))

    text = Format().set_num_format("@")
    write_worksheet(
        records(),
        out_path,
        sheet_name="会员",
        bold_headers=True,
        datetime_format="yyyy-mm-dd",
        column_formats={name: text for name in TEXT_COLUMNS},
        freeze_row=1,
    )
    if count == 0:  # no records: the writer knows no header either; write it alone
        _header_only(out_path, header)
    return count


def _header_only(out_path, header) -> None:
    from rustpy_xlsxwriter import write_worksheet

    if hasattr(out_path, "seek"):
        out_path.seek(0)
        out_path.truncate()
    write_worksheet([dict.fromkeys(header, "")], out_path, sheet_name="会员", bold_headers=True)


def _open(out_path):
    if hasattr(out_path, "write"):
        return out_path, False
    return open(out_path, "wb"), True  # noqa: SIM115 - closed by the caller
