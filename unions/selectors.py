"""Read-side queries over the union tree."""

from dataclasses import dataclass

from django.db.models import Count, Q

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


class UnionNotFound(Exception):
    """A union reference that names no union, or several; `message` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def resolve_union(ref: str, *, within: Union | None = None) -> Union:
    """A union by 统一社会信用代码, system code, id or exact name (which must be unique)."""
    from unions.access import subtree_q

    ref = ref.strip()
    qs = Union.objects.all()
    if within is not None:
        qs = qs.filter(subtree_q(within))
    lookup = Q(credit_code=ref.upper()) | Q(system_code=ref.upper()) | Q(name=ref)
    if ref.isdigit():
        lookup |= Q(pk=int(ref))
    found = list(qs.filter(lookup)[:3])
    if not found:
        raise UnionNotFound(
            f"找不到工会组织“{ref}”（可用统一社会信用代码、系统赋码或准确的工会名称）。"
        )
    if len(found) > 1:
        raise UnionNotFound(f"“{ref}”对应多个工会组织，请改用统一社会信用代码或系统赋码。")
    return found[0]
