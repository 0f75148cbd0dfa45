"""Which unions an import may write to, and how a sheet's union names resolve.

Everything is bounded by a root given by the caller: the uploader's union subtree,
narrowed to the upload's union for commands run without `--as`. Unions are loaded once per run
(one query), so resolving 100,000 rows costs no further queries.
"""

from dataclasses import dataclass

from registry.codes import normalize_key
from unions.access import subtree_q
from unions.models import Union


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

    def find_path(self, text: str) -> list[UnionNode]:
        """Unions named by a path such as 桃源县总工会 / 一中工会 / 语文组 (the export's
        工会路径, from the tree's top): the path inside the directory and the path
        written must agree on their common end."""
        written = [normalize_key(p) for p in text.replace("／", "/").split("/") if p.strip()]
        if not written:
            return []
        found = []
        for node in self.find(written[-1]):
            ours = [normalize_key(p) for p in self.path(node, limit=64).split(" / ")]
            common = min(len(ours), len(written))
            if ours[-common:] == written[-common:]:
                found.append(node)
        return found

    def path(self, node: UnionNode, limit: int = 6) -> str:
        names = []
        current: UnionNode | None = node
        while current is not None and len(names) < limit:
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
