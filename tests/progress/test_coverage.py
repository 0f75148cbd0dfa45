"""入会率, 建会率 and 未建会单位 (issue 14 item 2): on the page, in the report and in --json."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from progress.coverage import unbuilt_units
from progress.rollups import union_progress
from unions import services as union_services
from unions.models import Union, User


def unit(union, name, staff=None, code=None):
    values = {"name": name, "staff_count": staff}
    if code:
        values["credit_code"] = code
    return union_services.link_unit(union, values)


@pytest.fixture
def covered(tree, make_member):
    """The county: the logistics company (base, 物流公司 60 职工, 30 members, 20 of them in
    its 工会小组), the school (base, two units: 桃源一中 40 + 后勤 no 职工人数, 10 members),
    the town federation recording two units with no union (一家超市 8 职工, 一家饭店 5 职工)
    and holding 3 workers of them, and 4 members of the county federation itself (no unit)."""
    unit(tree["base"], "漳江物流公司", 60)
    for _ in range(10):
        make_member(tree["base"])
    for _ in range(20):
        make_member(tree["group"])
    unit(tree["school"], "桃源一中", 40)
    unit(tree["school"], "桃源一中后勤服务部")  # no 职工人数
    for _ in range(10):
        make_member(tree["school"])
    unit(tree["town"], "漳江超市", 8)
    unit(tree["town"], "漳江饭店", 5)
    for _ in range(3):
        make_member(tree["town"])
    for _ in range(4):
        make_member(tree["county"])
    return tree


def test_join_and_union_rates_of_the_county(covered):
    progress = union_progress(covered["county"])
    cov = progress.node.coverage
    # in the rate: the logistics company (30 of 60) and the town (3 of 13);
    # the school is out (a unit without 职工人数), the county's own 4 have no unit
    assert (cov.employees, cov.members, cov.join_rate) == (73, 33, round(33 / 73, 4))
    assert (cov.units, cov.units_with_union, cov.units_without_union) == (5, 3, 2)
    assert cov.union_rate == 0.6
    assert (cov.units_without_staff, cov.members_without_staff) == (1, 10)
    assert cov.members_without_unit == 4
    assert cov.members + cov.members_without_staff + cov.members_without_unit == 47
    by_name = {c.union.name: c.coverage for c in progress.children}
    town = by_name["漳江街道办事处工会联合会"]
    assert (town.employees, town.members, town.units, town.units_with_union) == (73, 33, 3, 1)
    school = by_name["桃源一中工会"]
    assert (school.join_rate, school.units_without_staff, school.union_rate) == (None, 1, 1.0)


def test_a_group_inside_a_base_union_is_rated_with_it(covered):
    progress = union_progress(covered["base"])
    assert progress.node.coverage.join_rate == 0.5
    (group,) = progress.children
    assert group.coverage.part_of_id == covered["base"].pk
    assert group.coverage.join_rate is None


def test_more_members_than_staff_is_shown_over_100_percent(tree, make_member):
    unit(tree["school"], "桃源一中", 4)
    for _ in range(6):
        make_member(tree["school"])
    cov = union_progress(tree["school"]).node.coverage
    assert (cov.join_rate, cov.join_rate_percent) == (1.5, 150.0)


def test_unbuilt_units_are_listed_for_the_subtree_only(covered):
    unit(covered["sibling"], "鼎城农场", 12)
    assert [u.name for u in unbuilt_units(covered["county"])] == ["漳江超市", "漳江饭店"]
    assert [u.recorded_by for u in unbuilt_units(covered["county"])] == [
        "漳江街道办事处工会联合会"
    ] * 2
    assert [u.name for u in unbuilt_units(covered["city"])] == ["漳江超市", "漳江饭店", "鼎城农场"]
    assert unbuilt_units(covered["school"]) == []


def test_a_unit_of_a_switched_off_union_has_no_union(covered):
    Union.objects.filter(pk=covered["school"].pk).update(is_active=False)
    cov = union_progress(covered["county"]).node.coverage
    assert (cov.units, cov.units_with_union) == (5, 1)
    assert {u.name for u in unbuilt_units(covered["county"])} >= {"桃源一中", "桃源一中后勤服务部"}
