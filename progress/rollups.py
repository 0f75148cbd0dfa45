"""Collection progress of a union against its campaign targets.

A fixed number of queries whatever the tree size: the members are counted by the one
subtree counter (`progress.counts`), and every total — the node's, each child's, each
laggard's — is a range sum over its per-union rows, computed in memory. Switched-off
unions are neither children nor laggards (docs/progress.md).
"""

import datetime
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.utils import timezone

from progress.counts import SubtreeCounts, counted_unions
from progress.coverage import Coverage, SubtreeCoverage
from progress.models import Campaign, DailySnapshot, Target
from unions.access import subtree_q
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


def target_holders(
    root: Union, campaign: Campaign | None
) -> list[tuple[int, int, int, int, int | None]]:
    """(union id, lft, rght, member target, organisations target) of every target holder."""
    if campaign is None:
        return []
    rows = (
        Target.objects.filter(subtree_q(root, "union"), campaign=campaign, union__is_active=True)
        .order_by()
        .values_list("union_id", "union__lft", "union__rght", "members", "organisations")
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:  # plain tuples: there may be thousands
        cursor.execute(sql, params)
        return cursor.fetchall()


def union_progress(
    union: Union,
    *,
    campaign: Campaign | None = None,
    today: datetime.date | None = None,
    laggard_limit: int = 10,
) -> Progress:
    """Progress of `union` and its direct children in `campaign` (default: the current one).

    Seven queries (eight when the current campaign is looked up), whatever the tree size:
    the subtree's targets, the member tallies, the switched-off unions, the units
    (coverage), the children, last week's snapshots of the node and the children, the
    laggards' names.
    """
    today = today or timezone.localdate()
    if campaign is None:
        campaign = current_campaign()
    share = pace(campaign, today) if campaign else 0.0
    holders = target_holders(union, campaign)
    counts = SubtreeCounts(union)
    switched_off = switched_off_positions(union)
    coverage = SubtreeCoverage(union, counts)
    targets = {pk: (members, orgs) for pk, _lft, _rght, members, orgs in holders}
    children = list(counted_unions(union.get_children()).order_by("lft"))
    week_ago = snapshot_members([union, *children], on=today - WEEK)

    def line(u: Union) -> Line:
        return Line(
            union=u,
            members=counts.members(u),
            week_ago=week_ago.get(u.pk),
            target=targets.get(u.pk, (None, None))[0],
            organisations_target=targets.get(u.pk, (None, None))[1],
            required_share=share,
            switched_off_below=_between(switched_off, u.lft + 1, u.rght),
            coverage=coverage.for_union(u),
        )

    progress = Progress(
        node=line(union),
        campaign=campaign,
        today=today,
        children=[line(c) for c in children],
        coverage=coverage,
    )

    # Laggards anywhere below: every target holder whose subtree is behind the pace.
    behind = []
    for pk, lft, rght, target, _orgs in holders:
        if target and pk != union.pk:
            members = counts.members_in(union.tree_id, lft, rght)
            if members < target * share:
                behind.append((members / target, members - target, pk))
    worst = [pk for *_order, pk in sorted(behind)[:laggard_limit]]
    if worst:
        by_pk = Union.objects.in_bulk(worst)
        progress.laggards = [line(by_pk[pk]) for pk in worst]
    return progress


def switched_off_positions(root: Union) -> list[int]:
    """The sorted lft of every switched-off union in `root`'s subtree. One query."""
    return list(
        Union.objects.filter(subtree_q(root), is_active=False)
        .order_by("lft")
        .values_list("lft", flat=True)
    )


def _between(positions: list[int], lo: int, hi: int) -> int:
    return bisect_right(positions, hi) - bisect_left(positions, lo)


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
