"""`manage.py backup` (issue 14 item 4): a dump of the whole database that restores into a
fresh database with the same unions, members and audit entries."""

import io
import os
import sqlite3
import stat
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from members.models import Member
from unions import audit
from unions.models import AuditEntry, Union

RESTORE_DB = "gonghui_cov_restore"


def fill(tree, make_member):
    for union in (tree["base"], tree["group"], tree["school"]):
        for _ in range(3):
            make_member(union)
    audit.record(AuditEntry.Action.EXPORT, union=tree["county"], detail={"report": "test"})
    return {
        "unions": Union.objects.count(),
        "members": Member.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def run_backup(*args) -> str:
    out = io.StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


def counted(cursor) -> dict:
    result = {}
    for key, model in (("unions", Union), ("members", Member), ("audit", AuditEntry)):
        cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table}")  # noqa: S608
        result[key] = cursor.fetchone()[0]
    return result


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore need PostgreSQL (set DATABASE_URL); SQLite is tested below",
)
@pytest.mark.django_db(transaction=True)  # committed, so pg_dump's own session sees the data
def test_backup_restores_into_a_fresh_postgresql_database(tree, make_member, tmp_path):
    import psycopg2

    expected = fill(tree, make_member)

    message = run_backup("--output", f"{tmp_path}/")

    (dump,) = tmp_path.glob("*.dump")
    assert f"已备份到 {dump}" in message and f"{dump.stat().st_size} 字节" in message
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # personal data: the owner only
    # the backup itself is audited, in the live database (after the dump was taken)
    assert AuditEntry.objects.count() == expected["audit"] + 1
    db = connection.settings_dict
    server = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"] or None}
    env = {**os.environ, **({"PGPASSWORD": db["PASSWORD"]} if db["PASSWORD"] else {})}
    admin = psycopg2.connect(dbname="postgres", password=db["PASSWORD"] or None, **server)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
            cur.execute(f'CREATE DATABASE "{RESTORE_DB}"')
        command = ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", RESTORE_DB]
        for option, value in (
            ("--host", db["HOST"]),
            ("--port", db["PORT"]),
            ("--username", db["USER"]),
        ):
            if value:
                command += [option, str(value)]
        subprocess.run([*command, str(dump)], env=env, check=True, capture_output=True)  # noqa: S603
        restored = psycopg2.connect(dbname=RESTORE_DB, password=db["PASSWORD"] or None, **server)
        try:
            with restored.cursor() as cur:
                assert counted(cur) == expected
                cur.execute(
                    f"SELECT name FROM {Union._meta.db_table} WHERE id = %s",  # noqa: S608
                    [tree["county"].pk],
                )
                assert cur.fetchone() == ("桃源县总工会",)
        finally:
            restored.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
        admin.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backup API path")
@pytest.mark.django_db(transaction=True)
def test_backup_of_sqlite_is_a_database_with_the_same_counts(tree, make_member, tmp_path):
    expected = fill(tree, make_member)
    target = tmp_path / "copy.sqlite3"

    message = run_backup("--output", str(target))

    assert f"已备份到 {target}" in message
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    copy = sqlite3.connect(target)
    try:
        assert counted(copy.cursor()) == expected
    finally:
        copy.close()


@pytest.mark.django_db(transaction=True)
def test_backup_never_overwrites_a_file(tree, tmp_path):
    target = tmp_path / "backup.dump"
    target.write_bytes(b"an earlier backup")

    with pytest.raises(CommandError, match="已存在，不覆盖"):
        run_backup("--output", str(target))

    assert target.read_bytes() == b"an earlier backup"
    assert list(tmp_path.iterdir()) == [target]  # no partial file left behind
