"""Per-union member tallies: kept by the member writer, proved by a recount.

`adjust` is the only way tallies change (called by `members.services` inside the
transaction that changes members); `recount` and `differences` rebuild and check them.
"""

import contextlib
import threading
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count

from members.models import Member, UnionTally
from unions import rollups
from unions.models import SubtreeTally, Union

Key = tuple[int, str]  # (union id, status)
_pending = threading.local()


def delta_for(union_id: int, status: str, sign: int = 1) -> Counter:
    return Counter({(union_id, status): sign})


def moved(old: Key, new: Key) -> Counter:
    """The tally change when one member goes from (union, status) `old` to `new`."""
    deltas = Counter()
    if old != new:
        deltas[old] -= 1
        deltas[new] += 1
    return deltas


def adjust(deltas: Counter) -> None:
    """Add `deltas` {(union id, status): ±n} to the tallies, in one statement, and the
    changes of members on the roll to the subtree tallies of each union and its ancestors
    (`unions.rollups.add`, one statement; first, so that concurrent writers queue on the
    tree's rows before they lock any tally row).

    An upsert adds to the stored row under the row lock, so concurrent imports into the
    same union add up instead of overwriting each other. Rows are locked in key order,
    so two writers touching the same unions never wait on each other crosswise. Inside
    `deferred()` the deltas are summed and written once, at its end."""
    held = getattr(_pending, "deltas", None)
    if held is not None:
        held.update(deltas)
        return
    # Every union whose tally changes gets an entry (0 when no 在册 member came or went):
    # the subtree rows' change counter is the version the member list's per-status counts
    # are remembered by (`members.selectors.subtree_status_counts`).
    on_roll = {}
    for (union_id, status), n in deltas.items():
        if n:
            on_roll[union_id] = on_roll.get(union_id, 0) + (
                n if status == Member.Status.ACTIVE else 0
            )
    if on_roll:
        rollups.add(on_roll)
    rows = sorted((union_id, status, n) for (union_id, status), n in deltas.items() if n)
    if not rows:
        return
    table = connection.ops.quote_name(UnionTally._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params = [value for row in rows for value in row]
    # Column names are the model's own; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (union_id, status, count) VALUES {values}"  # noqa: S608
        f" ON CONFLICT (union_id, status) DO UPDATE SET count = {table}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextlib.contextmanager
def deferred():
    """Inside the block `adjust` only adds up; the sum is written once, at its end (a bulk
    writer's last statement). The tally rows are then locked after everything else the
    writer locks, in one order for every writer: no deadlock between two imports."""
    if getattr(_pending, "deltas", None) is not None:  # an outer block writes them
        yield
        return
    _pending.deltas = Counter()
    try:
        yield
        deltas = _pending.deltas
    finally:
        _pending.deltas = None
    adjust(deltas)


def counted(union_ids=None) -> Counter:
    """The true counts {(union id, status): n} from the member table."""
    members = Member.objects.all()
    if union_ids is not None:
        members = members.filter(union_id__in=union_ids)
    rows = members.values_list("union_id", "status").annotate(n=Count("*")).order_by()
    return Counter({(union_id, status): n for union_id, status, n in rows})


def stored(union_ids=None) -> Counter:
    tallies = UnionTally.objects.all()
    if union_ids is not None:
        tallies = tallies.filter(union_id__in=union_ids)
    return Counter(
        {(u, s): n for u, s, n in tallies.values_list("union_id", "status", "count") if n}
    )


@dataclass(frozen=True)
class Difference:
    union_id: int
    status: str
    stored: int
    counted: int


def differences(union_ids=None) -> list[Difference]:
    """Every (union, status) whose tally is not the number of members it holds."""
    truth, kept = counted(union_ids), stored(union_ids)
    return [
        Difference(
            union_id, status, kept.get((union_id, status), 0), truth.get((union_id, status), 0)
        )
        for union_id, status in sorted(set(truth) | set(kept))
        if kept.get((union_id, status), 0) != truth.get((union_id, status), 0)
    ]


@transaction.atomic
def recount(union_ids=None) -> int:
    """Rebuild the tallies (of `union_ids`, default all) from the member table, then the
    subtree tallies from them.

    Locks the tally table against the writer for the rebuild; returns rows written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(UnionTally._meta.db_table)}"
                " IN SHARE ROW EXCLUSIVE MODE"
            )
    old = UnionTally.objects.all()
    if union_ids is not None:
        old = old.filter(union_id__in=union_ids)
    old.delete()
    truth = counted(union_ids)
    UnionTally.objects.bulk_create(
        [UnionTally(union_id=u, status=s, count=n) for (u, s), n in truth.items()],
        batch_size=5000,
    )
    rebuild_subtrees()
    return len(truth)


def active_by_union() -> dict[int, int]:
    """{union id: members on the roll (在册)} from the tallies."""
    return dict(
        UnionTally.objects.filter(status=Member.Status.ACTIVE, count__gt=0).values_list(
            "union_id", "count"
        )
    )


# ---- subtree tallies (`unions.SubtreeTally`): proved and rebuilt from the member table ----


def counted_subtrees(truth: Counter | None = None) -> Counter:
    """The true subtree figures {union id: members on the roll registered in its subtree},
    from the per-union counts (`counted()` unless given): prefix sums in tree order."""
    truth = counted() if truth is None else truth
    own = Counter()
    for (union_id, status), n in truth.items():
        if status == Member.Status.ACTIVE:
            own[union_id] += n
    unions = sorted(Union.objects.values_list("tree_id", "lft", "rght", "id"))
    keys = [(tree_id, lft) for tree_id, lft, _rght, _pk in unions]
    prefix = [0]
    for *_position, pk in unions:
        prefix.append(prefix[-1] + own.get(pk, 0))
    result = Counter()
    for i, (tree_id, _lft, rght, pk) in enumerate(unions):
        end = bisect_right(keys, (tree_id, rght))
        if prefix[end] - prefix[i]:
            result[pk] = prefix[end] - prefix[i]
    return result


def stored_subtrees() -> Counter:
    return Counter(dict(SubtreeTally.objects.exclude(members=0).values_list("union_id", "members")))


@dataclass(frozen=True)
class SubtreeDifference:
    union_id: int
    stored: int
    counted: int


def subtree_differences(truth: Counter | None = None) -> list[SubtreeDifference]:
    """Every union whose subtree tally is not the members on the roll of its subtree."""
    expected, kept = counted_subtrees(truth), stored_subtrees()
    return [
        SubtreeDifference(pk, kept.get(pk, 0), expected.get(pk, 0))
        for pk in sorted(set(expected) | set(kept))
        if kept.get(pk, 0) != expected.get(pk, 0)
    ]


# Each per-union tally of members on the roll, added to its union and every ancestor
# (walked up by parent). Also the data migration's statement (members/migrations).
REBUILD_SUBTREES_SQL = (
    "WITH RECURSIVE up(id, parent_id, n) AS ("
    "SELECT u.id, u.parent_id, t.count FROM {tally} t JOIN {unions} u ON u.id = t.union_id"
    " WHERE t.status = %s AND t.count <> 0"
    " UNION ALL SELECT p.id, p.parent_id, up.n FROM up JOIN {unions} p ON p.id = up.parent_id)"
    " INSERT INTO {subtree} (union_id, members, changes)"
    " SELECT id, SUM(n), 1 FROM up WHERE 1 = 1 GROUP BY id ORDER BY id"
    " ON CONFLICT (union_id) DO UPDATE SET members = excluded.members,"
    " changes = {subtree}.changes + 1"
)


@transaction.atomic
def rebuild_subtrees() -> int:
    """Rebuild every subtree tally from the per-union tallies (rebuilt first when they are
    wrong). Rows are zeroed, not deleted, and every row's change counter grows (caches
    keyed by it never see an old value again). Returns the rows holding members."""
    q = connection.ops.quote_name
    subtree = q(SubtreeTally._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {subtree} IN SHARE ROW EXCLUSIVE MODE")
        # Every row's counter moves, zero or not: the per-status counts remembered by it
        # (members.selectors) may be what a repair corrects.
        cursor.execute(
            f"UPDATE {subtree} SET members = 0, changes = changes + 1"  # noqa: S608
        )
        cursor.execute(
            REBUILD_SUBTREES_SQL.format(
                tally=q(UnionTally._meta.db_table), unions=q(Union._meta.db_table), subtree=subtree
            ),
            [Member.Status.ACTIVE],
        )
    return SubtreeTally.objects.exclude(members=0).count()
