"""Issue 11: sheets read as people write them (items 1, 3, 4, 5, 6, 8), through the engine."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from imports.engine import analyse_members, analyse_unions, commit_members
from members.models import Member
from tests.imports.helpers import problems
from tests.imports.sheets import csv_file, mobile, person_id, workbook
from unions.access import user_root
from unions.models import Unit

pytestmark = pytest.mark.django_db


def analyse(path, tree, collector):
    return analyse_members(path, filename=path.name, union=tree["base"], root=user_root(collector))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


# ---- item 4: one normalisation ---------------------------------------------------------


def test_values_as_people_type_them_are_accepted(tmp_path, tree, base_collector):
    ids = [person_id(n, male=n % 2 == 1) for n in range(1, 8)]
    header = [
        "姓名",
        "性别",
        "身份证号码",
        "手机号码",
        "入会时间",
        "工会职务",
        "学历",
        "政治面貌",
        "民族",
    ]
    path = workbook(
        tmp_path / "typed.xlsx",
        {
            "花名册": [
                header,
                [
                    "张　伟",
                    1,
                    "'" + ids[0],
                    mobile(1),
                    "2020年4月",
                    "经费审查委员会主任",
                    "本科",
                    "党员",
                    "汉",
                ],
                [
                    "李娜",
                    2.0,
                    "\u200b" + ids[1],
                    "\u200b" + mobile(2) + "\u200b",
                    "2014.02",
                    "会员",
                    "大专",
                    "团员",
                    "汉族",
                ],
                [
                    "王五",
                    "1",
                    "\u2019" + ids[2],
                    full_width(mobile(3)),
                    2014.02,
                    "主席",
                    "大学本科",
                    "群众",
                    1,
                ],
                [
                    "\u00a0赵六\u3000",
                    "女",
                    ids[3] + "\u00a0",
                    mobile(4),
                    "2019-06-25",
                    "小组长",
                    "高中",
                    "群众",
                    "土家",
                ],
            ]
        },
    )

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert plan.summary.errors == []
    assert (plan.summary.rows, plan.summary.created) == (4, 4)
    zhang = Member.objects.with_id(ids[0]).get()
    assert (zhang.name, zhang.gender, zhang.union_post) == ("张伟", "1", "06")
    assert zhang.join_date == datetime.date(2020, 4, 1)  # year and month: the 1st
    assert (zhang.education, zhang.political_status, zhang.ethnicity) == ("21", "01", "01")
    li = Member.objects.with_id(ids[1]).get()
    assert (li.gender, li.mobile, li.join_date) == ("2", mobile(2), datetime.date(2014, 2, 1))
    wang = Member.objects.with_id(ids[2]).get()
    assert (wang.mobile, wang.join_date, wang.ethnicity) == (
        mobile(3),
        datetime.date(2014, 2, 1),
        "01",
    )
    assert Member.objects.with_id(ids[3]).get().name == "赵六"
    month_only = {(p.row, p.code) for p in plan.summary.warnings if p.code == "date_month_only"}
    assert month_only == {(2, "date_month_only"), (3, "date_month_only"), (4, "date_month_only")}


def test_csv_cells_written_as_formulas_keep_their_text(tmp_path, tree, base_collector):
    number = person_id(1)
    path = csv_file(
        tmp_path / "roster.csv",
        [["姓名", "身份证号码", "手机号码"], ["张三", f'="{number}"', f'="{mobile(1)}"']],
    )

    plan = analyse(path, tree, base_collector)

    assert (plan.summary.errors, plan.summary.created) == ([], 1)


def test_signature_lines_and_example_rows_are_skipped_with_a_notice(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "signed.xlsx",
        {
            "花名册": [
                ["会员信息采集表"],
                ["序号", "姓名", "身份证号码", "手机号码"],
                ["示例", "张三", person_id(90), mobile(90)],
                [1, "李四", person_id(1), mobile(1)],
                [2, "王五", person_id(2), mobile(2)],
                [None, "经办人：赵六", None, "联系电话：0736-6622447"],
            ]
        },
    )

    plan = analyse(path, tree, base_collector)

    assert (plan.summary.rows, plan.summary.created, plan.summary.invalid) == (2, 2, 0)
    assert not Member.objects.filter(name="张三").exists()
    notices = " ".join(plan.summary.notices)
    assert "第3行：填表示例行" in notices
    assert "第6行" in notices and "签名" in notices
    skipped = plan.summary.sheets[0]["skipped"]
    assert [s["row"] for s in skipped] == [3, 6]


def test_merged_down_unit_fills_every_row_it_covers(tmp_path, tree, base_collector):
    unit = Unit.objects.create(name="桃源县第一车间")
    unit.unions.add(tree["base"])
    rows = [["姓名", "身份证号码", "手机号码", "工作单位"]]
    rows += [
        [f"会员{'甲乙丙'[n - 1]}", person_id(n), mobile(n), "桃源县第一车间" if n == 1 else None]
        for n in (1, 2, 3)
    ]
    path = workbook(tmp_path / "merged.xlsx", {"S": rows}, merges={"S": ["D2:D4"]})

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert plan.summary.created == 3
    assert set(Member.objects.values_list("unit_id", flat=True)) == {unit.pk}


def test_unknown_values_get_the_closest_entries(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "typo.xlsx",
        {
            "S": [
                ["姓名", "身份证号码", "手机号码", "学历"],
                ["张三", person_id(1), mobile(1), "大学"],
            ]
        },
    )

    plan = analyse(path, tree, base_collector)

    (problem,) = plan.summary.errors
    assert problem.code == "invalid_choice"
    assert "您是否要填：大学本科、大学专科" in problem.message


def test_head_counts_with_thousands_separators(tmp_path, tree):
    path = workbook(
        tmp_path / "unions.xlsx",
        {
            "S": [
                ["工会名称", "上级工会", "工会类型", "职工人数", "女职工人数"],
                ["桃源县新建工会", "桃源县总工会", "单独基层工会", "1,200", "１，０５０"],
            ]
        },
    )

    plan = analyse_unions(path, root=tree["county"])

    assert plan.summary.errors == []
    assert (plan.rows[0].data["staff_count"], plan.rows[0].data["female_staff_count"]) == (
        1200,
        1050,
    )


# ---- item 6: sanity warnings ---------------------------------------------------------


def test_dates_that_can_hardly_be_true_warn_but_import(tmp_path, tree, base_collector):
    today = datetime.date.today()
    young = person_id(1, birth=datetime.date(2000, 5, 1))
    old = person_id(2, birth=datetime.date(1920, 1, 1))
    path = workbook(
        tmp_path / "odd.xlsx",
        {
            "S": [
                ["姓名", "证件类型", "证件号码", "手机号码", "出生日期", "入会时间", "就业状况"],
                ["甲", "居民身份证", young, mobile(1), None, "2010-01-01", "在岗"],
                [
                    "乙",
                    "居民身份证",
                    person_id(3),
                    mobile(3),
                    None,
                    (today + datetime.timedelta(days=40)).isoformat(),
                    "在岗",
                ],
                ["丙", "居民身份证", old, mobile(2), None, "1950-01-01", "在岗"],
                [
                    "John Smith",
                    "护照",
                    "E1234567",
                    mobile(4),
                    "1899-05-01",
                    None,
                    "退休",
                ],
            ]
        },
    )

    plan = analyse(path, tree, base_collector)

    assert plan.summary.errors == []
    assert plan.summary.created == 4
    assert problems(plan.summary, "warning") >= {
        (2, "入会时间", "join_before_14"),
        (3, "入会时间", "join_date_future"),
        (4, "就业状况", "age_over_100_employed"),
        (5, "出生日期", "birth_before_1900"),
    }


# ---- items 1 and 3: headers and workbooks ----------------------------------------------

TWO_ROW = [
    ["会员基本信息", None, None, "联系方式", "学历", "入会时间"],
    ["姓名", "性别", "身份证号码", "手机号码", None, None],
]


def two_row_rows():
    return [
        *TWO_ROW,
        ["张三", "男", person_id(1), mobile(1), "大学本科", "2019-06-25"],
        ["李四", "男", person_id(3), mobile(3), "大专", "2020年4月"],
    ]


def assert_two_row_sheet_read(plan):
    assert plan.summary.errors == []
    assert plan.summary.created == 2
    first = Member.objects.with_id(person_id(1)).get()
    assert (first.education, first.join_date) == ("21", datetime.date(2019, 6, 25))
    second = Member.objects.with_id(person_id(3)).get()
    assert (second.education, second.join_date) == ("31", datetime.date(2020, 4, 1))
    (reading,) = plan.summary.sheets
    assert reading["header_rows"] == [1, 2]
    fields = {c["header"]: c["field"] for c in reading["columns"]}
    assert fields["学历"] == "education" and fields["入会时间"] == "join_date"


def test_two_row_header_with_group_cells_and_cells_merged_down(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "two.xlsx",
        {"花名册": two_row_rows()},
        merges={"花名册": ["A1:C1", "E1:E2", "F1:F2"]},
    )

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert_two_row_sheet_read(plan)


def test_two_row_header_without_merges(tmp_path, tree, base_collector):
    path = csv_file(tmp_path / "two.csv", two_row_rows())

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert_two_row_sheet_read(plan)


def test_legacy_xls_with_a_two_row_header_reads(tmp_path, tree, base_collector):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    sheet.write_merge(0, 0, 0, 2, "会员基本信息")
    sheet.write(0, 3, "联系方式")
    sheet.write_merge(0, 1, 4, 4, "学历")
    sheet.write_merge(0, 1, 5, 5, "入会时间")
    for r, row in enumerate(two_row_rows()[1:], start=1):
        for c, value in enumerate(row):
            if value is not None and not (r == 1 and c >= 4):
                sheet.write(r, c, value)
    path = tmp_path / "legacy.xls"
    book.save(str(path))

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert_two_row_sheet_read(plan)


def test_three_row_header(tmp_path, tree, base_collector):
    rows = [
        ["会员信息", None, None, None, "入会时间"],
        ["基本情况", None, "证件", None, None],
        ["姓名", "手机号码", "证件类型", "证件号码", None],
        ["张三", mobile(1), "居民身份证", person_id(1), "2019-06-25"],
    ]
    path = workbook(
        tmp_path / "three.xlsx", {"S": rows}, merges={"S": ["A1:D1", "A2:B2", "C2:D2", "E1:E3"]}
    )

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert plan.summary.errors == []
    assert plan.summary.sheets[0]["header_rows"] == [1, 2, 3]
    assert Member.objects.get().join_date == datetime.date(2019, 6, 25)


def test_other_sheets_are_skipped_with_a_notice_naming_them(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "book.xlsx",
        {
            "会员": [
                ["姓名", "身份证号码", "手机号码"],
                *[[f"会员{'甲乙'[n - 1]}", person_id(n), mobile(n)] for n in (1, 2)],
            ],
            "工会委员会": [["姓名", "职务", "性别"], ["张主席", "工会主席", "男"]],
            "填表说明": [["1. 身份证号码请设置为文本格式。"]],
            "会员2": [["姓名", "身份证号码", "手机号码"], ["会员三", person_id(3), mobile(3)]],
        },
    )

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert (plan.summary.created, plan.summary.invalid) == (3, 0)
    assert [s["name"] for s in plan.summary.sheets] == ["会员", "会员2"]
    notices = " ".join(plan.summary.notices)
    assert "“工会委员会”" in notices and "“填表说明”" in notices


def test_a_workbook_without_a_roster_is_rejected(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "committee.xlsx",
        {"工会委员会": [["姓名", "职务", "性别"], ["张主席", "工会主席", "男"]]},
    )

    plan = analyse(path, tree, base_collector)

    assert plan.rejected
    assert "工作表“工会委员会”缺少必填列“证件号码”" in plan.summary.message


# ---- item 8: the reading in --json ------------------------------------------------------


def test_json_output_tells_how_the_file_was_read(tmp_path, tree):
    path = workbook(
        tmp_path / "read.xlsx",
        {
            "花名册": [
                ["序号", "姓名", "身份证号码", "手机号码", "籍贯"],
                [1, "张三", person_id(1), mobile(1), "湖南桃源"],
                [None, "经办人：李四", None, None, None],
            ],
            "说明": [["本表由工会填写"]],
        },
    )
    out = io.StringIO()

    call_command(
        "import_members", str(path), "--union", tree["base"].name, "--dry-run", "--json", stdout=out
    )

    summary = json.loads(out.getvalue())
    (sheet,) = summary["sheets"]
    assert set(sheet) == {"name", "header_rows", "columns", "skipped"}
    assert all(set(column) == {"header", "field"} for column in sheet["columns"])
    assert sheet["name"] == "花名册"
    assert sheet["header_rows"] == [1]
    assert [(c["header"], c["field"]) for c in sheet["columns"]] == [
        ("序号", "_ignored"),
        ("姓名", "name"),
        ("身份证号码", "id_number"),
        ("手机号码", "mobile"),
        ("籍贯", None),
    ]
    assert sheet["skipped"] == [{"row": 3, "reason": "填表说明、备注或签名、联系电话行"}]
    assert any("“说明”" in n for n in summary["notices"])


def test_same_name_unions_resolve_by_code(tmp_path, tree, departments, base_collector):
    groups = [departments["mining_1"], departments["offices_1"]]  # both named 一组
    rows = [["所在工会", "工会编码", "姓名", "身份证号码", "手机号码"]]
    rows += [
        [g.name, g.code, f"会员{'甲乙'[n]}", person_id(n + 1), mobile(n + 1)]
        for n, g in enumerate(groups)
    ]
    path = workbook(tmp_path / "codes.xlsx", {"S": rows})

    plan = analyse(path, tree, base_collector)
    commit_members(plan, by=base_collector)

    assert plan.summary.errors == []
    assert {m.union_id for m in Member.objects.all()} == {g.pk for g in groups}
    assert Member.objects.filter(extra__has_key="工会编码").count() == 0


def test_union_sheet_reading_and_other_sheets(tmp_path, tree):
    path = workbook(
        tmp_path / "unions.xlsx",
        {
            "工会": [
                ["工会名称", "上级工会", "工会类型", "职工人数"],
                ["示例", "桃源县总工会", "单独基层工会", 10],
                ["桃源县新建工会", "桃源县总工会", "单独基层工会", "1,200"],
                ["经办人：张三", None, None, None],
            ],
            "填表说明": [["1. 每个工会一行。"]],
        },
    )

    plan = analyse_unions(path, root=tree["county"])

    assert (plan.summary.rows, plan.summary.errors) == (1, [])
    (sheet,) = plan.summary.sheets
    assert sheet["header_rows"] == [1]
    assert ("职工人数", "staff_count") in [(c["header"], c["field"]) for c in sheet["columns"]]
    assert [s["row"] for s in sheet["skipped"]] == [2, 4]
    assert any("“填表说明”" in n for n in plan.summary.notices)
