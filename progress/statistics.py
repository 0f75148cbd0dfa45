"""Seed 000's 部门工会会员人数统计表: per union, members, women, this year's retirees and
the welfare classes that follow from each member's 身份类别 (填表说明 4).

Per 填表说明, 在编 staff, 非事业编聘用, 大集体, 博士后, 学校人事代理 and this year's retirees
enjoy staff welfare as well as member welfare; 劳务派遣 and 临聘 staff only member welfare.
The staff list ends in "等", the member-only list is closed: a category that is neither
(or none recorded) counts as staff welfare.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.utils import timezone

from members.models import Member, MembershipEvent
from progress.counts import RangeSums, counted_members_q
from unions.access import subtree_q
from unions.models import Union

IDENTITY_KEY = "身份类别"
MEMBER_WELFARE_ONLY = ("劳务派遣", "临聘")


def welfare_class(identity: str | None) -> str:
    """ "member_only" for 劳务派遣/临聘 staff, else "staff"."""
    identity = identity or ""
    return "member_only" if any(m in identity for m in MEMBER_WELFARE_ONLY) else "staff"


@dataclass
class UnionStatistics:
    union: Union
    members: int
    retired_this_year: int
    women: int
    staff_welfare: int
    member_welfare_only: int


def member_statistics(
    root: Union, unions: list[Union], *, year: int | None = None
) -> list[UnionStatistics]:
    """One row per union in `unions` (each in `root`'s subtree), its whole subtree counted.

    会员数 counts members on the roll plus those who retired this year (the notice's
    cut-off counts them in). Which members count follows the one subtree counter
    (`progress.counts`): on the roll by its rule, and a retiree only when their union is
    active too. One grouped query.
    """
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
    rows = (
        Member.objects.filter(subtree_q(root, "union"))
        .annotate(identity=KT(f"extra__{IDENTITY_KEY}"), retired_now=retired_this_year)
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
    sums = RangeSums(rows, width=4)
    result = []
    for union in unions:
        n, retired, women, only = sums.sums(union)
        result.append(
            UnionStatistics(
                union=union,
                members=n,
                retired_this_year=retired,
                women=women,
                staff_welfare=n - only,
                member_welfare_only=only,
            )
        )
    return result
