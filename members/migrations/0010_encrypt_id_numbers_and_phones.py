"""ID numbers and phones encrypted at rest (issue 16, item 3).

Existing rows are encrypted in place under the newest FIELD_ENCRYPTION_KEYS key, with their
blind indexes, last-four columns and region flag filled in. Reversible: going back decrypts
in place (the keys must still be configured), and the last-four columns become generated
ones again.
"""

from django.db import migrations, models

import registry.crypto

BATCH = 2000


def _rows(cursor, table, columns):
    cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table} ORDER BY id")  # noqa: S608 (our names)
    while True:
        rows = cursor.fetchmany(BATCH)
        if not rows:
            return
        yield rows


def encrypt_members(apps, schema_editor):
    from members.identity import known_regions
    from registry.crypto import blind_index, cipher, is_sealed

    table = apps.get_model("members", "Member")._meta.db_table
    box = cipher()
    connection = schema_editor.connection
    with connection.cursor() as reader, connection.cursor() as writer:
        for rows in _rows(reader, table, ["id_number", "mobile"]):
            updates = []
            for pk, number, mobile in rows:
                if is_sealed(number):
                    continue  # already encrypted (a rerun)
                mobile = mobile or ""
                updates.append(
                    (
                        box.encrypt(number, "id_number"),
                        blind_index("id_number", number),
                        number[-4:],
                        number[:6] in known_regions(),
                        box.encrypt(mobile, "mobile"),
                        blind_index("mobile", mobile),
                        mobile[-4:],
                        pk,
                    )
                )
            sql = (
                f"UPDATE {table} SET id_number = %s, id_hash = %s, id_last4 = %s, "  # noqa: S608
                "id_region_known = %s, mobile = %s, mobile_hash = %s, mobile_last4 = %s "
                "WHERE id = %s"
            )
            writer.executemany(sql, updates)


def decrypt_members(apps, schema_editor):
    from registry.crypto import cipher, is_sealed

    table = apps.get_model("members", "Member")._meta.db_table
    box = cipher()
    connection = schema_editor.connection
    with connection.cursor() as reader, connection.cursor() as writer:
        for rows in _rows(reader, table, ["id_number", "mobile"]):
            writer.executemany(
                f"UPDATE {table} SET id_number = %s, mobile = %s WHERE id = %s",  # noqa: S608
                [
                    (box.decrypt(number, "id_number"), box.decrypt(mobile, "mobile"), pk)
                    for pk, number, mobile in rows
                    if is_sealed(number)
                ],
            )


def seal_proposals(apps, schema_editor):
    """Transfer requests kept the importing union's whole row: drop the ID, move the phone
    into its encrypted column."""
    TransferRequest = apps.get_model("members", "TransferRequest")
    for transfer in TransferRequest.objects.exclude(proposed={}).iterator():
        proposed = dict(transfer.proposed)
        if not {"id_type", "id_number", "mobile"} & proposed.keys():
            continue
        proposed.pop("id_type", None)
        proposed.pop("id_number", None)
        transfer.proposed_mobile = proposed.pop("mobile", None) or ""
        transfer.proposed = proposed
        transfer.save(update_fields=["proposed", "proposed_mobile"])


def unseal_proposals(apps, schema_editor):
    TransferRequest = apps.get_model("members", "TransferRequest")
    for transfer in TransferRequest.objects.iterator():
        if transfer.proposed_mobile:
            transfer.proposed = {**transfer.proposed, "mobile": transfer.proposed_mobile}
            transfer.save(update_fields=["proposed"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_export_job"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="member", name="one_id_one_member"),
        migrations.RemoveIndex(model_name="member", name="member_mobile"),
        migrations.RemoveIndex(model_name="member", name="member_id_last4"),
        migrations.RemoveIndex(model_name="member", name="member_mobile_last4"),
        # The database can no longer compute them from ciphertext: plain columns the
        # member writer sets (members/identity.py).
        migrations.RemoveField(model_name="member", name="id_last4"),
        migrations.RemoveField(model_name="member", name="mobile_last4"),
        migrations.AddField(
            model_name="member",
            name="id_last4",
            field=models.CharField(
                default="", editable=False, max_length=4, verbose_name="证件号码后四位"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="member",
            name="mobile_last4",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=4, verbose_name="手机号码后四位"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="member",
            name="id_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="证件号码索引"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="member",
            name="id_region_known",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="证件号码地区代码有效"
            ),
        ),
        migrations.AddField(
            model_name="member",
            name="mobile_hash",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=64, verbose_name="手机号码索引"
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="member",
            name="id_number",
            field=registry.crypto.EncryptedTextField(purpose="id_number", verbose_name="证件号码"),
        ),
        migrations.AlterField(
            model_name="member",
            name="mobile",
            field=registry.crypto.EncryptedTextField(
                blank=True, purpose="mobile", verbose_name="手机号码"
            ),
        ),
        migrations.AddField(
            model_name="transferrequest",
            name="proposed_mobile",
            field=registry.crypto.EncryptedTextField(
                blank=True, purpose="mobile", verbose_name="拟更新手机号码"
            ),
        ),
        migrations.RunPython(encrypt_members, decrypt_members, elidable=False),
        migrations.RunPython(seal_proposals, unseal_proposals, elidable=False),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["mobile_hash"], name="member_mobile_hash"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["id_last4"], name="member_id_last4"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["mobile_last4"], name="member_mobile_last4"),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                fields=("id_type", "id_hash"), name="one_id_one_member"
            ),
        ),
    ]
