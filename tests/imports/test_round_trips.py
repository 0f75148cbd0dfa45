"""Issue 11, item 2: an export imported again unchanged gives only 无变化.

Run on PostgreSQL too (DATABASE_URL=postgres://…): the exports' dates, JSON extras and
codes must come back equal from either database."""

import datetime
import zipfile

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from imports.engine import analyse_members, commit_members
from members.export import COLUMNS, export_members
from members.models import Member
from tests.imports.sheets import mobile, person_id, workbook
from unions.access import user_root
from unions.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(tmp_path, tree, departments, base_collector, make_member):
    """Members as the registry holds them after imports and a 会籍变动: two 一组 of the
    same name under different 部门工会, a registered and an unregistered 工作单位, extras,
    a passport holder, a year-month 入会时间 and a retired member."""
    unit = Unit.objects.create(name="桃源县第一车间")
    unit.unions.add(tree["base"])
    rows = [
        ["部门工会", "工会小组", "姓名", "证件类型", "身份证号码", "手机号码", "性别", "民族"]
        + ["政治面貌", "学历", "入会时间", "就业状况", "新就业形态劳动者", "工会职务"]
        + ["专兼职", "工作单位", "籍贯", "工号"],
        ["矿业工程学院", "一组", "李娜", "居民身份证", person_id(1, male=False), mobile(1), "女"]
        + ["汉族", "中共党员", "研究生/博士", "2019/7/25", "在岗", "否", "经费审查委员会主任"]
        + ["兼职", "桃源县第一车间", "江苏徐州", "1001"],
        ["校党政机关", "一组", "张伟", "居民身份证", person_id(3), mobile(3), "男", "土家族"]
        + ["群众", "本科", "2020年4月", "劳务派遣", "是", "会员", None, "漳江物流公司"]
        + ["湖南桃源", None],
        [None, None, "John Smith", "护照", "E1234567", mobile(4), "男", None]
        + [None, None, "2014.02", None, None, None, None, None, None, "0042"],
    ]
    path = workbook(tmp_path / "roster.xlsx", {"花名册": rows})
    plan = analyse_members(path, union=tree["base"], root=user_root(base_collector))
    commit_members(plan, by=base_collector)
    assert (plan.summary.created, plan.summary.invalid) == (3, 0), plan.summary.errors
    born = datetime.date(1960, 3, 1)
    make_member(
        tree["base"],
        name="王退休",
        status=Member.Status.RETIRED,
        id_number=person_id(7, birth=born),
        birth_date=born,
    )
    return Member.objects.filter(union__tree_id=tree["base"].tree_id)


def export_to(path, queryset):
    export_members(queryset, path)
    return path


def test_member_export_reimported_unchanged_changes_nothing(
    tmp_path, tree, departments, base_collector, registered
):
    before = list(registered.order_by("pk").values())
    path = export_to(tmp_path / "export.xlsx", registered)

    plan = analyse_members(path, union=tree["base"], root=user_root(base_collector))

    summary = plan.summary
    assert summary.errors == []
    assert (summary.rows, summary.unchanged) == (4, 4)
    assert (summary.created, summary.updated, summary.invalid, summary.conflicts) == (0, 0, 0, 0)
    assert [w.code for w in summary.warnings if w.code == "status_differs"] == []
    commit_members(plan, by=base_collector)
    assert list(registered.order_by("pk").values()) == before


def test_export_columns_are_recognised_never_stored_as_extras(
    tmp_path, tree, departments, base_collector, registered
):
    path = export_to(tmp_path / "export.xlsx", registered)

    plan = analyse_members(path, union=tree["base"], root=user_root(base_collector))

    (reading,) = plan.summary.sheets
    unknown = {c["header"] for c in reading["columns"] if c["field"] is None}
    exported = {name for name, _ in COLUMNS}
    assert unknown.isdisjoint(exported)  # 工会编码, 工会路径, 会籍状态, 最近核查 … all read
    assert unknown == {"籍贯", "工号"}  # the extras, as exported


def test_same_name_groups_come_back_to_their_own_union(
    tmp_path, tree, departments, base_collector, registered
):
    path = export_to(tmp_path / "export.xlsx", registered)
    # Without 工会编码 the path still tells the two 一组 apart.
    book = load_workbook(path)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    code = headers.index("工会编码") + 1
    for row in sheet.iter_rows(min_row=2):
        row[code - 1].value = None
    book.save(path)

    plan = analyse_members(path, union=tree["base"], root=user_root(base_collector))

    assert plan.summary.errors == []
    assert plan.summary.unchanged == 4


def test_a_changed_status_warns_and_points_to_membership_changes(
    tmp_path, tree, departments, base_collector, registered
):
    path = export_to(tmp_path / "export.xlsx", registered)
    book = load_workbook(path)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    status = headers.index("会籍状态")
    name = headers.index("姓名")
    for row in sheet.iter_rows(min_row=2):
        if row[name].value == "李娜":
            row[status].value = "已离职"
            changed_row = row[0].row
    book.save(path)

    plan = analyse_members(path, union=tree["base"], root=user_root(base_collector))
    commit_members(plan, by=base_collector)

    (warning,) = [w for w in plan.summary.warnings if w.code == "status_differs"]
    assert warning.row == changed_row
    assert "会籍变动" in warning.message and "在册" in warning.message
    assert plan.summary.unchanged == 4
    assert Member.objects.get(name="李娜").status == Member.Status.ACTIVE


def test_an_unregistered_unit_appears_in_the_export(
    tmp_path, tree, departments, base_collector, registered
):
    path = export_to(tmp_path / "export.xlsx", registered)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    unit = rows[0].index("工作单位")
    name = rows[0].index("姓名")
    units = {row[name]: row[unit] for row in rows[1:]}
    assert units["张伟"] == "漳江物流公司"
    assert units["李娜"] == "桃源县第一车间"


def test_an_edited_export_shows_each_change_masked(
    tmp_path, tree, departments, base_collector, registered
):
    path = export_to(tmp_path / "export.xlsx", registered)
    book = load_workbook(path)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("姓名")].value == "李娜":
            row[headers.index("手机号码")].value = "13700001111"
            row[headers.index("学历")].value = "大学本科"
    book.save(path)

    plan = analyse_members(path, union=tree["base"], root=user_root(base_collector))

    assert (plan.summary.updated, plan.summary.unchanged) == (1, 3)
    (change,) = plan.summary.changes
    assert change["name"] == "李娜"
    shown = {c["label"]: (c["old"], c["new"]) for c in change["changes"]}
    assert shown == {
        "手机号码": ("139****0001", "137****1111"),
        "学历": ("研究生(博士)", "大学本科"),
    }


# ---- item 7: the stale guard ----------------------------------------------------------


def test_an_older_roster_does_not_put_back_old_values(
    tmp_path, tree, departments, base_collector, registered
):
    from members import services

    old_file = export_to(tmp_path / "older.xlsx", registered)  # saved now: its own time
    li = Member.objects.get(name="李娜")
    services.update_member(member=li, data={"mobile": "13600002222"}, by=base_collector)
    # The file's time has whole seconds: the edit is a few seconds later.
    later = timezone.now() + datetime.timedelta(seconds=5)
    Member.objects.filter(pk=li.pk).update(updated_at=later)
    book = load_workbook(old_file)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("姓名")].value == "张伟":
            row[headers.index("学历")].value = "大学专科"
    # openpyxl stamps a new modified time on save: put the old one back, as a copy
    # of the older file edited elsewhere would keep it.
    stamped = tmp_path / "older-edited.xlsx"
    book.save(stamped)
    with zipfile.ZipFile(old_file) as old, zipfile.ZipFile(stamped) as new:
        core = old.read("docProps/core.xml")
        parts = {n: new.read(n) for n in new.namelist()}
    parts["docProps/core.xml"] = core
    with zipfile.ZipFile(stamped, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)

    plan = analyse_members(stamped, union=tree["base"], root=user_root(base_collector))

    summary = plan.summary
    (warning,) = [w for w in summary.warnings if w.code == "stored_newer"]
    assert "登记库中的信息更新" in warning.message
    assert (summary.updated, summary.kept_newer) == (1, 1)  # 张伟's 学历; 李娜 kept
    commit_members(plan, by=base_collector)
    assert Member.objects.get(name="李娜").mobile == "13600002222"
    assert Member.objects.get(name="张伟").education == "31"

    again = analyse_members(
        stamped, union=tree["base"], root=user_root(base_collector), keep_newer=False
    )
    assert (again.summary.updated, again.summary.kept_newer) == (1, 0)
    commit_members(again, by=base_collector)
    assert Member.objects.get(name="李娜").mobile == mobile(1)
