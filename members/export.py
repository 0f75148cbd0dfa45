"""Export members to xlsx or CSV: every column including extras, IDs and phones as text,
no cell a spreadsheet would run as a formula.

COLUMNS says what is exported (header, getter on a member); the rest is how the file is
written. The xlsx writer was chosen by measurement (benchmarks/xlsx_writers.py,
docs/decisions.md).
"""

import csv
import datetime
import io
import time

from django.db import connections

from registry.cells import FORMULA_STARTS, safe_text

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

PROGRESS_EVERY = 2000  # rows between two progress reports


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
    dates, empty cells as None."""
    getters = [(MASKED[name] if masked and name in MASKED else getter) for name, getter in COLUMNS]
    count = 0
    for member in _members(queryset):
        row = [_value(getter(member)) for getter in getters]
        extra = member.extra or {}
        row.extend(_value(extra.get(key)) for key in extras)
        yield row
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(count)


def _members(queryset, chunk_size: int = 5000):
    """The members of `queryset` as COLUMNS' getters read them — every field, `union` and
    `unit`, `get_FOO_display()` and Member's properties — but built from plain rows
    (`values_list`) instead of a model instance each: at 100,000 members the instances
    and Django's per-call choice lookups were most of an export's time. Unions and units
    are real instances, read once each."""
    from members.models import Member
    from unions.models import Union, Unit

    meta = Member._meta
    names = [f.attname for f in meta.concrete_fields]
    row_class = _row_class(Member)
    unions: dict = {}
    units: dict = {}
    rows = queryset.select_related(None).values_list(*names).iterator(chunk_size=chunk_size)
    batch = []
    for values in rows:
        batch.append(values)
        if len(batch) == chunk_size:
            yield from _bind(batch, names, row_class, unions, units, Union, Unit)
            batch = []
    yield from _bind(batch, names, row_class, unions, units, Union, Unit)


def _bind(batch, names, row_class, unions, units, union_model, unit_model):
    union_at, unit_at = names.index("union_id"), names.index("unit_id")
    missing = {v[union_at] for v in batch} - unions.keys()
    if missing:
        found = union_model.objects.in_bulk(missing)
        unions.update(found)
        _remember_paths(found.values())
    missing = {v[unit_at] for v in batch if v[unit_at] is not None} - units.keys()
    if missing:
        units.update(unit_model.objects.in_bulk(missing))
    for values in batch:
        member = row_class()
        member.__dict__.update(zip(names, values, strict=True))
        member.union = unions[values[union_at]]
        member.unit = units.get(values[unit_at])
        yield member


def _row_class(model):
    """A plain class with the model's get_FOO_display() (labels translated once) and
    properties (masked_id, …), for rows that carry the model's field values."""
    attrs = {"__slots__": ("__dict__",)}
    for field in model._meta.concrete_fields:
        if field.choices:
            labels = {value: str(label) for value, label in field.flatchoices}
            attrs[f"get_{field.name}_display"] = lambda self, _labels=labels, _name=field.attname: (
                _labels.get(getattr(self, _name), getattr(self, _name))
            )
    for name in dir(model):
        if isinstance(getattr(model, name, None), property):
            attrs[name] = getattr(model, name)
    return type(f"Exported{model.__name__}", (), attrs)


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
    as text, dates as YYYY-MM-DD."""
    handle, close = _open(out_path)
    try:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
        text.flush()
        text.detach()
    finally:
        if close:
            handle.close()
    return count


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
