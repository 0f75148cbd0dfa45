"""Eight writers at once on PostgreSQL: organisation-sheet imports, creates and moves all
go through `unions.services` and its tree lock, so the tree stays valid and every union
created or moved has exactly one audit entry."""

import threading
from collections import defaultdict

import pytest
from django.db import connection

from imports.engine import analyse_unions, commit_unions
from registry import codes
from tests.imports.sheets import workbook
from unions.models import AuditEntry, Union, User
from unions.services import create_union, move_union


def check_tree(tree_id: int) -> None:
    """Nested sets agree with the parent links: intervals nested and disjoint,
    rght − lft − 1 = 2 × descendants, levels one below the parent."""
    nodes = {
        pk: (parent, lft, rght, level)
        for pk, parent, lft, rght, level in Union.objects.filter(tree_id=tree_id).values_list(
            "pk", "parent_id", "lft", "rght", "level"
        )
    }
    children = defaultdict(list)
    for pk, (parent, *_rest) in nodes.items():
        children[parent].append(pk)

    def descendants(pk):
        return sum(1 + descendants(c) for c in children[pk])

    (root,) = children[None]
    assert nodes[root][1] == 1 and nodes[root][2] == 2 * len(nodes)
    for pk, (parent, lft, rght, level) in nodes.items():
        assert rght - lft - 1 == 2 * descendants(pk), pk
        if parent is not None:
            p_lft, p_rght, p_level = nodes[parent][1:]
            assert p_lft < lft < rght < p_rght, pk
            assert level == p_level + 1, pk
        spans = sorted((nodes[c][1], nodes[c][2]) for c in children[pk])
        for (_l1, r1), (l2, _r2) in zip(spans, spans[1:], strict=False):
            assert r1 < l2, pk


def sheet(tmp_path, n: int):
    return workbook(
        tmp_path / f"组织{n}.xlsx",
        {
            "工会组织": [
                ["工会名称", "工会类型", "上级工会"],
                [f"片区{n}工会联合会", "工会联合会", "桃源县总工会"],
                [f"片区{n}甲公司工会", "单独基层工会", f"片区{n}工会联合会"],
                [f"片区{n}乙公司工会", "单独基层工会", "漳江街道办事处工会联合会"],
            ]
        },
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself")
def test_eight_writers_at_once_leave_a_valid_tree_and_one_audit_entry_per_union(
    transactional_db, tree, make_user, tmp_path
):
    admin = make_user(tree["county"], User.Role.ADMIN, username="busy_admin")
    sheets = [sheet(tmp_path, n) for n in range(4)]
    errors = []
    start = threading.Barrier(8)

    def run(work):
        try:
            start.wait()
            work()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def importer(n):
        def work():
            plan = analyse_unions(sheets[n], root=tree["county"])
            assert not plan.summary.errors, plan.summary.errors
            commit_unions(plan, by=admin)

        return work

    def creator(n):
        parent = tree["town"] if n % 2 else tree["school"]
        return lambda: create_union(
            actor=admin, parent=parent, name=f"并发工会{n}", kind=codes.KIND_BASE
        )

    works = [importer(n) for n in range(4)] + [creator(n) for n in range(2)]
    works.append(lambda: move_union(actor=admin, union=tree["group"], new_parent=tree["school"]))
    works.append(lambda: move_union(actor=admin, union=tree["base"], new_parent=tree["county"]))
    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    check_tree(tree["city"].tree_id)
    new = set(Union.objects.filter(name__startswith="片区").values_list("pk", flat=True)) | set(
        Union.objects.filter(name__startswith="并发工会").values_list("pk", flat=True)
    )
    assert len(new) == 14
    created = AuditEntry.objects.filter(action=AuditEntry.Action.UNION_CREATED)
    assert sorted(created.values_list("object_id", flat=True)) == sorted(str(pk) for pk in new)
    moved = AuditEntry.objects.filter(action=AuditEntry.Action.UNION_MOVED)
    assert sorted(moved.values_list("object_id", flat=True)) == sorted(
        [str(tree["group"].pk), str(tree["base"].pk)]
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT_COMMITTED).count() == 4
    assert Union.objects.get(pk=tree["group"].pk).parent_id == tree["school"].pk
    assert Union.objects.get(pk=tree["base"].pk).parent_id == tree["county"].pk
    assert Union.objects.get(name="片区2甲公司工会").parent.name == "片区2工会联合会"
