"""The one subtree member counter: home page, union tree, progress, snapshots, reports.

The rule (docs/progress.md): a member counts when their status is 在册 and their own
union is active. A switched-off union's own members count nowhere until they are
transferred to an active union; the switched-off union itself shows as no line or child,
but the active unions below it still roll up into its nearest ancestors (they lie inside
those ancestors' MPTT ranges).

Pages read the subtree tallies the writers keep (`unions.SubtreeTally`: members on the
roll registered anywhere in a union's subtree) for the unions they show, and subtract the
own members of the switched-off unions inside each one's range (`switched_off`: one query
over those few unions and their ancestors). Nothing here reads every union of a subtree.

`union_tallies` / `SubtreeCounts` — one row per union with members, summed over any
range in memory — remain for what needs every union anyway (the daily snapshots, the
coverage figures when they are recomputed) and for counting as of a past moment.
"""

import datetime
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
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


@dataclass
class SwitchedOff:
    """The switched-off unions of a subtree: their positions, and for each of them and each
    of their ancestors in the subtree the members on the roll registered in switched-off
    unions of its range (itself included), which its subtree tally must not count."""

    positions: list[int]  # sorted lft
    uncounted: dict[int, int]  # union id -> members to subtract

    def between(self, lo: int, hi: int) -> int:
        """How many switched-off unions have lft in [lo, hi]."""
        return bisect_right(self.positions, hi) - bisect_left(self.positions, lo)

    def members(self, union: Union, rolled: int) -> int:
        """`union`'s members by the rule, from its subtree tally `rolled`."""
        return rolled - self.uncounted.get(union.pk, 0)


def switched_off(root: Union) -> SwitchedOff:
    """The switched-off unions in `root`'s subtree and their ancestors up to `root`, with
    their own members on the roll. One query, over those unions only (a partial index
    finds the switched-off ones; parents are primary-key look-ups)."""
    q = connection.ops.quote_name
    unions, tally = q(Union._meta.db_table), q(UnionTally._meta.db_table)
    # Table names are the models' own; every value is a parameter.
    sql = (
        "WITH RECURSIVE up(id, parent_id, n, off) AS ("  # noqa: S608
        f"SELECT u.id, u.parent_id, COALESCE(t.count, 0), 1 FROM {unions} u"
        f" LEFT JOIN {tally} t ON t.union_id = u.id AND t.status = %s"
        " WHERE u.tree_id = %s AND u.lft BETWEEN %s AND %s AND NOT u.is_active"
        f" UNION ALL SELECT p.id, p.parent_id, up.n, 0 FROM up JOIN {unions} p"
        " ON p.id = up.parent_id WHERE p.lft >= %s)"
        f" SELECT up.id, u.lft, SUM(up.n), MAX(up.off) FROM up JOIN {unions} u ON u.id = up.id"
        " GROUP BY up.id, u.lft"
    )
    params = [Member.Status.ACTIVE, root.tree_id, root.lft, root.rght, root.lft]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return SwitchedOff(
        positions=sorted(lft for _pk, lft, _n, off in rows if off),
        uncounted={pk: n for pk, _lft, n, _off in rows if n},
    )


def own_tally_of(union):
    """The tally row of members on the roll registered in `union` itself (an OuterRef)."""
    return UnionTally.objects.filter(union=union, status=Member.Status.ACTIVE)


def with_subtree_tally(queryset):
    """Unions annotated with `rolled` (their subtree tally) and `rolled_changes` (its
    change counter); a union without a tally row has 0 of both."""
    return queryset.annotate(
        rolled=Coalesce(F("subtree_tally__members"), 0),
        rolled_changes=Coalesce(F("subtree_tally__changes"), 0),
    )


def subtree_member_counts(
    root: Union,
    *,
    include_switched_off: bool = False,
    children_only: bool = False,
    off: SwitchedOff | None = None,
) -> dict[int, UnionCount]:
    """{union id: UnionCount} for `root` and every active union below it (`children_only`:
    its direct children), in tree order; `include_switched_off` lists switched-off unions
    too (the union tree page, where administrators manage them), with the counts the rule
    gives them. Two queries (one when given `off`, `switched_off(root)`), reading one
    subtree tally per union listed."""
    off = switched_off(root) if off is None else off
    if children_only:
        unions = Union.objects.filter(Q(pk=root.pk) | Q(parent_id=root.pk))
    else:
        unions = Union.objects.filter(subtree_q(root))
    if not include_switched_off:
        unions = unions.filter(COUNTED_UNIONS | Q(pk=root.pk))
    unions = with_subtree_tally(unions).annotate(
        own_tally=Coalesce(Subquery(own_tally_of(OuterRef("pk")).values("count")[:1]), 0)
    )
    return {
        u.pk: UnionCount(
            union=u,
            own=u.own_tally if u.is_active else 0,
            total=off.members(u, u.rolled),
        )
        for u in unions.order_by("lft")
    }
