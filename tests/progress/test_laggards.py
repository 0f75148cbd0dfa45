"""The laggards (target holders anywhere below, furthest behind the pace) read from the
targets' subtree tallies: the same list whether they come from the index of targets by rate
(large subtrees) or by position (small ones), with switched-off unions' own members held
back, and following member writes, moves and new targets at once."""

import datetime

import pytest

from members import services
from progress import rollups
from progress.models import Campaign, Target
from progress.rollups import union_progress
from unions.models import Union
from unions.services import move_union

TODAY = datetime.date(2019, 10, 25)  # half way: half of each target is due


@pytest.fixture
def campaign(db):
    return Campaign.objects.create(
        name="采集行动",
        starts_on=datetime.date(2019, 9, 25),
        deadline=datetime.date(2019, 11, 24),
        is_current=True,
    )


@pytest.fixture(params=["by position", "from the rate index"])
def walk(request, monkeypatch):
    monkeypatch.setattr(rollups, "INDEX_WALK_FROM", 0 if request.param != "by position" else 10**9)
    return request.param


def laggards(union, campaign) -> list[tuple[str, int]]:
    progress = union_progress(Union.objects.get(pk=union.pk), campaign=campaign, today=TODAY)
    return [(line.union.name, line.members) for line in progress.laggards]


def test_worst_first_with_switched_off_members_held_back(tree, campaign, make_member, walk):
    for key, goal in (("town", 10), ("base", 8), ("school", 4), ("group", 4)):
        Target.objects.create(campaign=campaign, union=tree[key], members=goal)
    for _ in range(3):
        make_member(tree["group"])
    make_member(tree["base"])
    make_member(tree["school"])

    # half of each target is due: school 1/4 and town 4/10 are behind, base 4/8 and
    # group 3/4 are not
    assert laggards(tree["county"], campaign) == [
        ("桃源一中工会", 1),
        ("漳江街道办事处工会联合会", 4),
    ]

    Union.objects.filter(pk=tree["group"].pk).update(is_active=False)
    # group's own three count nowhere: base 1/8, town 1/10, school 1/4
    assert laggards(tree["county"], campaign) == [
        ("漳江街道办事处工会联合会", 1),
        ("漳江物流公司工会", 1),
        ("桃源一中工会", 1),
    ]
    assert laggards(tree["town"], campaign) == [("漳江物流公司工会", 1)]


def test_laggards_follow_writes_moves_and_new_targets(tree, campaign, make_member, walk):
    Target.objects.create(campaign=campaign, union=tree["school"], members=4)
    target = Target.objects.create(campaign=campaign, union=tree["base"], members=4)
    member = make_member(tree["school"])
    make_member(tree["school"])
    assert laggards(tree["county"], campaign) == [("漳江物流公司工会", 0)]

    services.update_member(member=member, data={}, union=tree["group"], by=None)
    assert laggards(tree["county"], campaign) == [
        ("漳江物流公司工会", 1),
        ("桃源一中工会", 1),
    ]

    target.members = 2  # the page's and the import's save: the copy follows the target
    target.save()
    assert laggards(tree["county"], campaign) == [("桃源一中工会", 1)]

    move_union(actor=None, union=tree["town"], new_parent=tree["sibling"])
    assert laggards(tree["county"], campaign) == [("桃源一中工会", 1)]
    assert laggards(tree["city"], campaign) == [("桃源一中工会", 1)]
    Target.objects.create(campaign=campaign, union=tree["sibling"], members=10)
    assert laggards(tree["city"], campaign) == [("鼎城区总工会", 1), ("桃源一中工会", 1)]
