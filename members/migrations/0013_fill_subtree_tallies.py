"""Fill the subtree tallies (`unions.SubtreeTally`) from the per-union tallies: each union's
members on the roll added to it and every ancestor (walked up by parent). The statement is
`members.tallies.REBUILD_SUBTREES_SQL`, copied so that later edits there cannot change what
this migration did."""

from django.db import migrations

SQL = (
    "WITH RECURSIVE up(id, parent_id, n) AS ("
    "SELECT u.id, u.parent_id, t.count FROM members_uniontally t"
    " JOIN unions_union u ON u.id = t.union_id"
    " WHERE t.status = 'active' AND t.count <> 0"
    " UNION ALL SELECT p.id, p.parent_id, up.n FROM up JOIN unions_union p ON p.id = up.parent_id)"
    " INSERT INTO unions_subtreetally (union_id, members, changes)"
    " SELECT id, SUM(n), 1 FROM up WHERE 1 = 1 GROUP BY id ORDER BY id"
    " ON CONFLICT (union_id) DO UPDATE SET members = excluded.members,"
    " changes = unions_subtreetally.changes + 1"
)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0012_id_hash_leads_the_unique_index"),
        ("unions", "0015_subtree_tally"),
    ]

    operations = [
        migrations.RunSQL(SQL, reverse_sql="DELETE FROM unions_subtreetally"),
    ]
