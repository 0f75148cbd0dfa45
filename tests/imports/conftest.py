import pytest

from registry import codes
from unions.models import Union, User


@pytest.fixture
def departments(tree):
    """Seed 000's shape under the base union: 部门工会 (分会) with 工会小组 below them."""

    def add(name, kind, parent):
        return Union.objects.create(name=name, kind=kind, parent=parent)

    mining = add("矿业工程学院", codes.KIND_BRANCH, tree["base"])
    offices = add("校党政机关", codes.KIND_BRANCH, tree["base"])
    unions = {
        "mining": mining,
        "mining_1": add("一组", codes.KIND_GROUP, mining),
        "mining_2": add("二组", codes.KIND_GROUP, mining),
        "offices": offices,
        "offices_1": add("一组", codes.KIND_GROUP, offices),
    }
    for union in unions.values():
        union.refresh_from_db()
    tree["base"].refresh_from_db()
    return unions


@pytest.fixture
def base_collector(tree, make_user):
    return make_user(tree["base"], User.Role.COLLECTOR, username="base_collector")
