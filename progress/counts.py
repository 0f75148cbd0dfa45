"""The one subtree member counter: home page, union tree, progress, snapshots, reports.

The rule (docs/progress.md): a member counts when their status is 在册 and their own
union is active. A switched-off union's own members count nowhere until they are
transferred to an active union; the switched-off union itself shows as no line or child,
but the active unions below it still roll up into its nearest ancestors (they lie inside
those ancestors' MPTT ranges).

A fixed number of queries whatever the tree size: `union_tallies` gives one row per
union with members, and every total — a node's, each child's, each laggard's, each
snapshot's — is then a range sum over those rows (prefix sums keyed by the unions'
(tree_id, lft), summed over [lft, rght]), computed in memory.
"""

import datetime
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from members.models import Member, UnionTally
from unions.access import subtree_q
from unions.models import Union

# Unions that count and show: switched-off unions are neither lines nor children.
COUNTED_UNIONS = Q(is_active=True)


def counted_unions(queryset):
    """`queryset` of unions narrowed to those that show as lines, children and snapshots."""
    return queryset.filter(COUNTED_UNIONS)


def counted_members_q(prefix: str = "") -> Q:
    """The rule on a member queryset (or through `prefix`, e.g. "member__")."""
    return Q(**{f"{prefix}status": Member.Status.ACTIVE, f"{prefix}union__is_active": True})


class RangeSums:
    """Per-union figures keyed by (tree_id, lft), summable over any union's range in O(log n)."""

    def __init__(self, rows, *, width: int):
        """`rows`: (tree_id, lft, figure_1, …, figure_width) sorted by (tree_id, lft)."""
        columns = list(zip(*rows, strict=True)) or [()] * (width + 2)
        self._keys: list[tuple[int, int]] = list(zip(columns[0], columns[1], strict=True))
        self._prefix = [[0, *accumulate(column)] for column in columns[2:]]

    def span(self, tree_id: int, lft: int, rght: int) -> tuple[int, ...]:
        lo = bisect_left(self._keys, (tree_id, lft))
        hi = bisect_right(self._keys, (tree_id, rght))
        return tuple(p[hi] - p[lo] for p in self._prefix)

    def sums(self, union: Union) -> tuple[int, ...]:
        return self.span(union.tree_id, union.lft, union.rght)


def union_tallies(
    root: Union | None = None, *, registered_before: datetime.datetime | None = None
) -> list[tuple[int, int, int]]:
    """(tree_id, lft, members) of every active union in `root`'s subtree (every tree when
    None) that has members counting by the rule, sorted by (tree_id, lft). One query.

    The only place that counts members per union: everything else sums these rows.
    They come from the tallies the member writer keeps (`members.UnionTally`, proved by
    `manage.py reconcile_tallies`). `registered_before` counts the members on the roll now
    who were registered before that moment (snapshot back-fill): that one groups the
    member table (a rare scan: no index is kept for it, every import would pay for one)
    and joins only the per-union rows to the unions for their position.
    """
    if registered_before is None:
        # The tallies the member writer keeps: one row per union, no member is read.
        rows = UnionTally.objects.filter(
            status=Member.Status.ACTIVE, count__gt=0, union__is_active=True
        )
        if root is not None:
            rows = rows.filter(subtree_q(root, "union"))
        return list(
            rows.order_by("union__tree_id", "union__lft").values_list(
                "union__tree_id", "union__lft", "count"
            )
        )
    per_union = Member.objects.filter(status=Member.Status.ACTIVE)
    if registered_before is not None:
        per_union = per_union.filter(created_at__lt=registered_before)
    if root is not None and root.lft != 1:  # a whole tree needs no filter before grouping
        per_union = per_union.filter(
            union_id__in=Union.objects.filter(subtree_q(root)).values("pk")
        )
    inner, params = (
        per_union.values("union_id").annotate(n=Count("*")).order_by().query.sql_with_params()
    )
    unions = connection.ops.quote_name(Union._meta.db_table)
    where = "u.is_active"
    if root is not None:
        where += " AND u.tree_id = %s AND u.lft BETWEEN %s AND %s"
        params = (*params, root.tree_id, root.lft, root.rght)
    # `inner` is Django's own compiled SQL; every value is a parameter.
    sql = (
        f"SELECT u.tree_id, u.lft, c.n FROM ({inner}) c"  # noqa: S608
        f" JOIN {unions} u ON u.id = c.union_id WHERE {where} ORDER BY u.tree_id, u.lft"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class SubtreeCounts(RangeSums):
    """Members counting by the rule, of any union in `root`'s subtree (every tree when
    None): `members(u)` its whole subtree, `own(u)` registered in `u` itself."""

    def __init__(
        self, root: Union | None = None, *, registered_before: datetime.datetime | None = None
    ):
        super().__init__(union_tallies(root, registered_before=registered_before), width=1)

    def members(self, union: Union) -> int:
        return self.sums(union)[0]

    def members_in(self, tree_id: int, lft: int, rght: int) -> int:
        return self.span(tree_id, lft, rght)[0]

    def own(self, union: Union) -> int:
        return self.span(union.tree_id, union.lft, union.lft)[0]

    def own_by_position(self) -> dict[tuple[int, int], int]:
        """{(tree_id, lft): members registered in that union itself}, for many look-ups."""
        prefix = self._prefix[0]
        return {key: prefix[i + 1] - prefix[i] for i, key in enumerate(self._keys)}


def end_of_day(on: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min)
    )


@dataclass
class UnionCount:
    union: Union
    own: int  # registered in the union itself
    total: int  # its whole subtree


def subtree_member_counts(
    root: Union, *, include_switched_off: bool = False
) -> dict[int, UnionCount]:
    """{union id: UnionCount} for `root` and every active union below it, in tree order;
    `include_switched_off` lists switched-off unions too (the union tree page, where
    administrators manage them), with the counts the rule gives them. Two queries."""
    counts = SubtreeCounts(root)
    unions = Union.objects.filter(subtree_q(root))
    if not include_switched_off:
        unions = unions.filter(COUNTED_UNIONS | Q(pk=root.pk))
    return {
        u.pk: UnionCount(union=u, own=counts.own(u), total=counts.members(u))
        for u in unions.order_by("lft")
    }
