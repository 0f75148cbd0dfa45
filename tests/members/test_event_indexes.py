"""The 入会 events pay for the indexes a check needs and no more (members/0016): the
foreign keys all stay, `recorded_by` has no index, `from_union` a partial one; the
migration goes back and forth without touching the foreign keys."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

TABLE = "members_membershipevent"
BEFORE = [("members", "0015_mobile_hash_hash_index")]


def _shape():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    indexed = sorted(
        tuple(info["columns"])
        for info in constraints.values()
        if info["index"] and not info["primary_key"]
    )
    keys = sorted(info["columns"][0] for info in constraints.values() if info["foreign_key"])
    return indexed, keys


@pytest.mark.django_db(transaction=True)
def test_event_indexes_and_foreign_keys_across_the_migration():
    keys = ["from_union_id", "member_id", "recorded_by_id", "to_union_id"]
    assert _shape() == ([("from_union_id",), ("member_id",), ("to_union_id",)], keys)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'event_from_union'")
            assert "WHERE (from_union_id IS NOT NULL)" in cursor.fetchone()[0]

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        indexed, before_keys = _shape()
        assert ("recorded_by_id",) in indexed
        assert indexed.count(("from_union_id",)) == 1
        assert before_keys == keys
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert _shape() == ([("from_union_id",), ("member_id",), ("to_union_id",)], keys)
