"""Applications' ID numbers and phones, and SMS codes' phones, encrypted at rest (issue 16).

Existing rows are encrypted in place and their phone blind index filled in. Reversible:
going back decrypts in place (the keys must still be configured).
"""

from django.db import migrations, models

import registry.crypto


def _convert(apps, schema_editor, model, columns, forward):
    from registry.crypto import blind_index, cipher, is_sealed

    table = apps.get_model("selfservice", model)._meta.db_table
    box = cipher()
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table}")  # noqa: S608 (our names)
        rows = cursor.fetchall()
        updates = []
        for pk, *values in rows:
            if forward:
                if is_sealed(values[-1]):
                    continue
                # columns end with "mobile": the blind index is of the plain phone
                new = [box.encrypt(v or "", c) for c, v in zip(columns, values, strict=True)]
                new.append(blind_index("mobile", values[-1] or ""))
            else:
                if not is_sealed(values[-1]):
                    continue
                new = [box.decrypt(v, c) for c, v in zip(columns, values, strict=True)]
            updates.append((*new, pk))
        sets = ", ".join(f"{c} = %s" for c in columns)
        if forward:
            sets += ", mobile_hash = %s"
        sql = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608 (our names)
        cursor.executemany(sql, updates)


def encrypt(apps, schema_editor):
    _convert(apps, schema_editor, "Application", ["id_number", "mobile"], forward=True)
    _convert(apps, schema_editor, "PhoneCode", ["mobile"], forward=True)


def decrypt(apps, schema_editor):
    _convert(apps, schema_editor, "Application", ["id_number", "mobile"], forward=False)
    _convert(apps, schema_editor, "PhoneCode", ["mobile"], forward=False)


def seal_corrections(apps, schema_editor):
    """A requested new phone moves from the JSON into its encrypted column."""
    CorrectionRequest = apps.get_model("selfservice", "CorrectionRequest")
    for correction in CorrectionRequest.objects.iterator():
        if "mobile" in correction.data:
            data = dict(correction.data)
            correction.mobile = data.pop("mobile") or ""
            correction.data = data
            correction.save(update_fields=["data", "mobile"])


def unseal_corrections(apps, schema_editor):
    CorrectionRequest = apps.get_model("selfservice", "CorrectionRequest")
    for correction in CorrectionRequest.objects.iterator():
        if correction.mobile:
            correction.data = {**correction.data, "mobile": correction.mobile}
            correction.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("selfservice", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="mobile_hash",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="phonecode",
            name="mobile_hash",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="application",
            name="id_number",
            field=registry.crypto.EncryptedTextField(purpose="id_number", verbose_name="证件号码"),
        ),
        migrations.AlterField(
            model_name="application",
            name="mobile",
            field=registry.crypto.EncryptedTextField(purpose="mobile", verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="phonecode",
            name="mobile",
            field=registry.crypto.EncryptedTextField(purpose="mobile"),
        ),
        migrations.AddField(
            model_name="correctionrequest",
            name="mobile",
            field=registry.crypto.EncryptedTextField(
                blank=True, purpose="mobile", verbose_name="新手机号码"
            ),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
        migrations.RunPython(seal_corrections, unseal_corrections, elidable=False),
    ]
