"""The 入会 event of every imported member paid for two indexes nothing reads
(docs/decisions.md, round 6): `recorded_by` loses its index, `from_union` keeps a
partial one (only transfers name a union they left).

The indexes are dropped by hand: Django's AlterField would also drop and re-add the
foreign keys, re-checking every event of a province under lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMNS = ("from_union_id", "recorded_by_id")


def drop_plain_indexes(apps, schema_editor):
    Event = apps.get_model("members", "MembershipEvent")
    table = Event._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    for name, info in constraints.items():
        if (
            info["index"]
            and not info["primary_key"]
            and not info["unique"]
            and info["columns"] in ([column] for column in COLUMNS)
        ):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def restore_plain_indexes(apps, schema_editor):
    Event = apps.get_model("members", "MembershipEvent")
    for column in COLUMNS:
        schema_editor.add_index(
            Event, models.Index(fields=[column.removesuffix("_id")], name=f"event_{column}")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0015_mobile_hash_hash_index"),
        ("unions", "0016_index_terms_due"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="membershipevent",
                    name="from_union",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="unions.union",
                    ),
                ),
                migrations.AlterField(
                    model_name="membershipevent",
                    name="recorded_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_plain_indexes, restore_plain_indexes),
            ],
        ),
        migrations.AddIndex(
            model_name="membershipevent",
            index=models.Index(
                condition=models.Q(("from_union__isnull", False)),
                fields=["from_union"],
                name="event_from_union",
            ),
        ),
    ]
