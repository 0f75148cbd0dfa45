"""Collection progress of a union against its campaign targets.

A fixed number of queries whatever the tree size: the active members of the
subtree are counted per union in one grouped query (keyed by the union's `lft`),
and every total — the node's, each child's, each laggard's — is then a range sum
over those counts (prefix sums over `lft`, the MPTT ranges), computed in memory.
"""

import datetime
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from django.db.models import Count, Q
from django.utils import timezone

from unions.access import subtree_q
from unions.models import Campaign, DailySnapshot, Target, Union

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
    added_this_week: int
    target: int | None = None
    required_share: float = 0.0

    @property
    def rate(self) -> float | None:
        if not self.target:
            return None
        return round(self.members / self.target, 4)

    @property
    def rate_percent(self) -> float | None:
        return None if self.rate is None else round(self.rate * 100, 1)

    @property
    def gap(self) -> int | None:
        return None if self.target is None else max(self.target - self.members, 0)

    @property
    def expected(self) -> int | None:
        """Members the linear pace requires today."""
        return None if self.target is None else round(self.target * self.required_share)

    @property
    def behind(self) -> bool:
        return self.target is not None and self.members < self.target * self.required_share

    @property
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
        }


@dataclass
class Progress:
    node: Line
    campaign: Campaign | None
    today: datetime.date
    children: list[Line] = field(default_factory=list)
    laggards: list[Line] = field(default_factory=list)  # target holders anywhere below, behind

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
            "allocated": self.allocated,
            "unallocated": self.unallocated,
            "children": [c.as_json() for c in self.children],
        }


class RangeSums:
    """Per-union figures keyed by `lft`, summable over any union's MPTT range in O(log n)."""

    def __init__(self, rows, *, width: int):
        """`rows`: (lft, figure_1, …, figure_width) sorted by lft."""
        self._lfts: list[int] = []
        columns: list[list[int]] = [[] for _ in range(width)]
        for lft, *figures in rows:
            self._lfts.append(lft)
            for column, value in zip(columns, figures, strict=True):
                column.append(value)
        self._prefix = [[0, *accumulate(column)] for column in columns]

    def sums(self, union: Union) -> tuple[int, ...]:
        lo = bisect_left(self._lfts, union.lft)
        hi = bisect_right(self._lfts, union.rght)
        return tuple(p[hi] - p[lo] for p in self._prefix)


class SubtreeCounts(RangeSums):
    """Active members per union of `root`'s subtree, and how many arrived since `since`."""

    def __init__(self, root: Union, *, since: datetime.datetime):
        from members.models import Member

        super().__init__(
            Member.objects.filter(subtree_q(root, "union"), status=Member.Status.ACTIVE)
            .values("union__lft")
            .annotate(n=Count("*"), new=Count("id", filter=Q(created_at__gte=since)))
            .order_by("union__lft")
            .values_list("union__lft", "n", "new"),
            width=2,
        )

    def members(self, union: Union) -> int:
        return self.sums(union)[0]

    def added(self, union: Union) -> int:
        return self.sums(union)[1]


def union_progress(
    union: Union,
    *,
    campaign: Campaign | None = None,
    today: datetime.date | None = None,
    laggard_limit: int = 10,
) -> Progress:
    """Progress of `union` and its direct children in `campaign` (default: the current one).

    Four queries (five when the current campaign is looked up), whatever the tree size.
    """
    today = today or timezone.localdate()
    if campaign is None:
        campaign = current_campaign()
    counts = SubtreeCounts(union, since=timezone.now() - WEEK)
    share = pace(campaign, today) if campaign else 0.0

    def line(u: Union, target: int | None) -> Line:
        return Line(
            union=u,
            members=counts.members(u),
            added_this_week=counts.added(u),
            target=target,
            required_share=share,
        )

    children = list(union.get_children().order_by("lft"))
    targets: dict[int, Target] = {}
    if campaign is not None:
        targets = {
            t.union_id: t
            for t in Target.objects.filter(subtree_q(union, "union"), campaign=campaign)
            .select_related("union")
            .order_by()
        }

    def target_of(u: Union) -> int | None:
        t = targets.get(u.pk)
        return t.members if t else None

    progress = Progress(
        node=line(union, target_of(union)),
        campaign=campaign,
        today=today,
        children=[line(c, target_of(c)) for c in children],
    )
    below = [line(t.union, t.members) for t in targets.values() if t.union_id != union.pk]
    laggards = [lag for lag in below if lag.behind]
    laggards.sort(key=lambda lag: (lag.rate or 0, -(lag.gap or 0)))
    progress.laggards = laggards[:laggard_limit]
    return progress


def trend(union: Union, *, campaign: Campaign | None, days: int = 90) -> list[tuple[str, int]]:
    """(date, members) from the daily snapshots: the campaign's span, else the last `days`."""
    qs = DailySnapshot.objects.filter(union=union)
    if campaign is not None:
        qs = qs.filter(on__gte=campaign.starts_on, on__lte=campaign.deadline)
    else:
        qs = qs.filter(on__gte=timezone.localdate() - datetime.timedelta(days=days))
    return [(on.isoformat(), n) for on, n in qs.order_by("on").values_list("on", "members")]
