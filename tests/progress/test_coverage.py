"""入会率, 建会率 and 未建会单位 (issue 14 item 2): on the page, in the report and in --json."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from members import tallies
from progress.coverage import unbuilt_units
from progress.rollups import union_progress
from tests.exporting import report_content
from unions import services as union_services
from unions.models import User


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
    union_services.set_union_active(actor=None, union=covered["school"], active=False)
    cov = union_progress(covered["county"]).node.coverage
    assert (cov.units, cov.units_with_union) == (5, 1)
    assert {u.name for u in unbuilt_units(covered["county"])} >= {"桃源一中", "桃源一中后勤服务部"}


def test_coverage_on_the_progress_page(client, covered, make_user):
    client.force_login(make_user(covered["county"], User.Role.VIEWER))
    page = client.get(reverse("progress:union", args=[covered["county"].pk])).content.decode()
    assert 'data-testid="join-rate">45.2%' in page  # 33 / 73
    assert "33 / 73 人" in page
    assert 'data-testid="union-rate">60.0%' in page
    assert "3 / 5 个" in page
    assert "1 个单位未填职工人数，不计入入会率（所在工会的 10 名会员也不计入）" in page
    assert "未关联单位的会员 4 名" in page
    assert "未建会单位（2 个）" in page
    assert "漳江超市" in page and "漳江饭店" in page
    assert "桃源一中后勤服务部" not in page  # a unit with a union, only missing 职工人数


def test_a_rate_over_100_percent_is_shown(client, tree, make_user, make_member):
    unit(tree["school"], "桃源一中", 4)
    for _ in range(6):
        make_member(tree["school"])
    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    page = client.get(reverse("progress:union", args=[tree["school"].pk])).content.decode()
    assert 'data-testid="join-rate">150.0%' in page
    assert "会员多于登记的职工人数" in page


def test_coverage_in_the_progress_report(client, covered, make_user):
    client.force_login(make_user(covered["county"], User.Role.VIEWER))
    content = report_content(client, reverse("progress:report_xlsx", args=[covered["county"].pk]))
    wb = load_workbook(io.BytesIO(content))
    ws = wb["进度通报"]
    header = [c.value for c in ws[3]]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=4)}
    node = rows["桃源县总工会（本级及全部下级）"]
    col = {name: header.index(name) for name in header if name}
    assert node[col["职工人数（人）"]].value == 73
    assert node[col["计入入会率的会员（人）"]].value == 33
    rate = node[col["入会率"]]
    assert rate.value == round(33 / 73, 4) and rate.number_format == "0.0%"
    assert (node[col["单位（个）"]].value, node[col["已建会单位（个）"]].value) == (5, 3)
    assert node[col["建会率"]].value == 0.6 and node[col["建会率"]].number_format == "0.0%"
    assert node[col["职工人数（人）"]].number_format == "#,##0"
    school = rows["桃源一中工会"]
    assert school[col["入会率"]].value is None and school[col["建会率"]].value == 1.0
    notes = [c.value for c in ws["B"] if isinstance(c.value, str)]
    assert any("1 个单位未填职工人数" in n for n in notes)
    assert any("未关联单位的会员 4 名" in n for n in notes)
    unbuilt = wb["未建会单位"]
    assert [r[1] for r in unbuilt.iter_rows(min_row=4, values_only=True)] == [
        "漳江超市",
        "漳江饭店",
    ]


def test_coverage_in_progress_json(covered):
    out = io.StringIO()
    call_command("progress", "--union", "桃源县总工会", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["coverage"] == {
        "employees": 73,
        "members": 33,
        "join_rate": round(33 / 73, 4),
        "units": 5,
        "units_with_union": 3,
    }
    text = io.StringIO()
    call_command("progress", "--union", "桃源县总工会", stdout=text)
    assert "入会率 45.2%（会员 33 / 职工人数 73），建会率 60.0%" in text.getvalue()


def test_coverage_follows_changes_to_units_and_unions(covered):
    before = union_progress(covered["county"]).node.coverage
    assert (before.units, before.employees) == (5, 73)
    unit(covered["school"], "桃源一中食堂", 7)  # a new link
    school_unit = covered["school"].units.get(name="桃源一中后勤服务部")
    school_unit.staff_count = 3  # now every unit of the school has 职工人数
    school_unit.save()
    after = union_progress(covered["county"]).node.coverage
    assert (after.units, after.employees, after.members) == (6, 73 + 40 + 3 + 7, 43)
    # the base union has a live 工会小组 below it: switched off the way the services do it
    covered["base"].is_active = False
    covered["base"].save(update_fields=["is_active", "updated_at"])
    switched_off = union_progress(covered["county"]).node.coverage
    assert switched_off.units_with_union == after.units_with_union - 1


def _fresh_coverage(union):
    """The coverage computed from nothing kept (what a newly started worker shows)."""
    from progress import coverage

    coverage._COVERAGE.clear()
    coverage._KEPT.clear()
    return union_progress(union).node.coverage


def test_coverage_follows_member_writes_deep_in_the_tree(covered, make_member):
    county = covered["county"]
    assert union_progress(county).node.coverage.members == 33  # now kept in the process
    moved = make_member(covered["school"])  # out of the rate: the school lacks 职工人数
    for _ in range(5):
        make_member(covered["group"])  # a 工会小组 of the logistics company: in its rate
    make_member(covered["county"])  # no unit
    tallies.adjust(tallies.moved((moved.union_id, "active"), (covered["town"].pk, "active")))
    moved.union = covered["town"]
    moved.save(update_fields=["union"])
    after = union_progress(county)
    cov = after.node.coverage
    assert (cov.members, cov.members_without_staff, cov.members_without_unit) == (39, 10, 5)
    assert cov.join_rate == round(39 / 73, 4)
    by_name = {c.union.name: c.coverage for c in after.children}
    assert by_name["漳江街道办事处工会联合会"].members == 39
    assert cov == _fresh_coverage(county)


def test_coverage_follows_a_unit_edit_after_member_writes(covered, make_member):
    county = covered["county"]
    union_progress(county)
    for _ in range(2):
        make_member(covered["school"])
    assert union_progress(county).node.coverage.members_without_staff == 12
    school_unit = covered["school"].units.get(name="桃源一中后勤服务部")
    school_unit.staff_count = 10  # the school's members join the rate
    school_unit.save()
    cov = union_progress(county).node.coverage
    assert (cov.members, cov.employees, cov.members_without_staff) == (45, 123, 0)
    assert cov == _fresh_coverage(county)


def test_coverage_after_writes_all_over_the_subtree_is_read_again(
    covered, make_member, monkeypatch
):
    from progress.coverage import OwnTallies

    county = covered["county"]
    union_progress(county)
    monkeypatch.setattr(OwnTallies, "WALK_MOST", 0)  # every walk gives up at once
    for _ in range(3):
        make_member(covered["town"])
    cov = union_progress(county).node.coverage
    assert (cov.members, cov.join_rate) == (36, round(36 / 73, 4))
