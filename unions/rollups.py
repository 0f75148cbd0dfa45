"""Subtree tallies (`SubtreeTally`): members on the roll of each union's whole subtree,
kept by the two writers in their own transactions.

- The member writer (`members.tallies.adjust`) calls `add` with the change per union: one
  statement adds it to the union and every ancestor (walked up by parent, a primary-key
  look-up per level), inserting rows on first use, in sorted union id order.
- The union writer (`unions.services`) calls `detach` before and `attach` after it moves a
  union, under the tree lock: the moved subtree's figure leaves the old ancestors and joins
  the new ones. Creating a union needs nothing (no row reads as 0); switching one off or on
  needs nothing either (readers subtract the switched-off unions' own members).

Lock order, so that writers cannot deadlock: `add` first takes a KEY SHARE lock on the
root of each tree it touches (in tree order; the union writer's tree lock is FOR UPDATE on
that row, so a move waits for running member writes and they wait for it, and the
ancestors read below are the committed ones), then the tally rows in sorted id order. Every
member write in a tree updates its root's row, so member writes in one tree queue there
from their first `add` to their commit: `add` is called once per batch, at its end.
"""

from django.db import connection

from unions.models import SubtreeTally, Union


def _tables() -> tuple[str, str]:
    q = connection.ops.quote_name
    return q(SubtreeTally._meta.db_table), q(Union._meta.db_table)


def lock_trees(union_ids) -> None:
    """KEY SHARE on the roots of the trees holding `union_ids`, in tree order (PostgreSQL;
    SQLite writes one transaction at a time anyway)."""
    if connection.vendor != "postgresql" or not union_ids:
        return
    _tally, unions = _tables()
    marks = ", ".join(["%s"] * len(union_ids))
    # Table names are the models' own; every value is a parameter.
    sql = (
        f"SELECT r.id FROM {unions} r WHERE r.parent_id IS NULL AND r.tree_id IN"  # noqa: S608
        f" (SELECT tree_id FROM {unions} WHERE id IN ({marks}))"
        " ORDER BY r.tree_id FOR KEY SHARE OF r"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(union_ids))


def _upsert_sql(source: str) -> str:
    """Add `source`'s (id, n) rows to the tally rows, inserting missing ones; rows are
    written (and so locked) in id order."""
    tally, _unions = _tables()
    # Table names are the models' own; `source` is SQL built here, values are parameters.
    return (
        f"INSERT INTO {tally} (union_id, members, changes)"  # noqa: S608
        f" SELECT id, SUM(n), 1 FROM {source} WHERE 1 = 1 GROUP BY id ORDER BY id"
        f" ON CONFLICT (union_id) DO UPDATE SET members = {tally}.members + excluded.members,"
        f" changes = {tally}.changes + 1"
    )


def add(deltas: dict[int, int]) -> None:
    """Add `deltas` {union id: ±members on the roll} to each union and all its ancestors,
    in one statement (after the tree lock). Entries of 0 still mark the rows as changed."""
    if not deltas:
        return
    ids = sorted(deltas)
    lock_trees(ids)
    _tally, unions = _tables()
    values = ", ".join(["(%s, %s)"] * len(ids))
    params = [value for pk in ids for value in (pk, deltas[pk])]
    sql = (
        f"WITH RECURSIVE d(union_id, n) AS (VALUES {values}),"  # noqa: S608
        f" up(id, parent_id, n) AS ("
        f"SELECT u.id, u.parent_id, d.n FROM d JOIN {unions} u ON u.id = d.union_id"
        f" UNION ALL SELECT p.id, p.parent_id, up.n FROM up JOIN {unions} p ON p.id = up.parent_id)"
        f" {_upsert_sql('up')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _shift_ancestors(union: Union, sign: int) -> None:
    """Add `sign` × the union's subtree figure to its strict ancestors (as the tree stands)."""
    tally, unions = _tables()
    sql = (
        f"WITH RECURSIVE up(id, parent_id, n) AS ("  # noqa: S608
        f"SELECT p.id, p.parent_id, %s * (SELECT COALESCE(SUM(t.members), 0) FROM {tally} t"
        f" WHERE t.union_id = u.id)"
        f" FROM {unions} u JOIN {unions} p ON p.id = u.parent_id WHERE u.id = %s"
        f" UNION ALL SELECT p.id, p.parent_id, up.n FROM up JOIN {unions} p ON p.id = up.parent_id)"
        f" {_upsert_sql('up')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [sign, union.pk])


def detach(union: Union) -> None:
    """Before `union` moves (tree lock held): its subtree leaves its ancestors' figures."""
    _shift_ancestors(union, -1)


def attach(union: Union) -> None:
    """After `union` moved (tree lock held): its subtree joins its new ancestors' figures."""
    _shift_ancestors(union, 1)
