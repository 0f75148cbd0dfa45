"""名单比对 (issue 14 item 1): the analysis with lists built in the test, and the command."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from imports.engine import FileRejected
from imports.reconcile.analysis import analyse_list
from members.models import Member
from registry.validators import mask_id, mask_phone
from tests.imports.sheets import person_id, workbook
from unions.models import AuditEntry, Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree, make_member):
    """Four people registered in the base union, one in the sibling county's hospital."""
    base = tree["base"]
    return {
        "same": make_member(base, name="王一", id_number=person_id(1), mobile="13900000001"),
        "renamed": make_member(base, name="王二", id_number=person_id(2), mobile="13900000002"),
        "gone": make_member(base, name="王三", id_number=person_id(3), mobile="13900000003"),
        "left_already": make_member(
            base, name="王四", id_number=person_id(4), status=Member.Status.LEFT
        ),
        "elsewhere": make_member(tree["sibling_base"], name="李五", id_number=person_id(5)),
    }


def payroll(tmp_path, rows, header=("序号", "职工姓名", "公民身份号码", "联系电话", "单位")):
    return workbook(
        tmp_path / "工资表.xlsx", {"工资发放表": [["2026年11月工资发放表"], list(header), *rows]}
    )


def test_the_four_groups(tmp_path, tree, people):
    path = payroll(
        tmp_path,
        [
            [1, "王一", person_id(1), "13900000001", "漳江物流"],
            [2, "王贰", person_id(2), "13900000022", "漳江物流"],  # name and phone differ
            [3, "赵六", person_id(6), "13900000006", "漳江物流"],  # not registered
            [4, "李五", person_id(5), "", "漳江物流"],  # a member of the sibling's hospital
        ],
    )
    result = analyse_list(path, union=tree["base"])

    assert result.rows == 4 and result.same == 1
    assert [r.name for r in result.missing] == ["赵六"]
    assert result.missing[0].unit_name == "漳江物流" and result.missing[0].row == 5
    # 王三 is registered and active but not on the list; 王四 has left already: not proposed.
    assert [m["name"] for m in result.absent] == ["王三"]
    assert [(x.row.name, x.differences) for x in result.mismatched] == [
        ("王贰", {"name": "王二", "mobile": "13900000002"})
    ]
    assert [(x.row.name, x.holder_name) for x in result.elsewhere] == [("李五", "鼎城医院工会")]
    assert result.counts()["on_list_not_registered"] == 1


def test_the_subtree_counts_not_the_union_alone(tmp_path, tree, people, make_member):
    """Members of a 工会小组 under the union are registered here, not elsewhere."""
    make_member(tree["group"], name="车间甲", id_number=person_id(7))
    path = payroll(tmp_path, [[1, "车间甲", person_id(7), "", ""]])
    result = analyse_list(path, union=tree["base"])
    assert result.same == 1 and not result.elsewhere and not result.missing


def test_a_unit_narrows_who_should_be_on_the_list(tmp_path, tree, people):
    unit = Unit.objects.create(name="漳江物流有限公司")
    tree["base"].units.add(unit)
    Member.objects.filter(pk=people["same"].pk).update(unit=unit)
    path = payroll(tmp_path, [[1, "王一", person_id(1), "13900000001", ""]])
    result = analyse_list(path, union=tree["base"], unit=unit)
    assert result.absent == []  # 王二 and 王三 are not registered with this unit
    assert result.same == 1


def test_ids_in_every_broken_shape_are_matched(tmp_path, tree, people):
    """Apostrophes, spaces, full-width digits, ="…", lower-case x and 15 digits: read the
    way the import engine reads them, and matched to the registered 18-digit number."""
    x_id = next(person_id(n) for n in range(20, 400) if person_id(n).endswith("X"))
    old_style = "430725" + "800101" + "123"  # 15 digits: 1980-01-01
    from registry.validators import upgrade_15_digit_id

    registered = {
        "x": Member.objects.create(union=tree["base"], name="大写", id_number=x_id),
        "old": Member.objects.create(
            union=tree["base"], name="老号", id_number=upgrade_15_digit_id(old_style)
        ),
    }
    wide = person_id(1).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    path = payroll(
        tmp_path,
        [
            [1, "王一", wide, "13900000001", ""],
            [2, "王二", f"'{person_id(2)}", "13900000002", ""],
            [3, "王三", f"{person_id(3)} ", "13900000003", ""],
            [4, "大写", x_id.lower(), "", ""],
            [5, "老号", old_style, "", ""],
            [
                6,
                "空格",
                " ".join([person_id(6)[:6], person_id(6)[6:14], person_id(6)[14:]]),
                "",
                "",
            ],
            [7, "错号", person_id(8)[:-1] + ("1" if person_id(8)[-1] != "1" else "2"), "", ""],
        ],
    )
    result = analyse_list(path, union=tree["base"])
    assert result.same == 5, result.problems
    assert [r.name for r in result.missing] == ["空格"]
    assert result.missing[0].id_number == person_id(6)
    assert result.problem_count == 1 and result.problems[0].code == "id_checksum"
    assert {m["name"] for m in result.absent} == set()
    assert registered["x"].pk and registered["old"].pk


def test_csv_lists_are_read_too(tmp_path, tree, people):
    path = tmp_path / "社保名单.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "社会保障号码", "参保单位"])
        writer.writerow(["赵六", person_id(6), "漳江物流"])
        writer.writerow(["王一", f'="{person_id(1)}"', "漳江物流"])  # how some systems export IDs
    result = analyse_list(path, union=tree["base"])
    assert [r.name for r in result.missing] == ["赵六"]
    assert result.same == 1


def test_a_list_without_an_id_column_names_the_columns_it_has(tmp_path, tree, people):
    path = payroll(tmp_path, [[1, "王一", "13900000001"]], header=("序号", "姓名", "手机号码"))
    with pytest.raises(FileRejected) as refused:
        analyse_list(path, union=tree["base"])
    message = refused.value.message
    assert "没有证件号码列" in message
    assert "“序号”" in message and "“姓名”" in message and "“手机号码”" in message


def test_an_empty_list_and_an_unreadable_file_are_refused(tmp_path, tree):
    empty = payroll(tmp_path, [])
    with pytest.raises(FileRejected) as refused:
        analyse_list(empty, union=tree["base"])
    assert "没有人员" in refused.value.message
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(FileRejected):
        analyse_list(broken, union=tree["base"])


def test_duplicates_on_the_list_count_once(tmp_path, tree, people):
    path = payroll(
        tmp_path,
        [[1, "赵六", person_id(6), "", ""], [2, "赵六", person_id(6), "", ""]],
    )
    result = analyse_list(path, union=tree["base"])
    assert len(result.missing) == 1 and result.duplicates == 1


def test_the_analysis_writes_nothing(tmp_path, tree, people):
    before = list(Member.objects.order_by("pk").values())
    path = payroll(tmp_path, [[1, "王贰", person_id(2), "13900000022", ""]])
    analyse_list(path, union=tree["base"])
    assert list(Member.objects.order_by("pk").values()) == before


# ---- manage.py reconcile ---------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command("reconcile", *args, stdout=out)
    return out.getvalue()


def test_command_json_has_the_four_groups_masked(tmp_path, tree, people):
    path = payroll(
        tmp_path,
        [
            [1, "王贰", person_id(2), "13900000022", ""],
            [2, "赵六", person_id(6), "13900000006", "漳江物流"],
            [3, "李五", person_id(5), "", ""],
        ],
    )
    data = json.loads(run(str(path), "--union", "漳江物流公司工会", "--json"))
    assert set(data) == {
        "on_list_not_registered",
        "registered_not_on_list",
        "mismatched",
        "elsewhere",
    }
    assert {k: v["count"] for k, v in data.items()} == {
        "on_list_not_registered": 1,
        "registered_not_on_list": 2,  # 王一 and 王三
        "mismatched": 1,
        "elsewhere": 1,
    }
    missing = data["on_list_not_registered"]["rows"][0]
    assert missing["id_number"] == mask_id(person_id(6))
    assert missing["mobile"] == mask_phone("13900000006")
    text = json.dumps(data, ensure_ascii=False)
    for n in (1, 2, 3, 5, 6):
        assert person_id(n) not in text
    assert "13900000022" not in text
    change = data["mismatched"]["rows"][0]["changes"]
    assert {(c["label"], c["old"], c["new"]) for c in change} == {
        ("姓名", "王二", "王贰"),
        ("手机号码", mask_phone("13900000002"), mask_phone("13900000022")),
    }
    assert data["elsewhere"]["rows"][0]["union"] == "鼎城医院工会"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RECONCILE_RUN).count() == 1


def test_command_prints_a_chinese_summary(tmp_path, tree, people):
    path = payroll(tmp_path, [[1, "王一", person_id(1), "13900000001", ""]])
    out = run(str(path), "--union", "漳江物流公司工会")
    assert "漳江物流公司工会：名单共 1 人：已登记且一致 1" in out


def test_command_refuses_a_union_outside_the_account(tmp_path, tree, people, make_user):
    make_user(tree["county"], User.Role.COLLECTOR, username="county_collector")
    path = payroll(tmp_path, [[1, "王一", person_id(1), "", ""]])
    with pytest.raises(CommandError, match="无权操作"):
        run(str(path), "--union", "鼎城医院工会", "--as", "county_collector")
    make_user(tree["county"], User.Role.VIEWER, username="county_viewer")
    with pytest.raises(CommandError, match="不能比对名单"):
        run(str(path), "--union", "漳江物流公司工会", "--as", "county_viewer")
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RECONCILE_RUN).exists()


def test_command_refuses_a_list_without_ids(tmp_path, tree):
    path = payroll(tmp_path, [[1, "王一"]], header=("序号", "姓名"))
    with pytest.raises(CommandError, match="没有证件号码列"):
        run(str(path), "--union", "漳江物流公司工会")


def test_only_the_id_decides_whether_a_row_is_compared(tmp_path, tree, people):
    """A name as payroll systems write it (王一2, a second 王一) and a landline are not
    reasons to leave a person out: the row is compared by its ID, the name as written."""
    path = payroll(
        tmp_path,
        [
            [1, "王一2", person_id(1), "0736-6622447", ""],
            [2, "赵六", "", "", ""],
        ],
    )
    result = analyse_list(path, union=tree["base"])
    assert [(x.row.name, x.differences) for x in result.mismatched] == [("王一2", {"name": "王一"})]
    assert result.problem_count == 1 and "证件号码" in result.problems[0].message
