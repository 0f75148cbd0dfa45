"""Sheets shaped like the seeds' attachments import with exactly the problems they contain."""

import datetime

import pytest

from imports.engine import analyse_members, commit_members
from members.models import Member, MembershipEvent
from registry import codes
from tests.imports.helpers import problems
from tests.imports.sheets import csv_file, mobile, person_id, workbook, wrong_check_digit
from unions.access import user_root

SEED_000_HEADER = [
    "序号",
    "单位",
    "部门工会",
    "工会小组",
    "姓名",
    "性别",
    "民族",
    "籍贯",
    "政治面貌",
    "来校时间",
    "入会时间",
    "工号",
    "身份类别",
    "年龄",
    "身份证号",
    "学历/学位",
    "职务/职称",
    "联系电话",
    "电子邮箱",
    "特长爱好",
    "备注",
]


def age_of(number: str) -> int:
    born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    today = datetime.date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def id_ending_in_x() -> str:
    return next(
        person_id(n, male=False) for n in range(1, 400) if person_id(n, male=False).endswith("X")
    )


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def seed_000_rows(ids):
    def person(n, dept, group, name, gender, number, **extra):
        row = [
            n,
            dept,
            dept,
            group,
            name,
            gender,
            "汉族",
            "江苏徐州",
            "中共党员",
            datetime.datetime(2019, 6, 25),
            "2019/7/25",
            f"10{n:02d}",
            "正式在职",
            age_of(ids[n]) if n in ids else 40,
            number,
            "研究生/博士",
            "",
            mobile(n),
            f"user{n}@cumt.edu.cn",
            "羽毛球、围棋",
            "",
        ]
        for key, value in extra.items():
            row[SEED_000_HEADER.index(key)] = value
        return row

    return [
        ["中国矿业大学工会会员实名制信息汇总表（2020年5月）"],
        SEED_000_HEADER,
        person(
            1, "矿业工程学院", "一组", "李明", "男", ids[1], 备注="如身份变动、调入调出、病亡等等"
        ),
        person(
            2,
            "校党政机关",
            "",
            "张丽",
            "女",
            full_width(ids[2]).replace("X", "x"),
            政治面貌="民盟会员",
        ),
        person(3, "矿业工程学院", "二组", "王强", "女", ids[3]),
        person(4, "矿业工程学院", "一组", "赵伟", "男", ids[4], 年龄=99),
        person(5, "", "一组", "孙红", "男", ids[5]),
        person(6, "矿业工程学院", "三组", "周杰", "男", ids[6]),
        person(7, "鼎城医院工会", "", "吴刚", "男", ids[7]),
        person(8, "矿业工程学院", "二组", "郑华", "男", wrong_check_digit(ids[8])),
        [9],
        [],
        ["填表说明："],
        ["1.身份证号主要用于集体活动购买保险和生日识别，所有身份信息严格保密；"],
        [
            "2.请以工会小组为单位填写，所有信息都需要如实详细填写准确，由部门统一汇总核实后上报校工会；"
        ],
        ["报送负责人签名：              联系电话：              报送时间："],
    ]


@pytest.fixture
def seed_000_ids():
    ids = {n: person_id(n) for n in range(1, 9)}
    ids[2] = id_ending_in_x()
    return ids


def test_seed_000_sheet_reports_exactly_its_problems(
    tmp_path, tree, departments, base_collector, seed_000_ids
):
    path = workbook(
        tmp_path / "汇总表.xlsx",
        {"表1": seed_000_rows(seed_000_ids)},
        merges={"表1": ["A1:U1"]},
    )

    plan = analyse_members(
        path, filename="汇总表.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    summary = plan.summary
    assert summary.status == "done"
    assert problems(summary) == {
        (5, "性别", "gender_mismatch"),
        (7, "工会小组", "union_ambiguous"),
        (8, "工会小组", "union_unknown"),
        (9, "部门工会", "union_out_of_scope"),
        (10, "身份证号", "id_checksum"),
    }
    assert problems(summary, "warning") == {(6, "年龄", "age_mismatch")}
    assert (summary.rows, summary.created, summary.invalid) == (8, 3, 5)
    assert Member.objects.count() == 0, "analysing writes nothing"


def test_seed_000_sheet_commits_rows_into_their_groups_with_extras(
    tmp_path, tree, departments, base_collector, seed_000_ids
):
    path = workbook(tmp_path / "汇总表.xlsx", {"表1": seed_000_rows(seed_000_ids)})
    plan = analyse_members(
        path, filename="汇总表.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    summary = commit_members(plan, by=base_collector, source_ref="test")

    assert (summary.created, summary.updated, summary.invalid) == (3, 0, 5)
    li = Member.objects.with_id(seed_000_ids[1]).get()
    assert li.union == departments["mining_1"]
    assert li.political_status == "01"
    assert li.education == "11"  # 研究生/博士 → 研究生(博士)
    assert li.join_date == datetime.date(2019, 7, 25)
    assert li.mobile == mobile(1)
    assert li.extra == {
        "工作单位": "矿业工程学院",  # not a registered unit: kept under the name the export shows
        "籍贯": "江苏徐州",
        "来校时间": "2019-06-25",
        "工号": "1001",
        "身份类别": "正式在职",
        "电子邮箱": "user1@cumt.edu.cn",
        "特长爱好": "羽毛球、围棋",
        "备注": "如身份变动、调入调出、病亡等等",
    }
    zhang = Member.objects.with_id(seed_000_ids[2]).get()
    assert zhang.id_number.endswith("X")
    assert zhang.union == departments["offices"]
    assert zhang.political_status == "05"  # 民盟会员 → 民盟盟员
    assert zhang.gender == "2"
    assert Member.objects.with_id(seed_000_ids[4]).get().union == departments["mining_1"]
    assert MembershipEvent.objects.filter(kind=MembershipEvent.Kind.JOIN).count() == 3


def seed_002_rows(ids):
    header = [
        "序号",
        "姓名",
        "性别",
        "身份证号码",
        "国籍",
        "学历",
        "手机号码",
        "户籍类型",
        "所属单位",
        "就业状况",
        "担任工会职务",
    ]

    def person(n, name, number, phone, **extra):
        row = [
            n,
            name,
            "男",
            number,
            "中国",
            "本科",
            phone,
            "非农业户口",
            "漳江物流公司",
            "在岗",
            "会员",
        ]
        for key, value in extra.items():
            row[header.index(key)] = value
        return row

    return [
        ["长兴县基层工会会员花名册"],
        ["工会名称:漳江物流公司工会"],
        ["联系人:王五"],
        ["联系电话:0736-1234567"],
        header,
        person(1, "陈一", ids[1], int(mobile(1))),
        person(2, "陈二", float(ids[2][:15] + "000"), mobile(2)),
        person(3, "陈三", ids[1], mobile(3)),
        person(4, "陈四", ids[4], None),
        person(5, "陈五", ids[5][:6] + ids[5][8:17], mobile(5)),
        person(6, "陈6", ids[6], mobile(6)),
        person(7, "陈七", ids[7], mobile(7), 就业状况="摸鱼"),
        person(8, "陈八", ids[8], "1381234567"),
        person(
            9,
            "陈九",
            ids[9],
            "139 0000 0009",
            学历="大专",
            户籍类型="农业户口",
            担任工会职务="主席",
        ),
        [],
        ["备注: 1. 此表转制成 EXCEL; 2. 《长兴县基层工会会员花名册》纸质稿一式三份"],
    ]


def test_seed_002_roster_with_header_area_lines(tmp_path, tree, base_collector):
    ids = {n: person_id(n) for n in range(1, 10)}
    path = workbook(
        tmp_path / "花名册.xlsx", {"附件3": seed_002_rows(ids)}, merges={"附件3": ["A1:K1"]}
    )

    plan = analyse_members(
        path, filename="花名册.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert problems(plan.summary) == {
        (7, "身份证号码", "id_numeric"),
        (8, "身份证号码", "duplicate_in_file"),
        (9, "手机号码", "required"),
        (10, "身份证号码", "id_format"),
        (11, "姓名", "name_format"),
        (12, "就业状况", "invalid_choice"),
        (13, "手机号码", "phone_format"),
    }
    assert problems(plan.summary, "warning") == set()
    summary = commit_members(plan, by=base_collector)
    assert summary.created == 2
    chen9 = Member.objects.with_id(ids[9]).get()
    assert (chen9.mobile, chen9.education, chen9.household_type, chen9.union_post) == (
        "13900000009",
        "31",
        "2",
        "02",
    )
    assert chen9.extra == {"国籍": "中国", "工作单位": "漳江物流公司"}
    assert Member.objects.with_id(ids[1]).get().mobile == mobile(1)


def collection_sheet_rows():
    born = datetime.date(1985, 3, 15)
    own = person_id(1, birth=born)
    permit = person_id(3, region="810000")
    unknown_region = person_id(10, region="439999")
    bad_birth_first17 = "43072519850230" + "123"
    from registry.validators import mod11_2_check

    bad_birth = bad_birth_first17 + mod11_2_check(bad_birth_first17)
    header = [
        "序号",
        "姓名",
        "手机",
        "证件类型",
        "证件\n号码",
        "性别",
        "出生年月",
        "民族",
        "政治面貌",
        "最高学历",
        "入会时间",
        "新就业形态劳动者",
        "工会职务",
        "专兼职工会职务标识",
    ]

    def person(n, number, **extra):
        row = [
            n,
            f"刘{'一二三四五六七八九十'[n - 1]}",
            mobile(n),
            "居民身份证",
            number,
            "男",
            "1985.03",
            "汉族",
            "党员",
            "本科",
            datetime.datetime(2019, 6, 25),
            "否",
            "会员",
            "兼职",
        ]
        for key, value in extra.items():
            row[header.index(key.replace("_", "\n"))] = value
        return row

    rows = [
        ["工会会员信息采集表"],
        header,
        person(1, own, 新就业形态劳动者="是", 工会职务="主席"),
        person(2, "E12345678", 证件类型="护照", 性别="女", 出生年月="1990年5月", 民族="汉"),
        person(3, permit, 证件类型="港澳台居民居住证", 出生年月=None),
        person(4, person_id(4, birth=born), 出生年月="1986.03"),
        person(5, person_id(5, birth=born), 出生年月="85年3月"),
        person(6, person_id(6, birth=born), 证件类型="军官证"),
        person(7, person_id(7, birth=born), 入会时间="2019-13-01"),
        person(8, person_id(8, birth=born), 新就业形态劳动者="也许"),
        person(9, unknown_region, 出生年月=None),
        person(10, bad_birth, 出生年月=None),
    ]
    return rows, {"own": own, "permit": permit, "unknown_region": unknown_region}


def test_seed_001_004_collection_sheet(tmp_path, tree, base_collector):
    rows, ids = collection_sheet_rows()
    path = workbook(tmp_path / "采集表.xlsx", {"会员": rows})

    plan = analyse_members(
        path, filename="采集表.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert problems(plan.summary) == {
        (6, "出生年月", "birth_date_mismatch"),
        (7, "出生年月", "date_format"),
        (8, "证件类型", "invalid_choice"),
        (9, "入会时间", "date_format"),
        (10, "新就业形态劳动者", "invalid_choice"),
        (12, "证件号码", "id_birth_date"),
    }
    assert problems(plan.summary, "warning") == {(11, "证件号码", "id_region_unknown")}
    summary = commit_members(plan, by=base_collector)
    assert summary.created == 4
    own = Member.objects.with_id(ids["own"]).get()
    assert own.new_employment_form is True
    assert (own.union_post, own.post_type, own.birth_date) == (
        "02",
        "2",
        datetime.date(1985, 3, 15),
    )
    passport = Member.objects.with_id("E12345678").get()
    assert (passport.id_type, passport.gender, passport.birth_date) == (
        codes.ID_PASSPORT,
        "2",
        datetime.date(1990, 5, 1),
    )
    assert Member.objects.with_id(ids["permit"]).get().id_type == codes.ID_PERMIT


def test_deployment_can_require_more_columns(tmp_path, tree, base_collector, settings):
    settings.MEMBER_REQUIRED_FIELDS = ["name", "id_number", "mobile", "join_date"]
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["姓名", "身份证号", "手机号码", "入会时间"],
                ["王一", person_id(1), mobile(1), "2020-01-02"],
                ["王二", person_id(2), mobile(2), None],
            ]
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert problems(plan.summary) == {(3, "入会时间", "required")}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_and_utf8(tmp_path, tree, base_collector, encoding):
    path = csv_file(
        tmp_path / "名单.csv",
        [
            ["序号", "姓名", "身份证号", "手机号码", "民族", "特长爱好"],
            ["1", "欧阳娜", person_id(1, male=False), mobile(1), "土家族", "长笛"],
            ["2", "阿卜杜拉·买买提", person_id(2), mobile(2), "维吾尔族", ""],
        ],
        encoding=encoding,
    )

    plan = analyse_members(
        path, filename="名单.csv", union=tree["base"], root=user_root(base_collector)
    )
    summary = commit_members(plan, by=base_collector)

    assert (summary.status, summary.created, summary.errors) == ("done", 2, [])
    first = Member.objects.with_id(person_id(1, male=False)).get()
    assert (first.name, first.ethnicity, first.extra) == ("欧阳娜", "15", {"特长爱好": "长笛"})
    assert Member.objects.filter(name="阿卜杜拉·买买提").exists()


def test_several_sheets_and_sheets_without_members(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "说明": [["填表说明：请按模板填写"]],
            "一车间": [["姓名", "身份证号", "手机"], ["甲一", person_id(1), mobile(1)]],
            "统计表": [["序号", "部门工会名称", "会员数"], [1, "一车间", 1]],
            "二车间": [
                ["标题"],
                [],
                ["姓名", "身份证号", "手机"],
                ["乙二", person_id(2), mobile(2)],
                ["乙三", person_id(1), mobile(3)],
            ],
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert plan.summary.created == 2
    assert [(p.sheet, p.row, p.code) for p in plan.summary.errors] == [
        ("二车间", 5, "duplicate_in_file")
    ]
    assert "工作表“一车间”第2行" in plan.summary.errors[0].message


def test_a_duplicate_is_found_far_down_a_long_sheet(tmp_path, tree, base_collector, monkeypatch):
    # Rows are matched a batch at a time as they are read: a person listed again many
    # batches later is still caught, and only the later row is refused.
    from imports.engine import members as engine

    monkeypatch.setattr(engine, "BATCH", 3)
    people = [["姓名", "身份证号", "手机"]]
    names = "赵钱孙李周吴郑王冯陈"
    people += [[f"{names[n - 1]}明", person_id(n), mobile(n)] for n in range(1, 11)]
    people.append(["褚明", person_id(2), mobile(11)])
    path = workbook(tmp_path / "长表.xlsx", {"S": people})

    plan = analyse_members(
        path, filename="长表.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert (plan.summary.rows, plan.summary.created) == (11, 10)
    assert [(p.row, p.code) for p in plan.summary.errors] == [(12, "duplicate_in_file")]
    assert "第3行" in plan.summary.errors[0].message


def test_template_marks_hints_and_repeated_headers(tmp_path, tree, base_collector):
    header = ["*姓名", "身份证号码（必填）", "手机号码\n(11位)", "民族"]
    path = workbook(
        tmp_path / "模板.xlsx",
        {
            "S": [
                header,
                ["王一", person_id(1), mobile(1), "汉"],
                header,  # printed sheets repeat the header on every page
                ["王二", person_id(2), mobile(2), "苗族"],
                [None, None, None, None],
                ["王三", person_id(3), mobile(3), "火星族"],
            ]
        },
    )

    plan = analyse_members(
        path, filename="模板.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert problems(plan.summary) == {(6, "民族", "invalid_choice")}
    assert (plan.summary.rows, plan.summary.created) == (3, 2)
    assert "火星族" in plan.summary.errors[0].message


def test_subtotal_lines_inside_the_table_do_not_end_it(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["序号", "姓名", "身份证号", "手机号码"],
                [1, "王一", person_id(1), mobile(1)],
                ["小计", None, None, None],
                ["备注：以下为二车间"],
                [2, "王二", person_id(2), mobile(2)],
                ["合计", "2人"],
                ["填表说明："],
                ["1.身份证号请设为文本格式"],
                ["2.手机号码填11位"],
                ["填表人：王五"],
            ]
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert (plan.summary.rows, plan.summary.created, plan.summary.errors) == (2, 2, [])


def test_mobile_column_wins_over_a_landline_column(tmp_path, tree, base_collector):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["姓名", "身份证号", "联系电话", "手机号码"],
                ["王一", person_id(1), "0736-6622447", mobile(1)],
            ]
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )
    commit_members(plan, by=base_collector)

    member = Member.objects.get()
    assert (member.mobile, member.extra) == (mobile(1), {"联系电话": "0736-6622447"})


def test_numbers_typed_for_year_month_and_passport(tmp_path, tree, base_collector):
    born = datetime.date(1985, 10, 15)
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["姓名", "证件类型", "证件号码", "手机号码", "出生年月", "入会时间"],
                ["王一", "居民身份证", person_id(1, birth=born), mobile(1), 1985.1, 2019.07],
                ["John Smith", "护照", 12345678, mobile(2), 1990.05, None],
            ]
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )
    commit_members(plan, by=base_collector)

    # 2019.07 typed into a number cell: July 2019, taken as the 1st and flagged.
    assert problems(plan.summary) == set()
    assert (2, "入会时间", "date_month_only") in problems(plan.summary, "warning")
    assert Member.objects.get(name="王一").join_date == datetime.date(2019, 7, 1)
    passport = Member.objects.get(id_type=codes.ID_PASSPORT)
    assert (passport.id_number, passport.birth_date) == ("12345678", datetime.date(1990, 5, 1))


def test_department_separator_rows_are_not_members(tmp_path, tree, departments, base_collector):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["序号", "部门工会", "姓名", "身份证号", "手机号码", "备注"],
                [None, "矿业工程学院"],
                [1, "矿业工程学院", "王一", person_id(1), mobile(1), ""],
                [None, None, None, None, None, "以上人员均为在职"],
                [2, "校党政机关", None, None, None, "待补充"],
            ]
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert (plan.summary.rows, plan.summary.created) == (2, 1)
    assert problems(plan.summary) == {
        (5, "姓名", "required"),
        (5, "身份证号", "required"),
        (5, "手机号码", "required"),
    }


def test_row_numbers_match_excel_when_the_sheet_starts_with_blank_rows(
    tmp_path, tree, base_collector
):
    """Officers often leave the first rows empty; the row named must still be the one
    Excel shows, or nobody finds the mistake."""
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                [],
                [],
                ["姓名", "身份证号", "手机号码"],
                ["王一", person_id(1), mobile(1)],
                ["王二", person_id(2), "12345"],
            ]
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert problems(plan.summary) == {(5, "手机号码", "phone_format")}


def test_a_date_repeated_down_the_sheet_is_judged_on_every_row(tmp_path, tree, base_collector):
    """Each distinct cell is read once per sheet: the rows that repeat it, a refused one
    too, still get the answer and the message of their own row."""
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["姓名", "身份证号", "手机号码", "出生年月", "入会时间"],
                ["王一", person_id(1), mobile(1), None, "2019-13-01"],
                ["王二", person_id(2), mobile(2), None, "2019-13-01"],
                ["王三", person_id(3), mobile(3), None, "2020年4月"],
                ["王四", person_id(4), mobile(4), None, "2020年4月"],
                ["王五", person_id(5), mobile(5), None, 201402],
                ["王六", person_id(6), mobile(6), None, "201402"],
                ["王七", person_id(7), mobile(7), "1985.03", datetime.date(2019, 6, 25)],
                ["王八", person_id(8), mobile(8), "1985.03", datetime.date(2019, 6, 25)],
            ]
        },
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert problems(plan.summary) == {
        (2, "入会时间", "date_format"),
        (3, "入会时间", "date_format"),
        (8, "出生年月", "birth_date_mismatch"),
        (9, "出生年月", "birth_date_mismatch"),
    }
    warned = problems(plan.summary, "warning")
    assert {(r, "入会时间", "date_month_only") for r in (4, 5, 6, 7)} <= warned
    joined = {v["name"]: v["join_date"] for v in plan.creates}
    assert joined["王三"] == joined["王四"] == datetime.date(2020, 4, 1)
    assert joined["王五"] == joined["王六"] == datetime.date(2014, 2, 1)
