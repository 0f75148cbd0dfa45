"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit table,
so not even raw SQL or a queryset .update()/.delete() can rewrite history.

One update passes: clearing `actor_id` / `union_id` and nothing else, which is what
ON DELETE SET NULL does when an account or union row goes; the entry keeps the
actor's username. TRUNCATE is left alone (it is how a test database is emptied).
SQLite gets no trigger; the model's save()/delete() guard covers it there."""

from django.db import migrations

TABLE = "unions_auditentry"

INSTALL = f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (NEW.union_id IS NULL OR NEW.union_id = OLD.union_id)
       AND (NEW.id, NEW.at, NEW.actor_username, NEW.action, NEW.object_type, NEW.object_id,
            NEW.object_repr, NEW.ip_address, NEW.detail)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_username, OLD.action, OLD.object_type, OLD.object_id,
            OLD.object_repr, OLD.ip_address, OLD.detail)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除（%）', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""

REMOVE = f"""
DROP TRIGGER IF EXISTS audit_entry_append_only ON {TABLE};
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("unions", "0002_campaigns_targets_snapshots")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
