"""Bulk inserts: PostgreSQL COPY when available, Django's bulk_create elsewhere.

COPY moves 100,000 members in a few seconds; bulk_create spends most of its
time preparing each value through the field machinery. Encrypted fields (the ID number
and phone, registry/crypto.py) are encrypted here for COPY, a chunk at a time with one
AES-GCM object. Primary keys are taken
from the table's sequence up front so dependent rows (membership events) can
point at the new members without reading them back.
"""

import datetime
import io
import json
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from registry.crypto import EncryptedTextField, cipher

COPY_CHUNK = 5_000  # rows rendered at a time (two chunks are in memory at once)
COPY_READ = 1 << 20
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def insert(
    model, rows: list[dict], *, derive=None, common: dict | None = None, pks: bool = True
) -> list[int]:
    """Insert `rows` (dicts by attname; missing fields take their defaults); returns pks
    (none with `pks=False`: the table's default numbers the rows, one round trip less).
    `derive(row)` gives more columns of a row, computed as the row is written rather than
    kept for the whole batch (a member's blind indexes and last four: `members.identity`);
    `common` holds the values every row shares (kept once, not in each row's dict)."""
    if not rows:
        return []
    common = common or {}
    if not uses_copy():
        objects = [model(**common, **({**row, **derive(row)} if derive else row)) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return [obj.pk for obj in objects] if pks else []
    meta = model._meta
    # The database computes generated columns; COPY must not name them.
    fields = [
        f
        for f in meta.concrete_fields
        if not getattr(f, "generated", False) and (pks or not f.primary_key)
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        numbers = _take_numbers(cursor, meta, len(rows)) if pks else []
        columns = ", ".join(quote(f.column) for f in fields)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        others = [f for f in fields if not f.primary_key]
        defaults = {f.attname: _copy_value(f.get_default()) for f in others}
        defaults.update((name, _copy_value(value)) for name, value in common.items())
        encrypted = {f.attname for f in others if isinstance(f, EncryptedTextField)}

        def render(start: int) -> io.BytesIO:
            chunk = rows[start : start + COPY_CHUNK]
            more = [derive(row) for row in chunk] if derive is not None else []
            derived = set().union(*more)
            columns = [list(map(str, numbers[start : start + COPY_CHUNK]))] if pks else []
            for field in others:
                name = field.attname
                if name in encrypted:
                    # base64 and hex: nothing to escape
                    plain = [
                        row.get(name) or common.get(name) or field.get_default() or ""
                        for row in chunk
                    ]
                    columns.append(cipher().encrypt_many(plain, field.purpose))
                    continue
                if name in derived:
                    values = [
                        extra.get(name, row.get(name, MISSING))
                        for row, extra in zip(chunk, more, strict=True)
                    ]
                else:
                    values = [row.get(name, MISSING) for row in chunk]
                columns.append(copy_column(values, defaults[name]))
            # Bytes, not a StringIO: a StringIO keeps four bytes per character once a
            # name in Chinese is in it, UTF-8 about one (the base64 ciphertexts dominate).
            text = "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"
            return io.BytesIO(text.encode())

        # The next chunk is rendered while PostgreSQL digests the current one.
        with ThreadPoolExecutor(max_workers=1) as renderer:
            starts = list(range(0, len(rows), COPY_CHUNK))
            pending = renderer.submit(render, starts[0])
            for following in [*starts[1:], None]:
                buffer = pending.result()
                if following is not None:
                    pending = renderer.submit(render, following)
                with connection.wrap_database_errors:
                    # Read in 1 MB pieces (the third argument): psycopg2 reads 8 kB at a
                    # time by default, each read waiting for the GIL the renderer holds.
                    cursor.copy_expert(sql, buffer, COPY_READ)
    return numbers


def _take_numbers(cursor, meta, count: int) -> list[int]:
    """`count` primary keys from the table's sequence, so dependent rows can point at the
    new rows without reading them back. The sequence is looked up once: asked for in each
    row, pg_get_serial_sequence costs more than the numbers themselves."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
    (sequence,) = cursor.fetchone()
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
    return [pk for (pk,) in cursor.fetchall()]


class _Missing:
    """A field the row does not carry: it takes the column's default."""


MISSING = _Missing()
_SPECIAL = ("\\", "\t", "\n", "\r")
# Values rendered once per distinct value in a column (a roster repeats its dates, codes,
# union and timestamps down the sheet). True == 1 as dict keys, so not both in one column;
# two aware datetimes of one instant share a text, which PostgreSQL reads as that instant.
_MEMO_KINDS = frozenset({str, int, bool, type(None), _Missing, datetime.date, datetime.datetime})
_json = json.JSONEncoder(ensure_ascii=False).encode


def copy_column(values: list, default: str) -> list[str]:
    """One column of a chunk in COPY text format (`MISSING` takes `default`, already
    rendered). Rendered a column at a time by the kinds of value it holds: the same text
    as `_copy_value` per cell, at a fraction of the cost (one function call per cell was
    most of the import's rendering time)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        if _needs_escape(values):
            return [value.translate(_ESCAPES) for value in values]
        return values
    if kinds == {dict}:
        texts = list(map(_json, values))
        return [text.translate(_ESCAPES) for text in texts] if _needs_escape(texts) else texts
    if kinds == {_Missing}:
        return [default] * len(values)
    if kinds <= _MEMO_KINDS and not (bool in kinds and int in kinds):
        texts = {
            value: default if value is MISSING else _copy_value(value) for value in set(values)
        }
        return list(map(texts.__getitem__, values))
    return [default if value is MISSING else _copy_value(value) for value in values]


def _needs_escape(texts: list[str]) -> bool:
    joined = "".join(texts)
    return any(special in joined for special in _SPECIAL)


def _copy_value(value) -> str:
    """COPY text format: \\N is NULL; backslash, tab, newline and CR are escaped."""
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_ESCAPES)
        return value
    if value is None:
        return NULL
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind in (datetime.date, datetime.datetime):
        return value.isoformat()
    if kind in (dict, list):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)
