"""Seed 000's 部门工会会员人数统计表: per union, members, women, this year's retirees and
the welfare classes that follow from each member's 身份类别 (填表说明 4).

Per 填表说明, 在编 staff, 非事业编聘用, 大集体, 博士后, 学校人事代理 and this year's retirees
enjoy staff welfare as well as member welfare; 劳务派遣 and 临聘 staff only member welfare.
The staff list ends in "等", the member-only list is closed: a category that is neither
(or none recorded) counts as staff welfare.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.utils import timezone

from members.models import Member, MembershipEvent
from progress.counts import RangeSums, counted_members_q
from progress.models import DailySnapshot
from unions.access import subtree_q
from unions.models import SubtreeTally, Union

IDENTITY_KEY = "身份类别"
MEMBER_WELFARE_ONLY = ("劳务派遣", "临聘")


def welfare_class(identity: str | None) -> str:
    """ "member_only" for 劳务派遣/临聘 staff, else "staff"."""
    identity = identity or ""
    return "member_only" if any(m in identity for m in MEMBER_WELFARE_ONLY) else "staff"


FIGURES = ("members", "retired_this_year", "women", "member_welfare_only")


@dataclass
class UnionStatistics:
    union: Union
    members: int
    retired_this_year: int
    women: int
    staff_welfare: int
    member_welfare_only: int

    @classmethod
    def of(cls, union: Union, members: int, retired: int, women: int, only: int):
        return cls(
            union=union,
            members=members,
            retired_this_year=retired,
            women=women,
            staff_welfare=members - only,
            member_welfare_only=only,
        )


def member_statistics(
    root: Union, unions: list[Union], *, year: int | None = None
) -> list[UnionStatistics]:
    """One row per union in `unions` (each in `root`'s subtree), its whole subtree counted.

    会员数 counts members on the roll plus those who retired this year (the notice's
    cut-off counts them in). Which members count follows the one subtree counter
    (`progress.counts`): on the roll by its rule, and a retiree only when their union is
    active too. One grouped query — over every member of the subtree (women and 身份类别
    are in no tally), so large subtrees read the nightly figures (`report_statistics`).
    """
    sums = statistics_sums(root, year=year)
    return [UnionStatistics.of(union, *sums.sums(union)) for union in unions]


def statistics_sums(root: Union | None, *, year: int | None = None) -> RangeSums:
    """The four FIGURES of every union of `root`'s subtree (every tree when None), summable
    over any union's range. One grouped query over the members."""
    year = year or timezone.localdate().year
    retired_this_year = Exists(
        MembershipEvent.objects.filter(
            member=OuterRef("pk"),
            kind=MembershipEvent.Kind.RETIRE,
            on__gte=datetime.date(year, 1, 1),
            on__lte=datetime.date(year, 12, 31),
        )
    )
    member_only = Q(identity__contains=MEMBER_WELFARE_ONLY[0])
    for marker in MEMBER_WELFARE_ONLY[1:]:
        member_only |= Q(identity__contains=marker)
    retiree = Q(status=Member.Status.RETIRED) | Q(identity__contains="退休")
    members = (
        Member.objects.all() if root is None else Member.objects.filter(subtree_q(root, "union"))
    )
    rows = (
        members.annotate(identity=KT(f"extra__{IDENTITY_KEY}"), retired_now=retired_this_year)
        .filter(
            counted_members_q()
            | Q(status=Member.Status.RETIRED, retired_now=True, union__is_active=True)
        )
        .values("union__tree_id", "union__lft")
        .annotate(
            n=Count("id"),
            retired=Count("id", filter=retiree),
            women=Count("id", filter=Q(gender="2")),
            member_only=Count("id", filter=member_only & ~retiree),
        )
        .order_by("union__tree_id", "union__lft")
        .values_list("union__tree_id", "union__lft", "n", "retired", "women", "member_only")
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # JIT compiling this one grouped scan cost 3–4× the scan itself (measured at
            # 1,000,000 members: a county's 51,000 in 4.4 s with it, 1.2 s without).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return RangeSums(list(rows), width=4)


@dataclass
class StatisticsReport:
    total: UnionStatistics
    rows: list[UnionStatistics]
    as_of: datetime.date | None  # the nightly snapshot's day; None when counted now


def report_statistics(root: Union, children: list[Union], *, year: int) -> StatisticsReport:
    """The 会员人数统计表 of `root` and its children: counted now when the subtree holds at
    most STATISTICS_LIVE_MAX members (its subtree tally says so: one row), else read from
    the latest nightly snapshot of this year that has them (one query); counted now as well
    when there is none yet."""
    size = SubtreeTally.objects.filter(union=root).values_list("members", flat=True).first() or 0
    if size > settings.STATISTICS_LIVE_MAX:
        found = nightly_statistics([root, *children], year=year)
        if found is not None:
            stats, on = found
            return StatisticsReport(total=stats[0], rows=stats[1:], as_of=on)
    stats = member_statistics(root, [root, *children], year=year)
    return StatisticsReport(total=stats[0], rows=stats[1:], as_of=None)


def nightly_statistics(
    unions: list[Union], *, year: int
) -> tuple[list[UnionStatistics], datetime.date] | None:
    """The statistics of `unions` from the latest snapshot of `year` holding them all."""
    latest = (
        DailySnapshot.objects.filter(union=unions[0], on__year=year)
        .exclude(statistics={})
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )
    if latest is None:
        return None
    found = dict(
        DailySnapshot.objects.filter(union__in=unions, on=latest).values_list(
            "union_id", "statistics"
        )
    )
    if any(not found.get(u.pk) for u in unions):
        return None
    return [UnionStatistics.of(u, *(found[u.pk][key] for key in FIGURES)) for u in unions], latest
