"""Targets carry their union's subtree tally (`collected`), mirrored by triggers, and one
index orders a campaign's targets by rate (the laggards are its first rows).

Triggers rather than the writers: targets are written by the target import, the page, the
/ops/ admin and tests alike, and subtree tallies by two writers; a trigger on each side
keeps the copy right whoever writes. PostgreSQL and SQLite each get their own."""

import django.db.models.expressions
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


POSTGRESQL = [
    """CREATE FUNCTION target_collected() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.collected := COALESCE(
            (SELECT members FROM unions_subtreetally WHERE union_id = NEW.union_id), 0);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER target_collected BEFORE INSERT OR UPDATE OF union_id, members
    ON unions_target FOR EACH ROW EXECUTE FUNCTION target_collected()""",
    """CREATE FUNCTION subtree_tally_to_targets() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE unions_target SET collected = NEW.members
        WHERE union_id = NEW.union_id AND collected IS DISTINCT FROM NEW.members;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER subtree_tally_to_targets AFTER INSERT OR UPDATE OF members
    ON unions_subtreetally FOR EACH ROW EXECUTE FUNCTION subtree_tally_to_targets()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS subtree_tally_to_targets ON unions_subtreetally",
    "DROP FUNCTION IF EXISTS subtree_tally_to_targets()",
    "DROP TRIGGER IF EXISTS target_collected ON unions_target",
    "DROP FUNCTION IF EXISTS target_collected()",
]
_FROM_TALLY = (
    "UPDATE unions_target SET collected = COALESCE((SELECT members FROM unions_subtreetally"
    " WHERE union_id = NEW.union_id), 0) WHERE id = NEW.id;"
)
_TO_TARGETS = "UPDATE unions_target SET collected = NEW.members WHERE union_id = NEW.union_id;"
SQLITE = [
    f"CREATE TRIGGER target_collected_insert AFTER INSERT ON unions_target BEGIN {_FROM_TALLY} END",
    "CREATE TRIGGER target_collected_update AFTER UPDATE OF union_id, members ON unions_target"
    f" BEGIN {_FROM_TALLY} END",
    "CREATE TRIGGER subtree_tally_to_targets_insert AFTER INSERT ON unions_subtreetally"
    f" BEGIN {_TO_TARGETS} END",
    "CREATE TRIGGER subtree_tally_to_targets_update AFTER UPDATE OF members"
    f" ON unions_subtreetally BEGIN {_TO_TARGETS} END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS target_collected_insert",
    "DROP TRIGGER IF EXISTS target_collected_update",
    "DROP TRIGGER IF EXISTS subtree_tally_to_targets_insert",
    "DROP TRIGGER IF EXISTS subtree_tally_to_targets_update",
]
FILL = (
    "UPDATE unions_target SET collected = COALESCE((SELECT s.members FROM unions_subtreetally s"
    " WHERE s.union_id = unions_target.union_id), 0)"
)


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRESQL)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE)
    else:
        raise NotImplementedError(f"no trigger for the subtree tally on {vendor}")
    _run(schema_editor, [FILL])


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRESQL_REVERSE if vendor == "postgresql" else SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0003_daily_snapshot_statistics"),
        ("unions", "0015_subtree_tally"),
        ("members", "0013_fill_subtree_tallies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="target",
            name="collected",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="target",
            index=models.Index(
                models.F("campaign"),
                django.db.models.expressions.CombinedExpression(
                    django.db.models.functions.comparison.Cast("collected", models.FloatField()),
                    "/",
                    django.db.models.functions.comparison.Cast("members", models.FloatField()),
                ),
                django.db.models.expressions.CombinedExpression(
                    models.F("collected"), "-", models.F("members")
                ),
                models.F("union"),
                condition=models.Q(("members__gt", 0)),
                name="target_by_rate",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
