"""Per-union member tallies: kept by the member writer, proved by a recount.

`adjust` is the only way tallies change (called by `members.services` inside the
transaction that changes members); `recount` and `differences` rebuild and check them.
"""

import contextlib
import threading
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count

from members.models import Member, UnionTally

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
    """Add `deltas` {(union id, status): ±n} to the tallies, in one statement.

    An upsert adds to the stored row under the row lock, so concurrent imports into the
    same union add up instead of overwriting each other. Rows are locked in key order,
    so two writers touching the same unions never wait on each other crosswise."""
    held = getattr(_pending, "deltas", None)
    if held is not None:
        held.update(deltas)
        return
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
    """Rebuild the tallies (of `union_ids`, default all) from the member table.

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
    return len(truth)


def active_by_union() -> dict[int, int]:
    """{union id: members on the roll (在册)} from the tallies."""
    return dict(
        UnionTally.objects.filter(status=Member.Status.ACTIVE, count__gt=0).values_list(
            "union_id", "count"
        )
    )
