"""Read-side queries over the union tree."""

from dataclasses import dataclass

from django.db.models import Count

from unions.access import subtree_q
from unions.models import Union


@dataclass
class UnionCount:
    union: Union
    own: int
    total: int


def subtree_member_counts(root: Union) -> dict[int, UnionCount]:
    """Active members per union of `root`'s subtree, own and rolled up over the tree.

    Two queries whatever the tree size: one grouped count per union, one list of
    the subtree's unions; the roll-up walks them children-first in memory.
    """
    from members.models import Member

    own = dict(
        Member.objects.filter(subtree_q(root, "union"), status=Member.Status.ACTIVE)
        .values_list("union_id")
        .annotate(n=Count("id"))
        .values_list("union_id", "n")
    )
    unions = list(Union.objects.filter(subtree_q(root)).order_by("lft"))
    counts = {
        u.pk: UnionCount(union=u, own=own.get(u.pk, 0), total=own.get(u.pk, 0)) for u in unions
    }
    for union in reversed(unions):
        if union.parent_id in counts and union.pk != root.pk:
            counts[union.parent_id].total += counts[union.pk].total
    return counts
