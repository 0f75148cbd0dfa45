"""The subtree tallies (members on the roll of each union's whole subtree) the writers
keep: member writes add to every ancestor, a transfer or a move shifts the figures between
counties, a switch-off changes what the pages count, concurrent writers leave them right,
and `reconcile_tallies` finds and repairs a broken one."""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from members import services, tallies
from members.models import Member
from members.synthetic import id_number
from progress.counts import subtree_member_counts
from progress.rollups import union_progress
from tests.writers.test_tallies import reconcile
from unions.models import SubtreeTally, Union
from unions.services import move_union, set_union_active


def figures(tree) -> dict[str, int]:
    kept = dict(SubtreeTally.objects.values_list("union_id", "members"))
    return {key: kept.get(union.pk, 0) for key, union in tree.items()}


def shown(union) -> int:
    return union_progress(Union.objects.get(pk=union.pk)).node.members


def test_member_writes_add_to_the_union_and_every_ancestor(tree, make_member):
    make_member(tree["group"])
    make_member(tree["group"])
    make_member(tree["sibling_base"])
    make_member(tree["school"], status=Member.Status.LEFT)  # not on the roll

    assert figures(tree) == {
        "city": 3,
        "county": 2,
        "town": 2,
        "base": 2,
        "group": 2,
        "school": 0,
        "sibling": 1,
        "sibling_base": 1,
    }
    assert tallies.subtree_differences() == []


def test_a_transfer_between_counties_shifts_the_figures(tree, make_member):
    member = make_member(tree["group"])
    make_member(tree["school"])
    assert (shown(tree["county"]), shown(tree["sibling"])) == (2, 0)

    services.update_member(member=member, data={}, union=tree["sibling_base"], by=None)

    assert (shown(tree["county"]), shown(tree["sibling"]), shown(tree["city"])) == (1, 1, 2)
    assert figures(tree)["town"] == 0 and figures(tree)["sibling_base"] == 1
    assert tallies.subtree_differences() == []


def test_moving_a_union_moves_its_subtree_figure(tree, make_member):
    make_member(tree["group"])
    make_member(tree["group"])
    make_member(tree["base"])
    make_member(tree["school"])

    move_union(actor=None, union=tree["town"], new_parent=tree["sibling"])

    assert (shown(tree["county"]), shown(tree["sibling"]), shown(tree["city"])) == (1, 3, 4)
    children = {c.union.name: c.members for c in union_progress(tree["sibling"]).children}
    assert children == {"漳江街道办事处工会联合会": 3, "鼎城医院工会": 0}
    assert tallies.subtree_differences() == []


def test_switching_a_union_off_and_on_changes_what_counts(tree, make_member):
    make_member(tree["base"])
    make_member(tree["group"])
    make_member(tree["group"])

    set_union_active(actor=None, union=tree["group"], active=False)

    assert (shown(tree["county"]), shown(tree["base"]), shown(tree["city"])) == (1, 1, 1)
    home = subtree_member_counts(Union.objects.get(pk=tree["county"].pk), children_only=True)
    assert home[tree["county"].pk].total == 1
    assert tallies.subtree_differences() == []  # the figures themselves do not change

    set_union_active(actor=None, union=tree["group"], active=True)
    assert (shown(tree["county"]), shown(tree["base"])) == (3, 3)


def test_reconcile_finds_and_repairs_a_broken_subtree_tally(tree, make_member):
    make_member(tree["group"])
    SubtreeTally.objects.filter(union=tree["county"]).update(members=7)
    assert shown(tree["county"]) == 7  # the page trusts the tally: hence the proof

    code, report = reconcile()
    assert code == 1 and not report["consistent"]
    assert report["differences"] == []
    assert report["subtree_differences"] == [
        {"union_id": tree["county"].pk, "union": "桃源县总工会", "stored": 7, "counted": 1}
    ]

    code, report = reconcile("--repair")
    assert code == 0 and report["repaired"]
    assert tallies.subtree_differences() == []
    assert shown(tree["county"]) == 1


def test_reconcile_speaks_chinese_about_subtrees(tree, make_member):
    make_member(tree["group"])
    SubtreeTally.objects.filter(union=tree["town"]).update(members=0)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("reconcile_tallies", stdout=out)
    assert "漳江街道办事处工会联合会" in out.getvalue()
    assert "子树在册：台账 0，实际 1" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself")
def test_concurrent_member_writers_and_moves_keep_the_subtree_tallies_right(transactional_db, tree):
    """Six member writers in six unions of one tree, and a union moved back and forth
    between two counties, all at once: no deadlock, no lost update."""
    targets = ["group", "base", "town", "school", "sibling_base", "county"]
    errors = []
    start = threading.Barrier(len(targets) + 1)
    per_writer = 8

    def run(work):
        try:
            start.wait()
            work()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def writer(n, key):
        def work():
            for i in range(per_writer):
                seq = n * 100 + i + 1
                services.create_member(
                    union=Union.objects.get(pk=tree[key].pk),
                    data={
                        "name": "李四",
                        "id_type": "01",
                        "id_number": id_number(
                            birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=n),
                            seq=i + 1,
                        ),
                        "gender": "1",
                        "mobile": f"139{seq:08d}",
                    },
                    by=None,
                )

        return work

    def mover():
        for i in range(6):
            parent = tree["sibling"] if i % 2 == 0 else tree["county"]
            move_union(
                actor=None,
                union=Union.objects.get(pk=tree["school"].pk),
                new_parent=Union.objects.get(pk=parent.pk),
            )

    threads = [threading.Thread(target=run, args=(writer(n, k),)) for n, k in enumerate(targets)]
    threads.append(threading.Thread(target=run, args=(mover,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Member.objects.count() == per_writer * len(targets)
    assert tallies.subtree_differences() == []
    assert shown(tree["city"]) == per_writer * len(targets)
    assert shown(tree["county"]) == per_writer * 5  # school is back under the county
