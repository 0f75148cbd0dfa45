"""Which unions an import may write to, and how a sheet's union names resolve.

Everything is bounded by a root: the uploader's union subtree, narrowed to the
upload's union for commands run without `--as`. Unions are loaded once per run
(one query), so resolving 100,000 rows costs no further queries.
"""

from dataclasses import dataclass

from imports.engine.problems import FileRejected
from registry.codes import normalize_key
from unions.access import subtree_q, union_in_scope, user_root
from unions.models import Union, User


def scope_root(uploader: User | None, union: Union) -> Union:
    """The top of what this import may touch. None/superuser = operator acting for `union`."""
    if uploader is None or (uploader.is_superuser and not uploader.union_id):
        return union
    if not uploader.can_edit_members:
        raise FileRejected(f"账号“{uploader.username}”没有导入会员的权限（需要管理员或采集员）。")
    root = user_root(uploader)
    if root is None or not union_in_scope(uploader, union):
        raise FileRejected(f"账号“{uploader.username}”无权向“{union.name}”导入数据。")
    return root


@dataclass(frozen=True)
class UnionNode:
    id: int
    name: str
    parent_id: int | None
    tree_id: int
    lft: int
    rght: int

    def contains(self, other: "UnionNode") -> bool:
        return self.tree_id == other.tree_id and self.lft <= other.lft <= self.rght


class UnionDirectory:
    """The unions under `root`, looked up by name or code."""

    def __init__(self, root: Union | None):
        self.root = root
        self.nodes: dict[int, UnionNode] = {}
        self.by_key: dict[str, list[UnionNode]] = {}
        unions = Union.objects.filter(is_active=True)
        if root is not None:
            unions = unions.filter(subtree_q(root))
        rows = unions.values_list(
            "id", "name", "parent_id", "tree_id", "lft", "rght", "credit_code", "system_code"
        )
        for pk, name, parent_id, tree_id, lft, rght, credit, system in rows:
            node = UnionNode(pk, name, parent_id, tree_id, lft, rght)
            self.add(node, credit or "", system)

    def add(self, node: UnionNode, *codes: str) -> None:
        self.nodes[node.id] = node
        for key in {normalize_key(node.name), *(normalize_key(c) for c in codes)}:
            if key:
                self.by_key.setdefault(key, []).append(node)

    def node(self, pk: int) -> UnionNode | None:
        return self.nodes.get(pk)

    def find(self, text: str, within: UnionNode | None = None) -> list[UnionNode]:
        found = self.by_key.get(normalize_key(text), [])
        if within is not None:
            found = [n for n in found if within.contains(n)]
        return found

    def path(self, node: UnionNode) -> str:
        names = []
        current: UnionNode | None = node
        while current is not None and len(names) < 6:
            names.append(current.name)
            current = self.nodes.get(current.parent_id) if current.parent_id else None
        return " / ".join(reversed(names))


def exists_outside(texts: set[str]) -> set[str]:
    """Which of these names/codes name some union anywhere (one query)."""
    if not texts:
        return set()
    keys = {t.strip() for t in texts}
    rows = Union.objects.filter(name__in=keys).values_list("name", flat=True)
    found = {normalize_key(n) for n in rows}
    upper = {k.upper() for k in keys}
    rows = Union.objects.filter(credit_code__in=upper).values_list("credit_code", flat=True)
    found |= {normalize_key(c) for c in rows}
    rows = Union.objects.filter(system_code__in=upper).values_list("system_code", flat=True)
    found |= {normalize_key(c) for c in rows}
    return {t for t in texts if normalize_key(t) in found}
