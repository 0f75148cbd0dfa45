"""The cells import problems quote, encrypted at rest: a mistyped ID number or phone is still
personal data. Existing rows are encrypted in place; going back decrypts them (the keys
must still be configured)."""

from django.db import migrations

import registry.crypto

BATCH = 5000


def _convert(apps, schema_editor, forward):
    from registry.crypto import cipher, is_sealed

    table = apps.get_model("imports", "ImportProblem")._meta.db_table
    box = cipher()
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, value FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608 (our names)
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            if forward:
                updates = [
                    (box.encrypt(v or "", "problem_value"), pk)
                    for pk, v in rows
                    if not is_sealed(v)
                ]
            else:
                updates = [
                    (box.decrypt(v, "problem_value")[:200], pk) for pk, v in rows if is_sealed(v)
                ]
            cursor.executemany(f"UPDATE {table} SET value = %s WHERE id = %s", updates)  # noqa: S608


def encrypt(apps, schema_editor):
    _convert(apps, schema_editor, forward=True)


def decrypt(apps, schema_editor):
    _convert(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0005_reconcile_entries_encrypted"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importproblem",
            name="value",
            field=registry.crypto.EncryptedTextField(
                blank=True, purpose="problem_value", verbose_name="填写内容"
            ),
        ),
        migrations.RunPython(encrypt, decrypt),
    ]
