"""The command-line face: import_members, import_unions, export_members."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook
from stdnum.cn import uscc

from members.models import Member
from tests.imports.sheets import mobile, person_id, workbook
from unions.models import AuditEntry, Union, Unit

SUMMARY_FIELDS = {
    "status",
    "message",
    "rows",
    "created",
    "updated",
    "unchanged",
    "invalid",
    "conflicts",
    "errors",
    "warnings",
    "sheets",
    "notices",
    "changes",
    "kept_newer",
    "union",
}


def command(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


def as_json(*args):
    code, out = command(*args, "--json")
    return code, json.loads(out)


def roster(tmp_path, name="a.xlsx"):
    return workbook(
        tmp_path / name,
        {
            "花名册": [
                ["会员花名册"],
                ["序号", "姓名", "身份证号", "手机号码", "籍贯"],
                [1, "王一", person_id(1), mobile(1), "湖南桃源"],
                [
                    2,
                    "王二",
                    person_id(2)[:-1] + "0"
                    if not person_id(2).endswith("0")
                    else person_id(2)[:-1] + "1",
                    mobile(2),
                    "",
                ],
                [3, "王三", person_id(3), "12345", ""],
            ]
        },
    )


def test_import_members_json_summary(tmp_path, tree):
    path = roster(tmp_path)

    code, summary = as_json("import_members", str(path), "--union", "漳江物流公司工会")

    assert code == 0
    assert set(summary) == SUMMARY_FIELDS
    assert (summary["status"], summary["rows"], summary["created"], summary["invalid"]) == (
        "done",
        3,
        1,
        2,
    )
    assert [(e["row"], e["column"], e["code"]) for e in summary["errors"]] == [
        (4, "身份证号", "id_checksum"),
        (5, "手机号码", "phone_format"),
    ]
    assert set(summary["errors"][0]) >= {"row", "column", "code", "message"}
    assert Member.objects.get().extra == {"籍贯": "湖南桃源"}


def test_union_by_code_and_dry_run_writes_nothing(tmp_path, tree):
    code, summary = as_json(
        "import_members", str(roster(tmp_path)), "--union", tree["base"].system_code, "--dry-run"
    )

    assert (code, summary["status"], summary["created"]) == (0, "done", 1)
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.filter(action="import_committed").exists()


def test_rejected_file_exits_non_zero(tmp_path, tree):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"")

    code, summary = as_json("import_members", str(path), "--union", "漳江物流公司工会")

    assert code != 0
    assert summary["status"] == "rejected" and "0字节" in summary["message"]


def test_unknown_union_or_account_is_an_error(tmp_path, tree, make_user):
    with pytest.raises(CommandError, match="找不到"):
        call_command("import_members", str(roster(tmp_path)), "--union", "不存在的工会")
    make_user(tree["sibling"], username="dingcheng")
    with pytest.raises(CommandError, match="无权"):
        call_command(
            "import_members",
            str(roster(tmp_path)),
            "--union",
            "漳江物流公司工会",
            "--as",
            "dingcheng",
        )


def test_as_user_acts_with_that_accounts_rights(tmp_path, tree, make_user):
    collector = make_user(tree["base"], "collector", username="collector1")
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["姓名", "身份证号", "手机号码", "工会名称"],
                ["王一", person_id(1), mobile(1), "一车间工会小组"],
            ]
        },
    )

    code, summary = as_json(
        "import_members", str(path), "--union", "漳江物流公司工会", "--as", "collector1"
    )

    assert (code, summary["created"]) == (0, 1)
    assert Member.objects.get().union == tree["group"]
    assert AuditEntry.objects.get(action="import_committed").actor == collector


def test_report_marks_bad_cells_and_can_be_fixed_and_uploaded_again(tmp_path, tree):
    report = tmp_path / "错误报告.xlsx"
    command(
        "import_members",
        str(roster(tmp_path)),
        "--union",
        "漳江物流公司工会",
        "--report",
        str(report),
    )

    sheet = load_workbook(report).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "姓名", "身份证号", "手机号码", "籍贯", "错误说明")
    assert [r[1] for r in rows[1:]] == ["王二", "王三"]
    assert rows[1][5].startswith("原第4行") and "校验位" in rows[1][5]
    bad = sheet["C2"]
    assert bad.fill.start_color.rgb.endswith("FFC7CE")
    assert "校验位" in bad.comment.text
    assert sheet["B2"].comment is None and sheet["D3"].comment is not None

    sheet["C2"] = person_id(2)
    sheet["D3"] = mobile(3)
    sheet.parent.save(report)
    code, summary = as_json("import_members", str(report), "--union", "漳江物流公司工会")
    assert (code, summary["created"], summary["errors"]) == (0, 2, [])


def credit(n: int) -> str:
    first17 = f"8143072500000{n:04d}"
    return first17 + uscc.calc_check_digit(first17)


def unit_code(n: int) -> str:
    first17 = f"9143072500000{n:04d}"
    return first17 + uscc.calc_check_digit(first17)


def organisation_sheet(tmp_path):
    header = [
        "序号",
        "单位名称",
        "单位组织机构代码证",
        "单位性质",
        "单位地址",
        "职工人数",
        "工会名称",
        "工会统一社会信用代码",
        "建会时间",
        "工会类型",
        "会员人数",
        "工会负责人",
        "联系电话",
        "上级工会",
        "备注",
    ]

    def row(n, union, parent, **extra):
        values = [
            n,
            f"{union.removesuffix('工会')}",
            unit_code(n),
            "私营经济",
            "桃源县漳江镇",
            180,
            union,
            credit(n),
            "2001-05-06",
            "单建",
            150,
            "张三",
            "0736-6622447",
            parent,
            "",
        ]
        for key, value in extra.items():
            values[header.index(key)] = value
        return values

    return workbook(
        tmp_path / "组织.xlsx",
        {
            "附件1": [
                ["长兴县基层工会组织信息采集汇总表"],
                header,
                row(1, "桃源杰新纺织印染公司工会", "桃源县总工会"),
                row(
                    2,
                    "杰新一车间工会小组",
                    "桃源杰新纺织印染公司工会",
                    工会类型="工会小组",
                    单位名称=None,
                    单位组织机构代码证=None,
                    工会统一社会信用代码=None,
                ),
                row(
                    3,
                    "桃源甲公司工会",
                    "桃源县总工会",
                    单位组织机构代码证=unit_code(3)[:-1] + "Y"
                    if not unit_code(3).endswith("Y")
                    else unit_code(3)[:-1] + "0",
                ),
                row(4, "桃源乙公司工会", "不存在的工会"),
                row(5, "桃源丙公司工会", "鼎城区总工会"),
                row(6, "桃源丁公司工会", "桃源县总工会", 工会统一社会信用代码="12345"),
                row(7, "桃源戊公司工会", "桃源县总工会", 工会类型="乱填"),
                row(
                    8,
                    "桃源一中工会",
                    "桃源县总工会",
                    工会负责人="李校长",
                    单位名称="桃源县第一中学",
                ),
                [],
                ["备注：1. 此表转制成 EXCEL；2. 单位性质：党政机关、事业单位…"],
            ]
        },
    )


def test_import_unions_creates_and_updates_unions_under_their_parents(tmp_path, tree):
    path = organisation_sheet(tmp_path)

    code, summary = as_json("import_unions", str(path), "--union", "桃源县总工会")

    assert code == 0
    assert [(e["row"], e["column"], e["code"]) for e in summary["errors"]] == [
        (5, "单位组织机构代码证", "uscc_checksum"),
        (6, "上级工会", "parent_unknown"),
        (7, "上级工会", "union_out_of_scope"),
        (8, "工会统一社会信用代码", "uscc_format"),
        (9, "工会类型", "invalid_choice"),
    ]
    assert (summary["created"], summary["updated"], summary["invalid"]) == (2, 1, 5)
    company = Union.objects.get(name="桃源杰新纺织印染公司工会")
    assert (company.parent, company.credit_code, company.kind) == (tree["county"], credit(1), "04")
    assert (company.units.get().credit_code, company.units.get().staff_count) == (unit_code(1), 180)
    group = Union.objects.get(name="杰新一车间工会小组")
    assert (group.parent, group.kind) == (company, "07")
    school = Union.objects.get(pk=tree["school"].pk)
    assert school.chair == "李校长"
    assert school.units.get().name == "桃源县第一中学"

    again_code, again = as_json("import_unions", str(path), "--union", "桃源县总工会")
    assert (again_code, again["created"], again["updated"], again["unchanged"]) == (0, 0, 0, 3)
    assert Unit.objects.count() == 2


def test_import_unions_dry_run(tmp_path, tree):
    count = Union.objects.count()
    # Without --union or --as: a platform operator, so 鼎城区总工会 is a valid parent too.
    code, summary = as_json("import_unions", str(organisation_sheet(tmp_path)), "--dry-run")
    assert (code, summary["created"], summary["invalid"]) == (0, 3, 4)
    assert Union.objects.count() == count


def test_export_members_keeps_ids_as_text_and_runs_no_formula(
    tmp_path, tree, make_member, make_user
):
    member = make_member(
        tree["group"],
        name="王一",
        extra={"备注": "=1+1", "工号": "-2", "邮箱": "@x", "爱好": "\t跑步"},
    )
    make_member(tree["school"], name="李二")
    make_member(tree["sibling_base"], name="外人")
    out = tmp_path / "会员.xlsx"
    make_user(tree["county"], username="county1")

    call_command(
        "export_members",
        "--union",
        "漳江物流公司工会",
        "--out",
        str(out),
        "--as",
        "county1",
        stdout=io.StringIO(),
    )

    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert len(rows) == 2
    values = dict(zip(header, rows[1], strict=True))
    assert values["证件号码"] == member.id_number and values["手机号码"] == member.mobile
    assert values["所在工会"] == "一车间工会小组"
    assert (values["备注"], values["工号"], values["邮箱"], values["爱好"]) == (
        "'=1+1",
        "'-2",
        "'@x",
        "'\t跑步",
    )
    for cell in sheet[2]:
        assert cell.data_type != "f"
    id_cell = sheet.cell(row=2, column=header.index("证件号码") + 1)
    assert id_cell.data_type == "s" and id_cell.number_format == "@"
    entry = AuditEntry.objects.get(action="export")
    assert (entry.union, entry.actor.username, entry.detail["rows"]) == (tree["base"], "county1", 1)


def test_import_unions_report_lists_the_failed_rows(tmp_path, tree):
    report = tmp_path / "组织错误.xlsx"
    command(
        "import_unions",
        str(organisation_sheet(tmp_path)),
        "--union",
        "桃源县总工会",
        "--dry-run",
        "--report",
        str(report),
    )

    sheet = load_workbook(report).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "错误说明"
    assert [r[6] for r in rows[1:]] == [
        "桃源甲公司工会",
        "桃源乙公司工会",
        "桃源丙公司工会",
        "桃源丁公司工会",
        "桃源戊公司工会",
    ]
    assert "找不到上级工会" in rows[2][-1]


def test_import_unions_with_seed_004_headers(tmp_path, tree):
    path = workbook(
        tmp_path / "组织.xlsx",
        {
            "工会组织": [
                [
                    "工会名称",
                    "基层工会类型",
                    "社团法人和其他组织统一社会信用代码",
                    "建会日期",
                    "届期",
                    "单位名称",
                    "单位法人和其他组织统一社会信用代码",
                    "上级工会",
                ],
                [
                    "桃源甲公司工会",
                    "联合基层工会",
                    credit(11),
                    "2019/3/1",
                    "2024年3月1日",
                    "桃源甲公司",
                    unit_code(11),
                    tree["town"].system_code,
                ],
                [
                    "桃源乙公司工会",
                    "单独基层工会",
                    credit(12)[:-1] + ("0" if not credit(12).endswith("0") else "1"),
                    "2019-03-01",
                    "2024-03-01",
                    "桃源乙公司",
                    unit_code(12),
                    "漳江街道办事处工会联合会",
                ],
            ]
        },
    )

    code, summary = as_json("import_unions", str(path), "--union", "桃源县总工会")

    assert [(e["row"], e["column"], e["code"]) for e in summary["errors"]] == [
        (3, "社团法人和其他组织统一社会信用代码", "uscc_checksum")
    ]
    union = Union.objects.get(name="桃源甲公司工会")
    assert (union.parent, union.kind, union.credit_code) == (tree["town"], "05", credit(11))
    assert str(union.term_ends_on) == "2024-03-01"
    assert union.units.get().credit_code == unit_code(11)


def test_import_unions_as_a_collector_is_refused_and_as_an_admin_is_bounded(
    tmp_path, tree, make_user
):
    make_user(tree["county"], "collector", username="c1")
    make_user(tree["town"], "admin", username="town_admin")
    path = organisation_sheet(tmp_path)

    code, summary = as_json("import_unions", str(path), "--as", "c1")
    assert code != 0 and "不是管理员" in summary["message"]

    code, summary = as_json("import_unions", str(path), "--as", "town_admin", "--dry-run")
    # The town's admin may not hang unions under the county.
    assert {e["code"] for e in summary["errors"] if e["row"] == 3} == {"union_out_of_scope"}


def test_import_unions_refuses_cycles_and_moving_the_own_root(tmp_path, tree, make_user):
    """A union is matched by its credit code, so a sheet can move it: never under itself,
    and an admin cannot re-hang their own union."""
    make_user(tree["town"], "admin", username="town_admin")
    Union.objects.filter(pk=tree["base"].pk).update(credit_code=credit(21))
    Union.objects.filter(pk=tree["town"].pk).update(credit_code=credit(22))
    path = workbook(
        tmp_path / "组织.xlsx",
        {
            "S": [
                ["工会名称", "工会统一社会信用代码", "工会类型", "上级工会"],
                ["漳江物流公司工会", credit(21), "单建", "一车间工会小组"],
                ["漳江街道办事处工会联合会", credit(22), "工会联合会", "漳江物流公司工会"],
            ]
        },
    )

    code, summary = as_json("import_unions", str(path), "--as", "town_admin")

    assert [(e["row"], e["code"]) for e in summary["errors"]] == [
        (2, "parent_unknown"),
        (3, "union_out_of_scope"),
    ]
    assert Union.objects.get(pk=tree["base"].pk).parent == tree["town"]
    assert Union.objects.get(pk=tree["town"].pk).parent == tree["county"]


def test_viewers_cannot_export_full_ids(tmp_path, tree, make_user, make_member):
    # One rule for every export door (issue 10): a 查看 account gets IDs and phones masked.
    member = make_member(tree["school"])
    make_user(tree["county"], "viewer", username="v1")
    out = tmp_path / "a.xlsx"
    call_command(
        "export_members",
        "--union",
        "桃源县总工会",
        "--out",
        str(out),
        "--as",
        "v1",
        stdout=io.StringIO(),
    )
    cells = {c for row in load_workbook(out).active.iter_rows(values_only=True) for c in row}
    assert member.id_number not in cells and member.mobile not in cells
    assert member.masked_id in cells
    entry = AuditEntry.objects.get(action="export")
    assert entry.detail["masked"] is True
