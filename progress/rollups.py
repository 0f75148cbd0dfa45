"""Collection progress of a union against its campaign targets.

A fixed number of queries whatever the tree size, none reading every union of the
subtree: the members are counted by the one subtree counter (`progress.counts`: the
subtree tallies of the node, its children and the laggards, less the members of
switched-off unions in their ranges); the laggards are sorted and cut in the database.
Switched-off unions are neither children nor laggards (docs/progress.md).
"""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.utils import timezone

from progress.counts import SwitchedOff, switched_off, with_subtree_tally
from progress.coverage import Coverage, SubtreeCoverage, subtree_coverage
from progress.models import Campaign, DailySnapshot, Target
from unions.models import Union

WEEK = datetime.timedelta(days=7)


def current_campaign() -> Campaign | None:
    return Campaign.objects.filter(is_current=True).first()


def pace(campaign: Campaign, today: datetime.date) -> float:
    """Share of the target the deadline requires by `today`: linear from start to deadline."""
    if today <= campaign.starts_on:
        return 0.0
    if today >= campaign.deadline:
        return 1.0
    return (today - campaign.starts_on).days / (campaign.deadline - campaign.starts_on).days


@dataclass
class Line:
    """One row of the progress table: a union, its target and its subtree's members."""

    union: Union
    members: int
    week_ago: int | None = None  # from the daily snapshot of seven days ago
    target: int | None = None
    organisations_target: int | None = None
    required_share: float = 0.0
    switched_off_below: int = 0  # switched-off unions in its range, itself excluded
    coverage: Coverage | None = None

    @cached_property
    def organisations(self) -> int:
        """工会组织 in use below this union: its MPTT range holds them all, less the
        switched-off ones (which count nowhere, docs/progress.md)."""
        return (self.union.rght - self.union.lft - 1) // 2 - self.switched_off_below

    @cached_property
    def rate(self) -> float | None:
        if not self.target:
            return None
        return round(self.members / self.target, 4)

    @cached_property
    def added_this_week(self) -> int | None:
        """Net growth over the last seven days (None without the snapshot to compare)."""
        return None if self.week_ago is None else self.members - self.week_ago

    @cached_property
    def rate_percent(self) -> float | None:
        return None if self.rate is None else round(self.rate * 100, 1)

    @cached_property
    def gap(self) -> int | None:
        return None if self.target is None else max(self.target - self.members, 0)

    @cached_property
    def expected(self) -> int | None:
        """Members the linear pace requires today."""
        return None if self.target is None else round(self.target * self.required_share)

    @cached_property
    def behind(self) -> bool:
        return self.target is not None and self.members < self.target * self.required_share

    @cached_property
    def has_children(self) -> bool:
        return self.union.rght - self.union.lft > 1

    def as_json(self) -> dict:
        return {
            "union": self.union.name,
            "id": self.union.pk,
            "code": self.union.code,
            "target": self.target,
            "members": self.members,
            "rate": self.rate,
            "gap": self.gap,
            "expected": self.expected,
            "behind": self.behind,
            "added_this_week": self.added_this_week,
            "organisations": self.organisations,
            "organisations_target": self.organisations_target,
            "coverage": self.coverage.as_json() if self.coverage else None,
        }


@dataclass
class Progress:
    node: Line
    campaign: Campaign | None
    today: datetime.date
    children: list[Line] = field(default_factory=list)
    laggards: list[Line] = field(default_factory=list)  # target holders anywhere below, behind
    coverage: SubtreeCoverage | None = None  # for the 未建会单位 of the node's subtree

    @property
    def allocated(self) -> int:
        return sum(c.target or 0 for c in self.children)

    @property
    def unallocated(self) -> int | None:
        if self.node.target is None:
            return None
        return self.node.target - self.allocated

    @property
    def days_left(self) -> int | None:
        if self.campaign is None:
            return None
        return max((self.campaign.deadline - self.today).days, 0)

    def as_json(self) -> dict:
        return {
            "union": self.node.union.name,
            "campaign": self.campaign.name if self.campaign else None,
            "deadline": self.campaign.deadline.isoformat() if self.campaign else None,
            "days_left": self.days_left,
            "target": self.node.target,
            "members": self.node.members,
            "rate": self.node.rate,
            "gap": self.node.gap,
            "behind": self.node.behind,
            "added_this_week": self.node.added_this_week,
            "organisations": self.node.organisations,
            "organisations_target": self.node.organisations_target,
            "allocated": self.allocated,
            "unallocated": self.unallocated,
            "coverage": self.node.coverage.as_json() if self.node.coverage else None,
            "children": [c.as_json() for c in self.children],
        }


def _with_targets(unions, campaign: Campaign | None):
    """Unions annotated with their `target_members` and `target_organisations` in
    `campaign` (None without a target)."""
    if campaign is None:
        return unions.annotate(
            target_members=Value(None, IntegerField()),
            target_organisations=Value(None, IntegerField()),
        )
    targets = Target.objects.filter(campaign=campaign, union=OuterRef("pk"))
    return unions.annotate(
        target_members=Subquery(targets.values("members")[:1]),
        target_organisations=Subquery(targets.values("organisations")[:1]),
    )


# From this many unions in a subtree, the laggards are read in rate order from the index of
# all the campaign's targets (stopping at the first ones inside the subtree); below it, the
# subtree's own holders are read by position and sorted. Reading k laggards in order walks
# about k × (holders in the tree / holders in the subtree) index entries, reading by position
# about the subtree's holders: at 100,000 holders and k = 10 they cost the same near 1,000.
INDEX_WALK_FROM = 2000


def behind_holders(
    root: Union, campaign: Campaign | None, share: float, off: SwitchedOff, limit: int
) -> list[tuple[int, int]]:
    """(union id, members) of the `limit` target holders strictly below `root` that are
    behind the pace (members < target × share), worst first: by rate, then shortfall,
    then id. One query.

    Each target carries its union's subtree tally (`Target.collected`, kept by triggers)
    and the index `target_by_rate` orders a campaign's targets by rate, so the database
    reads the first rows of the index that lie in `root`'s range, not every target holder.
    Holders above switched-off unions (`off.uncounted`: few) count fewer members than
    their tally: they are read apart, corrected, and sorted in with the others."""
    if campaign is None or limit <= 0:
        return []
    q = connection.ops.quote_name
    target, unions = q(Target._meta.db_table), q(Union._meta.db_table)
    rate = "CAST(t.collected AS DOUBLE PRECISION) / CAST(t.members AS DOUBLE PRECISION)"
    where = (
        "t.campaign_id = %s AND t.members > 0 AND u.is_active"
        " AND u.tree_id = %s AND u.lft > %s AND u.lft < %s"
    )
    base = [campaign.pk, root.tree_id, root.lft, root.rght]
    held_back = sorted(off.uncounted.items())
    marks = ", ".join(["%s"] * len(held_back))
    # Table names are the models' own; every value is a parameter.
    if (root.rght - root.lft) // 2 >= INDEX_WALK_FROM:
        # a bound on the indexed rate (a hair wider than the exact test that follows), so
        # that the index scan ends where the holders stop being behind
        bound, bound_params, order = (
            f" AND {rate} <= CAST(%s AS DOUBLE PRECISION)",
            [share + 1e-9],
            rate,
        )
    else:  # a small subtree: its few holders are read by position and sorted
        bound, bound_params, order = "", [], f"{rate} + 0"
    sql = (
        f"SELECT * FROM (SELECT t.union_id, t.collected, t.members FROM {target} t"  # noqa: S608
        f" JOIN {unions} u ON u.id = t.union_id WHERE {where}{bound}"
        " AND t.collected < t.members * CAST(%s AS DOUBLE PRECISION)"
        + (f" AND t.union_id NOT IN ({marks})" if held_back else "")
        + f" ORDER BY {order}, t.collected - t.members, t.union_id LIMIT %s) first_rows"
    )
    params = [*base, *bound_params, share, *(pk for pk, _n in held_back), limit]
    if held_back:
        values = ", ".join(["(%s, %s)"] * len(held_back))
        sql = (
            f"WITH c(union_id, n) AS (VALUES {values}) {sql} UNION ALL"  # noqa: S608
            f" SELECT t.union_id, t.collected - c.n, t.members FROM {target} t"
            f" JOIN {unions} u ON u.id = t.union_id JOIN c ON c.union_id = t.union_id"
            f" WHERE {where}"
        )
        params = [*(value for row in held_back for value in row), *params, *base]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    collected = {pk: members for pk, members, _goal in rows}
    behind = sorted(
        (members / goal, members - goal, pk) for pk, members, goal in rows if members < goal * share
    )
    return [(pk, collected[pk]) for *_order, pk in behind[:limit]]


def union_progress(
    union: Union,
    *,
    campaign: Campaign | None = None,
    today: datetime.date | None = None,
    laggard_limit: int = 10,
) -> Progress:
    """Progress of `union` and its direct children in `campaign` (default: the current one).

    A fixed number of queries, each reading the node, its children, the target holders or
    the switched-off unions, never every union of the subtree: the switched-off unions
    (with the members they hold back), the node and its children with their subtree
    tallies, their targets, last week's snapshots, the laggards (sorted and cut in the
    database) and their unions, the coverage's version (`progress.coverage`; two more
    queries when it changed); eight, nine when the current campaign is looked up.
    """
    today = today or timezone.localdate()
    if campaign is None:
        campaign = current_campaign()
    share = pace(campaign, today) if campaign else 0.0
    off = switched_off(union)
    rows = _with_targets(
        with_subtree_tally(
            Union.objects.filter(Q(pk=union.pk) | Q(parent_id=union.pk, is_active=True))
        ),
        campaign,
    ).order_by("lft")
    children, rolled, targets = [], {}, {}
    for u in rows:
        rolled[u.pk] = (u.rolled, u.rolled_changes)
        targets[u.pk] = (u.target_members, u.target_organisations)
        if u.pk != union.pk:
            children.append(u)
    node_rolled, node_changes = rolled.get(union.pk, (0, 0))
    week_ago = snapshot_members([union, *children], on=today - WEEK)
    coverage = subtree_coverage(union, version=(node_changes, tuple(off.positions)))

    def line(u: Union, rolled_members: int) -> Line:
        return Line(
            union=u,
            members=off.members(u, rolled_members),
            week_ago=week_ago.get(u.pk),
            target=targets.get(u.pk, (None, None))[0],
            organisations_target=targets.get(u.pk, (None, None))[1],
            required_share=share,
            switched_off_below=off.between(u.lft + 1, u.rght),
            coverage=coverage.for_union(u),
        )

    progress = Progress(
        node=line(union, node_rolled),
        campaign=campaign,
        today=today,
        children=[line(c, rolled[c.pk][0]) for c in children],
        coverage=coverage,
    )

    # Laggards anywhere below: the target holders furthest behind the pace.
    worst = behind_holders(union, campaign, share, off, laggard_limit)
    if worst:
        lagging = _with_targets(
            with_subtree_tally(Union.objects.filter(pk__in=[pk for pk, _m in worst])), campaign
        )
        by_pk = {u.pk: u for u in lagging}
        for u in by_pk.values():
            targets[u.pk] = (u.target_members, u.target_organisations)
        progress.laggards = [line(by_pk[pk], by_pk[pk].rolled) for pk, _members in worst]
    return progress


def snapshot_members(unions: list[Union], *, on: datetime.date) -> dict[int, int]:
    """{union id: members of its subtree} from the snapshots of day `on` (missing: absent)."""
    rows = DailySnapshot.objects.filter(union__in=unions, on=on).values_list("union_id", "members")
    return dict(rows)


def trend(union: Union, *, campaign: Campaign | None, days: int = 90) -> list[tuple[str, int]]:
    """(date, members) from the daily snapshots: the campaign's span, else the last `days`."""
    qs = DailySnapshot.objects.filter(union=union)
    if campaign is not None:
        qs = qs.filter(on__gte=campaign.starts_on, on__lte=campaign.deadline)
    else:
        qs = qs.filter(on__gte=timezone.localdate() - datetime.timedelta(days=days))
    return [(on.isoformat(), n) for on, n in qs.order_by("on").values_list("on", "members")]
