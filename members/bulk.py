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

COPY_CHUNK = 10_000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def insert(model, rows: list[dict], *, derive=None) -> list[int]:
    """Insert `rows` (dicts by attname; missing fields take their defaults); returns pks.
    `derive(row)` gives more columns of a row, computed as the row is written rather than
    kept for the whole batch (a member's blind indexes and last four: `members.identity`)."""
    if not rows:
        return []
    if not uses_copy():
        objects = [model(**row, **(derive(row) if derive else {})) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return [obj.pk for obj in objects]
    meta = model._meta
    # The database computes generated columns; COPY must not name them.
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
        columns = ", ".join(quote(f.column) for f in fields)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        others = [f for f in fields if not f.primary_key]
        defaults = {f.attname: _copy_value(f.get_default()) for f in others}
        encrypted = [f for f in others if isinstance(f, EncryptedTextField)]

        def render(start: int) -> io.StringIO:
            chunk = rows[start : start + COPY_CHUNK]
            sealed = {
                f.attname: iter(
                    cipher().encrypt_many(
                        [row.get(f.attname) or f.get_default() or "" for row in chunk], f.purpose
                    )
                )
                for f in encrypted
            }
            lines = []
            for pk, row in zip(pks[start : start + COPY_CHUNK], chunk, strict=True):
                if derive is not None:
                    row = {**row, **derive(row)}
                record = [str(pk)]
                for field in others:
                    name = field.attname
                    if name in sealed:
                        record.append(next(sealed[name]))  # base64 and hex: nothing to escape
                    else:
                        record.append(_copy_value(row[name]) if name in row else defaults[name])
                lines.append("\t".join(record))
            return io.StringIO("\n".join(lines) + "\n")

        # The next chunk is rendered while PostgreSQL digests the current one.
        with ThreadPoolExecutor(max_workers=1) as renderer:
            starts = list(range(0, len(rows), COPY_CHUNK))
            pending = renderer.submit(render, starts[0])
            for following in [*starts[1:], None]:
                buffer = pending.result()
                if following is not None:
                    pending = renderer.submit(render, following)
                with connection.wrap_database_errors:
                    cursor.copy_expert(sql, buffer)
    return pks


def _copy_value(value) -> str:
    """COPY text format: \\N is NULL; backslash, tab, newline and CR are escaped."""
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES)
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
